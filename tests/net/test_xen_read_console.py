# SPDX-License-Identifier: GPL-2.0-or-later
"""test_xen_read_console.py - xen_read_console against real datagrams

   netns xc-RUN-con                         netns xc-RUN-bare
   lo  169.254.1.0/16       (dom0's)        lo (no 169.254 address)
       169.254.254.255/32   (the consoles'
                             source)        xen_read_console: "is xend
   xen_read_console                          running?"
     bound 169.254.1.0:666  <-- UDP from 169.254.254.255:3 and :7
                                (sockets made by the test in the netns)

   fake xend: a Unix socket in the run's dir that answers one
   console_history request with canned rings (for --replay)

Everything is this run's (xendnet.run_name()); the namespaces go at the
end, also after a failure, and what dead runs left is removed first. The
`topo` fixture (xend and its domains) is not used: the datagrams are sent
as a domain's console would have them arrive, from UDP source port N.
Run as root, BUILD=<abs build dir>.
"""

import json
import os
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

import xendnet as xn

PREFIX = "xc"
NS = xn.run_name(PREFIX, "con")
BARE = xn.run_name(PREFIX, "bare")
PROG = os.path.join(xn.BUILD, "xen_read_console")
SRC = "169.254.254.255"
DOM0 = "169.254.1.0"
PORT = 666
IN_USE = "169.254.1.0:666 is in use (another xen_read_console?)"


def del_ns(name):
    if xn.ns_exists(name):
        xn.sh("ip", "netns", "del", name, check=False)


@pytest.fixture(scope="module", autouse=True)
def nets():
    if os.geteuid() != 0:
        pytest.skip("tests/net needs root")
    if not os.access(PROG, os.X_OK):
        pytest.fail("%s is not built" % PROG)
    xn.run_claim()
    for ns in xn.leftovers(PREFIX)[0]:
        xn.sh("ip", "netns", "del", ns, check=False)
    try:
        for ns in (NS, BARE):
            xn.sh("ip", "netns", "add", ns)
            xn.sh("ip", "-n", ns, "link", "set", "lo", "up")
        xn.sh("ip", "-n", NS, "addr", "add", DOM0 + "/16", "dev", "lo")
        xn.sh("ip", "-n", NS, "addr", "add", SRC + "/32", "dev", "lo")
        yield
    finally:
        del_ns(NS)
        del_ns(BARE)


class Reader:
    """xen_read_console running in a namespace, its output read line by
    line with a timeout."""

    def __init__(self, *args, ns=NS, wait_bound=True):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, PROG] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.ns = ns
        self.buf = b""
        os.set_blocking(self.proc.stdout.fileno(), False)
        if wait_bound:
            self.wait_bound()

    def wait_bound(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = xn.sh("ss", "-Hunl", "sport = :%d" % PORT, ns=self.ns)
            if DOM0 in r.stdout:
                return
            assert self.proc.poll() is None, \
                "xen_read_console exited: %s" % self.proc.stderr.read()
            time.sleep(0.05)
        raise AssertionError("xen_read_console did not bind in time")

    def _fill(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return False
        data = os.read(self.proc.stdout.fileno(), 65536)
        self.buf += data
        return bool(data)

    def lines(self, n, timeout=5.0):
        """The next @n lines (without '\\n'); fails on a timeout."""
        end = time.monotonic() + timeout
        while self.buf.count(b"\n") < n:
            left = end - time.monotonic()
            assert left > 0, "only %r after %.0f s" % (self.buf, timeout)
            if not self._fill(left) and self.proc.poll() is not None:
                break
        out = self.buf.split(b"\n")
        got, self.buf = out[:n], b"\n".join(out[n:])
        assert len(got) == n, "xen_read_console ended after %r" % got
        return [g.decode() for g in got]

    def nothing_more(self, wait=0.3):
        while self._fill(wait):
            pass
        return self.buf

    def stop(self, sig=signal.SIGINT, timeout=5.0):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        while self._fill(0):
            pass
        return rc

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def reader_factory():
    made = []

    def make(*args, **kw):
        r = Reader(*args, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def sender(dom):
    """A UDP socket in the netns bound to 169.254.254.255:@dom, as the
    console datagrams of domain @dom come."""
    s = xn.ns_socket(NS, socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((SRC, dom))
    return s


@pytest.fixture
def send():
    socks = {}

    def go(dom, payload):
        if dom not in socks:
            socks[dom] = sender(dom)
        socks[dom].sendto(payload, (DOM0, PORT))
    yield go
    for s in socks.values():
        s.close()


def test_prints_each_datagram_filtered(reader_factory, send):
    r = reader_factory()
    # is the process we signal really the reader (ip netns exec execs it)?
    assert os.readlink("/proc/%d/exe" % r.proc.pid) == os.path.realpath(PROG)
    send(3, b"boot\x01ing \x1b[1mkernel\x7f\xff\xc3\xa9 3")  # no newline
    send(7, b"\tseven\r")
    send(3, b"done\n")                  # a newline: not doubled
    send(7, b"")                        # empty: an empty line
    assert r.lines(4) == ["[3] booting [1mkernel 3", "[7] seven",
                          "[3] done", "[7] "]
    assert r.nothing_more() == b""
    assert r.stop() == 0


def test_multiline_datagram_is_printed_as_sent(reader_factory, send):
    # the seed's format: "[N] " once per datagram, the text as it came
    r = reader_factory()
    send(7, b"one\ntwo")
    assert r.lines(2) == ["[7] one", "two"]
    assert r.stop() == 0


def test_dom_filter(reader_factory, send):
    r = reader_factory("-d", "7")
    send(3, b"from three")
    send(7, b"from seven")
    send(3, b"three again")
    send(7, b"seven again")             # the positive control, last
    assert r.lines(2) == ["[7] from seven", "[7] seven again"]
    assert r.nothing_more() == b""
    assert r.stop() == 0


def test_second_reader_is_told_port_in_use(reader_factory, send):
    first = reader_factory()
    second = reader_factory(wait_bound=False)
    assert second.proc.wait(10) == 1
    err = second.proc.stderr.read().decode()
    assert IN_USE in err, err
    assert second.proc.stdout.read() == b""
    # the first one still has the port and prints
    send(3, b"still here")
    assert first.lines(1) == ["[3] still here"]
    assert first.stop() == 0


def test_address_not_configured(reader_factory):
    # dom0's 169.254.1.0 lives on xend's vif0.0: without it, say so
    r = reader_factory(ns=BARE, wait_bound=False)
    assert r.proc.wait(10) == 1
    err = r.proc.stderr.read().decode()
    assert "169.254.1.0" in err and "is xend running?" in err, err
    # the positive control: in the netns with the address it binds
    ok = reader_factory()
    assert ok.proc.poll() is None
    assert ok.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_cleanly(reader_factory, send, sig):
    r = reader_factory()
    send(3, b"before the signal")
    assert r.lines(1) == ["[3] before the signal"]
    assert r.stop(sig) == 0
    assert r.buf == b""                 # nothing cut mid-line
    assert r.proc.stderr.read() == b""


def test_pipe_sees_lines_at_once(reader_factory, send):
    # stdout is a pipe here: each line must come without waiting for
    # more output or the end (line buffering)
    r = reader_factory()
    for i in range(3):
        send(7, b"line %d" % i)
        assert r.lines(1, timeout=2.0) == ["[7] line %d" % i]
    assert r.stop() == 0


# ---------------------------------------------------------------- --replay

CONSOLES = [
    {"dom": 3, "name": "xc-a", "text": "boot\x01 one\r\nbooted\n",
     "dropped": 0},
    {"dom": 7, "name": "xc-b", "text": "seven\nno newline at the end",
     "dropped": 2},
]


class FakeXend:
    """One Unix socket answering console_history requests as xend would
    (one JSON line each way); it keeps the requests it got."""

    def __init__(self, path, reply):
        self.path = path
        self.reply = reply
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                data = b""
                while not data.endswith(b"\n"):
                    more = c.recv(4096)
                    if not more:
                        break
                    data += more
                self.requests.append(json.loads(data))
                c.sendall(json.dumps(self.reply).encode() + b"\n")

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        os.unlink(self.path)


@pytest.fixture
def fake_xend():
    path = os.path.join(xn.run_claim(), "fake-xend.sock")
    x = FakeXend(path, {"ok": True, "consoles": CONSOLES})
    yield x
    x.close()


def test_replay_then_live(reader_factory, send, fake_xend):
    r = reader_factory("--replay", "--socket", fake_xend.path)
    assert r.lines(4) == ["[3] boot one", "[3] booted", "[7] seven",
                          "[7] no newline at the end"]
    assert fake_xend.requests == [{"cmd": "console_history"}]
    send(3, b"live line")
    assert r.lines(1) == ["[3] live line"]
    assert r.stop() == 0
    err = r.proc.stderr.read().decode()
    assert "domain 7 (xc-b): 2 earlier lines" in err, err


def test_replay_one_domain(reader_factory, send, fake_xend):
    # the fake answers every ring: the reader keeps domain 7's alone
    r = reader_factory("--replay", "-d", "7", "--socket", fake_xend.path)
    assert r.lines(2) == ["[7] seven", "[7] no newline at the end"]
    assert fake_xend.requests == [{"cmd": "console_history", "dom": 7}]
    send(3, b"not this one")
    send(7, b"live seven")
    assert r.lines(1) == ["[7] live seven"]
    assert r.nothing_more() == b""
    assert r.stop() == 0


def test_replay_without_xend_goes_live(reader_factory, send):
    path = os.path.join(xn.run_claim(), "no-xend.sock")
    r = reader_factory("--replay", "--socket", path)
    send(3, b"live anyway")
    assert r.lines(1) == ["[3] live anyway"]
    assert r.stop() == 0
    err = r.proc.stderr.read().decode()
    assert "cannot reach xend at " + path in err, err

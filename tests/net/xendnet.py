# SPDX-License-Identifier: GPL-2.0-or-later
"""xendnet.py - helpers for the xend network tests (tests/net/test_xend_*.py)

Everything here runs inside the pytest process. Sockets are opened in the
network namespace they belong to by switching the calling thread into it
(setns(2)) for the moment the socket is created: a socket stays in the
namespace it was made in, so the test can then send, sniff, ping and
connect across all namespaces without spawning a Python (and importing
scapy) per frame. Only tcpdump, iperf3 and the xeno tools run as
processes.

Frames are built with scapy and written raw to an AF_PACKET socket bound
to the interface: what scapy's sendp() does, minus its interface cache,
which only knows the root namespace.

Every namespace, link, socket and directory a run makes is named for the
run (run_name(), as WireGuard's netns.sh puts $$ in its names): two runs
on one machine never collide, and what a killed run left is known by its
name as that run's (leftovers()), never taken for a live run's.
"""

import atexit
import contextlib
import ctypes
import errno
import fcntl
import glob
import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35     # also SCM_TIMESTAMPNS

_libc = ctypes.CDLL(None, use_errno=True)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD") or os.path.join(REPO, "build")


def sh(*args, check=True, timeout=30, ns=None, **kw):
    """Run a command (argv list or strings), optionally inside netns @ns.
    Returns CompletedProcess with text stdout/stderr."""
    argv = [str(a) for a in args]
    if ns:
        argv = ["ip", "netns", "exec", ns] + argv
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\nstdout: %s\nstderr: %s"
                           % (r.returncode, " ".join(argv), r.stdout,
                              r.stderr))
    return r


# ---------------------------------------------------------------- run names

# This run's token. Not the pid: a run in its own pid namespace (see
# conftest.py) may well have the same pid as another, while /tmp, and
# maybe the network namespace, are shared.
RUN = "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789")
              for _ in range(5))
RUN_BASE = os.path.join("/tmp", "xeno-net-")    # + token: a run's dir
IFNAMSIZ = 16           # a link name is at most 15 characters
_claim = {}


def run_name(prefix, what):
    """PREFIX-RUN-WHAT, e.g. xt-k3f9a-lan: a name of this run's."""
    return "%s-%s-%s" % (prefix, RUN, what)


def run_ifname(prefix, what):
    """run_name() for a link, checked to fit IFNAMSIZ."""
    name = run_name(prefix, what)
    assert len(name) < IFNAMSIZ, "link name %r too long" % name
    return name


@contextlib.contextmanager
def _runs_locked(op):
    """Hold /tmp/xeno-net.lock: a run is claimed under it exclusively and
    looked at under it shared, so nobody sees a run half claimed."""
    with open(RUN_BASE.rstrip("-") + ".lock", "a") as f:
        fcntl.flock(f, op)
        yield


def run_claim():
    """Make this run's directory, RUN_BASE + RUN, and hold its run.lock
    (flock: it goes with the process, however that ends) until the process
    exits. Returns the directory; a second call returns it again. Call it
    before making anything named by run_name()."""
    if "dir" in _claim:
        return _claim["dir"]
    d = RUN_BASE + RUN
    with _runs_locked(fcntl.LOCK_EX):
        os.mkdir(d, 0o700)      # FileExistsError: a token used twice
        f = open(os.path.join(d, "run.lock"), "w")
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _claim.update(dir=d, lock=f)
    atexit.register(_run_release)
    return d


def _run_release():
    """At exit: remove the run's dir if nothing but run.lock is left in it
    (conftest.py keeps xend's log there after a failure)."""
    d = _claim["dir"]
    try:
        if os.listdir(d) == ["run.lock"]:
            os.unlink(os.path.join(d, "run.lock"))
            os.rmdir(d)
    except OSError:
        pass


def run_alive(token):
    """Is run @token (another process's) still going: its run.lock held?"""
    if token == RUN:
        return "dir" in _claim
    with _runs_locked(fcntl.LOCK_SH):
        try:
            f = open(os.path.join(RUN_BASE + token, "run.lock"))
        except OSError:
            return False        # gone, or never claimed
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False


def run_of(name, prefix):
    """The run token in a name made by run_name(@prefix, ...), or None for
    a name that is not one."""
    m = re.fullmatch(re.escape(prefix) + r"-([a-z0-9]+)-.+", name)
    return m.group(1) if m else None


def dead_run_dirs():
    """The directories of runs that are gone (or of an older form)."""
    out = []
    for d in glob.glob(RUN_BASE + "*"):
        if os.path.isdir(d) and not run_alive(d[len(RUN_BASE):]):
            out.append(d)
    return out


def leftovers(prefix):
    """(namespaces, root-namespace links) named by run_name(@prefix, ...)
    for runs that are gone."""
    def dead(name):
        token = run_of(name, prefix)
        return token is not None and not run_alive(token)
    try:
        nss = [n for n in os.listdir("/run/netns") if dead(n)]
    except FileNotFoundError:
        nss = []
    r = sh("ip", "-j", "link", "show")
    links = [ln["ifname"] for ln in json.loads(r.stdout or "[]")
             if dead(ln["ifname"])]
    return nss, links


# ---------------------------------------------------------------- netns

@contextlib.contextmanager
def netns(name):
    """Run the with-block's socket creation inside netns @name (None: stay
    in the current one). Only the calling thread moves."""
    if name is None:
        yield
        return
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        there = os.open("/run/netns/" + name, os.O_RDONLY)
    except OSError:
        os.close(here)
        raise
    try:
        if _libc.setns(there, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns(%s): %s" % (name, os.strerror(e)))
        try:
            yield
        finally:
            if _libc.setns(here, CLONE_NEWNET) != 0:
                # Staying in the wrong namespace would poison every later
                # test: better to stop here.
                os._exit(99)
    finally:
        os.close(there)
        os.close(here)


def ns_socket(ns, *args):
    """socket.socket(*args) created inside netns @ns."""
    with netns(ns):
        return socket.socket(*args)


def ns_exists(name):
    return os.path.exists("/run/netns/" + name)


def link_exists(ifname, ns=None):
    return sh("ip", "link", "show", "dev", ifname, ns=ns,
              check=False).returncode == 0


def if_mac(ifname, ns=None):
    r = sh("ip", "-j", "link", "show", "dev", ifname, ns=ns)
    return json.loads(r.stdout)[0]["address"]


def if_addrs(ifname, ns=None):
    """[(family, 'addr/prefix')] of an interface."""
    r = sh("ip", "-j", "addr", "show", "dev", ifname, ns=ns)
    out = []
    for a in json.loads(r.stdout)[0].get("addr_info", []):
        out.append((a["family"], "%s/%d" % (a["local"], a["prefixlen"])))
    return out


def eui64_ll(mac):
    """The EUI-64 fe80:: address of a MAC."""
    b = bytearray(int(x, 16) for x in mac.split(":"))
    b[0] ^= 0x02
    iid = bytes(b[:3]) + b"\xff\xfe" + bytes(b[3:])
    return socket.inet_ntop(socket.AF_INET6, b"\xfe\x80" + b"\0" * 6 + iid)


# ---------------------------------------------------------------- frames

def l2_socket(ns, ifname):
    """A raw AF_PACKET socket on @ifname in netns @ns, seeing every frame
    (ETH_P_ALL) from the moment it is made."""
    s = ns_socket(ns, socket.AF_PACKET, socket.SOCK_RAW,
                  socket.htons(ETH_P_ALL))
    s.bind((ifname, ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return s


def sendp(ns, ifname, frames):
    """Send scapy frames (or bytes) out of @ifname in netns @ns, as
    scapy's sendp(iface=...) would from inside the namespace."""
    if not isinstance(frames, (list, tuple)):
        frames = [frames]
    with contextlib.closing(ns_socket(ns, socket.AF_PACKET, socket.SOCK_RAW,
                                      0)) as s:
        s.bind((ifname, 0))
        for f in frames:
            s.send(bytes(f))


class Sniffer:
    """Frames arriving on an interface (not the ones it sends), collected
    from an AF_PACKET socket opened at construction."""

    def __init__(self, ns, ifname):
        self.ns, self.ifname = ns, ifname
        self.sock = l2_socket(ns, ifname)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)
        self.frames = []
        self.stamps = []    # kernel receive time of each frame, seconds

    def _drain(self, wait):
        r, _, _ = select.select([self.sock], [], [], wait)
        if not r:
            return
        while True:
            try:
                data, anc, _, addr = self.sock.recvmsg(65600, 64)
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            stamp = time.time()
            for level, typ, val in anc:
                if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", val[:16])
                    stamp = sec + nsec / 1e9
            self.frames.append(data)
            self.stamps.append(stamp)

    def collect(self, until=None, timeout=3.0, grace=0.3):
        """Gather frames until @until(frames) is true (then @grace seconds
        more, for anything sent before it still in flight) or @timeout.
        Returns the frames and whether @until was met."""
        end = time.monotonic() + timeout
        met = False
        while time.monotonic() < end:
            self._drain(0.05)
            if until is not None and until(self.frames):
                met = True
                end = min(end, time.monotonic() + grace)
                until = None
        self._drain(0)
        return self.frames, met

    def has(self, marker):
        return any(marker in f for f in self.frames)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def marker(tag):
    """A payload that appears in no other frame."""
    return ("XENO-%s-%08x" % (tag, random.getrandbits(32))).encode()


# ---------------------------------------------------------------- ping/tcp

def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ping(ns, dst, need=1, timeout=5.0, interval=0.2, src=None):
    """ICMP echo from netns @ns (None: root) to IPv4 @dst, one request every
    @interval until @need replies came back or @timeout. Sending several
    requests absorbs a first one lost to ARP resolution. Returns the number
    of replies."""
    with contextlib.closing(ns_socket(ns, socket.AF_INET, socket.SOCK_RAW,
                                      socket.IPPROTO_ICMP)) as s:
        if src:
            s.bind((src, 0))
        ident = random.getrandbits(16)
        got, seq, seen = 0, 0, set()
        end = time.monotonic() + timeout
        next_tx = 0.0
        while got < need and time.monotonic() < end:
            now = time.monotonic()
            if now >= next_tx:
                seq += 1
                hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
                body = b"xeno-ping" + bytes(23)
                c = _csum(hdr + body)
                hdr = struct.pack("!BBHHH", 8, 0, c, ident, seq)
                try:
                    s.sendto(hdr + body, (dst, 0))
                except OSError as e:
                    # EHOSTUNREACH after a failed ARP: keep trying
                    if e.errno not in (errno.EHOSTUNREACH, errno.ENETUNREACH,
                                       errno.EHOSTDOWN):
                        raise
                next_tx = now + interval
            r, _, _ = select.select([s], [], [], 0.05)
            if not r:
                continue
            data, addr = s.recvfrom(2048)
            ihl = (data[0] & 0x0f) * 4
            icmp = data[ihl:]
            if len(icmp) < 8 or addr[0] != dst:
                continue
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", icmp[:8])
            if typ == 0 and rid == ident and rseq not in seen:
                seen.add(rseq)
                got += 1
    return got


def ping6(ns, dst, ifname="eth0", need=1, timeout=5.0, interval=0.2):
    """ICMPv6 echo from netns @ns to @dst (a link-local address is scoped
    to @ifname), as ping() does for IPv4: the kernel resolves the
    neighbour with real NS/NA through the switch. Returns the replies."""
    with netns(ns):
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                          socket.IPPROTO_ICMPV6)
        scope = socket.if_nametoindex(ifname)
    with contextlib.closing(s):
        ident = random.getrandbits(16)
        got, seq, seen = 0, 0, set()
        end = time.monotonic() + timeout
        next_tx = 0.0
        while got < need and time.monotonic() < end:
            now = time.monotonic()
            if now >= next_tx:
                seq += 1
                # the kernel fills in the ICMPv6 checksum
                msg = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + \
                    b"xeno-ping6" + bytes(22)
                try:
                    s.sendto(msg, (dst, 0, 0, scope))
                except OSError as e:
                    if e.errno not in (errno.EHOSTUNREACH, errno.ENETUNREACH,
                                       errno.EHOSTDOWN, errno.EADDRNOTAVAIL):
                        raise
                next_tx = now + interval
            r, _, _ = select.select([s], [], [], 0.05)
            if not r:
                continue
            data, addr = s.recvfrom(2048)
            if len(data) < 8 or addr[0].split("%")[0] != dst:
                continue
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[:8])
            if typ == 129 and rid == ident and rseq not in seen:
                seen.add(rseq)
                got += 1
    return got


def tcp_roundtrip(client_ns, server_ns, server_ip, port=5555, src=None,
                  timeout=5.0, tries=3):
    """Open a TCP connection from @client_ns to a listener in @server_ns,
    send a line each way. Returns True on success. Retries the connect a
    few times (the first SYN can race ARP)."""
    with contextlib.closing(ns_socket(server_ns, socket.AF_INET,
                                      socket.SOCK_STREAM)) as ls:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((server_ip, port))
        ls.listen(4)
        ls.settimeout(timeout)
        for _ in range(tries):
            c = ns_socket(client_ns, socket.AF_INET, socket.SOCK_STREAM)
            try:
                c.settimeout(timeout)
                if src:
                    c.bind((src, 0))
                try:
                    c.connect((server_ip, port))
                except (socket.timeout, OSError):
                    continue
                conn, peer = ls.accept()
                with conn:
                    conn.settimeout(timeout)
                    c.sendall(b"hello from the domain\n")
                    if conn.recv(100) != b"hello from the domain\n":
                        return False
                    conn.sendall(b"hello from the LAN\n")
                    return c.recv(100) == b"hello from the LAN\n"
            finally:
                c.close()
    return False


# ---------------------------------------------------------------- tcpdump

class Tcpdump:
    """tcpdump writing a pcap of @ifname in netns @ns; started (and known
    to be listening) on enter, stopped on exit. .packets() parses it."""

    def __init__(self, ns, ifname, path, bpf=None):
        self.ns, self.ifname, self.path, self.bpf = ns, ifname, path, bpf
        self.proc = None

    def __enter__(self):
        argv = ["tcpdump", "-i", self.ifname, "-nn", "-U", "--immediate-mode",
                "-s", "512",
                "-w", self.path]
        if self.bpf:
            argv.append(self.bpf)
        if self.ns:
            argv = ["ip", "netns", "exec", self.ns] + argv
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL)
        end = time.monotonic() + 10
        buf = b""
        while b"listening on" not in buf:
            if time.monotonic() > end or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("tcpdump did not start: %r" % buf)
            r, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if r:
                buf += os.read(self.proc.stderr.fileno(), 4096)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            time.sleep(0.3)  # let the last frames reach the file
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self.stop()

    def packets(self):
        import scapy.layers.inet6  # noqa: F401  (registers the layers)
        import scapy.layers.l2  # noqa: F401
        from scapy.utils import rdpcap
        return list(rdpcap(self.path))


# ---------------------------------------------------------------- control

class Control:
    """A client of xend's control socket (docs/control-protocol.md)."""

    def __init__(self, path):
        self.path = path

    def connect(self, timeout=10.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.path)
        return s

    def call(self, cmd, **fields):
        """Send one request; return the reply object."""
        req = dict(fields, cmd=cmd)
        return self.raw((json.dumps(req) + "\n").encode())[0]

    def ok(self, cmd, **fields):
        """call() that insists on ok: true."""
        r = self.call(cmd, **fields)
        assert r.get("ok") is True, "%s %r -> %r" % (cmd, fields, r)
        return r

    def raw(self, data, replies=1, timeout=10.0):
        """Send raw bytes; read up to @replies reply lines (fewer if xend
        closes the connection). Returns the parsed replies."""
        with contextlib.closing(self.connect(timeout)) as s:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # xend may close after answering an over-long line
            return read_replies(s, replies)


def read_replies(s, n):
    buf, out = b"", []
    while len(out) < n:
        while b"\n" not in buf:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                chunk = b""
            if not chunk:
                if buf.strip():
                    out.append(json.loads(buf))
                return out
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        out.append(json.loads(line))
    return out


def wait_socket(path, proc=None, timeout=15.0):
    """Wait until xend answers `ping` on @path (and @proc is alive)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("xend exited with %d" % proc.returncode)
        try:
            if Control(path).call("ping").get("ok"):
                return
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError("xend did not answer on %s: %r" % (path, last))


class XendProc:
    """An xend of a test's own: its socket, state, console logs and log in
    @tmp; @args are more options, @prefix runs it under another command
    (e.g. nsenter into a network namespace). Killed only by its PID."""

    def __init__(self, tmp, args=(), prefix=()):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "xend.sock")
        self.state = os.path.join(tmp, "state")
        self.log = os.path.join(tmp, "xend.log")
        self.args, self.prefix = list(args), list(prefix)
        self.proc = None
        os.makedirs(self.state, exist_ok=True)

    def start(self):
        argv = self.prefix + [
            os.path.join(BUILD, "xend"), "--foreground",
            "--socket", self.sock, "--state-dir", self.state,
            "--console-dir", os.path.join(self.tmp, "console"),
            "--log-level", "debug"] + self.args
        with open(self.log, "ab") as logf:
            logf.write(("=== %s\n" % " ".join(argv)).encode())
            logf.flush()
            self.proc = subprocess.Popen(argv, stdout=logf, stderr=logf,
                                         stdin=subprocess.DEVNULL)
        with open(os.path.join(self.tmp, "xend.pid"), "w") as f:
            f.write("%d\n" % self.proc.pid)
        wait_socket(self.sock, self.proc)

    def kill(self, sig=signal.SIGTERM, timeout=10):
        """Signal xend and wait for it; SIGKILL if it hangs. Returns the
        exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hung"

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "".join(self.log_text().splitlines(True)[-n:])


class OwnXend(XendProc):
    """A test module's own xend beside the session's, with dom0's TAP
    @dom0_if (a per-run name, run_ifname()) and no wire; domains from
    tests/net/xt-domain.cfg. Made and cleaned up by own_xend()."""

    CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "xt-domain.cfg")

    def __init__(self, tmp, dom0_if, args=(), prefix=()):
        self.dom0_if = dom0_if
        self.doms = []
        super().__init__(tmp, ["--dom0", dom0_if] + list(args), prefix)

    def ctl(self, *args, check=True):
        return tool("xc_dom_control", *[str(a) for a in args],
                    sock=self.sock, check=check)

    def json(self, *args):
        return tool_json("xc_dom_control", *[str(a) for a in args],
                         sock=self.sock)

    def create(self, name):
        """A netns domain: dict(id, name, ns, ip, mac), kept in .doms."""
        r = tool("xc_dom_create", "--json", "-f", self.CFG, "-D",
                 "name=" + name, sock=self.sock)
        d = int(json.loads(r.stdout)["dom"])
        ns = "xeno-dom%d" % d
        dom = dict(id=d, name=name, ns=ns, ip="169.254.1.%d" % d,
                   mac=if_mac("eth0", ns=ns))
        self.doms.append(dom)
        return dom

    def vif_stats(self, dom, vif=0):
        return self.json("vif_stats", dom["id"], vif)["stats"]

    def cleanup(self):
        """Destroy its domains, stop it (by PID), remove what is left."""
        if self.proc is not None and self.proc.poll() is None:
            for d in self.doms:
                self.ctl("destroy", d["id"], check=False)
        self.kill(signal.SIGTERM)
        for d in self.doms:
            if ns_exists(d["ns"]):
                sh("ip", "netns", "del", d["ns"], check=False)
        if link_exists(self.dom0_if):
            sh("ip", "link", "del", self.dom0_if, check=False)


@contextlib.contextmanager
def own_xend(prefix, names=(), args=(), cmd=(), cls=OwnXend, **kw):
    """Start a module's own xend (@cls, dom0 TAP named after @prefix,
    options @args, run under @cmd) with netns domains @names; yields it and
    cleans up whatever happens."""
    tmp = os.path.join(run_claim(), "xend-" + prefix)
    os.makedirs(tmp, exist_ok=True)
    x = cls(tmp, run_ifname(prefix, "vif0"), args, cmd, **kw)
    try:
        x.start()
        for name in names:
            x.create(name)
        yield x
    finally:
        x.cleanup()


# ---------------------------------------------------------------- tools

def tool(name, *args, sock=None, check=True, timeout=30):
    """Run build/<name> with XENO_SOCKET=@sock. Returns CompletedProcess."""
    env = dict(os.environ)
    if sock:
        env["XENO_SOCKET"] = sock
    argv = [os.path.join(BUILD, name)] + [str(a) for a in args]
    r = subprocess.run(argv, capture_output=True, text=True, env=env,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s exited %d\nstdout: %s\nstderr: %s"
                           % (" ".join(argv), r.returncode, r.stdout,
                              r.stderr))
    return r


def tool_json(name, *args, sock=None):
    r = tool(name, "--json", *args, sock=sock)
    return json.loads(r.stdout)

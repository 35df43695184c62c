# SPDX-License-Identifier: GPL-2.0-or-later
"""Every domain's console reaches xen_read_console: a netns domain's init
output arrives as `[N] line` (the seed's format and filtering), the ring
gives it back to `--replay` after the fact, the datagrams never reach the
wire (beside a positive control that does), and a domain flooding its
console neither delays nor drops another domain's lines; what it loses is
counted. Topology: conftest.py (this module adds domains with an `init`).
"""

import json
import os
import signal
import subprocess
import time

import pytest

import xendnet as xn


class Reader:
    """xen_read_console in the background, its lines collected."""

    def __init__(self, topo, *args):
        self.proc = subprocess.Popen(
            [os.path.join(xn.BUILD, "xen_read_console"), "--socket",
             topo.sock] + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        time.sleep(0.3)
        assert self.proc.poll() is None, self.proc.stderr.read()

    def collect(self, until, timeout=10.0):
        os.set_blocking(self.proc.stdout.fileno(), False)
        end = time.monotonic() + timeout
        while time.monotonic() < end and not until(self.lines):
            line = self.proc.stdout.readline()
            if line:
                self.lines.append(line.rstrip("\n"))
            else:
                time.sleep(0.02)
        return until(self.lines)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(10)


def create(topo, name, script):
    """A netns domain whose init runs @script (sh) from a file."""
    path = topo.path(name + ".sh")
    with open(path, "w") as f:
        f.write(script + "\n")
    cfg = topo.path(name + ".cfg")
    with open(cfg, "w") as f:
        f.write('name = "%s"\nbuilder = "netns"\nmemory = 16\n'
                'init = "sh %s"\n' % (name, path))
    r = topo.tool("xc_dom_create", "--json", "-f", cfg)
    return int(json.loads(r.stdout)["dom"])


@pytest.fixture
def reader(topo):
    r = Reader(topo)
    yield r
    if r.proc.poll() is None:
        r.stop()


def test_init_output_reaches_the_reader(topo, reader):
    d = create(topo, "xc-a", "printf 'hello\\001 console\\n'\n"
               "for i in 1 2 3; do echo line $i; done\nsleep 600")
    try:
        want = ["[%d] hello console" % d] + \
            ["[%d] line %d" % (d, i) for i in (1, 2, 3)]
        assert reader.collect(lambda ls: all(w in ls for w in want)), \
            reader.lines
        j = {x["dom"]: x for x in topo.ctl_json("list")["domains"]}[d]
        assert j["init"]["running"] is True and j["console"]["lines"] >= 4
        assert j["console"]["clients"] == 0
        # --replay: a reader started afterwards still gets the history
        assert reader.stop() == 0        # (one reader holds the port)
        r2 = Reader(topo, "--replay", "-d", str(d))
        try:
            assert r2.collect(lambda ls: "[%d] line 3" % d in ls), r2.lines
            assert all(l.startswith("[%d] " % d) for l in r2.lines)
        finally:
            assert r2.stop() == 0
    finally:
        topo.ctl_tool("destroy", d)


def test_init_exit_is_shown(topo):
    d = create(topo, "xc-b", "echo bye; exit 3")
    try:
        end = time.monotonic() + 5
        while time.monotonic() < end:
            j = {x["dom"]: x for x in topo.ctl_json("list")["domains"]}[d]
            if not j["init"]["running"]:
                break
            time.sleep(0.1)
        assert j["init"] == {"pid": j["init"]["pid"], "running": False,
                             "status": 3}, j
        h = json.loads(topo.tool("xc_dom_control", "--json", "list").stdout)
        assert h
    finally:
        topo.ctl_tool("destroy", d)


def test_console_never_on_the_wire(topo, doms, reader):
    """The datagrams go to dom0 only: a capture on the LAN side sees none
    of them, while the same capture does see a frame a domain sends to
    the LAN (the positive control: domain 3 has a LAN address)."""
    with xn.Sniffer(topo.lan_ns, topo.lan_if) as s:
        d = create(topo, "xc-c", "echo wire-check-marker; sleep 600")
        try:
            assert reader.collect(
                lambda ls: "[%d] wire-check-marker" % d in ls)
            xn.sh("ip", "netns", "exec", doms[2].ns, "python3", "-c",
                  "import socket; s=socket.socket(socket.AF_INET,"
                  "socket.SOCK_DGRAM); s.sendto(b'control-frame', "
                  "('%s', 9))" % topo.lan_ip)
            s.collect(lambda fr: s.has(b"control-frame"), timeout=3)
            assert s.has(b"control-frame"), "the positive control is gone"
            assert not s.has(b"wire-check-marker")
        finally:
            topo.ctl_tool("destroy", d)


def test_flood_does_not_crowd_out_others(topo, reader):
    flood = create(topo, "xc-flood",
                   "i=0; while :; do i=$((i+1)); echo flood $i; done")
    quiet = create(topo, "xc-quiet", "sleep 1; for i in $(seq 1 20); do "
                   "echo quiet $i; sleep 0.05; done; sleep 600")
    try:
        t0 = time.monotonic()
        want = ["[%d] quiet %d" % (quiet, i) for i in range(1, 21)]
        ok = reader.collect(lambda ls: all(w in ls for w in want),
                            timeout=20)
        took = time.monotonic() - t0
        got = [l for l in reader.lines if l.startswith("[%d] " % flood)]
        j = {x["dom"]: x for x in topo.ctl_json("list")["domains"]}
        print("\nflood: %d datagrams read in %.1f s (%.0f/s), %d lines "
              "printed, %d dropped; the quiet domain's 20 lines all there "
              "in %.1f s" % (len(got), took, len(got) / took,
                             j[flood]["console"]["lines"],
                             j[flood]["console"]["dropped"], took))
        assert ok, [l for l in reader.lines if "quiet" in l]
        assert j[flood]["console"]["dropped"] > 0
        assert j[quiet]["console"]["dropped"] == 0
        assert took < 8
    finally:
        topo.ctl_tool("destroy", flood)
        topo.ctl_tool("destroy", quiet)


class Attached:
    """xc_dom_control console DOM, its stdin a pipe (not a tty)."""

    def __init__(self, topo, dom):
        self.proc = subprocess.Popen(
            [os.path.join(xn.BUILD, "xc_dom_control"), "--socket",
             topo.sock, "console", str(dom)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.out = b""

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, marker, timeout=8.0):
        end = time.monotonic() + timeout
        while marker not in self.out and time.monotonic() < end:
            chunk = self.proc.stdout.read()
            if chunk:
                self.out += chunk
            else:
                time.sleep(0.05)
        return marker in self.out


def test_attach_history_input_and_detach(topo):
    d = create(topo, "xc-sh", "echo shell-up\nexec sh -i")
    try:
        a = Attached(topo, d)
        assert a.wait_for(b"shell-up"), a.out          # the history
        a.send(b"echo typed-$((6*7))\n")
        assert a.wait_for(b"typed-42"), a.out          # input, output
        b = Attached(topo, d)
        assert b.wait_for(b"read-only"), b.out         # one holds input
        a.send(b"echo seen-by-both\n")
        assert b.wait_for(b"seen-by-both") and a.wait_for(b"seen-by-both")
        b.send(b"echo from-watcher\n")                 # ignored
        assert b.wait_for(b"keystrokes ignored"), b.out
        a.send(b"\x1d")                                # Ctrl-] detaches
        assert a.proc.wait(5) == 0
        assert b.wait_for(b"you hold the input now"), b.out
        b.send(b"echo watcher-now-types\n")
        assert b.wait_for(b"watcher-now-types\r\n"), b.out
        assert b"from-watcher\r\n" not in b.out.split(b"seen-by-both")[-1]
        b.send(b"\x1d")
        assert b.proc.wait(5) == 0
        h = topo.ctl_tool("console", d, "--history").stdout
        assert "shell-up" in h and "typed-42" in h
    finally:
        topo.ctl_tool("destroy", d)

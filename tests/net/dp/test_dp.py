# SPDX-License-Identifier: GPL-2.0-or-later
"""test_dp.py - the data plane alone: hypervisor/dataplane.c and dom0.c with
the TAP and AF_PACKET back ends (vswitch/port_tap.c, port_afpacket.c),
driven by dp_harness.c instead of the rest of xend.

Run as root:  /usr/bin/python3 -m pytest -q -s tests/net/dp
(BUILD=<build dir> if not ./build; build/libvswitch.a and build/libxend.a
must exist: `make build/libxend.a build/libvswitch.a`.)

"dom0" is a namespace of its own (xdp-RUN-dom0), so the test neither
touches the host's interfaces nor clashes with a real xend's vif0.0. RUN
is a token of this run's (xendnet.run_name()): every namespace and link
name below is this run's alone.

  netns xdp-RUN-a              netns xdp-RUN-b            netns xdp-RUN-lan
  eth0 = TAP vif1.0            eth0 = TAP vif2.0          eth0 (veth)
  aa:00:00:00:00:01            aa:00:00:00:00:02          10.77.0.9/24
  169.254.1.1/16, 10.77.0.1/24 169.254.1.2/16                 |
        |                            |                        |
  +-----|----------------------------|------------------------|------+
  |     | fd                         | fd                     |      |
  |  +--+----------------------------+-------------------+    |      |
  |  |   dp_harness: data-plane thread, VFR switch        +----+      |
  |  |   vif1.0       vif2.0       wire = AF_PACKET on xdp-RUN-wire   |
  |  +------------------+---------------------------------+           |
  |                     | TAP vif0.0 (dom0 port)                      |
  |  netns xdp-RUN-dom0: vif0.0 169.254.1.0/16, xdp-RUN-wire (veth)   |
  +-------------------------------------------------------------------+

The TAPs are made persistent in xdp-RUN-dom0 by the harness, attached, and
then moved into xdp-RUN-a/b and renamed eth0, the way netns domains get
theirs. The module fixture removes the namespaces (and so every link in
them) on the way out, also after a failure, and first clears what aborted
earlier runs left (only runs that are gone: xendnet.run_alive()). The
harness is built into pytest's temp dir for the run.
"""

import json
import os
import re
import select
import signal
import subprocess
import time

import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import xendnet as xn  # noqa: E402  (tests/net/xendnet.py: run names only)

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
HELPER = os.path.join(HERE, "nshelper.py")
PY = "/usr/bin/python3"

PREFIX = "xdp"
NS_DOM0, NS_A, NS_B, NS_LAN = (xn.run_name(PREFIX, n)
                               for n in ("dom0", "a", "b", "lan"))
ALL_NS = (NS_DOM0, NS_A, NS_B, NS_LAN)
DOM0_IP = "169.254.1.0"
MAC = {1: "aa:00:00:00:00:01", 2: "aa:00:00:00:00:02"}
IP = {1: "169.254.1.1", 2: "169.254.1.2"}
NS = {1: NS_A, 2: NS_B}
A_PUB, LAN_IP = "10.77.0.1", "10.77.0.9"
WIRE_IF = xn.run_ifname(PREFIX, "wire")
DUMMY_IF, DUMMY_PEER = (xn.run_ifname(PREFIX, n) for n in ("dm", "dm1"))

LIMIT_BYTES, LIMIT_USECS = 125000, 100000     # 10 Mbit/s
LIMIT_BPS = LIMIT_BYTES * 8 * 1e6 / LIMIT_USECS


def run(cmd, check=True, timeout=30, **kw):
    return subprocess.run(cmd, check=check, timeout=timeout, text=True,
                          capture_output=True, **kw)


def nsx(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def ip(ns, *args):
    return run(["ip", "-n", ns] + list(args))


def ping(ns, dst, count=3, interval=0.2):
    out = run(nsx(ns, PY, HELPER, "ping", dst, str(count), str(interval)))
    return json.loads(out.stdout)


class Harness:
    """dp_harness in NS_DOM0, one command and one answer at a time."""

    def __init__(self, binary, log):
        self.log = open(log, "w")
        self.proc = subprocess.Popen(nsx(NS_DOM0, binary), text=True,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self.log)
        ready = self._line(10)
        assert ready.startswith("ready"), "harness: %r" % ready
        self.dom0_port = int(ready.split()[1])

    def _line(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert r, "dp_harness did not answer"
        return self.proc.stdout.readline().strip()

    def cmd(self, line, timeout=10):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        ans = self._line(timeout)
        assert ans.startswith("ok"), "%s -> %s" % (line, ans)
        return ans[2:].strip()

    def stats(self, who):
        return {k: int(v) for k, v in
                (kv.split("=") for kv in self.cmd("stats %s" % who).split())}

    def addrs(self, who):
        return self.cmd("addrs %s" % who).split()

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def build_harness(outdir):
    libs = [os.path.join(BUILD, "libxend.a"), os.path.join(BUILD, "libvswitch.a")]
    for lib in libs:
        if not os.path.exists(lib):
            pytest.fail("%s missing: make build/libxend.a build/libvswitch.a"
                        % lib)
    # in the run's temp dir: another run may be running its own build
    out = os.path.join(outdir, "dp_harness")
    pkgs = "libnl-3.0 libnl-route-3.0 libpcap json-c liburing libbpf"
    # the Makefile's SAN=1 build goes to build-san/: link it the same way
    san = ("-fsanitize=address,undefined "
           if os.path.basename(BUILD.rstrip("/")) == "build-san" else "")
    cc = ("cc " + san + "-std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE "
          "-I{r}/vswitch -I{r}/hypervisor $(pkg-config --cflags {p}) "
          "-o {o} {r}/tests/net/dp/dp_harness.c {l} "
          "$(pkg-config --libs {p}) -pthread").format(
              r=ROOT, p=pkgs, o=out, l=" ".join(libs))
    res = subprocess.run(cc, shell=True, text=True, capture_output=True)
    assert res.returncode == 0, "cannot build dp_harness:\n" + res.stderr
    return out


def cleanup(nss):
    """Remove the namespaces @nss, killing what still runs in them."""
    for ns in nss:
        if not os.path.exists("/run/netns/" + ns):
            continue
        pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", ns], check=False)


def add_domain(h, dom):
    """A netns domain: TAP made in dom0, attached, moved in as eth0."""
    tap, ns = "vif%d.0" % dom, NS[dom]
    h.cmd("vif %d %s %s %s" % (dom, tap, MAC[dom], IP[dom]))
    ip(NS_DOM0, "link", "set", tap, "netns", ns)
    ip(ns, "link", "set", tap, "name", "eth0")
    ip(ns, "link", "set", "eth0", "address", MAC[dom])
    ip(ns, "addr", "add", IP[dom] + "/16", "dev", "eth0")
    ip(ns, "link", "set", "eth0", "up")


def add_lan(h):
    ip(NS_DOM0, "link", "add", WIRE_IF, "type", "veth", "peer", "name",
       "eth0", "netns", NS_LAN)
    ip(NS_DOM0, "link", "set", WIRE_IF, "up")
    ip(NS_LAN, "addr", "add", LAN_IP + "/24", "dev", "eth0")
    ip(NS_LAN, "link", "set", "eth0", "up")
    h.cmd("wire " + WIRE_IF)
    # domain 1 also has a routable address, reachable over the wire
    ip(NS_A, "addr", "add", A_PUB + "/24", "dev", "eth0")
    h.cmd("addip 1 " + A_PUB)


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    binary = build_harness(str(tmp_path_factory.mktemp("dp_harness")))
    xn.run_claim()
    # what runs that are gone left: namespaces (their links went with them)
    cleanup(xn.leftovers(PREFIX)[0])
    harness = None
    try:
        for ns in ALL_NS:
            run(["ip", "netns", "add", ns])
            ip(ns, "link", "set", "lo", "up")
        log = str(tmp_path_factory.mktemp("dp") / "dp_harness.log")
        harness = Harness(binary, log)
        for dom in (1, 2):
            add_domain(harness, dom)
        add_lan(harness)
        yield harness
    finally:
        if harness:
            harness.stop()
            with open(harness.log.name) as f:
                print("\n--- dp_harness log ---\n" + f.read())
        cleanup(ALL_NS)


def iperf(client_ns, server_ns, server_ip, seconds=3, reverse=False,
          port=5201):
    """TCP from @client_ns to @server_ip (the other way with @reverse);
    returns bits/s the receiver got."""
    srv = subprocess.Popen(nsx(server_ns, "iperf3", "-s", "-1", "-B",
                               server_ip, "-p", str(port)),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            ss = run(nsx(server_ns, "ss", "-ltnH", "sport = :%d" % port))
            if ss.stdout.strip():
                break
            time.sleep(0.1)
        cmd = ["iperf3", "-c", server_ip, "-p", str(port), "-t",
               str(seconds), "-J"] + (["-R"] if reverse else [])
        out = run(nsx(client_ns, *cmd), timeout=seconds + 30)
        return json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"]
    finally:
        srv.kill()
        srv.wait()


def delta(after, before, key):
    return after[key] - before[key]


# Connectivity ------------------------------------------------------------

def test_ping_between_domains(h):
    r = ping(NS_A, IP[2], count=5)
    assert r["recv"] == 5, r
    print("\nping vif1.0 -> vif2.0 rtt ms: %s" %
          " ".join("%.3f" % x for x in r["rtt_ms"]))
    # negative control: an address nobody owns gets no answer
    assert ping(NS_A, "169.254.1.77", count=2)["recv"] == 0


def test_ping_dom0(h):
    r = ping(NS_A, DOM0_IP, count=5)
    assert r["recv"] == 5, r
    print("\nping vif1.0 -> dom0 rtt ms: %s" %
          " ".join("%.3f" % x for x in r["rtt_ms"]))
    assert ping(NS_DOM0, IP[2], count=3)["recv"] == 3


# Anti-spoofing -----------------------------------------------------------

def test_spoofed_mac_dropped_legit_delivered(h):
    before = h.stats(1)
    lst = subprocess.Popen(nsx(NS_B, PY, HELPER, "listen", IP[2], "9999",
                               "4"), text=True, stdout=subprocess.PIPE)
    try:
        assert lst.stdout.readline().strip() == "ready"
        frames = [[MAC[1], MAC[2], IP[1], IP[2], 9999, "legit"],
                  ["aa:00:00:00:00:99", MAC[2], IP[1], IP[2], 9999,
                   "spoofed-mac"],
                  [MAC[1], MAC[2], "169.254.1.50", IP[2], 9999,
                   "spoofed-ip"]]
        run(nsx(NS_A, PY, HELPER, "send", "eth0", json.dumps(frames)))
        got = json.loads(lst.stdout.readline())
    finally:
        lst.kill()
        lst.wait()
    after = h.stats(1)
    assert "legit" in got, got
    assert "spoofed-mac" not in got and "spoofed-ip" not in got, got
    assert delta(after, before, "spoof_mac") == 1
    assert delta(after, before, "spoof_ip") == 1


# GSO and rate limits ----------------------------------------------------

def test_gso_tcp_crosses_whole(h):
    h.cmd("limit 1 0 0")
    before = h.stats(1)
    bps = iperf(NS_A, NS_B, IP[2])
    after = h.stats(1)
    pkts = delta(after, before, "tx_packets")
    avg = delta(after, before, "tx_bytes") / max(pkts, 1)
    print("\niperf3 vif1.0 -> vif2.0 unlimited: %.0f Mbit/s, "
          "%.0f bytes per frame" % (bps / 1e6, avg))
    assert bps > 100e6
    # frames far above the 1500-byte MTU: TSO frames crossed unsegmented
    assert avg > 4000, avg
    assert delta(after, before, "tx_error") == 0


def test_tx_rate_limit(h):
    h.cmd("limit 1 %d %d" % (LIMIT_BYTES, LIMIT_USECS))
    try:
        before = h.stats(1)
        bps = iperf(NS_A, NS_B, IP[2], seconds=4)
        after = h.stats(1)
        print("\niperf3 vif1.0 -> vif2.0 limited to %.0f Mbit/s: %.2f Mbit/s"
              ", %d throttle events" % (LIMIT_BPS / 1e6, bps / 1e6,
                                        delta(after, before, "throttled")))
        assert abs(bps - LIMIT_BPS) <= 0.1 * LIMIT_BPS, bps
        assert delta(after, before, "throttled") > 0
        # back-pressure, not drops: nothing was lost in the switch
        assert delta(after, before, "tx_error") == 0
    finally:
        h.cmd("limit 1 0 0")
    # positive control: lifting the limit gives the speed back at once
    assert iperf(NS_A, NS_B, IP[2], seconds=1) > 5 * LIMIT_BPS


def test_throttled_frames_wait_then_go_when_limit_lifted(h):
    """Back-pressure: frames over the limit wait in the TAP queue (not
    dropped), and lifting the limit releases them at once."""
    n, pad = 30, "x" * 400                  # ~450-byte frames
    h.cmd("limit 1 1000 1000000")           # ~2 frames a second
    lst = subprocess.Popen(nsx(NS_B, PY, HELPER, "listen", IP[2], "9998",
                               "5"), text=True, stdout=subprocess.PIPE)
    try:
        assert lst.stdout.readline().strip() == "ready"
        before = h.stats(1)
        frames = [[MAC[1], MAC[2], IP[1], IP[2], 9998, "f%02d-%s" % (i, pad)]
                  for i in range(n)]
        run(nsx(NS_A, PY, HELPER, "send", "eth0", json.dumps(frames)))
        time.sleep(1.0)
        held = h.stats(1)
        h.cmd("limit 1 0 0")
        got = json.loads(lst.stdout.readline())
    finally:
        h.cmd("limit 1 0 0")
        lst.kill()
        lst.wait()
    assert delta(held, before, "tx_packets") < n / 2, "limit did not hold"
    assert delta(held, before, "throttled") >= 1
    assert [g[:3] for g in got] == ["f%02d" % i for i in range(n)], got


# The wire ----------------------------------------------------------------

def test_wire_ping_and_isolation(h):
    cap = subprocess.Popen(nsx(NS_LAN, "tcpdump", "-n", "-l", "-i", "eth0",
                               "arp or icmp"), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1)
        before = h.stats(1)
        r = ping(NS_A, LAN_IP, count=3)
        assert ping(NS_A, "169.254.1.99", count=2)["recv"] == 0
        assert ping(NS_A, IP[2], count=2)["recv"] == 2
        after = h.stats(1)
        time.sleep(0.5)
    finally:
        cap.send_signal(signal.SIGINT)
        seen = cap.communicate(timeout=10)[0]
    assert r["recv"] == 3, r
    print("\nping vif1.0 -> LAN over the wire rtt ms: %s" %
          " ".join("%.3f" % x for x in r["rtt_ms"]))
    assert LAN_IP in seen            # positive control: the capture works
    assert "169.254" not in seen, seen
    assert delta(after, before, "isolated_to_wire") >= 1


def test_wire_gso_both_ways(h):
    w0 = h.stats("wire")
    out_bps = iperf(NS_A, NS_LAN, LAN_IP)
    w1 = h.stats("wire")
    in_bps = iperf(NS_A, NS_LAN, LAN_IP, reverse=True)
    w2 = h.stats("wire")
    rx_avg = delta(w1, w0, "rx_bytes") / max(delta(w1, w0, "rx_packets"), 1)
    tx_avg = delta(w2, w1, "tx_bytes") / max(delta(w2, w1, "tx_packets"), 1)
    print("\niperf3 over the wire: out %.0f Mbit/s (%.0f B/frame), "
          "in %.0f Mbit/s (%.0f B/frame)" % (out_bps / 1e6, rx_avg,
                                             in_bps / 1e6, tx_avg))
    assert out_bps > 100e6 and in_bps > 100e6
    assert delta(w2, w0, "tx_error") == 0


# Re-attaching and dom0's addresses ---------------------------------------

def test_reattach_tap_in_namespace(h):
    assert ping(NS_A, IP[2], count=2)["recv"] == 2
    h.cmd("reattach 2 %s eth0" % NS_B)
    r = ping(NS_A, IP[2], count=3)
    assert r["recv"] == 3, r
    # the namespace still has exactly one eth0, and no stray TAP appeared
    links = ip(NS_B, "-o", "link", "show").stdout
    assert len(re.findall(r"\beth0\b", links)) == 1, links


def wait_addr(h, addr, present, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (addr in h.addrs(0)) == present:
            return True
        time.sleep(0.1)
    return False


def test_dom0_follows_addresses(h):
    owned = h.addrs(0)
    assert DOM0_IP in owned
    assert "127.0.0.1" not in owned and "::1" not in owned
    # (no dummy driver in this kernel: a veth pair does)
    ip(NS_DOM0, "link", "add", DUMMY_IF, "type", "veth", "peer", "name",
       DUMMY_PEER)
    ip(NS_DOM0, "link", "set", DUMMY_IF, "up")
    ip(NS_DOM0, "addr", "add", "10.88.0.1/24", "dev", DUMMY_IF)
    ip(NS_DOM0, "addr", "add", "fd00:88::1/64", "dev", DUMMY_IF, "nodad")
    assert wait_addr(h, "10.88.0.1", True)
    assert wait_addr(h, "fd00:88::1", True)
    ip(NS_DOM0, "addr", "del", "10.88.0.1/24", "dev", DUMMY_IF)
    assert wait_addr(h, "10.88.0.1", False)
    ip(NS_DOM0, "link", "del", DUMMY_IF)
    assert wait_addr(h, "fd00:88::1", False)

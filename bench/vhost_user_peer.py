#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vhost_user_peer.py - one vhost-user throughput measurement for
bench/vhost-user.sh: two DPDK virtio-user front ends joined by a back end,
either DPDK's vhost PMD (the peer) or xend's switch.

  vhost_user_peer.py --backend peer --dir DIR --size 64 [--seconds 5]
  vhost_user_peer.py --backend xend --dir DIR --size 64 --socket XEND_SOCK

prints one line:  RESULT <Mpps> <Gbit/s> <frames> <seconds> <other%>

other%: CPU time the rest of the machine used meanwhile, in percent of
both CPUs (anything above a few percent makes the figure worthless).

The arrangement (the same for both back ends, so the ratio is fair):

  CPU 0: ONE front-end testpmd, one forwarding thread, two virtio-user
         ports (vhost-user servers): P0 aa:00:00:00:00:11 on SOCK0,
         P1 aa:00:00:00:00:12 on SOCK1; forward mode io, P1 -> P0
  CPU 1: the back end, a vhost-user client of SOCK0 and SOCK1:
           peer: testpmd, vhost PMD ports 0 and 1, forward mode io
           xend: `taskset -c 1 xend`, two domains of builder external
                 (vu1: aa:00:00:00:00:11 198.18.0.1 on SOCK0,
                  vu2: aa:00:00:00:00:12 198.18.0.2 on SOCK1)

Frames go P0 -> back end -> P1 and the front end sends what P1 received
out of P0 again, unchanged: a closed loop that crosses the back end in one
direction only, with frames that pass xend's anti-spoofing (source MAC and
IPv4 source of vu1, destination MAC of vu2). The loop is filled by
`start tx_first` (testpmd's txonly generator: UDP, 198.18.0.1 ->
198.18.0.2, --txpkts=SIZE) with only P0 forwarding, so nothing is ever
sent from P1; the frames wait in P1's receive ring until P1 forwards too.
The population is then the receive ring (queue size) and whichever stage
is slowest always has a full queue in front of it. Measured: P1's
RX-packets and RX-bytes over --seconds (after a second of warm-up).

Why not a txonly testpmd and an rxonly testpmd: with two cores, they
would share CPU 0 and each run only half of the time; the receiver's ring
(256 frames) overflows in microseconds while it is descheduled, and the
figure measures the scheduler. testpmd's forward mode is global, and the
only mode that both generates and receives (flowgen) has fixed addresses
(10.254.0.0, 00:01:02:03:04:00) and transmits on every port.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "net", "vhost"))
import testpmd as tp  # noqa: E402

MAC0, MAC1 = "aa:00:00:00:00:11", "aa:00:00:00:00:12"
IP0, IP1 = "198.18.0.1", "198.18.0.2"
FRONT_CPU, BACK_CPU = 0, 1

DOM_CFG = """builder = "external"
name    = "%(name)s"
ip      = "%(ip)s"
vif     = [ "mac=%(mac)s, backend=vhost-user, socket=%(sock)s" ]
"""


def front_end(d, size, qs, mem_mb=256, mbufs=16384):
    s0, s1 = os.path.join(d, "vu1.sock"), os.path.join(d, "vu2.sock")
    fe = tp.TestPmd(
        "front", d,
        [tp.virtio_user(0, s0, MAC0, queue_size=qs),
         tp.virtio_user(1, s1, MAC1, queue_size=qs)],
        cpu=FRONT_CPU, mem_mb=mem_mb, mbufs=mbufs,
        app_args=["--forward-mode=io", "--port-topology=chained",
                  "--no-flush-rx", "--rxd=%d" % qs, "--txd=%d" % qs,
                  "--eth-peer=0,%s" % MAC1, "--eth-peer=1,%s" % MAC0,
                  "--tx-ip=%s,%s" % (IP0, IP1), "--txpkts=%d" % size],
        unlink=[s0, s1])
    return fe, s0, s1


class Xend:
    """Two external domains on a running xend (its control socket)."""

    def __init__(self, build, sock, d):
        self.build, self.sock, self.d = build, sock, d
        self.doms = []

    def tool(self, *args, check=True):
        env = dict(os.environ, XENO_SOCKET=self.sock)
        return subprocess.run([os.path.join(self.build, args[0])] +
                              [str(a) for a in args[1:]], env=env,
                              capture_output=True, text=True, check=check,
                              timeout=30)

    def create(self, name, ip, mac, sock):
        cfg = os.path.join(self.d, name + ".cfg")
        with open(cfg, "w") as f:
            f.write(DOM_CFG % dict(name=name, ip=ip, mac=mac, sock=sock))
        r = self.tool("xc_dom_create", "--json", "-f", cfg)
        self.doms.append(int(json.loads(r.stdout)["dom"]))

    def stats(self):
        out = []
        for dom in self.doms:
            r = self.tool("xc_dom_control", "--json", "vif_stats", dom, 0,
                          check=False)
            out.append("dom %d: %s" % (dom, (r.stdout or r.stderr).strip()))
        return "\n".join(out)

    def destroy(self):
        for dom in self.doms:
            self.tool("xc_dom_control", "destroy", dom, check=False)
        self.doms = []


def _busy_ticks():
    """Busy clock ticks of the whole machine (all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]         # minus idle and iowait


def _proc_ticks(pids):
    """utime + stime of @pids (every thread of each)."""
    t = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
            t += int(st[11]) + int(st[12])
        except (OSError, IndexError):
            pass
    return t


def measure(fe, seconds, pids):
    """Fill the loop from P0 alone, then forward P1 -> P0; returns
    (frames, bytes, seconds) received on P1 and the share of both CPUs
    that processes other than @pids used meanwhile (percent)."""
    fe.cmd("set portlist 0")
    fe.cmd("start tx_first 32")
    time.sleep(0.5)
    fe.cmd("stop")
    fe.cmd("set portlist 0,1")
    fe.cmd("start")
    time.sleep(1.0)
    busy0, mine0 = _busy_ticks(), _proc_ticks(pids)
    a, t0 = fe.port_stats(1), time.monotonic()
    time.sleep(seconds)
    b, t1 = fe.port_stats(1), time.monotonic()
    busy1, mine1 = _busy_ticks(), _proc_ticks(pids)
    fe.cmd("stop")
    hz = os.sysconf("SC_CLK_TCK")
    other = ((busy1 - busy0) - (mine1 - mine0)) / hz / (t1 - t0) / \
        os.cpu_count() * 100
    return (b["rx_packets"] - a["rx_packets"], b["rx_bytes"] - a["rx_bytes"],
            t1 - t0, max(other, 0.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=("peer", "xend"), required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--queue-size", type=int, default=256)
    ap.add_argument("--socket", help="xend's control socket")
    ap.add_argument("--xend-pid", type=int, help="xend's PID (CPU use)")
    ap.add_argument("--build", default=os.environ.get("BUILD") or
                    os.path.join(HERE, "..", "build"))
    a = ap.parse_args()
    d = os.path.join(a.dir, "%s-%d" % (a.backend, a.size))
    os.makedirs(d, exist_ok=True)

    fe, s0, s1 = front_end(d, a.size, a.queue_size)
    back = x = None
    try:
        fe.start()
        tp.wait_path(s0, fe)
        if a.backend == "peer":
            back = tp.TestPmd(
                "peer", d, [tp.vhost_pmd(0, s0), tp.vhost_pmd(1, s1)],
                cpu=BACK_CPU, mem_mb=256, mbufs=16384,
                app_args=["--forward-mode=io", "--auto-start"])
            back.start()
        else:
            x = Xend(a.build, a.socket, d)
            x.create("vu1", IP0, MAC0, s0)
            x.create("vu2", IP1, MAC1, s1)
        fe.wait_ready(60)
        if back:
            back.wait_ready(60)
        pids = [fe.pid] + ([back.pid] if back else []) + \
            ([a.xend_pid] if a.xend_pid else [])
        frames, nbytes, dt, other = measure(fe, a.seconds, pids)
        if frames == 0:
            sys.stderr.write("vhost_user_peer: %s: no frame received\n%s\n"
                             % (a.backend, x.stats() if x else
                                back.log_tail()))
            return 1
        print("RESULT %.3f %.3f %d %.2f %.1f" % (
            frames / dt / 1e6, nbytes * 8 / dt / 1e9, frames, dt, other))
        if x and os.environ.get("VHOST_BENCH_DEBUG"):
            sys.stderr.write(x.stats() + "\n")
        return 0
    except tp.TestPmdError as e:
        sys.stderr.write("vhost_user_peer: %s\n" % e)
        if x:
            sys.stderr.write(x.stats() + "\n")
        return 1
    finally:
        fe.stop()
        if back:
            back.stop()
        if x:
            x.destroy()


if __name__ == "__main__":
    sys.exit(main())

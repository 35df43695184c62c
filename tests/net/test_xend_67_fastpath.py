# SPDX-License-Identifier: GPL-2.0-or-later
"""The kernel fast path (xend --fastpath, docs/architecture.md): flows the
switch judged go from one netns domain to another inside the kernel, and
no frame the switch would judge differently ever takes them.

   xeno-domA                 dom0 (this module's xend)               xeno-domB
   eth0 ==veth== xvA.0v --tc: flow? --------------------------> xvB.0v ==veth== eth0
                   |          no: out of TAP xvA.0                   ^
                   v                                                 |
              [TAP xvA.0] --xend reads--> switch --writes--> [TAP xvB.0] --tc-->
                              (the first frame of a flow installs it)

The TAP's tx_packets in dom0 counts the frames that went to xend: a flow
in the kernel leaves it still (the positive control is the first frame
of each flow, which does reach xend). Each negative check (a spoofed,
malformed or DHCP frame that matches an installed flow is not delivered)
stands beside the same frame made legitimate, which is. A module's own
xend; only it is killed, by its PID."""

import json
import os
import signal
import socket
import subprocess
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

import xendnet as xn

PREFIX = "xf"


class FastXend(xn.OwnXend):
    def doms_json(self):
        return {d["dom"]: d for d in self.json("list")["domains"]
                if d["dom"] != 0}

    def restart(self, args):
        assert self.kill() == 0
        self.args = ["--dom0", self.dom0_if] + list(args)
        self.start()


def _fx():
    return xn.own_xend(PREFIX, ("xf-a", "xf-b"), args=["--fastpath", "on"],
                       cls=FastXend)


def tap_tx(dom, vif=0):
    """Frames dom0's TAP of @dom's vif passed to xend (its tx_packets)."""
    out = xn.sh("ip", "-j", "-s", "link", "show", "dev",
                "xv%d.%d" % (dom["id"], vif)).stdout
    return json.loads(out)[0]["stats64"]["tx"]["packets"]


def eth_rx(dom):
    out = xn.sh("cat", "/sys/class/net/eth0/statistics/rx_packets",
                ns=dom["ns"]).stdout
    return int(out)


def rx_pair(x, dom):
    """(vif_stats rx_packets, eth0 rx_packets) of @dom read while nothing
    arrives: a frame between the two reads (an ND, an ARP) would count on
    one side only."""
    for _ in range(50):
        v1 = x.vif_stats(dom)["rx_packets"]
        e = eth_rx(dom)
        if x.vif_stats(dom)["rx_packets"] == v1:
            return v1, e
    raise AssertionError("%s never quiet" % dom["name"])


def driver(dom):
    return xn.sh("ethtool", "-i", "eth0", ns=dom["ns"]).stdout.split()[1]


def send_udp(src, dst, n, sport=4000, dport=4001, payload=b"x" * 32):
    s = xn.ns_socket(src["ns"], socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((src["ip"], sport))
        for _ in range(n):
            s.sendto(payload, (dst["ip"], dport))
    finally:
        s.close()


def flow_up(x, a, b):
    """A UDP flow a -> b through the switch once, so its key is in the
    kernel; waits until frames stop reaching xend."""
    xn.ping(a["ns"], b["ip"], need=2)
    send_udp(a, b, 3)
    time.sleep(0.1)
    assert x.json("switch_stats")["fastpath_flows"] >= 1


def frame(a, b, src_ip=None, tag=b"", sport=4000, dport=4001):
    return (Ether(src=a["mac"], dst=b["mac"]) /
            IP(src=src_ip or a["ip"], dst=b["ip"]) /
            UDP(sport=sport, dport=dport) / tag)


def delivered(a, b, frames, marker):
    """Send @frames from @a's eth0; did @marker reach @b's eth0?"""
    with xn.Sniffer(b["ns"], "eth0") as sn:
        xn.sendp(a["ns"], "eth0", frames)
        sn.collect(until=lambda fs: any(marker in f for f in fs),
                   timeout=1.0)
        return sn.has(marker)


def test_layout_and_flow_in_kernel():
    with _fx() as x:
        a, b = x.doms
        assert driver(a) == "veth"
        assert xn.link_exists("xv%d.0v" % a["id"])
        assert x.json("switch_stats")["fastpath"] is True
        assert x.vif_stats(a)["fastpath"] is True
        flow_up(x, a, b)

        n = 2000
        sw0, taps0, va0 = x.json("switch_stats"), tap_tx(a), x.vif_stats(a)
        vb0, rx0 = rx_pair(x, b)
        send_udp(a, b, n)
        time.sleep(0.3)
        sw1, taps1, va1 = x.json("switch_stats"), tap_tx(a), x.vif_stats(a)
        vb1, rx1 = rx_pair(x, b)
        print("\n%d datagrams a -> b: %d reached xend, b's eth0 got %d, "
              "%d flows" % (n, taps1 - taps0, rx1 - rx0,
                            sw1["fastpath_flows"]))
        # in the kernel: (almost) nothing went to xend ...
        assert taps1 - taps0 < n // 20
        # ... all of it arrived, and the switch's counters say so
        assert n <= rx1 - rx0 <= n + 10
        assert va1["tx_packets"] - va0["tx_packets"] >= n
        assert vb1 - vb0 == rx1 - rx0
        drops = sum(sw1["drops"].values())
        assert sw1["in_frames"] == sw1["delivered"] + drops
        assert sw1["in_frames"] - sw0["in_frames"] >= n

        # positive control: with the flows gone (a limit on a), the same
        # datagrams go through xend, every one
        x.ctl("vif_setsched", a["id"], 0, 100000000, 1000)
        try:
            assert x.json("switch_stats")["fastpath_flows"] == 0
            t0 = tap_tx(a)
            send_udp(a, b, 200)
            time.sleep(0.3)
            assert tap_tx(a) - t0 >= 200
        finally:
            x.ctl("vif_setsched", a["id"], 0, 0, 0)


def test_policy_holds_on_installed_flows():
    with _fx() as x:
        a, b = x.doms
        flow_up(x, a, b)
        st0 = x.vif_stats(a)

        # spoofed source address: dropped (positive control: the same
        # frame with a's own address, which matches the flow, arrives)
        m = xn.marker("spoof")
        assert not delivered(a, b, frame(a, b, "169.254.7.7", m), m)
        m = xn.marker("legit")
        assert delivered(a, b, frame(a, b, tag=m), m)

        # a malformed frame with the flow's key: its IP length runs past
        # the frame
        m = xn.marker("short")
        f = bytearray(bytes(frame(a, b, tag=m)))
        f[16:18] = (len(f) - 14 + 40).to_bytes(2, "big")
        assert not delivered(a, b, bytes(f), m)

        # a DHCP server message between the same addresses
        m = xn.marker("dhcp")
        assert not delivered(a, b, frame(a, b, tag=m, sport=67, dport=68),
                             m)
        m = xn.marker("legit2")
        assert delivered(a, b, frame(a, b, tag=m), m)

        st1 = x.vif_stats(a)
        assert st1["drops"]["spoof_ip"] - st0["drops"]["spoof_ip"] == 1
        assert st1["drops"]["malformed"] - st0["drops"]["malformed"] == 1
        assert st1["drops"]["dhcp_guard"] - st0["drops"]["dhcp_guard"] == 1


def test_changes_empty_the_flow_table():
    with _fx() as x:
        a, b = x.doms
        extra = "169.254.77.%d" % a["id"]
        x.ctl("vif_addip", a["id"], 0, extra)
        m = xn.marker("extra")
        assert delivered(a, b, frame(a, b, extra, m), m)
        m = xn.marker("extra2")       # now through the kernel's flow
        assert delivered(a, b, frame(a, b, extra, m), m)
        assert x.json("switch_stats")["fastpath_flows"] >= 1

        x.ctl("vif_delip", a["id"], 0, extra)
        assert x.json("switch_stats")["fastpath_flows"] == 0
        m = xn.marker("gone")
        assert not delivered(a, b, frame(a, b, extra, m), m)
        assert x.vif_stats(a)["drops"]["spoof_ip"] >= 1

        # a capture on b sees a flow's frames: the switch carries them
        flow_up(x, a, b)
        path = os.path.join(x.tmp, "b.pcapng")
        cap = subprocess.Popen(
            [os.path.join(xn.BUILD, "xc_dom_control"), "vif_capture",
             str(b["id"]), "0", path], env=dict(os.environ,
                                                 XENO_SOCKET=x.sock))
        try:
            deadline = time.monotonic() + 5
            while x.vif_stats(b).get("captures") is None and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            assert x.json("switch_stats")["fastpath_flows"] == 0
            m = xn.marker("cap")
            assert delivered(a, b, frame(a, b, tag=m), m)
            time.sleep(0.3)
        finally:
            cap.send_signal(signal.SIGINT)
            cap.wait(10)
        with open(path, "rb") as f:
            assert m in f.read()


def test_flow_installs_are_bounded_per_vif():
    """A domain that sends to ever new addresses makes a flow of every
    frame: xend installs at most 1000 a second for it (fastpath.c,
    OFFER_BUDGET); the rest take the switch, and still arrive."""
    with _fx() as x:
        a, b = x.doms
        flow_up(x, a, b)
        n = 4000
        frames = [bytes(Ether(src=a["mac"], dst=b["mac"]) /
                        IP(src=a["ip"], dst="10.%d.%d.%d" % (200 + i // 65536,
                                                            i // 256 % 256,
                                                            i % 256)) /
                        UDP(sport=5000, dport=5001) / b"scan")
                  for i in range(n)]
        rx0 = x.vif_stats(b)["rx_packets"]
        t0 = time.monotonic()
        for i in range(0, n, 100):       # paced: no queue overflows
            xn.sendp(a["ns"], "eth0", frames[i:i + 100])
            time.sleep(0.01)
        took = time.monotonic() - t0
        time.sleep(0.3)
        flows = x.json("switch_stats")["fastpath_flows"]
        got = x.vif_stats(b)["rx_packets"] - rx0
        print("\n%d new flows in %.2f s: %d installed, %d delivered"
              % (n, took, flows, got))
        assert got >= n                  # every frame still delivered
        assert flows >= 500              # positive control: installs work
        windows = int(took) + 2          # one-second windows it touched
        assert flows <= min(n, 1000 * windows) + 10, flows
        if took < 0.9:
            assert flows <= 2010


def test_restart_keeps_each_vifs_layout():
    """A restarted xend adopts fast-path vifs as they are, and a domain
    made without the fast path keeps its TAP; the two still talk."""
    with _fx() as x:
        a, b = x.doms
        x.restart(["--fastpath", "off"])
        c = x.create("xf-c")
        assert driver(c) == "tun"
        assert x.vif_stats(c)["fastpath"] is False
        assert xn.ping(a["ns"], b["ip"], need=2) == 2   # a, b adopted
        assert xn.ping(c["ns"], a["ip"], need=2) == 2
        assert x.vif_stats(a)["fastpath"] is True

        x.restart(["--fastpath", "on"])
        assert driver(c) == "tun" and driver(a) == "veth"
        assert xn.ping(c["ns"], b["ip"], need=2) == 2
        flow_up(x, a, b)
        t0 = tap_tx(a)
        send_udp(a, b, 500)
        time.sleep(0.2)
        assert tap_tx(a) - t0 < 50
        st = x.doms_json()
        assert all(v["state"] == "up" for d in st.values()
                   for v in d["vifs"])


def test_bad_option_is_refused():
    for bad in ("yes", "", "ON"):
        r = subprocess.run([os.path.join(xn.BUILD, "xend"), "--foreground",
                            "--fastpath", bad], capture_output=True,
                           text=True)
        assert r.returncode == 1 and "bad --fastpath" in r.stderr, r.stderr
    r = subprocess.run([os.path.join(xn.BUILD, "xend"), "--foreground"],
                       capture_output=True, text=True,
                       env=dict(os.environ, XEND_FASTPATH="1"))
    assert r.returncode == 1 and "bad XEND_FASTPATH" in r.stderr, r.stderr

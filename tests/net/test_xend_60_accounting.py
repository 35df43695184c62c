# SPDX-License-Identifier: GPL-2.0-or-later
"""Accounting invariant (DESIGN.md §4, §6): after a mixed run, every frame
the switch took in was either delivered or dropped with one reason:
switch_stats in_frames == delivered + sum(drops). Topology: conftest.py."""

import time

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import ICMPv6ND_RA, IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether

import xendnet as xn

BCAST = "ff:ff:ff:ff:ff:ff"


def _check(st):
    drops = sum(st["drops"].values())
    assert st["in_frames"] == st["delivered"] + drops, (
        "in_frames %d != delivered %d + drops %d (%r)"
        % (st["in_frames"], st["delivered"], drops, st["drops"]))


def test_counters_add_up(topo, doms):
    d1, d2, d3 = doms
    st0 = topo.switch_stats()
    _check(st0)
    # a mixed run: unicast, broadcast, multicast, ARP, the wire, dom0,
    # every kind of drop the domains can cause, a rate-limited burst
    topo.ctl_tool("vif_setsched", d2.id, 0, 20000, 100000)
    try:
        for a, b in ((d1, d2), (d2, d3), (d3, d1)):
            xn.ping(a.ns, b.ip, need=3)
        xn.ping(d3.ns, topo.lan_ip, need=3)
        xn.ping(None, d1.ip, need=3)
        xn.ping(d1.ns, "169.254.1.77", need=1, timeout=0.6)
        junk = [
            Ether(src="aa:00:00:de:ad:01", dst=d2.mac) / IP(src=d1.ip) /
            UDP(),
            Ether(src=d1.mac, dst=d2.mac, type=0x88b5) / (b"x" * 40),
            Ether(src=d1.mac, dst=d2.mac) / Dot1Q(vlan=5) /
            IP(src=d1.ip, dst=d2.ip) / UDP(),
            Ether(src=d1.mac, dst=d2.mac, type=0x0800) / b"\x45\x00",
            Ether(src=d1.mac, dst=BCAST) /
            ARP(hwsrc=d1.mac, psrc=d3.ip, pdst=d2.ip),
            Ether(src=d1.mac, dst=d2.mac) / IP(src="10.1.2.3", dst=d2.ip) /
            UDP(),
            Ether(src=d1.mac, dst="33:33:00:00:00:01") /
            IPv6(src=d1.ll6, dst="ff02::1", hlim=255) / ICMPv6ND_RA(),
            Ether(src=d1.mac, dst=BCAST) /
            IP(src=d1.ip, dst="169.254.255.255") / UDP(dport=9) / b"b",
            Ether(src=d1.mac, dst=topo.lan_mac) /
            IP(src=d1.ip, dst=topo.lan_ip) / UDP(dport=9),
            Ether(src=d1.mac, dst=BCAST) /
            IP(src=d1.ip, dst="255.255.255.255") /
            UDP(sport=67, dport=68) / b"offer",
        ]
        xn.sendp(d1.ns, "eth0", junk * 5)
        xn.sendp(topo.lan_ns, topo.lan_if, [
            Ether(src=topo.lan_mac, dst=BCAST) /
            IP(src="169.254.3.3", dst="169.254.255.255") / UDP(dport=9),
            Ether(src=d1.mac, dst=BCAST) /
            IP(src=topo.lan_ip, dst="10.99.0.255") / UDP(dport=9),
        ] * 5)
        burst = [Ether(src=d2.mac, dst=d1.mac) / IP(src=d2.ip, dst=d1.ip) /
                 UDP(dport=9) / (b"r" * 1400)] * 60
        xn.sendp(d2.ns, "eth0", burst)
        time.sleep(1.0)
    finally:
        topo.ctl_tool("vif_setsched", d2.id, 0, 0, 0)
    time.sleep(0.5)
    st1 = topo.switch_stats()
    print("\nswitch_stats: in_frames %d delivered %d drops %r"
          % (st1["in_frames"], st1["delivered"],
             {k: v for k, v in st1["drops"].items() if v}))
    _check(st1)
    assert st1["in_frames"] - st0["in_frames"] >= len(junk) * 5 + 70
    reasons = ("spoof_mac", "bad_ethertype", "malformed", "spoof_arp",
               "spoof_ip", "ra_guard", "dhcp_guard", "isolated_from_wire",
               "isolated_to_wire")
    grew = [k for k in reasons if st1["drops"][k] > st0["drops"][k]]
    assert len(grew) == len(reasons), "these reasons did not count: %s" % \
        sorted(set(reasons) - set(grew))
    # per vif: every frame taken from a vif passed its policy or was
    # dropped there
    for d in doms:
        s = topo.vif_stats(d)
        assert s["in_packets"] >= s["tx_packets"]

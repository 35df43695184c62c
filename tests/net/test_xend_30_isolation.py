# SPDX-License-Identifier: GPL-2.0-or-later
"""Link-local isolation (DESIGN.md §4): nothing with a 169.254 address,
and no link-local ARP, ever reaches the wire -- from a domain or from
dom0 -- while non-link-local traffic sent in the same run does; and the
wire cannot inject link-local frames. Topology: conftest.py."""

import ipaddress
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP, Ether

import xendnet as xn

BCAST = "ff:ff:ff:ff:ff:ff"
LL = ipaddress.ip_network("169.254.0.0/16")


def _is_ll(a):
    try:
        return ipaddress.ip_address(a) in LL
    except ValueError:
        return False


def _link_local_frames(pkts):
    bad = []
    for p in pkts:
        if IP in p and (_is_ll(p[IP].src) or _is_ll(p[IP].dst)):
            bad.append(p)
        elif ARP in p and (_is_ll(p[ARP].psrc) or _is_ll(p[ARP].pdst)):
            bad.append(p)
    return bad


def test_no_link_local_on_wire(topo, doms):
    d1, d2, d3 = doms
    pcap = topo.path("lan-isolation.pcap")
    m_dom = xn.marker("lan-from-domain")
    m_dom0 = xn.marker("lan-from-dom0")
    before = topo.vif_stats(d3)
    with xn.Tcpdump(topo.lan_ns, topo.lan_if, pcap) as td:
        # --- link-local traffic that must stay off the wire ---
        # from domains: pings of an unowned link-local address (the
        # kernel ARPs for it), an arping, frames addressed straight to the
        # LAN host's MAC with a link-local source or destination, a
        # link-local broadcast.
        xn.ping(d1.ns, "169.254.1.77", need=1, timeout=1.0)
        xn.ping(d3.ns, "169.254.200.1", need=1, timeout=1.0)
        xn.sendp(d3.ns, "eth0", [
            Ether(src=d3.mac, dst=BCAST) /
            ARP(op=1, hwsrc=d3.mac, psrc=d3.ip, pdst="169.254.1.88"),
            Ether(src=d3.mac, dst=BCAST) /
            ARP(op=1, hwsrc=d3.mac, psrc=d3.public_ip, pdst="169.254.1.89"),
            Ether(src=d3.mac, dst=BCAST) /
            ARP(op=1, hwsrc=d3.mac, psrc=d3.ip, pdst=topo.lan_ip),
            Ether(src=d3.mac, dst=topo.lan_mac) /
            IP(src=d3.ip, dst=topo.lan_ip) / UDP(dport=9) / b"ll-src",
            Ether(src=d3.mac, dst=topo.lan_mac) /
            IP(src=d3.public_ip, dst="169.254.1.99") / UDP(dport=9) /
            b"ll-dst",
            Ether(src=d3.mac, dst=BCAST) /
            IP(src=d3.ip, dst="169.254.255.255") / UDP(dport=9) /
            b"ll-bcast",
        ])
        # from dom0: its kernel pings and ARPs for an unowned link-local
        # address through its TAP; scapy on that TAP for the rest.
        xn.ping(None, "169.254.1.78", need=1, timeout=1.0)
        xn.sendp(None, topo.dom0_if, [
            Ether(src=topo.dom0_mac, dst=BCAST) /
            ARP(op=1, hwsrc=topo.dom0_mac, psrc=topo.dom0_ip,
                pdst="169.254.1.90"),
            Ether(src=topo.dom0_mac, dst=BCAST) /
            ARP(op=2, hwsrc=topo.dom0_mac, psrc=topo.dom0_ip,
                hwdst=BCAST, pdst=topo.dom0_ip),  # gratuitous
            Ether(src=topo.dom0_mac, dst=topo.lan_mac) /
            IP(src=topo.dom0_ip, dst=topo.lan_ip) / UDP(dport=9) /
            b"dom0-ll-src",
        ])
        # --- non-link-local traffic in the same run, which must arrive ---
        assert xn.ping(d3.ns, topo.lan_ip, need=2) == 2
        xn.sendp(d3.ns, "eth0", Ether(src=d3.mac, dst=topo.lan_mac) /
                 IP(src=d3.public_ip, dst=topo.lan_ip) / UDP(dport=9) /
                 m_dom)
        xn.sendp(None, topo.dom0_if, Ether(src=topo.dom0_mac,
                                           dst=topo.lan_mac) /
                 IP(src="10.99.0.50", dst=topo.lan_ip) / UDP(dport=9) /
                 m_dom0)
        time.sleep(0.5)
    pkts = td.packets()
    after = topo.vif_stats(d3)
    raw = [bytes(p) for p in pkts]
    print("\nLAN side saw %d frames; domain %d drops[isolated_to_wire] +%d"
          % (len(pkts), d3.id, after["drops"]["isolated_to_wire"] -
             before["drops"]["isolated_to_wire"]))
    # positive controls
    assert any(m_dom in r for r in raw), "domain's LAN frame not on the wire"
    assert any(m_dom0 in r for r in raw), "dom0's LAN frame not on the wire"
    assert any(IP in p and p[IP].src == d3.public_ip and
               p[IP].dst == topo.lan_ip and p[IP].proto == 1 for p in pkts)
    # the negative check
    leaked = _link_local_frames(pkts)
    assert not leaked, "link-local frames on the wire:\n" + "\n".join(
        p.summary() for p in leaked)
    # isolated frames of domain 3 addressed to the wire only were counted
    # (the ARPs for unowned link-local targets, the two unicast frames).
    assert (after["drops"]["isolated_to_wire"] -
            before["drops"]["isolated_to_wire"]) >= 5


def test_wire_cannot_inject_link_local(topo, doms):
    d1 = doms[0]
    m_ok = xn.marker("from-lan")
    m_ll = xn.marker("from-lan-ll")
    before = topo.switch_stats()["drops"]["isolated_from_wire"]
    with xn.Sniffer(d1.ns, "eth0") as s:
        frames = [
            Ether(src=topo.lan_mac, dst=BCAST) /
            IP(src="169.254.9.9", dst="169.254.255.255") / UDP(dport=9) /
            m_ll,
            Ether(src=topo.lan_mac, dst=d1.mac) /
            IP(src="169.254.9.9", dst=d1.ip) / UDP(dport=9) / m_ll,
            Ether(src=topo.lan_mac, dst=BCAST) /
            ARP(op=1, hwsrc=topo.lan_mac, psrc="169.254.9.9", pdst=d1.ip),
        ]
        xn.sendp(topo.lan_ns, topo.lan_if, frames)
        for _ in range(3):
            xn.sendp(topo.lan_ns, topo.lan_if,
                     Ether(src=topo.lan_mac, dst=BCAST) /
                     IP(src=topo.lan_ip, dst="10.99.0.255") / UDP(dport=9) /
                     m_ok)
            if s.collect(lambda fr: s.has(m_ok), timeout=2.0)[1]:
                break
        assert s.has(m_ok), "positive control: LAN broadcast did not arrive"
        assert not s.has(m_ll), "link-local frame from the wire arrived"
        assert not [f for f in s.frames
                    if ARP in Ether(f) and Ether(f)[ARP].psrc == "169.254.9.9"]
    after = topo.switch_stats()["drops"]["isolated_from_wire"]
    assert after - before >= 3

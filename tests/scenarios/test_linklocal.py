# SPDX-License-Identifier: GPL-2.0-or-later
"""test_linklocal.py - the seed's fix: no link-local ARP ever on the wire.

     dom0 169.254.1.0 ──┐
          192.168.0.1   │
                        ├── VFR ── wire (out.pcap must hold no 169.254/16)
     vif1 169.254.1.1 ──┤
          10.0.0.5      │
     vif2 169.254.1.2 ──┘
"""

import ipaddress

from scapy.all import ARP, IP, UDP, Ether, Raw

from conftest import BCAST, DOM0_MAC, GW_MAC, V1_MAC, V2_MAC, timed

SCENARIO = f"""\
# the seed's case, with a wire attached
port dom0 kind=dom0 mac={DOM0_MAC} ip=169.254.1.0,192.168.0.1 in=dom0.pcap
port wire kind=wire
port vif1 kind=vif dom=1 vif=0 mac={V1_MAC} ip=169.254.1.1,10.0.0.5 in=vif1.pcap
port vif2 kind=vif dom=2 vif=0 mac={V2_MAC} ip=169.254.1.2
"""

LL = ipaddress.ip_network("169.254.0.0/16")


def arp_req(mac, spa, tpa):
    return Ether(src=mac, dst=BCAST) / ARP(op=1, hwsrc=mac, psrc=spa, pdst=tpa)


def link_local(p):
    """Does frame @p carry a link-local address in ARP or IPv4?"""
    addrs = []
    if ARP in p:
        addrs = [p[ARP].psrc, p[ARP].pdst]
    elif IP in p:
        addrs = [p[IP].src, p[IP].dst]
    return any(ipaddress.ip_address(a) in LL for a in addrs)


def inputs():
    dom0 = timed([
        arp_req(DOM0_MAC, "169.254.1.0", "169.254.1.77"),  # unowned LL
        arp_req(DOM0_MAC, "169.254.1.0", "169.254.1.1"),   # vif1's
        arp_req(DOM0_MAC, "192.168.0.1", "192.168.0.99"),  # not LL: wire
    ], start=1000.0)
    vif1 = timed([
        arp_req(V1_MAC, "169.254.1.1", "169.254.1.99"),    # unowned LL
        arp_req(V1_MAC, "169.254.1.1", "169.254.1.1"),     # gratuitous LL
        arp_req(V1_MAC, "169.254.1.1", "169.254.1.0"),     # dom0's
        arp_req(V1_MAC, "10.0.0.5", "10.0.0.1"),           # not LL: wire
        Ether(src=V1_MAC, dst=GW_MAC) / IP(src="10.0.0.5", dst="192.0.2.1")
        / UDP(sport=1234, dport=53) / Raw(b"query"),       # not LL: wire
        Ether(src=V1_MAC, dst=GW_MAC) / IP(src="169.254.1.1", dst="192.0.2.1")
        / UDP(sport=1234, dport=53),                       # LL src: dropped
    ], start=1000.0005)
    return {"dom0.pcap": dom0, "vif1.pcap": vif1}


def test_no_link_local_arp_on_wire(run):
    res = run(SCENARIO, inputs())
    wire = res.out("wire")

    # Negative: nothing link-local on the wire, from dom0 or a domain.
    assert [p.summary() for p in wire if link_local(p)] == []

    # Positive control: the non-link-local ARPs and the IPv4 frame made it.
    arps = sorted((p[ARP].psrc, p[ARP].pdst) for p in wire if ARP in p)
    assert arps == [("10.0.0.5", "10.0.0.1"), ("192.168.0.1", "192.168.0.99")]
    ips = [p for p in wire if IP in p]
    assert len(ips) == 1 and ips[0][IP].dst == "192.0.2.1"
    assert ips[0][Raw].load == b"query"
    assert len(wire) == 3

    # The unowned link-local requests, the gratuitous one and the
    # link-local IPv4 towards the gateway were dropped for isolation.
    assert res.drops() == {"isolated_to_wire": 4}
    assert res.drops("dom0") == {"isolated_to_wire": 1}
    assert res.drops("vif1") == {"isolated_to_wire": 3}


def test_link_local_arp_reaches_its_owner(run):
    res = run(SCENARIO, inputs())
    # dom0 asked for vif1's address: vif1 alone heard it.
    v1 = [p for p in res.out("vif1") if ARP in p]
    assert [(p[ARP].psrc, p[ARP].pdst) for p in v1] == [("169.254.1.0", "169.254.1.1")]
    # vif1 asked for dom0's: dom0 heard it, plus the unowned 10.0.0.1 request.
    d0 = [(p[ARP].psrc, p[ARP].pdst) for p in res.out("dom0") if ARP in p]
    assert d0 == [("169.254.1.1", "169.254.1.0"), ("10.0.0.5", "10.0.0.1")]
    assert res.out("vif2") == []


def test_dom0_arp_on_wire_without_isolation(run):
    """Positive control of the prefix itself: with `isolate none` the very
    same dom0 request for 169.254.1.77 does go out on the wire."""
    res = run("isolate none\n" + SCENARIO, inputs())
    wire_arps = [(p[ARP].psrc, p[ARP].pdst) for p in res.out("wire") if ARP in p]
    assert ("169.254.1.0", "169.254.1.77") in wire_arps
    assert "isolated_to_wire" not in res.drops()


def test_custom_isolated_prefix(run):
    """An operator-chosen prefix (10.0.0.0/8) isolates like 169.254/16."""
    res = run("isolate 169.254.0.0/16 10.0.0.0/8\n" + SCENARIO, inputs())
    assert [p.summary() for p in res.out("wire") if ARP in p and p[ARP].psrc == "10.0.0.5"] == []
    assert [p for p in res.out("wire") if IP in p] == []
    # Positive control: dom0's 192.168.0.x request is still on the wire.
    assert [(p[ARP].psrc, p[ARP].pdst) for p in res.out("wire")] == \
        [("192.168.0.1", "192.168.0.99")]
    assert res.switch["drops"]["isolated_to_wire"] == 6

# SPDX-License-Identifier: GPL-2.0-or-later
"""test_spoof.py - ingress anti-spoofing: each bad frame is dropped with its
reason counted, next to legit frames that are delivered.

     dom0 ──┐
     wire ──┼── VFR
     vif1 ──┤   10.0.0.5, 2001:db8::5 (the spoofer under test)
     vif2 ──┘   10.0.0.6, 2001:db8::6
"""

import struct

from scapy.all import (ARP, BOOTP, DHCP, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                       ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       IP, IPv6, UDP, AH, Dot1AD, Dot1Q, Ether, Raw)

from conftest import BCAST, DOM0_MAC, GW_MAC, V1_MAC, V2_MAC, WIRE_MAC, timed

SCENARIO = f"""\
port dom0 kind=dom0 mac={DOM0_MAC} ip=10.0.0.1 in=dom0.pcap
port wire kind=wire in=wire.pcap
port vif1 kind=vif dom=1 mac={V1_MAC} ip=10.0.0.5,2001:db8::5 in=vif1.pcap
port vif2 kind=vif dom=2 mac={V2_MAC} ip=10.0.0.6,2001:db8::6
"""

V1_LL6 = "fe80::a800:ff:fe00:1"  # EUI-64 of V1_MAC


def udp4(src_mac, dst_mac, src, dst, tag):
    return (Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst)
            / UDP(sport=5000, dport=5001) / Raw(tag))


def udp6(src_mac, dst_mac, src, dst, tag):
    return (Ether(src=src_mac, dst=dst_mac) / IPv6(src=src, dst=dst)
            / UDP(sport=5000, dport=5001) / Raw(tag))


def truncated_ip():
    """IPv4 whose header claims 60 bytes (IHL 15) in a 34-byte frame."""
    eth = bytes(Ether(src=V1_MAC, dst=V2_MAC, type=0x0800))
    ip = bytes(IP(src="10.0.0.5", dst="10.0.0.6"))[:20]
    ip = bytes([0x4f]) + ip[1:]
    return Ether(eth + ip)


VIF1 = [
    # (frame, expected drop reason or None for delivered)
    (udp4(V1_MAC, V2_MAC, "10.0.0.5", "10.0.0.6", b"legit4"), None),
    (udp4("aa:00:00:00:00:99", V2_MAC, "10.0.0.5", "10.0.0.6", b"badmac"),
     "spoof_mac"),
    (Ether(src=V1_MAC, dst=V2_MAC, type=0x88cc) / Raw(b"lldp" * 10),
     "bad_ethertype"),
    (Ether(src=V1_MAC, dst=V2_MAC) / Dot1Q(vlan=5)
     / IP(src="10.0.0.5", dst="10.0.0.6") / Raw(b"vlan"), "bad_ethertype"),
    (truncated_ip(), "malformed"),
    (Ether(src=V1_MAC, dst=BCAST)
     / ARP(op=1, hwsrc=V1_MAC, psrc="10.0.0.6", pdst="10.0.0.1"), "spoof_arp"),
    (Ether(src=V1_MAC, dst=BCAST)
     / ARP(op=1, hwsrc="aa:00:00:00:00:02", psrc="10.0.0.5", pdst="10.0.0.1"),
     "spoof_arp"),
    (udp4(V1_MAC, V2_MAC, "10.0.0.6", "10.0.0.6", b"badip4"), "spoof_ip"),
    (udp6(V1_MAC, V2_MAC, "2001:db8::6", "2001:db8::6", b"badip6"), "spoof_ip"),
    (Ether(src=V1_MAC, dst="33:33:00:00:00:01")
     / IPv6(src=V1_LL6, dst="ff02::1") / ICMPv6ND_RA()
     / ICMPv6NDOptSrcLLAddr(lladdr=V1_MAC), "ra_guard"),
    (Ether(src=V1_MAC, dst="33:33:00:00:00:01")
     / IPv6(src=V1_LL6, dst="ff02::1") / ICMPv6ND_NA(tgt="2001:db8::6")
     / ICMPv6NDOptDstLLAddr(lladdr=V1_MAC), "spoof_nd"),
    (Ether(src=V1_MAC, dst="33:33:ff:00:00:06")
     / IPv6(src=V1_LL6, dst="ff02::1:ff00:6") / ICMPv6ND_NS(tgt="2001:db8::6")
     / ICMPv6NDOptSrcLLAddr(lladdr=V2_MAC), "spoof_nd"),
    # RA guard behind AH (length in 4-byte units)
    (Ether(src=V1_MAC, dst="33:33:00:00:00:01")
     / IPv6(src=V1_LL6, dst="ff02::1") / AH(nh=58, payloadlen=4,
                                            icv=b"\0" * 12)
     / ICMPv6ND_RA(), "ra_guard"),
    (Ether(src=V1_MAC, dst="33:33:00:00:00:02")
     / IPv6(src=V1_LL6, dst="ff02::2") / ICMPv6ND_RS()
     / ICMPv6NDOptSrcLLAddr(lladdr=V2_MAC), "spoof_nd"),
    (Ether(src=V1_MAC, dst=V2_MAC)
     / ARP(op=2, hwsrc=V1_MAC, psrc="0.0.0.0", hwdst=V2_MAC, pdst="10.0.0.6"),
     "spoof_arp"),
    (Ether(src=V1_MAC, dst=BCAST) / IP(src="10.0.0.5", dst="255.255.255.255")
     / UDP(sport=67, dport=68) / BOOTP(op=2, chaddr=b"\xaa\0\0\0\0\x02")
     / DHCP(options=[("message-type", "offer"), "end"]) / Raw(b"offer"),
     "dhcp_guard"),
    (Ether(src=V1_MAC, dst=V2_MAC) / IPv6(src=V1_LL6, dst="fe80::a800:ff:fe00:2")
     / UDP(sport=547, dport=546) / Raw(b"dhcp6reply"), "dhcp_guard"),
    # legit ones, interleaved with the spoofed ones
    (Ether(src=V1_MAC, dst="33:33:00:00:00:02")
     / IPv6(src=V1_LL6, dst="ff02::2") / ICMPv6ND_RS()
     / ICMPv6NDOptSrcLLAddr(lladdr=V1_MAC), None),
    (Ether(src=V1_MAC, dst=DOM0_MAC) / IPv6(src=V1_LL6, dst="ff02::1:2")
     / UDP(sport=546, dport=547) / Raw(b"dhcp6solicit"), None),
    (udp6(V1_MAC, V2_MAC, "2001:db8::5", "2001:db8::6", b"legit6"), None),
    (udp6(V1_MAC, V2_MAC, V1_LL6, "fe80::a800:ff:fe00:2", b"legitll6"), None),
    (Ether(src=V1_MAC, dst=BCAST)
     / ARP(op=1, hwsrc=V1_MAC, psrc="10.0.0.5", pdst="10.0.0.6"), None),
    (Ether(src=V1_MAC, dst="33:33:ff:00:00:06")
     / IPv6(src=V1_LL6, dst="ff02::1:ff00:6") / ICMPv6ND_NS(tgt="2001:db8::6")
     / ICMPv6NDOptSrcLLAddr(lladdr=V1_MAC), None),
    (Ether(src=V1_MAC, dst=BCAST) / IP(src="0.0.0.0", dst="255.255.255.255")
     / UDP(sport=68, dport=67) / BOOTP(chaddr=b"\xaa\0\0\0\0\x01")
     / DHCP(options=[("message-type", "discover"), "end"]), None),
]

WIRE = [
    (udp4(V2_MAC, DOM0_MAC, "192.0.2.9", "10.0.0.1", b"wiremac"), "spoof_mac"),
    (Ether(src=WIRE_MAC, dst=BCAST)
     / ARP(op=1, hwsrc=WIRE_MAC, psrc="169.254.7.7", pdst="169.254.1.1"),
     "isolated_from_wire"),
    (udp4(WIRE_MAC, V2_MAC, "169.254.9.9", "10.0.0.6", b"wirell"),
     "isolated_from_wire"),
    (udp4(WIRE_MAC, V2_MAC, "192.0.2.9", "10.0.0.6", b"wireok"), None),
    # the LAN may not use a domain's address (dom0's it may)
    (udp4(WIRE_MAC, V2_MAC, "10.0.0.5", "10.0.0.6", b"wirevif1"), "spoof_ip"),
    (Ether(src=WIRE_MAC, dst=BCAST)
     / ARP(op=1, hwsrc=WIRE_MAC, psrc="10.0.0.5", pdst="10.0.0.6"),
     "spoof_arp"),
    (udp4(WIRE_MAC, V2_MAC, "10.0.0.1", "10.0.0.6", b"wiredom0ip"), None),
    # three tags do not hide a link-local frame
    (Ether(src=WIRE_MAC, dst=V2_MAC) / Dot1AD(vlan=1) / Dot1Q(vlan=2)
     / Dot1Q(vlan=3) / IP(src="169.254.9.9", dst="10.0.0.6") / UDP()
     / Raw(b"wirell3tags"), "isolated_from_wire"),
]

DOM0 = [
    # dom0 is privileged: any source goes
    (udp4(DOM0_MAC, V2_MAC, "198.51.100.1", "10.0.0.6", b"dom0any"), None),
]


def payloads(pkts):
    return [bytes(p[Raw].load) for p in pkts if Raw in p]


def expected(cases):
    want = {}
    for _, reason in cases:
        if reason:
            want[reason] = want.get(reason, 0) + 1
    return want


def test_spoofed_dropped_legit_delivered(run):
    res = run(SCENARIO, {
        "vif1.pcap": timed([p for p, _ in VIF1], start=1000.0),
        "wire.pcap": timed([p for p, _ in WIRE], start=1000.00005),
        "dom0.pcap": timed([p for p, _ in DOM0], start=1000.00007),
    })
    assert res.drops("vif1") == expected(VIF1)
    assert res.drops("wire") == expected(WIRE)
    assert res.drops("dom0") == {}
    want = expected(VIF1)
    for k, v in expected(WIRE).items():
        want[k] = want.get(k, 0) + v
    assert res.drops() == want

    # Legit frames arrived where they were sent ...
    v2 = payloads(res.out("vif2"))
    # in timestamp order across the three input files
    assert sorted(v2) == sorted([b"legit4", b"dom0any", b"wireok",
                                 b"wiredom0ip", b"legit6", b"legitll6"])
    assert v2[:3] == [b"legit4", b"dom0any", b"wireok"]
    assert [p[ARP].psrc for p in res.out("vif2") if ARP in p] == ["10.0.0.5"]
    assert [p[ICMPv6ND_NS].tgt for p in res.out("vif2")
            if ICMPv6ND_NS in p] == ["2001:db8::6"]
    # ... the DHCP discover from 0.0.0.0 went to dom0 alone ...
    assert [p[IP].src for p in res.out("dom0") if BOOTP in p] == ["0.0.0.0"]
    assert [p for p in res.out("vif2") + res.out("wire") if BOOTP in p] == []
    # ... and no spoofed frame reached anyone.
    bad = {b"badmac", b"badip4", b"badip6", b"vlan", b"wiremac", b"wirell",
           b"offer", b"dhcp6reply", b"wirevif1", b"wirell3tags"}
    for port in ("dom0", "wire", "vif1", "vif2"):
        assert bad.isdisjoint(payloads(res.out(port))), port
        assert not [p for p in res.out(port) if ICMPv6ND_RA in p or ICMPv6ND_NA in p]

    # tx counts what passed the ingress policy
    v1 = res.port("vif1")
    assert v1["in_packets"] == len(VIF1)
    assert v1["tx_packets"] == sum(1 for _, r in VIF1 if r is None)

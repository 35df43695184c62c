# SPDX-License-Identifier: GPL-2.0-or-later
"""test_forwarding.py - ARP to the owner only, broadcast/multicast flooding,
unicast by MAC, and reproducible replays.

     dom0 10.0.0.1 ──┐
     wire ───────────┤
     vif1 10.0.0.5 ──┼── VFR
     vif2 10.0.0.6 ──┤
     vif3 10.0.0.7 ──┘
"""

from scapy.all import ARP, IP, IPv6, UDP, Ether, Raw

from conftest import (BCAST, DOM0_MAC, GW_MAC, V1_MAC, V2_MAC, V3_MAC,
                      WIRE_MAC, timed)

SCENARIO = f"""\
port dom0 kind=dom0 mac={DOM0_MAC} ip=10.0.0.1,169.254.1.0 in=dom0.pcap
port wire kind=wire in=wire.pcap
port vif1 kind=vif dom=1 mac={V1_MAC} ip=10.0.0.5,169.254.1.1 in=vif1.pcap
port vif2 kind=vif dom=2 mac={V2_MAC} ip=10.0.0.6,169.254.1.2 in=vif2.pcap
port vif3 kind=vif dom=3 mac={V3_MAC} ip=10.0.0.7,169.254.1.3
"""
PORTS = ("dom0", "wire", "vif1", "vif2", "vif3")
V1_LL6 = "fe80::a800:ff:fe00:1"


def arp_req(mac, spa, tpa):
    return Ether(src=mac, dst=BCAST) / ARP(op=1, hwsrc=mac, psrc=spa, pdst=tpa)


def udp(src_mac, dst_mac, src, dst, tag):
    return (Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst)
            / UDP(sport=7, dport=7) / Raw(tag))


def arps(res, port):
    return [(p[ARP].op, p[ARP].psrc, p[ARP].pdst) for p in res.out(port) if ARP in p]


def tags(res, port):
    return [bytes(p[Raw].load) for p in res.out(port) if Raw in p]


def test_arp_request_only_to_owner(run):
    res = run(SCENARIO, {
        "vif1.pcap": timed([
            arp_req(V1_MAC, "10.0.0.5", "10.0.0.7"),         # vif3's
            arp_req(V1_MAC, "169.254.1.1", "169.254.1.0"),   # dom0's
            arp_req(V1_MAC, "10.0.0.5", "10.0.0.200"),       # nobody's
        ]),
        "dom0.pcap": timed([arp_req(DOM0_MAC, "10.0.0.1", "10.0.0.6")],
                           start=1000.0105),                 # vif2's
        "vif2.pcap": [], "wire.pcap": [],
    })
    assert arps(res, "vif3") == [(1, "10.0.0.5", "10.0.0.7")]
    assert arps(res, "vif2") == [(1, "10.0.0.1", "10.0.0.6")]
    # The unowned, non-isolated target goes to the wire and dom0, not vifs.
    assert arps(res, "dom0") == [(1, "169.254.1.1", "169.254.1.0"),
                                 (1, "10.0.0.5", "10.0.0.200")]
    assert arps(res, "wire") == [(1, "10.0.0.5", "10.0.0.200")]
    assert arps(res, "vif1") == []
    assert res.switch["delivered"] == 4 and res.drops() == {}


def test_arp_reply_unicast_back(run):
    reply = (Ether(src=V2_MAC, dst=V1_MAC)
             / ARP(op=2, hwsrc=V2_MAC, psrc="10.0.0.6", hwdst=V1_MAC, pdst="10.0.0.5"))
    res = run(SCENARIO, {
        "vif1.pcap": timed([arp_req(V1_MAC, "10.0.0.5", "10.0.0.6")]),
        "vif2.pcap": timed([reply], start=1000.5),
        "dom0.pcap": [], "wire.pcap": [],
    })
    assert arps(res, "vif2") == [(1, "10.0.0.5", "10.0.0.6")]
    assert arps(res, "vif1") == [(2, "10.0.0.6", "10.0.0.5")]
    for port in ("dom0", "wire", "vif3"):
        assert res.out(port) == [], port


def test_broadcast_flooding(run):
    res = run(SCENARIO, {
        "vif1.pcap": timed([
            udp(V1_MAC, BCAST, "10.0.0.5", "255.255.255.255", b"bc"),
            udp(V1_MAC, BCAST, "169.254.1.1", "169.254.255.255", b"llbc"),
            Ether(src=V1_MAC, dst="33:33:00:00:00:01")
            / IPv6(src=V1_LL6, dst="ff02::1") / UDP(sport=7, dport=7) / Raw(b"mc6"),
            udp(V1_MAC, "01:00:5e:00:00:fb", "10.0.0.5", "224.0.0.251", b"mc4"),
        ]),
        "wire.pcap": timed([udp(WIRE_MAC, BCAST, "192.0.2.9", "255.255.255.255",
                                b"wirebc")], start=1000.1),
        "dom0.pcap": timed([udp(DOM0_MAC, BCAST, "10.0.0.1", "10.0.0.255",
                                b"dom0bc")], start=1000.2),
        "vif2.pcap": [],
    })
    # Every port but the ingress one; link-local never to the wire.
    assert tags(res, "vif1") == [b"wirebc", b"dom0bc"]
    for port in ("dom0", "vif2", "vif3"):
        want = [b"bc", b"llbc", b"mc6", b"mc4", b"wirebc", b"dom0bc"]
        if port == "dom0":
            want.remove(b"dom0bc")
        assert tags(res, port) == want, port
    assert tags(res, "wire") == [b"bc", b"mc6", b"mc4", b"dom0bc"]
    assert res.drops() == {}
    assert res.switch["delivered"] == 6
    assert res.port("vif2")["rx_packets"] == 6


def test_unicast_by_mac(run):
    res = run(SCENARIO, {
        "vif1.pcap": timed([
            udp(V1_MAC, V2_MAC, "10.0.0.5", "10.0.0.6", b"to2"),
            udp(V1_MAC, DOM0_MAC, "10.0.0.5", "10.0.0.1", b"to0"),
            udp(V1_MAC, GW_MAC, "10.0.0.5", "192.0.2.1", b"towire"),
            udp(V1_MAC, V1_MAC, "10.0.0.5", "10.0.0.5", b"toself"),
        ]),
        "wire.pcap": timed([udp(WIRE_MAC, V3_MAC, "192.0.2.1", "10.0.0.7",
                                b"from_wire"),
                            udp(WIRE_MAC, GW_MAC, "192.0.2.1", "192.0.2.2",
                                b"wire_to_wire")], start=1000.1),
        "dom0.pcap": [], "vif2.pcap": [],
    })
    assert tags(res, "vif2") == [b"to2"]
    assert tags(res, "dom0") == [b"to0"]
    assert tags(res, "wire") == [b"towire"]
    assert tags(res, "vif3") == [b"from_wire"]
    assert tags(res, "vif1") == []          # never back out of its port
    assert res.drops() == {"no_route": 2}   # to itself; wire to the wire


def test_no_wire_no_route(run):
    text = "\n".join(l for l in SCENARIO.splitlines() if "kind=wire" not in l)
    res = run(text, {
        "vif1.pcap": timed([udp(V1_MAC, GW_MAC, "10.0.0.5", "192.0.2.1", b"x"),
                            udp(V1_MAC, V2_MAC, "10.0.0.5", "10.0.0.6", b"y")]),
        "dom0.pcap": [], "vif2.pcap": [],
    })
    assert res.drops("vif1") == {"no_route": 1}
    assert tags(res, "vif2") == [b"y"]


def test_replay_is_reproducible(run, tmp_path):
    inputs = {
        "vif1.pcap": timed([udp(V1_MAC, BCAST, "10.0.0.5", "255.255.255.255",
                                bytes([i])) for i in range(200)], step=0.0001),
        "vif2.pcap": timed([udp(V2_MAC, V1_MAC, "10.0.0.6", "10.0.0.5",
                                bytes([i])) for i in range(200)], step=0.00013),
        "dom0.pcap": [], "wire.pcap": [],
    }
    text = SCENARIO.replace("in=vif1.pcap", "in=vif1.pcap tx_limit=10000/1000")
    first = run(text, inputs)
    outs = {p: (first.outdir / f"{p}.pcap").read_bytes() for p in PORTS}
    second = run(text, inputs)
    for p in PORTS:
        assert (second.outdir / f"{p}.pcap").read_bytes() == outs[p], p
    assert first.counters == second.counters

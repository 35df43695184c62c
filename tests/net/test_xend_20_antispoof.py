# SPDX-License-Identifier: GPL-2.0-or-later
"""Anti-spoofing (DESIGN.md §4): forged frames sent from inside domain 1's
namespace never reach their destination, the matching legitimate frame
sent right after them does, and `xc_dom_control --json vif_stats` counts
each forged frame under its reason. Topology: conftest.py."""

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6ND_Redirect,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.l2 import ARP, Ether

import xendnet as xn

BCAST = "ff:ff:ff:ff:ff:ff"
ALLNODES_MAC = "33:33:00:00:00:01"
FAKE_MAC = "aa:00:00:de:ad:01"
# Crafted ARP carries this target hardware address and crafted NAs the
# Router flag, so the domain kernels' own ARP/ND traffic is never mistaken
# for ours.
ARP_TAG = "00:00:00:00:be:ef"


def _udp(src_mac, dst_mac, src, dst, tag):
    """A UDP frame with a unique payload; returns (frame, payload)."""
    m = xn.marker(tag)
    if ":" in src:
        l3 = IPv6(src=src, dst=dst)
    else:
        l3 = IP(src=src, dst=dst)
    return Ether(src=src_mac, dst=dst_mac) / l3 / UDP(sport=4000,
                                                       dport=4001) / m, m


def case_spoof_mac(t, d1, d2, d3):
    bad, good = [], []
    for i, mac in enumerate((FAKE_MAC, d2.mac, d3.mac)):
        f, m = _udp(mac, d2.mac, d1.ip, d2.ip, "mac%d" % i)
        bad.append((f, m))
    good.append(_udp(d1.mac, d2.mac, d1.ip, d2.ip, "macok"))
    return dict(reason="spoof_mac", bad=bad, good=good, dst=[(d2.ns, "eth0")])


def case_spoof_ip(t, d1, d2, d3):
    bad = [_udp(d1.mac, d2.mac, src, d2.ip, "ip%d" % i)
           for i, src in enumerate(("169.254.1.99", d3.ip, d3.public_ip,
                                    t.dom0_ip))]
    good = [_udp(d1.mac, d2.mac, d1.ip, d2.ip, "ipok")]
    return dict(reason="spoof_ip", bad=bad, good=good, dst=[(d2.ns, "eth0")])


def case_spoof_ipv6(t, d1, d2, d3):
    bad = [_udp(d1.mac, d2.mac, src, d2.ll6, "ip6%d" % i)
           for i, src in enumerate(("fe80::dead:1", d3.ll6, "2001:db8::1"))]
    good = [_udp(d1.mac, d2.mac, d1.ll6, d2.ll6, "ip6ok")]
    return dict(reason="spoof_ip", bad=bad, good=good, dst=[(d2.ns, "eth0")])


def _arp(src_mac, dst_mac, op, hwsrc, psrc, pdst):
    return Ether(src=src_mac, dst=dst_mac) / ARP(
        op=op, hwsrc=hwsrc, psrc=psrc, hwdst=ARP_TAG, pdst=pdst)


def _is_arp(psrc, hwsrc):
    def pred(f):
        return (ARP in f and f[ARP].hwdst == ARP_TAG and
                f[ARP].psrc == psrc and f[ARP].hwsrc == hwsrc)
    return pred


def case_spoof_arp(t, d1, d2, d3):
    bad = [
        # claims domain 3's address (cache poisoning of domain 2)
        (_arp(d1.mac, BCAST, 1, d1.mac, d3.ip, d2.ip),
         _is_arp(d3.ip, d1.mac)),
        # claims to be the gateway, dom0 (the classic man in the middle)
        (_arp(d1.mac, d2.mac, 2, d1.mac, t.dom0_ip, d2.ip),
         _is_arp(t.dom0_ip, d1.mac)),
        # own address, but someone else's MAC as sender hardware address
        (_arp(d1.mac, BCAST, 1, FAKE_MAC, d1.ip, d2.ip),
         _is_arp(d1.ip, FAKE_MAC)),
    ]
    good = [(_arp(d1.mac, BCAST, 1, d1.mac, d1.ip, d2.ip),
             _is_arp(d1.ip, d1.mac))]
    return dict(reason="spoof_arp", bad=bad, good=good, dst=[(d2.ns, "eth0")])


def _na(src_mac, dst_mac, dst, tgt, lladdr, src):
    return (Ether(src=src_mac, dst=dst_mac) /
            IPv6(src=src, dst=dst, hlim=255) /
            ICMPv6ND_NA(R=1, S=0, O=1, tgt=tgt) /
            ICMPv6NDOptDstLLAddr(lladdr=lladdr))


def _is_na(tgt, lladdr):
    def pred(f):
        return (ICMPv6ND_NA in f and f[ICMPv6ND_NA].R == 1 and
                f[ICMPv6ND_NA].tgt == tgt and
                ICMPv6NDOptDstLLAddr in f and
                f[ICMPv6NDOptDstLLAddr].lladdr == lladdr)
    return pred


def case_spoof_nd(t, d1, d2, d3):
    dom0_ll6 = xn.eui64_ll(t.dom0_mac)
    bad = [
        # a target domain 1 does not own: domain 3's address
        (_na(d1.mac, d2.mac, d2.ll6, d3.ll6, d1.mac, d1.ll6),
         _is_na(d3.ll6, d1.mac)),
        # unsolicited, to all nodes, for dom0's address
        (_na(d1.mac, ALLNODES_MAC, "ff02::1", dom0_ll6, d1.mac, d1.ll6),
         _is_na(dom0_ll6, d1.mac)),
        # its own target, but someone else's link-layer address
        (_na(d1.mac, d2.mac, d2.ll6, d1.ll6, FAKE_MAC, d1.ll6),
         _is_na(d1.ll6, FAKE_MAC)),
    ]
    good = [(_na(d1.mac, d2.mac, d2.ll6, d1.ll6, d1.mac, d1.ll6),
             _is_na(d1.ll6, d1.mac))]
    return dict(reason="spoof_nd", bad=bad, good=good, dst=[(d2.ns, "eth0")])


def case_ra_guard(t, d1, d2, d3):
    ra = (IPv6(src=d1.ll6, dst="ff02::1", hlim=255) /
          ICMPv6ND_RA(routerlifetime=1800) /
          ICMPv6NDOptSrcLLAddr(lladdr=d1.mac) /
          ICMPv6NDOptPrefixInfo(prefix="2001:db8:77::", prefixlen=64))
    redirect = (IPv6(src=d1.ll6, dst=d2.ll6, hlim=255) /
                ICMPv6ND_Redirect(tgt=d1.ll6, dst="2001:db8:99::1"))

    def is_ra(f):
        return ICMPv6ND_RA in f

    def is_redirect(f):
        return ICMPv6ND_Redirect in f

    bad = [(Ether(src=d1.mac, dst=ALLNODES_MAC) / ra, is_ra),
           (Ether(src=d1.mac, dst=d2.mac) / ra.copy(), is_ra),
           (Ether(src=d1.mac, dst=d2.mac) / redirect, is_redirect)]
    # The legitimate twin goes to the same all-nodes group, so it is
    # flooded to domain 2 and to the LAN like the RA would have been.
    good = [_udp(d1.mac, ALLNODES_MAC, d1.ll6, "ff02::1", "mcastok")]
    return dict(reason="ra_guard", bad=bad, good=good,
                dst=[(d2.ns, "eth0"), (t.lan_ns, t.lan_if)])


CASES = [case_spoof_mac, case_spoof_ip, case_spoof_arp, case_spoof_ipv6,
         case_spoof_nd, case_ra_guard]


def _pred(x):
    """A frame predicate from a marker (bytes) or a predicate."""
    if isinstance(x, bytes):
        return lambda f, m=x: m in bytes(f)
    return x


def _arrived(sniffer, pred):
    return [f for f in sniffer.frames if pred(Ether(f))]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_forged_frames_dropped(topo, doms, case):
    d1, d2, d3 = doms
    spec = case(topo, d1, d2, d3)
    bad = [(f, _pred(p)) for f, p in spec["bad"]]
    good = [(f, _pred(p)) for f, p in spec["good"]]
    reason = spec["reason"]

    before = topo.vif_stats(d1)
    sniffers = [xn.Sniffer(ns, ifn) for ns, ifn in spec["dst"]]
    try:
        # Forged frames first, the legitimate one last: once it is in,
        # anything forged that got through would be in too.
        xn.sendp(d1.ns, "eth0", [f for f, _ in bad])
        for attempt in range(3):
            xn.sendp(d1.ns, "eth0", [f for f, _ in good])
            done = [s.collect(lambda fr, s=s: all(_arrived(s, p)
                                                  for _, p in good),
                              timeout=2.0)[1] for s in sniffers]
            if all(done):
                break
        for s in sniffers:
            where = "%s:%s" % (s.ns, s.ifname)
            for f, p in good:
                assert _arrived(s, p), \
                    "positive control: legitimate %s did not reach %s" % (
                        f.summary(), where)
            for f, p in bad:
                assert not _arrived(s, p), \
                    "forged %s reached %s" % (f.summary(), where)
    finally:
        for s in sniffers:
            s.close()
    after = topo.vif_stats(d1)
    delta = after["drops"][reason] - before["drops"][reason]
    print("\n%s: %d forged frames sent, vif_stats %d.0 drops[%s] +%d"
          % (case.__name__[5:], len(bad), d1.id, reason, delta))
    assert delta == len(bad), (
        "vif_stats %d 0: drops[%s] went %d -> %d, expected +%d (all: %r)"
        % (d1.id, reason, before["drops"][reason], after["drops"][reason],
           len(bad), after["drops"]))
    assert after["tx_packets"] > before["tx_packets"]


def test_ra_did_not_configure_domain(topo, doms):
    # Had the RA of case_ra_guard arrived, domain 2 would have taken an
    # address in 2001:db8:77::/64 and a default route via domain 1.
    d2 = doms[1]
    addrs = [a for _, a in xn.if_addrs("eth0", ns=d2.ns)]
    assert not [a for a in addrs if a.startswith("2001:db8:77:")], addrs
    r = xn.sh("ip", "-6", "route", "show", "default", ns=d2.ns)
    assert doms[0].ll6 not in r.stdout


def test_vif_stats_text(topo, doms):
    d1 = doms[0]
    out = topo.ctl_tool("vif_stats", d1.id, 0).stdout
    print("\n$ xc_dom_control vif_stats %d 0\n%s" % (d1.id, out))
    for word in ("tx_bytes", "tx_packets", "rx_bytes", "rx_packets",
                 "spoof_mac", "spoof_ip", "spoof_arp", "spoof_nd",
                 "ra_guard"):
        assert word in out

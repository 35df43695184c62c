# SPDX-License-Identifier: GPL-2.0-or-later
"""Domains reach each other and dom0 over 169.254.1.x; the domain with a
public ip= reaches the LAN host through the wire. Topology: conftest.py."""

import json

import xendnet as xn


def test_domains_ping_each_other(topo, doms):
    for a in doms:
        for b in doms:
            if a is not b:
                assert xn.ping(a.ns, b.ip, need=2) == 2, \
                    "%r cannot ping %r" % (a, b)


def test_domains_and_dom0_ping(topo, doms):
    for d in doms:
        assert xn.ping(d.ns, topo.dom0_ip, need=2) == 2, \
            "%r cannot ping dom0 %s" % (d, topo.dom0_ip)
        assert xn.ping(None, d.ip, need=2) == 2, \
            "dom0 cannot ping %r" % d


def test_ipv6_link_local_ping(topo, doms):
    # The kernels' own neighbour discovery (multicast NS, unicast NA) goes
    # through the switch's ND checks: the legitimate side of spoof_nd.
    d1, d2, d3 = doms
    for a, b in ((d1, d2), (d2, d3), (d3, d1)):
        assert xn.ping6(a.ns, b.ll6, need=2, timeout=8) == 2, \
            "%r cannot ping6 %s" % (a, b.ll6)
    assert xn.ping6(d1.ns, "fe80::dead:beef", need=1, timeout=1.0) == 0


def test_no_reply_from_unowned_link_local(topo, doms):
    # Negative control for the pings above: an address nobody owns stays
    # silent, so a reply really means the switch delivered it.
    assert xn.ping(doms[0].ns, "169.254.1.77", need=1, timeout=1.5) == 0


def test_public_domain_reaches_lan(topo, doms):
    d3 = doms[2]
    assert xn.ping(d3.ns, topo.lan_ip, need=2) == 2
    assert xn.ping(topo.lan_ns, d3.public_ip, need=2) == 2
    assert xn.tcp_roundtrip(d3.ns, topo.lan_ns, topo.lan_ip, port=5555)
    # ... and it is the wire that carried it: the LAN host learnt the
    # domain's own MAC for its public address.
    r = xn.sh("ip", "-j", "neigh", "show", d3.public_ip, "dev", topo.lan_if,
              ns=topo.lan_ns)
    neigh = [n for n in json.loads(r.stdout)
             if n.get("lladdr")]
    assert neigh and neigh[0]["lladdr"] == d3.mac


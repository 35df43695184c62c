# SPDX-License-Identifier: GPL-2.0-or-later
"""A netns domain from a config with an explicit vif (mac, ip, rate) gets
exactly that, works, and `xc_dom_control destroy` takes it all away again.
Topology: conftest.py (this test adds and removes a fourth domain)."""

import json

import xendnet as xn

MAC = "aa:00:00:99:00:04"
EXTRA = "10.88.0.4"

CONFIG = """\
# a fourth domain for test_xend_85_lifecycle.py
name    = "xt-d"
builder = netns
memory  = ${mem:-24}                 # MB
vif     = [ "mac=%s, ip=%s, rate=50000/100000" ]
""" % (MAC, EXTRA)


def test_create_and_destroy(topo, doms):
    cfg = topo.path("xt-d.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    r = topo.tool("xc_dom_create", "--json", "-f", cfg)
    dom = int(json.loads(r.stdout)["dom"])
    ns = "xeno-dom%d" % dom
    try:
        assert dom not in [d.id for d in doms]
        assert xn.ns_exists(ns)
        assert xn.if_mac("eth0", ns=ns) == MAC
        addrs = [a for _, a in xn.if_addrs("eth0", ns=ns)]
        assert "169.254.1.%d/16" % dom in addrs, addrs
        assert any(a.startswith(EXTRA + "/") for a in addrs), addrs
        routes = xn.sh("ip", "route", "show", "default", ns=ns).stdout
        assert "via 169.254.1.0" in routes, routes

        j = {x["dom"]: x for x in topo.ctl_json("list")["domains"]}[dom]
        assert j["name"] == "xt-d" and j["builder"] == "netns"
        assert j["mem_kb"] == 24 * 1024
        assert j["vifs"][0]["mac"] == MAC
        assert sorted(j["vifs"][0]["ip"]) == sorted(
            ["169.254.1.%d" % dom, EXTRA])
        g = topo.ctl_json("vif_getsched", dom, 0)
        assert (g["credit_bytes"], g["credit_usecs"]) == (50000, 100000)

        assert xn.ping(ns, doms[0].ip, need=2) == 2
        assert xn.ping(None, "169.254.1.%d" % dom, need=2) == 2
    finally:
        r = topo.ctl_tool("destroy", dom, check=False)
    assert r.returncode == 0, r.stderr
    assert not xn.ns_exists(ns), "namespace %s left after destroy" % ns
    assert dom not in [x["dom"] for x in topo.ctl_json("list")["domains"]]
    # its address is free again and nothing answers there any more
    assert xn.ping(doms[0].ns, "169.254.1.%d" % dom, need=1,
                   timeout=1.0) == 0
    r = topo.ctl_tool("vif_stats", dom, 0, check=False)
    assert r.returncode != 0
    # the others are untouched
    assert xn.ping(doms[0].ns, doms[1].ip, need=1) == 1

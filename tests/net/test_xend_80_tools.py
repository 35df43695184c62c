# SPDX-License-Identifier: GPL-2.0-or-later
"""xc_dom_control and xc_dom_create as a user meets them: `list` in the
seed's columns, and clear messages with a non-zero exit for unknown
domains, bad addresses, bad vifs and bad command lines -- each beside the
same command with good arguments. Topology: conftest.py."""

import os
import re

import xendnet as xn

LIST_HEADER = "Dom  Name             Mem(kb)  CPU  State  Time(s)"


def test_list(topo, doms):
    out = topo.ctl_tool("list").stdout
    print("\n$ xc_dom_control list\n" + out)
    lines = out.splitlines()
    assert lines[0].rstrip() == LIST_HEADER
    rows = {}
    for ln in lines[1:]:
        m = re.match(r"^(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+([r-][s-])\s+(\d+)$",
                     ln.rstrip())
        assert m, "list row not in the seed's format: %r" % ln
        rows[int(m.group(1))] = m.groups()
    assert 0 in rows, "dom0 not listed"
    for d in doms:
        assert d.id in rows and rows[d.id][1] == d.name
        assert rows[d.id][4] == "r-", rows[d.id]
    j = topo.ctl_json("list")
    byid = {x["dom"]: x for x in j["domains"]}
    for d in doms:
        assert byid[d.id]["builder"] == "netns"
        assert d.ip in byid[d.id]["vifs"][0]["ip"]
        assert byid[d.id]["vifs"][0]["mac"] == d.mac
    assert doms[2].public_ip in byid[doms[2].id]["vifs"][0]["ip"]


def test_switch_stats(topo, doms):
    """switch_stats prints the totals that add up and a line per port,
    and agrees with the JSON reply of the same command."""
    xn.ping(doms[0].ns, doms[1].ip)          # some traffic to count
    out = topo.ctl_tool("switch_stats").stdout
    print("\n$ xc_dom_control switch_stats\n" + out)
    m = re.search(r"^invariant: in_frames (==|!=) delivered \+ drops", out,
                  re.M)
    assert m and m.group(1) == "==", out
    ports = [ln.split() for ln in out.splitlines()
             if re.match(r"^\d+\s+\S+\s+(dom0|wire|vif)\s", ln)]
    kinds = {p[2] for p in ports}
    assert {"dom0", "wire", "vif"} <= kinds, ports
    assert len([p for p in ports if p[2] == "vif"]) >= len(doms)
    j = topo.ctl_json("switch_stats")
    assert j["in_frames"] == j["delivered"] + sum(j["drops"].values())


def _fails(topo, *args, mention):
    r = topo.ctl_tool(*args, check=False)
    msg = r.stderr + r.stdout
    assert r.returncode != 0, "%s: exit 0 (%r)" % (args, msg)
    assert mention.lower() in msg.lower(), \
        "xc_dom_control %s: message %r does not mention %r" % (
            " ".join(map(str, args)), msg, mention)
    return msg


def test_unknown_domain(topo, doms):
    assert topo.ctl_tool("vif_stats", doms[0].id, 0).returncode == 0
    for args in (("vif_stats", 4000, 0), ("vif_getsched", 4000, 0),
                 ("vif_addip", 4000, 0, "10.1.1.1"), ("destroy", 4000),
                 ("vif_setsched", 4000, 0, 1000, 1000)):
        _fails(topo, *args, mention="4000")


def test_bad_domain_id(topo):
    for bad in ("abc", "-1", "1x", ""):
        _fails(topo, "vif_stats", bad, 0, mention="dom")


def test_bad_ip(topo, doms):
    d1 = doms[0]
    for bad in ("300.1.2.3", "10.1.2", "banana", "224.0.0.5",
                "255.255.255.255", "ff02::1", "fe80::1::2"):
        _fails(topo, "vif_addip", d1.id, 0, bad, mention=bad)
    ips = topo.ctl_json("list")
    for x in ips["domains"]:
        if x["dom"] == d1.id:
            assert "300.1.2.3" not in x["vifs"][0]["ip"]


def test_bad_vif(topo, doms):
    d1 = doms[0]
    assert topo.ctl_tool("vif_getsched", d1.id, 0).returncode == 0
    for args in (("vif_stats", d1.id, 7), ("vif_getsched", d1.id, 7),
                 ("vif_addip", d1.id, 7, "10.1.1.1"),
                 ("vif_setsched", d1.id, 7, 1000, 1000)):
        _fails(topo, *args, mention="vif")
    _fails(topo, "vif_stats", d1.id, "x", mention="vif")
    _fails(topo, "vif_stats", d1.id, -1, mention="vif")


def test_usage_errors(topo, doms):
    r = topo.ctl_tool("frobnicate", check=False)
    assert r.returncode != 0 and "frobnicate" in (r.stderr + r.stdout)
    r = topo.ctl_tool("vif_stats", doms[0].id, check=False)
    assert r.returncode != 0 and "vif_stats" in (r.stderr + r.stdout)
    r = topo.ctl_tool("vif_stats", doms[0].id, 0, 0, check=False)
    assert r.returncode != 0
    r = topo.ctl_tool(check=False)
    assert r.returncode != 0
    assert "vif_setsched" in r.stderr + r.stdout  # usage lists commands


def test_no_daemon(topo, tmp_path):
    r = xn.tool("xc_dom_control", "list", sock=str(tmp_path / "nope.sock"),
                check=False)
    assert r.returncode != 0
    assert "nope.sock" in r.stderr


def test_create_errors(topo, tmp_path):
    cfg = os.path.join(os.path.dirname(__file__), "xt-domain.cfg")
    # the required variable is named when missing
    r = topo.tool("xc_dom_create", "-f", cfg, check=False)
    assert r.returncode != 0 and "name" in r.stderr, r.stderr
    # a file that does not exist is named
    r = topo.tool("xc_dom_create", "-f", str(tmp_path / "none.cfg"),
                  "-D", "name=x", check=False)
    assert r.returncode != 0 and "none.cfg" in r.stderr, r.stderr
    # a bad address in the config is named, and nothing is created
    before = len(topo.ctl.ok("list")["domains"])
    r = topo.tool("xc_dom_create", "-f", cfg, "-D",
                  "name=xt-bad:ip=10.99.0.300", check=False)
    assert r.returncode != 0 and "10.99.0.300" in r.stderr, r.stderr
    assert len(topo.ctl.ok("list")["domains"]) == before
    # the dry run creates nothing either, and shows the seed's block
    r = topo.tool("xc_dom_create", "-n", "-f", cfg, "-D", "name=xt-dry")
    print("\n$ xc_dom_create -n -f xt-domain.cfg -D name=xt-dry\n"
          + r.stdout)
    assert "VM memory (MB)" in r.stdout
    assert len(topo.ctl.ok("list")["domains"]) == before


# SPDX-License-Identifier: GPL-2.0-or-later
"""xend killed with SIGKILL and started again on the same state dir takes
its netns domains back: `list` shows them, their addresses (one added by
vif_addip) and limits are back, and traffic flows again. Runs last: it
restarts the xend every other test uses. Topology: conftest.py."""

import signal
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

import xendnet as xn

EXTRA_IP = "10.77.2.2"
LIMIT = (250000, 100000)


def _udp_arrives(src, dst, src_ip, tag):
    m = xn.marker(tag)
    with xn.Sniffer(dst.ns, "eth0") as s:
        for _ in range(2):
            xn.sendp(src.ns, "eth0", Ether(src=src.mac, dst=dst.mac) /
                     IP(src=src_ip, dst=dst.ip) / UDP(dport=9) / m)
            if s.collect(lambda fr: s.has(m), timeout=1.5)[1]:
                return True
    return False


def _summary(topo):
    doms = topo.ctl_json("list")["domains"]
    return {d["dom"]: (d["name"], d["builder"],
                       [(v["vif"], v["mac"], sorted(v["ip"]))
                        for v in d["vifs"]])
            for d in doms if d["dom"] != 0}


def test_sigkill_and_restart(topo, doms):
    d1, d2, d3 = doms
    topo.ctl_tool("vif_addip", d2.id, 0, EXTRA_IP)
    topo.ctl_tool("vif_setsched", d2.id, 0, *LIMIT)
    assert _udp_arrives(d2, d1, EXTRA_IP, "pre-restart")
    before = _summary(topo)
    assert EXTRA_IP in before[d2.id][2][0][2]

    pid = topo.xend.proc.pid
    assert topo.xend.kill(signal.SIGKILL) == -signal.SIGKILL
    # with xend gone the switch is gone: nothing crosses it
    assert xn.ping(d1.ns, d2.ip, need=1, timeout=1.0) == 0
    t0 = time.monotonic()
    topo.xend.start()
    print("\nxend %d SIGKILLed, new xend %d serving after %.2f s"
          % (pid, topo.xend.proc.pid, time.monotonic() - t0))

    after = _summary(topo)
    out = topo.ctl_tool("list").stdout
    print("$ xc_dom_control list  (after restart)\n" + out)
    assert after == before, "domains changed across the restart:\n" \
        "before %r\nafter  %r" % (before, after)
    for d in doms:
        assert xn.ns_exists(d.ns)
    g = topo.ctl_json("vif_getsched", d2.id, 0)
    out = topo.ctl_tool("vif_getsched", d2.id, 0).stdout
    print("$ xc_dom_control vif_getsched %d 0  (after restart)\n%s"
          % (d2.id, out))
    assert (g["credit_bytes"], g["credit_usecs"]) == LIMIT, g

    # traffic flows again: domains, dom0, the wire, the added address;
    # and anti-spoofing is back too (an address never added is dropped)
    for a, b in ((d1, d2), (d2, d3), (d3, d1)):
        assert xn.ping(a.ns, b.ip, need=2, timeout=8) == 2, (a, b)
    assert xn.ping(d1.ns, topo.dom0_ip, need=2, timeout=8) == 2
    assert xn.ping(None, d3.ip, need=2, timeout=8) == 2
    assert xn.ping(d3.ns, topo.lan_ip, need=2, timeout=8) == 2
    assert _udp_arrives(d2, d1, EXTRA_IP, "post-restart")
    assert not _udp_arrives(d2, d1, "10.77.2.3", "never-added")

    topo.ctl_tool("vif_setsched", d2.id, 0, 0, 0)
    topo.ctl_tool("vif_delip", d2.id, 0, EXTRA_IP, check=False)


def test_clean_shutdown_and_restart(topo, doms):
    # SIGTERM: xend exits 0 and a new one takes the domains back as well.
    before = _summary(topo)
    assert topo.xend.kill(signal.SIGTERM) == 0
    topo.xend.start()
    assert _summary(topo) == before
    assert xn.ping(doms[0].ns, doms[1].ip, need=2, timeout=8) == 2

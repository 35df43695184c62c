# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a flood's frames go (issue: loss a user can see and explain).

    xt-a (eth0 = TAP) ==udpflood==> [TAP queue] --xend--> xt-b (eth0)
                                       |
                                       +-- full: the kernel drops, counted
                                           as the TAP's TX dropped

A netns domain's TAP has no back-pressure: what its domain sends while
the queue toward xend is full is thrown away by the kernel, before the
switch sees it. vif_stats reports that count as tap_tx_dropped, so that
every datagram the sender's kernel took is either a frame the switch
took in (tx_packets) or a TAP drop. The vif is rate-limited to make xend
read slower than the flood, so the queue surely fills (positive control:
tap_tx_dropped > 0 and some frames did cross)."""

import os
import subprocess
import time

import xendnet as xn

FLOOD = os.path.join(xn.BUILD, "bench", "udpflood")


def _flood(ns, addr, seconds):
    out = subprocess.run(["ip", "netns", "exec", ns, FLOOD, addr, "9",
                          str(seconds), "64"], capture_output=True,
                         text=True, check=True).stdout
    return int(out.split()[1])          # "sent N datagrams in ..."


def test_tap_drops_account_for_the_flood(topo, doms):
    d1, d2, _ = doms
    xn.ping(d1.ns, d2.ip, need=2)        # ARP resolved before the count
    before = topo.vif_stats(d1)
    assert "tap_tx_dropped" in before, before
    # 20 kB/s: a few hundred small frames a second cross, the rest wait
    topo.ctl_tool("vif_setsched", d1.id, 0, 2000, 100000)
    try:
        sent = _flood(d1.ns, d2.ip, 0.3)
        time.sleep(0.2)
    finally:
        topo.ctl_tool("vif_setsched", d1.id, 0, 0, 0)
    # unlimited again: what waited in the TAP queue crosses now
    time.sleep(1.0)
    after = topo.vif_stats(d1)
    took = after["tx_packets"] - before["tx_packets"]
    lost = after["tap_tx_dropped"] - before["tap_tx_dropped"]
    print("\nudpflood sent %d: the switch took %d, the TAP dropped %d"
          % (sent, took, lost))
    assert lost > 0 and took > 0
    # a handful of the domain's own frames (ND, ARP) may join the count
    assert sent <= took + lost <= sent + 20, (sent, took, lost)
    text = topo.ctl_tool("vif_stats", d1.id, 0).stdout
    assert "tap_tx_dropped: %d" % after["tap_tx_dropped"] in text

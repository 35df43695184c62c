# SPDX-License-Identifier: GPL-2.0-or-later
"""xend --dp-threads: several data-plane threads, each reading its own
ports and delivering to any port. A second xend of this module's own,
with two threads and four netns domains:

   xeno-domA eth0 --TAP-+                        +-TAP-- eth0 xeno-domC
                        |   xend-dp   (thread 0) |
                        +--- switch ------------+
                        |   xend-dp1  (thread 1) |
   xeno-domB eth0 --TAP-+                        +-TAP-- eth0 xeno-domD
                        | TAP dom0 (a thread too)

Ports go to the thread with the fewest, so A..D and dom0 are spread over
both. Traffic between ports of different threads crosses (positive
control); two floods at once, one per thread, into the same receiver,
leave every counter adding up (in = delivered + drops, and what the
switch delivered is what the receivers' eth0 counted), while control
commands, each of which stops both threads between batches, keep
answering; the anti-spoofing
policy holds on both threads (a forged source dropped and counted beside
a true one delivered). Only this module's xend is killed, by its PID."""

import json
import os
import subprocess
import threading
import time

import pytest
from scapy.all import IP, UDP, Ether

import xendnet as xn

PREFIX = "xh"
FLOOD = os.path.join(xn.BUILD, "bench", "udpflood")


@pytest.fixture(scope="module")
def tx(topo):
    with xn.own_xend(PREFIX, ("xh-a", "xh-b", "xh-c", "xh-d"),
                     args=["--dp-threads", "2"]) as x:
        yield x


def threads_of(x):
    """{name: nice} of xend @x's data-plane threads."""
    out = {}
    task = "/proc/%d/task" % x.proc.pid
    for t in os.listdir(task):
        with open(os.path.join(task, t, "stat")) as f:
            st = f.read()
        name = st[st.index("(") + 1:st.rindex(")")]
        if name.startswith("xend-dp"):
            out[name] = int(st.rsplit(")", 1)[1].split()[16])
    return out


def thread_of(x, dom):
    return x.json("vif_stats", dom["id"], 0)["stats"]["dp_thread"]


def rx_packets(ns):
    out = xn.sh("ip", "-s", "-j", "link", "show", "dev", "eth0",
                ns=ns).stdout
    return json.loads(out)[0]["stats64"]["rx"]["packets"]


def delivered_and_got(tx, dom):
    """(frames the switch delivered to @dom's vif, frames its eth0
    counted), read at one moment: the two reads are not atomic, and a
    frame that arrives between them (an ARP or an IPv6 multicast from
    another domain) would count on one side only. The pair is kept when
    the switch's count did not move across the eth0 read."""
    for _ in range(50):
        a = tx.json("vif_stats", dom["id"], 0)["stats"]["rx_packets"]
        got = rx_packets(dom["ns"])
        b = tx.json("vif_stats", dom["id"], 0)["stats"]["rx_packets"]
        if a == b:
            return a, got
    pytest.fail("%s's vif never stopped receiving for a moment" % dom["name"])


def test_two_threads_share_the_ports(tx):
    assert threads_of(tx) == {"xend-dp": -10, "xend-dp1": -10}
    st = tx.json("switch_stats")
    assert st["dp_threads"] == 2
    per = [p["dp_thread"] for p in st["ports"]]
    # dom0 and four vifs: 3 on one thread, 2 on the other
    assert sorted((per.count(0), per.count(1))) == [2, 3], per
    vifs = {d["name"]: thread_of(tx, d) for d in tx.doms}
    assert set(vifs.values()) == {0, 1}, vifs
    text = tx.ctl("vif_stats", tx.doms[0]["id"], 0).stdout
    assert "dp_thread: %d" % vifs[tx.doms[0]["name"]] in text
    assert "dp_threads: 2" in tx.ctl("switch_stats").stdout


def cross_pairs(x):
    """Pairs of domains whose vifs are read by different threads."""
    th = {d["name"]: thread_of(x, d) for d in x.doms}
    return [(a, b) for a in x.doms for b in x.doms
            if a is not b and th[a["name"]] != th[b["name"]]]


def test_traffic_crosses_between_threads(tx):
    pairs = cross_pairs(tx)
    assert pairs
    for a, b in pairs:
        xn.ping(a["ns"], b["ip"], need=2)


def _flood(ns, addr, seconds, out, i):
    r = subprocess.run(["ip", "netns", "exec", ns, FLOOD, addr, "9",
                        str(seconds), "64"], capture_output=True, text=True,
                       check=True)
    out[i] = int(r.stdout.split()[1])


def test_two_floods_at_once_add_up(tx):
    """A flood from a thread-0 vif and one from a thread-1 vif, at the
    same time, into one receiver: both threads deliver to its TAP."""
    th = {d["name"]: thread_of(tx, d) for d in tx.doms}
    by = {0: [d for d in tx.doms if th[d["name"]] == 0],
          1: [d for d in tx.doms if th[d["name"]] == 1]}
    s0, s1 = by[0][0], by[1][0]
    dst = [d for d in tx.doms if d is not s0 and d is not s1][0]
    for s in (s0, s1):
        xn.ping(s["ns"], dst["ip"], need=1)     # ARP resolved first
    # the receiver drops the datagrams before its IP stack (no ICMP back)
    xn.sh("ip", "netns", "exec", dst["ns"], "nft",
          "add table ip xhsink; add chain ip xhsink pre { type filter hook "
          "prerouting priority raw; policy accept; }; add rule ip xhsink "
          "pre udp dport 9 drop")
    st0 = tx.json("switch_stats")
    d0, rx0 = delivered_and_got(tx, dst)
    sent = [0, 0]
    ts = [threading.Thread(target=_flood, args=(s["ns"], dst["ip"], 1.5,
                                                sent, i))
          for i, s in enumerate((s0, s1))]
    for t in ts:
        t.start()
    # meanwhile commands: each parks both busy threads between batches
    other = [d for d in tx.doms if d not in (s0, s1, dst)][0]
    slowest, ncmds = 0.0, 0
    while any(t.is_alive() for t in ts):
        for args in (("switch_stats",),
                     ("vif_setsched", other["id"], 0, 100000, 100000),
                     ("vif_addip", other["id"], 0, "10.66.0.1"),
                     ("vif_delip", other["id"], 0, "10.66.0.1"),
                     ("vif_setsched", other["id"], 0, 0, 0)):
            t0 = time.monotonic()
            tx.ctl(*args)
            slowest = max(slowest, time.monotonic() - t0)
            ncmds += 1
    for t in ts:
        t.join()
    print("\n%d commands during the floods, the slowest %.0f ms"
          % (ncmds, 1000 * slowest))
    assert ncmds >= 10
    assert slowest < 1.0
    time.sleep(0.5)
    st1 = tx.json("switch_stats")
    d1, rx1 = delivered_and_got(tx, dst)
    delivered = d1 - d0
    got = rx1 - rx0
    print("\nsent %d + %d; the switch took in %d, delivered %d to %s; its "
          "eth0 counted %d" % (sent[0], sent[1],
                               st1["in_frames"] - st0["in_frames"],
                               delivered, dst["name"], got))
    assert delivered > 1000
    assert delivered == got
    drops = sum(st1["drops"].values())
    assert st1["in_frames"] == st1["delivered"] + drops
    # what the senders' vifs sent went somewhere, counted once
    took = sum(tx.json("vif_stats", s["id"], 0)["stats"]["tx_packets"]
               for s in (s0, s1))
    assert took >= delivered


def _udp(src_mac, dst_mac, src, dst, tag):
    m = xn.marker(tag)
    return Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst) / \
        UDP(sport=4000, dport=4001) / m, m


def test_spoofing_dropped_on_both_threads(tx):
    th = {d["name"]: thread_of(tx, d) for d in tx.doms}
    for want in (0, 1):
        s = [d for d in tx.doms if th[d["name"]] == want][0]
        r = [d for d in tx.doms if d is not s][0]
        before = tx.json("vif_stats", s["id"], 0)["stats"]["drops"]
        bad, bm = _udp(s["mac"], r["mac"], "169.254.1.99", r["ip"], "bad")
        good, gm = _udp(s["mac"], r["mac"], s["ip"], r["ip"], "good")
        with xn.Sniffer(r["ns"], "eth0") as sn:
            xn.sendp(s["ns"], "eth0", [bad, good])
            sn.collect(until=lambda fs: any(gm in f for f in fs))
            assert sn.has(gm), "thread %d: the true source did not cross" \
                % want
            assert not sn.has(bm), "thread %d: a forged source crossed" \
                % want
        after = tx.json("vif_stats", s["id"], 0)["stats"]["drops"]
        assert after["spoof_ip"] == before["spoof_ip"] + 1


@pytest.mark.parametrize("bad", ["0", "17", "two", "-1", ""])
def test_bad_thread_counts_refused(tmp_path, bad):
    for argv, env in (([os.path.join(xn.BUILD, "xend"), "--foreground",
                        "--socket", str(tmp_path / "s"), "--dp-threads",
                        bad], None),
                      ([os.path.join(xn.BUILD, "xend"), "--foreground",
                        "--socket", str(tmp_path / "s")],
                       dict(os.environ, XEND_DP_THREADS=bad))):
        r = subprocess.run(argv, capture_output=True, text=True, env=env,
                           timeout=10)
        assert r.returncode != 0
        assert "1..16 or auto" in r.stderr, r.stderr
        assert not os.path.exists(tmp_path / "s")

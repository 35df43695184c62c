# SPDX-License-Identifier: GPL-2.0-or-later
"""test_ratelimit.py - transmit credit on a virtual clock (DESIGN.md §5).

     vif1 (tx_limit) ──┐
                       ├── VFR ── dom0 (out.pcap: timing of what vif1 sent)
     vif2 (no limit) ──┘

The input pcaps send far faster than the limit; the output timestamps are
the switch's virtual clock, so the measured rate is exact, not sampled.
"""

from decimal import Decimal

import pytest
from scapy.all import IP, UDP, Ether, Raw

from conftest import DOM0_MAC, V1_MAC, V2_MAC, timed


def frames(src_mac, src, n, size):
    """@n UDP frames of exactly @size bytes, numbered in the payload."""
    hdr = len(Ether() / IP() / UDP())
    return [Ether(src=src_mac, dst=DOM0_MAC) / IP(src=src, dst="10.0.0.1")
            / UDP(sport=9, dport=9)
            / Raw(i.to_bytes(4, "big") + bytes(size - hdr - 4))
            for i in range(n)]


def scenario(tx1, rx0=""):
    return f"""\
port dom0 kind=dom0 mac={DOM0_MAC} ip=10.0.0.1 {rx0}
port vif1 kind=vif dom=1 mac={V1_MAC} ip=10.0.0.5 in=vif1.pcap tx_limit={tx1}
port vif2 kind=vif dom=2 mac={V2_MAC} ip=10.0.0.6 in=vif2.pcap
"""


def seqs(pkts):
    return [int.from_bytes(bytes(p[Raw].load)[:4], "big") for p in pkts]


def steady_rate(pkts, period):
    """Bytes per second over whole refill periods: from the first refill
    after the initial full bucket to the last refill (the last one may
    send a partial period, so its bytes are left out)."""
    t0 = Decimal(str(pkts[0].time))
    times = [Decimal(str(p.time)) for p in pkts]
    first = next(t for t in times if t >= t0 + period)
    last = times[-1]
    sent = sum(len(p) for p, t in zip(pkts, times) if first <= t < last)
    return float(sent / (last - first)), float(last - first)


@pytest.mark.parametrize("size", [1000, 1234, 1514])
def test_tx_limit_rate_within_1_percent(run, size):
    bytes_, usecs = 125000, 100000          # 1.25 MB/s = 10 Mbit/s
    n = 5_000_000 // size                   # ~4 s of output at the limit
    res = run(scenario(f"{bytes_}/{usecs}"), {
        # offered at 1 frame / 20 us: ~20x the limit, all sent in 0.1 s
        "vif1.pcap": timed(frames(V1_MAC, "10.0.0.5", n, size), step=0.00002),
        "vif2.pcap": timed(frames(V2_MAC, "10.0.0.6", 50, 100), step=0.01),
    })
    out = [p for p in res.out("dom0") if p[IP].src == "10.0.0.5"]
    # Nothing lost, nothing reordered: deferral, not drop.
    assert seqs(out) == list(range(n))
    assert res.drops() == {}
    rate, span = steady_rate(out, Decimal(usecs) / 10**6)
    assert span >= 3.0
    assert rate == pytest.approx(bytes_ / (usecs / 1e6), rel=0.01)
    # The first period's burst is the full bucket, no more.
    t0 = out[0].time
    burst = sum(len(p) for p in out if p.time < t0 + Decimal("0.1"))
    assert bytes_ - size < burst <= bytes_
    assert res.port("vif1")["throttled"] > 0

    # Positive control: the unlimited vif2 beside it is never delayed.
    fast = [p for p in res.out("dom0") if p[IP].src == "10.0.0.6"]
    assert seqs(fast) == list(range(50))
    sent = timed(frames(V2_MAC, "10.0.0.6", 50, 100), step=0.01)
    assert [round(float(p.time), 6) for p in fast] == \
        [round(float(p.time), 6) for p in sent]
    assert res.port("vif2")["throttled"] == 0


def test_tx_packet_limit(run):
    # 10 frames per 100 ms, bytes plentiful: 100 frames/s
    n = 400
    res = run(scenario("10000000/100000/10"), {
        "vif1.pcap": timed(frames(V1_MAC, "10.0.0.5", n, 200), step=0.0001),
        "vif2.pcap": [],
    })
    out = res.out("dom0")
    assert seqs(out) == list(range(n))
    span = float(out[-1].time - out[0].time)
    # n frames = 40 periods; the first 10 go at once, the last 10 at 3.9 s
    assert (n - 10) / span == pytest.approx(100, rel=0.01)


def test_big_frame_over_bucket_is_sent(run):
    """A frame larger than BYTES goes when the bucket is full (no wrap)."""
    res = run(scenario("500/1000"), {
        "vif1.pcap": timed(frames(V1_MAC, "10.0.0.5", 20, 1500), step=0.00001),
        "vif2.pcap": [],
    })
    out = res.out("dom0")
    assert seqs(out) == list(range(20))
    # 1500 bytes at 500 bytes/ms: ~3 ms per frame after the first
    span = float(out[-1].time - out[0].time)
    assert 19 * 1500 / span == pytest.approx(500_000, rel=0.02)


def test_rx_limit_drops_and_counts(run):
    # dom0 takes 10000 bytes per 100 ms; vif2 offers 1000-byte frames at
    # 1 per ms for 1 s: 100 admitted, 900 dropped as rx_ratelimit.
    res = run(scenario("0/0", rx0="rx_limit=10000/100000"), {
        "vif1.pcap": [],
        "vif2.pcap": timed(frames(V2_MAC, "10.0.0.6", 1000, 1000), step=0.001),
    })
    got = len(res.out("dom0"))
    assert got == pytest.approx(100, abs=10)
    assert res.drops() == {"rx_ratelimit": 1000 - got}
    assert res.drops("dom0") == {"rx_ratelimit": 1000 - got}
    assert res.port("vif2")["tx_packets"] == 1000
    assert res.port("vif2")["throttled"] == 0

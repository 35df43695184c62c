# SPDX-License-Identifier: GPL-2.0-or-later
"""xend's metrics endpoint (xend --metrics, docs/xend.8 METRICS): a scrape
parsed by prometheus_client equals `xc_dom_control --json switch_stats`
and `vif_stats` taken at the same quiescent moment, a spoof attempt shows
under its reason, and hostile clients (silent, slow, huge) never hold
xend's control socket. A second xend of this module's own, with the
endpoint on a loopback TCP port, runs beside the session's:

   netns xeno-domA                 netns xeno-domB
   eth0 169.254.1.A/16             eth0 169.254.1.B/16
        | TAP xvA.0                     | TAP xvB.0
   +----+-------------------------------+-----+
   | xend #2 (this module, no wire)           |--- 127.0.0.1:PORT GET /metrics
   +----+-------------------------------------+
        | TAP xm-RUN-vif0 169.254.1.0/16
   root netns: dom0

Domain ids are whatever xend hands out (the session's xend holds some).
Only this module's xend is killed, by its PID.
"""

import contextlib
import socket
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

import xendnet as xn

PREFIX = "xm"
FAKE_MAC = "aa:00:00:de:ad:01"
CLIENTS_MAX = 16        # METRICS_CLIENTS_MAX
TIMEOUT_S = 5           # METRICS_TIMEOUT_MS


def free_port():
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MXend(xn.OwnXend):
    def __init__(self, tmp, dom0_if, args, prefix, port):
        self.port = port
        super().__init__(tmp, dom0_if, ["--metrics", "127.0.0.1:%d" % port],
                         prefix)

    def scrape(self, path="/metrics", timeout=5):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()


@pytest.fixture(scope="module")
def mx(topo):
    with xn.own_xend(PREFIX, ("xm-a", "xm-b"), cls=MXend,
                     port=free_port()) as x:
        yield x


def parse(text):
    """{(sample name, frozenset(labels)): value}; each family once, each
    with a TYPE."""
    seen, out = set(), {}
    for fam in text_string_to_metric_families(text):
        assert fam.name not in seen, "family %s listed twice" % fam.name
        seen.add(fam.name)
        assert fam.type in ("counter", "gauge"), (fam.name, fam.type)
        assert fam.documentation, "%s has no HELP" % fam.name
        for s in fam.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in out, "sample %r twice" % (key,)
            out[key] = s.value
    return out


def get(m, metric, **labels):
    """The value of sample @metric whose labels include @labels."""
    want = set((k, str(v)) for k, v in labels.items())
    hits = [v for (n, ls), v in m.items() if n == metric and want <= ls]
    assert len(hits) == 1, "%s %r: %d samples" % (metric, labels, len(hits))
    return hits[0]


def quiescent(x, tries=20):
    """switch_stats, vif_stats of both domains and a scrape, taken while no
    frame moved: switch_stats is the same before and after."""
    for _ in range(tries):
        s1 = x.json("switch_stats")
        vifs = [x.json("vif_stats", d["id"], 0)["stats"] for d in x.doms]
        lst = x.json("list")
        status, headers, text = x.scrape()
        s2 = x.json("switch_stats")
        if s1 == s2:
            return s1, vifs, lst, status, headers, text
        time.sleep(0.5)
    pytest.fail("the switch never stood still for a scrape")


def test_metrics_equal_switch_stats(mx):
    a, b = mx.doms
    # traffic between the two domains, and spoof attempts from a
    assert xn.ping(a["ns"], b["ip"], need=5) == 5
    spoof = [Ether(src=FAKE_MAC, dst=b["mac"]) /
             IP(src=a["ip"], dst=b["ip"]) / UDP(dport=9) / b"mac"] * 3
    spoof += [Ether(src=a["mac"], dst=b["mac"]) /
              IP(src="169.254.1.250", dst=b["ip"]) / UDP(dport=9) /
              b"ip"] * 2
    xn.sendp(a["ns"], "eth0", spoof)
    time.sleep(0.5)

    st, vifs, lst, status, headers, text = quiescent(mx)
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    m = parse(text)
    print("\n" + "\n".join(ln for ln in text.splitlines()
                           if "spoof" in ln and not ln.endswith(" 0")))

    # switch totals
    assert get(m, "xeno_switch_in_frames_total") == st["in_frames"]
    assert get(m, "xeno_switch_delivered_frames_total") == st["delivered"]
    for reason, n in st["drops"].items():
        assert get(m, "xeno_switch_dropped_frames_total",
                   reason=reason) == n, reason
    assert get(m, "xeno_switch_ports") == len(st["ports"])
    assert get(m, "xeno_switch_dp_threads") == st["dp_threads"]
    if st["fastpath"]:
        assert get(m, "xeno_switch_fastpath_flows") == st["fastpath_flows"]

    # every port, counter by counter
    for p in st["ports"]:
        who = dict(ifname=p["name"], kind=p["kind"])
        if p["kind"] != "wire":
            who.update(domain=p["dom"], vif=p["vif"])
        assert get(m, "xeno_vif_info", port=p["port"],
                   dp_thread=p["dp_thread"], **who) == 1
        for k in ("tx_bytes", "tx_packets", "rx_bytes", "rx_packets",
                  "in_packets", "throttled"):
            assert get(m, "xeno_vif_%s_total" % k, **who) == \
                p["stats"][k], (p["name"], k)
        for reason, n in p["stats"]["drops"].items():
            assert get(m, "xeno_vif_dropped_packets_total", reason=reason,
                       **who) == n, (p["name"], reason)
        assert get(m, "xeno_vif_tx_credit_remaining_bytes", **who) == \
            p["stats"]["credit_remaining"]

    # vif_stats of the two domains, as the user sees them
    for d, v in zip(mx.doms, vifs):
        who = dict(domain=d["id"], name=d["name"], vif=0)
        for k in ("tx_bytes", "tx_packets", "rx_bytes", "rx_packets",
                  "in_packets", "throttled"):
            assert get(m, "xeno_vif_%s_total" % k, **who) == v[k], k
        for reason, n in v["drops"].items():
            assert get(m, "xeno_vif_dropped_packets_total", reason=reason,
                       **who) == n, reason
        assert get(m, "xeno_vif_info", state=v["state"],
                   backend=v["backend"], dp_thread=v["dp_thread"],
                   **who) == 1

    # the spoof attempts counted under their reasons; the pings delivered
    wa = dict(domain=a["id"], vif=0)
    assert get(m, "xeno_vif_dropped_packets_total", reason="spoof_mac",
               **wa) >= 3
    assert get(m, "xeno_vif_dropped_packets_total", reason="spoof_ip",
               **wa) >= 2
    assert get(m, "xeno_vif_rx_packets_total", domain=b["id"], vif=0) >= 5

    # domains, as list shows them
    doms = {d["dom"]: d for d in lst["domains"] if d["dom"] != 0}
    assert get(m, "xeno_domains") == len(doms)
    for d in mx.doms:
        j = doms[d["id"]]
        who = dict(domain=d["id"], name=d["name"])
        assert get(m, "xeno_domain_info", builder="netns", state="running",
                   **who) == 1
        assert get(m, "xeno_domain_memory_bytes", **who) == \
            j["mem_kb"] * 1024
        if "console" in j:
            assert get(m, "xeno_domain_console_lines_total", **who) == \
                j["console"]["lines"]
            assert get(m, "xeno_domain_console_bytes_total", **who) == \
                j["console"]["bytes"]
            assert get(m, "xeno_domain_console_dropped_lines_total",
                       **who) == j["console"]["dropped"]
    assert get(m, "xeno_nat_enabled") == 0


def test_metrics_http_answers(mx):
    status, headers, _ = mx.scrape()
    assert status == 200                                # positive control
    url = "http://127.0.0.1:%d" % mx.port
    for req, code in ((url + "/", 404), (url + "/metrics/x", 404),
                      (urllib.request.Request(url + "/metrics", data=b"x",
                                              method="POST"), 405)):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == code
        e.value.close()         # its connection, not left to the deadline


def _ctl_fast(x):
    """xend answers a control command at once."""
    t0 = time.monotonic()
    assert x.json("switch_stats")["in_frames"] >= 0
    x.ctl("list")
    return time.monotonic() - t0


def _conn(x):
    s = socket.create_connection(("127.0.0.1", x.port), timeout=10)
    return s


def _read_all(s):
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    except (ConnectionResetError, socket.timeout):
        return out + b"<RESET>"


def test_slowloris_does_not_block(mx):
    """Every slot taken by clients that send nothing or trickle half a
    request: control commands are answered at once, a further scrape is
    turned away (503), and after the deadline all of them are closed and
    scraping works again."""
    held = [_conn(mx) for _ in range(CLIENTS_MAX - 1)]
    slow = _conn(mx)
    held.append(slow)
    try:
        t0 = time.monotonic()
        for piece in (b"GET /met", b"rics HTTP/1.0\r\n", b"X-A: b\r\n"):
            slow.sendall(piece)
            assert _ctl_fast(mx) < 2.0
            time.sleep(0.5)
        extra = _conn(mx)
        assert _read_all(extra).startswith(b"HTTP/1.0 503 ")
        extra.close()
        assert _ctl_fast(mx) < 2.0
        for s in held:
            s.settimeout(TIMEOUT_S + 5)
        got = [_read_all(s) for s in held]
        took = time.monotonic() - t0
        assert all(g in (b"", b"<RESET>") for g in got), got
        assert TIMEOUT_S - 1 <= took < TIMEOUT_S + 4, took
    finally:
        for s in held:
            s.close()
    status, _, text = mx.scrape()           # and it serves again
    assert status == 200 and "xeno_switch_in_frames_total" in text


def test_huge_request_does_not_block(mx):
    """A client sending an endless head gets 431 (or a reset when it
    keeps sending) and is closed; xend answers control commands meanwhile
    and scrapes afterwards."""
    s = _conn(mx)
    s.settimeout(10)
    sent, answer = 0, b""
    try:
        s.sendall(b"GET /metrics HTTP/1.0\r\n")
        chunk = b"X-Junk: " + b"a" * 1000 + b"\r\n"
        while sent < 1 << 20:
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            if sent % (64 << 10) < len(chunk):
                assert _ctl_fast(mx) < 2.0
        answer = _read_all(s)
    finally:
        s.close()
    assert answer.startswith(b"HTTP/1.0 431 ") or answer.endswith(
        b"<RESET>") or sent < 1 << 20, answer[:200]
    assert _ctl_fast(mx) < 2.0
    status, _, _ = mx.scrape()
    assert status == 200
    assert mx.proc.poll() is None

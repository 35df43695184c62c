# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-vif packet capture (`xc_dom_control vif_capture`): what a vif sent
and received after policy, and with --drops what the switch dropped, with
the reason in each frame's pcapng comment.

   netns xeno-dom1 --TAP--+                +--TAP-- netns xeno-dom2
   (scapy: spoof + legit) |  xend: VFR     |        (sniffer / UDP sink)
                          +---- switch ----+
                                  |
              xc_dom_control vif_capture D1 0 FILE|- [--drops]
              (the pcapng stream comes back over the control
               connection; the tool writes FILE or stdout)

Topology: conftest.py; one test adds and destroys a fourth domain.
"""

import json
import os
import select
import signal
import socket
import struct
import subprocess
import time

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

import xendnet as xn

EPB, ISB, IDB, SHB = 6, 5, 1, 0x0A0D0D0A
CAPTURE_CFG = """\
# a fourth domain for test_xend_65_capture.py
name    = "xt-cap"
builder = netns
memory  = 16
"""


# ---------------------------------------------------------------- pcapng

def _options(body):
    """The options of a block body as (code, value) pairs, checked to end
    exactly with opt_endofopt."""
    out, off = [], 0
    while off + 4 <= len(body):
        code, n = struct.unpack_from("=HH", body, off)
        if code == 0:
            assert n == 0 and off + 4 == len(body), "bad opt_endofopt"
            return out
        out.append((code, body[off + 4:off + 4 + n]))
        off += 4 + (n + 3) // 4 * 4
    assert off == len(body), "options overrun the block"
    return out


def read_pcapng(path):
    """Every block of a one-section, host-order pcapng file, checked for
    the framing pcapng requires; EPBs and the ISB decoded."""
    data = open(path, "rb").read()
    blocks, off = [], 0
    while off < len(data):
        btype, total = struct.unpack_from("=II", data, off)
        assert total >= 12 and total % 4 == 0, (off, total)
        assert struct.unpack_from("=I", data, off + total - 4)[0] == total
        body = data[off + 8:off + total - 4]
        b = {"type": btype}
        if btype == SHB:
            assert struct.unpack_from("=I", body)[0] == 0x1A2B3C4D
        elif btype == IDB:
            b["linktype"], _, b["snaplen"] = struct.unpack_from("=HHI", body)
            b["opts"] = dict(_options(body[8:]))
        elif btype == EPB:
            _, hi, lo, caplen, wlen = struct.unpack_from("=IIIII", body)
            b["ts"] = (hi << 32 | lo) / 1e9
            b["data"] = body[20:20 + caplen]
            b["len"] = wlen
            opts = dict(_options(body[20 + (caplen + 3) // 4 * 4:]))
            b["comment"] = opts.get(1, b"").decode()
            b["dir"] = struct.unpack("=I", opts[2])[0] & 3 if 2 in opts \
                else 0
        elif btype == ISB:
            opts = dict(_options(body[12:]))
            b["comment"] = opts.get(1, b"").decode()
            b["ifdrop"] = struct.unpack("=Q", opts[5])[0]
            b["usrdeliv"] = struct.unpack("=Q", opts[8])[0]
        blocks.append(b)
        off += total
    assert blocks and blocks[0]["type"] == SHB, "no section header first"
    assert blocks[1]["type"] == IDB and blocks[1]["linktype"] == 1
    assert blocks[1]["opts"][9] == b"\x09"      # nanosecond timestamps
    return blocks


def epb_with(blocks, frame):
    """The one EPB holding exactly @frame (a frame's payload may also be
    quoted in an ICMP error, another frame)."""
    hits = [b for b in blocks if b["type"] == EPB and b["data"] == frame]
    assert len(hits) == 1, "%d EPBs hold %r" % (len(hits), frame)
    return hits[0]


# ---------------------------------------------------------------- helpers

class Capture:
    """`xc_dom_control vif_capture DOM VIF OUT ...` running; started once
    it says it is capturing."""

    def __init__(self, topo, dom, out, *extra, shell_tail=None):
        argv = [os.path.join(xn.BUILD, "xc_dom_control"), "vif_capture",
                str(dom), "0", out] + list(extra)
        env = dict(os.environ, XENO_SOCKET=topo.sock)
        if shell_tail:      # "- | tcpdump ...": through a shell pipe
            argv = ["sh", "-c", " ".join(argv) + " | " + shell_tail]
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.err = b""
        end = time.monotonic() + 10
        while b"capturing on" not in self.err:
            assert time.monotonic() < end and self.proc.poll() is None, \
                "capture did not start: %r" % self.err
            r, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if r:
                self.err += os.read(self.proc.stderr.fileno(), 4096)

    def wait(self, timeout=15):
        out, err = self.proc.communicate(timeout=timeout)
        self.err += err
        return self.proc.returncode, out, self.err.decode()


def stream_capture(topo, dom, vif=0, **fields):
    """A raw client that starts a capture and never reads its stream:
    returns (socket, reply)."""
    s = topo.ctl.connect()
    req = dict(fields, cmd="vif_capture", dom=dom, vif=vif)
    s.sendall((json.dumps(req) + "\n").encode())
    line = b""
    while not line.endswith(b"\n"):
        c = s.recv(1)
        assert c, "xend closed the connection: %r" % line
        line += c
    return s, json.loads(line)


def captures(topo, dom):
    return topo.vif_stats(dom).get("captures", [])


def wait_no_capture(topo, dom, timeout=10):
    end = time.monotonic() + timeout
    while captures(topo, dom) and time.monotonic() < end:
        time.sleep(0.1)
    assert captures(topo, dom) == []


def udp(src, dst, sip, tag, size=0):
    m = xn.marker(tag)
    f = Ether(src=src.mac, dst=dst.mac) / IP(src=sip, dst=dst.ip) / \
        UDP(sport=4000, dport=4001) / (m + b"." * size)
    return f, m


# ---------------------------------------------------------------- tests

def test_capture_shows_spoof_with_reason(topo, doms):
    """--drops: the spoofed frame is in the file with its reason beside
    the legitimate frame, delivered; the frame received is inbound."""
    d1, d2, d3 = doms
    path = topo.path("cap-spoof.pcapng")
    spoof, m_spoof = udp(d1, d2, d3.ip, "cap-spoof")
    legit, m_legit = udp(d1, d2, d1.ip, "cap-legit")
    back, m_back = udp(d2, d1, d2.ip, "cap-back")
    cap = Capture(topo, d1.id, path, "--drops")
    running = captures(topo, d1)
    assert len(running) == 1 and running[0]["drops"] is True, running
    with xn.Sniffer(d2.ns, "eth0") as s2, xn.Sniffer(d1.ns, "eth0") as s1:
        xn.sendp(d1.ns, "eth0", [spoof, legit])
        xn.sendp(d2.ns, "eth0", back)
        _, ok2 = s2.collect(lambda fs: any(m_legit in f for f in fs))
        _, ok1 = s1.collect(lambda fs: any(m_back in f for f in fs))
        assert ok2 and ok1, "the legitimate frames did not arrive"
        assert not s2.has(m_spoof), "the spoofed frame got through"
    time.sleep(0.1)     # a drain tick
    r = topo.ctl_tool("vif_capture", d1.id, 0, "--stop")
    assert "stopped 1 capture" in r.stdout
    rc, _, err = cap.wait()
    assert rc == 0, err
    assert "ended (stopped by vif_capture --stop)" in err, err
    assert " 0 lost" in err, err

    blocks = read_pcapng(path)
    bad = epb_with(blocks, bytes(spoof))
    assert bad["comment"].strip() == "dropped: spoof_ip", bad
    assert bad["dir"] == 2, "a frame the domain sent is outbound"
    good = epb_with(blocks, bytes(legit))
    assert good["comment"] == "" and good["dir"] == 2, good
    assert good["len"] == len(legit)
    inb = epb_with(blocks, bytes(back))
    assert inb["comment"] == "" and inb["dir"] == 1, inb
    assert abs(good["ts"] - time.time()) < 60, "wall-clock timestamps"
    assert blocks[-1]["type"] == ISB and blocks[-1]["ifdrop"] == 0
    assert blocks[-1]["usrdeliv"] == sum(b["type"] == EPB for b in blocks)

    # tcpdump reads it: both frames of domain 1, the spoofed source too
    t = subprocess.run(["tcpdump", "-r", path, "-nn", "-v"],
                       capture_output=True, text=True, timeout=30)
    assert t.returncode == 0, t.stderr
    assert "%s.4000 > %s.4001" % (d3.ip, d2.ip) in t.stdout, t.stdout
    assert "%s.4000 > %s.4001" % (d1.ip, d2.ip) in t.stdout, t.stdout
    # and so does scapy, comments included
    from scapy.utils import rdpcap
    p = [p for p in rdpcap(path) if bytes(p) == bytes(spoof)][0]
    assert p.comment == b"dropped: spoof_ip", p.comment


def test_capture_without_drops_has_no_drops(topo, doms):
    """Without --drops only what passed policy; Ctrl-C ends it cleanly."""
    d1, d2, d3 = doms
    path = topo.path("cap-nodrops.pcapng")
    spoof, m_spoof = udp(d1, d2, d3.ip, "nd-spoof")
    legit, m_legit = udp(d1, d2, d1.ip, "nd-legit")
    cap = Capture(topo, d1.id, path)
    with xn.Sniffer(d2.ns, "eth0") as s2:
        xn.sendp(d1.ns, "eth0", [spoof, legit])
        assert s2.collect(lambda fs: any(m_legit in f for f in fs))[1]
    time.sleep(0.1)
    cap.proc.send_signal(signal.SIGINT)     # Ctrl-C: a clean end
    rc, _, err = cap.wait()
    assert rc == 0 and "ended (stopped by the client)" in err, err
    blocks = read_pcapng(path)
    assert blocks[-1]["type"] == ISB
    epb_with(blocks, bytes(legit))
    assert not any(m_spoof in b.get("data", b"") for b in blocks)


def test_capture_to_stdout_through_tcpdump(topo, doms):
    """`vif_capture DOM VIF - | tcpdump -r -` shows the traffic live."""
    d1, d2, _ = doms
    legit, m_legit = udp(d1, d2, d1.ip, "cap-pipe")
    cap = Capture(topo, d1.id, "-", shell_tail="tcpdump -r - -nn -A")
    with xn.Sniffer(d2.ns, "eth0") as s2:
        xn.sendp(d1.ns, "eth0", legit)
        assert s2.collect(lambda fs: any(m_legit in f for f in fs))[1]
    time.sleep(0.1)
    topo.ctl_tool("vif_capture", d1.id, 0, "--stop")
    rc, out, err = cap.wait()
    assert rc == 0, err
    assert m_legit in out, (out, err)
    assert "%s.4000 > %s.4001" % (d1.ip, d2.ip) in out.decode()


def test_slow_reader_loses_capture_frames_only(topo, doms):
    """A capture whose reader never reads: every switched frame still
    arrives; the capture counts what it lost."""
    d1, d2, _ = doms
    n, port = 6000, 7777
    sink = xn.ns_socket(d2.ns, socket.AF_INET, socket.SOCK_DGRAM)
    sink.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)   # SO_RCVBUFFORCE
    sink.bind((d2.ip, port))
    sink.setblocking(False)
    tag = xn.marker("slow")
    tmpl = bytes(Ether(src=d1.mac, dst=d2.mac) / IP(src=d1.ip, dst=d2.ip) /
                 UDP(sport=4000, dport=port, chksum=0) /
                 (tag + b"\0" * 8 + b"." * 1200))
    at = tmpl.index(tag) + len(tag)
    sock, reply = stream_capture(topo, d1.id)
    try:
        assert reply["ok"] is True, reply
        before1, before2 = topo.vif_stats(d1), topo.vif_stats(d2)
        got = set()
        for burst in range(0, n, 100):
            frames = [tmpl[:at] + struct.pack("!Q", i) + tmpl[at + 8:]
                      for i in range(burst, burst + 100)]
            xn.sendp(d1.ns, "eth0", frames)
            time.sleep(0.01)
            got |= _drain(sink, tag)
        end = time.monotonic() + 5
        while len(got) < n and time.monotonic() < end:
            time.sleep(0.05)
            got |= _drain(sink, tag)
        after1, after2 = topo.vif_stats(d1), topo.vif_stats(d2)
        assert len(got) == n, "%d of %d datagrams arrived" % (len(got), n)
        assert after1["tx_packets"] - before1["tx_packets"] >= n
        assert after2["rx_packets"] - before2["rx_packets"] >= n
        assert after2["drops"] == before2["drops"]
        assert after1["drops"] == before1["drops"]
        (c,) = after1["captures"]
        assert c["lost"] > 0, c         # the ring filled: counted
        assert c["frames"] + c["lost"] >= n, c
    finally:
        sock.close()
        sink.close()
    wait_no_capture(topo, d1)           # the client left: capture over
    topo.ctl.ok("ping")


def _drain(sink, tag):
    seen = set()
    while True:
        try:
            d = sink.recv(2048)
        except BlockingIOError:
            return seen
        if d.startswith(tag):
            seen.add(struct.unpack_from("!Q", d, len(tag))[0])


def test_capture_ends_with_its_domain(topo, doms):
    cfg = topo.path("xt-cap.cfg")
    with open(cfg, "w") as f:
        f.write(CAPTURE_CFG)
    dom = int(json.loads(topo.tool("xc_dom_create", "--json", "-f",
                                   cfg).stdout)["dom"])
    path = topo.path("cap-gone.pcapng")
    try:
        cap = Capture(topo, dom, path, "--drops")
        assert xn.ping("xeno-dom%d" % dom, doms[0].ip, need=1) == 1
    finally:
        topo.ctl_tool("destroy", dom)
    rc, _, err = cap.wait()
    assert rc == 0 and "ended (the vif went away)" in err, err
    blocks = read_pcapng(path)
    assert blocks[-1]["type"] == ISB
    assert any(b["type"] == EPB and b["dir"] == 2 for b in blocks)  # ping
    assert any(b["type"] == EPB and b["dir"] == 1 for b in blocks)  # reply


def test_capture_bad_input(topo, doms):
    d1, d2, _ = doms
    path = topo.path("cap-bad.pcapng")
    for args, want in (((99, 0, path), "unknown domain 99"),
                       ((d1.id, 7, path), "has no vif 7"),
                       ((d1.id, 0, "/nonexistent-dir/x.pcapng"),
                        "cannot open /nonexistent-dir/x.pcapng"),
                       ((d1.id, 0, "--stop"), "has no capture running")):
        r = topo.ctl_tool("vif_capture", *args, check=False)
        assert r.returncode == 1 and want in r.stderr, (args, r.stderr)
        assert not os.path.exists(path), "a refused capture left its file"
    r = topo.ctl_tool("vif_capture", d1.id, 0, check=False)
    assert r.returncode == 2 and "file" in r.stderr, r.stderr
    r = topo.ctl_tool("vif_capture", d1.id, 0, path, "--snaplen", "0",
                      check=False)
    assert r.returncode == 2, r.stderr
    for fields, want in (({"snaplen": 0}, "snaplen"),
                         ({"snaplen": 70000}, "out of range"),
                         ({"drops": "yes"}, "must be a boolean"),
                         ({"vif": "x"}, "must be an integer")):
        req = dict({"dom": d1.id, "vif": 0}, **fields)
        rep = topo.ctl.call("vif_capture", **req)
        assert rep["ok"] is False and want in rep["error"], (fields, rep)
    rep = topo.ctl.call("vif_capture", dom=d1.id)
    assert rep["ok"] is False and "missing field 'vif'" in rep["error"]

    # four at once, the fifth refused with a clear error
    held = []
    try:
        for d in (d1, d1, d2, d2):
            s, rep = stream_capture(topo, d.id, snaplen=128)
            assert rep["ok"] is True, rep
            held.append(s)
        s, rep = stream_capture(topo, d1.id)
        s.close()
        assert rep["ok"] is False and "too many captures" in rep["error"]
        assert len(captures(topo, d1)) == 2
        r = topo.ctl_tool("vif_capture", d2.id, 0, "--stop")
        assert "stopped 2 captures" in r.stdout
    finally:
        for s in held:
            s.close()
    wait_no_capture(topo, d1)
    wait_no_capture(topo, d2)
    topo.ctl.ok("ping")
    assert xn.ping(d1.ns, d2.ip, need=1) == 1

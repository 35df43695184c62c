# SPDX-License-Identifier: GPL-2.0-or-later
"""xend against crashes, damaged state, vanished devices and hostile
state records -- each a defect found by review or attack, each with its
positive control. A second xend of this module's own (its own socket,
state dir and dom0 TAP, no wire) runs beside the session's, so killing
it, damaging its state or deleting its devices never disturbs the others:

   netns xeno-domA ...            (domains of this module's xend)
   eth0 169.254.1.A/16
        | TAP xvA.0
   +----+-----------------------------+
   | xend #2 (this module, no wire)   |
   +----+-----------------------------+
        | TAP xh-RUN-vif0 169.254.1.0/16
   root netns: dom0

Its domains' ids are whatever xend hands out: the session's xend holds
others, and both skip ids whose namespace exists. The session xend's
domains (conftest.py) are used only for the link-local and limit checks.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

import xendnet as xn

PREFIX = "xh"
DOM0_IF = xn.run_ifname(PREFIX, "vif0")


class Xend2(xn.XendProc):
    def __init__(self, tmp):
        super().__init__(tmp, ["--dom0", DOM0_IF])

    def kill(self, sig=signal.SIGKILL, timeout=10):
        return super().kill(sig, timeout)

    def ctl(self, *args, check=True):
        return xn.tool("xc_dom_control", *args, sock=self.sock, check=check)

    def json(self, *args):
        return xn.tool_json("xc_dom_control", *args, sock=self.sock)

    def create(self, name):
        cfg = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "xt-domain.cfg")
        r = xn.tool("xc_dom_create", "--json", "-f", cfg, "-D",
                    "name=" + name, sock=self.sock)
        return int(json.loads(r.stdout)["dom"])

    def doms(self):
        return {d["dom"]: d for d in self.json("list")["domains"]
                if d["dom"] != 0}

    def marks(self):
        d = os.path.join(self.state, "netns")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


@pytest.fixture(scope="module")
def x2(topo):
    tmp = os.path.join(xn.run_claim(), "xend2")
    os.makedirs(tmp, exist_ok=True)
    x = Xend2(tmp)
    x.start()
    yield x
    if x.proc.poll() is None:
        for d in list(x.doms()):
            x.ctl("destroy", d, check=False)
    x.kill(signal.SIGTERM)
    # whatever a failed test left of this xend's domains
    for m in x.marks():
        xn.sh("ip", "netns", "del", m, check=False)
    if xn.link_exists(DOM0_IF):
        xn.sh("ip", "link", "del", DOM0_IF, check=False)


def _ours(x):
    """Namespaces this xend owns by its marks, and whether they exist."""
    return {m: xn.ns_exists(m) for m in x.marks()}


def _wait(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def _reaches_dom0(ns, tag):
    """A UDP datagram from @ns to 169.254.1.0 arrives on xend #2's dom0
    TAP."""
    m = xn.marker(tag).decode()
    with xn.Sniffer(None, DOM0_IF) as s:
        for _ in range(3):
            xn.sh("python3", "-c", "import socket; socket.socket(socket."
                  "AF_INET, socket.SOCK_DGRAM).sendto(b'%s', ('169.254.1.0',"
                  " 9))" % m, ns=ns)
            if s.collect(lambda fr: s.has(m.encode()), timeout=1.5)[1]:
                return True
    return False


def _raw_create(sock, name):
    """Send a create request and return without waiting for the reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall((json.dumps({"cmd": "create", "config": {
        "name": name, "builder": "netns", "memory": 16,
        "vifs": [{}, {}, {}]}}) + "\n").encode())
    return s


def test_sigkill_during_create(topo, x2):
    """xend SIGKILLed at any moment of a create leaves nothing behind that
    blocks a later create, and no namespace or TAP of its own it does not
    know about (before: an empty /run/netns/xeno-domN made every later
    create fail with "File exists"; a built namespace lost its id)."""
    others = {d.ns for d in topo.doms}       # the session xend's
    keep = x2.create("xh-keep")
    delays = (0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15)
    for i, delay in enumerate(delays):
        s = _raw_create(x2.sock, "xh-k%d" % i)
        time.sleep(delay)
        x2.kill(signal.SIGKILL)
        s.close()
        x2.start()
        doms = x2.doms()
        assert keep in doms, "delay %s: a running domain was lost" % delay
        names = {d["name"] for d in doms.values()}
        # the domain being created is either all there or all gone
        if "xh-k%d" % i in names:
            d = [d for d in doms.values() if d["name"] == "xh-k%d" % i][0]
            assert xn.ns_exists("xeno-dom%d" % d["dom"])
            x2.ctl("destroy", d["dom"])
        left = set(os.listdir("/run/netns")) - others - \
            {"xeno-dom%d" % keep}
        left = {n for n in left if n.startswith("xeno-dom")}
        assert not left, "delay %s: leftovers %r\n%s" % (
            delay, left, x2.log_text()[-3000:])
        # no vif device in dom0 but a live domain's: with the kernel fast
        # path (the default) a vif's TAP xvN.K and its veth xvN.Kv stay in
        # dom0; without it the TAP is inside the namespace
        live = {d.id for d in topo.doms} | set(x2.doms())
        stray = [l for l in os.listdir("/sys/class/net")
                 if re.fullmatch(r"xv\d+\.\d+v?", l) and
                 int(l[2:].split(".")[0]) not in live]
        assert not stray, "delay %s: TAPs left in dom0: %r" % (delay, stray)
        # positive control: a create works right after
        n = x2.create("xh-after%d" % i)
        assert xn.ns_exists("xeno-dom%d" % n)
        x2.ctl("destroy", n)
        assert _ours(x2) == {"xeno-dom%d" % keep: True}
    x2.ctl("destroy", keep)


def test_leftover_namespace_file_is_reaped(x2):
    """The first-milliseconds case made directly: a mark and an empty
    namespace file with no record. The next xend removes it; a create
    takes the id."""
    x2.kill(signal.SIGKILL)
    free = next(i for i in range(1, 255)
                if not os.path.exists("/run/netns/xeno-dom%d" % i))
    ns = "xeno-dom%d" % free
    os.makedirs(os.path.join(x2.state, "netns"), exist_ok=True)
    open(os.path.join(x2.state, "netns", ns), "w").close()
    open("/run/netns/" + ns, "w").close()
    x2.start()
    assert not os.path.exists("/run/netns/" + ns)
    assert "reap: removed %s" % ns in x2.log_text()
    n = x2.create("xh-free")
    assert n == free
    x2.ctl("destroy", n)


def test_damaged_state_file(x2):
    """A damaged state.json is set aside and the previous one used: the
    domains stay (before: every running domain was orphaned)."""
    a = x2.create("xh-da")
    b = x2.create("xh-db")
    x2.ctl("vif_setsched", b, 0, 1000, 1000)   # state.json.prev has both
    x2.kill(signal.SIGKILL)
    with open(os.path.join(x2.state, "state.json"), "w") as f:
        f.write('{"version": 1, "domains": [ {"dom": ')
    x2.start()
    doms = x2.doms()
    assert a in doms and b in doms, doms
    assert any(n.startswith("state.json.bad-") for n in
               os.listdir(x2.state))
    assert xn.ping("xeno-dom%d" % a, "169.254.1.%d" % b, need=2) == 2

    # with no usable file at all the domains cannot be taken back: they
    # are removed, not orphaned, and their ids are free again
    x2.kill(signal.SIGKILL)
    for f in ("state.json", "state.json.prev"):
        with open(os.path.join(x2.state, f), "w") as fh:
            fh.write("garbage")
    x2.start()
    assert x2.doms() == {}
    assert _ours(x2) == {}
    assert not xn.ns_exists("xeno-dom%d" % a)
    n = x2.create("xh-dc")
    assert xn.ns_exists("xeno-dom%d" % n)
    x2.ctl("destroy", n)


def test_tampered_record_cannot_touch_foreign_things(x2):
    """A state record naming a foreign namespace or interface is refused:
    xend neither moves the interface nor kills the namespace's processes
    (before: it did both)."""
    victim_ns = xn.run_name(PREFIX, "victim")
    victim_if = xn.run_ifname(PREFIX, "vic0")
    xn.sh("ip", "netns", "add", victim_ns)
    xn.sh("ip", "link", "add", victim_if, "type", "veth", "peer", "name",
          xn.run_ifname(PREFIX, "vic1"))
    sleeper = subprocess.Popen(["ip", "netns", "exec", victim_ns,
                                "sleep", "60"])
    try:
        a = x2.create("xh-ta")
        x2.kill(signal.SIGKILL)
        path = os.path.join(x2.state, "state.json")
        with open(path) as f:
            st = json.load(f)
        rec = [d for d in st["domains"] if d["dom"] == a][0]
        rec["netns"] = victim_ns
        rec["vifs"][0]["ifname"] = victim_if
        with open(path, "w") as f:
            json.dump(st, f)
        x2.start()
        log = x2.log_text()
        assert "field 'netns' is '%s'; xend names it" % victim_ns in log
        assert a not in x2.doms()
        assert sleeper.poll() is None, "xend killed a foreign process"
        assert xn.link_exists(victim_if), "xend took a foreign link"
        assert xn.ns_exists(victim_ns)
        # its own namespace, no longer listed, was reaped
        assert not xn.ns_exists("xeno-dom%d" % a)
    finally:
        sleeper.kill()
        sleeper.wait()
        xn.sh("ip", "netns", "del", victim_ns, check=False)
        xn.sh("ip", "link", "del", victim_if, check=False)


def test_deleted_tap_is_rebuilt(x2):
    """A vif's TAP deleted behind xend's back is rebuilt (before: the vif
    stayed "running" with no network until xend restarted); dom0's TAP
    too. A vif that cannot be rebuilt says so in list and vif_stats."""
    a = x2.create("xh-ra")
    b = x2.create("xh-rb")
    na, nb = "xeno-dom%d" % a, "xeno-dom%d" % b
    assert xn.ping(na, "169.254.1.%d" % b, need=2) == 2
    port0 = x2.doms()[a]["vifs"][0]["port"]
    xn.sh("ip", "link", "del", "eth0", ns=na)
    assert _wait(lambda: xn.link_exists("eth0", ns=na) and
                 x2.doms()[a]["vifs"][0]["state"] == "up")
    assert x2.doms()[a]["vifs"][0]["port"] is not None
    assert "rebuilt as port" in x2.log_text()
    assert xn.ping(na, "169.254.1.%d" % b, need=2, timeout=8) == 2
    print("\nvif %d.0 deleted on port %s; rebuilt as port %s" %
          (a, port0, x2.doms()[a]["vifs"][0]["port"]))

    # dom0's TAP: deleted, rebuilt, a domain's frames reach dom0 again.
    # (Only that they arrive: the session's xend holds 169.254/16 in dom0
    # too, so dom0's answers may leave through the other TAP.)
    assert _reaches_dom0(na, "before")
    xn.sh("ip", "link", "del", DOM0_IF)
    assert _wait(lambda: xn.link_exists(DOM0_IF) and
                 "169.254.1.0/16" in [x for _, x in xn.if_addrs(DOM0_IF)])
    assert _reaches_dom0(na, "after")
    assert "dom0: %s was rebuilt" % DOM0_IF in x2.log_text()

    # the namespace itself gone: nothing to rebuild into -> failed, shown
    xn.sh("ip", "netns", "del", nb)
    assert _wait(lambda: x2.doms()[b]["vifs"][0]["state"] == "failed")
    v = x2.doms()[b]["vifs"][0]
    assert v["port"] is None and "is gone" in v["error"], v
    r = x2.ctl("vif_stats", b, 0, check=False)
    assert r.returncode != 0 and "not attached" in r.stderr
    x2.ctl("destroy", b)
    x2.ctl("destroy", a)


def test_restart_keeps_limits_when_an_address_is_taken(x2):
    """An address of a vif claimed by dom0 while xend was down: after the
    restart the vif still has its limit (before: it silently lost it while
    vif_getsched reported it), is marked degraded in list and vif_stats,
    and the log says what is true."""
    a = x2.create("xh-la")
    b = x2.create("xh-lb")
    extra = "10.123.%d.9" % a
    x2.ctl("vif_addip", a, 0, extra)
    x2.ctl("vif_setsched", a, 0, 5000, 100000)
    x2.kill(signal.SIGKILL)
    xn.sh("ip", "link", "add", xn.run_ifname(PREFIX, "claim"), "type",
          "veth", "peer", "name", xn.run_ifname(PREFIX, "claim1"))
    xn.sh("ip", "addr", "add", extra + "/32", "dev",
          xn.run_ifname(PREFIX, "claim"))
    try:
        x2.start()
        v = x2.doms()[a]["vifs"][0]
        assert v["state"] == "degraded" and extra in v["error"], v
        g = x2.json("vif_getsched", a, 0)
        assert (g["credit_bytes"], g["credit_usecs"]) == (5000, 100000)
        assert (g["applied_bytes"], g["applied_usecs"]) == (5000, 100000)
        st = x2.json("vif_stats", a, 0)["stats"]
        assert st["state"] == "degraded"
        log = x2.log_text().split("=== ")[-1]
        assert "vif %d.0: attached, but address %s refused" % (a, extra) \
            in log
        assert "not restored" not in log
        # positive control: it forwards on its link-local address
        assert xn.ping("xeno-dom%d" % b, "169.254.1.%d" % a, need=2,
                       timeout=8) == 2
    finally:
        xn.sh("ip", "link", "del", xn.run_ifname(PREFIX, "claim"),
              check=False)
    # dom0 gave the address up: vif_addip puts it back, the vif is up
    assert _wait(lambda: x2.ctl("vif_addip", a, 0, extra,
                                check=False).returncode == 0 and
                 x2.doms()[a]["vifs"][0]["state"] == "up")
    x2.ctl("destroy", b)
    x2.ctl("destroy", a)


def test_linklocal_of_another_domain_refused(x2):
    """vif_addip of another domain's 169.254.1.N is refused (before: it
    was taken, and every later create failed with a misleading error);
    an ordinary address is still accepted, and a create still works."""
    a = x2.create("xh-ua")
    nxt = next(i for i in range(1, 255)
               if not os.path.exists("/run/netns/xeno-dom%d" % i))
    r = x2.ctl("vif_addip", a, 0, "169.254.1.%d" % nxt, check=False)
    assert r.returncode != 0
    assert "reserved for domain %d's first vif" % nxt in r.stderr, r.stderr
    r = x2.ctl("vif_addip", a, 0, "169.254.1.0", check=False)
    assert r.returncode != 0 and "Domain-0" in r.stderr, r.stderr
    x2.ctl("vif_addip", a, 0, "169.254.77.%d" % a)
    b = x2.create("xh-ub")
    assert b == nxt
    x2.ctl("destroy", b)
    x2.ctl("destroy", a)


def test_tool_and_xend_agree(x2, tmp_path):
    """xc_dom_create refuses what xend refuses, in xend's words."""
    for body, msg in (("vcpus = 100", "'vcpus' must be between 1 and 64"),
                      ("vif = []", "'vif' must list 1 to 8 vifs"),
                      ("vif = [ 'rate=99999999999999/1' ]", "out of range"),
                      ('name = "v@5"', "'name' may hold letters")):
        cfg = tmp_path / "bad.cfg"
        text = 'builder = "netns"\n' + body + "\n"
        if "name" not in body:
            text = 'name = "xh-v"\n' + text
        cfg.write_text(text)
        r = xn.tool("xc_dom_create", "-f", str(cfg), sock=x2.sock,
                    check=False)
        assert r.returncode != 0 and msg in r.stderr, (body, r.stderr)
    # xend itself, asked directly, says the same thing
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(x2.sock)
    s.sendall(b'{"cmd":"create","config":{"name":"v@5","builder":"netns"}}\n'
              b'{"cmd":"create","config":{"name":"x","builder":"netns",'
              b'"vcpus":100}}\n')
    rep = xn.read_replies(s, 2)
    s.close()
    assert "'v@5' is not a valid domain name" in rep[0]["error"]
    assert rep[1]["error"].endswith("field 'config.vcpus' must be 1..64")


def _udp_burst(x2, src, dst, n, tag, size=64):
    """@n UDP frames from domain @src to @dst at once; returns how many
    arrived at @dst (and when, seconds after the first was sent)."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    doms = x2.doms()
    smac = doms[src]["vifs"][0]["mac"]
    dmac = doms[dst]["vifs"][0]["mac"]
    marks = [xn.marker("%s%d" % (tag, i)) for i in range(n)]
    frames = [Ether(src=smac, dst=dmac) /
              IP(src="169.254.1.%d" % src, dst="169.254.1.%d" % dst) /
              UDP(sport=4000, dport=9) / (m + b"x" * size) for m in marks]
    with xn.Sniffer("xeno-dom%d" % dst, "eth0") as s:
        t0 = time.time()
        xn.sendp("xeno-dom%d" % src, "eth0", frames)
        s.collect(lambda fr: all(s.has(m) for m in marks), timeout=2.5)
        got = [st - t0 for f, st in zip(s.frames, s.stamps)
               if any(m in f for m in marks)]
    return got


def test_packets_only_limit_enforced(x2):
    """vif_setsched with bytes 0 and a packet limit holds the vif to that
    many frames a period (before: accepted, reported, not enforced)."""
    a = x2.create("xh-pa")
    b = x2.create("xh-pb")
    assert len(_udp_burst(x2, a, b, 20, "free")) == 20   # control
    x2.ctl("vif_setsched", a, 0, 0, 1000000, 5)
    g = x2.json("vif_getsched", a, 0)
    assert (g["credit_bytes"], g["packets"], g["applied_packets"]) == \
        (0, 5, 5), g
    got = _udp_burst(x2, a, b, 20, "lim")
    # 5 at once, 5 more a second later, 5 after two: never 20 in 2.5 s
    assert 5 <= len(got) <= 15, got
    assert len([t for t in got if t < 0.5]) <= 5, got
    x2.ctl("destroy", b)
    x2.ctl("destroy", a)


def test_limit_change_takes_effect_at_once(x2):
    """A vif throttled under a 1000 s period is free as soon as the limit
    changes (before: it waited for the old period to end)."""
    a = x2.create("xh-ca")
    b = x2.create("xh-cb")
    x2.ctl("vif_setsched", a, 0, 1000, 1000000000)
    got = _udp_burst(x2, a, b, 10, "slow", size=300)
    assert 1 <= len(got) <= 4, got          # the credit ran out
    t0 = time.time()
    x2.ctl("vif_setsched", a, 0, 0, 0)
    assert len(_udp_burst(x2, a, b, 5, "fast")) == 5
    assert time.time() - t0 < 5
    x2.ctl("destroy", b)
    x2.ctl("destroy", a)


def test_dhcp_server_guard(x2, tmp_path):
    """A DHCP offer from a domain is dropped as dhcp_guard unless its vif
    is marked dhcp_server=yes (xc_dom_create), which lets it through."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    cfg = tmp_path / "srv.cfg"
    cfg.write_text('name = "xh-srv"\nbuilder = "netns"\nmemory = 16\n'
                   'vif = [ "dhcp_server=yes" ]\n')
    r = xn.tool("xc_dom_create", "--json", "-f", str(cfg), sock=x2.sock)
    srv = int(json.loads(r.stdout)["dom"])
    rogue = x2.create("xh-rogue")
    cli = x2.create("xh-cli")
    doms = x2.doms()
    assert doms[srv]["vifs"][0].get("dhcp_server") is True
    results = {}
    for d in (srv, rogue):
        m = xn.marker("offer%d" % d)
        fr = (Ether(src=doms[d]["vifs"][0]["mac"], dst="ff:ff:ff:ff:ff:ff") /
              IP(src="169.254.1.%d" % d, dst="255.255.255.255") /
              UDP(sport=67, dport=68) / m)
        with xn.Sniffer("xeno-dom%d" % cli, "eth0") as s:
            xn.sendp("xeno-dom%d" % d, "eth0", [fr, fr])
            results[d] = s.collect(lambda f: s.has(m), timeout=1.5)[1]
    assert results[srv], "the trusted server's offer did not arrive"
    assert not results[rogue], "a rogue DHCP offer reached another domain"
    st = x2.json("vif_stats", rogue, 0)["stats"]
    assert st["drops"]["dhcp_guard"] >= 2, st
    assert x2.json("vif_stats", srv, 0)["stats"]["drops"]["dhcp_guard"] == 0
    for d in (cli, rogue, srv):
        x2.ctl("destroy", d)

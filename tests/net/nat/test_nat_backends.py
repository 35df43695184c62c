# SPDX-License-Identifier: GPL-2.0-or-later
"""test_nat_backends.py - nat/ (nat.h) on both back ends, nft and legacy
iptables, driven by nat_harness.c, each test in network namespaces of its
own:

  netns xn-RUN-K-lan      netns xn-RUN-K-dom0             netns xn-RUN-K-d1
  eth0 10.77.5.9/24 -veth- wan0 10.77.5.1/24 (uplink)  +- eth0 169.254.1.1/16
  169.254.0.0/16          br0 169.254.1.0/16 ----------+  default 169.254.1.0
    via 10.77.5.1         (a bridge: veths vif1, vif2  |  netns xn-RUN-K-d2
  (the "outside LAN")      to the domains)             +- eth0 169.254.1.2/16
                          the firewall under test         default 169.254.1.0

RUN is this run's token (xendnet.run_name()), K a counter per test: every
namespace is this test's alone. The link names live inside the namespaces
(made there), so none ever appears in the root namespace, and every rule
the harness makes is in xn-RUN-K-dom0's own ruleset: the host's firewall
is never touched. The LAN host routes 169.254.0.0/16 to dom0 so that what
xeno's forward chain drops can be seen being dropped, and dom0's own
169.254.1.0 can be answered.

Each domain runs a TCP listener on its 169.254.1.N:22 that answers with its
name and the address it saw the connection come from; the LAN runs one on
10.77.5.9:8080 that does the same. Listeners are sockets of this process,
made inside their namespace (xendnet.netns()).

Legacy iptables is looked at with iptables-legacy(-save) explicitly:
Debian 12's `iptables` is iptables-nft, whose rules live in nft's ruleset.

Run as root:  /usr/bin/python3 -m pytest -q tests/net/nat
(BUILD=<build dir> if not ./build; build/libxenonat.a must exist: make all)
"""

import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import xendnet as xn  # noqa: E402  (tests/net/xendnet.py)

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))

PREFIX = "xn"
UPLINK = "wan0"
DOM0_UP, LAN_IP, LAN_NET = "10.77.5.1", "10.77.5.9", "10.77.5.0/24"
DOM0_LL = "169.254.1.0"
DOM_IP = {1: "169.254.1.1", 2: "169.254.1.2"}
BASE = 2200
LAN_PORT = 8080
BACKENDS = ("nft", "iptables")
_count = itertools.count(1)


def run(cmd, check=True, timeout=30, **kw):
    r = subprocess.run(cmd, text=True, capture_output=True, timeout=timeout,
                       **kw)
    if check and r.returncode:
        raise AssertionError("%s failed (%d): %s%s" % (
            " ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def nsx(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def ip(ns, *args):
    return run(["ip", "-n", ns] + list(args))


def cleanup(nss):
    """Remove the namespaces @nss, killing what still runs in them."""
    for ns in nss:
        if not os.path.exists("/run/netns/" + ns):
            continue
        pids = run(["ip", "netns", "pids", ns], check=False).stdout
        for pid in pids.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", ns], check=False)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    lib = os.path.join(BUILD, "libxenonat.a")
    if not os.path.exists(lib):
        pytest.fail("%s missing: make all" % lib)
    xn.run_claim()
    cleanup(xn.leftovers(PREFIX)[0])
    # in the run's temp dir: another run may be running its own build
    out = str(tmp_path_factory.mktemp("nat_harness") / "nat_harness")
    pkgs = "libnftables libiptc json-c"
    san = ("-fsanitize=address,undefined "
           if os.path.basename(BUILD.rstrip("/")) == "build-san" else "")
    cc = ("cc " + san + "-std=gnu11 -O2 -g -Wall -Wextra -Werror "
          "-D_GNU_SOURCE -I{r}/nat $(pkg-config --cflags {p}) -o {o} "
          "{r}/tests/net/nat/nat_harness.c {l} $(pkg-config --libs {p})"
          ).format(r=ROOT, p=pkgs, o=out, l=lib)
    res = subprocess.run(cc, shell=True, text=True, capture_output=True)
    assert res.returncode == 0, "cannot build nat_harness:\n" + res.stderr
    return out


# ------------------------------------------------------------- listeners

class Listener:
    """TCP on @addr:@port inside netns @ns: each connection gets
    "NAME PEER_IP\\n" and is closed."""

    def __init__(self, ns, addr, port, name, family=socket.AF_INET):
        with xn.netns(ns):
            self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((addr, port))
        self.s.listen(8)
        self.name = name
        self.seen = []
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        while True:
            try:
                c, peer = self.s.accept()
            except OSError:
                return
            self.seen.append(peer[0])
            try:
                c.sendall(("%s %s\n" % (self.name, peer[0])).encode())
            finally:
                c.close()

    def close(self):
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()


def connect(ns, addr, port, src=None, timeout=2.0):
    """Connect from netns @ns; the listener's answer, or "refused" /
    "timeout"."""
    with xn.netns(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect((addr, port))
        return s.makefile().readline().strip()
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    finally:
        s.close()


# ------------------------------------------------------------- topology

class Net:
    """One test's namespaces (see the drawing at the top) and back end."""

    def __init__(self, binary, backend):
        k = next(_count)
        self.bin, self.backend = binary, backend
        self.dom0, self.lan = (xn.run_name(PREFIX, "%d-%s" % (k, n))
                               for n in ("dom0", "lan"))
        self.dom = {n: xn.run_name(PREFIX, "%d-d%d" % (k, n)) for n in DOM_IP}
        self.all = [self.dom0, self.lan] + list(self.dom.values())
        self.listeners = []

    def build(self):
        for ns in self.all:
            run(["ip", "netns", "add", ns])
            ip(ns, "link", "set", "lo", "up")
        ip(self.dom0, "link", "add", UPLINK, "type", "veth", "peer", "name",
           "eth0", "netns", self.lan)
        ip(self.dom0, "addr", "add", DOM0_UP + "/24", "dev", UPLINK)
        ip(self.dom0, "link", "set", UPLINK, "up")
        ip(self.lan, "addr", "add", LAN_IP + "/24", "dev", "eth0")
        ip(self.lan, "link", "set", "eth0", "up")
        ip(self.lan, "route", "add", "169.254.0.0/16", "via", DOM0_UP)
        ip(self.dom0, "link", "add", "br0", "type", "bridge")
        ip(self.dom0, "addr", "add", DOM0_LL + "/16", "dev", "br0")
        ip(self.dom0, "link", "set", "br0", "up")
        for n, ns in self.dom.items():
            ip(self.dom0, "link", "add", "vif%d" % n, "master", "br0",
               "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip(self.dom0, "link", "set", "vif%d" % n, "up")
            ip(ns, "addr", "add", DOM_IP[n] + "/16", "dev", "eth0")
            ip(ns, "link", "set", "eth0", "up")
            ip(ns, "route", "add", "default", "via", DOM0_LL)
            self.listen(ns, DOM_IP[n], 22, "dom%d" % n)
        self.listen(self.lan, LAN_IP, LAN_PORT, "lan")

    def listen(self, ns, addr, port, name, family=socket.AF_INET):
        lst = Listener(ns, addr, port, name, family)
        self.listeners.append(lst)
        return lst

    def destroy(self):
        for lst in self.listeners:
            lst.close()
        cleanup(self.all)

    def nat(self, *args, backend=None, check=True):
        """nat_harness BACKEND ARGS in dom0: its stdout."""
        r = run(nsx(self.dom0, self.bin, backend or self.backend) +
                [str(a) for a in args], check=False)
        if check:
            assert r.returncode == 0, "nat_harness %s: %s%s" % (
                " ".join(map(str, args)), r.stdout, r.stderr)
        return r.stdout if check else r

    def apply(self, *doms, base=BASE, uplink=UPLINK):
        return self.nat("apply", uplink, base,
                        *("%d=%s" % (n, DOM_IP[n]) for n in doms))

    def sh(self, cmd, ns=None):
        return run(nsx(ns or self.dom0, "sh", "-c", cmd)).stdout

    def rulesets(self, counters=True):
        """dom0's whole firewall as the tools print it: nft's ruleset
        (iptables-nft's rules too) and legacy iptables-save, without its
        time-stamped comments; without @counters, packet counts read 0."""
        legacy = self.sh("iptables-legacy-save")
        legacy = "".join(ln for ln in legacy.splitlines(True)
                         if not ln.startswith("#"))
        nft = self.sh("nft list ruleset")
        if not counters:
            return zero_counters(nft), zero_counters(legacy)
        return nft, legacy


def zero_counters(text):
    """@text (iptables-save's or nft's) with every packet counter 0."""
    text = re.sub(r"\[\d+:\d+\]", "[0:0]", text)
    return re.sub(r"packets \d+ bytes \d+", "packets 0 bytes 0", text)


@pytest.fixture(params=BACKENDS)
def net(request, harness):
    n = Net(harness, request.param)
    try:
        n.build()
        yield n
    finally:
        n.destroy()


def domain_out(net, n):
    """Domain @n's connection to the LAN listener: the LAN's answer."""
    return connect(net.dom[n], LAN_IP, LAN_PORT)


# ------------------------------------------------------------- tests

def test_redirects_reach_their_domain(net):
    """(1) uplink:2201 -> domain 1's :22, uplink:2202 -> domain 2's, from
    the LAN and from dom0 itself; nothing else in from the uplink."""
    assert connect(net.lan, DOM0_UP, BASE + 1) == "refused"  # before
    net.apply(1, 2)
    assert connect(net.lan, DOM0_UP, BASE + 1) == "dom1 %s" % LAN_IP
    assert connect(net.lan, DOM0_UP, BASE + 2) == "dom2 %s" % LAN_IP
    # dom0's own connection to its uplink address (the output chain)
    assert connect(net.dom0, DOM0_UP, BASE + 2) == "dom2 %s" % DOM0_UP
    # a port with no domain is no redirect
    assert connect(net.lan, DOM0_UP, BASE + 3) == "refused"
    # the LAN routes 169.254/16 to dom0, but only redirected ssh gets in:
    # the direct way is dropped (beside the redirect that worked above)
    assert connect(net.lan, DOM_IP[1], 22, timeout=1.0) == "timeout"
    assert connect(net.lan, DOM0_UP, BASE + 1) == "dom1 %s" % LAN_IP


def test_masquerade_domains_not_dom0(net):
    """(2) a domain's connection out shows the uplink address; dom0's own
    169.254.1.0 is not masqueraded."""
    net.apply(1, 2)
    assert domain_out(net, 1) == "lan %s" % DOM0_UP
    assert domain_out(net, 2) == "lan %s" % DOM0_UP
    assert connect(net.dom0, LAN_IP, LAN_PORT, src=DOM0_LL) == \
        "lan %s" % DOM0_LL
    lan_seen = net.listeners[-1].seen
    assert not [a for a in lan_seen if a.startswith("169.254.") and
                a != DOM0_LL], lan_seen
    # control: without xeno's rules (ip_forward stays on, and the LAN
    # routes 169.254/16 back) the LAN sees the domain's own address
    net.nat("remove")
    assert domain_out(net, 1) == "lan %s" % DOM_IP[1]


def test_redirect_del_add(net):
    """(3) redirect_del closes the port, redirect_add opens it again (and
    moves it to another domain); both are idempotent."""
    net.apply(1, 2)
    assert connect(net.lan, DOM0_UP, BASE + 2) == "dom2 %s" % LAN_IP
    net.nat("del", UPLINK, BASE, 2)
    net.nat("del", UPLINK, BASE, 2)     # not there: not an error
    assert connect(net.lan, DOM0_UP, BASE + 2) == "refused"
    assert connect(net.lan, DOM0_UP, BASE + 1) == "dom1 %s" % LAN_IP
    net.nat("add", UPLINK, BASE, 2, DOM_IP[2])
    net.nat("add", UPLINK, BASE, 2, DOM_IP[2])      # there: not an error
    assert connect(net.lan, DOM0_UP, BASE + 2) == "dom2 %s" % LAN_IP
    # the same port to another address replaces the old redirect
    net.nat("add", UPLINK, BASE, 2, DOM_IP[1])
    assert connect(net.lan, DOM0_UP, BASE + 2) == "dom1 %s" % LAN_IP
    assert net.nat("text").count(str(BASE + 2)) == 1


USER_NFT = """table inet userfw {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 9999 counter accept
    }
}
"""
USER_IPT = [
    # iptables-nft (Debian's default iptables): into nft's ruleset
    "iptables-nft -A INPUT -p tcp --dport 9998 -j ACCEPT",
    "iptables-nft -t nat -A POSTROUTING -s 10.1.2.0/24 -o wan0 -j MASQUERADE",
    # legacy
    "iptables-legacy -A FORWARD -s 10.9.9.0/24 -j ACCEPT",
    "iptables-legacy -A INPUT -p tcp --dport 9997 -j ACCEPT",
    "iptables-legacy -t nat -A PREROUTING -p tcp --dport 8888 "
    "-j DNAT --to-destination 10.9.9.9:80",
    "iptables-legacy -t nat -A POSTROUTING -s 10.9.9.0/24 -j MASQUERADE",
]


def test_coexistence_remove_restores_byte_identical(net):
    """(4) dom0's own nft ruleset and iptables (nft and legacy) rules are
    there before, kept while xeno's rules are in, and byte-identical
    after apply, redirect changes and remove."""
    net.sh("nft -f - <<'EOF'\n%sEOF" % USER_NFT)
    for cmd in USER_IPT:
        net.sh(cmd)
    before = net.rulesets()
    assert "userfw" in before[0] and "9998" in before[0]
    assert "10.9.9.9:80" in before[1]
    # no traffic through the rules: nft's ruleset byte for byte
    net.apply(1, 2)
    net.nat("add", UPLINK, BASE, 3, "169.254.1.3")
    net.nat("del", UPLINK, BASE, 2)
    during = net.rulesets()
    assert during != before         # control: xeno's rules show up
    assert ("table ip xeno" in during[0]) if net.backend == "nft" else \
        ("XENO_FORWARD" in during[1])
    net.nat("remove")
    after = net.rulesets()
    assert after[0] == before[0]
    # the built-in chains' counters count what the namespace sends
    # meanwhile (a link coming up sends an IGMP report): all else is equal
    assert net.rulesets(counters=False)[1] == zero_counters(before[1])
    assert net.nat("present").strip() == "no"
    # with traffic through the user's and xeno's rules: the same but for
    # the packet counters, which count it
    net.apply(1, 2)
    during = net.rulesets()
    for text in ("userfw", "dport 9999", "9998", "10.1.2.0/24"):
        assert text in during[0]
    for text in ("10.9.9.0/24", "10.9.9.9:80", "9997"):
        assert text in during[1]
    assert connect(net.lan, DOM0_UP, BASE + 1) == "dom1 %s" % LAN_IP
    assert domain_out(net, 2) == "lan %s" % DOM0_UP
    net.nat("remove")
    assert net.rulesets(counters=False) == \
        (zero_counters(before[0]), zero_counters(before[1]))
    assert net.nat("present").strip() == "no"


def blockers(net):
    out = net.nat("blockers", UPLINK).splitlines()
    n = int(out[0])
    assert len(out) == n + 1, out
    return out[1:]


def test_forward_drop_blockers(net):
    """(5) a FORWARD policy DROP (legacy filter, an nft ip filter forward
    chain): reported with the fix; the fix lets the domains out."""
    net.apply(1, 2)
    assert blockers(net) == []
    assert domain_out(net, 1) == "lan %s" % DOM0_UP
    # legacy FORWARD policy DROP: the iptables back end's jump comes first
    # and accepts, so it only blocks the nft back end
    net.sh("iptables-legacy -P FORWARD DROP")
    lines = blockers(net)
    if net.backend == "nft":
        assert len(lines) == 1 and "FORWARD has policy DROP" in lines[0]
        assert domain_out(net, 1) == "timeout"
    else:
        assert lines == []
        assert domain_out(net, 1) == "lan %s" % DOM0_UP
    # an nft forward chain with policy drop blocks both
    net.sh("nft add table ip filter && nft add chain ip filter forward "
           "'{ type filter hook forward priority 0; policy drop; }'")
    lines = blockers(net)
    assert len(lines) == (2 if net.backend == "nft" else 1), lines
    assert any("nft chain ip filter forward" in ln for ln in lines), lines
    assert domain_out(net, 1) == "timeout"
    assert connect(net.lan, DOM0_UP, BASE + 1, timeout=1.0) == "timeout"
    for ln in lines:
        m = re.search(r"allow the domains with: (.*)$", ln)
        assert m and UPLINK in m.group(1), ln
        net.sh(m.group(1))
    assert domain_out(net, 1) == "lan %s" % DOM0_UP
    assert domain_out(net, 2) == "lan %s" % DOM0_UP
    assert connect(net.lan, DOM0_UP, BASE + 1) == "dom1 %s" % LAN_IP
    # still no way in but the redirects
    assert connect(net.lan, DOM_IP[1], 22, timeout=1.0) == "timeout"


def count_rules(net):
    """xeno's rules and redirects as the tools list them."""
    if net.backend == "nft":
        j = json.loads(net.sh("nft -j list table ip xeno"))["nftables"]
        rules = [o for o in j if "rule" in o]
        elems = [o["map"].get("elem", []) for o in j if "map" in o]
        return len(rules), sum(len(e) for e in elems), 1
    save = net.rulesets()[1].splitlines()
    rules = [ln for ln in save if ln.startswith("-A XENO_")]
    redirects = [ln for ln in rules if " -j DNAT " in ln]
    jumps = [ln for ln in save
             if re.match(r"-A [A-Z]+ -j XENO_", ln)]
    return len(rules), len(redirects), len(jumps)


def test_apply_twice_one_backend_bad_input(net):
    """(6) apply twice = the same rules, once; one back end at a time; bad
    input refused with a clear message and nothing changed; a port in
    use and the default uplink found."""
    other = "iptables" if net.backend == "nft" else "nft"
    net.apply(1, 2)
    first = count_rules(net)
    net.apply(1, 2)
    assert count_rules(net) == first
    nrules, nredir, njumps = first
    assert nredir == 2
    assert nrules == (8 if net.backend == "nft" else 10)
    assert njumps == (1 if net.backend == "nft" else 4)
    assert connect(net.lan, DOM0_UP, BASE + 1) == "dom1 %s" % LAN_IP

    # one back end at a time
    assert net.nat("check", UPLINK, BASE).strip() == "ok"
    r = net.nat("check", UPLINK, BASE, backend=other, check=False)
    assert r.returncode == 1
    assert "on the %s back end" % net.backend in r.stdout, r.stdout
    r = net.nat("apply", UPLINK, BASE, backend=other, check=False)
    assert r.returncode == 1 and "back end" in r.stdout

    # bad input changes nothing (counters aside: the namespace's own
    # traffic, e.g. an IGMP report, may pass meanwhile)
    before = net.rulesets(counters=False)
    r = net.nat("apply", "nosuch0", BASE, "1=" + DOM_IP[1], check=False)
    assert r.returncode == 1 and "uplink 'nosuch0' does not exist" in \
        r.stdout, r.stdout
    r = net.nat("apply", UPLINK, 65400, "1=" + DOM_IP[1], check=False)
    assert r.returncode == 1 and "port base 65400" in r.stdout and \
        "65535" in r.stdout, r.stdout
    r = net.nat("check", UPLINK, 65400, check=False)
    assert r.returncode == 1 and "port base 65400" in r.stdout
    r = net.nat("apply", UPLINK, BASE, "1=10.0.0.1", check=False)
    assert r.returncode == 1 and "not a link-local" in r.stdout
    assert net.rulesets(counters=False) == before
    # control: the highest base that fits works, and changes the rules
    net.apply(1, base=65535 - 254)
    assert net.rulesets(counters=False) != before
    assert connect(net.lan, DOM0_UP, 65535 - 253) == "dom1 %s" % LAN_IP

    # a port in use
    assert net.nat("port", BASE + 5).strip() == "no"
    net.listen(net.dom0, "0.0.0.0", BASE + 5, "svc")
    assert net.nat("port", BASE + 5).strip() == "yes"
    net.listen(net.dom0, "::", BASE + 6, "svc6", socket.AF_INET6)
    assert net.nat("port", BASE + 6).strip() == "yes"
    assert net.nat("port", BASE + 7).strip() == "no"

    # the default uplink
    r = net.nat("uplink", check=False)
    assert r.returncode == 1 and "no IPv4 default route" in r.stdout
    ip(net.dom0, "route", "add", "default", "via", LAN_IP)
    assert net.nat("uplink").strip() == UPLINK

    net.nat("remove")
    assert net.nat("present").strip() == "no"
    assert net.nat("check", UPLINK, BASE, backend=other).strip() == "ok"

# SPDX-License-Identifier: GPL-2.0-or-later
"""dom0's NAT through xend, end to end, on both back ends: `ssh -p2201
root@<dom0's uplink address>` from a LAN host reaches domain 1 (and 2202
domain 2), a domain reaches the LAN host masqueraded behind dom0's uplink
address, redirects follow domains as they come and go and survive an xend
restart without duplicates. xend runs inside a "dom0" namespace of this
module's own, so the host's real firewall is never touched:

   netns xn-RUN-lan (the remote host)
   eth0 10.77.X.2/24 -- ssh client, TCP listener
        | veth
   netns xn-RUN-d0 (dom0): up0 10.77.X.1/24, default via 10.77.X.2
        xend --dom0 xnRUNv0 (169.254.1.0/16), nft table ip xeno or
        XENO_* chains; domains xeno-domA, xeno-domB (netns), each running
        dropbear on 169.254.1.N:22 with this test's key

Each domain's dropbear runs in a private mount namespace whose /root is a
tmpfs holding the test's authorized_keys, so the host's /root is never
changed. Only processes this module started are killed, by PID.
"""

import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

import xendnet as xn

PREFIX = "xn"


def ns_run(ns, *argv, check=True, timeout=30, **kw):
    return xn.sh(*argv, ns=ns, check=check, timeout=timeout, **kw)


class NatTopo:
    def __init__(self, backend):
        self.backend = backend
        self.tmp = tempfile.mkdtemp(prefix="xeno-nat-%s-" % xn.RUN)
        self.d0 = xn.run_name(PREFIX, "d0" + backend[0])
        self.lan = xn.run_name(PREFIX, "lan" + backend[0])
        self.up = "up0"
        self.dom0_if = "xn%s%sv0" % (xn.RUN, backend[0])
        self.net = "10.77.%d" % (1 if backend == "nft" else 2)
        self.uplink_ip = self.net + ".1"
        self.lan_ip = self.net + ".2"
        self.sock = os.path.join(self.tmp, "xend.sock")
        self.xend = self.proc = None
        self.doms = []
        self.daemons = []
        self.key = os.path.join(self.tmp, "id")

    def build(self):
        xn.sh("ip", "netns", "add", self.d0)
        xn.sh("ip", "netns", "add", self.lan)
        xn.sh("ip", "link", "add", "up0", "netns", self.d0, "type", "veth",
              "peer", "name", "eth0", "netns", self.lan)
        for ns, ifn, ip in ((self.d0, "up0", self.uplink_ip),
                            (self.lan, "eth0", self.lan_ip)):
            ns_run(ns, "ip", "link", "set", "lo", "up")
            ns_run(ns, "ip", "link", "set", ifn, "up")
            ns_run(ns, "ip", "addr", "add", ip + "/24", "dev", ifn)
        ns_run(self.d0, "ip", "route", "add", "default", "via", self.lan_ip)
        xn.sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key)

    def start(self):
        # nsenter, not `ip netns exec`: that would give xend a mount
        # namespace of its own, where the domains' namespace mounts would
        # not be seen by anyone else
        self.xend = xn.XendProc(self.tmp, ["--dom0", self.dom0_if],
                                prefix=["nsenter",
                                        "--net=/run/netns/" + self.d0])
        self.xend.start()
        self.proc = self.xend.proc

    def log_text(self):
        return self.xend.log_text() if self.xend else ""

    def tool(self, name, *args, check=True):
        return xn.tool(name, *args, sock=self.sock, check=check)

    def nat(self, *args, check=True):
        return self.tool("xen_nat", *args, check=check)

    def create(self, name):
        cfg = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "xt-domain.cfg")
        r = self.tool("xc_dom_create", "--json", "-f", cfg, "-D",
                      "name=" + name)
        dom = int(json.loads(r.stdout)["dom"])
        self.sshd(dom)
        return dom

    def sshd(self, dom):
        """dropbear in domain @dom, root's keys from a private /root."""
        ns = "xeno-dom%d" % dom
        hostkey = os.path.join(self.tmp, "hk%d" % dom)
        if not os.path.exists(hostkey):
            xn.sh("dropbearkey", "-t", "ed25519", "-f", hostkey)
        script = ("mount -t tmpfs -o mode=700 tmpfs /root && "
                  "mkdir -m 700 /root/.ssh && "
                  "install -m 600 %s.pub /root/.ssh/authorized_keys && "
                  "exec dropbear -F -E -s -r %s -p 169.254.1.%d:22"
                  % (self.key, hostkey, dom))
        p = subprocess.Popen(["ip", "netns", "exec", ns, "unshare", "-m",
                              "--propagation", "private", "sh", "-c",
                              script], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.daemons.append(p)
        for _ in range(50):
            if ns_run(ns, "sh", "-c", "ss -ltn | grep -q ':22 '",
                      check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("dropbear did not start in %s" % ns)

    def ssh_from_lan(self, port, cmd="ip -4 -o addr show eth0"):
        return ns_run(self.lan, "ssh", "-i", self.key, "-p", str(port),
                      "-o", "StrictHostKeyChecking=no", "-o",
                      "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                      "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                      "root@" + self.uplink_ip, cmd, check=False)

    def destroy(self):
        for p in self.daemons:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.proc and self.proc.poll() is None:
            for d in self.doms:
                self.tool("xc_dom_control", "destroy", d, check=False)
            self.nat("disable", check=False)
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        for d in self.doms:
            xn.sh("ip", "netns", "del", "xeno-dom%d" % d, check=False)
        xn.sh("ip", "netns", "del", self.lan, check=False)
        xn.sh("ip", "netns", "del", self.d0, check=False)


@pytest.fixture(scope="module", params=["nft", "iptables"])
def nt(request, topo):
    t = NatTopo(request.param)
    try:
        t.build()
        t.start()
        t.doms = [t.create("xn-a"), t.create("xn-b")]
        yield t
    except BaseException:
        print("\nxend log:\n" + t.log_text()[-3000:])
        raise
    finally:
        t.destroy()


def _rules(nt):
    if nt.backend == "nft":
        return ns_run(nt.d0, "nft", "list", "ruleset").stdout
    return ns_run(nt.d0, "iptables-legacy-save").stdout


def test_enable_and_ssh_redirects(nt):
    a, b = nt.doms
    before = nt.ssh_from_lan(2200 + a)
    assert before.returncode != 0            # nothing before enable
    out = nt.nat("enable", "--uplink", "up0", "--backend", nt.backend).stdout
    print("\n$ xen_nat enable --uplink up0 --backend %s\n%s" % (nt.backend,
                                                               out))
    st = nt.nat("status").stdout
    print("$ xen_nat status\n" + st)
    assert "back end: %s" % nt.backend in st
    assert "%d -> domain %d (xn-a) -> 169.254.1.%d:22" % (2200 + a, a, a) \
        in st
    for d in (a, b):
        r = nt.ssh_from_lan(2200 + d)
        assert r.returncode == 0, r.stderr
        assert "169.254.1.%d/" % d in r.stdout, r.stdout   # that domain
    j = json.loads(nt.tool("xc_dom_control", "--json", "list").stdout)
    ports = {d["dom"]: d.get("nat_port") for d in j["domains"]}
    assert ports[a] == 2200 + a and ports[b] == 2200 + b
    r = nt.nat("enable", "--uplink", "up0", check=False)
    assert r.returncode == 1 and "already enabled" in r.stderr


def test_domain_reaches_lan_masqueraded(nt):
    a, _ = nt.doms
    srv = subprocess.Popen(["ip", "netns", "exec", nt.lan, "python3", "-c",
                            "import socket\n"
                            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,"
                            " socket.SO_REUSEADDR, 1)\n"
                            "s.bind(('0.0.0.0', 7007)); s.listen(1)\n"
                            "c, a = s.accept(); c.sendall(a[0].encode())"],
                           stdout=subprocess.PIPE)
    time.sleep(0.3)
    try:
        r = ns_run("xeno-dom%d" % a, "python3", "-c",
                   "import socket; s=socket.create_connection(('%s', 7007),"
                   " 5); print(s.recv(64).decode())" % nt.lan_ip)
        assert r.stdout.strip() == nt.uplink_ip, r.stdout   # never 169.254
    finally:
        srv.kill()
        srv.wait()
    # dom0's own link-local traffic is not masqueraded: it keeps its
    # source when it talks to a domain (control: the domain sees it)
    r = ns_run(nt.d0, "ping", "-c", "1", "-W", "2", "169.254.1.%d" % a,
               check=False)
    assert r.returncode == 0


def test_redirects_follow_domains(nt):
    a, b = nt.doms
    xc = nt.tool("xc_dom_control", "destroy", b)
    assert xc.returncode == 0
    nt.doms.remove(b)
    r = nt.ssh_from_lan(2200 + b, "true")
    assert r.returncode != 0
    assert nt.ssh_from_lan(2200 + a, "true").returncode == 0   # control
    c = nt.create("xn-c")
    nt.doms.append(c)
    r = nt.ssh_from_lan(2200 + c)
    assert r.returncode == 0 and "169.254.1.%d/" % c in r.stdout


def _count_redirect_rules(nt):
    text = _rules(nt)
    if nt.backend == "nft":
        return text.count(" : 169.254.1.")
    return text.count("--to-destination 169.254.1.")


def test_restart_keeps_redirects_once(nt):
    a = nt.doms[0]
    n0 = _count_redirect_rules(nt)
    assert n0 == len(nt.doms), _rules(nt)
    nt.proc.send_signal(signal.SIGKILL)
    nt.proc.wait(10)
    nt.start()
    assert _count_redirect_rules(nt) == n0, _rules(nt)
    assert nt.ssh_from_lan(2200 + a, "true").returncode == 0


def test_disable_removes_exactly_ours(nt):
    a = nt.doms[0]
    rules = _rules(nt)
    assert ("table ip xeno" in rules) if nt.backend == "nft" else \
        ("XENO_" in rules)
    nt.nat("disable")
    rules = _rules(nt)
    assert "xeno" not in rules.lower(), rules
    assert nt.ssh_from_lan(2200 + a, "true").returncode != 0
    r = nt.nat("disable", check=False)
    assert r.returncode == 1 and "not enabled" in r.stderr
    # bad input changes nothing
    r = nt.nat("enable", "--uplink", "nosuchif0", check=False)
    assert r.returncode == 1 and "nosuchif0" in r.stderr
    r = nt.nat("enable", "--port-base", "65400", check=False)
    assert r.returncode == 2 and "port base" in r.stderr
    assert "xeno" not in _rules(nt).lower()

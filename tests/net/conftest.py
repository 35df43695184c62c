# SPDX-License-Identifier: GPL-2.0-or-later
"""conftest.py - the xend network test topology (tests/net/test_xend_*.py)

Run as root: BUILD=<abs build dir> /usr/bin/python3 -m pytest -q -x tests/net

   netns xeno-dom1        netns xeno-dom2        netns xeno-dom3
   eth0 169.254.1.1/16    eth0 169.254.1.2/16    eth0 169.254.1.3/16
        |                      |                      + 10.99.0.2 (ip=)
        | TAP                  | TAP                  | TAP
   +----+----------------------+----------------------+-----------+
   |                 xend: VFR switch (one process)               |
   +----+-------------------------------------------------+-------+
        | TAP xt-RUN-vif0 (xend --dom0)                   | AF_PACKET
   root netns: dom0                             xt-RUN-wire (veth, no IP)
   xt-RUN-vif0 169.254.1.0/16                             |
                                                 netns xt-RUN-lan
                                                 xt-RUN-lan0 10.99.0.1/24
                                                 (the "outside LAN")

RUN is a token of this run's (xendnet.run_name()): the LAN namespace,
the veth pair, dom0's TAP and the run's dir /tmp/xeno-net-RUN, where
xend's socket, state dir and log go, are this run's alone. The domains'
namespaces and TAPs are xend's to name (xeno-domN, xvN.K).

The three domains are made by xc_dom_create (builder netns) from
xt-domain.cfg beside this file; domain ids are whatever xend hands out.
The session fixture `topo` claims the run's dir, cleans up what aborted
earlier runs left (only runs that are gone: xendnet.run_alive()), builds
the LAN, starts xend with its own socket, state dir and dom0 TAP, creates
the domains, and on exit (also after a failure) destroys them, stops xend
and removes the namespaces, links and dom0's TAP.

Tests in tests/net/dp/ do not use anything here (no autouse fixtures).

Two xends on one machine would both make xeno-dom1, ...: with another
xend running, run the suite in private namespaces instead, where
/run/netns is its own:

  unshare --mount --net --pid --fork --mount-proc sh -c 'mount
    --make-rprivate / && mount -t tmpfs tmpfs /run/netns && ip link set lo
    up && BUILD=$PWD/build /usr/bin/python3 -m pytest -q tests/net'
"""

import glob
import json
import os
import shutil
import signal
import time

import pytest

import xendnet as xn

# This run's names (see xendnet.run_name()).
PREFIX = "xt"
LAN_NS = xn.run_name(PREFIX, "lan")
LAN_IF = xn.run_ifname(PREFIX, "lan0")
WIRE_IF = xn.run_ifname(PREFIX, "wire")
DOM0_IF = xn.run_ifname(PREFIX, "vif0")
LAN_IP = "10.99.0.1"
PUB_IP = "10.99.0.2"
DOM0_IP = "169.254.1.0"
CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "xt-domain.cfg")


class Dom:
    """One netns domain as the tests see it."""

    def __init__(self, dom, name, public_ip=None):
        self.id = dom
        self.name = name
        self.ns = "xeno-dom%d" % dom
        self.ip = "169.254.1.%d" % dom
        self.public_ip = public_ip
        self.mac = xn.if_mac("eth0", ns=self.ns)
        self.ll6 = xn.eui64_ll(self.mac)

    def __repr__(self):
        return "Dom(%d %s %s %s)" % (self.id, self.name, self.ip, self.mac)


class Xend(xn.XendProc):
    """The xend process under test: the wire and this run's dom0 TAP."""

    def __init__(self, tmp):
        super().__init__(tmp, ["--wire", WIRE_IF, "--dom0", DOM0_IF])


class Topo:
    """What the tests get: xend, the control socket, dom0, the LAN and the
    three domains (doms[2] has the public address)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.xend = Xend(tmp)
        self.sock = self.xend.sock
        self.ctl = xn.Control(self.sock)
        self.doms = []
        self.lan_ns, self.lan_if, self.lan_ip = LAN_NS, LAN_IF, LAN_IP
        self.lan_mac = None
        self.dom0_if, self.dom0_ip = DOM0_IF, DOM0_IP
        self.dom0_mac = None

    def tool(self, name, *args, check=True):
        return xn.tool(name, *args, sock=self.sock, check=check)

    def ctl_tool(self, *args, check=True):
        return self.tool("xc_dom_control", *args, check=check)

    def ctl_json(self, *args):
        return xn.tool_json("xc_dom_control", *args, sock=self.sock)

    def vif_stats(self, dom, vif=0):
        """vif_stats through the tool's --json output, as a user sees it."""
        j = self.ctl_json("vif_stats", dom.id if isinstance(dom, Dom)
                          else dom, vif)
        return j.get("stats", j)

    def switch_stats(self):
        return self.ctl.ok("switch_stats")

    def path(self, name):
        return os.path.join(self.tmp, name)


# ---------------------------------------------------------------- cleanup

def _pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return None


def _xend_pids():
    """Running processes whose executable is called xend."""
    out = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/comm") as f:
                if f.read().strip() == "xend":
                    out.append(int(d.rsplit("/", 1)[1]))
        except OSError:
            pass
    return out


def _kill_xend_of(tmp):
    """SIGKILL the xend a leftover temp dir names in its pid file, if that
    pid still runs with that dir's socket, and wait until it is gone."""
    try:
        with open(os.path.join(tmp, "xend.pid")) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    cmd = _pid_cmdline(pid)
    if not cmd or os.path.join(tmp, "xend.sock").encode() not in cmd:
        return
    os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not _pid_cmdline(pid):  # gone, or a zombie
            break
        time.sleep(0.1)


def cleanup_leftovers():
    """Undo what aborted earlier runs left -- only runs whose pytest is
    gone, never a live run's: their xend (found through the pid file in
    their temp dir), LAN namespace, veth and dom0 TAP; and -- when no xend
    is left running at all -- domain namespaces."""
    for tmp in xn.dead_run_dirs():
        _kill_xend_of(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    nss, links = xn.leftovers(PREFIX)
    for ns in nss:
        xn.sh("ip", "netns", "del", ns, check=False)
    for ifn in links:
        xn.sh("ip", "link", "del", ifn, check=False)
    others = _xend_pids()
    if others:
        pytest.exit("another xend is running (pid %s): tests/net needs "
                    "the xeno-domN namespaces for itself (or run it in "
                    "private namespaces: see tests/net/conftest.py)"
                    % ", ".join(map(str, others)), returncode=1)
    for ns in glob.glob("/run/netns/xeno-dom*"):
        xn.sh("ip", "netns", "del", os.path.basename(ns), check=False)


def make_lan():
    xn.sh("ip", "netns", "add", LAN_NS)
    xn.sh("ip", "link", "add", WIRE_IF, "type", "veth", "peer", "name",
          LAN_IF, "netns", LAN_NS)
    # Neither end speaks IPv6: only the domains' and dom0's frames and
    # the LAN host's IPv4 should cross the wire.
    for ns, ifn in ((None, WIRE_IF), (LAN_NS, LAN_IF)):
        xn.sh("sysctl", "-q", "-w",
              "net.ipv6.conf.%s.disable_ipv6=1" % ifn, ns=ns)
        xn.sh("ip", "link", "set", ifn, "up", ns=ns)
    xn.sh("ip", "link", "set", "lo", "up", ns=LAN_NS)
    xn.sh("ip", "addr", "add", LAN_IP + "/24", "dev", LAN_IF, ns=LAN_NS)


def create_domain(topo, name, public_ip=None):
    """xc_dom_create a netns domain from xt-domain.cfg; returns a Dom."""
    var = "name=%s" % name
    if public_ip:
        var += ":ip=%s" % public_ip
    r = topo.tool("xc_dom_create", "--json", "-f", CFG, "-D", var)
    j = json.loads(r.stdout)
    dom = Dom(int(j["dom"]), name, public_ip)
    for _ in range(50):  # the address is set before create returns, but
        if xn.ns_exists(dom.ns):  # be lenient about the namespace mount
            break
        time.sleep(0.1)
    if public_ip:
        # An on-link route for the LAN through eth0 with the public source,
        # so the domain reaches 10.99.0.1 through the wire, never via dom0.
        xn.sh("ip", "route", "replace", "10.99.0.0/24", "dev", "eth0", "src",
              public_ip, ns=dom.ns)
    return dom


def teardown(topo):
    for d in topo.doms:
        try:
            topo.ctl.call("destroy", dom=d.id)
        except Exception:  # xend may be dead: clean up by hand below
            pass
    topo.xend.kill(signal.SIGTERM)
    for d in topo.doms:
        if xn.ns_exists(d.ns):
            xn.sh("ip", "netns", "del", d.ns, check=False)
    xn.sh("ip", "netns", "del", LAN_NS, check=False)
    if xn.link_exists(WIRE_IF):
        xn.sh("ip", "link", "del", WIRE_IF, check=False)
    if xn.link_exists(DOM0_IF):
        xn.sh("ip", "link", "del", DOM0_IF, check=False)


@pytest.fixture(scope="session")
def topo(request):
    if os.geteuid() != 0:
        pytest.skip("tests/net needs root")
    for prog in ("xend", "xc_dom_create", "xc_dom_control"):
        if not os.access(os.path.join(xn.BUILD, prog), os.X_OK):
            pytest.fail("%s/%s is not built" % (xn.BUILD, prog))
    tmp = xn.run_claim()
    cleanup_leftovers()
    t = Topo(tmp)
    try:
        make_lan()
        t.lan_mac = xn.if_mac(LAN_IF, ns=LAN_NS)
        t.xend.start()
        t.dom0_mac = xn.if_mac(DOM0_IF)
        for name, pub in (("xt-a", None), ("xt-b", None), ("xt-c", PUB_IP)):
            t.doms.append(create_domain(t, name, pub))
        yield t
    except BaseException:
        print("\nxend log (%s):\n%s" % (t.xend.log, t.xend.log_tail()))
        raise
    finally:
        failed = request.session.testsfailed
        teardown(t)
        if failed:
            print("\ntests/net: %d failed; xend log kept in %s"
                  % (failed, t.xend.log))
        else:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def doms(topo):
    """(d1, d2, d3): d3 is the one with the public ip on the LAN."""
    return tuple(topo.doms)

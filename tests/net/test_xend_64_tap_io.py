# SPDX-License-Identifier: GPL-2.0-or-later
"""TAP ports without io_uring (XENO_TAP_IO=syscall, docs/xend.8): the
fallback of one readv/writev per frame, what xend uses where io_uring is
not available, still switches and accounts like the batched path that
the rest of tests/net exercises. A second xend of this module's own:

   netns xeno-domA  eth0 ---TAP--+                 +---TAP--- eth0  xeno-domB
                                 | xend #2         |
                                 | (XENO_TAP_IO=syscall)
                                 +-- TAP xs-RUN-vif0 (dom0)

Only this module's xend is killed, by its PID."""

import json
import os
import signal
import subprocess

import pytest

import xendnet as xn

PREFIX = "xs"
DOM0_IF = xn.run_ifname(PREFIX, "vif0")
FLOOD = os.path.join(xn.BUILD, "bench", "udpflood")


class SXend(xn.XendProc):
    def __init__(self, tmp, mode):
        super().__init__(tmp, ["--dom0", DOM0_IF],
                         prefix=["env", "XENO_TAP_IO=" + mode])

    def create(self, name):
        cfg = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "xt-domain.cfg")
        r = xn.tool("xc_dom_create", "--json", "-f", cfg, "-D",
                    "name=" + name, sock=self.sock)
        d = int(json.loads(r.stdout)["dom"])
        return dict(id=d, ns="xeno-dom%d" % d, ip="169.254.1.%d" % d)

    def vif_stats(self, d):
        return xn.tool_json("xc_dom_control", "vif_stats", str(d["id"]),
                            "0", sock=self.sock)["stats"]


@pytest.fixture(scope="module")
def sx(topo):
    tmp = os.path.join(xn.run_claim(), "xend-syscall")
    os.makedirs(tmp, exist_ok=True)
    x = SXend(tmp, "syscall")
    x.start()
    x.doms = []
    try:
        for name in ("xs-a", "xs-b"):
            x.doms.append(x.create(name))
        yield x
    finally:
        if x.proc.poll() is None:
            for d in x.doms:
                xn.tool("xc_dom_control", "destroy", str(d["id"]),
                        sock=x.sock, check=False)
        x.kill(signal.SIGTERM)
        for d in x.doms:
            if xn.ns_exists(d["ns"]):
                xn.sh("ip", "netns", "del", d["ns"], check=False)
        if xn.link_exists(DOM0_IF):
            xn.sh("ip", "link", "del", DOM0_IF, check=False)


def test_fallback_switches_and_accounts(sx):
    a, b = sx.doms
    assert "one system call per frame" in sx.log_text()
    xn.ping(a["ns"], b["ip"], need=3)
    # big frames too (a GSO-sized ping is one frame on the TAP)
    xn.sh("ip", "netns", "exec", a["ns"], "ping", "-c", "2", "-s", "30000",
          b["ip"])
    before = sx.vif_stats(a)
    out = subprocess.run(["ip", "netns", "exec", a["ns"], FLOOD, b["ip"],
                          "9", "0.3", "64"], capture_output=True, text=True,
                         check=True).stdout
    sent = int(out.split()[1])
    xn.ping(a["ns"], b["ip"], need=1)    # the queue has drained
    after = sx.vif_stats(a)
    took = after["tx_packets"] - before["tx_packets"]
    lost = after["tap_tx_dropped"] - before["tap_tx_dropped"]
    print("\nsyscall TAP I/O: udpflood sent %d, the switch took %d, the "
          "TAP dropped %d" % (sent, took, lost))
    assert took > 0
    assert sent <= took + lost <= sent + 20, (sent, took, lost)


def test_batched_is_the_default(topo):
    """The session's xend (no XENO_TAP_IO) says it batches (positive
    control of the log line the test above checks)."""
    assert "a batch of reads or writes per system call" in \
        topo.xend.log_text()

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

import os
import subprocess

import pytest

import xendnet as xn

PREFIX = "xs"
FLOOD = os.path.join(xn.BUILD, "bench", "udpflood")


@pytest.fixture(scope="module")
def sx(topo):
    with xn.own_xend(PREFIX, ("xs-a", "xs-b"),
                     cmd=["env", "XENO_TAP_IO=syscall"]) as x:
        yield x


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

# SPDX-License-Identifier: GPL-2.0-or-later
"""xend --poll-us and --dp-nice: the data-plane thread polls for a while after frames
instead of sleeping at once, and never spins once traffic has stopped.
A second xend of this module's own, with --poll-us 2000 and no fast
path (with it, the pings between the domains would not pass through the
data-plane thread at all: test_xend_67_fastpath.py):

   netns xeno-domA  eth0 ---TAP---+                +---TAP--- eth0  xeno-domB
                                  |  xend #2       |
                                  +--(poll 2 ms)---+
                                  | TAP xp-RUN-vif0 (dom0)

While pings come every millisecond (closer than the window) the thread
stays busy (positive control: polling is on); a second after the last
one it uses no CPU at all (the bound). Only this module's xend is
killed, by its PID."""

import os
import subprocess
import time

import pytest

import xendnet as xn

PREFIX = "xp"
HZ = os.sysconf("SC_CLK_TCK")


def dp_stat(x):
    """/proc stat fields (after the name) of xend @x's data-plane thread."""
    task = "/proc/%d/task" % x.proc.pid
    for t in os.listdir(task):
        with open(os.path.join(task, t, "stat")) as f:
            st = f.read()
        if "(xend-dp)" in st:
            return st.rsplit(")", 1)[1].split()
    pytest.fail("no xend-dp thread in xend %d" % x.proc.pid)


def dp_seconds(x):
    """CPU time so far of xend @x's data-plane thread."""
    fields = dp_stat(x)
    return (int(fields[11]) + int(fields[12])) / HZ


@pytest.fixture(scope="module")
def px(topo):
    with xn.own_xend(PREFIX, ("xp-a", "xp-b"),
                     args=["--poll-us", "2000", "--fastpath", "off"]) as x:
        yield x


def test_polls_while_busy_and_sleeps_when_idle(px):
    a, b = px.doms
    xn.ping(a["ns"], b["ip"], need=2)
    t0 = dp_seconds(px)
    start = time.monotonic()
    r = subprocess.run(["ip", "netns", "exec", a["ns"], "ping", "-q", "-c",
                        "1000", "-i", "0.001", b["ip"]],
                       capture_output=True, text=True)
    busy = (dp_seconds(px) - t0) / (time.monotonic() - start)
    assert " 0% packet loss" in r.stdout, r.stdout
    time.sleep(0.5)                      # past the window
    t1 = dp_seconds(px)
    time.sleep(2.0)
    idle = (dp_seconds(px) - t1) / 2.0
    print("\ndata-plane thread: %.0f%% of a core with a ping every ms, "
          "%.1f%% idle" % (100 * busy, 100 * idle))
    assert busy > 0.3, "polling is not on (%.2f)" % busy
    assert idle < 0.02, "the thread spins with no traffic (%.2f)" % idle


def test_data_plane_runs_at_nice_minus_10(px, topo):
    """xend --dp-nice's default (docs/xend.8), on this module's xend and
    the session's; xend's main thread keeps its own (positive control:
    the value read is the thread's, not the process's)."""
    for x in (px, topo.xend):
        assert int(dp_stat(x)[16]) == -10
        with open("/proc/%d/stat" % x.proc.pid) as f:
            assert int(f.read().rsplit(")", 1)[1].split()[16]) == 0


@pytest.mark.parametrize("opt,bad,says", [
    ("--poll-us", "-1", "bad poll time"),
    ("--poll-us", "100001", "bad poll time"),
    ("--poll-us", "x", "bad poll time"),
    ("--poll-us", "", "bad poll time"),
    ("--dp-nice", "-21", "bad nice value"),
    ("--dp-nice", "20", "bad nice value"),
    ("--dp-nice", "z", "bad nice value")])
def test_bad_values_are_refused(opt, bad, says):
    r = subprocess.run([os.path.join(xn.BUILD, "xend"), "--foreground",
                        opt, bad], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode != 0
    assert says in r.stderr, r.stderr

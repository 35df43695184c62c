# SPDX-License-Identifier: GPL-2.0-or-later
"""The end of a session: destroying every domain leaves no namespace
behind, and SIGTERM stops xend cleanly -- exit 0, dom0's TAP gone, and
(for a sanitizer build, BUILD=build-san) no sanitizer report in its log
over the whole run. Runs last. Topology: conftest.py."""

import signal

import xendnet as xn


def test_destroy_all_and_shut_down(topo, doms):
    for d in doms:
        topo.ctl_tool("destroy", d.id)
        assert not xn.ns_exists(d.ns), "%s left after destroy" % d.ns
    left = [x["dom"] for x in topo.ctl_json("list")["domains"]]
    assert left == [0], "domains left after destroying all: %r" % left
    # positive control for the ping below: dom0 still answers itself
    assert xn.ping(None, topo.dom0_ip, need=1) == 1
    status = topo.xend.kill(signal.SIGTERM)
    log = open(topo.xend.log, errors="replace").read()
    reports = [ln for ln in log.splitlines() if "Sanitizer" in ln or
               "runtime error:" in ln]
    assert not reports, "sanitizer reports in %s:\n%s" % (
        topo.xend.log, "\n".join(reports[:20]))
    assert status == 0, "xend exited with %r on SIGTERM; log:\n%s" % (
        status, topo.xend.log_tail())
    assert not xn.link_exists(topo.dom0_if), \
        "%s left after xend exit" % topo.dom0_if
    topo.doms.clear()  # nothing left for the fixture to destroy

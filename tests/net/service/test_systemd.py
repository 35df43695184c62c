# SPDX-License-Identifier: GPL-2.0-or-later
"""test_systemd.py - xend as a systemd service, where systemd runs the
machine (PID 1); skipped elsewhere (containers, CI sandboxes).

The unit is etc/systemd/xend.service.in with every hardening and
ordering setting kept; only ExecStart points at the build tree's xend
with this run's socket, state and console dirs, the name carries the
run's token, and the run dir stands in for the State/Logs/Runtime
directories. Installed in /run/systemd/system (gone at reboot) and
removed after the test.
"""

import os
import re
import subprocess
import time

import pytest

import xendnet as xn

REPO = xn.REPO


def systemd_is_init():
    try:
        with open("/proc/1/comm") as f:
            return f.read().strip() == "systemd"
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not systemd_is_init() or os.geteuid() != 0,
    reason="needs root on a machine whose PID 1 is systemd (here PID 1 is "
           "not systemd: tests/net/service/test_sdnotify.py covers the "
           "notify protocol against a fake NOTIFY_SOCKET instead)")


def systemctl(*args, check=True):
    return xn.sh("systemctl", *args, check=check)


def show(unit, prop):
    return systemctl("show", "-p", prop, "--value", unit).stdout.strip()


def unit_text(d):
    with open(os.path.join(REPO, "etc/systemd/xend.service.in")) as f:
        text = f.read()
    exec_start = ("ExecStart=%s --foreground --socket %s/xend.sock "
                  "--state-dir %s/state --console-dir %s/console "
                  "--dom0 %s" % (os.path.join(xn.BUILD, "xend"), d, d, d,
                                 xn.run_ifname("xs", "vif0")))
    text = re.sub(r"^ExecStart=.*$", exec_start, text, flags=re.M)
    # the real unit's directories belong to an installed xend
    return re.sub(r"^(State|Logs|Runtime)Directory.*\n", "", text,
                  flags=re.M)


def test_start_stop_under_systemd():
    d = os.path.join(xn.run_claim(), "systemd")
    os.makedirs(d, exist_ok=True)
    unit = "xeno-test-%s.service" % xn.RUN
    path = os.path.join("/run/systemd/system", unit)
    with open(path, "w") as f:
        f.write(unit_text(d))
    try:
        systemctl("daemon-reload")
        # `start` of a Type=notify unit returns once READY=1 arrived
        systemctl("start", unit)
        assert show(unit, "ActiveState") == "active"
        assert show(unit, "StatusText") == "0 domains"
        assert xn.Control(os.path.join(d, "xend.sock")).call("ping")["ok"]
        pid = int(show(unit, "MainPID"))
        assert pid > 0
        systemctl("stop", unit)
        for _ in range(50):
            if show(unit, "ActiveState") == "inactive":
                break
            time.sleep(0.1)
        assert show(unit, "ActiveState") == "inactive"
        assert show(unit, "Result") == "success"
        assert not os.path.exists(os.path.join(d, "xend.sock"))
    finally:
        systemctl("stop", unit, check=False)
        os.unlink(path)
        systemctl("daemon-reload", check=False)
        subprocess.run(["rm", "-rf", d], check=False)

# SPDX-License-Identifier: GPL-2.0-or-later
"""test_sdnotify.py - xend's Type=notify protocol (hypervisor/sdnotify.c)
against a service manager played by the test: a Unix datagram socket of
its own named in NOTIFY_SOCKET, as systemd does.

Run as root: BUILD=<abs build dir> /usr/bin/python3 -m pytest -q
tests/net/service. Each xend runs in a network namespace of its own
(unshare --net: it goes when xend does), with its socket, state and
console dirs in this run's dir, so it meets neither the host's nor
another run's xend; it makes no domain.

   test (pytest)                          unshare --net
   notify.sock  <--- READY=1, STATUS= ---  xend --foreground
   (SOCK_DGRAM)  <--- STOPPING=1 --------  dom0 TAP vif0.0 (private)
   ping ------------- xend.sock ------->   control socket
"""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

import xendnet as xn


@pytest.fixture
def run_dir():
    if os.geteuid() != 0:
        pytest.skip("xend needs root (TAP, network namespaces)")
    if not os.access(os.path.join(xn.BUILD, "xend"), os.X_OK):
        pytest.fail("%s/xend is not built" % xn.BUILD)
    d = os.path.join(xn.run_claim(), "sdnotify")
    os.makedirs(d, exist_ok=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)    # failures quote xend's log


class Manager:
    """The service manager's end: a datagram socket at @path."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def recv(self, timeout):
        """One message as a dict of its NAME=value lines; None at timeout."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        return dict(ln.split("=", 1) for ln in
                    data.decode().splitlines() if "=" in ln)

    def close(self):
        self.sock.close()
        os.unlink(self.path)


class Xend:
    """xend --foreground in its own network namespace, NOTIFY_SOCKET as
    given (None: unset). Killed only by its pid."""

    def __init__(self, d, notify):
        self.sock = os.path.join(d, "xend.sock")
        self.log = os.path.join(d, "xend.log")
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        if notify:
            env["NOTIFY_SOCKET"] = notify
        argv = ["unshare", "--net", "--", os.path.join(xn.BUILD, "xend"),
                "--foreground", "--socket", self.sock,
                "--state-dir", os.path.join(d, "state"),
                "--console-dir", os.path.join(d, "console")]
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(argv, env=env, stdout=logf,
                                         stderr=logf,
                                         stdin=subprocess.DEVNULL)

    def ping(self):
        """Does the control socket answer `ping` right now?"""
        try:
            return xn.Control(self.sock).call("ping").get("ok") is True
        except (OSError, ValueError):
            return False

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung"
        return self.proc.returncode

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


@pytest.fixture
def manager(run_dir):
    m = Manager(os.path.join(run_dir, "notify.sock"))
    yield m
    m.close()


def test_ready_status_stopping(run_dir, manager):
    x = Xend(run_dir, manager.path)
    try:
        msg = manager.recv(timeout=20)
        assert msg is not None, "no message from xend in 20 s; log:\n" + \
            x.log_text()
        # READY=1 is the first thing said, and it is true: the control
        # socket answers at once, without a retry.
        assert msg.get("READY") == "1", msg
        assert x.ping(), "READY=1 but the control socket does not answer"
        assert msg.get("STATUS") == "0 domains", msg
        # Nothing more while xend just runs (positive control: STOPPING
        # does arrive below, on the same socket).
        assert manager.recv(timeout=0.5) is None
        assert x.proc.poll() is None
        t0 = time.monotonic()
        x.proc.send_signal(signal.SIGTERM)
        msg = manager.recv(timeout=10)
        assert msg is not None and msg.get("STOPPING") == "1", msg
        assert x.proc.wait(10) == 0, x.log_text()
        assert time.monotonic() - t0 < 10
    finally:
        x.stop()


def test_no_notify_socket(run_dir, manager):
    """Without NOTIFY_SOCKET xend says nothing and runs as before."""
    x = Xend(run_dir, None)
    try:
        xn.wait_socket(x.sock, x.proc)
        assert x.ping()
        assert manager.recv(timeout=0.5) is None
        assert x.stop() == 0
    finally:
        x.stop()
    log = x.log_text()
    assert "cannot notify" not in log, log


def test_unreachable_notify_socket(run_dir):
    """A NOTIFY_SOCKET nobody listens on costs a warning, not the daemon."""
    gone = os.path.join(run_dir, "nobody.sock")
    x = Xend(run_dir, gone)
    try:
        xn.wait_socket(x.sock, x.proc)
        assert x.ping()
        assert x.stop() == 0
    finally:
        x.stop()
    log = x.log_text()
    assert "cannot notify the service manager" in log, log

# SPDX-License-Identifier: GPL-2.0-or-later
"""conftest.py - boots the Demo CD (build/xeno-demo.iso, `make appliance`)
under QEMU as a user would, through its GRUB menu on the serial console

    host                          QEMU (TCG, 1 GB, 2 CPUs, -cdrom ISO)
    127.0.0.1:SSH  ── hostfwd ──> 10.0.2.15:22    dom0's sshd
    127.0.0.1:DOM1 ── hostfwd ──> 10.0.2.15:2201  NAT to domain 1's :22
    pexpect       <── stdio ───>  ttyS0: GRUB's menu, then a root shell

Fixture `boot_entry` (module): boot_entry(n) starts QEMU, waits for GRUB's
menu, presses Down n times and Enter, waits for `xeno-appliance: ready`
and returns an Appliance. One QEMU at a time: the one booted before is
killed first, by its own PID, and the last at the end of the module. The
ports are free ones picked per run, the serial logs go to a per-run
directory (/tmp/xa-PID-XXXX, removed unless XENO_VM_KEEP=1). Boot times are collected and printed at the end of the
session, and written to $BUILD/appliance/boot-times.txt.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pexpect
import pytest

QEMU = "qemu-system-x86_64"
ENTRIES = ["xeno / Debian linux",
           "xeno / Debian linux using cmdline IP configuration",
           "xeno / Debian linux in \"safe mode\"",
           "Debian linux (no xend)"]
READY_RE = r"xeno-appliance: ready (\S+) (\S+) \(consoles"
BOOT_TIMEOUT = 240
TIMES = []      # (entry title, seconds from QEMU's start to ready)


def build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("BUILD") or os.path.join(here, "..", "..", "build")


def free_tcp_port():
    """A local TCP port free right now (another process may yet take it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Appliance:
    """One booted QEMU: its serial console (pexpect) and forwarded ports."""

    def __init__(self, child, ssh_port, dom1_port, key, boot_seconds,
                 ready):
        self.child = child
        self.ssh_port = ssh_port
        self.dom1_port = dom1_port
        self.key = key
        self.boot_seconds = boot_seconds
        self.mode, self.address = ready
        self.n = 0

    def sh(self, cmd, timeout=60, check=True):
        """Runs @cmd in the console's root shell; returns (rc, output)."""
        self.n += 1
        beg, end = "XA-BEG-%d" % self.n, "XA-END-%d" % self.n
        # The markers are split in the command so that its echo (if any)
        # does not match them.
        line = ("printf '%%s\\n' '%s''%s'; %s; printf '%%s %%s\\n' '%s''%s' $?"
                % (beg[:3], beg[3:], cmd, end[:3], end[3:]))
        self.child.sendline(line)
        self.child.expect(re.escape(beg) + r"\r*\n", timeout=timeout)
        self.child.expect(re.escape(end) + r" (\d+)", timeout=timeout)
        out = self.child.before.replace("\r", "")
        rc = int(self.child.match.group(1))
        if check and rc != 0:
            raise AssertionError("`%s` exited %d:\n%s" % (cmd, rc, out))
        return rc, out

    def ssh_args(self, port, key=None):
        return ["ssh", "-i", key or self.key, "-p", str(port),
                "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10", "-o", "BatchMode=yes",
                "root@127.0.0.1"]

    def ssh(self, port, cmd, timeout=60, key=None):
        """ssh to 127.0.0.1:@port (forwarded into QEMU), by root's key."""
        return subprocess.run(self.ssh_args(port, key) + [cmd],
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def iso():
    b = build_dir()
    path = os.path.join(b, "xeno-demo.iso")
    key = os.path.join(b, "appliance", "id_ed25519")
    if not os.path.exists(path) or not os.path.exists(key):
        pytest.fail("no %s: run `make appliance`" % path)
    if not shutil.which(QEMU):
        pytest.fail("%s not found (scripts/install-deps)" % QEMU)
    return path, key


@pytest.fixture(scope="module")
def run_dir():
    d = tempfile.mkdtemp(prefix="xa-%d-" % os.getpid())
    yield d
    if os.environ.get("XENO_VM_KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def boot_entry(iso, run_dir):
    children = []

    def stop_all():
        for child in children:
            # by QEMU's own PID (pexpect's child), nothing else
            if child.isalive():
                child.terminate(force=True)
            if child.logfile_read and not child.logfile_read.closed:
                child.logfile_read.close()

    def boot(entry):
        """Boots menu entry @entry (0-3); the QEMU booted before is
        stopped first: one QEMU at a time."""
        stop_all()
        path, key = iso
        ssh_port, dom1_port = free_tcp_port(), free_tcp_port()
        nic = ("user,model=virtio-net-pci,"
               "hostfwd=tcp:127.0.0.1:%d-:22,hostfwd=tcp:127.0.0.1:%d-:2201"
               % (ssh_port, dom1_port))
        args = ["-nodefaults", "-machine", "pc", "-accel", "tcg",
                "-m", "1024", "-smp", "2", "-cdrom", path, "-boot", "d",
                "-display", "none", "-vga", "std", "-monitor", "none",
                "-chardev", "stdio,id=s0,signal=off", "-serial", "chardev:s0",
                "-nic", nic]
        t0 = time.monotonic()
        child = pexpect.spawn(QEMU, args, encoding="utf-8",
                              codec_errors="replace", timeout=BOOT_TIMEOUT,
                              dimensions=(50, 200))
        children.append(child)
        child.logfile_read = open(os.path.join(run_dir, "serial-%d.log"
                                               % entry), "w")
        # GRUB marks the highlighted entry with "*": the first, then the
        # one the Down keys (ESC [ B on a serial terminal) move to.
        child.expect(r"\*" + re.escape(ENTRIES[0]), timeout=60)
        child.expect("will be executed automatically", timeout=30)
        if entry:
            child.send("\x1b[B" * entry)
            child.expect(r"\*" + re.escape(ENTRIES[entry]), timeout=10)
        child.send("\r")
        child.expect("Loading the kernel", timeout=10)
        child.expect(READY_RE)
        ready = (child.match.group(1), child.match.group(2))
        secs = time.monotonic() - t0
        TIMES.append((ENTRIES[entry], secs))
        # the root shell on the console: quiet, no echo of the commands
        child.sendline("")
        child.expect(r"# ", timeout=30)
        child.sendline("stty -echo; export PS1='# '")
        time.sleep(0.5)
        app = Appliance(child, ssh_port, dom1_port, key, secs, ready)
        app.sh("true")
        return app

    yield boot
    stop_all()


def pytest_terminal_summary(terminalreporter):
    if not TIMES:
        return
    lines = ["%-55s %5.1f s" % (t, s) for t, s in TIMES]
    terminalreporter.write_sep("-", "appliance boot times (TCG, QEMU start "
                               "to ready)")
    for line in lines:
        terminalreporter.write_line(line)
    try:
        with open(os.path.join(build_dir(), "appliance", "boot-times.txt"),
                  "w") as f:
            f.write("\n".join(lines) + "\n")
    except OSError:
        pass

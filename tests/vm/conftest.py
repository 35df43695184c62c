# SPDX-License-Identifier: GPL-2.0-or-later
"""conftest.py - boots xeno's guest image (guest/, `make guest`) under QEMU

Fixtures for every test module of tests/vm:

  guest_image  (session)  GuestImage: the kernel, initrd and keys in
                          $BUILD/guest, and the kernel version inside
  vm_dir       (module)   a per-run directory /tmp/xv-PID-XXXX for sockets,
                          serial logs and disks (removed afterwards unless
                          XENO_VM_KEEP=1)
  boot_vm      (module)   factory: boot_vm(name, cmdline=..., ...) starts a
                          QEMU, connects its serial and QMP sockets, waits
                          for `xeno-guest: ready` and returns a Guest; at
                          module teardown every QEMU it started is killed,
                          by its own PID, and nothing else

A Guest (one QEMU) offers: .ssh(cmd), .wait_line(regex), .lines(),
.ticks(), .qmp.execute(cmd, **args), .powerdown(timeout), .kill(),
.rss_kb(), .boot_seconds, .ssh_port, .pid.

QEMU runs under TCG (no /dev/kvm here, DESIGN §12) with -nodefaults, its
serial port on a unix socket (console=ttyS0) and a QMP unix socket. The
default NIC is user networking with port 22 forwarded from a free local
port; pass netdev=[...] for TAP or vhost-user back ends instead.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

import pytest

QEMU = "qemu-system-x86_64"
READY_RE = r"xeno-guest: ready (\S+) (\S+)"
TICK_RE = re.compile(r"xeno-tick (\d+) up (\d+)")


def build_dir():
    """$BUILD as the Makefile exports it, else the checkout's build/."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("BUILD") or os.path.join(here, "..", "..", "build")


@dataclass
class GuestImage:
    """The outputs of `make guest`."""
    dir: str
    kernel: str
    initrd: str
    key: str            # root's private key (ssh -i)
    pubkey: str
    host_pubkey: str    # the guest's ssh host key, "ssh-ed25519 AAAA..."
    kernel_version: str  # e.g. 6.1.0-57-cloud-amd64


def free_tcp_port():
    """A local TCP port free right now (another process may yet take it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_path(path, proc, timeout):
    """Waits for QEMU to create a socket; False if QEMU exits first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


class Serial:
    """The guest's ttyS0: a reader thread collects (time, line) pairs."""

    def __init__(self, path, log_path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.log = open(log_path, "wb")
        self.cond = threading.Condition()
        self.entries = []   # (monotonic time, line without newline)
        self.partial = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            self.log.write(data)
            self.log.flush()
            now = time.monotonic()
            with self.cond:
                self.partial += data
                *done, self.partial = self.partial.split(b"\n")
                for raw in done:
                    line = raw.decode("utf-8", "replace").rstrip("\r")
                    self.entries.append((now, line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def lines(self):
        with self.cond:
            return [line for _, line in self.entries]

    def wait_line(self, regex, timeout, start=0):
        """Waits for a line matching regex among lines[start:].

        Returns (index, time, match); raises TimeoutError with the tail.
        """
        pat = re.compile(regex)
        end = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                for i in range(i, len(self.entries)):
                    t, line = self.entries[i]
                    m = pat.search(line)
                    if m:
                        return i, t, m
                i = len(self.entries)
                left = end - time.monotonic()
                if left <= 0 or not self.thread.is_alive():
                    tail = "\n".join(l for _, l in self.entries[-20:])
                    raise TimeoutError(f"no line /{regex}/ in {timeout}s; "
                                       f"serial ends:\n{tail}")
                self.cond.wait(min(left, 0.5))

    def send(self, text):
        self.sock.sendall(text.encode())

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(timeout=5)
        self.log.close()


class QMP:
    """A minimal QMP client: execute() returns "return", raises on "error"."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw")
        self.events = []
        json.loads(self.file.readline())     # the greeting
        self.execute("qmp_capabilities")

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError(f"QMP closed during {cmd}")
            reply = json.loads(line)
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise RuntimeError(f"QMP {cmd}: {reply['error']}")
            else:
                return reply.get("return")

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


class Guest:
    """One QEMU process running the guest image; owned by boot_vm."""

    def __init__(self, image, vm_dir, name, cmdline, memory, netdev,
                 extra_args, accel):
        self.image, self.name = image, name
        self.serial_path = os.path.join(vm_dir, f"{name}.serial")
        self.qmp_path = os.path.join(vm_dir, f"{name}.qmp")
        self.serial_log = os.path.join(vm_dir, f"{name}.console.log")
        self.stderr_path = os.path.join(vm_dir, f"{name}.stderr")
        self.ssh_port = None
        if netdev is None:
            self.ssh_port = free_tcp_port()
            netdev = ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:"
                      f"{self.ssh_port}-:22",
                      "-device", "virtio-net-pci,netdev=n0,disable-modern=off"]
        self.argv = [QEMU, "-name", name, "-accel", accel, "-m", str(memory),
                     "-nodefaults", "-display", "none", "-no-reboot",
                     "-kernel", image.kernel, "-initrd", image.initrd,
                     "-append", cmdline,
                     "-chardev", f"socket,id=ser0,path={self.serial_path},"
                                 "server=on,wait=on",
                     "-serial", "chardev:ser0",
                     "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
                     *netdev, *extra_args]
        self.proc = None
        self.serial = None
        self.qmp = None
        self.started = None
        self.boot_seconds = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        """Starts QEMU and connects serial and QMP; raises with QEMU's stderr."""
        for p in (self.serial_path, self.qmp_path):
            if os.path.exists(p):
                os.unlink(p)
        with open(self.stderr_path, "wb") as err:
            self.started = time.monotonic()
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err)
        # wait=on: QEMU holds the guest until the serial reader connects.
        if not wait_path(self.serial_path, self.proc, 30):
            raise RuntimeError(f"QEMU did not start: {self.stderr()}")
        self.serial = Serial(self.serial_path, self.serial_log)
        if not wait_path(self.qmp_path, self.proc, 30):
            raise RuntimeError(f"QEMU has no QMP socket: {self.stderr()}")
        self.qmp = QMP(self.qmp_path)

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def wait_ready(self, timeout=120):
        """Waits for the ready line; sets boot_seconds (QEMU start to it)."""
        _, t, m = self.serial.wait_line(READY_RE, timeout)
        self.boot_seconds = t - self.started
        return m.group(1), m.group(2)

    def wait_line(self, regex, timeout=30, start=0):
        return self.serial.wait_line(regex, timeout, start)

    def lines(self):
        return self.serial.lines()

    def ticks(self):
        """[(counter, uptime seconds)] of the xeno-tick lines seen so far."""
        out = []
        for line in self.lines():
            m = TICK_RE.search(line)
            if m:
                out.append((int(m.group(1)), int(m.group(2))))
        return out

    def ssh_argv(self, *opts):
        """ssh's argv up to the command; opts come first, as ssh takes the
        first value given for an option."""
        return ["ssh", *opts, "-i", self.image.key, "-p", str(self.ssh_port),
                "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR",
                "root@127.0.0.1"]

    def ssh(self, cmd, timeout=60, check=True, opts=()):
        """Runs cmd in the guest as root over ssh; a CompletedProcess."""
        assert self.ssh_port, "this guest has no forwarded ssh port"
        r = subprocess.run([*self.ssh_argv(*opts), cmd], capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"ssh {cmd!r}: rc {r.returncode}: "
                                 f"{r.stderr.strip()}")
        return r

    def rss_kb(self):
        """QEMU's resident set size in KiB."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def powerdown(self, timeout=30):
        """system_powerdown over QMP; QEMU's exit code, None on timeout."""
        self.qmp.execute("system_powerdown")
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """Ends this QEMU (SIGKILL by its PID) and closes the sockets."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        for c in (self.qmp, self.serial):
            if c:
                c.close()


@pytest.fixture(scope="session")
def guest_image():
    d = os.path.abspath(os.path.join(build_dir(), "guest"))
    img = GuestImage(dir=d, kernel=f"{d}/vmlinuz", initrd=f"{d}/initrd.img",
                     key=f"{d}/id_ed25519", pubkey=f"{d}/id_ed25519.pub",
                     host_pubkey="", kernel_version="")
    for f in (img.kernel, img.initrd, img.key, f"{d}/host_ed25519.pub"):
        if not os.path.exists(f):
            pytest.fail(f"{f} missing: run `make guest`")
    if shutil.which(QEMU) is None:
        pytest.fail(f"{QEMU} missing: run scripts/install-deps")
    with open(f"{d}/host_ed25519.pub") as f:
        img.host_pubkey = f.read().strip()
    with open(f"{d}/root/etc/xeno-guest-packages") as f:
        m = re.search(r"^linux-image-(\S+)=", f.read(), re.M)
    img.kernel_version = m.group(1) if m else ""
    return img


@pytest.fixture(scope="module")
def vm_dir():
    d = tempfile.mkdtemp(prefix=f"xv-{os.getpid()}-", dir="/tmp")
    yield d
    if os.environ.get("XENO_VM_KEEP") != "1":
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def boot_vm(guest_image, vm_dir):
    """Factory: boot_vm(name, cmdline, memory=96, netdev=None,
    extra_args=(), accel="tcg", wait_ready=True) -> Guest.

    netdev=None gives user networking with ssh forwarded (Guest.ssh_port);
    otherwise it is the list of -netdev/-device arguments to use. Retries
    once when another process took the forwarded port meanwhile.
    """
    guests = []

    def boot(name, cmdline, memory=96, netdev=None, extra_args=(),
             accel="tcg", wait_ready=True, ready_timeout=120):
        for attempt in range(3):
            g = Guest(guest_image, vm_dir, name, cmdline, memory, netdev,
                      list(extra_args), accel)
            guests.append(g)
            try:
                g.start()
                break
            except RuntimeError as e:
                g.kill()
                if "hostfwd" not in str(e) and "forwarding" not in str(e):
                    raise
                if attempt == 2:
                    raise
        if wait_ready:
            g.wait_ready(ready_timeout)
        return g

    yield boot
    for g in guests:
        g.kill()

# SPDX-License-Identifier: GPL-2.0-or-later
"""test_guest_image.py - the default guest image boots and behaves

One QEMU for the whole module (TCG, 96 MB, user networking):

    pytest ── ssh -p PORT ──> 127.0.0.1:PORT ─ QEMU user net ─> t1:22
      │                                         (10.0.2.15/24, gw 10.0.2.2)
      ├── serial unix socket <── ttyS0 (console, ready line, ticks)
      └── QMP unix socket  ──> blockdev-add/device_add, system_powerdown

The power-down test runs last: it ends the VM.
"""

import os
import subprocess

import pytest

CMDLINE = ("console=ttyS0 xeno.ip=10.0.2.15/24 xeno.gw=10.0.2.2 "
           "xeno.name=t1 xeno.tick=1")


@pytest.fixture(scope="module")
def vm(boot_vm):
    return boot_vm("t1", CMDLINE)


def test_ready_line_once(vm, capsys):
    ready = [l for l in vm.lines() if "xeno-guest: ready" in l]
    assert ready == ["xeno-guest: ready t1 10.0.2.15"]
    with capsys.disabled():
        print(f"\n  guest t1: ready {vm.boot_seconds:.1f} s after QEMU "
              f"started, QEMU RSS {vm.rss_kb() // 1024} MiB (-m 96, TCG)")


def test_ssh_with_generated_key(vm, guest_image):
    r = vm.ssh("uname -r")
    assert r.stdout.strip() == guest_image.kernel_version


def test_host_key_is_the_built_one(vm, guest_image, vm_dir):
    """The guest presents the host key made at build time, and only it."""
    good = os.path.join(vm_dir, "known_hosts.good")
    with open(good, "w") as f:
        f.write(f"[127.0.0.1]:{vm.ssh_port} {guest_image.host_pubkey}\n")
    other = os.path.join(vm_dir, "other_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    other], check=True)
    bad = os.path.join(vm_dir, "known_hosts.bad")
    with open(other + ".pub") as k, open(bad, "w") as f:
        f.write(f"[127.0.0.1]:{vm.ssh_port} {k.read().strip()}\n")
    pin = ("-o", "StrictHostKeyChecking=yes")
    ok = vm.ssh("true", check=False,
                opts=(*pin, "-o", f"UserKnownHostsFile={good}"))
    assert ok.returncode == 0, ok.stderr
    mismatch = vm.ssh("true", check=False,
                      opts=(*pin, "-o", f"UserKnownHostsFile={bad}"))
    assert mismatch.returncode != 0
    assert "HOST IDENTIFICATION HAS CHANGED" in mismatch.stderr


def test_root_has_no_password_login(vm):
    """The server offers public keys only; the key itself gets in."""
    assert vm.ssh("true").returncode == 0
    r = vm.ssh("true", check=False,
               opts=("-o", "PubkeyAuthentication=no", "-o", "LogLevel=INFO"))
    assert r.returncode != 0
    assert "Permission denied (publickey)" in r.stderr


def test_network_from_kernel_parameters(vm):
    out = vm.ssh("hostname; ip -4 addr show dev eth0; ip route; "
                 "command -v iperf3 dd acpid").stdout
    assert out.splitlines()[0] == "t1"
    assert "inet 10.0.2.15/24" in out
    assert "default via 10.0.2.2 dev eth0" in out
    assert "/usr/bin/iperf3" in out
    # the gateway (QEMU's slirp) answers: the route is really usable
    assert vm.ssh("ping -c 1 -W 5 10.0.2.2").returncode == 0


def test_iperf3_runs(vm):
    out = vm.ssh("iperf3 --version").stdout
    assert out.startswith("iperf 3.")


def test_ticks_advance(vm):
    i, _, m = vm.wait_line(r"xeno-tick (\d+) up (\d+)", timeout=10)
    _, _, m2 = vm.wait_line(r"xeno-tick (\d+) up (\d+)", timeout=10,
                            start=i + 1)
    n1, up1 = int(m.group(1)), int(m.group(2))
    n2, up2 = int(m2.group(1)), int(m2.group(2))
    assert n2 == n1 + 1
    assert up2 >= up1 + 1


def test_hotplugged_disk_takes_raw_dd(vm, vm_dir):
    """A virtio disk added over QMP shows up as /dev/vda; dd writes it."""
    disk = os.path.join(vm_dir, "vda.raw")
    with open(disk, "wb") as f:
        f.truncate(4 << 20)
    assert vm.ssh("test -e /dev/vda", check=False).returncode != 0
    vm.qmp.execute("blockdev-add", driver="raw", **{"node-name": "d1"},
                   file={"driver": "file", "filename": disk})
    vm.qmp.execute("device_add", driver="virtio-blk-pci", id="vd1",
                   drive="d1")
    vm.ssh("i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do "
           "sleep 0.2; i=$((i+1)); done; test -b /dev/vda")
    vm.ssh("echo xeno-raw-write | dd of=/dev/vda bs=512 seek=1 "
           "conv=sync,fsync 2>/dev/null && sync")
    with open(disk, "rb") as f:
        data = f.read(1024)
    assert data[:512] == bytes(512)              # untouched sector 0
    assert data[512:527] == b"xeno-raw-write\n"


def test_system_powerdown_exits_qemu(vm, capsys):
    """Last: QMP system_powerdown -> acpid -> poweroff -> QEMU exits 0."""
    with capsys.disabled():
        print(f"\n  guest t1: QEMU RSS {vm.rss_kb() // 1024} MiB after the "
              "tests")
    rc = vm.powerdown(timeout=30)
    assert rc == 0, vm.stderr()
    assert "xeno-guest: power button, powering off" in vm.lines()

# SPDX-License-Identifier: GPL-2.0-or-later
"""The Demo CD booted as a user boots it: each of the four GRUB entries
(conftest.py), and in the main one the seed's session: xen_read_console,
a domain made with `xc_dom_create -Dip=...`, `xc_dom_control list`, and
ssh from the host through the forwarded 2201 into domain 1 (the NAT of
xen_nat_enable). The main entry's checks share one boot; each other entry
boots once. About three minutes under TCG.
"""

import json
import re
import time

import pytest

DOM1_IP = "10.0.2.101"


@pytest.fixture(scope="module")
def main(boot_entry):
    return boot_entry(0)


def test_main_boots_with_xend_dhcp_and_nat(main):
    assert main.mode == "xend"
    # QEMU's user network hands out 10.0.2.15 first: dom0 got it on vif0.0
    assert main.address == "10.0.2.15"
    _, out = main.sh("ip -4 -o addr show dev vif0.0")
    assert "169.254.1.0/16" in out and "10.0.2.15/24" in out
    _, out = main.sh("xc_dom_control switch_stats")
    assert re.search(r"\beth0\s+wire\b", out), out
    _, out = main.sh("nft list table ip xeno")
    assert "dnat ip to tcp dport map @redirects" in out
    _, out = main.sh("ping -c 1 -W 5 10.0.2.2")
    assert "1 packets received" in out


def test_main_no_password_reaches_the_network(main):
    # positive control: root's key works on dom0's sshd ...
    r = main.ssh(main.ssh_port, "xc_dom_control list")
    assert r.returncode == 0 and "Domain-0" in r.stdout, r.stderr
    # ... and no password is asked for, let alone accepted
    r = main.ssh(main.ssh_port, "true", key="/dev/null")
    assert r.returncode != 0
    assert "Permission denied (publickey)" in r.stderr, r.stderr
    _, out = main.sh("grep '^root:' /etc/passwd")
    assert out.strip().startswith("root:*:")


def test_main_domain_session(main):
    main.sh("xen_read_console >/tmp/console.txt 2>&1 & echo $! >/tmp/xrc.pid")
    time.sleep(1)
    t0 = time.monotonic()
    _, out = main.sh("xc_dom_create -Dip=%s" % DOM1_IP)
    assert "Domain 1 created" in out
    # xen_read_console shows the domain's boot, in the seed's [N] format
    for _ in range(60):
        _, out = main.sh("cat /tmp/console.txt")
        if "[1] xeno-domain: ready 1 169.254.1.1" in out:
            break
        time.sleep(0.5)
    assert "[1] xeno-domain: booting domain 1" in out, out
    assert "[1] xeno-domain: ready 1 169.254.1.1" in out, out
    print("netns domain ready %.1f s after xc_dom_create" %
          (time.monotonic() - t0))
    _, out = main.sh("xc_dom_control list")
    assert re.search(r"^1\s+xenolinux\s+\d+\s+\d+\s+r", out, re.M), out
    # the CD's kernel loads the fast path's qdisc and classifier modules
    _, out = main.sh("xc_dom_control --json vif_stats 1 0")
    assert json.loads(out)["stats"]["fastpath"] is True, out
    # from the host: ssh -p2201 to dom0 lands in domain 1 (its eth0)
    r = main.ssh(main.dom1_port, "/usr/sbin/ip -4 -o addr show dev eth0")
    assert r.returncode == 0, r.stderr
    assert "169.254.1.1/16" in r.stdout and DOM1_IP in r.stdout, r.stdout
    # positive control beside it: port 22 is dom0, which has vif0.0
    r = main.ssh(main.ssh_port, "/usr/sbin/ip -4 -o addr show")
    assert "vif0.0" in r.stdout and "169.254.1.1/" not in r.stdout
    main.sh("xc_dom_control destroy 1")
    _, out = main.sh("xc_dom_control list")
    assert not re.search(r"^1\s", out, re.M)
    main.sh("kill $(cat /tmp/xrc.pid)")


def test_cmdline_ip_entry(boot_entry):
    app = boot_entry(1)
    assert (app.mode, app.address) == ("xend", "10.0.2.15")
    _, out = app.sh("cat /proc/cmdline")
    assert "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off" in out
    _, out = app.sh("ip -4 -o addr show dev vif0.0; ip route show default")
    assert "10.0.2.15/24" in out and "default via 10.0.2.2 dev vif0.0" in out
    _, out = app.sh("pidof udhcpc || echo no-dhcp")
    assert "no-dhcp" in out
    r = app.ssh(app.ssh_port, "xc_dom_control list")
    assert r.returncode == 0 and "Domain-0" in r.stdout, r.stderr


def test_safe_mode_entry(boot_entry):
    app = boot_entry(2)
    assert app.mode == "xend" and app.address == "none"
    _, out = app.sh("nproc")
    assert out.strip() == "1"
    _, out = app.sh("xc_dom_control switch_stats")
    # dom0's port and no wire (the main entry's table has `eth0  wire`)
    assert re.search(r"\bvif0\.0\s+dom0\b", out), out
    assert not re.search(r"\s+wire\s+\d", out), out
    _, out = app.sh("cat /var/log/xend.log")
    assert "debug:" in out, out
    _, out = app.sh("ip -4 -o addr show dev eth0 | wc -l")
    assert out.strip() == "0"


def test_plain_entry(boot_entry):
    app = boot_entry(3)
    assert (app.mode, app.address) == ("plain", "10.0.2.15")
    rc, out = app.sh("pidof xend", check=False)
    assert rc != 0
    assert not app.sh("ls /sys/class/net")[1].count("vif0.0")
    _, out = app.sh("ip -4 -o addr show dev eth0")
    assert "10.0.2.15/24" in out
    r = app.ssh(app.ssh_port, "uname -r")
    assert r.returncode == 0 and "cloud-amd64" in r.stdout, r.stderr

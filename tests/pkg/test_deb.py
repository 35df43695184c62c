# SPDX-License-Identifier: GPL-2.0-or-later
"""test_deb.py - the Debian package (debian/, `make deb`) as an
administrator gets it.

Builds it once with `make deb` (into build/deb/; the checkout is left as
it was), then reads it with dpkg-deb: the programs, every man page, the
systemd unit, the defaults file as a conffile, the declared Depends;
installs it with `dpkg --root` into a temporary directory (maintainer
scripts run outside a chroot with DPKG_ROOT set, as debhelper's snippets
expect) and purges it again; and asserts lintian reports no error.

Run by `make debcheck` (and `make test`): /usr/bin/python3 -m pytest -q
tests/pkg. Building needs debhelper and lintian (scripts/install-deps);
the --root install needs root and is skipped without it.
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
DEB_DIR = os.path.join(ROOT, "build", "deb")

PROGRAMS = ["usr/sbin/xend", "usr/sbin/xen_nat", "usr/bin/xc_dom_create",
            "usr/bin/xc_dom_control", "usr/bin/xen_read_console",
            "usr/bin/vs_pcap_run", "usr/bin/xen_nat_enable"]
UNIT = "lib/systemd/system/xend.service"
DEFAULTS = "etc/xc/defaults"
# Options that give a service a mount namespace of its own (or hide
# devices): xend's netns bind mounts under /run/netns would no longer
# reach the host (docs/packaging.md).
NAMESPACING = ["PrivateNetwork", "PrivateDevices", "PrivateTmp",
               "PrivateMounts", "ProtectSystem", "ProtectHome",
               "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths",
               "ProtectKernelTunables", "ProtectKernelModules",
               "ProtectControlGroups", "ProtectKernelLogs", "ProtectProc",
               "ProtectClock", "DevicePolicy", "DeviceAllow",
               "MemoryDenyWriteExecute", "TemporaryFileSystem"]


def run(*argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def version():
    with open(os.path.join(ROOT, "hypervisor", "xend.h")) as f:
        return re.search(r'XEND_VERSION\s+"([^"]+)"', f.read()).group(1)


@pytest.fixture(scope="module")
def deb():
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        if not shutil.which(tool):
            pytest.fail("%s not found (scripts/install-deps installs it)"
                        % tool)
    parent = os.path.dirname(ROOT)
    before = set(os.listdir(parent))
    r = run("make", "--no-print-directory", "-C", ROOT, "deb", timeout=900)
    assert r.returncode == 0, "make deb failed:\n%s%s" % (r.stdout,
                                                         r.stderr)
    # dpkg-buildpackage writes beside the tree it builds: never beside
    # the checkout
    assert set(os.listdir(parent)) - before == set()
    path = os.path.join(DEB_DIR, "xeno_%s_%s.deb" % (version(), run(
        "dpkg", "--print-architecture").stdout.strip()))
    assert os.path.isfile(path), "%s not made: %s" % (
        path, os.listdir(DEB_DIR))
    return path


@pytest.fixture(scope="module")
def contents(deb):
    r = run("dpkg-deb", "-c", deb, check=True)
    # "-rwxr-xr-x root/root 291232 2026-12-02 03:19 ./usr/sbin/xend"
    return {ln.split(None, 5)[5].lstrip("./").split(" -> ")[0]:
            ln.split()[0] for ln in r.stdout.splitlines()}


def field(deb, name):
    r = run("dpkg-deb", "-f", deb, name, check=True)
    return r.stdout.strip()


def test_programs_and_man_pages(contents):
    for p in PROGRAMS:
        assert contents.get(p, "").startswith("-rwxr-xr-x"), \
            "%s missing or not executable: %r" % (p, contents.get(p))
    pages = glob.glob(os.path.join(ROOT, "docs", "*.[18]"))
    assert pages
    for page in pages:
        name = os.path.basename(page)
        want = "usr/share/man/man%s/%s.gz" % (name[-1], name)
        assert want in contents, "%s not packaged" % want
    # nothing of the build tree's or the tests' in the package
    assert not [p for p in contents if "test" in p or "bench" in p or
                p.endswith(".a")]


def test_unit_defaults_and_group(contents):
    for p in (UNIT, DEFAULTS, "usr/lib/sysusers.d/xeno.conf"):
        assert contents.get(p, "").startswith("-rw-r--r--"), p


def test_conffiles_and_depends(deb):
    with tempfile.TemporaryDirectory() as d:
        run("dpkg-deb", "-e", deb, d, check=True)
        with open(os.path.join(d, "conffiles")) as f:
            conffiles = f.read().split()
        with open(os.path.join(d, "postinst")) as f:
            postinst = f.read()
    assert conffiles == ["/" + DEFAULTS]
    assert "addgroup --system" in postinst
    assert "deb-systemd-helper enable 'xend.service'" in postinst
    info = run("dpkg-deb", "-I", deb, check=True).stdout
    assert "conffiles" in info
    deps = [d.strip() for d in field(deb, "Depends").split(",")]
    names = [re.sub(r"\s*\(.*?\)", "", d) for d in deps]
    for need in ("libsystemd0", "libnftables1", "libpcap0.8", "libjson-c5",
                 "qemu-system-x86", "iproute2", "adduser",
                 "nftables | iptables"):
        assert need in names, "Depends lacks %s: %s" % (need, deps)
    assert field(deb, "Version") == version()


def extract(deb, d):
    run("dpkg-deb", "-x", deb, d, check=True)


def test_unit_file(deb):
    with tempfile.TemporaryDirectory() as d:
        extract(deb, d)
        with open(os.path.join(d, UNIT)) as f:
            unit = f.read()
        with open(os.path.join(d, DEFAULTS)) as f:
            defaults = f.read()
        keys = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
        assert keys["Type"] == "notify"
        assert keys["NotifyAccess"] == "main"
        assert keys["ExecStart"] == \
            "/usr/sbin/xend --foreground --socket-group xeno"
        assert keys["KillMode"] == "process"   # domains outlive xend
        assert keys["Restart"] == "on-failure"
        assert keys["NoNewPrivileges"] == "yes"     # hardening is there
        bad = sorted(set(keys) & set(NAMESPACING))
        assert not bad, "the unit isolates xend's mounts or devices: %s" % bad
        assert "/usr/share/xeno/guest" in defaults and "@" not in defaults
        if shutil.which("systemd-analyze"):
            # the unit's syntax, against the packaged xend
            path = os.path.join(d, "xend.service")
            with open(path, "w") as f:
                f.write(unit.replace("ExecStart=/usr/sbin/xend",
                                     "ExecStart=%s/usr/sbin/xend" % d))
            r = run("systemd-analyze", "verify", "--man=no", path)
            assert r.returncode == 0 and not r.stderr.strip(), r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="dpkg --root needs root")
def test_install_into_root(deb):
    """dpkg --root: unpack, configure (maintainer scripts with DPKG_ROOT:
    the unit enabled inside the root, no group or service touched on this
    machine), run the installed programs, purge."""
    with tempfile.TemporaryDirectory() as r:
        admin = os.path.join(r, "var/lib/dpkg")
        for sub in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, sub))
        open(os.path.join(admin, "status"), "w").close()
        dpkg = ["dpkg", "--root=" + r, "--force-script-chrootless",
                "--force-depends"]
        # The start/stop snippets look at the host's /run/systemd/system:
        # where systemd runs this machine, unpack only.
        action = "--unpack" if os.path.isdir("/run/systemd/system") \
            else "--install"
        p = run(*dpkg, action, deb)
        assert p.returncode == 0, p.stdout + p.stderr
        status = run("dpkg", "--root=" + r, "-s", "xeno").stdout
        assert "Status: install ok " + ("installed" if action ==
                                        "--install" else "unpacked") \
            in status, status
        if action == "--install":
            assert os.path.islink(os.path.join(
                r, "etc/systemd/system/multi-user.target.wants/"
                   "xend.service"))
        v = run(os.path.join(r, "usr/sbin/xend"), "--version")
        assert v.stdout.strip() == "xend (xeno) " + version()
        h = run(os.path.join(r, "usr/bin/xc_dom_create"), "--help")
        assert h.returncode == 0 and "Usage" in h.stdout + h.stderr
        p = run(*dpkg, "--purge", "xeno")
        assert p.returncode == 0, p.stdout + p.stderr
        left = [os.path.join(dp, f) for dp, _, fs in os.walk(r) for f in fs
                if not dp.startswith(admin)]
        assert not left, "left after purge: %s" % left


def test_lintian_no_errors(deb):
    """lintian over the whole upload (.changes: the package, its dbgsym,
    the .buildinfo); what it says is printed (pytest -s)."""
    changes = deb[:-len(".deb")] + ".changes"
    r = run("lintian", "--allow-root", "--display-info", "--pedantic",
            changes, timeout=300)
    tags = [ln for ln in r.stdout.splitlines() if re.match(r"[EWIXP]: ", ln)]
    print("\nlintian %s:\n%s" % (os.path.basename(changes),
                                 "\n".join(tags) or "(nothing)"))
    errors = [t for t in tags if t.startswith("E: ")]
    assert not errors, "lintian errors:\n" + "\n".join(errors)

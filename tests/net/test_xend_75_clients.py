# SPDX-License-Identifier: GPL-2.0-or-later
"""test_xend_75_clients.py - limits and the idle timeout of xend's control
socket (docs/control-protocol.md, "Connections"): members of the socket's
group cannot lock root out, each non-root uid gets a bounded share, a
refused client hears why (not "Broken pipe"), idle clients are closed.

   pytest (root)                          netns xt75-<pid>-<n>
     |                                   +-------------------------+
     |-- root: ping, xc_dom_control ---->|  xend (root)            |
     |                                   |  --socket TMP/xend.sock |
     |-- helper (setgid G, setuid U1)--->|  --socket-group G       |
     |   ... up to U9: idle connections  |  --idle-timeout T       |
     |-- xc_dom_control as Ui ---------->|  dom0 vif0.0 (private)  |
                                         +-------------------------+

xend runs in a namespace of its own so that its vif0.0 never meets the
one of tests/net's topology (or of another run); the socket is a file,
reachable from every namespace. The uids and the group are numbers picked
per run (nothing is added to /etc/passwd or /etc/group). Does not use the
`topo` fixture of conftest.py.

Limits as in hypervisor/control.h: 128 clients, the last 8 for root, 16
per non-root uid.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

import xendnet as xn

CLIENTS_MAX = 128
CLIENTS_ROOT = 8
PER_UID = 16

RUN = os.getpid()
BASE_ID = 60000 + (RUN % 400) * 16     # per-run uids and gid, 60000..66399
GID = BASE_ID + 15
UIDS = [BASE_ID + i for i in range(10)]

# Run as a non-root uid: open N connections, ping on each (so that the
# reply tells an admitted connection from a refused one), print the
# replies as one JSON line, then hold the connections until stdin closes.
HOLDER = r"""
import json, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
held, out = [], []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(b'{"cmd": "ping"}\n')
    except OSError as e:          # refused before the request went out
        pass
    buf = b""
    while b"\n" not in buf:
        try:
            chunk = s.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:
            break
        buf += chunk
    out.append(json.loads(buf.split(b"\n")[0]) if buf.strip() else None)
    held.append(s)
print(json.dumps(out), flush=True)
sys.stdin.read()
"""

_count = [0]


def _as_user(uid):
    def drop():
        os.setgroups([])
        os.setgid(GID)
        os.setuid(uid)
    return drop


class Xend75:
    """A private xend: own netns, temp dir, socket group GID."""

    def __init__(self, idle_timeout=None):
        _count[0] += 1
        self.ns = "xt75-%d-%d" % (RUN, _count[0])
        self.tmp = tempfile.mkdtemp(prefix="xt75-")
        os.chmod(self.tmp, 0o711)   # the helpers reach the socket inside
        with open(os.path.join(self.tmp, "run"), "w") as f:
            f.write("%d\n" % RUN)      # for _cleanup_leftovers()
        self.sock = os.path.join(self.tmp, "xend.sock")
        self.log = os.path.join(self.tmp, "xend.log")
        self.ctl = xn.Control(self.sock)
        self.holders = []
        xn.sh("ip", "netns", "add", self.ns)
        argv = ["ip", "netns", "exec", self.ns,
                os.path.join(xn.BUILD, "xend"), "--foreground",
                "--socket", self.sock, "--socket-group", str(GID),
                "--state-dir", os.path.join(self.tmp, "state"),
                "--log-level", "debug"]
        if idle_timeout is not None:
            argv += ["--idle-timeout", str(idle_timeout)]
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(argv, stdout=logf, stderr=logf,
                                         stdin=subprocess.DEVNULL)
        try:
            xn.wait_socket(self.sock, self.proc)
        except BaseException:
            self.stop()
            print("\nxend log (%s):\n%s" % (self.log, self.log_text()))
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def hold(self, uid, n):
        """@n connections of @uid, held open; returns the replies to the
        ping on each (None: closed without a line)."""
        p = subprocess.Popen([sys.executable, "-c", HOLDER, self.sock,
                              str(n)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, preexec_fn=_as_user(uid))
        self.holders.append(p)
        r, _, _ = select.select([p.stdout], [], [], 60)
        assert r, "helper of uid %d did not report" % uid
        line = p.stdout.readline()
        assert line, "helper of uid %d died: %r" % (uid, p.poll())
        return json.loads(line)

    def tool(self, uid, *args):
        """xc_dom_control as @uid (0: root)."""
        env = dict(os.environ, XENO_SOCKET=self.sock, XENO_TIMEOUT="10")
        return subprocess.run([os.path.join(xn.BUILD, "xc_dom_control")]
                              + list(args), capture_output=True, text=True,
                              env=env, timeout=30,
                              preexec_fn=_as_user(uid) if uid else None)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        for p in self.holders:
            p.stdin.close()
            p.wait(10)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        xn.sh("ip", "netns", "del", self.ns, check=False)


def _cleanup_leftovers():
    """Namespaces and temp dirs of earlier runs that were killed (their
    pid is gone); a run still going keeps its own."""
    for ns in os.listdir("/run/netns") if os.path.isdir("/run/netns") \
            else []:
        parts = ns.split("-")
        if len(parts) == 3 and parts[0] == "xt75" and parts[1].isdigit() \
                and int(parts[1]) != RUN \
                and not os.path.exists("/proc/%s" % parts[1]):
            xn.sh("ip", "netns", "del", ns, check=False)
    for d in os.listdir(tempfile.gettempdir()):
        path = os.path.join(tempfile.gettempdir(), d)
        try:
            with open(os.path.join(path, "run")) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            continue
        if d.startswith("xt75-") and pid != RUN and \
                not os.path.exists("/proc/%d" % pid):
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def xend75():
    if os.geteuid() != 0:
        pytest.skip("tests/net needs root")
    _cleanup_leftovers()
    made = []

    def start(idle_timeout=None):
        made.append(Xend75(idle_timeout))
        return made[-1]
    yield start
    for x in made:
        x.stop()
        # pytest shows this only for a failing test
        print("\nxend log (%s):\n%s" % (x.log, x.log_text()[-3000:]))
        shutil.rmtree(x.tmp, ignore_errors=True)


def _ok(replies):
    return [r for r in replies if r and r.get("ok") is True]


def _errors(replies):
    return [r.get("error") if r else None for r in replies
            if not (r and r.get("ok") is True)]


def _assert_root_served(x):
    r = x.ctl.call("ping")
    assert r.get("ok") is True and "version" in r, r
    r = x.tool(0, "list")
    assert r.returncode == 0, r.stderr
    assert "Domain-0" in r.stdout


def test_one_user_cannot_lock_out_root(xend75):
    # The reviewer's case: one member of the socket's group opens as many
    # idle connections as xend has slots.
    x = xend75()
    u1, u2 = UIDS[0], UIDS[1]
    replies = x.hold(u1, CLIENTS_MAX)
    assert len(_ok(replies)) == PER_UID, _errors(replies)[:3]
    want = "too many connections from uid %d (at most %d per user)" \
        % (u1, PER_UID)
    assert _errors(replies) == [want] * (CLIENTS_MAX - PER_UID)

    # root is still served (ping and the tool)
    _assert_root_served(x)
    # the same uid's next command hears why, not "Broken pipe"; several
    # times, as xend may close before or after the request is written
    for _ in range(5):
        r = x.tool(u1, "list")
        assert r.returncode == 1
        assert r.stderr.strip() == "xc_dom_control: " + want, r.stderr
    # positive control: another member of the group is served
    r = x.tool(u2, "list")
    assert r.returncode == 0, r.stderr
    assert "Domain-0" in r.stdout


def test_group_cannot_take_root_slots(xend75):
    # Several members of the group together fill every slot they may use.
    x = xend75()
    shared = CLIENTS_MAX - CLIENTS_ROOT
    held = 0
    for uid in UIDS[:8]:
        n = min(PER_UID, shared - held)
        replies = x.hold(uid, n)
        assert len(_ok(replies)) == n, (uid, _errors(replies)[:3])
        held += n
    assert held == shared

    full = "xend is full (%d connections); try again later" % shared
    r = x.tool(UIDS[8], "list")
    assert r.returncode == 1
    assert r.stderr.strip() == "xc_dom_control: " + full, r.stderr
    # root gets in, and may use the reserved slots, all of them
    _assert_root_served(x)
    roots = [x.ctl.connect() for _ in range(CLIENTS_ROOT)]
    try:
        for s in roots:
            s.sendall(b'{"cmd": "ping"}\n')
            assert xn.read_replies(s, 1)[0]["ok"] is True
        # ... and then xend is full for root too
        r = x.ctl.raw(b'{"cmd": "ping"}\n')
        assert r == [{"ok": False, "error": "xend is full (%d connections);"
                      " try again later" % CLIENTS_MAX}]
    finally:
        for s in roots:
            s.close()
    # slots given back by root are root's again (positive control); xend
    # sees the hang-ups in its next events, so allow it a moment
    end = time.monotonic() + 5
    while x.ctl.call("ping").get("ok") is not True and \
            time.monotonic() < end:
        time.sleep(0.05)
    _assert_root_served(x)


def test_idle_clients_closed(xend75):
    idle = 2
    x = xend75(idle_timeout=idle)
    u1 = UIDS[0]
    replies = x.hold(u1, PER_UID + 1)
    assert len(_ok(replies)) == PER_UID
    t0 = time.monotonic()

    quiet = x.ctl.connect()
    busy = x.ctl.connect()
    half = x.ctl.connect()
    half.sendall(b'{"cmd": ')              # a request begun, never ended
    # before the timeout: all there, and the busy one keeps pinging
    closed_at = {}
    while time.monotonic() - t0 < idle + 3:
        busy.sendall(b'{"cmd": "ping"}\n')
        assert xn.read_replies(busy, 1)[0]["ok"] is True
        for name, s in (("quiet", quiet), ("half", half)):
            if name in closed_at:
                continue
            r, _, _ = select.select([s], [], [], 0)
            if r and s.recv(4096) == b"":
                closed_at[name] = time.monotonic() - t0
        time.sleep(0.3)
    assert set(closed_at) == {"quiet", "half"}, closed_at
    for name, t in closed_at.items():
        assert idle - 0.5 <= t <= idle + 2, (name, t)
    # positive control: the client that kept talking is still served
    busy.sendall(b'{"cmd": "ping"}\n')
    assert xn.read_replies(busy, 1)[0]["ok"] is True
    for s in (quiet, busy, half):
        s.close()

    # the idle connections of u1 were closed too: its slots are free
    r = x.tool(u1, "list")
    assert r.returncode == 0, r.stderr
    log = x.log_text()
    assert "control: closed uid %d pid" % u1 in log
    assert "control: closed uid 0 pid" in log
    assert ": idle for %d s" % idle in log
    assert "idle in the middle of a request for %d s" % idle in log

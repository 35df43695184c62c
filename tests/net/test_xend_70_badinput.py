# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input on the control socket (docs/control-protocol.md): every
malformed request gets {"ok": false, "error": "..."}, changes nothing, and
xend keeps serving. Topology: conftest.py."""

import os
import socket

import pytest

import xendnet as xn

BAD = [
    ("not json", b"this is not json\n"),
    ("truncated json", b'{"cmd": "list"\n'),
    ("trailing garbage", b'{"cmd": "list"} xyz\n'),
    ("json array", b'["list"]\n'),
    ("json string", b'"list"\n'),
    ("json number", b"42\n"),
    ("json null", b"null\n"),
    ("empty object", b"{}\n"),
    ("cmd not a string", b'{"cmd": 7}\n'),
    ("cmd null", b'{"cmd": null}\n'),
    ("cmd object", b'{"cmd": {"x": 1}}\n'),
    ("unknown command", b'{"cmd": "frobnicate"}\n'),
    ("empty command", b'{"cmd": ""}\n'),
    ("missing dom", b'{"cmd": "vif_stats", "vif": 0}\n'),
    ("missing vif", b'{"cmd": "vif_stats", "dom": 1}\n'),
    ("missing ip", b'{"cmd": "vif_addip", "dom": 1, "vif": 0}\n'),
    ("missing usecs",
     b'{"cmd": "vif_setsched", "dom": 1, "vif": 0, "bytes": 1000}\n'),
    ("missing config", b'{"cmd": "create"}\n'),
    ("dom as string", b'{"cmd": "vif_stats", "dom": "1", "vif": 0}\n'),
    ("dom as float", b'{"cmd": "vif_stats", "dom": 1.5, "vif": 0}\n'),
    ("dom as bool", b'{"cmd": "vif_stats", "dom": true, "vif": 0}\n'),
    ("vif as list", b'{"cmd": "vif_stats", "dom": 1, "vif": [0]}\n'),
    ("ip as number", b'{"cmd": "vif_addip", "dom": 1, "vif": 0, "ip": 5}\n'),
    ("bad ip", b'{"cmd": "vif_addip", "dom": 1, "vif": 0,'
               b' "ip": "300.1.2.3"}\n'),
    ("multicast ip", b'{"cmd": "vif_addip", "dom": 1, "vif": 0,'
                     b' "ip": "224.0.0.1"}\n'),
    ("config not object", b'{"cmd": "create", "config": "netns"}\n'),
    ("config without name",
     b'{"cmd": "create", "config": {"builder": "netns"}}\n'),
    ("unknown builder",
     b'{"cmd": "create", "config": {"name": "zz", "builder": "vmware"}}\n'),
    ("negative dom", b'{"cmd": "vif_stats", "dom": -1, "vif": 0}\n'),
    ("huge dom", b'{"cmd": "vif_stats", "dom": 99999999999999999999999,'
                 b' "vif": 0}\n'),
    ("unknown dom", b'{"cmd": "vif_stats", "dom": 4000, "vif": 0}\n'),
    ("negative vif", b'{"cmd": "vif_stats", "dom": 1, "vif": -1}\n'),
    ("unknown vif", b'{"cmd": "vif_stats", "dom": 1, "vif": 9}\n'),
    ("negative bytes", b'{"cmd": "vif_setsched", "dom": 1, "vif": 0,'
                       b' "bytes": -125000, "usecs": 100000}\n'),
    ("huge bytes", b'{"cmd": "vif_setsched", "dom": 1, "vif": 0,'
                   b' "bytes": 1e400, "usecs": 100000}\n'),
    ("huge usecs", b'{"cmd": "vif_setsched", "dom": 1, "vif": 0,'
                   b' "bytes": 1000, "usecs": 184467440737095516160}\n'),
    ("destroy unknown", b'{"cmd": "destroy", "dom": 4000}\n'),
    ("destroy dom0", b'{"cmd": "destroy", "dom": 0}\n'),
    ("deep nesting", b'{"cmd": "list", "x": ' + b"[" * 30000 +
     b"]" * 30000 + b"}\n"),
    ("invalid utf-8", b'{"cmd": "\xff\xfe"}\n'),
    ("NUL byte", b'{"cmd": "li\x00st"}\n'),
]


def _state(topo):
    """What bad requests must not change: the domains, their addresses and
    domain 1's limit."""
    doms = topo.ctl.ok("list")["domains"]
    key = sorted((d["dom"], d["name"], tuple(tuple(v["ip"])
                                              for v in d["vifs"]))
                 for d in doms)
    sched = topo.ctl.ok("vif_getsched", dom=topo.doms[0].id, vif=0)
    return key, sched["credit_bytes"], sched["credit_usecs"]


def _assert_error(reply, what):
    assert isinstance(reply, dict), "%s: reply %r" % (what, reply)
    assert reply.get("ok") is False, "%s: reply %r" % (what, reply)
    assert isinstance(reply.get("error"), str) and reply["error"], \
        "%s: no error text in %r" % (what, reply)


@pytest.mark.parametrize("what,line", BAD, ids=[b[0] for b in BAD])
def test_bad_request(topo, what, line):
    # Requests naming domain 1 use the real domain 1 id if it differs
    line = line.replace(b'"dom": 1,', b'"dom": %d,' % topo.doms[0].id)
    before = _state(topo)
    replies = topo.ctl.raw(line)
    assert len(replies) == 1, "%s: got %r" % (what, replies)
    _assert_error(replies[0], what)
    assert topo.ctl.call("ping")["ok"] is True
    assert _state(topo) == before


def test_huge_line(topo):
    # 1 MiB without a newline in it: an error, then xend may close
    line = b'{"cmd": "list", "pad": "' + b"a" * (1 << 20) + b'"}\n'
    replies = topo.ctl.raw(line)
    assert replies, "no reply to a 1 MiB line"
    _assert_error(replies[0], "1 MiB line")
    assert topo.ctl.ok("list")["domains"]


def test_binary_blob(topo):
    blob = bytes(b for b in os.urandom(8192) if b != 0x0a)
    replies = topo.ctl.raw(blob + b"\n")
    assert len(replies) == 1
    _assert_error(replies[0], "binary blob")
    assert topo.ctl.ok("list")["domains"]


def test_pipelined_good_and_bad(topo):
    # Several requests on one connection: one reply each, in order, and a
    # bad one in the middle does not spoil the ones around it.
    lines = b'{"cmd": "ping"}\n{"cmd": "nope"}\n{"cmd": "list"}\n' \
            b'garbage\n{"cmd": "ping"}\n'
    r = topo.ctl.raw(lines, replies=5)
    assert [x["ok"] for x in r] == [True, False, True, False, True], r
    assert "domains" in r[2]


def test_client_hangs_up_mid_request(topo):
    # Half a request, then close: xend must shrug it off.
    for part in (b'{"cmd": "li', b"\x00\x01\x02", b'{"cmd": "list"}'):
        s = topo.ctl.connect()
        s.sendall(part)
        s.shutdown(socket.SHUT_RDWR)
        s.close()
    assert topo.ctl.call("ping")["ok"] is True


def test_many_idle_connections(topo):
    # Idle clients do not block others.
    idle = [topo.ctl.connect() for _ in range(50)]
    try:
        assert topo.ctl.call("ping")["ok"] is True
        idle[0].sendall(b'{"cmd": "ping"}\n')
        assert xn.read_replies(idle[0], 1)[0]["ok"] is True
    finally:
        for s in idle:
            s.close()


def test_empty_line_keeps_connection(topo):
    # An empty line is either ignored or answered with an error; either
    # way the next request on the connection is served.
    with topo.ctl.connect() as s:
        s.sendall(b'\n{"cmd": "ping"}\n')
        r = xn.read_replies(s, 1)
        if r and r[0].get("ok") is False:
            r = xn.read_replies(s, 1)
        assert r and r[0].get("ok") is True, r


def test_socket_mode_and_peer_check(topo):
    # mode 0660, and a user outside root/xend's group is turned away
    assert os.stat(topo.sock).st_mode & 0o777 == 0o660
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.connect(topo.sock)
                s.sendall(b'{"cmd": "list"}\n')
                r = xn.read_replies(s, 1)
                code = 0 if r and r[0].get("ok") is False else 2
            except PermissionError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, "nobody was served by xend"
    assert topo.ctl.call("ping")["ok"] is True

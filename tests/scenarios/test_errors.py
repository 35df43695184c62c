# SPDX-License-Identifier: GPL-2.0-or-later
"""test_errors.py - bad scenarios and bad inputs give a clear error naming
file:line, and a non-zero exit; --help and a good file give 0."""

import subprocess

import pytest
from scapy.all import IP, UDP, Ether, Raw, wrpcap

from conftest import RUNNER, V1_MAC, timed

GOOD = f"port vif1 kind=vif dom=1 mac={V1_MAC} ip=10.0.0.5\n"


@pytest.mark.parametrize("text,line,msg", [
    ("port dom0 kind=dom0\nport vif1 kind=vif dom=1 foo=bar\n", 2,
     "unknown key 'foo'"),
    ("port vif1 kind=vif dom=1 mac=zz:00:00:00:00:01\n", 1, "bad mac"),
    ("port vif1 kind=vif dom=1 mac=01:00:00:00:00:01\n", 1, "bad mac"),
    ("port vif1 kind=vif\n", 1, "needs dom=N"),
    ("port vif1 kind=vif dom=0\n", 1, "needs dom=N"),
    ("port vif1 kind=router dom=1\n", 1, "kind must be"),
    ("port vif1 dom=1\n", 1, "missing kind"),
    ("# comment\n\nbridge br0\n", 3, "unknown directive 'bridge'"),
    ("port vif1 kind=vif dom=1 ip=10.0.0.300\n", 1, "bad address '10.0.0.300'"),
    (GOOD + "port vif2 kind=vif dom=2 ip=10.0.0.5\n", 2,
     "address 10.0.0.5 is already port vif1's"),
    (GOOD + "port vif1 kind=vif dom=2\n", 2, "already defined at line 1"),
    (GOOD + f"port vif2 kind=vif dom=2 mac={V1_MAC}\n", 2, "already used"),
    (GOOD + "port vif2 kind=vif dom=1\n", 2, "already used"),
    ("port w1 kind=wire\nport w2 kind=wire\n", 2, "a second wire"),
    ("port w1 kind=wire ip=10.0.0.1\n", 1, "the wire takes no"),
    ("port vif1 kind=vif dom=1 tx_limit=100\n", 1, "bad tx_limit '100'"),
    ("port vif1 kind=vif dom=1 rx_limit=1/x\n", 1, "bad rx_limit"),
    ("port vif1 kind=vif dom=1 tx_limit=1/2000000000\n", 1, "tx_limit out of range"),
    ("isolate 169.254.0.0/33\n" + GOOD, 1, "bad prefix"),
    ("isolate\n" + GOOD, 1, "'isolate' needs"),
    ("port bad/name kind=wire\n", 1, "bad port name"),
    ("port kind=wire\n", 1, "needs a name"),
    ("port vif1 kind=vif dom=1 junk\n", 1, "expected key=value"),
    ("port vif1 kind=vif dom=1 in=missing.pcap\n", 1, "cannot read input pcap"),
    ("# nothing\n", 0, "no ports"),
])
def test_bad_scenario(run, text, line, msg):
    res = run(text, check=False)
    assert res.rc != 0
    where = f"scenario.txt:{line}: error: " if line else "scenario.txt: error: "
    assert where in res.stderr, res.stderr
    assert msg in res.stderr, res.stderr
    assert len(res.stderr.splitlines()) == 1, res.stderr


def test_not_ethernet_pcap(run):
    res = run("port vif1 kind=vif dom=1 in=raw.pcap\n",
              {"raw.pcap": [IP(dst="10.0.0.1") / UDP()]}, check=False)
    assert res.rc != 0
    assert "scenario.txt:1: error: port vif1: input pcap" in res.stderr
    assert "not Ethernet" in res.stderr


def test_corrupt_pcap(run, tmp_path):
    pkts = timed([Ether(src=V1_MAC) / IP(src="10.0.0.5") / UDP() / Raw(b"x" * 100)
                  for _ in range(3)])
    wrpcap(str(tmp_path / "cut.pcap"), pkts)
    data = (tmp_path / "cut.pcap").read_bytes()
    (tmp_path / "cut.pcap").write_bytes(data[:-50])   # last record cut short
    res = run(GOOD.strip() + " in=cut.pcap\n", check=False)
    assert res.rc != 0
    assert "scenario.txt:1: error: port vif1:" in res.stderr
    assert "cut.pcap: frame 3" in res.stderr


def test_missing_scenario(tmp_path):
    p = subprocess.run([str(RUNNER), "-o", str(tmp_path / "o"),
                        str(tmp_path / "nope.txt")], capture_output=True, text=True)
    assert p.returncode != 0
    assert "nope.txt: error: cannot open scenario" in p.stderr


def test_usage(tmp_path):
    p = subprocess.run([str(RUNNER), "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "Usage:" in p.stdout and "-o" in p.stdout
    p = subprocess.run([str(RUNNER), str(tmp_path / "s.txt")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "missing -o OUTDIR" in p.stderr
    p = subprocess.run([str(RUNNER), "--bogus"], capture_output=True, text=True)
    assert p.returncode != 0 and "Usage:" in p.stderr


def test_json_option(run, tmp_path):
    # Positive control for the error cases: a good file runs, --json FILE
    # puts the counters where asked.
    res = run(GOOD, args=["--json", str(tmp_path / "c.json")], check=False)
    assert res.rc == 0, res.stderr
    assert (tmp_path / "c.json").read_text().startswith("{")
    assert (res.outdir / "vif1.pcap").exists()

# SPDX-License-Identifier: GPL-2.0-or-later
"""conftest.py - helpers for the pcap scenario tests of vs_pcap_run.

Each test writes input pcaps with scapy into its tmp dir, a scenario file
beside them, runs build/vs_pcap_run, and reads the output pcaps back.
Every successful run is checked against the accounting invariant
(DESIGN.md §4): in_frames == delivered + sum(drops).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from scapy.all import PcapReader, wrpcap

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", "build"))
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
RUNNER = BUILD / "vs_pcap_run"

# The usual cast of the tests: MACs and addresses.
DOM0_MAC = "02:00:00:00:00:01"
WIRE_MAC = "02:aa:bb:cc:dd:ee"  # a host out on the wire
GW_MAC = "02:00:00:00:00:fe"    # a router out on the wire
V1_MAC = "aa:00:00:00:00:01"
V2_MAC = "aa:00:00:00:00:02"
V3_MAC = "aa:00:00:00:00:03"
BCAST = "ff:ff:ff:ff:ff:ff"


def timed(pkts, start=1000.0, step=0.001):
    """Stamp @pkts at start, start+step, ... (seconds) and return them."""
    for i, p in enumerate(pkts):
        p.time = start + i * step
    return list(pkts)


class Result:
    """Outcome of one vs_pcap_run: exit code, stderr, counters, outputs."""

    def __init__(self, proc, outdir, counters):
        self.rc = proc.returncode
        self.stderr = proc.stderr
        self.stdout = proc.stdout
        self.outdir = outdir
        self.counters = counters
        self._out = {}

    def out(self, port):
        """The frames the switch delivered to @port, as scapy packets."""
        if port not in self._out:
            with PcapReader(str(self.outdir / f"{port}.pcap")) as r:
                self._out[port] = list(r)
        return self._out[port]

    def port(self, name):
        return self.counters["ports"][name]

    @property
    def switch(self):
        return self.counters["switch"]

    def drops(self, port=None):
        """Non-zero drop counters of the switch (or of @port)."""
        d = (self.port(port) if port else self.switch)["drops"]
        return {k: v for k, v in d.items() if v}


def check_invariant(res):
    """The accounting invariant, and that counters match the pcaps."""
    sw = res.switch
    assert sw["in_frames"] == sw["delivered"] + sum(sw["drops"].values()), sw
    ports = res.counters["ports"]
    # Every input frame was taken in (nothing left behind in a held batch).
    assert sum(p["pcap_read"] for p in ports.values()) == sw["in_frames"]
    assert sum(p["in_packets"] for p in ports.values()) == sw["in_frames"]
    for name, p in ports.items():
        assert p["pcap_written"] == p["rx_packets"] == len(res.out(name)), name
        assert p["in_packets"] >= p["tx_packets"], name


@pytest.fixture
def run(tmp_path):
    """run(scenario_text, {"file.pcap": [packets]}, check=True) -> Result"""

    def _run(text, inputs=None, check=True, args=None):
        for fname, pkts in (inputs or {}).items():
            wrpcap(str(tmp_path / fname), pkts)
        scen = tmp_path / "scenario.txt"
        scen.write_text(text)
        outdir = tmp_path / "out"
        cmd = [str(RUNNER), "-o", str(outdir)] + (args or []) + [str(scen)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        counters = None
        jpath = outdir / "counters.json"
        if "--json" in (args or []):
            jpath = Path(args[args.index("--json") + 1])
        if proc.returncode == 0:
            counters = json.loads(jpath.read_text())
        res = Result(proc, outdir, counters)
        if check:
            assert res.rc == 0, res.stderr
            check_invariant(res)
        return res

    if not RUNNER.exists():
        pytest.fail(f"{RUNNER} not built (make {RUNNER.relative_to(ROOT)})")
    return _run

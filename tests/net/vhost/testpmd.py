# SPDX-License-Identifier: GPL-2.0-or-later
"""testpmd.py - drive DPDK's dpdk-testpmd (22.11, Debian 12) as a
vhost-user front end (virtio-user) or back end (the vhost PMD)

Used by tests/net/vhost/test_dpdk_virtio_user.py and bench/vhost-user.sh
(through bench/vhost_user_peer.py). What was found by experiment on the
2-core, no-hugepage machines (docs/benchmarks-vhost-user.md has more):

- EAL: `--no-huge -m MB` works for virtio-user and the vhost PMD alike:
  without hugepages EAL backs its memory with a memfd, which virtio-user
  hands to the back end in SET_MEM_TABLE. `--in-memory` cannot be combined
  with `--no-huge` (it is legacy memory); `--file-prefix` must differ per
  process so two testpmds can run at once (EAL's runtime directory
  /var/run/dpdk/PREFIX, removed here when the process is gone). `--no-pci`
  keeps EAL off the PCI bus. `--lcores 0@C,1@C` puts the main lcore (which
  only reads commands) and the forwarding lcore on CPU C.
- The mbuf pool must be made small (`--total-num-mbufs`): testpmd's
  default (~155k mbufs of 2176 B) does not fit in a small `-m`.
- virtio-user with `server=1` listens on the socket and BLOCKS in its
  probe (before the prompt) until a back end connects; the socket file is
  not removed when testpmd exits and a new testpmd cannot bind over it, so
  it is unlinked before each start.
- Features (22.11): EVENT_IDX is never negotiated by DPDK's virtio PMD (not
  in its feature set), INDIRECT_DESC always is when the back end offers it
  (no devarg turns it off), MRG_RXBUF, IN_ORDER and RING_PACKED follow the
  devargs `mrg_rxbuf`, `in_order`, `packed_vq` -- but `packed_vq=1` only
  allows a packed ring: with a back end that does not offer it the split
  ring is used. The acked features are logged ("set features: 0x...") at
  log level info of pmd.net.virtio.*.
- Non-interactive use: `-i` with commands written on stdin, answers read
  up to the next "testpmd> " prompt. stdout must be line-buffered (stdbuf
  -oL) or the prompt overtakes the output of the command before it.
  There is no command to change `--tx-ip`; `set eth-peer`, `set txpkts`,
  `set fwd`, `set portlist`, `start tx_first N`, `stop`, `show port
  stats N` are what is used here.

Every process is started with subprocess and ended by its own PID.
"""

import os
import re
import shutil
import signal
import subprocess
import time

TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
PROMPT = "testpmd> "
DPDK_RUN = "/var/run/dpdk"

# virtio feature bits (virtio 1.1 and vhost-user)
F_MRG_RXBUF = 15
F_INDIRECT_DESC = 28
F_EVENT_IDX = 29
F_VERSION_1 = 32
F_RING_PACKED = 34


def virtio_user(idx, path, mac, queue_size=256, mrg_rxbuf=1, in_order=0,
                packed_vq=0, server=1):
    """--vdev string of a virtio-user port (the vhost-user front end)."""
    return ("net_virtio_user%d,path=%s,server=%d,queue_size=%d,mrg_rxbuf=%d,"
            "in_order=%d,packed_vq=%d,mac=%s"
            % (idx, path, server, queue_size, mrg_rxbuf, in_order, packed_vq,
               mac))


def vhost_pmd(idx, path, client=1):
    """--vdev string of a vhost PMD port (the vhost-user back end)."""
    return "net_vhost%d,iface=%s,client=%d" % (idx, path, client)


class TestPmdError(RuntimeError):
    pass


class TestPmd:
    """One dpdk-testpmd -i, its output going to @workdir/@name.log.

    @vdevs: --vdev strings; @cpu: the CPU both its lcores run on;
    @app_args: testpmd (after --) options besides -i. Sockets in @unlink
    are removed before the start (a server socket left by an earlier
    process cannot be bound again)."""

    def __init__(self, name, workdir, vdevs, cpu=0, mem_mb=128,
                 mbufs=8192, app_args=(), eal_args=(), unlink=()):
        self.name = name
        self.log = os.path.join(workdir, name + ".log")
        # EAL's runtime dir is /var/run/dpdk/PREFIX: unique per process
        self.prefix = "%s-%d-%s" % (name, os.getpid(), os.path.basename(
            os.path.normpath(workdir)))
        self.argv = ["stdbuf", "-oL", "-eL", TESTPMD,
                     "--lcores", "0@%d,1@%d" % (cpu, cpu),
                     "--no-huge", "-m", str(mem_mb), "--no-pci",
                     "--file-prefix", self.prefix,
                     "--log-level=pmd.net.virtio.*:info"]
        self.argv += list(eal_args)
        for v in vdevs:
            self.argv += ["--vdev", v]
        self.argv += ["--", "-i", "--total-num-mbufs=%d" % mbufs]
        self.argv += list(app_args)
        self.unlink = list(unlink)
        self.proc = None
        self._logf = None
        self._pos = 0           # how far the log has been consumed

    # ------------------------------------------------------------ process

    def start(self):
        for p in self.unlink:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        self._logf = open(self.log, "ab")
        self._logf.write(("=== %s\n" % " ".join(self.argv)).encode())
        self._logf.flush()
        self._pos = self._logf.tell()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                     stdout=self._logf,
                                     stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=60.0):
        """Wait for the first prompt: EAL is up, every port probed (a
        virtio-user server port has its back end connected) and started."""
        return self._read_until(PROMPT, timeout)

    def stop(self, timeout=10.0):
        """quit, else SIGTERM, else SIGKILL -- this process only, by its
        PID. Removes EAL's runtime dir. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        if self._logf:
            self._logf.close()
            self._logf = None
        shutil.rmtree(os.path.join(DPDK_RUN, self.prefix), ignore_errors=True)
        return self.proc.returncode

    # ------------------------------------------------------------ output

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=30):
        return "".join(self.log_text().splitlines(True)[-n:])

    def _read_until(self, marker, timeout):
        """Output from where the last read stopped up to and including the
        next @marker (then consumed)."""
        end = time.monotonic() + timeout
        mark = marker.encode()
        with open(self.log, "rb") as f:
            while True:
                f.seek(self._pos)
                data = f.read()
                i = data.find(mark)
                if i >= 0:
                    self._pos += i + len(mark)
                    return data[:i + len(mark)].decode(errors="replace")
                if self.proc.poll() is not None:
                    raise TestPmdError(
                        "%s exited (%s) before %r:\n%s"
                        % (self.name, self.proc.returncode, marker,
                           self.log_tail()))
                if time.monotonic() > end:
                    raise TestPmdError("%s: no %r within %.0f s:\n%s"
                                       % (self.name, marker, timeout,
                                          self.log_tail()))
                time.sleep(0.02)

    def cmd(self, line, timeout=30.0):
        """Run one command; returns its output (up to the next prompt)."""
        if not self.alive():
            raise TestPmdError("%s is not running:\n%s"
                               % (self.name, self.log_tail()))
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        out = self._read_until(PROMPT, timeout)
        if "Bad arguments" in out or "command not found" in out:
            raise TestPmdError("%s: %r refused:\n%s" % (self.name, line,
                                                        out))
        return out

    def cmds(self, *lines):
        return "".join(self.cmd(ln) for ln in lines)

    # ------------------------------------------------------------ facts

    def port_stats(self, port=0):
        """`show port stats`: rx_packets, rx_bytes, rx_missed, rx_errors,
        rx_nombuf, tx_packets, tx_bytes, tx_errors."""
        out = self.cmd("show port stats %d" % port)

        def num(label):
            m = re.search(r"%s:\s+(\d+)" % re.escape(label), out)
            if not m:
                raise TestPmdError("%s: no %s in %r" % (self.name, label,
                                                        out))
            return int(m.group(1))
        return {"rx_packets": num("RX-packets"), "rx_bytes": num("RX-bytes"),
                "rx_missed": num("RX-missed"), "rx_errors": num("RX-errors"),
                "rx_nombuf": num("RX-nombuf"),
                "tx_packets": num("TX-packets"), "tx_bytes": num("TX-bytes"),
                "tx_errors": num("TX-errors")}

    def features(self):
        """{socket path: the virtio features the front end acked}, from
        virtio-user's "set features" log line (the last one per path)."""
        out = {}
        for m in re.finditer(r"\((\S+)\) set features: 0x([0-9a-fA-F]+)",
                             self.log_text()):
            out[m.group(1)] = int(m.group(2), 16)
        return out


def has(features, bit):
    return bool(features >> bit & 1)


def wait_path(path, proc=None, timeout=30.0):
    """Wait until @path exists (a server socket is listening)."""
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc is not None and not proc.alive():
            raise TestPmdError("%s exited before %s appeared:\n%s"
                               % (proc.name, path, proc.log_tail()))
        if time.monotonic() > end:
            raise TestPmdError("%s did not appear" % path)
        time.sleep(0.02)

# SPDX-License-Identifier: GPL-2.0-or-later
"""nshelper.py - small network tools run inside a namespace for test_dp.py

    ip netns exec NS /usr/bin/python3 nshelper.py ping DST COUNT [INTERVAL]
        ICMP echo; prints JSON {"sent", "recv", "rtt_ms": [...]}
    ip netns exec NS /usr/bin/python3 nshelper.py listen IP PORT SECONDS
        UDP; prints "ready", then JSON [payload, ...] of what arrived
    ip netns exec NS /usr/bin/python3 nshelper.py send IFNAME FRAMES_JSON
        scapy: one UDP frame per [src_mac, dst_mac, src_ip, dst_ip,
        dport, payload] on IFNAME

(The machine has no ping binary; raw sockets do the job.)
"""

import json
import os
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ping(dst, count, interval):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xffff
    sent, rtts, out = 0, [], {}
    end = time.monotonic() + count * interval + 2.0
    next_tx = 0.0
    while time.monotonic() < end and len(rtts) < count:
        now = time.monotonic()
        if sent < count and now >= next_tx:
            sent += 1
            body = b"xeno-dp-ping" + bytes(20)
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, sent)
            hdr = struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, sent)
            try:
                s.sendto(hdr + body, (dst, 0))
                out[sent] = time.monotonic()
            except OSError:
                pass        # EHOSTUNREACH while ARP fails: keep going
            next_tx = now + interval
        r, _, _ = select.select([s], [], [], 0.02)
        if not r:
            continue
        pkt, addr = s.recvfrom(2048)
        ihl = (pkt[0] & 0xf) * 4
        typ, _, _, pid, seq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if typ == 0 and pid == ident and addr[0] == dst and seq in out:
            rtts.append((time.monotonic() - out.pop(seq)) * 1000.0)
    print(json.dumps({"sent": sent, "recv": len(rtts), "rtt_ms": rtts}))


def listen(ip, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    print("ready", flush=True)
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            got.append(s.recv(2048).decode(errors="replace"))
    print(json.dumps(got), flush=True)


def send(ifname, frames):
    from scapy.all import IP, UDP, Ether, Raw, sendp  # slow import: here
    pkts = [Ether(src=f[0], dst=f[1]) / IP(src=f[2], dst=f[3]) /
            UDP(sport=40000, dport=int(f[4])) / Raw(f[5].encode())
            for f in frames]
    sendp(pkts, iface=ifname, verbose=False)


def main(argv):
    if argv[1] == "ping":
        ping(argv[2], int(argv[3]),
             float(argv[4]) if len(argv) > 4 else 0.2)
    elif argv[1] == "listen":
        listen(argv[2], int(argv[3]), float(argv[4]))
    elif argv[1] == "send":
        send(argv[2], json.loads(argv[3]))
    else:
        sys.exit("nshelper: unknown command %s" % argv[1])


if __name__ == "__main__":
    main(sys.argv)

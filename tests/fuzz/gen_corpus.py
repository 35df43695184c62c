#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# gen_corpus.py - write the seed corpora of tests/fuzz/corpus/
#
# Run from the repository root after changing the record format of
# fuzz_switch.c (see its header comment) or to add seeds; the output is
# committed. Harness ports: 0 dom0, 1 wire, 2-6 vifs, 7 the polled vif;
# port i has MAC aa:00:00:00:00:0i (the wire 02:00:00:00:00:01) and owns
# 169.254.1.i, 10.0.0.i, 2001::i and fd69::i.

import os
import struct

DOM0, WIRE, V1, V2, V3, V4, V5, POLL = range(8)
BCAST = b"\xff" * 6


def mac(i):
    return bytes([0x02 if i == WIRE else 0xaa, 0, 0, 0, 0, i])


def ip4(*b):
    return bytes(b)


def ll(i):
    return ip4(169, 254, 1, i)


def ten(i):
    return ip4(10, 0, 0, i)


def v6(pfx, low):
    a = bytearray(16)
    a[0:2] = pfx
    a[15] = low
    return bytes(a)


def eth(dst, src, etype, payload=b""):
    return dst + src + struct.pack(">H", etype) + payload


def ipv4(src, dst, proto, payload, frag=0):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag,
                      64, proto, 0, src, dst)
    return hdr + payload


def udp(sport, dport, data=b"x" * 8):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def arp(op, sha, spa, tha, tpa):
    return struct.pack(">HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def ipv6(src, dst, nh, payload):
    return struct.pack(">IHBB", 0x60000000, len(payload), nh, 255) + src + \
        dst + payload


def icmp6(t, body):
    return bytes([t, 0, 0, 0]) + body


def ns(target, lladdr=None):
    opt = b"" if lladdr is None else bytes([1, 1]) + lladdr
    return icmp6(135, b"\0" * 4 + target + opt)


def na(target, lladdr):
    return icmp6(136, b"\x60\0\0\0" + target + bytes([2, 1]) + lladdr)


def udp4(i, dst_mac, src, dst):
    return eth(dst_mac, mac(i), 0x0800, ipv4(src, dst, 17, udp(1000, 2000)))


def rec(ctl, frame, arg=0, tstep=0):
    return bytes([ctl, arg, tstep]) + struct.pack(">H", len(frame)) + frame


END = 0x20
FIXSRC = 0x08
POLLK = 0x80
CTRL = 0xc0


def ctrl(port, op, params):
    return rec(CTRL | port, params, arg=op)


def switch_seeds():
    s = {}
    s["unicast"] = b"".join([
        rec(V1, udp4(V1, mac(V2), ll(V1), ll(V2))),
        rec(V1, udp4(V1, mac(V3), ten(V1), ten(V3)), tstep=1),
        rec(V2, udp4(V2, mac(V1), ll(V2), ll(V1))),
        rec(V1, udp4(V1, mac(DOM0), ll(V1), ll(DOM0)) ),
        rec(DOM0, udp4(DOM0, mac(V1), ll(DOM0), ll(V1))),
        rec(DOM0, udp4(DOM0, b"\x00\x11\x22\x33\x44\x55", ten(DOM0),
                       ip4(8, 8, 8, 8))),
        rec(V1, udp4(V1, b"\x00\x11\x22\x33\x44\x55", ten(V1),
                     ip4(8, 8, 8, 8))),
        rec(V1, udp4(V1, b"\x00\x11\x22\x33\x44\x55", ll(V1),
                     ip4(8, 8, 8, 8))),
        rec(WIRE, eth(mac(V1), b"\x00\x11\x22\x33\x44\x55", 0x0800,
                      ipv4(ip4(8, 8, 8, 8), ten(V1), 6, b"\0" * 20))),
        rec(WIRE, eth(mac(V1), b"\x00\x11\x22\x33\x44\x55", 0x0800,
                      ipv4(ip4(8, 8, 8, 8), ll(V1), 6, b"\0" * 20))),
    ])
    s["arp"] = b"".join([
        rec(V1, eth(BCAST, mac(V1), 0x0806,
                    arp(1, mac(V1), ll(V1), b"\0" * 6, ll(V2)))),
        rec(V1, eth(BCAST, mac(V1), 0x0806,
                    arp(1, mac(V1), ten(V1), b"\0" * 6, ten(99)))),
        rec(V1, eth(BCAST, mac(V1), 0x0806,
                    arp(1, mac(V1), ll(V1), b"\0" * 6, ip4(169, 254, 9, 9)))),
        rec(V1, eth(BCAST, mac(V1), 0x0806,
                    arp(1, mac(V1), ip4(0, 0, 0, 0), b"\0" * 6, ten(V1)))),
        rec(V2, eth(mac(V1), mac(V2), 0x0806,
                    arp(2, mac(V2), ll(V2), mac(V1), ll(V1)))),
        rec(DOM0, eth(BCAST, mac(DOM0), 0x0806,
                      arp(1, mac(DOM0), ll(DOM0), b"\0" * 6,
                          ip4(169, 254, 1, 77)))),
        rec(DOM0, eth(BCAST, mac(DOM0), 0x0806,
                      arp(1, mac(DOM0), ten(DOM0), b"\0" * 6, ten(V3)))),
        rec(WIRE, eth(BCAST, b"\x00\x11\x22\x33\x44\x55", 0x0806,
                      arp(1, b"\x00\x11\x22\x33\x44\x55", ten(50),
                          b"\0" * 6, ten(V2)))),
        rec(V3, eth(BCAST, mac(V3), 0x0806,
                    arp(1, mac(V1), ll(V1), b"\0" * 6, ll(V2)))),
    ])
    s["bcast_ipv6"] = b"".join([
        rec(V1, udp4(V1, BCAST, ten(V1), ip4(10, 0, 0, 255))),
        rec(V1, udp4(V1, BCAST, ll(V1), ip4(169, 254, 255, 255))),
        rec(V2, eth(b"\x01\x00\x5e\x00\x00\x01", mac(V2), 0x0800,
                    ipv4(ten(V2), ip4(224, 0, 0, 1), 2, b"\0" * 8))),
        rec(V1, eth(b"\x33\x33\xff\x00\x00\x03", mac(V1), 0x86dd,
                    ipv6(v6(b"\x20\x01", V1), v6(b"\xff\x02", 3), 58,
                         ns(v6(b"\x20\x01", V2), mac(V1))))),
        rec(V2, eth(mac(V1), mac(V2), 0x86dd,
                    ipv6(v6(b"\x20\x01", V2), v6(b"\x20\x01", V1), 58,
                         na(v6(b"\x20\x01", V2), mac(V2))))),
        rec(V1, eth(b"\x33\x33\x00\x00\x00\x01", mac(V1), 0x86dd,
                    ipv6(v6(b"\x20\x01", V1), v6(b"\xff\x02", 1), 58,
                         icmp6(134, b"\0" * 12)))),
        rec(V1, eth(b"\x33\x33\xff\x00\x00\x09", mac(V1), 0x86dd,
                    ipv6(b"\0" * 16, v6(b"\xff\x02", 9), 58,
                         ns(v6(b"\x20\x01", V1))))),
        rec(V3, eth(b"\x33\x33\x00\x00\x00\x01", mac(V3), 0x86dd,
                    ipv6(v6(b"\xfd\x69", V3), v6(b"\xff\x02", 1), 17,
                         udp(5, 6)))),
        rec(V2, eth(b"\x33\x33\x00\x00\x00\x01", mac(V2), 0x86dd,
                    ipv6(v6(b"\x20\x01", V2), v6(b"\xff\x02", 1), 0,
                         bytes([44, 0, 0, 0, 0, 0, 0, 0]) +
                         bytes([58, 0, 0, 0, 0, 0, 0, 0]) +
                         icmp6(128, b"\0" * 4)))),
        rec(WIRE, eth(BCAST, b"\x00\x11\x22\x33\x44\x55", 0x86dd,
                      ipv6(v6(b"\x20\x02", 1), v6(b"\xfd\x69", V1), 17,
                           udp(5, 6)))),
    ])
    s["spoof"] = b"".join([
        rec(V1, udp4(V2, mac(V3), ll(V2), ll(V3))),
        rec(V1, udp4(V1, mac(V3), ll(V2), ll(V3))),
        rec(V1, eth(mac(V2), mac(V1), 0x8100, b"\0\x01\x08\x00" +
                    ipv4(ll(V1), ll(V2), 17, udp(1, 2)))),
        rec(V1, mac(V2) + mac(V1)),
        rec(V1, eth(mac(V2), mac(V1), 0x0800, b"\x45\0\0\x50" + b"\0" * 16)),
        rec(V1, eth(mac(V2), mac(V1), 0x0806, b"\0\x01")),
        rec(WIRE, udp4(V1, mac(V2), ten(77), ten(V2))),
        rec(V1, eth(BCAST, mac(V1), 0x0800,
                    ipv4(ip4(0, 0, 0, 0), ip4(255, 255, 255, 255), 17,
                         udp(68, 67)))),
        rec(V1, eth(mac(V2), mac(V1), 0x0800,
                    ipv4(ip4(0, 0, 0, 0), ip4(255, 255, 255, 255), 17,
                         udp(68, 67)))),
    ])
    tag3 = b"\x88\xa8\0\x01" + b"\x81\x00\0\x02" + b"\x91\x00\0\x03"
    s["guards"] = b"".join([
        rec(V1, udp4(V1, BCAST, ten(V1), ip4(255, 255, 255, 255))[:34] +
            udp(67, 68)),
        rec(V1, eth(BCAST, mac(V1), 0x0800,
                    ipv4(ten(V1), ip4(255, 255, 255, 255), 17, udp(67, 68)))),
        rec(V1, eth(mac(V2), mac(V1), 0x86dd,
                    ipv6(v6(b"\x20\x01", V1), v6(b"\x20\x01", V2), 17,
                         udp(547, 546)))),
        rec(V1, eth(b"\x33\x33\x00\x00\x00\x01", mac(V1), 0x86dd,
                    ipv6(v6(b"\x20\x01", V1), v6(b"\xff\x02", 1), 51,
                         bytes([58, 4, 0, 0]) + b"\0" * 20 +
                         icmp6(134, b"\0" * 12)))),
        rec(V1, eth(b"\x33\x33\x00\x00\x00\x02", mac(V1), 0x86dd,
                    ipv6(v6(b"\x20\x01", V1), v6(b"\xff\x02", 2), 58,
                         icmp6(133, b"\0" * 4 + bytes([1, 1]) + mac(V2))))),
        rec(V1, eth(mac(V2), mac(V1), 0x0806,
                    arp(2, mac(V1), ip4(0, 0, 0, 0), mac(V2), ll(V2)))),
        rec(DOM0, mac(WIRE) + mac(DOM0) + tag3 +
            struct.pack(">H", 0x0800) + ipv4(ll(DOM0), ip4(8, 8, 8, 8), 17,
                                             udp(1, 2))),
        rec(WIRE, mac(V1) + b"\x00\x11\x22\x33\x44\x55" + tag3 +
            struct.pack(">H", 0x0800) + ipv4(ip4(8, 8, 8, 8), ll(V1), 17,
                                             udp(1, 2))),
        rec(WIRE, udp4(V1, mac(V2), ten(V1), ten(V2))[:6] +
            b"\x00\x11\x22\x33\x44\x55" +
            udp4(V1, mac(V2), ten(V1), ten(V2))[12:]),
        rec(WIRE, eth(BCAST, b"\x00\x11\x22\x33\x44\x55", 0x0806,
                      arp(1, b"\x00\x11\x22\x33\x44\x55", ten(V3),
                          b"\0" * 6, ten(V2)))),
    ])
    burst = b"".join(rec(V4, udp4(V4, mac(V5), ten(V4), ten(V5)) +
                         b"\0" * 150) for _ in range(8))
    pollb = b"".join(rec(POLLK | FIXSRC, udp4(POLL, mac(V5), ten(POLL),
                                              ten(V5)) + b"\0" * 100,
                         arg=0x80 if k & 1 else 0) for k in range(10))
    s["limits_poll"] = b"".join([
        burst, rec(V1, udp4(V1, mac(V2), ten(V1), ten(V2)), tstep=12),
        burst, pollb, rec(V1 | END, udp4(V1, mac(V2), ten(V1), ten(V2))),
        rec(V1, udp4(V1, mac(V2), ten(V1), ten(V2)), tstep=40), pollb,
    ])
    s["control"] = b"".join([
        ctrl(V1, 2, bytes([0, 9])),
        rec(V1, udp4(V1, mac(V2), ten(9), ten(V2))),
        ctrl(V1, 3, bytes([0, 9])),
        rec(V1, udp4(V1, mac(V2), ten(9), ten(V2))),
        ctrl(V2, 4, bytes([1])),
        rec(V1, udp4(V1, BCAST, ten(V1), ip4(10, 0, 0, 255))),
        ctrl(V3, 0, bytes([0, 200, 0, 10, 2])),
        ctrl(V3, 1, bytes([0, 100, 0, 10, 1])),
        rec(V1, udp4(V1, mac(V3), ten(V1), ten(V3))),
        rec(V3, udp4(V3, mac(V1), ten(V3), ten(V1)) + b"\0" * 300),
        ctrl(POLL, 5, b""),
        rec(POLLK, udp4(POLL, mac(V1), ten(POLL), ten(V1))),
        ctrl(POLL, 5, b""),
        ctrl(WIRE, 5, b""),
        rec(V1, udp4(V1, b"\x00\x11\x22\x33\x44\x55", ten(V1),
                     ip4(8, 8, 8, 8))),
        ctrl(V2, 7, bytes([0x42])),
        rec(V1, udp4(V1, bytes([0xaa, 0, 0, 0, 1, 0x42]), ten(V1), ten(V2))),
        ctrl(V2, 6, bytes([3, 5])),
    ])
    return s


def parse_seeds():
    s = {}
    s["udp4"] = udp4(V1, mac(V2), ll(V1), ll(V2))
    s["frag4"] = eth(mac(V2), mac(V1), 0x0800,
                     ipv4(ll(V1), ll(V2), 17, b"\0" * 8, frag=0x2001))
    s["arp"] = eth(BCAST, mac(V1), 0x0806,
                   arp(1, mac(V1), ll(V1), b"\0" * 6, ll(V2)))
    s["ns"] = eth(b"\x33\x33\xff\x00\x00\x03", mac(V1), 0x86dd,
                  ipv6(v6(b"\x20\x01", V1), v6(b"\xff\x02", 3), 58,
                       ns(v6(b"\x20\x01", V2), mac(V1))))
    s["na"] = eth(mac(V1), mac(V2), 0x86dd,
                  ipv6(v6(b"\x20\x01", V2), v6(b"\x20\x01", V1), 58,
                       na(v6(b"\x20\x01", V2), mac(V2))))
    s["redirect"] = eth(mac(V1), mac(V2), 0x86dd,
                        ipv6(v6(b"\xfe\x80", V2), v6(b"\x20\x01", V1), 58,
                             icmp6(137, b"\0" * 36)))
    s["exthdr"] = eth(mac(V1), mac(V2), 0x86dd,
                      ipv6(v6(b"\x20\x01", V2), v6(b"\x20\x01", V1), 0,
                           bytes([60, 0, 0, 0, 0, 0, 0, 0]) +
                           bytes([44, 0, 0, 0, 0, 0, 0, 0]) +
                           bytes([58, 0, 0, 0, 0, 0, 0, 0]) +
                           icmp6(135, b"\0" * 20)))
    s["vlan"] = eth(mac(V2), mac(V1), 0x8100, b"\0\x01\x08\x00" +
                    ipv4(ll(V1), ll(V2), 17, udp(1, 2)))
    s["vlan3"] = mac(V2) + mac(V1) + b"\x88\xa8\0\x01\x81\x00\0\x02" + \
        b"\x91\x00\0\x03\x08\x00" + ipv4(ll(V1), ll(V2), 17, udp(1, 2))
    s["ra_ah"] = eth(b"\x33\x33\x00\x00\x00\x01", mac(V1), 0x86dd,
                     ipv6(v6(b"\xfe\x80", V1), v6(b"\xff\x02", 1), 51,
                          bytes([60, 4, 0, 0]) + b"\0" * 20 +
                          bytes([58, 0, 1, 4, 0, 0, 0, 0]) +
                          icmp6(134, b"\0" * 12)))
    s["rs"] = eth(b"\x33\x33\x00\x00\x00\x02", mac(V1), 0x86dd,
                  ipv6(v6(b"\xfe\x80", V1), v6(b"\xff\x02", 2), 58,
                       icmp6(133, b"\0" * 4 + bytes([1, 1]) + mac(V1))))
    s["unknown_nh"] = eth(mac(V1), mac(V2), 0x86dd,
                          ipv6(v6(b"\x20\x01", V2), v6(b"\x20\x01", V1),
                               44, bytes([200, 0, 0, 1, 0, 0, 0, 0]) +
                               b"\0" * 8))
    s["dhcp6"] = eth(mac(V1), mac(V2), 0x86dd,
                     ipv6(v6(b"\xfe\x80", V2), v6(b"\xfe\x80", V1), 17,
                          udp(547, 546)))
    return s


def pcapng_seeds():
    """A capture stream as xend sends it (SHB, IDB, EPBs, ISB), host
    order (little endian here), and pieces of it."""
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    def opt(code, val):
        return struct.pack("<HH", code, len(val)) + val + \
            b"\0" * (-len(val) % 4)

    end = struct.pack("<HH", 0, 0)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) +
                opt(4, b"xend 0.1") + end)
    idb = block(1, struct.pack("<HHI", 1, 0, 65535) + opt(2, b"vif1.0") +
                opt(9, b"\x09") + end)
    frame = eth(mac(2), mac(1), 0x0800,
                ipv4(ll(9), ll(2), 17, udp(4000, 4001)))
    epb = block(6, struct.pack("<IIIII", 0, 1, 2, len(frame), len(frame)) +
                frame + b"\0" * (-len(frame) % 4) +
                opt(1, b"dropped: spoof_ip\n") +
                opt(2, struct.pack("<I", 2)) + end)
    isb = block(5, struct.pack("<III", 0, 1, 3) + opt(1, b"capture ended") +
                opt(4, struct.pack("<Q", 2)) + opt(5, struct.pack("<Q", 1)) +
                opt(8, struct.pack("<Q", 1)) + end)
    stream = shb + idb + epb + isb
    return {"stream": stream, "isb": isb, "cut": stream[:len(stream) - 7]}


def write(target, seeds):
    d = os.path.join("tests/fuzz/corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("fuzz_switch", switch_seeds())
    write("fuzz_parse", parse_seeds())
    write("fuzz_pcapng", pcapng_seeds())

// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_fastpath.c - libFuzzer target over the kernel fast path's frame
 * parser (vswitch/bpf/fastpath.h) against the switch's verdicts
 *
 * The input is one frame, sent into a switch by vif 1. A frame that
 * fpath_parse() accepts may take a flow the switch installed for another
 * frame of the same key, so the switch must judge it exactly as that
 * other frame: the target builds a plain frame from the key alone and
 * checks that the switch sends both to the same ports, or drops both for
 * the same reason. ASan checks that the parser reads nothing past the
 * frame (an exact-size copy), as the kernel's verifier does for the BPF
 * build of the same code.
 *
 * Ports: dom0, the wire and vifs 1-3; port i has MAC aa:00:00:00:00:0i
 * (dom0 0, the wire 02:00:00:00:00:01) and owns 169.254.1.i, 10.0.0.i
 * and 2001:db8::i.
 */

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch.h"
#include "fuzz.h"

#define FPATH_NTOHS(x) ntohs(x)
#include "bpf/fastpath.h"

enum { H_DOM0, H_WIRE, H_VIF1, H_VIF2, H_VIF3, NPORTS };

static struct vs_switch *sw;
static int ports[NPORTS];
static unsigned got;			/* harness ports that received */

static unsigned tx_op(void *ctx, const struct vs_frame *const *frames,
		      unsigned n)
{
	(void)frames;
	got |= 1u << (unsigned)(uintptr_t)ctx;
	return n;
}

static const struct vs_port_ops ops = { .tx = tx_op };

static void setup(void)
{
	static const enum vs_port_kind kind[NPORTS] = {
		VS_PORT_DOM0, VS_PORT_WIRE, VS_PORT_VIF, VS_PORT_VIF,
		VS_PORT_VIF,
	};

	sw = vs_switch_new();
	CHECK(sw);
	for (unsigned i = 0; i < NPORTS; i++) {
		struct vs_port_config cfg = {
			.kind = kind[i], .mac = { 0xaa, 0, 0, 0, 0, i },
			.domid = i, .vifidx = 0, .ops = &ops,
			.ctx = (void *)(uintptr_t)i,
		};
		struct in_addr a;
		struct in6_addr a6;

		if (i == H_WIRE)
			cfg.mac[0] = 0x02;
		ports[i] = vs_port_add(sw, &cfg);
		CHECK(ports[i] >= 0);
		if (i == H_WIRE)
			continue;
		a.s_addr = htonl(0xa9fe0100u | i);	/* 169.254.1.i */
		CHECK(!vs_addr4_add(sw, (unsigned)ports[i], a));
		a.s_addr = htonl(0x0a000000u | i);	/* 10.0.0.i */
		CHECK(!vs_addr4_add(sw, (unsigned)ports[i], a));
		CHECK(inet_pton(AF_INET6, "2001:db8::", &a6) == 1);
		a6.s6_addr[15] = (uint8_t)i;
		if (i)
			CHECK(!vs_addr6_add(sw, (unsigned)ports[i], &a6));
	}
}

/* A plain frame with @k's fields: the first 14 + 40 + 28 bytes of @g. */
static uint32_t from_key(uint8_t *g, const struct fpath_key *k)
{
	uint8_t *ip = g + 14, *l4;
	uint32_t l4len = k->proto == FPATH_IPPROTO_TCP ? 20 : 8, len;
	uint16_t n;

	memset(g, 0, 14 + 40 + 28);
	memcpy(g, k->dst, 6);
	memcpy(g + 6, k->src, 6);
	memcpy(g + 12, &k->ethertype, 2);
	if (ntohs(k->ethertype) == FPATH_ETH_IP4) {
		ip[0] = 0x45;
		n = htons((uint16_t)(20 + l4len + 8));
		memcpy(ip + 2, &n, 2);
		ip[8] = 64;
		ip[9] = k->proto;
		memcpy(ip + 12, &k->saddr[0], 4);
		memcpy(ip + 16, &k->daddr[0], 4);
		l4 = ip + 20;
		len = 14 + 20 + l4len + 8;
	} else {
		ip[0] = 0x60;
		n = htons((uint16_t)(l4len + 8));
		memcpy(ip + 4, &n, 2);
		ip[6] = k->proto;
		ip[7] = 64;
		memcpy(ip + 8, k->saddr, 16);
		memcpy(ip + 24, k->daddr, 16);
		l4 = ip + 40;
		len = 14 + 40 + l4len + 8;
	}
	switch (k->proto) {
	case FPATH_IPPROTO_ICMP:
		l4[0] = 8;			/* echo request */
		break;
	case FPATH_IPPROTO_ICMPV6:
		l4[0] = 128;
		break;
	default:			/* TCP, UDP: ports 1000 -> 2000 */
		l4[0] = 1000 >> 8;
		l4[1] = 1000 & 0xff;
		l4[2] = 2000 >> 8;
		l4[3] = 2000 & 0xff;
		if (k->proto == FPATH_IPPROTO_TCP)
			l4[12] = 0x50;
		else
			l4[5] = 16;
	}
	return len;
}

/* Where the switch sent @len bytes at @f from vif 1: ports in the low
 * bits, a drop reason above them. */
static uint64_t verdict(const uint8_t *f, uint32_t len)
{
	struct vs_frame fr = { .data = (uint8_t *)f, .len = len, .cap = len };
	struct vs_stats before, after;
	uint64_t v;

	got = 0;
	vs_switch_stats(sw, &before);
	CHECK(vs_input(sw, (unsigned)ports[H_VIF1], &fr, 1, 0) == 1);
	vs_switch_stats(sw, &after);
	v = got;
	for (unsigned r = 0; r < VS_DROP__MAX; r++)
		if (after.drops[r] != before.drops[r])
			v |= 1ull << (32 + r);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t g[14 + 40 + 28];
	struct fpath_key k, k2;
	uint32_t glen;
	uint8_t *f;

	if (!sw)
		setup();
	if (size > 65535)
		return 0;
	f = malloc(size ? size : 1);	/* exact size: ASan sees overreads */
	CHECK(f);
	memcpy(f, data, size);
	memset(&k, 0, sizeof(k));
	if (fpath_parse(f, f + size, (uint32_t)size, &k) == 0) {
		CHECK(size >= 14 + 20 + 8);
		glen = from_key(g, &k);
		memset(&k2, 0, sizeof(k2));
		CHECK(fpath_parse(g, g + glen, glen, &k2) == 0);
		CHECK(!memcmp(&k, &k2, sizeof(k)));
		CHECK(verdict(f, (uint32_t)size) == verdict(g, glen));
	}
	free(f);
	return 0;
}

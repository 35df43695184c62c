// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_parse.c - libFuzzer target over vs_parse() alone
 *
 * The input is one frame. Beyond ASan catching any read past it, the
 * target checks that every pointer vs_parse() hands out lies, with the
 * bytes it stands for, inside the frame, and that a frame parsed as OK is
 * long enough for the header it claims. It reads each such byte so that
 * ASan also sees a pointer that is wrong in a way these checks miss.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "fuzz.h"

static const uint8_t *lo, *hi;
static volatile uint8_t sink;

/* @n bytes at @p lie inside the frame; touch them. */
static void inside(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	CHECK(b && b >= lo && b + n <= hi);
	for (i = 0; i < n; i++)
		sink ^= b[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_pkt p;
	enum vs_parse_result r;
	unsigned off, t;
	uint16_t inner;
	uint8_t *f;

	if (size > UINT32_MAX)
		return 0;
	/* An exact-size copy: a zero-length frame gets a 0-byte buffer. */
	f = malloc(size ? size : 1);
	CHECK(f);
	memcpy(f, data, size);
	lo = f;
	hi = f + size;
	memset(&p, 0, sizeof(p));

	r = vs_parse(f, (uint32_t)size, &p);
	CHECK(r == VS_PARSE_OK || r == VS_PARSE_RUNT ||
	      r == VS_PARSE_MALFORMED);
	CHECK((r == VS_PARSE_RUNT) == (size < 14));
	if (r == VS_PARSE_RUNT)
		goto out;

	inside(p.dst_mac, 6);
	inside(p.src_mac, 6);
	CHECK(p.dst_mac == f && p.src_mac == f + 6);
	CHECK(p.ethertype == (uint16_t)(f[12] << 8 | f[13]));
	if (r != VS_PARSE_OK)
		goto out;

	/* Every VLAN tag is looked through: the L3 header moves by 4 bytes
	 * per tag, and the inner ethertype, which is not a tag, decides the
	 * protocol. */
	CHECK(size >= 14 + 4ull * p.vlan_tags);
	off = 14 + 4u * p.vlan_tags;
	for (t = 0; t < p.vlan_tags; t++) {
		uint16_t et = (uint16_t)(f[12 + 4 * t] << 8 | f[13 + 4 * t]);

		CHECK(et == 0x8100 || et == 0x88a8 || et == 0x9100);
	}
	inner = (uint16_t)(f[off - 2] << 8 | f[off - 1]);
	CHECK(inner != 0x8100 && inner != 0x88a8 && inner != 0x9100);

	switch (p.l3) {
	case VS_L3_ARP:
		CHECK(inner == ETH_P_ARP_ && size >= off + 28);
		inside(p.arp.sha, 6);
		break;
	case VS_L3_IP4:
		CHECK(inner == ETH_P_IPV4_ && size >= off + 20);
		CHECK(!memcmp(&p.ip4.src, f + off + 12, 4));
		CHECK(!memcmp(&p.ip4.dst, f + off + 16, 4));
		break;
	case VS_L3_IP6:
		CHECK(inner == ETH_P_IPV6_ && size >= off + 40);
		CHECK(!memcmp(&p.ip6.src, f + off + 8, 16));
		CHECK(!memcmp(&p.ip6.dst, f + off + 24, 16));
		CHECK(!p.ip6.has_target ||
		      (p.ip6.l4 && p.ip6.proto == IPPROTO_ICMPV6 &&
		       (p.ip6.icmp_type == ICMP6_NEIGH_SOLICIT_ ||
			p.ip6.icmp_type == ICMP6_NEIGH_ADVERT_ ||
			p.ip6.icmp_type == ICMP6_REDIRECT_)));
		if (p.ip6.nd_lladdr)
			inside(p.ip6.nd_lladdr, 6);
		/* the link-layer option belongs to NS, NA or RS */
		CHECK(!p.ip6.nd_lladdr ||
		      p.ip6.icmp_type == ICMP6_NEIGH_SOLICIT_ ||
		      p.ip6.icmp_type == ICMP6_NEIGH_ADVERT_ ||
		      p.ip6.icmp_type == ICMP6_ROUTER_SOLICIT_);
		/* an unclassified chain has no upper layer to report */
		CHECK(!p.ip6.unclassified || !p.ip6.icmp_type);
		break;
	case VS_L3_OTHER:
		CHECK(inner != ETH_P_ARP_ && inner != ETH_P_IPV4_ &&
		      inner != ETH_P_IPV6_);
		break;
	}
out:
	free(f);
	return 0;
}

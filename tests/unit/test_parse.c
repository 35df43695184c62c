// SPDX-License-Identifier: GPL-2.0-or-later
/* test_parse.c - unit tests of the bounds-checked frame parser (parse.c) */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fakeport.h"
#include "parse.h"

static const uint8_t MAC_A[6] = { 0xaa, 0, 0, 0, 0, 1 };
static const uint8_t MAC_B[6] = { 0xaa, 0, 0, 0, 0, 2 };

/* IPv4 from A (10.0.0.1) to B (10.0.0.2), with @plen zero bytes of
 * payload: UDP from @sport to @dport, or any @proto */
static uint32_t udp4_ab(uint8_t *buf, uint16_t sport, uint16_t dport,
			uint32_t plen)
{
	return fb_udp4(buf, MAC_B, MAC_A, fp_ip4("10.0.0.1"),
		       fp_ip4("10.0.0.2"), sport, dport, plen);
}

static uint32_t ip4_ab(uint8_t *buf, uint8_t proto, uint32_t plen)
{
	return fb_ip4(buf, MAC_B, MAC_A, fp_ip4("10.0.0.1"), fp_ip4("10.0.0.2"),
		      proto, plen);
}

/* Parse @len bytes of @frame from a heap copy of exactly @len bytes, so
 * that ASan catches any read past the end. Pointers in @p are rebased
 * onto @frame. */
static enum vs_parse_result parse_exact(const uint8_t *frame, uint32_t len,
					struct vs_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum vs_parse_result r;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	memset(p, 0, sizeof(*p));
	r = vs_parse(copy, len, p);
	free(copy);
	/* the pointers into the copy are dead now; tests that look at
	 * them use vs_parse() on the buffer directly */
	return r;
}

static bool inside(const void *ptr, uint32_t n, const uint8_t *base,
		   uint32_t len)
{
	const uint8_t *q = ptr;

	return q >= base && q + n <= base + len;
}

/* Ethernet ---------------------------------------------------------------*/

static void test_runt(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len;

	(void)state;
	fb_eth(buf, MAC_B, MAC_A, 0x0800, 0);
	for (len = 0; len < 14; len++)
		assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_RUNT);
}

static void test_eth_other(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = fb_eth(buf, MAC_B, MAC_A, 0x88cc, 46);	/* LLDP */

	(void)state;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.l3, VS_L3_OTHER);
	assert_int_equal(p.ethertype, 0x88cc);
	assert_ptr_equal(p.dst_mac, buf);
	assert_ptr_equal(p.src_mac, buf + 6);
	/* bare header is enough for an unknown ethertype */
	assert_int_equal(parse_exact(buf, 14, &p), VS_PARSE_OK);
}

static void test_vlan_is_other(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = udp4_ab(buf, 1, 2, 10);

	(void)state;
	len = fb_vlan(buf, len, 5);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ethertype, 0x8100);
	/* the tagged payload is parsed, so isolation sees through tags */
	assert_int_equal(p.vlan_tags, 1);
	assert_int_equal(p.l3, VS_L3_IP4);
	assert_int_equal(p.ip4.src.s_addr, fp_ip4("10.0.0.1").s_addr);
	/* QinQ too */
	buf[12] = 0x88;
	buf[13] = 0xa8;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.vlan_tags, 1);
	assert_int_equal(p.l3, VS_L3_IP4);
	/* a truncated tag is malformed */
	assert_int_equal(vs_parse(buf, 16, &p), VS_PARSE_MALFORMED);
	assert_int_equal(p.l3, VS_L3_OTHER);
}

/* Every tag is looked through, whatever the stack: three, five (mixing
 * 802.1Q, 802.1ad and the old 0x9100), or as many as fill the frame. */
static void test_vlan_stack(void **state)
{
	static const uint16_t tpid[] = { 0x8100, 0x88a8, 0x9100 };
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len, base, cut, i;

	(void)state;
	base = fb_dgram4(buf, MAC_B, MAC_A, fp_ip4("169.254.1.1"),
			 fp_ip4("192.0.2.1"));
	len = base;
	for (i = 0; i < 3; i++)
		len = fb_vlan(buf, len, (uint16_t)i);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.vlan_tags, 3);
	assert_int_equal(p.l3, VS_L3_IP4);
	assert_int_equal(p.ip4.src.s_addr, fp_ip4("169.254.1.1").s_addr);

	for (i = 0; i < 2; i++)
		len = fb_vlan(buf, len, (uint16_t)i);
	for (i = 0; i < 5; i++) {	/* outer tag first */
		buf[12 + 4 * i] = (uint8_t)(tpid[i % 3] >> 8);
		buf[13 + 4 * i] = (uint8_t)tpid[i % 3];
	}
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.vlan_tags, 5);
	assert_int_equal(p.l3, VS_L3_IP4);
	assert_int_equal(p.ip4.src.s_addr, fp_ip4("169.254.1.1").s_addr);
	/* cut anywhere inside the tags or the IPv4 header: malformed */
	for (cut = 14; cut < 14 + 5 * 4 + 20; cut++)
		assert_int_equal(parse_exact(buf, cut, &p),
				 VS_PARSE_MALFORMED);

	/* a stack of tags to the end of the frame: nothing to classify */
	len = fb_eth(buf, MAC_B, MAC_A, 0x8100, 400);
	for (i = 0; i < 100; i++) {
		buf[14 + 4 * i + 2] = 0x81;
		buf[14 + 4 * i + 3] = 0x00;
	}
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	/* ... and an IPv4 header after 99 tags parses */
	len = fb_dgram4(buf, MAC_B, MAC_A, fp_ip4("169.254.1.1"),
			fp_ip4("192.0.2.1"));
	for (i = 0; i < 99; i++)
		len = fb_vlan(buf, len, (uint16_t)i);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.vlan_tags, 99);
	assert_int_equal(p.l3, VS_L3_IP4);
}

/* ARP --------------------------------------------------------------------*/

static void test_arp_fields(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = fb_arp_req(buf, MAC_A, fp_ip4("169.254.1.1"),
				  fp_ip4("169.254.1.2"));

	(void)state;
	assert_int_equal(len, 42);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.l3, VS_L3_ARP);
	assert_int_equal(p.arp.op, 1);
	assert_memory_equal(p.arp.sha, MAC_A, 6);
	assert_int_equal(p.arp.spa.s_addr, fp_ip4("169.254.1.1").s_addr);
	assert_int_equal(p.arp.tpa.s_addr, fp_ip4("169.254.1.2").s_addr);
	assert_true(inside(p.arp.sha, 6, buf, len));

	len = fb_arp_reply(buf, MAC_B, MAC_A, fp_ip4("10.0.0.1"),
			   fp_ip4("10.0.0.2"));
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.arp.op, 2);

	/* padded to the 60-byte Ethernet minimum */
	memset(buf + len, 0, 60 - len);
	assert_int_equal(parse_exact(buf, 60, &p), VS_PARSE_OK);
}

static void test_arp_sizes(void **state)
{
	static const struct { unsigned off; uint8_t val; } bad[] = {
		{ 14 + 1, 6 },		/* hardware type 6 (IEEE 802) */
		{ 14 + 2, 0x86 },	/* protocol type 0x86dd */
		{ 14 + 4, 8 },		/* hardware size 8 */
		{ 14 + 5, 16 },		/* protocol size 16 */
		{ 14 + 5, 0 },
		{ 14 + 4, 0 },
	};
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t len = fb_arp_req(buf, MAC_A, fp_ip4("10.0.0.1"),
					  fp_ip4("10.0.0.2"));

		buf[bad[i].off] = bad[i].val;
		assert_int_equal(parse_exact(buf, len, &p),
				 VS_PARSE_MALFORMED);
	}
}

/* IPv4 -------------------------------------------------------------------*/

static void test_ip4_udp(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = udp4_ab(buf, 1234, 53, 20);

	(void)state;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.l3, VS_L3_IP4);
	assert_int_equal(p.ip4.src.s_addr, fp_ip4("10.0.0.1").s_addr);
	assert_int_equal(p.ip4.dst.s_addr, fp_ip4("10.0.0.2").s_addr);
	assert_int_equal(p.ip4.proto, IPPROTO_UDP);
	assert_true(p.ip4.first_frag);
	assert_int_equal(p.ip4.sport, 1234);
	assert_int_equal(p.ip4.dport, 53);
}

static void test_ip4_dhcp(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = fb_dhcp(buf, MAC_A);

	(void)state;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip4.src.s_addr, 0);
	assert_int_equal(p.ip4.dst.s_addr, 0xffffffff);
	assert_int_equal(p.ip4.sport, 68);
	assert_int_equal(p.ip4.dport, 67);
}

static void test_ip4_icmp_and_tcp(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = fb_icmp4(buf, MAC_B, MAC_A, fp_ip4("10.0.0.1"),
				fp_ip4("10.0.0.2"));

	(void)state;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip4.proto, IPPROTO_ICMP);
	assert_int_equal(p.ip4.sport, 0);
	assert_int_equal(p.ip4.dport, 0);

	len = ip4_ab(buf, IPPROTO_TCP, 20);
	buf[34] = 0x1f;			/* sport 8080 */
	buf[35] = 0x90;
	buf[37] = 22;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip4.sport, 8080);
	assert_int_equal(p.ip4.dport, 22);
}

static void test_ip4_options(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len;

	(void)state;
	/* IHL 6: one option word, then UDP */
	len = ip4_ab(buf, IPPROTO_UDP, 4 + 8);
	buf[14] = 0x46;
	buf[34] = 1;			/* NOPs */
	buf[35] = 1;
	buf[36] = 1;
	buf[37] = 0;
	buf[38] = 0x30;			/* sport 0x3039 = 12345 */
	buf[39] = 0x39;
	buf[41] = 67;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip4.sport, 12345);
	assert_int_equal(p.ip4.dport, 67);

	/* IHL 15 (60 bytes) with total length covering it */
	len = ip4_ab(buf, IPPROTO_ICMP, 40);
	buf[14] = 0x4f;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
}

static void test_ip4_bad_ihl_len(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len;
	unsigned ihl;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		len = udp4_ab(buf, 1, 2, 0);
		buf[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse_exact(buf, len, &p),
				 VS_PARSE_MALFORMED);
	}
	/* IHL past the total length (28 bytes, IHL 8 = 32) */
	len = udp4_ab(buf, 1, 2, 0);
	buf[14] = 0x48;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	/* IHL past the frame even with a lying total length */
	buf[14] = 0x4f;
	buf[16] = 0;
	buf[17] = 60;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);

	/* total length below the header */
	len = udp4_ab(buf, 1, 2, 0);
	buf[16] = 0;
	buf[17] = 19;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	/* total length past the frame */
	buf[17] = (uint8_t)(len - 14 + 1);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	buf[16] = 0xff;
	buf[17] = 0xff;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	/* trailing padding is fine */
	buf[16] = 0;
	buf[17] = 20;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);

	/* version 6 in an IPv4 ethertype */
	len = udp4_ab(buf, 1, 2, 0);
	buf[14] = 0x65;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
}

static void test_ip4_fragments(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len = udp4_ab(buf, 1, 2, 100);

	(void)state;
	buf[20] = 0x20;			/* MF, offset 0: first fragment */
	buf[21] = 0;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip4.first_frag);
	assert_int_equal(p.ip4.sport, 1);

	buf[20] = 0x00;			/* offset 185 * 8 */
	buf[21] = 185;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_false(p.ip4.first_frag);
	assert_int_equal(p.ip4.sport, 0);
	assert_int_equal(p.ip4.dport, 0);

	/* a first fragment too short for the UDP header: malformed (it
	 * would hide the ports until reassembly); not the last fragment
	 * (MF) only, and a full 8-byte header is enough */
	len = ip4_ab(buf, IPPROTO_UDP, 4);
	buf[20] = 0x20;			/* MF */
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	len = ip4_ab(buf, IPPROTO_UDP, 8);
	buf[20] = 0x20;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);

	/* UDP with fewer than 4 bytes of L4: no ports, not malformed */
	len = ip4_ab(buf, IPPROTO_UDP, 3);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip4.sport, 0);
}

/* IPv6 -------------------------------------------------------------------*/

static void test_ip6_basic(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("2001:db8::1"), d = fp_ip6("2001:db8::2");
	uint32_t len = fb_udp6(buf, MAC_B, MAC_A, &s, &d);

	(void)state;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.l3, VS_L3_IP6);
	assert_memory_equal(&p.ip6.src, &s, 16);
	assert_memory_equal(&p.ip6.dst, &d, 16);
	assert_int_equal(p.ip6.proto, IPPROTO_UDP);
	assert_false(p.ip6.has_target);

	/* padding after the payload is ignored */
	memset(buf + len, 0xee, 30);
	assert_int_equal(parse_exact(buf, len + 30, &p), VS_PARSE_OK);
	/* payload length past the frame */
	buf[18] = 0;
	buf[19] = (uint8_t)(len - 54 + 1);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	/* version 4 in an IPv6 ethertype */
	len = fb_udp6(buf, MAC_B, MAC_A, &s, &d);
	buf[14] = 0x45;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
}

/* Wrap the ICMPv6 message of the frame in @buf (built by fb_icmp6) in the
 * extension headers @nh[0..n): each 8 bytes, the fragment header with
 * offset @frag_off. Returns the new length. */
static uint32_t add_ext(uint8_t *buf, uint32_t len, const uint8_t *nh,
			unsigned n, uint16_t frag_off)
{
	uint32_t plen = len - 54, i;
	uint8_t next = buf[20];

	memmove(buf + 54 + 8 * n, buf + 54, plen);
	buf[20] = nh[0];
	for (i = 0; i < n; i++) {
		uint8_t *e = buf + 54 + 8 * i;

		memset(e, 0, 8);
		e[0] = i + 1 < n ? nh[i + 1] : next;
		if (nh[i] == IPPROTO_FRAGMENT) {
			e[2] = (uint8_t)(frag_off >> 8);
			e[3] = (uint8_t)frag_off;
		} else {
			e[2] = 1;	/* PadN, 4 bytes */
			e[3] = 4;
		}
	}
	plen += 8 * n;
	buf[18] = (uint8_t)(plen >> 8);
	buf[19] = (uint8_t)plen;
	return 54 + plen;
}

/* RA guard needs the ICMPv6 type behind every extension header of known
 * length: AH (length in 4-byte units), Mobility, HIP, Shim6 and the
 * experimental 253/254 in the generic format of RFC 6564 as well. */
static void test_ip6_ah_and_generic(void **state)
{
	static const struct { uint8_t nh; uint32_t hlen; } hdrs[] = {
		{ IPPROTO_AH, 12 }, { IPPROTO_AH, 24 }, { IPPROTO_AH, 28 },
		{ IPPROTO_MH, 16 }, { IP6_NH_HIP_, 40 }, { IP6_NH_SHIM6_, 8 },
		{ IP6_NH_EXP1_, 8 }, { IP6_NH_EXP2_, 24 },
		{ IPPROTO_HOPOPTS, 16 }, { IPPROTO_ROUTING, 24 },
	};
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1");
	uint32_t len;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		len = fb_ra(buf, MAC_A, &s);
		len = fb_ip6_ext(buf, len, hdrs[i].nh, hdrs[i].hlen, 0);
		assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
		assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
		if (!p.ip6.l4 || p.ip6.icmp_type != ICMP6_ROUTER_ADVERT_ ||
		    p.ip6.unclassified)
			fail_msg("RA behind next header %u (%u bytes) not seen",
				 hdrs[i].nh, hdrs[i].hlen);
	}
	/* AH inside a first fragment, behind Destination Options */
	len = fb_ra(buf, MAC_A, &s);
	len = fb_ip6_ext(buf, len, IPPROTO_AH, 24, 0);
	len = fb_ip6_ext(buf, len, IPPROTO_DSTOPTS, 8, 0);
	len = fb_ip6_ext(buf, len, IPPROTO_FRAGMENT, 8, 1);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_ADVERT_);
	/* an AH claiming more than there is: truncated */
	len = fb_ra(buf, MAC_A, &s);
	len = fb_ip6_ext(buf, len, IPPROTO_AH, 12, 0);
	buf[55] = 60;			/* (60 + 2) * 4 bytes */
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);

	/* UDP behind AH: the ports are found (DHCPv6 guard) */
	{
		struct in6_addr d = fp_ip6("ff02::1:2");

		len = fb_udp6(buf, MAC_B, MAC_A, &s, &d);
		buf[54] = 0x02;		/* 547 -> 546 */
		buf[55] = 0x23;
		buf[56] = 0x02;
		buf[57] = 0x22;
		len = fb_ip6_ext(buf, len, IPPROTO_AH, 24, 0);
		assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
		assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
		assert_int_equal(p.ip6.proto, IPPROTO_UDP);
		assert_int_equal(p.ip6.sport, 547);
		assert_int_equal(p.ip6.dport, 546);
	}
}

/* Chains that do not lead to a known upper layer in the first fragment
 * are flagged unclassified (RFC 7112/7113); truncation without a fragment
 * header is malformed, as before. */
static void test_ip6_unclassified(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1"), d = fp_ip6("fe80::2");
	uint32_t len;

	(void)state;
	/* an unknown next header (unassigned 200), straight or behind
	 * Destination Options */
	len = fb_ip6(buf, MAC_B, MAC_A, &s, &d, 200, 16);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip6.unclassified);
	assert_int_equal(p.ip6.proto, 200);
	len = fb_ip6_ext(buf, len, IPPROTO_DSTOPTS, 8, 0);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip6.unclassified);

	/* a first fragment (M set) that ends after the fragment header,
	 * before the ICMPv6 header: the RA is in the next fragment */
	len = fb_ip6(buf, MAC_B, MAC_A, &s, &d, IPPROTO_ICMPV6, 0);
	len = fb_ip6_ext(buf, len, IPPROTO_FRAGMENT, 8, 1);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip6.unclassified);
	assert_false(p.ip6.l4);
	/* ... or in the middle of the chain after it */
	len = fb_ra(buf, MAC_A, &s);
	len = fb_ip6_ext(buf, len, IPPROTO_DSTOPTS, 16, 0);
	(void)fb_ip6_ext(buf, len, IPPROTO_FRAGMENT, 8, 1);
	buf[18] = 0;
	buf[19] = 8 + 8;		/* cut inside the options */
	len = 54 + 16;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip6.unclassified);
	/* ... or with a partial UDP header */
	len = fb_ip6(buf, MAC_B, MAC_A, &s, &d, IPPROTO_UDP, 4);
	len = fb_ip6_ext(buf, len, IPPROTO_FRAGMENT, 8, 1);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip6.unclassified);
	/* without the fragment header, the same cut chain is truncated */
	len = fb_ra(buf, MAC_A, &s);
	(void)fb_ip6_ext(buf, len, IPPROTO_DSTOPTS, 16, 0);
	buf[18] = 0;
	buf[19] = 8;
	assert_int_equal(parse_exact(buf, 54 + 8, &p), VS_PARSE_MALFORMED);

	/* positive controls: ESP and No Next Header are upper layers; so is
	 * an assigned protocol (OSPF); a complete first fragment is fine */
	len = fb_ip6(buf, MAC_B, MAC_A, &s, &d, IPPROTO_ESP, 16);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_false(p.ip6.unclassified);
	len = fb_ip6(buf, MAC_B, MAC_A, &s, &d, IPPROTO_NONE, 0);
	len = fb_ip6_ext(buf, len, IPPROTO_DSTOPTS, 8, 0);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_false(p.ip6.unclassified);
	len = fb_ip6(buf, MAC_B, MAC_A, &s, &d, 89, 16);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_false(p.ip6.unclassified);
	len = fb_ra(buf, MAC_A, &s);
	len = fb_ip6_ext(buf, len, IPPROTO_FRAGMENT, 8, 1);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_false(p.ip6.unclassified);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_ADVERT_);
}

static void test_ip6_ext_headers(void **state)
{
	static const uint8_t chain[] = {
		IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
		IPPROTO_FRAGMENT, IPPROTO_DSTOPTS,
	};
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1"), t = fp_ip6("2001:db8::7");
	uint32_t len;

	(void)state;
	len = fb_ns(buf, MAC_A, &s, &t, MAC_A);
	len = add_ext(buf, len, chain, 5, 0);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.proto, IPPROTO_ICMPV6);
	assert_true(p.ip6.l4);
	assert_int_equal(p.ip6.icmp_type, ICMP6_NEIGH_SOLICIT_);
	assert_true(p.ip6.has_target);
	assert_memory_equal(&p.ip6.nd_target, &t, 16);
	assert_memory_equal(p.ip6.nd_lladdr, MAC_A, 6);

	/* a non-first fragment: upper layer not there */
	len = fb_ra(buf, MAC_A, &s);
	len = add_ext(buf, len, (const uint8_t[]){ IPPROTO_FRAGMENT }, 1,
		      0x0010);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.proto, IPPROTO_ICMPV6);
	assert_false(p.ip6.l4);
	assert_int_equal(p.ip6.icmp_type, 0);

	/* first fragment (offset 0, M set): the RA is seen */
	len = fb_ra(buf, MAC_A, &s);
	len = add_ext(buf, len, (const uint8_t[]){ IPPROTO_FRAGMENT }, 1, 1);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(p.ip6.l4);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_ADVERT_);
}

static void test_ip6_ext_limits(void **state)
{
	uint8_t chain[9], buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1");
	uint32_t len;
	unsigned i;

	(void)state;
	memset(chain, IPPROTO_DSTOPTS, sizeof(chain));
	/* there is no limit on the number of headers but the frame: 9 are
	 * walked, and so are 200, to the RA at the end */
	len = fb_ra(buf, MAC_A, &s);
	len = add_ext(buf, len, chain, 9, 0);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_ADVERT_);
	len = fb_ra(buf, MAC_A, &s);
	for (i = 0; i < 200; i++)
		len = fb_ip6_ext(buf, len, IPPROTO_DSTOPTS, 8, 0);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_ADVERT_);
	assert_false(p.ip6.unclassified);

	/* an extension header claiming more than the payload */
	len = fb_ra(buf, MAC_A, &s);
	len = add_ext(buf, len, chain, 1, 0);
	buf[55] = 200;			/* hdr ext len: 1608 bytes */
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);

	/* payload ends inside the extension header */
	len = fb_ra(buf, MAC_A, &s);
	len = add_ext(buf, len, chain, 1, 0);
	buf[18] = 0;
	buf[19] = 4;
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
}

/* ND ---------------------------------------------------------------------*/

static void test_nd_ns_na(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1"), t = fp_ip6("2001:db8::7"), any;
	uint32_t len;

	(void)state;
	memset(&any, 0, sizeof(any));
	len = fb_ns(buf, MAC_A, &s, &t, NULL);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_NEIGH_SOLICIT_);
	assert_true(p.ip6.has_target);
	assert_memory_equal(&p.ip6.nd_target, &t, 16);
	assert_null(p.ip6.nd_lladdr);

	len = fb_ns(buf, MAC_A, &any, &t, NULL);	/* DAD */
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&p.ip6.src));

	len = fb_na(buf, MAC_B, &s, &t, MAC_B);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_NEIGH_ADVERT_);
	assert_memory_equal(p.ip6.nd_lladdr, MAC_B, 6);
	assert_true(inside(p.ip6.nd_lladdr, 6, buf, len));

	/* NA with a *source* lladdr option (type 1): not the TLLA */
	len = fb_na(buf, MAC_B, &s, &t, MAC_B);
	buf[54 + 24] = 1;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_null(p.ip6.nd_lladdr);
	/* NS with a target lladdr option (type 2): not the SLLA */
	len = fb_ns(buf, MAC_A, &s, &t, MAC_A);
	buf[54 + 24] = 2;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_null(p.ip6.nd_lladdr);
}

/* An NS for @t from MAC_A with the raw options @opt (@olen bytes). */
static uint32_t ns_with_opts(uint8_t *buf, const uint8_t *opt, uint32_t olen)
{
	uint8_t body[20 + 64];
	struct in6_addr s = fp_ip6("fe80::1"), t = fp_ip6("2001:db8::7"), d;
	uint8_t dmac[6];

	memset(body, 0, 4);
	memcpy(body + 4, &t, 16);
	memcpy(body + 20, opt, olen);
	fp_snm6(&t, &d);
	fp_mcast6_mac(&d, dmac);
	return fb_icmp6(buf, dmac, MAC_A, &s, &d, 135, body, 20 + olen);
}

static void test_nd_options(void **state)
{
	static const uint8_t nonce_slla[] = {
		14, 1, 1, 2, 3, 4, 5, 6,		/* nonce */
		1, 1, 0xaa, 0, 0, 0, 0, 1,		/* SLLA */
	};
	static const uint8_t zero_len[] = { 1, 0, 0xaa, 0, 0, 0, 0, 1 };
	static const uint8_t two_slla[] = {
		1, 1, 0xaa, 0, 0, 0, 0, 1,
		1, 1, 0xaa, 0, 0, 0, 0, 2,
	};
	static const uint8_t long_slla[] = {
		1, 2, 0xaa, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t past_end[] = { 14, 2, 1, 2, 3, 4, 5, 6 };
	static const uint8_t half[] = { 1 };
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	uint32_t len;

	(void)state;
	len = ns_with_opts(buf, nonce_slla, sizeof(nonce_slla));
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_non_null(p.ip6.nd_lladdr);
	assert_memory_equal(p.ip6.nd_lladdr, MAC_A, 6);

	len = ns_with_opts(buf, zero_len, sizeof(zero_len));
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	len = ns_with_opts(buf, two_slla, sizeof(two_slla));
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	len = ns_with_opts(buf, long_slla, sizeof(long_slla));
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	len = ns_with_opts(buf, past_end, sizeof(past_end));
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
	len = ns_with_opts(buf, half, sizeof(half));
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
}

static void test_nd_truncated_target(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1"), t = fp_ip6("2001:db8::7");
	uint32_t len, cut;

	(void)state;
	/* Cut the ICMPv6 payload (and the IPv6 payload length with it) to
	 * every size short of the 24 bytes of an NS without options. */
	for (cut = 0; cut < 24; cut++) {
		(void)fb_ns(buf, MAC_A, &s, &t, NULL);
		buf[18] = 0;
		buf[19] = (uint8_t)cut;
		len = 54 + cut;
		assert_int_equal(parse_exact(buf, len, &p),
				 VS_PARSE_MALFORMED);
	}
}

/* A Router Solicitation's source link-layer option is found. */
static void test_nd_rs(void **state)
{
	uint8_t buf[FP_FRAME_BUF], body[12] = { 0, 0, 0, 0, 1, 1 }, dmac[6];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1"), d = fp_ip6("ff02::2");
	uint32_t len;

	(void)state;
	memcpy(body + 6, MAC_A, 6);
	fp_mcast6_mac(&d, dmac);
	len = fb_icmp6(buf, dmac, MAC_A, &s, &d, ICMP6_ROUTER_SOLICIT_, body,
		       sizeof(body));
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_SOLICIT_);
	assert_non_null(p.ip6.nd_lladdr);
	assert_memory_equal(p.ip6.nd_lladdr, MAC_A, 6);
	assert_true(inside(p.ip6.nd_lladdr, 6, buf, len));
	assert_false(p.ip6.has_target);
	/* without the option */
	len = fb_rs(buf, MAC_A, &s);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_null(p.ip6.nd_lladdr);
	/* an option cut short */
	len = fb_icmp6(buf, dmac, MAC_A, &s, &d, ICMP6_ROUTER_SOLICIT_, body,
		       sizeof(body) - 2);
	assert_int_equal(parse_exact(buf, len, &p), VS_PARSE_MALFORMED);
}

static void test_redirect_ra_mld(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	struct in6_addr s = fp_ip6("fe80::1"), d = fp_ip6("fe80::2"),
			t = fp_ip6("fe80::3"), dst = fp_ip6("2001:db8::9");
	uint32_t len = fb_redirect(buf, MAC_B, MAC_A, &s, &d, &t, &dst);

	(void)state;
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_REDIRECT_);
	assert_true(p.ip6.has_target);
	assert_memory_equal(&p.ip6.nd_target, &t, 16);
	/* redirect without its destination address */
	buf[19] -= 16;
	assert_int_equal(parse_exact(buf, len - 16, &p), VS_PARSE_MALFORMED);

	len = fb_ra(buf, MAC_A, &s);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_ROUTER_ADVERT_);
	assert_false(p.ip6.has_target);

	len = fb_icmp6(buf, MAC_B, MAC_A, &s, &d, ICMP6_MLD2_REPORT_,
		       (const uint8_t[4]){ 0 }, 4);
	assert_int_equal(vs_parse(buf, len, &p), VS_PARSE_OK);
	assert_int_equal(p.ip6.icmp_type, ICMP6_MLD2_REPORT_);
	/* ICMPv6 header itself truncated */
	buf[19] = 3;
	assert_int_equal(parse_exact(buf, 54 + 3, &p), VS_PARSE_MALFORMED);
}

/* Every prefix of every valid frame ----------------------------------------*/

typedef uint32_t (*builder)(uint8_t *buf);

static uint32_t b_arp(uint8_t *b)
{
	return fb_arp_req(b, MAC_A, fp_ip4("169.254.1.1"), fp_ip4("169.254.1.2"));
}

static uint32_t b_udp4(uint8_t *b)
{
	return udp4_ab(b, 1, 2, 30);
}

static uint32_t b_icmp4(uint8_t *b)
{
	return fb_icmp4(b, MAC_B, MAC_A, fp_ip4("10.0.0.1"), fp_ip4("10.0.0.2"));
}

static uint32_t b_dhcp(uint8_t *b)
{
	return fb_dhcp(b, MAC_A);
}

static uint32_t b_udp6(uint8_t *b)
{
	struct in6_addr s = fp_ip6("2001:db8::1"), d = fp_ip6("2001:db8::2");

	return fb_udp6(b, MAC_B, MAC_A, &s, &d);
}

static uint32_t b_ns(uint8_t *b)
{
	struct in6_addr s = fp_ip6("fe80::1"), t = fp_ip6("2001:db8::7");

	return fb_ns(b, MAC_A, &s, &t, MAC_A);
}

static uint32_t b_na(uint8_t *b)
{
	struct in6_addr s = fp_ip6("fe80::1"), t = fp_ip6("2001:db8::7");

	return fb_na(b, MAC_A, &s, &t, MAC_A);
}

static uint32_t b_ra(uint8_t *b)
{
	struct in6_addr s = fp_ip6("fe80::1");

	return fb_ra(b, MAC_A, &s);
}

static uint32_t b_redirect(uint8_t *b)
{
	struct in6_addr s = fp_ip6("fe80::1"), d = fp_ip6("fe80::2"),
			t = fp_ip6("fe80::3"), dst = fp_ip6("2001:db8::9");

	return fb_redirect(b, MAC_B, MAC_A, &s, &d, &t, &dst);
}

static uint32_t b_ns_ext(uint8_t *b)
{
	static const uint8_t chain[] = {
		IPPROTO_HOPOPTS, IPPROTO_FRAGMENT, IPPROTO_DSTOPTS,
	};

	return add_ext(b, b_ns(b), chain, 3, 0);
}

static uint32_t b_vlan(uint8_t *b)
{
	return fb_vlan(b, b_udp4(b), 7);
}

static uint32_t b_vlan3(uint8_t *b)
{
	return fb_vlan(b, fb_vlan(b, b_vlan(b), 8), 9);
}

static uint32_t b_ra_ah(uint8_t *b)
{
	return fb_ip6_ext(b, b_ra(b), IPPROTO_AH, 24, 0);
}

static const struct {
	const char *name;
	builder build;
	enum vs_l3 l3;
} frames[] = {
	{ "arp", b_arp, VS_L3_ARP },
	{ "udp4", b_udp4, VS_L3_IP4 },
	{ "icmp4", b_icmp4, VS_L3_IP4 },
	{ "dhcp", b_dhcp, VS_L3_IP4 },
	{ "udp6", b_udp6, VS_L3_IP6 },
	{ "ns", b_ns, VS_L3_IP6 },
	{ "na", b_na, VS_L3_IP6 },
	{ "ra", b_ra, VS_L3_IP6 },
	{ "redirect", b_redirect, VS_L3_IP6 },
	{ "ns+ext", b_ns_ext, VS_L3_IP6 },
	{ "vlan", b_vlan, VS_L3_IP4 },
	{ "vlan3", b_vlan3, VS_L3_IP4 },
	{ "ra+ah", b_ra_ah, VS_L3_IP6 },
};

/* Every strict prefix of a frame whose L3 header declares its full length
 * (IPv4 total length, IPv6 payload length, fixed ARP) is truncated: the
 * parser must say so, and must never read past the prefix (ASan). */
static void test_every_prefix(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	struct vs_pkt p;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		uint32_t full = frames[i].build(buf), len;

		assert_int_equal(parse_exact(buf, full, &p), VS_PARSE_OK);
		assert_int_equal(p.l3, frames[i].l3);
		for (len = 0; len < full; len++) {
			enum vs_parse_result r = parse_exact(buf, len, &p);
			enum vs_parse_result want =
				len < 14 ? VS_PARSE_RUNT :
				frames[i].l3 == VS_L3_OTHER ? VS_PARSE_OK :
				VS_PARSE_MALFORMED;

			if (r != want)
				fail_msg("%s: prefix %u/%u parsed as %d, want %d",
					 frames[i].name, len, full, r, want);
		}
	}
}

/* Random corruption of valid frames, at random lengths: nothing may be
 * read past the end (ASan), and pointers handed out lie inside. */
static void test_corrupt_frames(void **state)
{
	uint8_t buf[FP_FRAME_BUF];
	uint32_t seed = 12345;
	unsigned iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		unsigned k = iter % (sizeof(frames) / sizeof(frames[0])), m;
		uint32_t full = frames[k].build(buf), len;
		uint8_t *copy;
		struct vs_pkt p;

		for (m = 0; m < 4; m++) {
			seed = seed * 1103515245 + 12345;
			buf[14 + (seed >> 8) % (full - 14)] ^=
				(uint8_t)(1u << (seed >> 4) % 8);
		}
		seed = seed * 1103515245 + 12345;
		len = (seed >> 8) % (full + 1);
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		if (vs_parse(copy, len, &p) == VS_PARSE_OK) {
			if (p.l3 == VS_L3_ARP)
				assert_true(inside(p.arp.sha, 6, copy, len));
			if (p.l3 == VS_L3_IP6) {
				if (p.ip6.nd_lladdr)
					assert_true(inside(p.ip6.nd_lladdr, 6,
							   copy, len));
			}
		}
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runt),
		cmocka_unit_test(test_eth_other),
		cmocka_unit_test(test_vlan_is_other),
		cmocka_unit_test(test_vlan_stack),
		cmocka_unit_test(test_arp_fields),
		cmocka_unit_test(test_arp_sizes),
		cmocka_unit_test(test_ip4_udp),
		cmocka_unit_test(test_ip4_dhcp),
		cmocka_unit_test(test_ip4_icmp_and_tcp),
		cmocka_unit_test(test_ip4_options),
		cmocka_unit_test(test_ip4_bad_ihl_len),
		cmocka_unit_test(test_ip4_fragments),
		cmocka_unit_test(test_ip6_basic),
		cmocka_unit_test(test_ip6_ext_headers),
		cmocka_unit_test(test_ip6_ext_limits),
		cmocka_unit_test(test_ip6_ah_and_generic),
		cmocka_unit_test(test_ip6_unclassified),
		cmocka_unit_test(test_nd_ns_na),
		cmocka_unit_test(test_nd_options),
		cmocka_unit_test(test_nd_truncated_target),
		cmocka_unit_test(test_nd_rs),
		cmocka_unit_test(test_redirect_ra_mld),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_corrupt_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* test_fastpath.c - the kernel fast path's frame parser and the switch's
 * offers (vswitch/bpf/fastpath.h, vswitch.h)
 *
 * The fast path is sound when every frame it accepts is judged by the
 * switch exactly as any other frame of the same key would be: then a flow
 * cached for one frame is right for every frame that matches it. The
 * property test checks that on mutations of real frames: for each mutant
 * fpath_parse() accepts, the switch's verdict on it (where it went, or why
 * it was dropped) equals its verdict on a plain frame built from the key
 * alone. The programs themselves run the same fpath_parse() in the kernel
 * (tests/net/test_xend_67_fastpath.py checks them there).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fakeport.h"

#define FPATH_NTOHS(x) ntohs(x)
#include "bpf/fastpath.h"

static int parse(const uint8_t *f, uint32_t len, struct fpath_key *k)
{
	memset(k, 0, sizeof(*k));
	return fpath_parse(f, f + len, len, k);
}

/* Accepted and refused frames ------------------------------------------*/

static void test_parse_accepts(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct fpath_key k;
	uint32_t len;

	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	assert_int_equal(parse(f, len, &k), 0);
	assert_memory_equal(k.src, tb->vif_mac[1], 6);
	assert_memory_equal(k.dst, tb->vif_mac[2], 6);
	assert_int_equal(ntohs(k.ethertype), 0x0800);
	assert_int_equal(k.proto, 17);
	assert_int_equal(k.saddr[0], tb->vif_ip[1].s_addr);
	assert_int_equal(k.daddr[0], tb->vif_ip[2].s_addr);
	assert_int_equal(k.saddr[1] | k.daddr[1] | k.pad | k.ifindex, 0);

	len = fb_ip4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		     tb->vif_ip[2], 6, 20);
	assert_int_equal(parse(f, len, &k), 0);
	assert_int_equal(k.proto, 6);
	len = fb_icmp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		       tb->vif_ip[2]);
	assert_int_equal(parse(f, len, &k), 0);
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		      &tb->vif_ip6[2]);
	assert_int_equal(parse(f, len, &k), 0);
	assert_memory_equal(k.saddr, &tb->vif_ip6[1], 16);
	assert_memory_equal(k.daddr, &tb->vif_ip6[2], 16);
	len = fb_ip6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		     &tb->vif_ip6[2], 6, 20);
	assert_int_equal(parse(f, len, &k), 0);
	len = fb_icmp6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		       &tb->vif_ip6[2], 128, (const uint8_t *)"\0\1\0\1", 4);
	assert_int_equal(parse(f, len, &k), 0);
}

static void test_parse_refuses(void **state)
{
	struct testbed *tb = *state;
	const uint8_t *m1 = tb->vif_mac[1], *m2 = tb->vif_mac[2];
	struct in_addr s = tb->vif_ip[1], d = tb->vif_ip[2];
	const struct in6_addr *s6 = &tb->vif_ip6[1], *d6 = &tb->vif_ip6[2];
	uint8_t f[FP_FRAME_BUF];
	struct fpath_key k;
	uint32_t len;

	/* not IP, or not to one station */
	len = fb_arp_reply(f, m2, m1, s, d);
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_dgram4(f, FP_MAC_BCAST, m1, s, d);
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_vlan(f, fb_dgram4(f, m2, m1, s, d), 7);
	assert_int_equal(parse(f, len, &k), -1);
	/* DHCP either way, both families */
	len = fb_udp4(f, m2, m1, s, d, 67, 68, 32);
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_udp4(f, m2, m1, s, d, 5000, 67, 32);
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_udp6(f, m2, m1, s6, d6);
	f[14 + 40] = 547 >> 8;
	f[14 + 41] = 547 & 0xff;
	assert_int_equal(parse(f, len, &k), -1);
	/* IPv4 options, fragments, truncation, a lying length */
	len = fb_dgram4(f, m2, m1, s, d);
	f[14] = 0x46;
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_dgram4(f, m2, m1, s, d);
	f[14 + 6] = 0x20;			/* more fragments */
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_dgram4(f, m2, m1, s, d);
	f[14 + 7] = 0x01;			/* offset 8 */
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_dgram4(f, m2, m1, s, d);
	assert_int_equal(parse(f, 14 + 20 + 4, &k), -1);
	f[14 + 2] = 0x05;			/* tot_len past the frame */
	assert_int_equal(parse(f, len, &k), -1);
	/* ICMP other than echo; other protocols */
	len = fb_icmp4(f, m2, m1, s, d);
	f[14 + 20] = 5;				/* redirect */
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_ip4(f, m2, m1, s, d, 47, 20);	/* GRE */
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_ip4(f, m2, m1, s, d, 6, 12);	/* TCP cut short */
	assert_int_equal(parse(f, len, &k), -1);
	/* IPv6: an extension header, ND, RA, a short frame */
	len = fb_ip6_ext(f, fb_udp6(f, m2, m1, s6, d6), 0, 8, 0);
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_icmp6(f, m2, m1, s6, d6, 135, (const uint8_t *)"\0\0\0\0", 4);
	assert_int_equal(parse(f, len, &k), -1);
	len = fb_ra(f, m1, &tb->vif_ll6[1]);
	assert_int_equal(parse(f, len, &k), -1);
	fb_udp6(f, m2, m1, s6, d6);
	assert_int_equal(parse(f, 14 + 39, &k), -1);
	assert_int_equal(parse(f, 13, &k), -1);
}

/* Soundness ------------------------------------------------------------*/

/* A plain frame with key @k's fields and nothing else of note. */
static uint32_t from_key(uint8_t *f, const struct fpath_key *k)
{
	struct in_addr s = { k->saddr[0] }, d = { k->daddr[0] };
	struct in6_addr s6, d6;

	memcpy(&s6, k->saddr, 16);
	memcpy(&d6, k->daddr, 16);
	if (ntohs(k->ethertype) == 0x0800) {
		switch (k->proto) {
		case 17:
			return fb_udp4(f, k->dst, k->src, s, d, 1000, 2000, 32);
		case 1:
			return fb_icmp4(f, k->dst, k->src, s, d);
		default:
			return fb_ip4(f, k->dst, k->src, s, d, k->proto, 20);
		}
	}
	switch (k->proto) {
	case 17:
		return fb_udp6(f, k->dst, k->src, &s6, &d6);
	case 58:
		return fb_icmp6(f, k->dst, k->src, &s6, &d6, 128,
				(const uint8_t *)"\0\1\0\1", 4);
	default:
		return fb_ip6(f, k->dst, k->src, &s6, &d6, k->proto, 20);
	}
}

/* What the switch did with one frame from @port: a bit per fake port that
 * received it, or a drop reason above them. */
static uint64_t verdict(struct testbed *tb, int port, const uint8_t *f,
			uint32_t len)
{
	struct fakeport *fps[TB_VIFS + 2];
	int nos[TB_VIFS + 2];
	struct vs_stats before, after;
	unsigned n = tb_ports(tb, fps, nos);
	uint64_t v = 0;

	tb_clear_logs(tb);
	vs_switch_stats(SW, &before);
	assert_int_equal(tb_send(tb, port, f, len, tb->now), 1);
	vs_switch_stats(SW, &after);
	for (unsigned i = 0; i < n; i++)
		if (fps[i]->nlog)
			v |= 1ull << i;
	for (unsigned r = 0; r < VS_DROP__MAX; r++)
		if (after.drops[r] != before.drops[r])
			v |= 1ull << (32 + r);
	return v;
}

/* Frames the mutations start from: from vif 1 to vif 2, to dom0, to
 * nobody, spoofed, in each protocol the fast path takes. */
static uint32_t base_frame(struct testbed *tb, unsigned i, uint8_t *f)
{
	const uint8_t *m1 = tb->vif_mac[1];
	const uint8_t *to = i % 3 == 0 ? tb->vif_mac[2] :
			    i % 3 == 1 ? tb->dom0_mac : FP_MAC_GW;
	struct in_addr s = i % 5 == 4 ? tb->vif_ip[3] : tb->vif_ip[1];
	struct in_addr d = i % 3 == 2 ? fp_ip4("192.0.2.1") : tb->vif_ip[2];
	const struct in6_addr *s6 = &tb->vif_ip6[1], *d6 = &tb->vif_ip6[2];
	uint32_t len;

	switch ((i / 3) % 8) {
	case 0:
		return fb_dgram4(f, to, m1, s, d);
	case 1:
		return fb_ip4(f, to, m1, s, d, 6, 40);
	case 2:
		return fb_icmp4(f, to, m1, s, d);
	case 3:
		return fb_udp6(f, to, m1, s6, d6);
	case 4:
		return fb_ip6(f, to, m1, s6, d6, 6, 40);
	case 5:
		return fb_icmp6(f, to, m1, s6, d6, 129,
				(const uint8_t *)"\0\1\0\1", 4);
	case 6:		/* DHCP server messages: never accepted */
		return fb_udp4(f, to, m1, s, d, 67, 68, 32);
	default:
		len = fb_udp6(f, to, m1, s6, d6);
		f[14 + 40] = 547 >> 8;
		f[14 + 41] = 547 & 0xff;
		f[14 + 43] = 546 & 0xff;
		return len;
	}
}

static void test_verdict_is_the_keys(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], g[FP_FRAME_BUF];
	unsigned accepted = 0;
	struct fpath_key k, k2;

	srandom(20261202);
	for (unsigned i = 0; i < 40000; i++) {
		uint32_t len = base_frame(tb, i, f), glen;
		unsigned flips = 1 + (unsigned)random() % 4;

		for (unsigned j = 0; j < flips; j++) {
			/* mostly the headers, where verdicts are made */
			uint32_t at = (uint32_t)random() % (random() % 4 ?
							    len < 80 ? len : 80 : len);

			f[at] = random() % 2 ? (uint8_t)random() :
				(uint8_t)(f[at] ^ (1u << (random() % 8)));
		}
		if (random() % 8 == 0)
			len -= (uint32_t)random() % 16;
		if (parse(f, len, &k))
			continue;
		accepted++;
		glen = from_key(g, &k);
		assert_int_equal(parse(g, glen, &k2), 0);
		assert_memory_equal(&k, &k2, sizeof(k));
		if (verdict(tb, VIF(1), f, len) != verdict(tb, VIF(1), g, glen))
			fail_msg("mutant %u: the switch judged it unlike its key",
				 i);
	}
	/* The test means something only if many mutants passed the parser */
	assert_true(accepted > 8000);
}

/* Offers ---------------------------------------------------------------*/

struct offers {
	unsigned n;
	unsigned in, out;
};

static void record_offer(void *ctx, unsigned in, unsigned out,
			 const struct vs_frame *f)
{
	struct offers *o = ctx;

	(void)f;
	o->n++;
	o->in = in;
	o->out = out;
}

static void test_offers(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct offers o = { 0 };
	uint32_t len;
	uint64_t gen;

	vs_switch_set_offer(SW, record_offer, &o);
	assert_int_equal(vs_port_set_offer(SW, (unsigned)VIF(1), true), 0);
	assert_int_equal(vs_port_set_offer(SW, (unsigned)VIF(2), true), 0);
	assert_int_equal(vs_port_set_offer(SW, 200, true), -ENOENT);

	/* one vif to another, both offering: offered, and delivered */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.in, (unsigned)VIF(1));
	assert_int_equal(o.out, (unsigned)VIF(2));

	/* not to a vif that does not offer, nor to dom0, nor floods, nor
	 * dropped frames */
	len = fb_dgram4(f, tb->vif_mac[3], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[3]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(3), NULL);
	len = fb_dgram4(f, tb->dom0_mac, tb->vif_mac[1], tb->vif_ll[1],
			tb->dom0_ll);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_dgram4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send(tb, VIF(1), f, len, tb->now);
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[3],
			tb->vif_ip[2]);
	tb_send(tb, VIF(1), f, len, tb->now);
	assert_int_equal(o.n, 1);

	/* a limit on either end stops the offers, and moves the generation */
	gen = vs_switch_gen(SW);
	assert_int_equal(vs_port_set_rx_limit(SW, (unsigned)VIF(2), 100000,
					      1000, 0, tb->now), 0);
	assert_true(vs_switch_gen(SW) != gen);
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	assert_int_equal(o.n, 1);
	assert_int_equal(vs_port_set_rx_limit(SW, (unsigned)VIF(2), 0, 0, 0,
					      tb->now), 0);
	assert_int_equal(vs_port_set_tx_limit(SW, (unsigned)VIF(1), 100000,
					      1000, 0, tb->now), 0);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	assert_int_equal(o.n, 1);
	assert_int_equal(vs_port_set_tx_limit(SW, (unsigned)VIF(1), 0, 0, 0,
					      tb->now), 0);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	assert_int_equal(o.n, 2);

	/* frames do not move the generation; addresses do */
	gen = vs_switch_gen(SW);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	assert_true(vs_switch_gen(SW) == gen);
	assert_int_equal(vs_addr4_add(SW, (unsigned)VIF(1),
				      fp_ip4("10.9.9.9")), 0);
	assert_true(vs_switch_gen(SW) != gen);
}

static void test_offloaded_counts(void **state)
{
	struct testbed *tb = *state;
	struct vs_port_stats a, b;
	struct vs_stats st;
	uint64_t drops = 0;

	assert_int_equal(vs_port_add_offloaded(SW, (unsigned)VIF(1), 10, 1000,
					       3, 300), 0);
	assert_int_equal(vs_port_add_offloaded(SW, (unsigned)VIF(2), 3, 300,
					       10, 1000), 0);
	assert_int_equal(vs_port_add_offloaded(SW, 200, 1, 1, 1, 1), -ENOENT);
	vs_port_stats(SW, (unsigned)VIF(1), &a);
	vs_port_stats(SW, (unsigned)VIF(2), &b);
	assert_int_equal(a.tx_packets, 10);
	assert_int_equal(a.tx_bytes, 1000);
	assert_int_equal(a.in_packets, 10);
	assert_int_equal(a.rx_packets, 3);
	assert_int_equal(b.rx_bytes, 1000);
	vs_switch_stats(SW, &st);
	for (unsigned r = 0; r < VS_DROP__MAX; r++)
		drops += st.drops[r];
	assert_int_equal(st.in_frames, 13);
	assert_int_equal(st.in_frames, st.delivered + drops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST(test_parse_accepts),
		TB_TEST(test_parse_refuses),
		TB_TEST(test_verdict_is_the_keys),
		TB_TEST(test_offers),
		TB_TEST(test_offloaded_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

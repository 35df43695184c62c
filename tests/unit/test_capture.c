// SPDX-License-Identifier: GPL-2.0-or-later
/* test_capture.c - the pcapng writer (block layout, lengths, alignment,
 * options), its stream reader, the capture ring (wrapping, a full ring
 * counts its losses) and the switch's capture points (after policy,
 * drops with their reason, both directions)
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "fakeport.h"
#include "pcapng.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Check the frame of a block: type, the same total length at both ends,
 * a multiple of 4, and what the writer said it wrote. */
static void expect_block(const uint8_t *b, size_t n, uint32_t type)
{
	assert_true(n >= 12);
	assert_int_equal(n % 4, 0);
	assert_int_equal(rd32(b), type);
	assert_int_equal(rd32(b + 4), n);
	assert_int_equal(rd32(b + n - 4), n);
	assert_int_equal(pcapng_block_len(b, n), (long)n);
}

/* Find option @code among the options from @off to the trailing length;
 * its value offset, or 0. Every option's padding is checked on the way. */
static size_t find_opt(const uint8_t *b, size_t n, size_t off, uint16_t code,
		       uint16_t *len)
{
	while (off + 4 <= n - 4) {
		uint16_t c = rd16(b + off), l = rd16(b + off + 2);

		if (c == PCAPNG_OPT_END) {
			assert_int_equal(l, 0);
			assert_int_equal(off + 4, n - 4);
			return 0;
		}
		if (c == code) {
			*len = l;
			return off + 4;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	fail_msg("options run past the block");
	return 0;
}

static void test_shb_idb(void **state)
{
	uint8_t b[256];
	uint16_t l = 0;
	size_t n, o;

	(void)state;
	n = pcapng_shb(b, sizeof(b), "xend");
	expect_block(b, n, PCAPNG_SHB);
	assert_int_equal(rd32(b + 8), PCAPNG_BYTE_ORDER_MAGIC);
	assert_int_equal(rd16(b + 12), 1);		/* major */
	assert_int_equal(rd16(b + 14), 0);		/* minor */
	assert_int_equal(rd32(b + 16), UINT32_MAX);	/* length unknown */
	o = find_opt(b, n, 24, PCAPNG_SHB_USERAPPL, &l);
	assert_int_equal(l, 4);
	assert_memory_equal(b + o, "xend", 4);

	n = pcapng_idb(b, sizeof(b), PCAPNG_LINKTYPE_ETHERNET, 1500,
		       "vif1.0", "domain 1 vif 0");
	expect_block(b, n, PCAPNG_IDB);
	assert_int_equal(rd16(b + 8), 1);
	assert_int_equal(rd32(b + 12), 1500);
	o = find_opt(b, n, 16, PCAPNG_IF_NAME, &l);
	assert_int_equal(l, 6);
	assert_memory_equal(b + o, "vif1.0", 6);
	o = find_opt(b, n, 16, PCAPNG_IF_TSRESOL, &l);
	assert_int_equal(l, 1);
	assert_int_equal(b[o], 9);
	/* too small a buffer: nothing */
	assert_int_equal(pcapng_idb(b, 20, 1, 1500, "vif1.0", NULL), 0);
}

/* EPBs of every data length mod 4, with and without options. */
static void test_epb_layout(void **state)
{
	static const char comment[] = "dropped: spoof_ip\n";
	uint8_t data[64], b[256];
	uint16_t l = 0;
	size_t n, o;

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	for (uint32_t caplen = 60; caplen <= 63; caplen++) {
		struct pcapng_pkt p = {
			.ts = 0x0000000100000002ULL, .data = data,
			.caplen = caplen, .len = caplen + 100,
		};

		n = pcapng_epb(b, sizeof(b), &p);
		expect_block(b, n, PCAPNG_EPB);
		/* no options: the padded data is the end */
		assert_int_equal(n, 28 + ((caplen + 3) & ~3u) + 4);
		assert_int_equal(rd32(b + 12), 1);	/* ts high */
		assert_int_equal(rd32(b + 16), 2);	/* ts low */
		assert_int_equal(rd32(b + 20), caplen);
		assert_int_equal(rd32(b + 24), caplen + 100);
		assert_memory_equal(b + 28, data, caplen);
		for (uint32_t k = caplen; k % 4; k++)
			assert_int_equal(b[28 + k], 0);	/* zero padding */

		p.dir = PCAPNG_DIR_OUTBOUND;
		p.comment = comment;
		n = pcapng_epb(b, sizeof(b), &p);
		expect_block(b, n, PCAPNG_EPB);
		o = find_opt(b, n, 28 + ((caplen + 3) & ~3u),
			     PCAPNG_OPT_COMMENT, &l);
		assert_int_equal(l, strlen(comment));
		assert_memory_equal(b + o, comment, l);
		o = find_opt(b, n, 28 + ((caplen + 3) & ~3u),
			     PCAPNG_EPB_FLAGS, &l);
		assert_int_equal(l, 4);
		assert_int_equal(rd32(b + o) & 3, PCAPNG_DIR_OUTBOUND);
	}
}

static void test_isb_roundtrip(void **state)
{
	struct pcapng_stats s = {
		.ts = 5, .start = 1, .end = 5, .ifrecv = 10, .ifdrop = 3,
		.usrdeliv = 7, .comment = "capture ended: stopped",
	};
	uint64_t drop = 0, deliv = 0;
	char comment[64];
	uint8_t b[256];
	size_t n;

	(void)state;
	n = pcapng_isb(b, sizeof(b), &s);
	expect_block(b, n, PCAPNG_ISB);
	assert_int_equal(pcapng_isb_parse(b, n, &drop, &deliv, comment,
					  sizeof(comment)), 0);
	assert_int_equal(drop, 3);
	assert_int_equal(deliv, 7);
	assert_string_equal(comment, "capture ended: stopped");
	/* a short comment buffer truncates, NUL-terminated */
	assert_int_equal(pcapng_isb_parse(b, n, &drop, &deliv, comment, 8), 0);
	assert_string_equal(comment, "capture");
	/* an option running past the end is refused */
	b[22] = 0xff;
	b[23] = 0x7f;
	assert_int_equal(pcapng_isb_parse(b, n, &drop, &deliv, comment,
					  sizeof(comment)), -1);
	/* not an ISB, or lengths that disagree */
	assert_int_equal(pcapng_isb_parse(b, 16, &drop, &deliv, comment,
					  sizeof(comment)), -1);
}

static void test_block_len(void **state)
{
	uint8_t b[16] = { 0 };
	uint32_t v;

	(void)state;
	assert_int_equal(pcapng_block_len(b, 7), 0);	/* head not there */
	for (v = 0; v < 12; v++) {
		memcpy(b + 4, &v, 4);
		assert_int_equal(pcapng_block_len(b, 8), -1);
	}
	v = 13;
	memcpy(b + 4, &v, 4);
	assert_int_equal(pcapng_block_len(b, 8), -1);	/* not 4-aligned */
	v = PCAPNG_BLOCK_MAX + 4;
	memcpy(b + 4, &v, 4);
	assert_int_equal(pcapng_block_len(b, 8), -1);	/* too long */
	v = 4096;
	memcpy(b + 4, &v, 4);
	assert_int_equal(pcapng_block_len(b, 8), 4096);	/* not all there */
}

/* The ring ---------------------------------------------------------------*/

static struct vs_frame frame_of(uint8_t *buf, uint32_t len, uint8_t fill)
{
	memset(buf, fill, len);
	return (struct vs_frame){ .data = buf, .len = len, .cap = len };
}

static void test_ring_order_and_wrap(void **state)
{
	struct vs_capture *c = vs_capture_new(0, 1000, false);
	struct vs_capture_counts cnt;
	struct vs_capture_rec rec;
	uint8_t buf[1000], out[1000];
	struct vs_frame f;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->size, VS_CAPTURE_RING_MIN);
	/* many more records than fit at once: every one wraps in turn */
	for (unsigned i = 0; i < 200; i++) {
		uint32_t len = 60 + (i * 37) % 900;

		f = frame_of(buf, len, (uint8_t)i);
		vs_capture_put(c, &f, i % 2 ? VS_CAPTURE_RECEIVED :
			       VS_CAPTURE_SENT, VS_DROP__MAX, i);
		assert_true(vs_capture_get(c, &rec, out, sizeof(out)));
		assert_int_equal(rec.caplen, len);
		assert_int_equal(rec.len, len);
		assert_int_equal(rec.ts, i);
		assert_int_equal(rec.dir, i % 2);
		assert_int_equal(rec.reason, VS_DROP__MAX);
		assert_memory_equal(out, buf, len);
		assert_false(vs_capture_get(c, &rec, out, sizeof(out)));
	}
	vs_capture_counts(c, &cnt);
	assert_int_equal(cnt.frames, 200);
	assert_int_equal(cnt.lost, 0);
	vs_capture_free(c);
	vs_capture_free(NULL);
	assert_null(vs_capture_new(4096, 0, false));
	assert_null(vs_capture_new(4096, VS_CAPTURE_SNAPLEN_MAX + 1, false));
}

static void test_ring_full_counts_losses(void **state)
{
	struct vs_capture *c = vs_capture_new(8192, 200, true);
	struct vs_capture_counts cnt;
	struct vs_capture_rec rec;
	uint8_t buf[1500], out[200];
	struct vs_frame f = frame_of(buf, 1500, 0xab);
	unsigned fit = 8192 / (sizeof(rec) + 200), got = 0;

	(void)state;
	assert_non_null(c);
	/* nobody reads: what fits is kept, the rest counted lost */
	for (unsigned i = 0; i < 100; i++)
		vs_capture_put(c, &f, VS_CAPTURE_SENT, VS_DROP__MAX, i);
	vs_capture_counts(c, &cnt);
	assert_int_equal(cnt.frames, fit);
	assert_int_equal(cnt.lost, 100 - fit);
	while (vs_capture_get(c, &rec, out, sizeof(out))) {
		assert_int_equal(rec.caplen, 200);	/* snapped */
		assert_int_equal(rec.len, 1500);
		assert_int_equal(rec.ts, got);		/* the oldest kept */
		got++;
	}
	assert_int_equal(got, fit);
	/* room again once read */
	vs_capture_put(c, &f, VS_CAPTURE_SENT, VS_DROP_SPOOF_IP, 7);
	assert_true(vs_capture_get(c, &rec, out, sizeof(out)));
	assert_int_equal(rec.reason, VS_DROP_SPOOF_IP);
	vs_capture_free(c);
}

static void test_ring_drops_only_when_asked(void **state)
{
	struct vs_capture *c = vs_capture_new(8192, 100, false);
	struct vs_capture_counts cnt;
	struct vs_capture_rec rec;
	uint8_t buf[100], out[100];
	struct vs_frame f = frame_of(buf, 100, 1);

	(void)state;
	vs_capture_put(c, &f, VS_CAPTURE_SENT, VS_DROP_SPOOF_MAC, 1);
	assert_false(vs_capture_get(c, &rec, out, sizeof(out)));
	vs_capture_counts(c, &cnt);
	assert_int_equal(cnt.frames + cnt.lost, 0);
	vs_capture_free(c);
}

/* A frame in two pieces (a vhost-user port's) is captured whole. */
static void test_ring_two_pieces(void **state)
{
	struct vs_capture *c = vs_capture_new(8192, 300, false);
	struct vs_capture_rec rec;
	uint8_t head[64], tail[200], out[300];
	struct vs_frame f = { .data = head, .tail = tail, .len = 264,
			      .tail_len = 200 };

	(void)state;
	memset(head, 1, sizeof(head));
	memset(tail, 2, sizeof(tail));
	vs_capture_put(c, &f, VS_CAPTURE_SENT, VS_DROP__MAX, 1);
	assert_true(vs_capture_get(c, &rec, out, sizeof(out)));
	assert_int_equal(rec.caplen, 264);
	assert_memory_equal(out, head, 64);
	assert_memory_equal(out + 64, tail, 200);
	vs_capture_free(c);
}

/* The switch's capture points -------------------------------------------*/

static struct vs_capture_rec take(struct vs_capture *c, uint8_t *out)
{
	struct vs_capture_rec rec;

	assert_true(vs_capture_get(c, &rec, out, 2048));
	return rec;
}

static void test_switch_captures(void **state)
{
	struct testbed *tb = *state;
	struct vs_capture *c = vs_capture_new(0, 2048, true);
	struct vs_capture *plain = vs_capture_new(0, 2048, false);
	struct vs_capture_rec rec;
	uint8_t f[FP_FRAME_BUF], out[2048];
	uint32_t len;

	assert_int_equal(vs_port_capture_add(SW, VIF(1), c), 0);
	assert_int_equal(vs_port_capture_add(SW, VIF(1), plain), 0);

	/* sent and delivered */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	rec = take(c, out);
	assert_int_equal(rec.dir, VS_CAPTURE_SENT);
	assert_int_equal(rec.reason, VS_DROP__MAX);
	assert_memory_equal(out, f, len);
	assert_int_equal(take(plain, out).reason, VS_DROP__MAX);

	/* a spoof: only the capture that takes drops sees it, with why */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[3],
			tb->vif_ip[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	rec = take(c, out);
	assert_int_equal(rec.dir, VS_CAPTURE_SENT);
	assert_int_equal(rec.reason, VS_DROP_SPOOF_IP);
	assert_false(vs_capture_get(plain, &rec, out, sizeof(out)));

	/* received: delivered to vif 1 */
	len = fb_dgram4(f, tb->vif_mac[1], tb->vif_mac[2], tb->vif_ip[2],
			tb->vif_ip[1]);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(1), NULL);
	rec = take(c, out);
	assert_int_equal(rec.dir, VS_CAPTURE_RECEIVED);
	assert_int_equal(rec.reason, VS_DROP__MAX);

	/* received but refused by its back end: tx_error */
	FVIF(1)->accept = 0;
	tb_send(tb, VIF(2), f, len, 0);
	FVIF(1)->accept = FP_ACCEPT_ALL;
	rec = take(c, out);
	assert_int_equal(rec.dir, VS_CAPTURE_RECEIVED);
	assert_int_equal(rec.reason, VS_DROP_TX_ERROR);

	/* other ports' traffic is not captured */
	len = fb_dgram4(f, tb->vif_mac[3], tb->vif_mac[2], tb->vif_ip[2],
			tb->vif_ip[3]);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(3), NULL);
	assert_false(vs_capture_get(c, &rec, out, sizeof(out)));

	/* detached: nothing more */
	assert_int_equal(vs_port_capture_del(SW, VIF(1), plain), 0);
	assert_int_equal(vs_port_capture_del(SW, VIF(1), plain), -ENOENT);
	assert_false(vs_capture_detached(c));
	assert_int_equal(vs_port_del(SW, VIF(1)), 0);
	assert_true(vs_capture_detached(c));
	assert_int_equal(vs_port_capture_del(SW, VIF(1), c), -ENOENT);
	tb_expect_invariant(tb);
	vs_capture_free(c);
	vs_capture_free(plain);
}

static void test_switch_capture_limit(void **state)
{
	struct testbed *tb = *state;
	struct vs_capture *c[VS_CAPTURE_PORT_MAX + 1];
	unsigned i;

	for (i = 0; i <= VS_CAPTURE_PORT_MAX; i++)
		c[i] = vs_capture_new(0, 64, false);
	for (i = 0; i < VS_CAPTURE_PORT_MAX; i++)
		assert_int_equal(vs_port_capture_add(SW, VIF(1), c[i]), 0);
	assert_int_equal(vs_port_capture_add(SW, VIF(1), c[i]), -ENOSPC);
	assert_int_equal(vs_port_capture_add(SW, 200, c[i]), -ENOENT);
	for (i = 0; i < VS_CAPTURE_PORT_MAX; i++)
		assert_int_equal(vs_port_capture_del(SW, VIF(1), c[i]), 0);
	for (i = 0; i <= VS_CAPTURE_PORT_MAX; i++)
		vs_capture_free(c[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb_idb),
		cmocka_unit_test(test_epb_layout),
		cmocka_unit_test(test_isb_roundtrip),
		cmocka_unit_test(test_block_len),
		cmocka_unit_test(test_ring_order_and_wrap),
		cmocka_unit_test(test_ring_full_counts_losses),
		cmocka_unit_test(test_ring_drops_only_when_asked),
		cmocka_unit_test(test_ring_two_pieces),
		TB_TEST_NOWIRE(test_switch_captures),
		TB_TEST_NOWIRE(test_switch_capture_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

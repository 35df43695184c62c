// SPDX-License-Identifier: GPL-2.0-or-later
/* test_offload.c - unit tests of the checksum and segmentation fallbacks
 * (offload.c)
 *
 * Frames are built by hand here, each in a heap buffer of exactly its
 * length so that ASan (make unit-san) catches any read past its end.
 * Checksums are checked against the reference below, which works one
 * byte at a time on an explicit RFC 793 / RFC 8200 pseudo-header, not
 * against offload.c's own code.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "offload.h"

#define ETH_LEN		14
#define VLAN_LEN	4
#define IP4_LEN		24	/* with 4 bytes of options (router alert) */
#define IP6_LEN		40
#define TCP_LEN		32	/* with 12 bytes of options (NOP NOP TS) */
#define UDP_LEN		8

#define T_FIN		0x01
#define T_PSH		0x08
#define T_ACK		0x10
#define T_ECE		0x40
#define T_CWR		0x80
#define FLAGS0		(T_CWR | T_ECE | T_ACK | T_PSH | T_FIN)

#define SEQ0		0xfffffc00u	/* wraps within the 4-segment tests */
#define ID0		0xfffeu		/* wraps too */
#define MSS		500
#define SEGS_MAX	256

/* Big-endian helpers of the tests' own */
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

/* Reference checksum ----------------------------------------------------*/

/* Ones'-complement sum of @len bytes, one byte at a time (even offsets
 * are high bytes), folded after every addition, starting from @sum. */
static uint16_t ref_sum(const uint8_t *p, uint32_t len, uint16_t sum)
{
	uint32_t i, s = sum;

	for (i = 0; i < len; i++) {
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)s;
}

/* The sum of the pseudo-header for an L4 segment of @l4len bytes and
 * protocol @proto under the IP header @ip. */
static uint16_t ref_pseudo(const uint8_t *ip, bool ip6, uint8_t proto,
			   uint32_t l4len)
{
	uint8_t ph[40] = { 0 };

	if (ip6) {
		memcpy(ph, ip + 8, 32);		/* source, destination */
		wr32(ph + 32, l4len);
		ph[39] = proto;
		return ref_sum(ph, 40, 0);
	}
	memcpy(ph, ip + 12, 8);
	ph[9] = proto;
	wr16(ph + 10, l4len);
	return ref_sum(ph, 12, 0);
}

/* Does the L4 segment @l4 of @l4len bytes verify (sum 0xffff)? */
static bool l4_ok(const uint8_t *ip, bool ip6, uint8_t proto,
		  const uint8_t *l4, uint32_t l4len)
{
	return ref_sum(l4, l4len, ref_pseudo(ip, ip6, proto, l4len)) == 0xffff;
}

/* Frames --------------------------------------------------------------*/

struct tframe {
	uint8_t *b;		/* exactly len bytes */
	uint32_t len;
	uint32_t l3, l4, pay;	/* offsets of IP, L4 header, payload */
	uint32_t plen;
	bool ip6;
	uint8_t proto;
};

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8));
}

static uint32_t build_eth(uint8_t *b, unsigned vlans, uint16_t type)
{
	static const uint8_t macs[12] = { 0xaa, 0, 0, 0, 0, 2,
					  0xaa, 0, 0, 0, 0, 1 };
	uint32_t off = 12;
	unsigned v;

	memcpy(b, macs, sizeof(macs));
	for (v = 0; v < vlans; v++, off += VLAN_LEN) {
		wr16(b + off, v + 1 < vlans ? 0x88a8 : 0x8100);
		wr16(b + off + 2, 100 + v);	/* VID */
	}
	wr16(b + off, type);
	return off + 2;
}

static void build_ip4(uint8_t *ip, uint8_t proto, uint32_t totlen)
{
	static const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };

	ip[0] = 0x46;			/* IHL 6: one option word */
	wr16(ip + 2, totlen);
	wr16(ip + 4, ID0);
	wr16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	ip[20] = 0x94;			/* router alert, length 4 */
	ip[21] = 4;
	wr16(ip + 10, (uint16_t)~ref_sum(ip, IP4_LEN, 0));
}

static void build_ip6(uint8_t *ip, uint8_t proto, uint32_t plen)
{
	ip[0] = 0x60;
	ip[3] = 0x42;			/* flow label */
	wr16(ip + 4, plen);
	ip[6] = proto;
	ip[7] = 64;
	ip[8] = 0x20;			/* 2001:db8::1 -> 2001:db8::2 */
	ip[9] = 0x01;
	ip[10] = 0x0d;
	ip[11] = 0xb8;
	memcpy(ip + 24, ip + 8, 16);
	ip[23] = 1;
	ip[39] = 2;
}

static void build_tcp(uint8_t *th)
{
	static const uint8_t opts[12] = { 1, 1, 8, 10, 0, 0, 0x12, 0x34,
					  0, 0, 0x56, 0x78 };

	wr16(th, 40000);
	wr16(th + 2, 80);
	wr32(th + 4, SEQ0);
	wr32(th + 8, 0x01020304);
	th[12] = (TCP_LEN / 4) << 4;
	th[13] = FLAGS0;
	wr16(th + 14, 0xfaf0);
	memcpy(th + 20, opts, sizeof(opts));
}

/* A frame: @vlans tags, IPv4 with options or IPv6, TCP with options or
 * UDP (@proto), @plen bytes of patterned payload. L4 checksum left 0. */
static void tf_new(struct tframe *f, bool ip6, unsigned vlans, uint8_t proto,
		   uint32_t plen)
{
	uint32_t l4len = (proto == IPPROTO_TCP ? TCP_LEN : UDP_LEN) + plen;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->ip6 = ip6;
	f->proto = proto;
	f->plen = plen;
	f->l3 = ETH_LEN + VLAN_LEN * vlans;
	f->l4 = f->l3 + (ip6 ? IP6_LEN : IP4_LEN);
	f->pay = f->l4 + l4len - plen;
	f->len = f->pay + plen;
	f->b = calloc(1, f->len);
	assert_non_null(f->b);

	build_eth(f->b, vlans, ip6 ? 0x86dd : 0x0800);
	if (ip6)
		build_ip6(f->b + f->l3, proto, l4len);
	else
		build_ip4(f->b + f->l3, proto, IP4_LEN + l4len);
	if (proto == IPPROTO_TCP) {
		build_tcp(f->b + f->l4);
	} else {
		wr16(f->b + f->l4, 5353);
		wr16(f->b + f->l4 + 2, 5353);
		wr16(f->b + f->l4 + 4, l4len);
	}
	for (i = 0; i < plen; i++)
		f->b[f->pay + i] = pattern(i);
}

static void tf_free(struct tframe *f)
{
	free(f->b);
	f->b = NULL;
}

/* An exact-size heap copy of the first @len bytes of @f. */
static uint8_t *prefix(const struct tframe *f, uint32_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, f->b, len);
	return p;
}

/* Checksum completion ---------------------------------------------------*/

static uint32_t csum_field(const struct tframe *f)
{
	return f->l4 + (f->proto == IPPROTO_TCP ? 16 : 6);
}

/* Put the pseudo-header sum where a front end leaves it, complete the
 * checksum, and compare with the reference. Returns the stored value. */
static uint16_t csum_check(struct tframe *f)
{
	uint32_t at = csum_field(f), l4len = f->len - f->l4;
	struct vs_vnet_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = (uint16_t)f->l4,
		.csum_offset = (uint16_t)(at - f->l4),
	};
	uint8_t *before = prefix(f, f->len);
	uint16_t sum, want;

	wr16(f->b + at, 0);
	sum = ref_sum(f->b + f->l4, l4len,
		      ref_pseudo(f->b + f->l3, f->ip6, f->proto, l4len));
	/* the complement of the sum, with 0 written as 0xffff */
	want = sum == 0xffff ? 0xffff : (uint16_t)(0xffff - sum);
	wr16(f->b + at, ref_pseudo(f->b + f->l3, f->ip6, f->proto, l4len));
	memcpy(before, f->b, f->len);

	assert_int_equal(vs_offload_csum(f->b, f->len, &h), 0);
	assert_int_equal(rd16(f->b + at), want);
	assert_true(l4_ok(f->b + f->l3, f->ip6, f->proto, f->b + f->l4, l4len));
	/* only the checksum field changed */
	assert_memory_equal(f->b, before, at);
	assert_memory_equal(f->b + at + 2, before + at + 2, f->len - at - 2);
	free(before);
	return want;
}

static void test_csum_tcp4(void **state)
{
	struct tframe f;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_TCP, 1001);	/* odd length */
	csum_check(&f);
	tf_free(&f);
	tf_new(&f, false, 2, IPPROTO_TCP, 0);
	csum_check(&f);
	tf_free(&f);
}

static void test_csum_udp4(void **state)
{
	struct tframe f;

	(void)state;
	tf_new(&f, false, 1, IPPROTO_UDP, 77);
	assert_int_not_equal(csum_check(&f), 0xffff);
	tf_free(&f);
}

/* A datagram whose checksum comes out as 0 goes out as 0xffff (0 would
 * mean "no checksum" to a UDP receiver). */
static void test_csum_udp4_zero(void **state)
{
	uint32_t l4len, adj;
	struct tframe f;
	uint16_t s;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_UDP, 64);
	l4len = f.len - f.l4;
	adj = f.pay + 10;
	/* make everything but the checksum sum to 0xffff: the checksum,
	 * its complement, is then 0 */
	wr16(f.b + adj, 0);
	s = ref_sum(f.b + f.l4, l4len,
		    ref_pseudo(f.b + f.l3, false, IPPROTO_UDP, l4len));
	wr16(f.b + adj, (uint16_t)~s);
	assert_int_equal(ref_sum(f.b + f.l4, l4len,
				 ref_pseudo(f.b + f.l3, false, IPPROTO_UDP,
					    l4len)), 0xffff);
	assert_int_equal(csum_check(&f), 0xffff);
	tf_free(&f);
}

static void test_csum_tcp6(void **state)
{
	struct tframe f;

	(void)state;
	tf_new(&f, true, 0, IPPROTO_TCP, 1400);
	csum_check(&f);
	tf_free(&f);
	tf_new(&f, true, 1, IPPROTO_UDP, 33);
	csum_check(&f);
	tf_free(&f);
}

/* Without NEEDS_CSUM nothing is done, whatever the other fields say. */
static void test_csum_not_needed(void **state)
{
	struct vs_vnet_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID,
				 .csum_start = 0xffff, .csum_offset = 0xffff };
	struct tframe f;
	uint8_t *copy;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_TCP, 100);
	copy = prefix(&f, f.len);
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), 0);
	h.flags = 0;
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), 0);
	assert_memory_equal(f.b, copy, f.len);
	free(copy);
	tf_free(&f);
}

/* The field must lie wholly inside the frame: its last possible place is
 * accepted (positive control), one byte further is refused, and a refused
 * frame is left as it was. */
static void test_csum_out_of_range(void **state)
{
	struct vs_vnet_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct tframe f;
	uint8_t *copy;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_UDP, 20);
	copy = prefix(&f, f.len);
	h.csum_start = (uint16_t)f.l4;

	h.csum_offset = (uint16_t)(f.len - f.l4 - 2);
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), 0);
	assert_memory_not_equal(f.b + f.len - 2, copy + f.len - 2, 2);
	memcpy(f.b, copy, f.len);

	h.csum_offset = (uint16_t)(f.len - f.l4 - 1);
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), -EINVAL);
	h.csum_offset = (uint16_t)(f.len - f.l4);
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), -EINVAL);
	h.csum_start = (uint16_t)(f.len + 1);
	h.csum_offset = 0;
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), -EINVAL);
	h.csum_start = 0xffff;
	h.csum_offset = 0xffff;
	assert_int_equal(vs_offload_csum(f.b, f.len, &h), -EINVAL);
	assert_memory_equal(f.b, copy, f.len);

	/* frames of 0 and 1 bytes hold no field at all */
	h.csum_start = 0;
	assert_int_equal(vs_offload_csum(f.b, 0, &h), -EINVAL);
	assert_int_equal(vs_offload_csum(f.b, 1, &h), -EINVAL);
	free(copy);
	tf_free(&f);
}

/* Segmentation ----------------------------------------------------------*/

struct capture {
	uint8_t *seg[SEGS_MAX];
	uint32_t len[SEGS_MAX];
	unsigned n;
	unsigned fail_at;	/* emit number that fails (1-based), or 0 */
	int fail_ret;
};

static int capture_emit(void *arg, const uint8_t *seg, uint32_t len)
{
	struct capture *c = arg;

	assert_true(c->n < SEGS_MAX);
	c->seg[c->n] = malloc(len);
	assert_non_null(c->seg[c->n]);
	memcpy(c->seg[c->n], seg, len);
	c->len[c->n] = len;
	c->n++;
	return c->n == c->fail_at ? c->fail_ret : 0;
}

static void capture_free(struct capture *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		free(c->seg[i]);
	memset(c, 0, sizeof(*c));
}

static struct vs_vnet_hdr gso_hdr(const struct tframe *f, uint16_t mss)
{
	return (struct vs_vnet_hdr){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = f->ip6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
				     VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = (uint16_t)f->pay,
		.gso_size = mss,
		.csum_start = (uint16_t)f->l4,
		.csum_offset = 16,
	};
}

/* Segment @f (in a scratch buffer of @cap bytes) into @c. */
static int segment(const struct tframe *f, const struct vs_vnet_hdr *h,
		   uint32_t cap, struct capture *c)
{
	uint8_t *scratch = malloc(cap ? cap : 1);
	int ret;

	assert_non_null(scratch);
	ret = vs_offload_segment(f->b, f->len, h, scratch, cap, capture_emit,
				 c);
	free(scratch);
	return ret;
}

/* Check segment @i of @n of @f, cut at @mss. */
static void check_segment(const struct tframe *f, const uint8_t *s,
			  uint32_t len, unsigned i, unsigned n, uint16_t mss)
{
	uint32_t chunk = f->plen - i * mss < mss ? f->plen - i * mss : mss;
	uint8_t fl = s[f->l4 + 13];
	uint8_t *want;

	assert_int_equal(len, f->pay + chunk);
	/* payload: the right chunk of the original */
	assert_memory_equal(s + f->pay, f->b + f->pay + i * mss, chunk);
	if (f->ip6) {
		assert_int_equal(rd16(s + f->l3 + 4), len - f->l3 - IP6_LEN);
	} else {
		assert_int_equal(rd16(s + f->l3 + 2), len - f->l3);
		assert_int_equal(rd16(s + f->l3 + 4), (uint16_t)(ID0 + i));
		assert_int_equal(ref_sum(s + f->l3, IP4_LEN, 0), 0xffff);
	}
	assert_int_equal(rd32(s + f->l4 + 4), (uint32_t)(SEQ0 + i * mss));
	assert_int_equal(!!(fl & T_FIN), i == n - 1);
	assert_int_equal(!!(fl & T_PSH), i == n - 1);
	assert_int_equal(!!(fl & T_CWR), i == 0);
	assert_int_equal(fl & (T_ACK | T_ECE), T_ACK | T_ECE);
	assert_true(l4_ok(s + f->l3, f->ip6, IPPROTO_TCP, s + f->l4,
			  len - f->l4));

	/* every other header byte as in the original: patch the fields
	 * checked above into a copy of its headers and compare */
	want = prefix(f, f->pay);
	if (f->ip6) {
		memcpy(want + f->l3 + 4, s + f->l3 + 4, 2);
	} else {
		memcpy(want + f->l3 + 2, s + f->l3 + 2, 4);	/* len, id */
		memcpy(want + f->l3 + 10, s + f->l3 + 10, 2);	/* check */
	}
	memcpy(want + f->l4 + 4, s + f->l4 + 4, 4);		/* seq */
	want[f->l4 + 13] = fl;
	memcpy(want + f->l4 + 16, s + f->l4 + 16, 2);		/* check */
	assert_memory_equal(s, want, f->pay);
	free(want);
}

/* Segment @f at @mss and check every segment; the payloads put together
 * must be the original payload. Returns the number of segments. */
static unsigned segment_check(const struct tframe *f, uint8_t gso_type,
			      uint16_t mss)
{
	struct vs_vnet_hdr h = gso_hdr(f, mss);
	unsigned want = f->plen ? (f->plen + mss - 1) / mss : 1, i;
	struct capture c = { 0 };
	uint32_t total = 0;

	h.gso_type = gso_type;
	assert_int_equal(segment(f, &h, f->pay + mss, &c), want);
	assert_int_equal(c.n, want);
	for (i = 0; i < c.n; i++) {
		check_segment(f, c.seg[i], c.len[i], i, c.n, mss);
		total += c.len[i] - f->pay;
	}
	assert_int_equal(total, f->plen);
	capture_free(&c);
	return want;
}

/* IPv4 with options, TCP with options: three full segments and a
 * remainder, with and without the ECN bit; sequence and id wrap. */
static void test_segment_tcp4(void **state)
{
	struct tframe f;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_TCP, 3 * MSS + 123);
	assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV4, MSS), 4);
	assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV4 |
				       VIRTIO_NET_HDR_GSO_ECN, MSS), 4);
	tf_free(&f);
}

static void test_segment_tcp6(void **state)
{
	struct tframe f;

	(void)state;
	tf_new(&f, true, 0, IPPROTO_TCP, 3 * MSS + 1);
	assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV6 |
				       VIRTIO_NET_HDR_GSO_ECN, MSS), 4);
	tf_free(&f);
}

/* One and two VLAN tags (802.1ad outside 802.1Q), IPv4 and IPv6. */
static void test_segment_vlan(void **state)
{
	struct tframe f;
	unsigned v;

	(void)state;
	for (v = 1; v <= 2; v++) {
		tf_new(&f, false, v, IPPROTO_TCP, 3 * MSS + 77);
		assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV4,
					       MSS), 4);
		tf_free(&f);
		tf_new(&f, true, v, IPPROTO_TCP, 3 * MSS + 77);
		assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV6,
					       MSS), 4);
		tf_free(&f);
	}
}

/* An exact multiple makes no empty segment; a payload that fits, or none
 * at all, makes one segment that keeps FIN, PSH and CWR. */
static void test_segment_sizes(void **state)
{
	static const uint32_t plens[] = { 3 * MSS, MSS, MSS - 1, 1, 0 };
	static const unsigned nsegs[] = { 3, 1, 1, 1, 1 };
	struct tframe f;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(plens) / sizeof(plens[0]); i++) {
		tf_new(&f, i & 1, 0, IPPROTO_TCP, plens[i]);
		assert_int_equal(segment_check(&f, f.ip6 ?
					       VIRTIO_NET_HDR_GSO_TCPV6 :
					       VIRTIO_NET_HDR_GSO_TCPV4, MSS),
				 nsegs[i]);
		tf_free(&f);
	}
	/* gso_size 1: one segment per payload byte */
	tf_new(&f, false, 0, IPPROTO_TCP, 40);
	assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV4, 1), 40);
	tf_free(&f);
}

/* A 64 KiB GSO frame as a guest sends it: cut at 65000 it fits the IPv4
 * total length; at 65535, headers and payload would not. */
static void test_segment_big(void **state)
{
	struct vs_vnet_hdr h;
	struct capture c = { 0 };
	struct tframe f;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_TCP, 70000);
	assert_int_equal(segment_check(&f, VIRTIO_NET_HDR_GSO_TCPV4, 65000), 2);
	h = gso_hdr(&f, 65535);
	assert_int_equal(segment(&f, &h, 70000, &c), -EINVAL);
	assert_int_equal(c.n, 0);
	tf_free(&f);

	tf_new(&f, true, 0, IPPROTO_TCP, 70000);
	h = gso_hdr(&f, 65535 - TCP_LEN);
	assert_int_equal(segment(&f, &h, 70000, &c), 2);
	capture_free(&c);
	h.gso_size = 65535 - TCP_LEN + 1;
	assert_int_equal(segment(&f, &h, 70000, &c), -EINVAL);
	assert_int_equal(c.n, 0);
	tf_free(&f);
}

/* Every prefix shorter than the headers is refused without a read past
 * its end (ASan); the headers alone make one empty segment. */
static void test_segment_truncated(void **state)
{
	struct capture c = { 0 };
	struct vs_vnet_hdr h;
	uint8_t scratch[256];
	unsigned v6, len;
	struct tframe f;
	uint8_t *p;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		tf_new(&f, v6, 1, IPPROTO_TCP, 10);
		h = gso_hdr(&f, MSS);
		for (len = 0; len < f.pay; len++) {
			p = prefix(&f, len);
			assert_int_equal(vs_offload_segment(p, len, &h, scratch,
							    sizeof(scratch),
							    capture_emit, &c),
					 -EINVAL);
			free(p);
		}
		assert_int_equal(c.n, 0);
		p = prefix(&f, f.pay);
		assert_int_equal(vs_offload_segment(p, f.pay, &h, scratch,
						    sizeof(scratch),
						    capture_emit, &c), 1);
		assert_int_equal(c.len[0], f.pay);
		free(p);
		capture_free(&c);
		tf_free(&f);
	}
}

/* gso_size 0, a scratch buffer one byte short of the first segment, and
 * gso_type NONE are refused before anything is emitted; the exact
 * scratch size is enough (positive control). */
static void test_segment_bad_params(void **state)
{
	struct capture c = { 0 };
	struct vs_vnet_hdr h;
	struct tframe f;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_TCP, 3 * MSS + 1);
	h = gso_hdr(&f, MSS);
	assert_int_equal(segment(&f, &h, f.pay + MSS, &c), 4);
	capture_free(&c);

	assert_int_equal(segment(&f, &h, f.pay + MSS - 1, &c), -EINVAL);
	assert_int_equal(segment(&f, &h, 0, &c), -EINVAL);
	h.gso_size = 0;
	assert_int_equal(segment(&f, &h, 4096, &c), -EINVAL);
	h = gso_hdr(&f, MSS);
	h.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	assert_int_equal(segment(&f, &h, 4096, &c), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(segment(&f, &h, 4096, &c), -EINVAL);
	assert_int_equal(c.n, 0);
	tf_free(&f);
}

/* Expect @ret from segmenting @f with @gso_type: an error with nothing
 * emitted, or (a control) that many segments. */
static void refused(const struct tframe *f, uint8_t gso_type, int ret)
{
	struct vs_vnet_hdr h = gso_hdr(f, MSS);
	struct capture c = { 0 };

	h.gso_type = gso_type;
	assert_int_equal(segment(f, &h, 4096, &c), ret);
	assert_int_equal(c.n, ret > 0 ? (unsigned)ret : 0);
	capture_free(&c);
}

/* Not TCP, or not what gso_type says: -EINVAL. Valid but not done here
 * (UFO, IPv6 extension headers, three VLAN tags): -EOPNOTSUPP. */
static void test_segment_not_tcp(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4;
	const uint8_t v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	struct tframe f;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_UDP, 3 * MSS);
	refused(&f, v4, -EINVAL);
	refused(&f, VIRTIO_NET_HDR_GSO_UDP, -EOPNOTSUPP);
	refused(&f, 5, -EOPNOTSUPP);			/* UDP_L4 (USO) */
	tf_free(&f);

	tf_new(&f, false, 0, IPPROTO_TCP, 3 * MSS);
	refused(&f, v4, 3);				/* control */
	refused(&f, v6, -EINVAL);			/* IPv4 as TCPV6 */
	f.b[f.l3 + 6] |= 0x20;				/* MF: a fragment */
	refused(&f, v4, -EINVAL);
	f.b[f.l3 + 6] &= (uint8_t)~0x20;
	f.b[f.l3] = 0x44;				/* IHL 4 */
	refused(&f, v4, -EINVAL);
	f.b[f.l3] = 0x66;				/* version 6 */
	refused(&f, v4, -EINVAL);
	f.b[f.l3] = 0x46;
	f.b[f.l4 + 12] = 4 << 4;			/* TCP doff 4 */
	refused(&f, v4, -EINVAL);
	f.b[f.l4 + 12] = 15 << 4;			/* doff past end */
	f.len = f.l4 + 59;
	refused(&f, v4, -EINVAL);
	tf_free(&f);

	tf_new(&f, true, 0, IPPROTO_TCP, 3 * MSS);
	refused(&f, v6, 3);				/* control */
	refused(&f, v4, -EINVAL);			/* IPv6 as TCPV4 */
	f.b[f.l3 + 6] = IPPROTO_HOPOPTS;
	refused(&f, v6, -EOPNOTSUPP);
	f.b[f.l3 + 6] = IPPROTO_FRAGMENT;
	refused(&f, v6, -EOPNOTSUPP);
	f.b[f.l3 + 6] = IPPROTO_UDP;
	refused(&f, v6, -EINVAL);
	tf_free(&f);

	tf_new(&f, false, 3, IPPROTO_TCP, 3 * MSS);
	refused(&f, v4, -EOPNOTSUPP);
	tf_free(&f);

	tf_new(&f, false, 0, IPPROTO_TCP, 3 * MSS);
	wr16(f.b + 12, 0x0806);				/* ARP */
	refused(&f, v4, -EINVAL);
	tf_free(&f);
}

/* An error from emit stops the segmentation there and is returned. */
static void test_segment_emit_error(void **state)
{
	struct capture c = { 0 };
	struct vs_vnet_hdr h;
	struct tframe f;

	(void)state;
	tf_new(&f, false, 0, IPPROTO_TCP, 3 * MSS + 9);
	h = gso_hdr(&f, MSS);
	assert_int_equal(segment(&f, &h, 2048, &c), 4);	/* control */
	capture_free(&c);

	c.fail_at = 2;
	c.fail_ret = -ENOBUFS;
	assert_int_equal(segment(&f, &h, 2048, &c), -ENOBUFS);
	assert_int_equal(c.n, 2);
	capture_free(&c);

	c.fail_at = 1;
	c.fail_ret = 7;
	assert_int_equal(segment(&f, &h, 2048, &c), 7);
	assert_int_equal(c.n, 1);
	capture_free(&c);
	tf_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_tcp4),
		cmocka_unit_test(test_csum_udp4),
		cmocka_unit_test(test_csum_udp4_zero),
		cmocka_unit_test(test_csum_tcp6),
		cmocka_unit_test(test_csum_not_needed),
		cmocka_unit_test(test_csum_out_of_range),
		cmocka_unit_test(test_segment_tcp4),
		cmocka_unit_test(test_segment_tcp6),
		cmocka_unit_test(test_segment_vlan),
		cmocka_unit_test(test_segment_sizes),
		cmocka_unit_test(test_segment_big),
		cmocka_unit_test(test_segment_truncated),
		cmocka_unit_test(test_segment_bad_params),
		cmocka_unit_test(test_segment_not_tcp),
		cmocka_unit_test(test_segment_emit_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* fakeport.c - fake port back end, frame builders and test bed; see
 * fakeport.h
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeport.h"

const uint8_t FP_MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const uint8_t FP_MAC_ZERO[6];
const uint8_t FP_MAC_GW[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
const uint8_t FP_MAC_EVIL[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

/* The fake back end ------------------------------------------------------*/

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	assert_non_null(p);
	return p;
}

static void log_add(struct fakeport *fp, const struct vs_frame *f)
{
	struct fp_rec *r;

	if (fp->nlog == fp->caplog) {
		fp->caplog = fp->caplog ? fp->caplog * 2 : 256;
		fp->log = realloc(fp->log, fp->caplog * sizeof(*fp->log));
		assert_non_null(fp->log);
	}
	r = &fp->log[fp->nlog++];
	r->len = f->len;
	r->seq = fp_seq(f->data, f->len);
	r->src = f;
	r->data = NULL;
	if (fp->keep_data) {
		r->data = xmalloc(f->len);
		vs_frame_gather(f, r->data, f->len);
	}
}

static unsigned fp_tx(void *ctx, const struct vs_frame *const *frames,
		      unsigned n)
{
	struct fakeport *fp = ctx;
	unsigned take = n < fp->accept ? n : fp->accept, i;

	fp->tx_calls++;
	if (n > fp->max_batch)
		fp->max_batch = n;
	for (i = 0; i < take; i++)
		log_add(fp, frames[i]);
	fp->tx_refused += n - take;
	return take;
}

static int fp_rx(void *ctx, struct vs_frame *frames, unsigned max)
{
	struct fakeport *fp = ctx;
	unsigned n = 0;

	fp->rx_calls++;
	if (fp->rx_error) {
		int e = fp->rx_error;

		fp->rx_error = 0;
		return e;
	}
	while (n < max && fp->rx_head < fp->rx_tail) {
		struct fp_rec *r = &fp->rxq[fp->rx_head % FP_RXQ_MAX];

		if (fp->rx_own_memory) {
			frames[n].data = r->data;
		} else {
			assert_true(r->len <= frames[n].cap);
			memcpy(frames[n].data, r->data, r->len);
		}
		frames[n].len = r->len;
		fp->rx_head++;
		n++;
	}
	fp->rx_handed += n;
	return (int)n;
}

static void fp_release(void *ctx, unsigned n)
{
	struct fakeport *fp = ctx;

	fp->rx_released += n;
	/* The switch releases, in order, only what it was handed. */
	assert_true(fp->rx_released <= fp->rx_handed);
}

const struct vs_port_ops fp_ops = {
	.tx = fp_tx,
	.rx = fp_rx,
	.release = fp_release,
};

void fp_init(struct fakeport *fp, const char *name)
{
	memset(fp, 0, sizeof(*fp));
	fp->name = name;
	fp->accept = FP_ACCEPT_ALL;
	fp->keep_data = true;
}

void fp_clear(struct fakeport *fp)
{
	size_t i;

	for (i = 0; i < fp->nlog; i++)
		free(fp->log[i].data);
	fp->nlog = 0;
}

void fp_free(struct fakeport *fp)
{
	size_t i;

	if (!fp)
		return;
	fp_clear(fp);
	free(fp->log);
	fp->log = NULL;
	fp->caplog = 0;
	/* rx slots are freed lazily: a slot's memory may still be in use
	 * (rx_own_memory) until released, so free them all only here. */
	for (i = 0; i < FP_RXQ_MAX; i++) {
		free(fp->rxq[i].data);
		fp->rxq[i].data = NULL;
	}
}

void fp_rx_push(struct fakeport *fp, const uint8_t *data, uint32_t len)
{
	struct fp_rec *r;

	/* A slot is reused only once the switch released its frame. */
	assert_true(fp->rx_tail - fp->rx_released < FP_RXQ_MAX);
	r = &fp->rxq[fp->rx_tail % FP_RXQ_MAX];
	free(r->data);
	r->data = xmalloc(len);
	memcpy(r->data, data, len);
	r->len = len;
	r->seq = fp_seq(data, len);
	fp->rx_tail++;
}

size_t fp_rx_queued(const struct fakeport *fp)
{
	return fp->rx_tail - fp->rx_head;
}

void fp_seq_stamp(uint8_t *frame, uint32_t len, uint64_t seq)
{
	unsigned i;

	assert_true(len >= 8);
	for (i = 0; i < 8; i++)
		frame[len - 8 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

uint64_t fp_seq(const uint8_t *frame, uint32_t len)
{
	uint64_t v = 0;
	unsigned i;

	if (len < 14 + 8)
		return 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | frame[len - 8 + i];
	return v;
}

bool fp_got(const struct fakeport *fp, size_t from, const uint8_t *frame,
	    uint32_t len)
{
	size_t i;

	for (i = from; i < fp->nlog; i++)
		if (fp->log[i].len == len && fp->log[i].data &&
		    !memcmp(fp->log[i].data, frame, len))
			return true;
	return false;
}

/* Addresses --------------------------------------------------------------*/

struct in_addr fp_ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

struct in6_addr fp_ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

void fp_eui64_ll6(const uint8_t mac[6], struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xfe;
	out->s6_addr[1] = 0x80;
	out->s6_addr[8] = mac[0] ^ 0x02;
	out->s6_addr[9] = mac[1];
	out->s6_addr[10] = mac[2];
	out->s6_addr[11] = 0xff;
	out->s6_addr[12] = 0xfe;
	out->s6_addr[13] = mac[3];
	out->s6_addr[14] = mac[4];
	out->s6_addr[15] = mac[5];
}

void fp_snm6(const struct in6_addr *target, struct in6_addr *out)
{
	*out = fp_ip6("ff02::1:ff00:0");
	memcpy(out->s6_addr + 13, target->s6_addr + 13, 3);
}

void fp_mcast6_mac(const struct in6_addr *a, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, a->s6_addr + 12, 4);
}

/* Frame builders ---------------------------------------------------------*/

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t fb_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type, uint32_t payload)
{
	assert_true(14 + payload <= FP_FRAME_BUF);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	put16(buf + 12, type);
	memset(buf + 14, 0, payload);
	return 14 + payload;
}

uint32_t fb_arp(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		uint16_t op, const uint8_t sha[6], struct in_addr spa,
		const uint8_t tha[6], struct in_addr tpa)
{
	uint8_t *a = buf + 14;

	fb_eth(buf, dst, src, 0x0806, 28);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tpa, 4);
	return 14 + 28;
}

uint32_t fb_arp_req(uint8_t *buf, const uint8_t src[6], struct in_addr spa,
		    struct in_addr tpa)
{
	return fb_arp(buf, FP_MAC_BCAST, src, 1, src, spa, FP_MAC_ZERO, tpa);
}

uint32_t fb_arp_reply(uint8_t *buf, const uint8_t dst[6],
		      const uint8_t src[6], struct in_addr spa,
		      struct in_addr tpa)
{
	return fb_arp(buf, dst, src, 2, src, spa, dst, tpa);
}

uint32_t fb_ip4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		struct in_addr s, struct in_addr d, uint8_t proto,
		uint32_t plen)
{
	uint8_t *h = buf + 14;

	fb_eth(buf, dst, src, 0x0800, 20 + plen);
	h[0] = 0x45;
	put16(h + 2, (uint16_t)(20 + plen));
	put16(h + 4, 0x1234);
	put16(h + 6, 0x4000);		/* DF */
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, &s, 4);
	memcpy(h + 16, &d, 4);
	put16(h + 10, csum_fold(csum_add(0, h, 20)));
	return 14 + 20 + plen;
}

uint32_t fb_udp4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		 struct in_addr s, struct in_addr d, uint16_t sport,
		 uint16_t dport, uint32_t plen)
{
	uint32_t len = fb_ip4(buf, dst, src, s, d, IPPROTO_UDP, 8 + plen);
	uint8_t *u = buf + 34;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	return len;			/* UDP checksum 0: none (IPv4) */
}

uint32_t fb_dgram4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		   struct in_addr s, struct in_addr d)
{
	return fb_udp4(buf, dst, src, s, d, 1000, 2000, 32);
}

uint32_t fb_icmp4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		  struct in_addr s, struct in_addr d)
{
	uint32_t len = fb_ip4(buf, dst, src, s, d, IPPROTO_ICMP, 16);
	uint8_t *ic = buf + 34;

	ic[0] = 8;			/* echo request */
	put16(ic + 4, 0x4242);
	put16(ic + 6, 1);
	put16(ic + 2, csum_fold(csum_add(0, ic, 16)));
	return len;
}

uint32_t fb_dhcp(uint8_t *buf, const uint8_t src[6])
{
	struct in_addr any = { 0 }, all = { 0xffffffff };
	uint32_t len = fb_udp4(buf, FP_MAC_BCAST, src, any, all, 68, 67, 240);
	uint8_t *b = buf + 42;

	b[0] = 1;			/* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 28, src, 6);		/* chaddr */
	b[236] = 99;			/* magic cookie */
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	return len;
}

uint32_t fb_ip6(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		const struct in6_addr *s, const struct in6_addr *d,
		uint8_t nh, uint32_t plen)
{
	uint8_t *h = buf + 14;

	fb_eth(buf, dst, src, 0x86dd, 40 + plen);
	h[0] = 0x60;
	put16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = 255;
	memcpy(h + 8, s, 16);
	memcpy(h + 24, d, 16);
	return 14 + 40 + plen;
}

uint32_t fb_udp6(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		 const struct in6_addr *s, const struct in6_addr *d)
{
	uint32_t len = fb_ip6(buf, dst, src, s, d, IPPROTO_UDP, 8 + 32);
	uint8_t *u = buf + 54;

	put16(u, 5000);
	put16(u + 2, 5001);
	put16(u + 4, 8 + 32);
	return len;
}

/* ICMPv6 checksum over the pseudo-header and the message at buf + 54. */
static void icmp6_csum(uint8_t *buf, uint32_t mlen)
{
	uint8_t *m = buf + 54;
	uint32_t sum = 0;

	put16(m + 2, 0);
	sum = csum_add(sum, buf + 22, 32);	/* source, destination */
	sum += mlen;
	sum += IPPROTO_ICMPV6;
	sum = csum_add(sum, m, mlen);
	put16(m + 2, csum_fold(sum));
}

uint32_t fb_icmp6(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		  const struct in6_addr *s, const struct in6_addr *d,
		  uint8_t type, const uint8_t *body, uint32_t blen)
{
	uint32_t len = fb_ip6(buf, dst, src, s, d, IPPROTO_ICMPV6, 4 + blen);
	uint8_t *m = buf + 54;

	m[0] = type;
	m[1] = 0;
	if (blen)
		memcpy(m + 4, body, blen);
	icmp6_csum(buf, 4 + blen);
	return len;
}

/* reserved/flags (4), target (16), optional link-layer option (8) */
static uint32_t nd_body(uint8_t *body, uint32_t flags,
			const struct in6_addr *target, uint8_t opt,
			const uint8_t *ll)
{
	body[0] = (uint8_t)(flags >> 24);
	body[1] = body[2] = body[3] = 0;
	memcpy(body + 4, target, 16);
	if (!ll)
		return 20;
	body[20] = opt;
	body[21] = 1;
	memcpy(body + 22, ll, 6);
	return 28;
}

uint32_t fb_ns(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s, const struct in6_addr *target,
	       const uint8_t *sll)
{
	uint8_t body[28], dmac[6];
	struct in6_addr d;
	uint32_t blen = nd_body(body, 0, target, 1, sll);

	fp_snm6(target, &d);
	fp_mcast6_mac(&d, dmac);
	return fb_icmp6(buf, dmac, src_mac, s, &d, 135, body, blen);
}

uint32_t fb_na(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s, const struct in6_addr *target,
	       const uint8_t *tll)
{
	uint8_t body[28], dmac[6];
	struct in6_addr d = fp_ip6("ff02::1");
	uint32_t blen = nd_body(body, 0x20000000, target, 2, tll); /* O */

	fp_mcast6_mac(&d, dmac);
	return fb_icmp6(buf, dmac, src_mac, s, &d, 136, body, blen);
}

uint32_t fb_ra(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s)
{
	uint8_t body[20] = { 64, 0, 0x07, 0x08 };	/* lifetime 1800 s */
	uint8_t dmac[6];
	struct in6_addr d = fp_ip6("ff02::1");

	body[12] = 1;			/* SLLA */
	body[13] = 1;
	memcpy(body + 14, src_mac, 6);
	fp_mcast6_mac(&d, dmac);
	return fb_icmp6(buf, dmac, src_mac, s, &d, 134, body, sizeof(body));
}

uint32_t fb_rs(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s)
{
	uint8_t body[4] = { 0 }, dmac[6];
	struct in6_addr d = fp_ip6("ff02::2");

	fp_mcast6_mac(&d, dmac);
	return fb_icmp6(buf, dmac, src_mac, s, &d, 133, body, sizeof(body));
}

uint32_t fb_redirect(uint8_t *buf, const uint8_t dst_mac[6],
		     const uint8_t src_mac[6], const struct in6_addr *s,
		     const struct in6_addr *d, const struct in6_addr *target,
		     const struct in6_addr *dest)
{
	uint8_t body[36] = { 0 };

	memcpy(body + 4, target, 16);
	memcpy(body + 20, dest, 16);
	return fb_icmp6(buf, dst_mac, src_mac, s, d, 137, body, sizeof(body));
}

uint32_t fb_ip6_ext(uint8_t *buf, uint32_t len, uint8_t nh, uint32_t hlen,
		    uint16_t frag)
{
	uint32_t plen = len - 54 + hlen;
	uint8_t *e = buf + 54;

	assert_true(len >= 54 && len + hlen <= FP_FRAME_BUF && hlen >= 8);
	memmove(buf + 54 + hlen, buf + 54, len - 54);
	memset(e, 0, hlen);
	e[0] = buf[20];
	buf[20] = nh;
	if (nh == IPPROTO_FRAGMENT) {
		put16(e + 2, frag);
	} else if (nh == IPPROTO_AH) {
		e[1] = (uint8_t)(hlen / 4 - 2);
	} else {
		e[1] = (uint8_t)(hlen / 8 - 1);
		e[2] = 1;			/* PadN over the rest */
		e[3] = (uint8_t)(hlen - 4);
	}
	put16(buf + 18, (uint16_t)plen);
	return 54 + plen;
}

uint32_t fb_vlan(uint8_t *buf, uint32_t len, uint16_t vid)
{
	assert_true(len + 4 <= FP_FRAME_BUF && len >= 14);
	memmove(buf + 16, buf + 12, len - 12);
	put16(buf + 12, 0x8100);
	put16(buf + 14, vid & 0x0fff);
	return len + 4;
}

/* Test bed ---------------------------------------------------------------*/

static int add_port(struct testbed *tb, struct fakeport *fp,
		    enum vs_port_kind kind, const uint8_t mac[6],
		    uint32_t domid)
{
	struct vs_port_config cfg = {
		.kind = kind,
		.name = fp->name,
		.domid = domid,
		.frame_max = FP_FRAME_BUF,
		.ops = &fp_ops,
		.ctx = fp,
	};
	int no;

	memcpy(cfg.mac, mac, 6);
	no = vs_port_add(tb->sw, &cfg);
	assert_true(no >= 0);
	return no;
}

void tb_setup(struct testbed *tb, unsigned nvifs, bool wire)
{
	static const char *const names[] = {
		"vif0.0", "vif1.0", "vif2.0", "vif3.0", "vif4.0"
	};
	char buf[64];
	unsigned i;

	assert_true(nvifs <= TB_VIFS);
	memset(tb, 0, sizeof(*tb));
	tb->sw = vs_switch_new();
	assert_non_null(tb->sw);
	tb->nvifs = nvifs;
	tb->p_wire = -1;

	memcpy(tb->dom0_mac, (uint8_t[6]){ 0x02, 0xd0, 0, 0, 0, 0 }, 6);
	fp_init(&tb->dom0, "dom0");
	tb->p_dom0 = add_port(tb, &tb->dom0, VS_PORT_DOM0, tb->dom0_mac, 0);
	tb->dom0_ll = fp_ip4("169.254.1.0");
	tb->dom0_ip = fp_ip4("10.0.0.254");
	tb->dom0_ip6 = fp_ip6("2001:db8::fe");
	assert_int_equal(vs_addr4_add(tb->sw, tb->p_dom0, tb->dom0_ll), 0);
	assert_int_equal(vs_addr4_add(tb->sw, tb->p_dom0, tb->dom0_ip), 0);
	assert_int_equal(vs_addr6_add(tb->sw, tb->p_dom0, &tb->dom0_ip6), 0);

	if (wire) {
		memcpy(tb->wire_mac, (uint8_t[6]){ 0x02, 0xee, 0, 0, 0, 0 }, 6);
		fp_init(&tb->wire, "wire");
		tb->p_wire = add_port(tb, &tb->wire, VS_PORT_WIRE,
				      tb->wire_mac, 0);
	}

	for (i = 1; i <= nvifs; i++) {
		uint8_t *m = tb->vif_mac[i];

		memcpy(m, (uint8_t[6]){ 0xaa, 0, 0, 0, 0, (uint8_t)i }, 6);
		fp_init(&tb->vif[i], names[i]);
		tb->p_vif[i] = add_port(tb, &tb->vif[i], VS_PORT_VIF, m, i);
		snprintf(buf, sizeof(buf), "169.254.1.%u", i);
		tb->vif_ll[i] = fp_ip4(buf);
		snprintf(buf, sizeof(buf), "10.0.0.%u", i);
		tb->vif_ip[i] = fp_ip4(buf);
		snprintf(buf, sizeof(buf), "2001:db8::%u", i);
		tb->vif_ip6[i] = fp_ip6(buf);
		fp_eui64_ll6(m, &tb->vif_ll6[i]);
		assert_int_equal(vs_addr4_add(tb->sw, tb->p_vif[i],
					      tb->vif_ll[i]), 0);
		assert_int_equal(vs_addr4_add(tb->sw, tb->p_vif[i],
					      tb->vif_ip[i]), 0);
		assert_int_equal(vs_addr6_add(tb->sw, tb->p_vif[i],
					      &tb->vif_ip6[i]), 0);
	}
}

void tb_teardown(struct testbed *tb)
{
	unsigned i;

	vs_switch_free(tb->sw);
	tb->sw = NULL;
	fp_free(&tb->dom0);
	if (tb->p_wire >= 0)
		fp_free(&tb->wire);
	for (i = 1; i <= tb->nvifs; i++)
		fp_free(&tb->vif[i]);
}

struct testbed *tb_new(unsigned nvifs, bool wire)
{
	struct testbed *tb = calloc(1, sizeof(*tb));

	assert_non_null(tb);
	tb_setup(tb, nvifs, wire);
	return tb;
}

void tb_free(struct testbed *tb)
{
	if (!tb)
		return;
	tb_teardown(tb);
	free(tb);
}

int tb_fixture_wire(void **state)
{
	*state = tb_new(3, true);
	return 0;
}

int tb_fixture_nowire(void **state)
{
	*state = tb_new(3, false);
	return 0;
}

int tb_fixture_free(void **state)
{
	tb_free(*state);
	return 0;
}

unsigned tb_ports(struct testbed *tb, struct fakeport **fps, int *nos)
{
	unsigned n = 0, i;

	fps[n] = &tb->dom0;
	nos[n++] = tb->p_dom0;
	if (tb->p_wire >= 0) {
		fps[n] = &tb->wire;
		nos[n++] = tb->p_wire;
	}
	for (i = 1; i <= tb->nvifs; i++) {
		fps[n] = &tb->vif[i];
		nos[n++] = tb->p_vif[i];
	}
	return n;
}

void tb_clear_logs(struct testbed *tb)
{
	struct fakeport *fps[TB_VIFS + 2];
	int nos[TB_VIFS + 2];
	unsigned n = tb_ports(tb, fps, nos), i;

	for (i = 0; i < n; i++)
		fp_clear(fps[i]);
}

int tb_send(struct testbed *tb, int port, const uint8_t *frame, uint32_t len,
	    uint64_t now)
{
	struct vs_frame f = {
		.data = (uint8_t *)(uintptr_t)frame,
		.len = len,
		.cap = len,
	};

	return vs_input(tb->sw, (unsigned)port, &f, 1, now);
}

void tb_snap(const struct testbed *tb, struct tb_snap *s)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	vs_switch_stats(tb->sw, &s->sw);
	for (i = 0; i < VS_PORTS_MAX; i++)
		s->used[i] = vs_port_stats(tb->sw, i, &s->port[i]) == 0;
}

size_t tb_logged(const struct testbed *tb)
{
	size_t n = tb->dom0.nlog;
	unsigned i;

	if (tb->p_wire >= 0)
		n += tb->wire.nlog;
	for (i = 1; i <= tb->nvifs; i++)
		n += tb->vif[i].nlog;
	return n;
}

void tb_expect_drop(const struct testbed *tb, const struct tb_snap *before,
		    int charged, enum vs_drop why, size_t tx_before)
{
	struct tb_snap now;
	unsigned i, r;

	tb_snap(tb, &now);
	assert_int_equal(now.sw.in_frames, before->sw.in_frames + 1);
	assert_int_equal(now.sw.delivered, before->sw.delivered);
	for (r = 0; r < VS_DROP__MAX; r++) {
		uint64_t want = before->sw.drops[r] + (r == why);

		if (now.sw.drops[r] != want)
			fail_msg("switch drops[%s] = %llu, want %llu",
				 vs_drop_names[r],
				 (unsigned long long)now.sw.drops[r],
				 (unsigned long long)want);
	}
	for (i = 0; i < VS_PORTS_MAX; i++) {
		if (!now.used[i])
			continue;
		for (r = 0; r < VS_DROP__MAX; r++) {
			uint64_t want = before->port[i].drops[r] +
					((int)i == charged && r == why);

			if (now.port[i].drops[r] != want)
				fail_msg("port %u drops[%s] = %llu, want %llu",
					 i, vs_drop_names[r],
					 (unsigned long long)now.port[i].drops[r],
					 (unsigned long long)want);
		}
	}
	assert_int_equal(tb_logged(tb), tx_before);
	tb_expect_invariant(tb);
}

void tb_expect_delivered(const struct testbed *tb,
			 const struct tb_snap *before)
{
	struct tb_snap now;
	unsigned i, r;

	tb_snap(tb, &now);
	assert_int_equal(now.sw.in_frames, before->sw.in_frames + 1);
	assert_int_equal(now.sw.delivered, before->sw.delivered + 1);
	for (r = 0; r < VS_DROP__MAX; r++)
		assert_int_equal(now.sw.drops[r], before->sw.drops[r]);
	for (i = 0; i < VS_PORTS_MAX; i++)
		for (r = 0; now.used[i] && r < VS_DROP__MAX; r++)
			assert_int_equal(now.port[i].drops[r],
					 before->port[i].drops[r]);
	tb_expect_invariant(tb);
}

void tb_expect_invariant(const struct testbed *tb)
{
	struct vs_stats s;
	uint64_t sum = 0;
	unsigned r;

	vs_switch_stats(tb->sw, &s);
	for (r = 0; r < VS_DROP__MAX; r++)
		sum += s.drops[r];
	if (s.in_frames != s.delivered + sum)
		fail_msg("invariant: in_frames %llu != delivered %llu + drops %llu",
			 (unsigned long long)s.in_frames,
			 (unsigned long long)s.delivered,
			 (unsigned long long)sum);
}

void tb_send_drop(struct testbed *tb, int port, const uint8_t *frame,
		  uint32_t len, int charged, enum vs_drop why)
{
	struct tb_snap *s = malloc(sizeof(*s));
	size_t logged = tb_logged(tb);

	assert_non_null(s);
	tb_snap(tb, s);
	assert_int_equal(tb_send(tb, port, frame, len, tb->now), 1);
	tb_expect_drop(tb, s, charged, why, logged);
	free(s);
}

void tb_send_deliver(struct testbed *tb, int port, const uint8_t *frame,
		     uint32_t len, ...)
{
	struct fakeport *fps[TB_VIFS + 2], *want;
	int nos[TB_VIFS + 2];
	size_t before[TB_VIFS + 2];
	bool listed[TB_VIFS + 2] = { false };
	unsigned n = tb_ports(tb, fps, nos), i;
	struct tb_snap *s = malloc(sizeof(*s));
	va_list ap;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		before[i] = fps[i]->nlog;
	va_start(ap, len);
	while ((want = va_arg(ap, struct fakeport *))) {
		for (i = 0; i < n && fps[i] != want; i++)
			;
		assert_true(i < n);
		listed[i] = true;
	}
	va_end(ap);

	tb_snap(tb, s);
	assert_int_equal(tb_send(tb, port, frame, len, tb->now), 1);
	for (i = 0; i < n; i++) {
		size_t got = fps[i]->nlog - before[i];

		if (got != (listed[i] ? 1 : 0))
			fail_msg("port %s got %zu copies, want %d", fps[i]->name,
				 got, listed[i] ? 1 : 0);
		if (listed[i])
			assert_true(fp_got(fps[i], before[i], frame, len));
	}
	tb_expect_delivered(tb, s);
	free(s);
}

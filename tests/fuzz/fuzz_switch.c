// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_switch.c - libFuzzer target over the switch's whole frame path
 *
 * Every input builds a fresh switch: dom0, a wire, five vifs fed through
 * vs_input() and one vif fed through vs_port_poll() (an rx op reading a
 * queue), with addresses, an extra isolated IPv6 prefix and some limits.
 * Back ends only count and check what they are given.
 *
 * The input is a sequence of records, each a 5-byte header and a body:
 *
 *   ctl   bits 0-2  harness port (mod NPORTS)
 *         bit  3    overwrite the Ethernet source (and ARP sender MAC)
 *                   with the port's MAC, so policy gets past check 1
 *         bit  4    overwrite the destination MAC from @arg
 *         bit  5    end the batch after this record
 *         bits 6-7  0,1: frame for vs_input(); 2: frame queued for the
 *                   polled vif (also 0,1 on its port); 3: control
 *                   operation (@arg selects it)
 *   arg   destination port for bit 4 (NPORTS: broadcast), or the op
 *   tstep time step before the record: now += tstep^2 microseconds
 *   len   big endian, 2 bytes; the body (cut at the end of the input)
 *
 * Frames of one batch share an ingress port; a batch also ends when the
 * port changes, at VS_BATCH frames and when time moves.
 *
 * After every batch (and inside the tx ops) the target checks, from its
 * own reading of the frames and not the switch's:
 *   - stats.in_frames == delivered + sum(drops), per-port sums agree;
 *   - no frame goes back out of its ingress port;
 *   - no isolated frame or ARP (169.254/16, fd69::/16) reaches the wire;
 *   - frames from a vif carry its MAC, and an IPv4 source it owns (or the
 *     DHCP client exception, to dom0 only); ARP sender MAC/IP likewise;
 *   - frames from the wire never carry a local MAC as source, nor a
 *     domain's IPv4 address as source or ARP sender;
 *   - no DHCP/DHCPv6 server message, RA or Redirect leaves a vif, and
 *     an ARP from 0.0.0.0 only as a request;
 *   - isolation is judged through any number of VLAN tags;
 *   - unicast frames reach a vif only when addressed to its MAC;
 *   - IPv4/ARP/IPv6 frames delivered are long enough for their header;
 *   - a short vs_input() return means the port is throttled;
 *   - the polled port's frames are released exactly once.
 * Any violation calls abort().
 */

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch.h"
#include "fuzz.h"

enum { H_DOM0, H_WIRE, H_VIF1, H_VIF2, H_VIF3, H_VIF4, H_VIF5, H_POLL,
       NPORTS };

#define SHADOW4_MAX	32
#define POLLQ_MAX	256
#define POLL_FRAME_MAX	2048
#define HDR_LEN		5

struct hport {
	int no;				/* switch port number, -1 if deleted */
	enum vs_port_kind kind;
	uint8_t mac[6];
	uint32_t domid;
	struct in_addr a4[SHADOW4_MAX];	/* what the port owns, as we see it */
	unsigned n4;
	unsigned accept_max;		/* tx op takes at most this many */
	uint64_t tx_ok;			/* frames tx took since (re)add */
	uint64_t in_gone, rx_gone;	/* counters of deleted incarnations */
};

struct pollq {
	uint8_t *buf[POLLQ_MAX];	/* harness copies, oldest first */
	uint32_t len[POLLQ_MAX];
	bool own[POLLQ_MAX];		/* hand out our memory, not a copy */
	unsigned head, handed, tail;	/* [head, handed) held by the switch */
	uint64_t released;
};

static struct harness {
	struct vs_switch *sw;
	struct hport p[NPORTS];
	int cur_in;			/* harness port of the running batch */
	struct pollq q;
	uint64_t tx_total;		/* every frame any tx op took */
} h;

static unsigned tx_op(void *ctx, const struct vs_frame *const *frames,
		      unsigned n);
static int rx_op(void *ctx, struct vs_frame *frames, unsigned max);
static void release_op(void *ctx, unsigned n);

static const struct vs_port_ops plain_ops = { .tx = tx_op };
static const struct vs_port_ops poll_ops = {
	.tx = tx_op, .rx = rx_op, .release = release_op,
};

/* Our own reading of frames ----------------------------------------------*/

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static bool iso4(uint32_t a)
{
	return (a & 0xffff0000u) == 0xa9fe0000u;	/* 169.254/16 */
}

static bool iso6(const uint8_t *a)
{
	return a[0] == 0xfd && a[1] == 0x69;		/* fd69::/16 */
}

static bool is_tag(uint16_t et)
{
	return et == 0x8100 || et == 0x88a8 || et == 0x9100;
}

/* Offset of the innermost ethertype, past every VLAN tag; the frame
 * reached a port, so the tag stack must be whole. */
static uint32_t inner_et(const uint8_t *f, uint32_t len)
{
	uint32_t off = 12;

	CHECK(len >= 14);
	while (is_tag(rd16(f + off))) {
		off += 4;
		CHECK(len >= off + 2);
	}
	return off;
}

/* Is the frame isolated (DESIGN.md §4), whatever VLAN tags it carries?
 * Also checks that an IPv4, ARP or IPv6 frame the switch let through is
 * long enough to hold the addresses. */
static bool frame_isolated(const uint8_t *f, uint32_t len)
{
	uint32_t e = inner_et(f, len), l3 = e + 2;

	switch (rd16(f + e)) {
	case 0x0800:
		CHECK(len >= l3 + 20 && f[l3] >> 4 == 4);
		return iso4(rd32(f + l3 + 12)) || iso4(rd32(f + l3 + 16));
	case 0x0806:
		CHECK(len >= l3 + 28);
		return iso4(rd32(f + l3 + 14)) || iso4(rd32(f + l3 + 24));
	case 0x86dd:
		CHECK(len >= l3 + 40 && f[l3] >> 4 == 6);
		return iso6(f + l3 + 8) || iso6(f + l3 + 24);
	default:
		return false;
	}
}

static bool owns4(const struct hport *p, uint32_t a)
{
	unsigned i;

	for (i = 0; i < p->n4; i++)
		if (ntohl(p->a4[i].s_addr) == a)
			return true;
	return false;
}

static bool local_mac(const uint8_t *mac)
{
	unsigned i;

	for (i = 0; i < NPORTS; i++)
		if (h.p[i].no >= 0 && h.p[i].kind != VS_PORT_WIRE &&
		    !memcmp(h.p[i].mac, mac, 6))
			return true;
	return false;
}

/* Does a domain vif (not dom0) own @a? */
static bool vif_owns4(uint32_t a)
{
	unsigned i;

	for (i = 0; i < NPORTS; i++)
		if (h.p[i].no >= 0 && h.p[i].kind == VS_PORT_VIF &&
		    owns4(&h.p[i], a))
			return true;
	return false;
}

/* UDP from @sport to @dport right after the IPv4 or IPv6 header (no
 * extension headers: those are the parser's to walk, not ours). */
static bool udp_ports(const uint8_t *f, uint32_t len, uint16_t sport,
		      uint16_t dport)
{
	uint32_t l4;

	/* the ports must lie within the IP payload, not in padding */
	if (rd16(f + 12) == 0x0800) {
		l4 = 14 + (uint32_t)(f[14] & 0xf) * 4;
		if (f[23] != 17 || (rd16(f + 20) & 0x1fff) ||
		    rd16(f + 16) < l4 - 14 + 4)
			return false;
	} else if (rd16(f + 12) == 0x86dd) {
		l4 = 54;
		if (f[20] != 17 || rd16(f + 18) < 4)
			return false;
	} else {
		return false;
	}
	return len >= l4 + 4 && rd16(f + l4) == sport &&
	       rd16(f + l4 + 2) == dport;
}

/* DHCP client frame: 0.0.0.0, UDP 68 -> 67. */
static bool dhcp_client(const uint8_t *f, uint32_t len)
{
	uint32_t ihl = (uint32_t)(f[14] & 0xf) * 4;

	if (rd32(f + 26) != 0 || f[23] != 17 || len < 14 + ihl + 4)
		return false;
	return rd16(f + 14 + ihl) == 68 && rd16(f + 16 + ihl) == 67;
}

/* What a vif may send (DESIGN.md §4 checks 1, 4 and 5). */
static void check_from_vif(const struct hport *in, int to, const uint8_t *f,
			   uint32_t len)
{
	CHECK(!memcmp(f + 6, in->mac, 6));
	/* no vif is a trusted DHCP server here: no server message passes */
	CHECK(!udp_ports(f, len, 67, 68) && !udp_ports(f, len, 547, 546));
	switch (rd16(f + 12)) {
	case 0x0800:
		CHECK(owns4(in, rd32(f + 26)) ||
		      (dhcp_client(f, len) && to == H_DOM0));
		break;
	case 0x0806:
		CHECK(!memcmp(f + 22, in->mac, 6));
		/* 0.0.0.0 only in a probe, which is a request */
		CHECK((rd32(f + 28) == 0 && rd16(f + 20) == 1) ||
		      owns4(in, rd32(f + 28)));
		break;
	case 0x86dd:
		/* no RA or Redirect right behind the IPv6 header */
		CHECK(!(f[20] == 58 && len > 54 && rd16(f + 18) >= 4 &&
			(f[54] == 134 || f[54] == 137)));
		break;
	default:
		CHECK(!"vif sent a bad ethertype");
	}
}

/* The LAN may not use a domain's IPv4 address (dom0's it may). */
static void check_from_wire(const uint8_t *f, uint32_t len)
{
	uint32_t e = inner_et(f, len), l3 = e + 2;

	if (rd16(f + e) == 0x0800)
		CHECK(!vif_owns4(rd32(f + l3 + 12)));
	else if (rd16(f + e) == 0x0806)
		CHECK(!vif_owns4(rd32(f + l3 + 14)));
}

/* Back end ops -----------------------------------------------------------*/

static unsigned tx_op(void *ctx, const struct vs_frame *const *frames,
		      unsigned n)
{
	int to = (int)(intptr_t)ctx;
	struct hport *out = &h.p[to], *in = &h.p[h.cur_in];
	unsigned i, take = n < out->accept_max ? n : out->accept_max;

	CHECK(n >= 1 && n <= VS_BATCH);
	CHECK(to != h.cur_in);		/* never back out of the ingress */
	for (i = 0; i < n; i++) {
		const uint8_t *f = frames[i]->data;
		uint32_t len = frames[i]->len;
		bool iso = frame_isolated(f, len);

		if (out->kind == VS_PORT_WIRE)
			CHECK(!iso);
		if (in->kind == VS_PORT_WIRE) {
			CHECK(!iso);
			CHECK(!local_mac(f + 6));
			check_from_wire(f, len);
		}
		if (in->kind == VS_PORT_VIF)
			check_from_vif(in, to, f, len);
		if (out->kind == VS_PORT_VIF && !(f[0] & 1))
			CHECK(!memcmp(f, out->mac, 6));
	}
	out->tx_ok += take;
	h.tx_total += take;
	return take;
}

static int rx_op(void *ctx, struct vs_frame *frames, unsigned max)
{
	struct pollq *q = &h.q;
	unsigned n = 0;

	(void)ctx;
	CHECK(q->handed == q->head);	/* nothing read while frames held */
	while (n < max && q->handed < q->tail) {
		unsigned k = q->handed % POLLQ_MAX;
		struct vs_frame *f = &frames[n++];

		CHECK(f->data && f->cap == POLL_FRAME_MAX);
		if (q->own[k] || q->len[k] > f->cap) {
			f->data = q->buf[k];
			f->cap = q->len[k];
		} else {
			memcpy(f->data, q->buf[k], q->len[k]);
		}
		f->len = q->len[k];
		q->handed++;
	}
	return (int)n;
}

static void release_op(void *ctx, unsigned n)
{
	struct pollq *q = &h.q;

	(void)ctx;
	CHECK(n <= q->handed - q->head);
	while (n--) {
		unsigned k = q->head++ % POLLQ_MAX;

		free(q->buf[k]);
		q->buf[k] = NULL;
		q->released++;
	}
}

static void pollq_push(const uint8_t *f, uint32_t len, bool own)
{
	struct pollq *q = &h.q;
	unsigned k = q->tail % POLLQ_MAX;

	if (q->tail - q->head == POLLQ_MAX)
		return;
	q->buf[k] = malloc(len ? len : 1);
	CHECK(q->buf[k]);
	memcpy(q->buf[k], f, len);
	q->len[k] = len;
	q->own[k] = own;
	q->tail++;
}

static void pollq_free(void)
{
	struct pollq *q = &h.q;

	while (q->head != q->tail) {
		free(q->buf[q->head % POLLQ_MAX]);
		q->buf[q->head++ % POLLQ_MAX] = NULL;
	}
	q->handed = q->head;
}

/* Setup ------------------------------------------------------------------*/

static int port_add(int idx)
{
	struct hport *p = &h.p[idx];
	struct vs_port_config cfg = {
		.kind = p->kind,
		.domid = p->domid,
		.frame_max = idx == H_POLL ? POLL_FRAME_MAX : 0,
		.ops = idx == H_POLL ? &poll_ops : &plain_ops,
		.ctx = (void *)(intptr_t)idx,
	};

	memcpy(cfg.mac, p->mac, 6);
	p->no = vs_port_add(h.sw, &cfg);
	p->n4 = 0;
	p->tx_ok = 0;
	if (idx == H_POLL)
		h.q.released = 0;
	return p->no;
}

static void addr4(int idx, uint32_t a, bool add)
{
	struct hport *p = &h.p[idx];
	struct in_addr ia = { htonl(a) };
	unsigned i;

	if (p->no < 0)
		return;
	if (add) {
		if (vs_addr4_add(h.sw, (unsigned)p->no, ia) == 0 &&
		    !owns4(p, a)) {
			CHECK(p->n4 < SHADOW4_MAX);
			p->a4[p->n4++] = ia;
		}
		return;
	}
	if (vs_addr4_del(h.sw, (unsigned)p->no, ia) != 0)
		return;
	for (i = 0; i < p->n4; i++)
		if (p->a4[i].s_addr == ia.s_addr) {
			p->a4[i] = p->a4[--p->n4];
			break;
		}
}

static void addr6(int idx, uint8_t pfx, uint8_t low, bool add)
{
	struct in6_addr a = { 0 };

	if (h.p[idx].no < 0)
		return;
	a.s6_addr[0] = pfx ? 0xfd : 0x20;
	a.s6_addr[1] = pfx ? 0x69 : 0x01;
	a.s6_addr[15] = low;
	if (add)
		vs_addr6_add(h.sw, (unsigned)h.p[idx].no, &a);
	else
		vs_addr6_del(h.sw, (unsigned)h.p[idx].no, &a);
}

static void setup(uint64_t now)
{
	static const uint8_t iso6_pfx[16] = { 0xfd, 0x69 };
	int i;

	memset(&h, 0, sizeof(h));
	h.sw = vs_switch_new();
	CHECK(h.sw);
	CHECK(vs_isolated_add(h.sw, AF_INET6, iso6_pfx, 16) == 0);
	for (i = 0; i < NPORTS; i++) {
		struct hport *p = &h.p[i];

		p->kind = i == H_DOM0 ? VS_PORT_DOM0 :
			  i == H_WIRE ? VS_PORT_WIRE : VS_PORT_VIF;
		p->domid = i == H_DOM0 || i == H_WIRE ? 0 : (uint32_t)i - 1;
		p->accept_max = ~0u;
		memcpy(p->mac, (const uint8_t[6]){ 0xaa, 0, 0, 0, 0, 0 }, 6);
		p->mac[5] = (uint8_t)i;
		if (i == H_WIRE)
			p->mac[0] = 0x02;
		CHECK(port_add(i) >= 0);
		if (i == H_WIRE)
			continue;
		/* 169.254.1.N, 10.0.0.N, 2001::N, and fd69::N (isolated) */
		addr4(i, 0xa9fe0100u + (uint32_t)i, true);
		addr4(i, 0x0a000000u + (uint32_t)i, true);
		addr6(i, 0, (uint8_t)i, true);
		addr6(i, 1, (uint8_t)i, true);
	}
	CHECK(vs_port_set_tx_limit(h.sw, (unsigned)h.p[H_VIF4].no, 1500, 100,
				   0, now) == 0);
	CHECK(vs_port_set_rx_limit(h.sw, (unsigned)h.p[H_VIF5].no, 3000,
				   1000, 2, now) == 0);
	CHECK(vs_port_set_tx_limit(h.sw, (unsigned)h.p[H_POLL].no, 4000, 50,
				   8, now) == 0);
}

static void teardown(void)
{
	vs_switch_free(h.sw);
	h.sw = NULL;
	pollq_free();
}

/* Invariants -------------------------------------------------------------*/

static void check_stats(void)
{
	struct vs_stats st;
	struct vs_port_stats ps;
	uint64_t sum, in_sum = 0, rx_sum = 0;
	unsigned r, i;

	vs_switch_stats(h.sw, &st);
	for (sum = st.delivered, r = 0; r < VS_DROP__MAX; r++)
		sum += st.drops[r];
	CHECK(st.in_frames == sum);

	for (i = 0; i < NPORTS; i++) {
		struct hport *p = &h.p[i];

		in_sum += p->in_gone;
		rx_sum += p->rx_gone;
		if (p->no < 0)
			continue;
		CHECK(vs_port_stats(h.sw, (unsigned)p->no, &ps) == 0);
		CHECK(ps.rx_packets == p->tx_ok);
		in_sum += ps.in_packets;
		rx_sum += ps.rx_packets;
		if (i == H_POLL)
			CHECK(ps.in_packets == h.q.released);
	}
	CHECK(in_sum == st.in_frames);
	CHECK(rx_sum == h.tx_total);
}

/* Batches ----------------------------------------------------------------*/

struct batch {
	int port;			/* harness port, -1 = empty */
	struct vs_frame f[VS_BATCH];
	unsigned n;
};

static void poll_port(uint64_t now)
{
	struct hport *p = &h.p[H_POLL];
	int ret;

	if (p->no < 0 || h.q.head == h.q.tail)
		return;
	h.cur_in = H_POLL;
	ret = vs_port_poll(h.sw, (unsigned)p->no, now, 0);
	CHECK(ret >= 0);
	check_stats();
}

static void flush(struct batch *b, uint64_t now)
{
	struct hport *p;
	uint64_t wake;
	unsigned i;
	int ret;

	if (b->port >= 0 && b->n) {
		p = &h.p[b->port];
		h.cur_in = b->port;
		ret = p->no < 0 ? -1 :
		      vs_input(h.sw, (unsigned)p->no, b->f, b->n, now);
		CHECK(p->no < 0 || ret >= 0);
		if (ret >= 0 && (unsigned)ret < b->n) {
			CHECK(vs_port_throttled(h.sw, (unsigned)p->no, &wake));
			CHECK(wake > now);
		}
		check_stats();
	}
	for (i = 0; i < b->n; i++)
		free(b->f[i].data);
	b->n = 0;
	b->port = -1;
	poll_port(now);
}

static void fix_macs(uint8_t *f, uint32_t len, int idx, uint8_t ctl,
		     uint8_t arg)
{
	const struct hport *p = &h.p[idx];

	if (len < 14)
		return;
	if (ctl & 0x08) {
		memcpy(f + 6, p->mac, 6);
		if (len >= 42 && rd16(f + 12) == 0x0806)
			memcpy(f + 22, p->mac, 6);
	}
	if (ctl & 0x10) {
		unsigned to = arg % (NPORTS + 1);

		if (to == NPORTS)
			memset(f, 0xff, 6);
		else
			memcpy(f, h.p[to].mac, 6);
	}
}

/* Control operation @op on harness port @idx with parameters @b[0..7]. */
static void control(int idx, uint8_t op, const uint8_t *b, uint64_t now)
{
	struct hport *p = &h.p[idx];
	struct vs_port_stats ps;
	uint32_t a = (b[0] & 1) ? 0xa9fe0100u : 0x0a000000u;
	uint8_t mac[6] = { 0xaa, 0, 0, 0, 1, b[0] };

	a |= b[1] & 15;
	if (b[0] & 2)
		a = rd32(b + 2);
	switch (op % 8) {
	case 0:
		if (p->no >= 0)
			vs_port_set_tx_limit(h.sw, (unsigned)p->no, rd16(b),
					     rd16(b + 2), b[4] % 16, now);
		break;
	case 1:
		if (p->no >= 0)
			vs_port_set_rx_limit(h.sw, (unsigned)p->no, rd16(b),
					     rd16(b + 2), b[4] % 16, now);
		break;
	case 2:
	case 3:
		addr4(idx, a, op % 8 == 2);
		break;
	case 4:
		p->accept_max = b[0] % 5 == 4 ? ~0u : b[0] % 5;
		break;
	case 5:
		if (p->no >= 0) {
			CHECK(vs_port_stats(h.sw, (unsigned)p->no, &ps) == 0);
			p->in_gone += ps.in_packets;
			p->rx_gone += ps.rx_packets;
			CHECK(vs_port_del(h.sw, (unsigned)p->no) == 0);
			p->no = -1;
			if (idx == H_POLL) {	/* held frames came back */
				CHECK(h.q.handed == h.q.head);
				pollq_free();
			}
		} else {
			port_add(idx);
		}
		break;
	case 6:
		addr6(idx, b[0] & 1, b[1] & 15, b[0] & 2);
		break;
	case 7:
		if (p->no >= 0 &&
		    vs_port_set_mac(h.sw, (unsigned)p->no, mac) == 0)
			memcpy(p->mac, mac, 6);
		break;
	}
	check_stats();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct batch b;
	uint64_t now = 1000000000ull;
	size_t off = 0;

	setup(now);
	b.port = -1;
	b.n = 0;
	while (size - off >= HDR_LEN) {
		uint8_t ctl = data[off], arg = data[off + 1];
		uint8_t tstep = data[off + 2], kind = ctl >> 6;
		uint32_t len = rd16(data + off + 3);
		int port = ctl & 7;
		uint8_t *f, params[8] = { 0 };

		off += HDR_LEN;
		if (port == H_POLL && kind < 2)
			kind = 2;	/* the polled vif only reads its rx op */
		if (len > size - off)
			len = (uint32_t)(size - off);
		if (tstep) {
			flush(&b, now);
			now += (uint64_t)tstep * tstep * 1000;
		}
		if (kind == 3) {
			flush(&b, now);
			memcpy(params, data + off, len < 8 ? len : 8);
			control(port, arg, params, now);
			off += len;
			continue;
		}
		/* Exactly len bytes, so ASan sees any read past the end. */
		f = malloc(len ? len : 1);
		CHECK(f);
		memcpy(f, data + off, len);
		off += len;
		fix_macs(f, len, kind == 2 ? H_POLL : port, ctl, arg);
		if (kind == 2) {
			pollq_push(f, len, arg & 0x80);
			free(f);
			if (ctl & 0x20)
				flush(&b, now);
			continue;
		}
		if (b.port != port || b.n == VS_BATCH)
			flush(&b, now);
		b.port = port;
		b.f[b.n++] = (struct vs_frame){ .data = f, .len = len,
						.cap = len };
		if (ctl & 0x20)
			flush(&b, now);
	}
	flush(&b, now);
	/* Let the credit refill and drain what the polled port still holds. */
	poll_port(now + 10000000000ull);
	teardown();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* vswitch.c - ports, batches and delivery of the VFR; see vswitch.h
 *
 * A batch goes through three passes:
 *   1. decide: per frame, policy and lookup (policy.c), transmit credit,
 *      and the frame's place in each destination port's output list;
 *   2. transmit: one tx call per destination port with its whole list;
 *   3. account: per frame, delivered or dropped with exactly one reason.
 * Output lists hold at most VS_BATCH frames per port, and a batch has at
 * most VS_BATCH frames, so a list can never overflow.
 */

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdefs.h"
#include "vswitch_internal.h"

const char *const vs_drop_names[VS_DROP__MAX] = {
	[VS_DROP_SPOOF_MAC]		= "spoof_mac",
	[VS_DROP_BAD_ETHERTYPE]		= "bad_ethertype",
	[VS_DROP_MALFORMED]		= "malformed",
	[VS_DROP_SPOOF_ARP]		= "spoof_arp",
	[VS_DROP_SPOOF_IP]		= "spoof_ip",
	[VS_DROP_RA_GUARD]		= "ra_guard",
	[VS_DROP_SPOOF_ND]		= "spoof_nd",
	[VS_DROP_DHCP_GUARD]		= "dhcp_guard",
	[VS_DROP_ISOLATED_FROM_WIRE]	= "isolated_from_wire",
	[VS_DROP_ISOLATED_TO_WIRE]	= "isolated_to_wire",
	[VS_DROP_NO_ROUTE]		= "no_route",
	[VS_DROP_RX_RATELIMIT]		= "rx_ratelimit",
	[VS_DROP_TX_ERROR]		= "tx_error",
};
static_assert(sizeof(vs_drop_names) / sizeof(vs_drop_names[0]) ==
	      VS_DROP__MAX, "vs_drop_names out of step with enum vs_drop");

struct vs_switch *vs_switch_new(void)
{
	struct vs_switch *sw = calloc(1, sizeof(*sw));
	struct in_addr ll = { htonl(XENO_LL_NET) };
	unsigned i;

	if (!sw)
		return NULL;
	sw->b0 = vs_batch_new(sw);
	if (!sw->b0) {
		free(sw);
		return NULL;
	}
	for (i = 0; i < VS_PORTS_MAX; i++)
		pthread_mutex_init(&sw->ports[i].rx.lock, NULL);
	sw->dom0 = sw->wire = -1;
	vs_isolated_add(sw, AF_INET, &ll, XENO_LL_PLEN);
	return sw;
}

void vs_switch_free(struct vs_switch *sw)
{
	unsigned i;

	if (!sw)
		return;
	for (i = 0; i < VS_PORTS_MAX; i++) {
		free(sw->ports[i].pool);
		pthread_mutex_destroy(&sw->ports[i].rx.lock);
	}
	for (i = 0; i < sw->nbatches; i++)
		free(sw->batches[i]);
	free(sw);
}

struct vs_batch *vs_batch_new(struct vs_switch *sw)
{
	struct vs_batch *b;

	if (sw->nbatches == VS_BATCHES_MAX)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b)
		sw->batches[sw->nbatches++] = b;
	return b;
}

static void stats_add(struct vs_stats *to, const struct vs_stats *s)
{
	to->in_frames += s->in_frames;
	to->delivered += s->delivered;
	for (unsigned r = 0; r < VS_DROP__MAX; r++)
		to->drops[r] += s->drops[r];
}

void vs_batch_free(struct vs_switch *sw, struct vs_batch *b)
{
	unsigned i;

	if (!b || b == sw->b0)
		return;
	for (i = 0; i < sw->nbatches && sw->batches[i] != b; i++)
		;
	if (i == sw->nbatches)
		return;
	stats_add(&sw->stats, &b->stats);
	sw->batches[i] = sw->batches[--sw->nbatches];
	free(b);
}

void vs_switch_set_threaded(struct vs_switch *sw, bool on)
{
	sw->threaded = on;
}

static void lock(const struct vs_switch *sw, struct vs_port *p)
{
	if (sw->threaded)
		pthread_mutex_lock(&p->rx.lock);
}

static void unlock(const struct vs_switch *sw, struct vs_port *p)
{
	if (sw->threaded)
		pthread_mutex_unlock(&p->rx.lock);
}

void vs_port_lock(struct vs_switch *sw, unsigned port)
{
	if (port < VS_PORTS_MAX)
		lock(sw, &sw->ports[port]);
}

void vs_port_unlock(struct vs_switch *sw, unsigned port)
{
	if (port < VS_PORTS_MAX)
		unlock(sw, &sw->ports[port]);
}

static struct vs_port *port_get(struct vs_switch *sw, unsigned port)
{
	if (port >= VS_PORTS_MAX || !sw->ports[port].used)
		return NULL;
	return &sw->ports[port];
}

static const struct vs_port *port_cget(const struct vs_switch *sw,
				       unsigned port)
{
	if (port >= VS_PORTS_MAX || !sw->ports[port].used)
		return NULL;
	return &sw->ports[port];
}

/* The list of used ports, kept ascending for flooding. */
static void active_rebuild(struct vs_switch *sw)
{
	unsigned i;

	sw->nactive = 0;
	for (i = 0; i < VS_PORTS_MAX; i++)
		if (sw->ports[i].used)
			sw->active[sw->nactive++] = (uint16_t)i;
}

/* fe80::/64 with the modified EUI-64 interface id of @mac (RFC 4291). */
static void eui64_ll(const uint8_t *mac, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0xfe;
	a->s6_addr[1] = 0x80;
	a->s6_addr[8] = mac[0] ^ 0x02;
	a->s6_addr[9] = mac[1];
	a->s6_addr[10] = mac[2];
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 0xfe;
	a->s6_addr[13] = mac[3];
	a->s6_addr[14] = mac[4];
	a->s6_addr[15] = mac[5];
}

static bool mac_in_use(const struct vs_switch *sw, const uint8_t *mac,
		       int except)
{
	int p = vs_lookup_mac(sw, mac);

	return p >= 0 && p != except;
}

static bool mac_valid(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6);
}

static int port_check(const struct vs_switch *sw,
		      const struct vs_port_config *cfg)
{
	if (!cfg->ops || !cfg->ops->tx)
		return -EINVAL;
	switch (cfg->kind) {
	case VS_PORT_DOM0:
		return sw->dom0 >= 0 ? -EEXIST : 0;
	case VS_PORT_WIRE:
		return sw->wire >= 0 ? -EEXIST : 0;
	case VS_PORT_VIF:
		if (!mac_valid(cfg->mac))
			return -EINVAL;
		if (vs_port_find(sw, cfg->domid, cfg->vifidx) >= 0)
			return -EEXIST;
		return 0;
	}
	return -EINVAL;
}

int vs_port_add(struct vs_switch *sw, const struct vs_port_config *cfg)
{
	struct vs_port *p;
	int ret = port_check(sw, cfg);
	unsigned i;

	sw->gen++;	/* vs_switch_gen() */
	if (ret)
		return ret;
	if (cfg->kind != VS_PORT_WIRE && mac_in_use(sw, cfg->mac, -1))
		return -EEXIST;
	for (i = 0; i < VS_PORTS_MAX && sw->ports[i].used; i++)
		;
	if (i == VS_PORTS_MAX)
		return -ENOSPC;

	p = &sw->ports[i];
	pthread_mutex_destroy(&p->rx.lock);
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->rx.lock, NULL);
	p->frame_max = cfg->frame_max ? cfg->frame_max : VS_FRAME_MAX_DEFAULT;
	if (cfg->ops->rx) {
		p->pool = malloc((size_t)VS_BATCH * p->frame_max);
		if (!p->pool)
			return -ENOMEM;
	}
	p->used = true;
	p->kind = cfg->kind;
	memcpy(p->mac, cfg->mac, 6);
	eui64_ll(p->mac, &p->ll6);
	snprintf(p->name, sizeof(p->name), "%s", cfg->name ? cfg->name : "");
	p->domid = cfg->domid;
	p->vifidx = cfg->vifidx;
	p->dhcp_trusted = cfg->dhcp_trusted;
	p->ops = cfg->ops;
	p->ctx = cfg->ctx;
	credit_init(&p->tx_credit);
	credit_init(&p->rx.credit);

	if (p->kind == VS_PORT_DOM0)
		sw->dom0 = (int)i;
	else if (p->kind == VS_PORT_WIRE)
		sw->wire = (int)i;
	active_rebuild(sw);
	if (p->kind != VS_PORT_WIRE)	/* a new port has no addresses yet */
		vs_table_add_mac(sw, p->mac, (uint16_t)i);
	return (int)i;
}

int vs_port_del(struct vs_switch *sw, unsigned port)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	for (unsigned k = 0; k < p->ncaps; k++)
		vs_capture_mark_detached(p->caps[k]);
	if (p->nheld && p->ops->release)
		p->ops->release(p->ctx, p->nheld);
	if ((int)port == sw->dom0)
		sw->dom0 = -1;
	if ((int)port == sw->wire)
		sw->wire = -1;
	free(p->pool);
	pthread_mutex_destroy(&p->rx.lock);
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->rx.lock, NULL);
	active_rebuild(sw);
	vs_tables_rebuild(sw);
	return 0;
}

int vs_port_find(const struct vs_switch *sw, uint32_t domid, uint32_t vifidx)
{
	unsigned i;

	for (i = 0; i < sw->nactive; i++) {
		const struct vs_port *p = &sw->ports[sw->active[i]];

		if (p->kind == VS_PORT_WIRE)
			continue;
		if (p->domid == domid && (p->kind == VS_PORT_DOM0 ||
					  p->vifidx == vifidx))
			return sw->active[i];
	}
	return -ENOENT;
}

int vs_port_by_kind(const struct vs_switch *sw, enum vs_port_kind kind)
{
	int p = kind == VS_PORT_DOM0 ? sw->dom0 :
		kind == VS_PORT_WIRE ? sw->wire : -1;

	return p >= 0 ? p : -ENOENT;
}

int vs_port_set_mac(struct vs_switch *sw, unsigned port, const uint8_t mac[6])
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	if (!mac_valid(mac))
		return -EINVAL;
	if (p->kind != VS_PORT_WIRE && mac_in_use(sw, mac, (int)port))
		return -EEXIST;
	memcpy(p->mac, mac, 6);
	eui64_ll(p->mac, &p->ll6);
	vs_tables_rebuild(sw);
	return 0;
}

int vs_port_set_dhcp_trusted(struct vs_switch *sw, unsigned port, bool on)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	p->dhcp_trusted = on;
	return 0;
}

int vs_port_info(const struct vs_switch *sw, unsigned port,
		 struct vs_port_info *out)
{
	const struct vs_port *p = port_cget(sw, port);

	if (!p)
		return -ENOENT;
	out->kind = p->kind;
	memcpy(out->mac, p->mac, 6);
	out->name = p->name;
	out->domid = p->domid;
	out->vifidx = p->vifidx;
	return 0;
}

/* Addresses --------------------------------------------------------------*/

int vs_addr4_add(struct vs_switch *sw, unsigned port, struct in_addr a)
{
	struct vs_port *p = port_get(sw, port);
	int owner;

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	if (!xeno_ip4_unicast(ntohl(a.s_addr)) || p->kind == VS_PORT_WIRE)
		return -EINVAL;
	owner = vs_lookup_ip4(sw, a);
	if (owner == (int)port)
		return 0;
	if (owner >= 0)
		return -EEXIST;
	if (p->n4 == VS_ADDRS_MAX)
		return -ENOSPC;
	p->a4[p->n4++] = a;
	vs_table_add_ip4(sw, a, (uint16_t)port);
	return 0;
}

int vs_addr4_del(struct vs_switch *sw, unsigned port, struct in_addr a)
{
	struct vs_port *p = port_get(sw, port);
	unsigned i;

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	for (i = 0; i < p->n4; i++) {
		if (p->a4[i].s_addr != a.s_addr)
			continue;
		p->a4[i] = p->a4[--p->n4];
		vs_tables_rebuild(sw);
		return 0;
	}
	return -ENOENT;
}

int vs_addr6_add(struct vs_switch *sw, unsigned port, const struct in6_addr *a)
{
	struct vs_port *p = port_get(sw, port);
	int owner;

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	if (!xeno_ip6_unicast(a) || p->kind == VS_PORT_WIRE)
		return -EINVAL;
	owner = vs_lookup_ip6(sw, a);
	if (owner == (int)port)
		return 0;
	if (owner >= 0)
		return -EEXIST;
	if (p->n6 == VS_ADDRS_MAX)
		return -ENOSPC;
	p->a6[p->n6++] = *a;
	vs_table_add_ip6(sw, a, (uint16_t)port);
	return 0;
}

int vs_addr6_del(struct vs_switch *sw, unsigned port, const struct in6_addr *a)
{
	struct vs_port *p = port_get(sw, port);
	unsigned i;

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	for (i = 0; i < p->n6; i++) {
		if (!IN6_ARE_ADDR_EQUAL(&p->a6[i], a))
			continue;
		p->a6[i] = p->a6[--p->n6];
		vs_tables_rebuild(sw);
		return 0;
	}
	return -ENOENT;
}

int vs_addr4_list(const struct vs_switch *sw, unsigned port,
		  struct in_addr *out, unsigned max)
{
	const struct vs_port *p = port_cget(sw, port);

	if (!p)
		return -ENOENT;
	memcpy(out, p->a4, sizeof(*out) * (max < p->n4 ? max : p->n4));
	return (int)p->n4;
}

int vs_addr6_list(const struct vs_switch *sw, unsigned port,
		  struct in6_addr *out, unsigned max)
{
	const struct vs_port *p = port_cget(sw, port);

	if (!p)
		return -ENOENT;
	memcpy(out, p->a6, sizeof(*out) * (max < p->n6 ? max : p->n6));
	return (int)p->n6;
}

void vs_isolated_clear(struct vs_switch *sw)
{
	sw->gen++;	/* vs_switch_gen() */
	sw->nisolated = 0;
}

int vs_isolated_add(struct vs_switch *sw, int family, const void *addr,
		    unsigned plen)
{
	struct vs_prefix *pf;
	unsigned i;

	sw->gen++;	/* vs_switch_gen() */
	if ((family != AF_INET || plen > 32) &&
	    (family != AF_INET6 || plen > 128))
		return -EINVAL;
	if (sw->nisolated == VS_ISOLATED_MAX)
		return -ENOSPC;

	pf = &sw->isolated[sw->nisolated];
	memset(pf, 0, sizeof(*pf));
	pf->family = family;
	pf->plen = plen;
	if (family == AF_INET) {
		memcpy(&pf->v4, addr, sizeof(pf->v4));
		pf->v4.s_addr &= plen ? htonl(~0U << (32 - plen)) : 0;
	} else {
		memcpy(&pf->v6, addr, sizeof(pf->v6));
		for (i = 0; i < 16; i++) {
			unsigned keep = plen > i * 8 ? plen - i * 8 : 0;

			if (keep < 8)
				pf->v6.s6_addr[i] &= (uint8_t)(0xff00 >> keep);
		}
	}
	sw->nisolated++;
	return 0;
}

/* Limits and stats -------------------------------------------------------*/

int vs_port_set_tx_limit(struct vs_switch *sw, unsigned port, uint64_t bytes,
			 uint64_t usecs, uint64_t packets, uint64_t now)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	return credit_set(&p->tx_credit, bytes, usecs, packets, now);
}

int vs_port_set_rx_limit(struct vs_switch *sw, unsigned port, uint64_t bytes,
			 uint64_t usecs, uint64_t packets, uint64_t now)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	return credit_set(&p->rx.credit, bytes, usecs, packets, now);
}

int vs_port_limits(const struct vs_switch *sw, unsigned port,
		   struct credit_info *tx, struct credit_info *rx)
{
	const struct vs_port *p = port_cget(sw, port);

	if (!p)
		return -ENOENT;
	if (tx)
		credit_get(&p->tx_credit, tx);
	if (rx)
		credit_get(&p->rx.credit, rx);
	return 0;
}

int vs_port_stats(const struct vs_switch *sw, unsigned port,
		  struct vs_port_stats *out)
{
	const struct vs_port *p = port_cget(sw, port);

	if (!p)
		return -ENOENT;
	*out = p->stats;
	out->rx_packets = p->rx.packets;
	out->rx_bytes = p->rx.bytes;
	out->drops[VS_DROP_TX_ERROR] = p->rx.tx_error;
	out->drops[VS_DROP_RX_RATELIMIT] = p->rx.ratelimit;
	out->throttled = p->tx_credit.throttle_events;
	return 0;
}

void vs_switch_stats(const struct vs_switch *sw, struct vs_stats *out)
{
	*out = sw->stats;
	for (unsigned i = 0; i < sw->nbatches; i++)
		stats_add(out, &sw->batches[i]->stats);
}

bool vs_port_throttled(const struct vs_switch *sw, unsigned port,
		       uint64_t *wakeup)
{
	const struct vs_port *p = port_cget(sw, port);

	if (!p || !p->tx_credit.waiting)
		return false;
	if (wakeup)
		*wakeup = credit_wakeup(&p->tx_credit);
	return true;
}

int vs_port_capture_add(struct vs_switch *sw, unsigned port,
			struct vs_capture *c)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	if (p->ncaps == VS_CAPTURE_PORT_MAX)
		return -ENOSPC;
	p->caps[p->ncaps++] = c;
	return 0;
}

int vs_port_capture_del(struct vs_switch *sw, unsigned port,
			const struct vs_capture *c)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;	/* vs_switch_gen() */
	if (!p)
		return -ENOENT;
	for (unsigned k = 0; k < p->ncaps; k++) {
		if (p->caps[k] != c)
			continue;
		p->caps[k] = p->caps[--p->ncaps];
		p->caps[p->ncaps] = NULL;
		return 0;
	}
	return -ENOENT;
}

void vs_switch_set_offer(struct vs_switch *sw, vs_offer_fn *fn, void *ctx)
{
	sw->gen++;
	sw->offer = fn;
	sw->offer_ctx = ctx;
}

int vs_port_set_offer(struct vs_switch *sw, unsigned port, bool on)
{
	struct vs_port *p = port_get(sw, port);

	sw->gen++;
	if (!p)
		return -ENOENT;
	p->offer = on;
	return 0;
}

uint64_t vs_switch_gen(const struct vs_switch *sw)
{
	return sw->gen;
}

int vs_port_add_offloaded(struct vs_switch *sw, unsigned port,
			  uint64_t tx_packets, uint64_t tx_bytes,
			  uint64_t rx_packets, uint64_t rx_bytes)
{
	struct vs_port *p = port_get(sw, port);

	if (!p)
		return -ENOENT;
	p->stats.in_packets += tx_packets;
	p->stats.tx_packets += tx_packets;
	p->stats.tx_bytes += tx_bytes;
	p->rx.packets += rx_packets;
	p->rx.bytes += rx_bytes;
	sw->stats.in_frames += tx_packets;
	sw->stats.delivered += tx_packets;
	return 0;
}

/* May the flow of frame @f, from @in to @to alone, be offered? */
static bool offerable(const struct vs_switch *sw, const struct vs_port *in,
		      const struct vs_port *to)
{
	return sw->offer && in->offer && to->offer && !in->ncaps &&
	       !to->ncaps && credit_unlimited(&in->tx_credit) &&
	       credit_unlimited(&to->rx.credit);
}

/* The fast path ----------------------------------------------------------*/

/* Copy frame @f into every capture of @p. Only called when p->ncaps. */
static void capture(const struct vs_port *p, const struct vs_frame *f,
		    enum vs_capture_dir dir, enum vs_drop reason, uint64_t now)
{
	for (unsigned k = 0; k < p->ncaps; k++)
		vs_capture_put(p->caps[k], f, dir, reason, now);
}

/* Queue frame @i of the batch for port @to; its rx limit is charged
 * when the list is transmitted. */
static void emit(struct vs_switch *sw, struct vs_batch *b,
		 const struct vs_port *to, const struct vs_frame *f,
		 unsigned i)
{
	uint16_t no = port_no(sw, to);
	struct vs_outq *q = &b->q[no];

	if (!q->nout)
		b->touched[b->ntouched++] = no;
	b->b_queued[i]++;
	q->out[q->nout] = f;
	q->out_idx[q->nout++] = (uint8_t)i;
}

static void flood(struct vs_switch *sw, struct vs_batch *b,
		  const struct vs_port *in, const struct vs_dest *d,
		  const struct vs_frame *f, unsigned i)
{
	unsigned k;

	for (k = 0; k < sw->nactive; k++) {
		struct vs_port *to = &sw->ports[sw->active[k]];

		if (to == in)
			continue;
		if (to->kind == VS_PORT_WIRE && !d->wire)
			continue;
		if (d->kind == DEST_WIRE_DOM0 && to->kind == VS_PORT_VIF)
			continue;
		emit(sw, b, to, f, i);
	}
}

/* Is @r an ingress-check reason (decided before credit is charged)? */
static bool ingress_reason(enum vs_drop r)
{
	return r <= VS_DROP_ISOLATED_FROM_WIRE;
}

/* Frame @i of the batch from @in is dropped for @r; the batch's capture
 * pass (capture_sent()) finds the reason in b_drop. */
static void count_drop(struct vs_batch *b, struct vs_port *in,
		       enum vs_drop r, unsigned i)
{
	b->stats.drops[r]++;
	in->stats.drops[r]++;
	b->b_drop[i] = (uint8_t)r;
}

/* A flood that found nobody: the wire was the only way out and the frame
 * is isolated, or there is nobody else at all. */
static enum vs_drop flood_reason(const struct vs_switch *sw,
				 const struct vs_port *in,
				 const struct vs_dest *d)
{
	if (!d->wire && sw->wire >= 0 && sw->wire != port_no(sw, in))
		return VS_DROP_ISOLATED_TO_WIRE;
	return VS_DROP_NO_ROUTE;
}

/* Pass 1 for frame @i. Returns false when the frame must wait for credit
 * (it and the rest of the batch are not consumed). */
static bool decide(struct vs_switch *sw, struct vs_batch *b,
		   struct vs_port *in, const struct vs_frame *f, unsigned i,
		   uint64_t now)
{
	struct vs_dest d;

	b->b_queued[i] = b->b_ok[i] = b->b_err[i] = b->b_limited[i] = 0;
	vs_decide(sw, in, f->data, vs_frame_head_len(f), f->len, &d);
	if (d.kind == DEST_DROP && ingress_reason(d.drop)) {
		in->stats.in_packets++;
		b->stats.in_frames++;
		count_drop(b, in, d.drop, i);
		return true;
	}
	if (!credit_unlimited(&in->tx_credit) &&
	    !credit_admit(&in->tx_credit, f->len, now, true))
		return false;

	in->stats.in_packets++;
	in->stats.tx_packets++;
	in->stats.tx_bytes += f->len;
	b->stats.in_frames++;

	switch (d.kind) {
	case DEST_DROP:
		count_drop(b, in, d.drop, i);
		break;
	case DEST_ONE:
		emit(sw, b, &sw->ports[d.port], f, i);
		if (offerable(sw, in, &sw->ports[d.port]))
			sw->offer(sw->offer_ctx, port_no(sw, in), d.port, f);
		break;
	case DEST_FLOOD:
	case DEST_WIRE_DOM0:
		flood(sw, b, in, &d, f, i);
		if (!b->b_queued[i])
			count_drop(b, in, flood_reason(sw, in, &d), i);
		break;
	}
	return true;
}

/* Captures of port @to: the first @sent frames of its list @q were
 * delivered, the rest refused by its back end. */
static void capture_received(const struct vs_port *to,
			     const struct vs_outq *q, unsigned sent,
			     uint64_t now)
{
	for (unsigned k = 0; k < q->nout; k++)
		capture(to, q->out[k], VS_CAPTURE_RECEIVED,
			k < sent ? VS_DROP__MAX : VS_DROP_TX_ERROR, now);
}

/* Captures of the ingress port @in: its first @n frames of this batch, in
 * order, each passed policy (it was queued, or only over a destination's
 * receive limit) or was dropped for b_drop's reason. */
static void capture_sent(struct vs_switch *sw, struct vs_batch *b,
			 struct vs_port *in, const struct vs_frame *frames,
			 unsigned n, uint64_t now)
{
	lock(sw, in);
	for (unsigned i = 0; i < n; i++)
		capture(in, &frames[i], VS_CAPTURE_SENT,
			b->b_queued[i] ? VS_DROP__MAX :
			(enum vs_drop)b->b_drop[i], now);
	unlock(sw, in);
}

/* Take the frames of list @q that port @to's receive limit refuses out of
 * it, counted and captured as rx_ratelimit. */
static void rx_limit(struct vs_batch *b, struct vs_port *to,
		     struct vs_outq *q, uint64_t now)
{
	unsigned k, m = 0;

	for (k = 0; k < q->nout; k++) {
		const struct vs_frame *f = q->out[k];

		if (credit_admit(&to->rx.credit, f->len, now, false)) {
			q->out_idx[m] = q->out_idx[k];
			q->out[m++] = f;
			continue;
		}
		to->rx.ratelimit++;
		b->b_limited[q->out_idx[k]]++;
		if (to->ncaps)
			capture(to, f, VS_CAPTURE_RECEIVED,
				VS_DROP_RX_RATELIMIT, now);
	}
	q->nout = m;
}

/* Pass 2: one tx call per destination port, under its lock. */
static void transmit(struct vs_switch *sw, struct vs_batch *b, uint64_t now)
{
	unsigned t, k, sent;

	for (t = 0; t < b->ntouched; t++) {
		struct vs_port *to = &sw->ports[b->touched[t]];
		struct vs_outq *q = &b->q[b->touched[t]];

		lock(sw, to);
		if (!credit_unlimited(&to->rx.credit))
			rx_limit(b, to, q, now);
		sent = q->nout ? to->ops->tx(to->ctx, q->out, q->nout) : 0;
		if (sent > q->nout)
			sent = q->nout;
		for (k = 0; k < sent; k++) {
			to->rx.packets++;
			to->rx.bytes += q->out[k]->len;
			b->b_ok[q->out_idx[k]]++;
		}
		for (; k < q->nout; k++) {
			to->rx.tx_error++;
			b->b_err[q->out_idx[k]]++;
		}
		if (to->ncaps)
			capture_received(to, q, sent, now);
		unlock(sw, to);
		q->nout = 0;
	}
	b->ntouched = 0;
}

/* Pass 3: frames that had destinations end up delivered or dropped once.
 * Routing and ingress drops were counted in pass 1. */
static void account(struct vs_batch *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (b->b_ok[i])
			b->stats.delivered++;
		else if (b->b_err[i])
			b->stats.drops[VS_DROP_TX_ERROR]++;
		else if (b->b_limited[i])
			b->stats.drops[VS_DROP_RX_RATELIMIT]++;
	}
}

int vs_port_inject(struct vs_switch *sw, unsigned port,
		   const struct vs_frame *frames, unsigned n, uint64_t now)
{
	const struct vs_frame *ptrs[VS_BATCH];
	struct vs_port *to = port_get(sw, port);
	unsigned i, sent;

	if (!to)
		return -ENOENT;
	if (n > VS_BATCH)
		n = VS_BATCH;		/* the caller sends the rest next */
	for (i = 0; i < n; i++)
		ptrs[i] = &frames[i];
	lock(sw, to);
	sent = to->ops->tx(to->ctx, ptrs, n);
	if (sent > n)
		sent = n;
	sw->stats.in_frames += n;
	sw->stats.delivered += sent;
	sw->stats.drops[VS_DROP_TX_ERROR] += n - sent;
	to->rx.tx_error += n - sent;
	for (i = 0; i < sent; i++) {
		to->rx.packets++;
		to->rx.bytes += frames[i].len;
	}
	for (i = 0; to->ncaps && i < n; i++)
		capture(to, &frames[i], VS_CAPTURE_RECEIVED,
			i < sent ? VS_DROP__MAX : VS_DROP_TX_ERROR, now);
	unlock(sw, to);
	return (int)n;
}

static int input(struct vs_switch *sw, struct vs_batch *b, struct vs_port *in,
		 const struct vs_frame *frames, unsigned n, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!decide(sw, b, in, &frames[i], i, now))
			break;
	transmit(sw, b, now);
	account(b, i);
	if (in->ncaps)
		capture_sent(sw, b, in, frames, i, now);
	return (int)i;
}

int vs_input(struct vs_switch *sw, unsigned port, const struct vs_frame *frames,
	     unsigned n, uint64_t now)
{
	return vs_input_batch(sw, sw->b0, port, frames, n, now);
}

int vs_input_batch(struct vs_switch *sw, struct vs_batch *b, unsigned port,
		   const struct vs_frame *frames, unsigned n, uint64_t now)
{
	struct vs_port *in = port_get(sw, port);

	if (!in)
		return -ENOENT;
	if (n > VS_BATCH)
		return -EINVAL;
	return input(sw, b, in, frames, n, now);
}

/* Switch the held frames of @p; returns how many went. */
static unsigned drain_held(struct vs_switch *sw, struct vs_batch *b,
			   struct vs_port *p, uint64_t now)
{
	int n = input(sw, b, p, p->held, p->nheld, now);

	if (n <= 0)
		return 0;
	if (p->ops->release) {
		lock(sw, p);
		p->ops->release(p->ctx, (unsigned)n);
		unlock(sw, p);
	}
	p->nheld -= (unsigned)n;
	memmove(p->held, p->held + n, p->nheld * sizeof(p->held[0]));
	return (unsigned)n;
}

int vs_port_poll(struct vs_switch *sw, unsigned port, uint64_t now,
		 unsigned budget)
{
	return vs_port_poll_batch(sw, sw->b0, port, now, budget);
}

int vs_port_poll_batch(struct vs_switch *sw, struct vs_batch *b,
		       unsigned port, uint64_t now, unsigned budget)
{
	struct vs_port *p = port_get(sw, port);
	unsigned total = 0, k;
	int n;

	if (!p || !p->ops->rx)
		return -ENOENT;
	if (!budget)
		budget = VS_BATCH;

	while (total < budget) {
		if (p->nheld) {
			total += drain_held(sw, b, p, now);
			if (p->nheld)
				break;		/* still waiting for credit */
			continue;
		}
		/* Nothing is held here, so every pool slot is free. */
		for (k = 0; k < VS_BATCH; k++) {
			p->held[k].data = p->pool + (size_t)k * p->frame_max;
			p->held[k].cap = p->frame_max;
			p->held[k].len = 0;
			p->held[k].tail = NULL;
			p->held[k].tail_len = 0;
			memset(&p->held[k].vnet, 0, sizeof(p->held[k].vnet));
		}
		lock(sw, p);
		n = p->ops->rx(p->ctx, p->held, VS_BATCH);
		unlock(sw, p);
		if (n < 0)
			return total ? (int)total : n;
		if (n == 0)
			break;
		p->nheld = (unsigned)n > VS_BATCH ? VS_BATCH : (unsigned)n;
	}
	return (int)total;
}

uint32_t vs_frame_gather(const struct vs_frame *f, uint8_t *dst, uint32_t cap)
{
	uint32_t head = vs_frame_head_len(f);

	if (f->len > cap)
		return 0;
	memcpy(dst, f->data, head);
	if (f->tail_len)
		memcpy(dst + head, f->tail, f->tail_len);
	return f->len;
}

/* MAC helpers ------------------------------------------------------------*/

void vs_mac_default(const char *name, uint32_t domid, uint32_t vifidx,
		    uint8_t mac[6])
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	const char *c;
	unsigned i;

	for (c = name ? name : ""; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	for (i = 0; i < 4; i++)
		h = (h ^ ((domid >> (8 * i)) & 0xff)) * 16777619u;
	for (i = 0; i < 4; i++)
		h = (h ^ ((vifidx >> (8 * i)) & 0xff)) * 16777619u;

	mac[0] = 0xaa;
	mac[1] = 0x00;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

int vs_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned i;

	/* Exactly "xx:xx:xx:xx:xx:xx": sscanf("%2x") would take "-1" or " 1". */
	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)strtoul(s + 3 * i, NULL, 16);
	return 0;
}

void vs_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

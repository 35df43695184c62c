// SPDX-License-Identifier: GPL-2.0-or-later
/* parse.c - bounds-checked frame parsing; see parse.h
 *
 * Every access goes through struct cursor: take() hands out a pointer to
 * n bytes only when they lie within the frame, so no code below can read
 * past its end whatever a domain sends.
 */

#include <string.h>

#include "parse.h"

struct cursor {
	const uint8_t *base;
	uint32_t len;
	uint32_t off;
};

/* take() - the next @n bytes, or NULL when fewer remain. */
static const uint8_t *take(struct cursor *c, uint32_t n)
{
	const uint8_t *p;

	if (n > c->len - c->off)
		return NULL;
	p = c->base + c->off;
	c->off += n;
	return p;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct in_addr get_in(const uint8_t *p)
{
	struct in_addr a;

	memcpy(&a, p, sizeof(a));
	return a;
}

/* ARP for IPv4 over Ethernet only: other sizes are malformed. */
static enum vs_parse_result parse_arp(struct cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = take(c, 28);

	if (!h)
		return VS_PARSE_MALFORMED;
	if (get16(h) != 1 || get16(h + 2) != ETH_P_IPV4_ || h[4] != 6 ||
	    h[5] != 4)
		return VS_PARSE_MALFORMED;
	p->arp.op = get16(h + 6);
	p->arp.sha = h + 8;
	p->arp.spa = get_in(h + 14);
	p->arp.tpa = get_in(h + 24);
	return VS_PARSE_OK;
}

static enum vs_parse_result parse_ip4(struct cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = take(c, 20), *l4;
	uint32_t ihl, tot;

	if (!h || h[0] >> 4 != 4)
		return VS_PARSE_MALFORMED;
	ihl = (uint32_t)(h[0] & 0xf) * 4;
	tot = get16(h + 2);
	/* Trailing padding (short frames) is allowed, truncation is not. */
	if (ihl < 20 || tot < ihl || tot > c->len - (c->off - 20))
		return VS_PARSE_MALFORMED;
	if (!take(c, ihl - 20))
		return VS_PARSE_MALFORMED;

	p->ip4.src = get_in(h + 12);
	p->ip4.dst = get_in(h + 16);
	p->ip4.proto = h[9];
	p->ip4.first_frag = (get16(h + 6) & 0x1fff) == 0;
	p->ip4.sport = p->ip4.dport = 0;
	if (p->ip4.first_frag && (p->ip4.proto == IPPROTO_UDP ||
				  p->ip4.proto == IPPROTO_TCP) &&
	    tot - ihl >= 4) {
		l4 = take(c, 4);
		if (!l4)
			return VS_PARSE_MALFORMED;
		p->ip4.sport = get16(l4);
		p->ip4.dport = get16(l4 + 2);
	}
	return VS_PARSE_OK;
}

/* ND options: find the source (NS) or target (NA) link-layer address. */
static enum vs_parse_result parse_nd_opts(struct cursor *c, struct vs_pkt *p,
					  uint8_t want)
{
	const uint8_t *o;

	while (c->off < c->len) {
		uint32_t olen;

		o = take(c, 2);
		if (!o || o[1] == 0)
			return VS_PARSE_MALFORMED;
		olen = (uint32_t)o[1] * 8;
		if (!take(c, olen - 2))
			return VS_PARSE_MALFORMED;
		if (o[0] == want && olen == 8 && !p->ip6.nd_lladdr)
			p->ip6.nd_lladdr = o + 2;
		else if (o[0] == want)
			return VS_PARSE_MALFORMED;	/* two or odd-sized */
	}
	return VS_PARSE_OK;
}

static enum vs_parse_result parse_icmp6(struct cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = take(c, 4);
	const uint8_t *t;

	if (!h)
		return VS_PARSE_MALFORMED;
	p->ip6.l4 = true;
	p->ip6.icmp_type = h[0];

	switch (h[0]) {
	case ICMP6_NEIGH_SOLICIT_:
	case ICMP6_NEIGH_ADVERT_:
		/* reserved/flags (4), target (16) */
		if (!take(c, 4) || !(t = take(c, 16)))
			return VS_PARSE_MALFORMED;
		memcpy(&p->ip6.nd_target, t, 16);
		p->ip6.has_target = true;
		return parse_nd_opts(c, p, h[0] == ICMP6_NEIGH_SOLICIT_ ? 1 : 2);
	case ICMP6_REDIRECT_:
		if (!take(c, 4) || !(t = take(c, 16)) || !take(c, 16))
			return VS_PARSE_MALFORMED;
		memcpy(&p->ip6.nd_target, t, 16);
		p->ip6.has_target = true;
		return VS_PARSE_OK;
	default:
		return VS_PARSE_OK;
	}
}

/* Walk extension headers to the upper layer. A first fragment must carry
 * the whole header chain (RFC 7112), so ICMPv6 cannot hide behind one. */
static enum vs_parse_result parse_ip6(struct cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = take(c, 40), *e;
	uint8_t nh;
	unsigned hops;

	if (!h || h[0] >> 4 != 6)
		return VS_PARSE_MALFORMED;
	if (get16(h + 4) > c->len - c->off)
		return VS_PARSE_MALFORMED;
	c->len = c->off + get16(h + 4);		/* ignore padding */

	memcpy(&p->ip6.src, h + 8, 16);
	memcpy(&p->ip6.dst, h + 24, 16);
	p->ip6.l4 = false;
	p->ip6.icmp_type = 0;
	p->ip6.has_target = false;
	p->ip6.nd_lladdr = NULL;
	nh = h[6];

	for (hops = 0; hops < 8; hops++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			e = take(c, 2);
			if (!e || !take(c, (uint32_t)e[1] * 8 + 6))
				return VS_PARSE_MALFORMED;
			nh = e[0];
			continue;
		case IPPROTO_FRAGMENT:
			e = take(c, 8);
			if (!e)
				return VS_PARSE_MALFORMED;
			if (get16(e + 2) & 0xfff8) {	/* not the first */
				p->ip6.proto = e[0];
				return VS_PARSE_OK;
			}
			nh = e[0];
			continue;
		default:
			break;
		}
		break;
	}
	if (hops == 8)
		return VS_PARSE_MALFORMED;

	p->ip6.proto = nh;
	if (nh == IPPROTO_ICMPV6)
		return parse_icmp6(c, p);
	return VS_PARSE_OK;
}

enum vs_parse_result vs_parse(const uint8_t *frame, uint32_t len,
			      struct vs_pkt *p)
{
	struct cursor c = { .base = frame, .len = len, .off = 0 };
	const uint8_t *eth = take(&c, 14), *tag;
	uint16_t et;

	if (!eth)
		return VS_PARSE_RUNT;
	p->dst_mac = eth;
	p->src_mac = eth + 6;
	p->ethertype = et = get16(eth + 12);
	p->vlan_tags = 0;
	p->l3 = VS_L3_OTHER;

	/* Look through up to two VLAN tags, so isolation is judged on what a
	 * tagged frame carries; domains may not send tagged frames at all. */
	while ((et == ETH_P_8021Q_ || et == ETH_P_8021AD_) && p->vlan_tags < 2) {
		tag = take(&c, 4);
		if (!tag)
			return VS_PARSE_MALFORMED;
		et = get16(tag + 2);
		p->vlan_tags++;
	}

	switch (et) {
	case ETH_P_ARP_:
		p->l3 = VS_L3_ARP;
		return parse_arp(&c, p);
	case ETH_P_IPV4_:
		p->l3 = VS_L3_IP4;
		return parse_ip4(&c, p);
	case ETH_P_IPV6_:
		p->l3 = VS_L3_IP6;
		return parse_ip6(&c, p);
	default:
		p->l3 = VS_L3_OTHER;
		return VS_PARSE_OK;
	}
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* parse.c - bounds-checked frame parsing; see parse.h
 *
 * Every access goes through struct vs_cursor: vs_take() hands out a pointer to
 * n bytes only when they lie within the frame, so no code below can read
 * past its end whatever a domain sends.
 */

#include <string.h>

#include "cursor.h"
#include "parse.h"

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
static enum vs_parse_result parse_arp(struct vs_cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = vs_take(c, 28);

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

static enum vs_parse_result parse_ip4(struct vs_cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = vs_take(c, 20), *l4;
	uint32_t ihl, tot;
	bool more;

	if (!h || h[0] >> 4 != 4)
		return VS_PARSE_MALFORMED;
	ihl = (uint32_t)(h[0] & 0xf) * 4;
	tot = get16(h + 2);
	/* Trailing padding (short frames) is allowed, truncation is not. */
	if (ihl < 20 || tot < ihl || tot > c->len + p->uncaptured - (c->off - 20))
		return VS_PARSE_MALFORMED;
	if (!vs_take(c, ihl - 20))
		return VS_PARSE_MALFORMED;

	p->ip4.src = get_in(h + 12);
	p->ip4.dst = get_in(h + 16);
	p->ip4.proto = h[9];
	p->ip4.first_frag = (get16(h + 6) & 0x1fff) == 0;
	more = get16(h + 6) & 0x2000;
	p->ip4.sport = p->ip4.dport = 0;
	if (!p->ip4.first_frag || (p->ip4.proto != IPPROTO_UDP &&
				   p->ip4.proto != IPPROTO_TCP))
		return VS_PARSE_OK;
	/* A first fragment too short for the UDP header (a tiny fragment,
	 * RFC 1858) would hide its ports, and with them a DHCP server
	 * message, until reassembly. */
	if (more && tot - ihl < 8)
		return VS_PARSE_MALFORMED;
	if (tot - ihl >= 4) {
		l4 = vs_take(c, 4);
		if (!l4)
			return VS_PARSE_MALFORMED;
		p->ip4.sport = get16(l4);
		p->ip4.dport = get16(l4 + 2);
	}
	return VS_PARSE_OK;
}

/* ND options: find the source (NS, RS) or target (NA) link-layer
 * address. */
static enum vs_parse_result parse_nd_opts(struct vs_cursor *c, struct vs_pkt *p,
					  uint8_t want)
{
	const uint8_t *o;

	if (p->uncaptured)		/* options run to the frame's end */
		return VS_PARSE_MALFORMED;
	while (c->off < c->len) {
		uint32_t olen;

		o = vs_take(c, 2);
		if (!o || o[1] == 0)
			return VS_PARSE_MALFORMED;
		olen = (uint32_t)o[1] * 8;
		if (!vs_take(c, olen - 2))
			return VS_PARSE_MALFORMED;
		if (o[0] == want && olen == 8 && !p->ip6.nd_lladdr)
			p->ip6.nd_lladdr = o + 2;
		else if (o[0] == want)
			return VS_PARSE_MALFORMED;	/* two or odd-sized */
	}
	return VS_PARSE_OK;
}

static enum vs_parse_result parse_icmp6(struct vs_cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = vs_take(c, 4);
	const uint8_t *t;

	if (!h)
		return VS_PARSE_MALFORMED;
	p->ip6.l4 = true;
	p->ip6.icmp_type = h[0];

	switch (h[0]) {
	case ICMP6_NEIGH_SOLICIT_:
	case ICMP6_NEIGH_ADVERT_:
		/* reserved/flags (4), target (16) */
		if (!vs_take(c, 4) || !(t = vs_take(c, 16)))
			return VS_PARSE_MALFORMED;
		memcpy(&p->ip6.nd_target, t, 16);
		p->ip6.has_target = true;
		return parse_nd_opts(c, p, h[0] == ICMP6_NEIGH_SOLICIT_ ? 1 : 2);
	case ICMP6_ROUTER_SOLICIT_:
		/* reserved (4), then options: an SLLA names the sender */
		if (!vs_take(c, 4))
			return VS_PARSE_MALFORMED;
		return parse_nd_opts(c, p, 1);
	case ICMP6_REDIRECT_:
		if (!vs_take(c, 4) || !(t = vs_take(c, 16)) || !vs_take(c, 16))
			return VS_PARSE_MALFORMED;
		memcpy(&p->ip6.nd_target, t, 16);
		p->ip6.has_target = true;
		return VS_PARSE_OK;
	default:
		return VS_PARSE_OK;
	}
}

static const uint8_t zero2[2];

/* Length of the extension header @nh starting at @e (2 bytes readable),
 * or 0 when @nh is not an extension header the parser can walk. */
static uint32_t ext_len(uint8_t nh, const uint8_t *e)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case IP6_NH_HIP_:
	case IP6_NH_SHIM6_:
	case IP6_NH_EXP1_:
	case IP6_NH_EXP2_:
		return ((uint32_t)e[1] + 1) * 8;	/* RFC 6564 format */
	case IPPROTO_AH:
		return ((uint32_t)e[1] + 2) * 4;	/* RFC 4302 */
	default:
		return 0;
	}
}

/* vs_ip6_ext() - see parse.h. */
bool vs_ip6_ext(uint8_t nh)
{
	return nh == IPPROTO_FRAGMENT || nh == IPPROTO_ESP ||
	       ext_len(nh, zero2) != 0;
}

/* Is @nh the next header of an upper layer the parser knows to be one
 * (not an extension header in disguise)? ESP counts: what it carries is
 * only readable by a host holding its SA. */
static bool upper_known(uint8_t nh)
{
	return nh <= IP6_NH_ASSIGNED_MAX_ && !ext_len(nh, zero2);
}

/* The upper-layer header at the cursor: ICMPv6 type and ND fields, or
 * UDP/TCP ports. @frag: this is a first fragment, where a missing header
 * is the RFC 7112 case (unclassified) rather than a truncation. */
static enum vs_parse_result parse_upper(struct vs_cursor *c, struct vs_pkt *p,
					bool frag)
{
	uint32_t left = c->len - c->off, need;
	const uint8_t *l4;

	need = p->ip6.proto == IPPROTO_ICMPV6 ? 4 :
	       p->ip6.proto == IPPROTO_UDP ? 8 :
	       p->ip6.proto == IPPROTO_TCP ? 20 : 0;
	if (frag && p->uncaptured)	/* judged on the whole frame only */
		return VS_PARSE_MALFORMED;
	if (frag && left < need) {
		p->ip6.unclassified = true;
		return VS_PARSE_OK;
	}
	switch (p->ip6.proto) {
	case IPPROTO_ICMPV6:
		return parse_icmp6(c, p);
	case IPPROTO_UDP:
	case IPPROTO_TCP:
		/* Short of 4 bytes the datagram is no use to anyone: no
		 * ports, as for IPv4. */
		l4 = left >= 4 ? vs_take(c, 4) : NULL;
		if (l4) {
			p->ip6.l4 = true;
			p->ip6.sport = get16(l4);
			p->ip6.dport = get16(l4 + 2);
		}
		return VS_PARSE_OK;
	default:
		return VS_PARSE_OK;
	}
}

/* The chain runs past the end at extension header @nh: in a first
 * fragment the rest may be in the next one (the RFC 7112 case, the
 * packet itself is fine), otherwise the packet is truncated. */
static enum vs_parse_result frag_cut(struct vs_pkt *p, bool frag, uint8_t nh)
{
	if (!frag)
		return VS_PARSE_MALFORMED;
	p->ip6.proto = nh;
	p->ip6.unclassified = true;
	return VS_PARSE_OK;
}

/* Walk every extension header to the upper layer. Each is 8 bytes or
 * more, so the walk is bounded by the frame. A first fragment must carry
 * the whole chain and the upper-layer header (RFC 7112), so ICMPv6 cannot
 * hide behind one; a non-first fragment has no upper layer to look at. */
static enum vs_parse_result parse_ip6(struct vs_cursor *c, struct vs_pkt *p)
{
	const uint8_t *h = vs_take(c, 40), *e;
	bool frag = false;
	uint8_t nh;

	if (!h || h[0] >> 4 != 6)
		return VS_PARSE_MALFORMED;
	if (get16(h + 4) > c->len + p->uncaptured - c->off)
		return VS_PARSE_MALFORMED;
	if (c->off + get16(h + 4) < c->len)
		c->len = c->off + get16(h + 4);	/* ignore padding */

	memcpy(&p->ip6.src, h + 8, 16);
	memcpy(&p->ip6.dst, h + 24, 16);
	p->ip6.l4 = false;
	p->ip6.unclassified = false;
	p->ip6.sport = p->ip6.dport = 0;
	p->ip6.icmp_type = 0;
	p->ip6.has_target = false;
	p->ip6.nd_lladdr = NULL;
	nh = h[6];

	for (;;) {
		if (nh == IPPROTO_FRAGMENT) {
			e = vs_take(c, 8);
			if (!e)
				return frag_cut(p, frag, nh);
			if (get16(e + 2) & 0xfff8) {	/* not the first */
				p->ip6.proto = e[0];
				return VS_PARSE_OK;
			}
			frag = true;
			nh = e[0];
			continue;
		}
		if (upper_known(nh))
			break;
		if (!ext_len(nh, zero2)) {		/* unknown next header */
			p->ip6.proto = nh;
			p->ip6.unclassified = true;
			return VS_PARSE_OK;
		}
		e = c->len - c->off >= 2 ? c->base + c->off : NULL;
		if (!e || !vs_take(c, ext_len(nh, e)))
			return frag_cut(p, frag, nh);
		nh = e[0];
	}
	p->ip6.proto = nh;
	return parse_upper(c, p, frag);
}

/**
 * vs_parse() - parse one frame; see parse.h
 * @frame:	Ethernet frame
 * @len:	its length
 * @p:		filled in; pointers in it point into @frame
 *
 * Return: VS_PARSE_OK, VS_PARSE_RUNT (under 14 bytes) or
 * VS_PARSE_MALFORMED (a tag or header cut short or inconsistent).
 */
enum vs_parse_result vs_parse(const uint8_t *frame, uint32_t len,
			      struct vs_pkt *p)
{
	return vs_parse_head(frame, len, len, p);
}

/* vs_parse_head() - see parse.h. Reads never go past @caplen: a header
 * that would needs the rest of the frame and is malformed here. */
enum vs_parse_result vs_parse_head(const uint8_t *frame, uint32_t caplen,
				   uint32_t len, struct vs_pkt *p)
{
	struct vs_cursor c = { .base = frame, .len = caplen, .off = 0 };
	const uint8_t *eth = vs_take(&c, 14), *tag;
	uint16_t et;

	p->uncaptured = len > caplen ? len - caplen : 0;
	if (!eth)
		return VS_PARSE_RUNT;
	p->dst_mac = eth;
	p->src_mac = eth + 6;
	p->ethertype = et = get16(eth + 12);
	p->vlan_tags = 0;
	p->l3 = VS_L3_OTHER;

	/* Look through every VLAN tag, so isolation is judged on what a
	 * tagged frame carries however deep it is stacked (a switch out on
	 * the wire may pop any number of them). Each tag takes 4 bytes, so
	 * the frame bounds the loop. Domains may not send tagged frames at
	 * all (policy.c). */
	while (vs_eth_vlan(et)) {
		tag = vs_take(&c, 4);
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

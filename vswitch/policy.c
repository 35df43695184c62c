// SPDX-License-Identifier: GPL-2.0-or-later
/* policy.c - ingress checks and destination lookup (DESIGN.md §4)
 *
 * vs_decide() turns one frame from one port into a struct vs_dest: either
 * a drop with its reason or the destinations. Ingress checks run in the
 * order DESIGN.md §4 lists them, the first failure wins. Transmit credit
 * (check 8) is charged by the caller between the ingress checks and the
 * delivery, so a frame dropped for spoofing costs the vif nothing.
 *
 * Parsing fails closed: every VLAN tag is looked through, and a frame
 * from dom0 or the wire that cannot be parsed (a tag stack or header cut
 * short) is dropped as malformed, so nothing unclassified reaches the
 * wire.
 */

#include <string.h>

#include "vswitch_internal.h"

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void drop(struct vs_dest *d, enum vs_drop why)
{
	d->kind = DEST_DROP;
	d->drop = why;
}

static bool in_prefix4(struct in_addr a, const struct vs_prefix *pf)
{
	uint32_t mask = pf->plen ? htonl(~0U << (32 - pf->plen)) : 0;

	return (a.s_addr & mask) == pf->v4.s_addr;
}

static bool in_prefix6(const struct in6_addr *a, const struct vs_prefix *pf)
{
	unsigned full = pf->plen / 8, rest = pf->plen % 8;

	if (memcmp(a->s6_addr, pf->v6.s6_addr, full))
		return false;
	if (!rest)
		return true;
	return (a->s6_addr[full] & (uint8_t)(0xff << (8 - rest))) ==
	       pf->v6.s6_addr[full];
}

static bool isolated4(const struct vs_switch *sw, struct in_addr a)
{
	unsigned i;

	for (i = 0; i < sw->nisolated; i++)
		if (sw->isolated[i].family == AF_INET &&
		    in_prefix4(a, &sw->isolated[i]))
			return true;
	return false;
}

static bool isolated6(const struct vs_switch *sw, const struct in6_addr *a)
{
	unsigned i;

	for (i = 0; i < sw->nisolated; i++)
		if (sw->isolated[i].family == AF_INET6 &&
		    in_prefix6(a, &sw->isolated[i]))
			return true;
	return false;
}

/**
 * vs_isolated() - is the parsed frame isolated (DESIGN.md §4)?
 * @sw:		switch (its isolated prefixes)
 * @p:		parsed frame
 *
 * Return: true for IPv4/IPv6 with source or destination, or ARP with
 * sender or target IP, in an isolated prefix.
 */
bool vs_isolated(const struct vs_switch *sw, const struct vs_pkt *p)
{
	switch (p->l3) {
	case VS_L3_ARP:
		return isolated4(sw, p->arp.spa) || isolated4(sw, p->arp.tpa);
	case VS_L3_IP4:
		return isolated4(sw, p->ip4.src) || isolated4(sw, p->ip4.dst);
	case VS_L3_IP6:
		return isolated6(sw, &p->ip6.src) || isolated6(sw, &p->ip6.dst);
	default:
		return false;
	}
}

/* Check 4: the ARP sender must be the vif, or 0.0.0.0 in a probe, which
 * is a request (RFC 5227): a reply from 0.0.0.0 claims nothing a
 * neighbour should learn, and only poisons caches that take it. */
static bool arp_ok(const struct vs_switch *sw, const struct vs_port *in,
		   const struct vs_pkt *p)
{
	if (memcmp(p->arp.sha, in->mac, 6))
		return false;
	if (!p->arp.spa.s_addr)
		return p->arp.op == 1;
	return vs_lookup_ip4(sw, p->arp.spa) == port_no(sw, in);
}

/* Check 5: the IPv4 source must be the vif's; a DHCP client frame from
 * 0.0.0.0 goes to dom0 only (d->kind DEST_ONE). */
static bool ip4_check(const struct vs_switch *sw, const struct vs_port *in,
		      const struct vs_pkt *p, struct vs_dest *d)
{
	if (vs_lookup_ip4(sw, p->ip4.src) == port_no(sw, in))
		return true;
	if (!p->ip4.src.s_addr && p->ip4.proto == IPPROTO_UDP &&
	    p->ip4.sport == 68 && p->ip4.dport == 67) {
		/* A DHCP client frame is legitimate even while dom0 is
		 * away: then it has nowhere to go (no_route), it is not a
		 * spoof. */
		if (sw->dom0 < 0) {
			drop(d, VS_DROP_NO_ROUTE);
			return false;
		}
		d->kind = DEST_ONE;	/* DHCP client: dom0 only */
		d->port = (uint16_t)sw->dom0;
		return true;
	}
	drop(d, VS_DROP_SPOOF_IP);
	return false;
}

static bool ip6_own(const struct vs_switch *sw, const struct vs_port *in,
		    const struct in6_addr *a)
{
	return IN6_ARE_ADDR_EQUAL(a, &in->ll6) ||
	       vs_lookup_ip6(sw, a) == port_no(sw, in);
}

/* NS/NA/RS: a link-layer option must name the vif's MAC; a DAD probe
 * claims its target and an NA answers for it, so those targets must be
 * the vif's. An ordinary NS may ask for anyone's address. */
static bool nd_ok(const struct vs_switch *sw, const struct vs_port *in,
		  const struct vs_pkt *p, uint8_t t, bool unspec)
{
	if (p->ip6.nd_lladdr && memcmp(p->ip6.nd_lladdr, in->mac, 6))
		return false;
	if (t == ICMP6_NEIGH_ADVERT_ || (t == ICMP6_NEIGH_SOLICIT_ && unspec))
		return ip6_own(sw, in, &p->ip6.nd_target);
	return true;
}

/* Check 6: IPv6 source, RA guard, and ND target/link-layer ownership. */
static bool ip6_check(const struct vs_switch *sw, const struct vs_port *in,
		      const struct vs_pkt *p, struct vs_dest *d)
{
	uint8_t t = p->ip6.l4 && p->ip6.proto == IPPROTO_ICMPV6 ?
		    p->ip6.icmp_type : 0;
	bool unspec = IN6_IS_ADDR_UNSPECIFIED(&p->ip6.src);

	/* :: is only a source during DAD: NS and MLD reports. */
	if (unspec ? !(t == ICMP6_NEIGH_SOLICIT_ || t == ICMP6_MLD_REPORT_ ||
		       t == ICMP6_MLD2_REPORT_ || t == ICMP6_MLD_DONE_)
		   : !ip6_own(sw, in, &p->ip6.src)) {
		drop(d, VS_DROP_SPOOF_IP);
		return false;
	}
	/* A chain that cannot be followed to its upper layer in the first
	 * fragment may hide an RA: RA guard drops what it cannot rule out
	 * (RFC 7113 §3). */
	if (p->ip6.unclassified || t == ICMP6_ROUTER_ADVERT_ ||
	    t == ICMP6_REDIRECT_) {
		drop(d, VS_DROP_RA_GUARD);
		return false;
	}
	if ((t == ICMP6_NEIGH_SOLICIT_ || t == ICMP6_NEIGH_ADVERT_ ||
	     t == ICMP6_ROUTER_SOLICIT_) && !nd_ok(sw, in, p, t, unspec)) {
		drop(d, VS_DROP_SPOOF_ND);
		return false;
	}
	return true;
}

/* Check 7: a DHCP (UDP 67 -> 68) or DHCPv6 (UDP 547 -> 546) server
 * message. The ports are only known in a first fragment, and the parser
 * refuses first fragments too short to hold them. */
static bool dhcp_server(const struct vs_pkt *p)
{
	if (p->l3 == VS_L3_IP4)
		return p->ip4.proto == IPPROTO_UDP && p->ip4.sport == 67 &&
		       p->ip4.dport == 68;
	return p->l3 == VS_L3_IP6 && p->ip6.proto == IPPROTO_UDP &&
	       p->ip6.sport == 547 && p->ip6.dport == 546;
}

/* Checks 1-7 for a frame from a domain vif. Returns false with @d set to
 * the drop; true with d->kind DEST_ONE to dom0 for a DHCP client frame. */
static bool vif_ingress(const struct vs_switch *sw, const struct vs_port *in,
			const struct vs_pkt *p, enum vs_parse_result pr,
			struct vs_dest *d)
{
	if (memcmp(p->src_mac, in->mac, 6)) {
		drop(d, VS_DROP_SPOOF_MAC);
		return false;
	}
	if (p->l3 == VS_L3_OTHER || p->vlan_tags) {
		drop(d, VS_DROP_BAD_ETHERTYPE);
		return false;
	}
	if (pr != VS_PARSE_OK) {
		drop(d, VS_DROP_MALFORMED);
		return false;
	}
	switch (p->l3) {
	case VS_L3_ARP:
		if (!arp_ok(sw, in, p)) {
			drop(d, VS_DROP_SPOOF_ARP);
			return false;
		}
		return true;
	case VS_L3_IP4:
		if (!ip4_check(sw, in, p, d))
			return false;
		break;
	default:
		if (!ip6_check(sw, in, p, d))
			return false;
		break;
	}
	if (dhcp_server(p) && !in->dhcp_trusted) {
		drop(d, VS_DROP_DHCP_GUARD);
		return false;
	}
	return true;
}

/* Is @a the EUI-64 fe80:: address of a local vif (which holds it without
 * it being in the address tables)? */
static bool vif_ll6(const struct vs_switch *sw, const struct in6_addr *a)
{
	const uint8_t *b = a->s6_addr;
	uint8_t mac[6] = { b[8] ^ 0x02, b[9], b[10], b[13], b[14], b[15] };
	int port;

	if (b[0] != 0xfe || (b[1] & 0xc0) != 0x80 || b[11] != 0xff ||
	    b[12] != 0xfe)
		return false;
	port = vs_lookup_mac(sw, mac);
	return port >= 0 && sw->ports[port].kind == VS_PORT_VIF &&
	       IN6_ARE_ADDR_EQUAL(a, &sw->ports[port].ll6);
}

/* Is @port a domain vif? The address tables also hold dom0's addresses,
 * which are not checked: dom0's host may share them with the LAN (a
 * bridged uplink, an address on both, a VRRP peer), so seeing them on the
 * wire is no proof of impersonation. */
static bool vif_port(const struct vs_switch *sw, int port)
{
	return port >= 0 && sw->ports[port].kind == VS_PORT_VIF;
}

/* The LAN must not impersonate a domain: a source IP (or ARP sender IP,
 * or NA target) that a local vif owns cannot come from the wire. */
static bool wire_spoof(const struct vs_switch *sw, const struct vs_pkt *p,
		       struct vs_dest *d)
{
	switch (p->l3) {
	case VS_L3_ARP:
		if (vif_port(sw, vs_lookup_ip4(sw, p->arp.spa))) {
			drop(d, VS_DROP_SPOOF_ARP);
			return true;
		}
		return false;
	case VS_L3_IP4:
		if (vif_port(sw, vs_lookup_ip4(sw, p->ip4.src))) {
			drop(d, VS_DROP_SPOOF_IP);
			return true;
		}
		return false;
	case VS_L3_IP6:
		if (vif_port(sw, vs_lookup_ip6(sw, &p->ip6.src)) ||
		    vif_ll6(sw, &p->ip6.src)) {
			drop(d, VS_DROP_SPOOF_IP);
			return true;
		}
		if (p->ip6.has_target && p->ip6.icmp_type == ICMP6_NEIGH_ADVERT_ &&
		    (vif_port(sw, vs_lookup_ip6(sw, &p->ip6.nd_target)) ||
		     vif_ll6(sw, &p->ip6.nd_target))) {
			drop(d, VS_DROP_SPOOF_ND);
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* Checks for a frame from the wire: nothing isolated comes in, nobody
 * outside may use a local MAC, nor a local domain's addresses. */
static bool wire_ingress(const struct vs_switch *sw, const struct vs_pkt *p,
			 enum vs_parse_result pr, struct vs_dest *d)
{
	if (pr != VS_PARSE_OK) {
		drop(d, VS_DROP_MALFORMED);
		return false;
	}
	if (vs_lookup_mac(sw, p->src_mac) >= 0) {
		drop(d, VS_DROP_SPOOF_MAC);
		return false;
	}
	if (vs_isolated(sw, p)) {
		drop(d, VS_DROP_ISOLATED_FROM_WIRE);
		return false;
	}
	return !wire_spoof(sw, p, d);
}

/* Broadcast ARP request: only the owner of the target IP hears it. */
static void arp_request(const struct vs_switch *sw, const struct vs_port *in,
			const struct vs_pkt *p, struct vs_dest *d)
{
	int owner = vs_lookup_ip4(sw, p->arp.tpa);

	if (owner >= 0 && owner != port_no(sw, in)) {
		d->kind = DEST_ONE;
		d->port = (uint16_t)owner;
		return;
	}
	/* No link-local ARP ever reaches the wire, from anyone. */
	if (vs_isolated(sw, p)) {
		drop(d, VS_DROP_ISOLATED_TO_WIRE);
		return;
	}
	d->kind = DEST_WIRE_DOM0;
	d->wire = true;
}

static void unicast(const struct vs_switch *sw, const struct vs_port *in,
		    const struct vs_pkt *p, struct vs_dest *d)
{
	int to = vs_lookup_mac(sw, p->dst_mac);

	if (to >= 0) {
		if (to == port_no(sw, in))
			drop(d, VS_DROP_NO_ROUTE);	/* never back out */
		else {
			d->kind = DEST_ONE;
			d->port = (uint16_t)to;
		}
		return;
	}
	if (vs_isolated(sw, p))
		drop(d, VS_DROP_ISOLATED_TO_WIRE);
	else if (sw->wire < 0 || in->kind == VS_PORT_WIRE)
		drop(d, VS_DROP_NO_ROUTE);
	else {
		d->kind = DEST_ONE;
		d->port = (uint16_t)sw->wire;
	}
}

/**
 * vs_decide() - ingress policy and lookup for one frame
 * @sw:		switch
 * @in:		ingress port
 * @frame:	Ethernet frame, or its first @caplen bytes (vs_parse_head())
 * @caplen:	bytes at @frame
 * @len:	the frame's length
 * @d:		the decision
 */
void vs_decide(const struct vs_switch *sw, const struct vs_port *in,
	       const uint8_t *frame, uint32_t caplen, uint32_t len,
	       struct vs_dest *d)
{
	struct vs_pkt p;
	enum vs_parse_result pr = vs_parse_head(frame, caplen, len, &p);

	d->kind = DEST_DROP;
	d->wire = false;
	if (pr == VS_PARSE_RUNT) {
		drop(d, VS_DROP_MALFORMED);
		return;
	}

	/* Isolation is only worked out where it matters: for frames from the
	 * wire, and for frames that could leave by the wire. */
	switch (in->kind) {
	case VS_PORT_VIF:
		if (!vif_ingress(sw, in, &p, pr, d) || d->kind == DEST_ONE)
			return;
		break;
	case VS_PORT_WIRE:
		if (!wire_ingress(sw, &p, pr, d))
			return;
		break;
	case VS_PORT_DOM0:
		/* Privileged, but what it sends must still be parseable so
		 * isolation can be judged. */
		if (pr != VS_PARSE_OK) {
			drop(d, VS_DROP_MALFORMED);
			return;
		}
		break;
	}

	if (!(p.dst_mac[0] & 1)) {
		unicast(sw, in, &p, d);
		return;
	}
	if (p.l3 == VS_L3_ARP && p.arp.op == 1 &&
	    !memcmp(p.dst_mac, mac_bcast, 6)) {
		arp_request(sw, in, &p, d);
		return;
	}
	d->kind = DEST_FLOOD;
	/* Isolated frames from the wire were dropped above. */
	d->wire = sw->wire >= 0 && in->kind != VS_PORT_WIRE &&
		  !vs_isolated(sw, &p);
}

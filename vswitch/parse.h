/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse.h - bounds-checked parsing of the frames the switch looks at:
 * Ethernet, ARP, IPv4, IPv6 (with extension headers) and ICMPv6 ND.
 *
 * vs_parse() reads every byte through the checked helpers of parse.c and
 * never reads past @len. It fills a struct vs_pkt with what the policy and
 * the forwarding need, in network byte order.
 */
#ifndef XENO_PARSE_H
#define XENO_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define ETH_P_IPV4_	0x0800
#define ETH_P_ARP_	0x0806
#define ETH_P_IPV6_	0x86dd
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88a8
#define ETH_P_QINQ1_	0x9100	/* pre-802.1ad QinQ, still used by switches */

enum vs_l3 {
	VS_L3_OTHER,	/* ethertype the switch does not look into */
	VS_L3_ARP,
	VS_L3_IP4,
	VS_L3_IP6,
};

enum vs_parse_result {
	VS_PARSE_OK,
	VS_PARSE_RUNT,		/* shorter than an Ethernet header */
	VS_PARSE_MALFORMED,	/* L3/L4 header truncated or inconsistent */
};

/* ICMPv6 types the policy looks at */
enum {
	ICMP6_MLD_QUERY_ = 130,
	ICMP6_MLD_REPORT_ = 131,
	ICMP6_MLD_DONE_ = 132,
	ICMP6_ROUTER_SOLICIT_ = 133,
	ICMP6_ROUTER_ADVERT_ = 134,
	ICMP6_NEIGH_SOLICIT_ = 135,
	ICMP6_NEIGH_ADVERT_ = 136,
	ICMP6_REDIRECT_ = 137,
	ICMP6_MLD2_REPORT_ = 143,
};

/* IPv6 extension headers in the generic format of RFC 6564 (next header,
 * length in 8-octet units not counting the first 8) that netinet/in.h
 * does not name. The IANA "IPv6 Extension Header Types" registry. */
enum {
	IP6_NH_HIP_ = 139,
	IP6_NH_SHIM6_ = 140,
	IP6_NH_EXP1_ = 253,
	IP6_NH_EXP2_ = 254,
};

/* The highest IANA-assigned protocol number; 146-252 are unassigned and,
 * as a next header, could be an extension header the parser does not
 * know (RFC 7045), so they do not count as a known upper layer. */
#define IP6_NH_ASSIGNED_MAX_	145

/* vs_eth_vlan() - whether ethertype @et is a VLAN tag (802.1Q, 802.1ad,
 * or the pre-802.1ad QinQ 0x9100). */
static inline bool vs_eth_vlan(uint16_t et)
{
	return et == ETH_P_8021Q_ || et == ETH_P_8021AD_ || et == ETH_P_QINQ1_;
}

/* vs_ip6_ext() - whether IPv6 next header @nh is an extension header the
 * parser walks, a fragment header, or ESP: in each case what follows is
 * not the upper-layer header itself. */
bool vs_ip6_ext(uint8_t nh);

struct vs_pkt {
	uint32_t uncaptured;	/* frame bytes past what was parsed */
	const uint8_t *dst_mac, *src_mac;
	uint16_t ethertype;	/* outermost, host order */
	uint32_t vlan_tags;	/* 802.1Q/802.1ad tags looked through: all of
				 * them, up to the end of the frame */
	enum vs_l3 l3;
	union {
		struct {
			uint16_t op;		/* host order */
			const uint8_t *sha;	/* sender hardware address */
			struct in_addr spa, tpa;
		} arp;
		struct {
			struct in_addr src, dst;
			uint8_t proto;
			bool first_frag;	/* offset 0: L4 header present */
			uint16_t sport, dport;	/* UDP/TCP, host order */
		} ip4;
		struct {
			/* copies: frame bytes are not aligned for in6_addr */
			struct in6_addr src, dst;
			uint8_t proto;		/* upper layer after ext headers */
			bool l4;		/* upper layer header is present */
			/* The chain does not reach a known upper layer whose
			 * header lies in this (first) fragment: an unknown
			 * next header, or a first fragment cut before the
			 * upper-layer header (RFC 7112). Nothing behind it
			 * can be ruled out, an RA included (RFC 7113). */
			bool unclassified;
			uint16_t sport, dport;	/* UDP/TCP, host order */
			uint8_t icmp_type;
			bool has_target;		/* NS, NA, Redirect */
			struct in6_addr nd_target;
			const uint8_t *nd_lladdr;	/* SLLA (NS, RS) / TLLA (NA) */
		} ip6;
	};
};

/* vs_parse() - parse @len bytes at @frame into @p.
 *
 * VLAN tags (0x8100, 0x88a8, 0x9100) are looked through, every one of
 * them, so the L3 fields describe what the innermost tag carries. A tag
 * stack or header cut short or inconsistent is VS_PARSE_MALFORMED: the
 * caller can never be handed a frame it could not classify. IPv6
 * extension headers are walked to the upper layer (bounded by the frame:
 * each is 8 bytes or more); see ip6.unclassified for chains that do not
 * get there. */
enum vs_parse_result vs_parse(const uint8_t *frame, uint32_t len,
			      struct vs_pkt *p);

/* vs_parse_head() - parse a frame of @len bytes of which only the first
 * @caplen are at @frame (the rest is payload the caller does not want
 * judged on: a vhost-user port's zero-copy frames). Lengths are checked
 * against @len; nothing past @caplen is read, and a frame whose headers
 * would need it (ND options, which run to the end; a fragment's headers)
 * is VS_PARSE_MALFORMED. vs_parse() is vs_parse_head(f, len, len). */
enum vs_parse_result vs_parse_head(const uint8_t *frame, uint32_t caplen,
				   uint32_t len, struct vs_pkt *p);

#endif /* XENO_PARSE_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fastpath.h - what xend's kernel fast path and xend share
 *
 * The fast path (fastpath.bpf.c, loaded by hypervisor/fastpath.c) carries
 * the frames of flows the switch has already judged from one netns
 * domain's vif to another's without leaving the kernel. The switch offers
 * a flow when it delivered a frame from vif A to vif B, both unlimited and
 * uncaptured; xend turns the frame into a struct fpath_key with fpath_parse()
 * and installs key -> B. In the kernel the same fpath_parse() reads every
 * frame A sends; a frame whose key is installed goes straight into B.
 *
 * Why this keeps DESIGN.md §4 whole: a key holds every field the switch's
 * verdict on such a frame depends on (ingress vif, Ethernet source and
 * destination, ethertype, IP source, destination and protocol), and
 * fpath_parse() only accepts frames whose verdict depends on nothing else:
 * well-formed IPv4 without options or fragments, or IPv6 with no
 * extension header, carrying TCP, UDP other than DHCP/DHCPv6, or ICMP
 * echo. Anything else - ARP, ND, RA, broadcast, multicast, VLAN tags,
 * DHCP, a malformed header - has no key and takes the switch. A change of
 * the switch's configuration empties the flow table (xend does it before
 * the command that made the change answers).
 *
 * This file is compiled twice: into the BPF object and into xend, so that
 * the frames the switch offers and the frames the kernel matches are
 * read by one parser. The includer defines FPATH_NTOHS() for its world.
 */
#ifndef XENO_BPF_FASTPATH_H
#define XENO_BPF_FASTPATH_H

#include <linux/types.h>

#define FPATH_SLOTS		256	/* = VS_PORTS_MAX: a slot is a port */
#define FPATH_FLOWS_MAX		16384

/* A flow: the frame's ingress device (the domain's veth, dom0 side) and
 * its headers. Zeroed before filling, padding included (a hash key). */
struct fpath_key {
	__u32 ifindex;
	__u8 src[6];
	__u8 dst[6];
	__u16 ethertype;		/* network order */
	__u8 proto;
	__u8 pad;
	__u32 saddr[4];			/* IPv4: saddr[0] */
	__u32 daddr[4];
};

/* Where a flow goes: the destination's veth (dom0 side, whose peer is
 * its eth), and the switch ports of both ends for the counters. */
struct fpath_flow {
	__u32 out_ifindex;
	__u16 in_slot;
	__u16 out_slot;
};

/* What each device the programs run on is. A vif has two: its veth's
 * dom0 end (FPATH_ROLE_VETH: frames the domain sent; peer = the TAP xend
 * reads) and the TAP xend writes (FPATH_ROLE_TAP: frames for the domain;
 * peer = the veth's dom0 end, whose other end is the domain's eth). */
enum fpath_role {
	FPATH_ROLE_VETH = 1,
	FPATH_ROLE_TAP = 2,
};

struct fpath_port {
	__u32 peer_ifindex;
	__u16 slot;
	__u16 role;
};

/* Per switch port, per CPU: what the fast path carried. tx = frames the
 * port's domain sent, rx = frames delivered to it (vswitch.h's sense). */
struct fpath_counts {
	__u64 tx_packets, tx_bytes;
	__u64 rx_packets, rx_bytes;
};

#define FPATH_ETH_IP4	0x0800
#define FPATH_ETH_IP6	0x86dd
#define FPATH_IPPROTO_ICMP		1
#define FPATH_IPPROTO_TCP		6
#define FPATH_IPPROTO_UDP		17
#define FPATH_IPPROTO_ICMPV6	58

/* Header fields lie at any alignment in the frame: read them bytewise
 * (one load where the target allows it). */
static inline __u16 fpath_get16(const __u8 *p)
{
	__u16 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u32 fpath_get32(const __u8 *p)
{
	__u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline int fpath_dhcp_port(__u16 port)
{
	return port == 67 || port == 68 || port == 546 || port == 547;
}

/* The transport header at @l4 (@left bytes of the IP payload, @end the
 * end of what can be read): 0 when a frame of protocol @proto may take
 * the fast path. */
static inline int fpath_upper(const __u8 *l4, const __u8 *end, __u32 left,
			   __u8 proto)
{
	switch (proto) {
	case FPATH_IPPROTO_TCP:
		if (left < 20 || l4 + 20 > end)
			return -1;
		return 0;
	case FPATH_IPPROTO_UDP:
		if (left < 8 || l4 + 8 > end)
			return -1;
		if (fpath_dhcp_port(FPATH_NTOHS(fpath_get16(l4))) ||
		    fpath_dhcp_port(FPATH_NTOHS(fpath_get16(l4 + 2))))
			return -1;
		return 0;
	case FPATH_IPPROTO_ICMP:		/* echo reply, echo request */
		if (left < 8 || l4 + 8 > end)
			return -1;
		return l4[0] == 0 || l4[0] == 8 ? 0 : -1;
	case FPATH_IPPROTO_ICMPV6:		/* echo request, echo reply */
		if (left < 8 || l4 + 8 > end)
			return -1;
		return l4[0] == 128 || l4[0] == 129 ? 0 : -1;
	default:
		return -1;
	}
}

/* fpath_parse() - the key of the frame at @data (readable up to @end, @len
 * bytes long in all) into @k, with k->ifindex left as it was; 0 when the
 * frame may take the fast path, -1 when it must take the switch. */
static inline int fpath_parse(const void *data, const void *end, __u32 len,
			   struct fpath_key *k)
{
	const __u8 *eth = data, *ip = eth + 14, *e = end;
	__u32 i, tot;

	if (ip > e || eth[0] & 1)		/* multicast, broadcast */
		return -1;
	for (i = 0; i < 6; i++) {
		k->dst[i] = eth[i];
		k->src[i] = eth[6 + i];
	}
	k->ethertype = fpath_get16(eth + 12);
	switch (FPATH_NTOHS(k->ethertype)) {
	case FPATH_ETH_IP4:
		if (ip + 20 > e || ip[0] != 0x45)	/* v4, no options */
			return -1;
		tot = FPATH_NTOHS(fpath_get16(ip + 2));
		if (tot < 20 || tot > len - 14)
			return -1;
		if (FPATH_NTOHS(fpath_get16(ip + 6)) & 0x3fff)
			return -1;			/* a fragment */
		k->proto = ip[9];
		k->saddr[0] = fpath_get32(ip + 12);
		k->daddr[0] = fpath_get32(ip + 16);
		return fpath_upper(ip + 20, e, tot - 20, k->proto);
	case FPATH_ETH_IP6:
		if (ip + 40 > e || ip[0] >> 4 != 6)
			return -1;
		tot = FPATH_NTOHS(fpath_get16(ip + 4));
		if (tot > len - 14 - 40)
			return -1;
		k->proto = ip[6];		/* no extension header */
		for (i = 0; i < 4; i++) {
			k->saddr[i] = fpath_get32(ip + 8 + 4 * i);
			k->daddr[i] = fpath_get32(ip + 24 + 4 * i);
		}
		return fpath_upper(ip + 40, e, tot, k->proto);
	default:
		return -1;
	}
}

#endif /* XENO_BPF_FASTPATH_H */

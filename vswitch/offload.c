// SPDX-License-Identifier: GPL-2.0-or-later
/* offload.c - checksum completion and TCP segmentation in software; see
 * offload.h
 *
 * Theory of operation
 * -------------------
 * A virtio front end may leave two kinds of work to whoever receives its
 * frames, and says so in the frame's virtio_net_hdr:
 *
 *   NEEDS_CSUM   the L4 checksum field holds only the pseudo-header sum;
 *                vs_offload_csum() adds the rest of the L4 bytes in place.
 *   GSO TCPV4/6  one frame of up to 64 KiB of TCP payload stands for
 *                several wire frames of at most gso_size payload bytes;
 *                vs_offload_segment() cuts it.
 *
 * Segmentation reads the headers again from the frame through a cursor
 * (hdr_len and csum_start are hints a front end may get wrong, so they
 * are not used), then for each segment copies those headers and the
 * segment's payload chunk into the caller's scratch buffer and fixes what
 * differs between segments, as Linux's tcp_gso_segment() does:
 *
 *   IPv4   total length, id (+1 per segment), header checksum
 *   IPv6   payload length
 *   TCP    sequence number (+gso_size per segment), FIN and PSH on the
 *          last segment only, CWR on the first only, full checksum
 *
 * Everything that can make the frame unusable (headers, sizes against
 * the scratch buffer and the IP length fields) is checked before the
 * first segment goes out, so a receiver never sees half a frame's
 * segments because of a bad frame; only its own emit() can stop it.
 *
 * Headers are read and written as structs of bytes: any alignment will
 * do (a frame starts wherever its back end put it), and multi-byte fields
 * go through get16()/put16() in network byte order.
 */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "cursor.h"
#include "offload.h"
#include "parse.h"

#define VLAN_TAGS_MAX	2	/* outer (802.1ad, QinQ) and inner tag */
#define IP4_FRAG_MASK	0x3fff	/* MF and fragment offset; DF may be set */
#define IP_LEN_MAX	0xffffu	/* IPv4 total / IPv6 payload length */

/* TCP flags changed per segment */
enum {
	TCP_F_FIN = 0x01,
	TCP_F_PSH = 0x08,
	TCP_F_CWR = 0x80,
};

struct eth_wire {
	uint8_t dst[6], src[6];
	uint8_t type[2];
};

struct vlan_wire {
	uint8_t tci[2];
	uint8_t type[2];	/* of what follows the tag */
};

struct ip4_wire {
	uint8_t ver_ihl;
	uint8_t tos;
	uint8_t tot_len[2];
	uint8_t id[2];
	uint8_t frag[2];	/* flags and fragment offset */
	uint8_t ttl;
	uint8_t proto;
	uint8_t check[2];
	uint8_t src[4], dst[4];
};

struct ip6_wire {
	uint8_t ver_tc_flow[4];
	uint8_t plen[2];
	uint8_t next;
	uint8_t hlim;
	uint8_t src[16], dst[16];
};

struct tcp_wire {
	uint8_t sport[2], dport[2];
	uint8_t seq[4], ack[4];
	uint8_t doff;		/* header length in 32-bit words, high nibble */
	uint8_t flags;
	uint8_t win[2], check[2], urg[2];
};

static_assert(sizeof(struct eth_wire) == 14, "Ethernet header size");
static_assert(sizeof(struct vlan_wire) == 4, "VLAN tag size");
static_assert(sizeof(struct ip4_wire) == 20, "IPv4 header size");
static_assert(sizeof(struct ip6_wire) == 40, "IPv6 header size");
static_assert(sizeof(struct tcp_wire) == 20, "TCP header size");

/* Where a GSO frame's headers are: offsets into the frame, the same in
 * every segment. */
struct gso_layout {
	uint32_t l3;		/* IPv4 or IPv6 header */
	uint32_t l4;		/* TCP header */
	uint32_t hdrs;		/* payload: length of all headers */
	bool ip6;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Add the @len bytes at @p, as big-endian 16-bit words (an odd last byte
 * padded with zero), to the ones'-complement sum @sum. Summing 32-bit
 * words into 64 bits gives the same result once folded, since 2^16 is 1
 * modulo 0xffff, and cannot overflow for any 32-bit @len. */
static uint64_t sum_bytes(const uint8_t *p, uint32_t len, uint64_t sum)
{
	uint32_t i;

	for (i = 0; len - i >= 4; i += 4)
		sum += get32(p + i);
	if (len - i >= 2) {
		sum += get16(p + i);
		i += 2;
	}
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

/* Fold @sum to 16 bits and complement it: the checksum to store. */
static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int vs_offload_csum(uint8_t *frame, uint32_t len, const struct vs_vnet_hdr *h)
{
	uint32_t start = h->csum_start, at = start + h->csum_offset;
	uint16_t c;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	if (at > len || len - at < 2)
		return -EINVAL;
	c = fold(sum_bytes(frame + start, len - start, 0));
	put16(frame + at, c ? c : 0xffff);
	return 0;
}

/* Take the Ethernet header and up to VLAN_TAGS_MAX tags; *@type is the
 * ethertype of what follows. */
static int take_eth(struct vs_cursor *c, uint16_t *type)
{
	const struct eth_wire *eth = (const void *)vs_take(c, sizeof(*eth));
	const struct vlan_wire *tag;
	unsigned n;

	if (!eth)
		return -EINVAL;
	*type = get16(eth->type);
	for (n = 0; vs_eth_vlan(*type); n++) {
		if (n == VLAN_TAGS_MAX)
			return -EOPNOTSUPP;
		tag = (const void *)vs_take(c, sizeof(*tag));
		if (!tag)
			return -EINVAL;
		*type = get16(tag->type);
	}
	return 0;
}

/* Take an IPv4 header with its options; it must carry TCP, whole. */
static int take_ip4(struct vs_cursor *c)
{
	const struct ip4_wire *ip = (const void *)vs_take(c, sizeof(*ip));
	uint32_t ihl;

	if (!ip || ip->ver_ihl >> 4 != 4)
		return -EINVAL;
	ihl = (uint32_t)(ip->ver_ihl & 0xf) * 4;
	if (ihl < sizeof(*ip) || !vs_take(c, ihl - (uint32_t)sizeof(*ip)))
		return -EINVAL;
	/* A fragment's TCP header may be elsewhere; GSO never makes one. */
	if (get16(ip->frag) & IP4_FRAG_MASK)
		return -EINVAL;
	return ip->proto == IPPROTO_TCP ? 0 : -EINVAL;
}

/* Take an IPv6 header directly followed by TCP. */
static int take_ip6(struct vs_cursor *c)
{
	const struct ip6_wire *ip = (const void *)vs_take(c, sizeof(*ip));

	if (!ip || ip->ver_tc_flow[0] >> 4 != 6)
		return -EINVAL;
	if (ip->next == IPPROTO_TCP)
		return 0;
	return vs_ip6_ext(ip->next) ? -EOPNOTSUPP : -EINVAL;
}

/* Take a TCP header with its options. */
static int take_tcp(struct vs_cursor *c)
{
	const struct tcp_wire *th = (const void *)vs_take(c, sizeof(*th));
	uint32_t doff;

	if (!th)
		return -EINVAL;
	doff = (uint32_t)(th->doff >> 4) * 4;
	if (doff < sizeof(*th) || !vs_take(c, doff - (uint32_t)sizeof(*th)))
		return -EINVAL;
	return 0;
}

/* Find the headers of GSO frame @frame/@len of @gso_type. */
static int gso_parse(const uint8_t *frame, uint32_t len, uint8_t gso_type,
		     struct gso_layout *g)
{
	struct vs_cursor c = { .base = frame, .len = len };
	uint16_t type;
	int ret;

	switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		g->ip6 = false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		g->ip6 = true;
		break;
	case VIRTIO_NET_HDR_GSO_NONE:
		return -EINVAL;		/* nothing to segment */
	default:
		return -EOPNOTSUPP;	/* UFO, USO, future types */
	}
	ret = take_eth(&c, &type);
	if (ret)
		return ret;
	if (type != (g->ip6 ? ETH_P_IPV6_ : ETH_P_IPV4_))
		return -EINVAL;
	g->l3 = c.off;
	ret = g->ip6 ? take_ip6(&c) : take_ip4(&c);
	if (ret)
		return ret;
	g->l4 = c.off;
	ret = take_tcp(&c);
	g->hdrs = c.off;
	return ret;
}

/* How many segments @payload bytes make at @mss, in *@nseg; -EINVAL when
 * the first (longest) one does not fit in @cap bytes or in the IP length
 * field. */
static int gso_plan(const struct gso_layout *g, uint32_t payload,
		    uint16_t mss, uint32_t cap, uint32_t *nseg)
{
	uint32_t chunk = payload < mss ? payload : mss;
	uint32_t iplen = g->hdrs - g->l3 + chunk;

	if (g->ip6)
		iplen -= (uint32_t)sizeof(struct ip6_wire);
	*nseg = payload ? (payload - 1) / mss + 1 : 1;
	if (*nseg > INT_MAX || iplen > IP_LEN_MAX || chunk > cap ||
	    g->hdrs > cap - chunk)
		return -EINVAL;
	return 0;
}

/* Ones'-complement sum of the TCP pseudo-header of segment @s. */
static uint64_t pseudo_sum(const uint8_t *s, const struct gso_layout *g,
			   uint32_t tcplen)
{
	uint64_t sum = IPPROTO_TCP + (uint64_t)tcplen;

	if (g->ip6) {
		const struct ip6_wire *ip = (const void *)(s + g->l3);

		sum = sum_bytes(ip->src, sizeof(ip->src), sum);
		return sum_bytes(ip->dst, sizeof(ip->dst), sum);
	} else {
		const struct ip4_wire *ip = (const void *)(s + g->l3);

		sum = sum_bytes(ip->src, sizeof(ip->src), sum);
		return sum_bytes(ip->dst, sizeof(ip->dst), sum);
	}
}

/* Fix the IP header of segment @i, @seglen bytes at @s. */
static void seg_ip(uint8_t *s, uint32_t seglen, const struct gso_layout *g,
		   uint32_t i)
{
	if (g->ip6) {
		struct ip6_wire *ip = (void *)(s + g->l3);

		put16(ip->plen, seglen - g->l3 - (uint32_t)sizeof(*ip));
	} else {
		struct ip4_wire *ip = (void *)(s + g->l3);

		put16(ip->tot_len, seglen - g->l3);
		put16(ip->id, get16(ip->id) + i);
		memset(ip->check, 0, sizeof(ip->check));
		put16(ip->check, fold(sum_bytes(s + g->l3, g->l4 - g->l3, 0)));
	}
}

/* Fix the TCP header of segment @i of @nseg, @seglen bytes at @s. */
static void seg_tcp(uint8_t *s, uint32_t seglen, const struct gso_layout *g,
		    uint32_t i, uint32_t nseg, uint16_t mss)
{
	struct tcp_wire *th = (void *)(s + g->l4);
	uint32_t tcplen = seglen - g->l4;

	/* sequence numbers wrap, as unsigned arithmetic does */
	put32(th->seq, get32(th->seq) + i * mss);
	if (i != nseg - 1)
		th->flags &= (uint8_t)~(TCP_F_FIN | TCP_F_PSH);
	if (i)
		th->flags &= (uint8_t)~TCP_F_CWR;
	memset(th->check, 0, sizeof(th->check));
	put16(th->check, fold(sum_bytes(s + g->l4, tcplen,
					pseudo_sum(s, g, tcplen))));
}

int vs_offload_segment(const uint8_t *frame, uint32_t len,
		       const struct vs_vnet_hdr *h, uint8_t *scratch,
		       uint32_t cap,
		       int (*emit)(void *arg, const uint8_t *seg, uint32_t len),
		       void *arg)
{
	uint32_t payload, nseg, i, off, chunk;
	struct gso_layout g;
	int ret;

	ret = gso_parse(frame, len, h->gso_type, &g);
	if (ret)
		return ret;
	if (!h->gso_size)
		return -EINVAL;
	payload = len - g.hdrs;
	ret = gso_plan(&g, payload, h->gso_size, cap, &nseg);
	if (ret)
		return ret;

	for (i = 0, off = 0; i < nseg; i++, off += chunk) {
		chunk = payload - off < h->gso_size ? payload - off :
						      h->gso_size;
		memcpy(scratch, frame, g.hdrs);
		memcpy(scratch + g.hdrs, frame + g.hdrs + off, chunk);
		seg_ip(scratch, g.hdrs + chunk, &g, i);
		seg_tcp(scratch, g.hdrs + chunk, &g, i, nseg, h->gso_size);
		ret = emit(arg, scratch, g.hdrs + chunk);
		if (ret)
			return ret;
	}
	return (int)nseg;
}

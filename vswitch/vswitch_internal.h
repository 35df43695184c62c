/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vswitch_internal.h - the switch's private structures, shared by
 * vswitch.c (ports, batches, delivery), policy.c (ingress checks) and
 * table.c (lookup tables). Nothing outside vswitch/ includes this.
 */
#ifndef XENO_VSWITCH_INTERNAL_H
#define XENO_VSWITCH_INTERNAL_H

#include <pthread.h>

#include "capture.h"
#include "credit.h"
#include "parse.h"
#include "vswitch.h"

/* Lookup tables: open addressing, rebuilt from the port table whenever a
 * port or address changes (control plane, between batches), so lookups on
 * the fast path are a hash and a probe or two. Sizes are powers of two at
 * least twice the most entries they can hold. */
#define TBL_MAC_SIZE	1024			/* >= 2 * VS_PORTS_MAX */
#define TBL_IP_SIZE	32768			/* >= 2 * VS_PORTS_MAX * VS_ADDRS_MAX */

struct tbl_mac_ent {
	uint64_t key;		/* MAC in the low 48 bits, bit 63 = used */
	uint16_t port;
};

struct tbl_ip4_ent {
	uint32_t addr;		/* network order; 0 = empty */
	uint16_t port;
};

struct tbl_ip6_ent {
	struct in6_addr addr;	/* :: = empty */
	uint16_t port;
};

struct vs_tables {
	struct tbl_mac_ent mac[TBL_MAC_SIZE];
	struct tbl_ip4_ent ip4[TBL_IP_SIZE];
	struct tbl_ip6_ent ip6[TBL_IP_SIZE];
};

struct vs_prefix {
	int family;
	unsigned plen;
	union {
		struct in_addr v4;	/* masked */
		struct in6_addr v6;	/* masked */
	};
};

/* The receive side of a port: what delivering to it changes. With
 * several data-plane threads (vs_switch_set_threaded), the back end's rx,
 * release and tx calls, these and the port's captures are taken under
 * .lock. The transmit side (tx_credit, held, pool, stats) belongs to the
 * one thread that polls the port. Cache lines of its own, so that threads
 * delivering to the port do not take the polling thread's lines away. */
struct vs_port_rx {
	pthread_mutex_t lock;
	struct credit credit;		/* drop */
	uint64_t packets, bytes;	/* stats.rx_packets, rx_bytes */
	uint64_t tx_error, ratelimit;	/* stats.drops[] */
} __attribute__((aligned(64)));

struct vs_port {
	struct vs_port_rx rx;		/* first: its own cache lines */

	bool used;
	enum vs_port_kind kind;
	uint8_t mac[6];
	char name[32];
	uint32_t domid, vifidx;
	const struct vs_port_ops *ops;
	void *ctx;

	struct in_addr a4[VS_ADDRS_MAX];
	unsigned n4;
	struct in6_addr a6[VS_ADDRS_MAX];
	unsigned n6;
	struct in6_addr ll6;		/* EUI-64 fe80:: address of mac */
	bool dhcp_trusted;		/* may send DHCP server messages */
	bool offer;			/* its flows may be offered (vs_offer_fn) */

	struct credit tx_credit;	/* deferral */
	struct vs_port_stats stats;	/* rx_* and the drops below: in .rx */

	/* Polled ports: a pool of VS_BATCH buffers and the frames held back
	 * for credit. Nothing is read while frames are held, so the pool
	 * slots of held frames are never handed to rx again. */
	uint8_t *pool;
	uint32_t frame_max;
	struct vs_frame held[VS_BATCH];
	unsigned nheld;

	/* Captures of the port (capture.h): ncaps is tested once per
	 * batch and port, and on drop paths, never per delivered frame. */
	struct vs_capture *caps[VS_CAPTURE_PORT_MAX];
	unsigned ncaps;

};

/* One batch's output towards one port */
struct vs_outq {
	const struct vs_frame *out[VS_BATCH];
	uint8_t out_idx[VS_BATCH];	/* index of each frame in the batch */
	unsigned nout;
};

/* The working state of one thread's batches (vswitch.h, struct vs_batch):
 * per-frame scratch, indexed by frame position in the batch, the output
 * lists, and the switch totals this thread counted. */
struct vs_batch {
	uint16_t b_queued[VS_BATCH];	/* destinations queued */
	uint16_t b_ok[VS_BATCH];	/* destinations that took the frame */
	uint16_t b_err[VS_BATCH];	/* destinations whose back end refused */
	uint16_t b_limited[VS_BATCH];	/* destinations over their rx limit */
	uint8_t b_drop[VS_BATCH];	/* why the sender's frame was dropped
					 * (set on drop paths only) */
	uint16_t touched[VS_PORTS_MAX];	/* ports with output this batch */
	unsigned ntouched;
	struct vs_stats stats;
	struct vs_outq q[VS_PORTS_MAX];
};

/* Where a frame goes, as decided by policy and lookup. */
enum vs_dest_kind {
	DEST_DROP,		/* .drop says why */
	DEST_ONE,		/* .port */
	DEST_FLOOD,		/* every port but the ingress (and the wire if !.wire) */
	DEST_WIRE_DOM0,		/* unowned ARP target: the wire and dom0 */
};

struct vs_dest {
	enum vs_dest_kind kind;
	enum vs_drop drop;
	uint16_t port;
	bool wire;		/* the wire may receive it (not isolated) */
};

struct vs_switch {
	struct vs_port ports[VS_PORTS_MAX];
	uint16_t active[VS_PORTS_MAX];	/* used port numbers, ascending */
	unsigned nactive;
	int dom0, wire;			/* port numbers or -1 */

	struct vs_prefix isolated[VS_ISOLATED_MAX];
	unsigned nisolated;

	struct vs_tables tbl;
	struct vs_stats stats;		/* injected frames, and the totals of
					 * freed batches */

	struct vs_batch *b0;		/* vs_input() and vs_port_poll() */
	struct vs_batch *batches[VS_BATCHES_MAX];	/* b0 first */
	unsigned nbatches;
	bool threaded;			/* take the ports' locks */

	uint64_t gen;			/* vs_switch_gen() */
	vs_offer_fn *offer;		/* vs_switch_set_offer() */
	void *offer_ctx;
};

/* table.c */
void vs_tables_rebuild(struct vs_switch *sw);
void vs_table_add_mac(struct vs_switch *sw, const uint8_t *mac, uint16_t port);
void vs_table_add_ip4(struct vs_switch *sw, struct in_addr a, uint16_t port);
void vs_table_add_ip6(struct vs_switch *sw, const struct in6_addr *a,
		      uint16_t port);
int vs_lookup_mac(const struct vs_switch *sw, const uint8_t *mac);
int vs_lookup_ip4(const struct vs_switch *sw, struct in_addr a);
int vs_lookup_ip6(const struct vs_switch *sw, const struct in6_addr *a);

/* policy.c */
bool vs_isolated(const struct vs_switch *sw, const struct vs_pkt *p);
void vs_decide(const struct vs_switch *sw, const struct vs_port *in,
	       const uint8_t *frame, uint32_t caplen, uint32_t len,
	       struct vs_dest *d);

static inline uint64_t mac_key(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 |
	       (uint64_t)m[2] << 24 | (uint64_t)m[3] << 16 |
	       (uint64_t)m[4] << 8 | (uint64_t)m[5];
}

static inline uint16_t port_no(const struct vs_switch *sw,
			       const struct vs_port *p)
{
	return (uint16_t)(p - sw->ports);
}

#endif /* XENO_VSWITCH_INTERNAL_H */

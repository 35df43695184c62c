/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vswitch.h - the VFR: xeno's virtual switch as a library
 *
 * Theory of operation
 * -------------------
 * The switch joins ports: dom0 (privileged, at most one), the wire (at most
 * one, optional) and domain vifs. A back end owns each port's I/O and
 * implements struct vs_port_ops. Frames enter the switch in batches, either
 * pushed by the caller (vs_input()) or pulled from a back end
 * (vs_port_poll()). For every frame the switch
 *
 *   parses it (parse.h) -> applies the ingress policy of the port kind
 *   (DESIGN.md §4) -> charges transmit credit (credit.h, §5) -> looks up
 *   destinations (MAC, ARP target owner, flood) -> delivers
 *
 * and then hands each destination port one batch through its tx op. Output
 * is one copy per frame, done by the destination back end; the switch never
 * allocates while forwarding.
 *
 * When a vif runs out of transmit credit, the frame that did not fit and
 * everything behind it stay where they are (deferred, not dropped): the
 * caller of vs_input() gets the number of frames consumed, and a polled port
 * keeps the rest in its held batch until the next refill.
 *
 * Accounting invariant: each frame taken in is counted once in
 * stats.in_frames and then, exactly once, in stats.delivered (it reached one
 * or more ports) or in stats.drops[reason].
 *
 * Threading: by default a struct vs_switch belongs to one thread (xend's
 * data plane) and nothing here locks. Several threads may poll ports of
 * one switch once vs_switch_set_threaded() said so, each with its own
 * struct vs_batch and each port polled by one thread only: a port's back
 * end is then called under its lock (rx and release by its polling
 * thread, tx by any thread that delivers to it), one lock at a time, so
 * threads never wait on each other in a cycle. Control changes (vifs,
 * addresses, limits, reading the counters) are made while no thread is
 * in a batch.
 */
#ifndef XENO_VSWITCH_H
#define XENO_VSWITCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credit.h"

/* Frames per batch: vs_input() takes at most this many, a polled port
 * holds at most this many. */
#define VS_BATCH		64
#define VS_PORTS_MAX		256
#define VS_ADDRS_MAX		64	/* IPv4 and IPv6 addresses per port */
#define VS_ISOLATED_MAX		8	/* isolated prefixes */
#define VS_FRAME_MIN		14	/* Ethernet header */
#define VS_FRAME_MAX_DEFAULT	(65536 + 64)	/* GSO frames cross whole */
#define VS_NO_PORT		0xffff
#define VS_BATCHES_MAX		17	/* vs_batch_new(): 16 threads' + b0 */

/* The virtio-net header carried with a frame (virtio_net_hdr_mrg_rxbuf
 * layout, little endian as virtio 1.0 defines it). All zero = plain frame. */
struct vs_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* One frame. @data points at the Ethernet header and stays owned by
 * whoever filled it in (a back end or the switch's port pool).
 *
 * A frame may come in two pieces: its first @len - @tail_len bytes at
 * @data and the rest at @tail. A vhost-user port hands the switch a big
 * frame so: a private copy of its headers, which the policy judges, and
 * the payload where it lies in the sending guest's memory, copied once,
 * by the receiving back end. The guest can rewrite its buffer at any time,
 * so the headers that were judged are the ones delivered. Back ends write
 * both pieces (vs_frame_gather() makes one buffer of them). */
struct vs_frame {
	uint8_t *data;
	const uint8_t *tail;	/* the last @tail_len bytes, or NULL */
	uint32_t len;		/* the whole frame, tail included */
	uint32_t cap;		/* bytes available at data (rx fills up to it) */
	uint32_t tail_len;
	struct vs_vnet_hdr vnet;
};

/* vs_frame_head_len() - the bytes of @f at f->data. */
static inline uint32_t vs_frame_head_len(const struct vs_frame *f)
{
	return f->len - f->tail_len;
}

/* vs_frame_gather() - copy frame @f whole into @dst (@cap bytes). Returns
 * its length, or 0 if it does not fit. */
uint32_t vs_frame_gather(const struct vs_frame *f, uint8_t *dst, uint32_t cap);

enum vs_port_kind {
	VS_PORT_DOM0,
	VS_PORT_WIRE,
	VS_PORT_VIF,
};

/* Drop reasons. Keep in step with vs_drop_names[] (static_assert). The
 * ingress reasons (decided before credit is charged) come first, up to
 * VS_DROP_ISOLATED_FROM_WIRE; counters are reported by name, so a reason
 * may be inserted among them. */
enum vs_drop {
	VS_DROP_SPOOF_MAC,		/* Ethernet source is not the vif's MAC */
	VS_DROP_BAD_ETHERTYPE,		/* domains send IPv4, ARP, IPv6 only */
	VS_DROP_MALFORMED,		/* truncated or inconsistent headers */
	VS_DROP_SPOOF_ARP,		/* ARP sender MAC/IP not the vif's */
	VS_DROP_SPOOF_IP,		/* IPv4/IPv6 source not the vif's */
	VS_DROP_RA_GUARD,		/* RA/Redirect from a domain, or an IPv6
					 * header chain that may hide one */
	VS_DROP_SPOOF_ND,		/* NS/NA target or NS/NA/RS lladdr not the vif's */
	VS_DROP_DHCP_GUARD,		/* DHCP/DHCPv6 server message from an untrusted vif */
	VS_DROP_ISOLATED_FROM_WIRE,	/* isolated (link-local) frame from the wire */
	VS_DROP_ISOLATED_TO_WIRE,	/* isolated frame whose only way out is the wire */
	VS_DROP_NO_ROUTE,		/* no port to deliver to */
	VS_DROP_RX_RATELIMIT,		/* over the destination's receive limit */
	VS_DROP_TX_ERROR,		/* every destination back end refused it */
	VS_DROP__MAX
};

extern const char *const vs_drop_names[VS_DROP__MAX];

/* Per-port counters, from the domain's point of view: tx = frames the
 * port sent into the switch and that passed its ingress policy, rx = frames
 * the switch delivered to the port. drops[] counts frames sent by this port
 * and dropped for an ingress or routing reason, plus frames meant for this
 * port and dropped as rx_ratelimit or tx_error. */
struct vs_port_stats {
	uint64_t in_packets;		/* every frame taken from the port */
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_packets, rx_bytes;
	uint64_t drops[VS_DROP__MAX];
	uint64_t throttled;		/* times the port was deferred for credit */
};

/* Switch-wide counters; see the accounting invariant above. */
struct vs_stats {
	uint64_t in_frames;
	uint64_t delivered;
	uint64_t drops[VS_DROP__MAX];
};

/* What a back end implements. Every op gets the @ctx given to
 * vs_port_add(). All ops are called from a thread of the switch, under
 * the port's lock when it is threaded.
 *
 * tx:      transmit @n frames (copy them out; they are only borrowed).
 *          Return how many were taken, as a prefix: frames [ret, n) count
 *          as tx_error on this port. Required.
 * rx:      fill up to @max frames for vs_port_poll(). frames[i].data points
 *          at a switch buffer of frames[i].cap bytes; the back end may
 *          instead point it at its own memory, valid until release().
 *          Return the number filled (0: nothing ready), or -errno.
 *          Optional (ports fed through vs_input() leave it NULL).
 * release: the switch is done with the oldest @n frames returned by rx
 *          (in order). Optional.
 */
struct vs_port_ops {
	unsigned (*tx)(void *ctx, const struct vs_frame *const *frames,
		       unsigned n);
	int (*rx)(void *ctx, struct vs_frame *frames, unsigned max);
	void (*release)(void *ctx, unsigned n);
};

/* Port configuration for vs_port_add(). */
struct vs_port_config {
	enum vs_port_kind kind;
	uint8_t mac[6];			/* vifs: must be unicast */
	const char *name;		/* for logs and stats, e.g. "vif1.0" */
	uint32_t domid;			/* vifs: domain id; dom0: 0 */
	uint32_t vifidx;
	uint32_t frame_max;		/* pool buffer size; 0 = default */
	bool dhcp_trusted;		/* vifs: may send DHCP/DHCPv6 server
					 * messages (see vs_port_set_dhcp_trusted) */
	const struct vs_port_ops *ops;
	void *ctx;
};

struct vs_switch;

/* vs_switch_new() - a switch with no ports and the default isolated
 * prefix 169.254.0.0/16. Returns NULL on allocation failure. */
struct vs_switch *vs_switch_new(void);

/* vs_switch_free() - free the switch and its port pools. Accepts NULL.
 * Back ends are not told; remove their ports first if they care. */
void vs_switch_free(struct vs_switch *sw);

/* vs_port_add() - attach a port. Returns the port number (>= 0) or
 * -EINVAL (bad config: multicast vif MAC, missing tx op), -EEXIST (a
 * second dom0 or wire, or a vif MAC already in use), -ENOSPC, -ENOMEM. */
int vs_port_add(struct vs_switch *sw, const struct vs_port_config *cfg);

/* vs_port_del() - detach a port; its held frames are released, its
 * addresses forgotten. Returns 0 or -ENOENT. */
int vs_port_del(struct vs_switch *sw, unsigned port);

/* vs_port_find() - the port number of domain @domid's vif @vifidx
 * (dom0: kind VS_PORT_DOM0 is found with domid 0), or -ENOENT. */
int vs_port_find(const struct vs_switch *sw, uint32_t domid, uint32_t vifidx);

/* vs_port_by_kind() - the dom0 or wire port number, or -ENOENT. */
int vs_port_by_kind(const struct vs_switch *sw, enum vs_port_kind kind);

/* vs_port_set_mac() - change a port's MAC (dom0 follows its TAP).
 * Returns 0, -ENOENT, -EINVAL or -EEXIST. */
int vs_port_set_mac(struct vs_switch *sw, unsigned port, const uint8_t mac[6]);

/* vs_port_set_dhcp_trusted() - mark a vif as a trusted DHCP server, or
 * not (the default). An untrusted vif's DHCP server messages (IPv4 UDP
 * 67 -> 68) and DHCPv6 server messages (UDP 547 -> 546) are dropped as
 * dhcp_guard, after its source address checks and before transmit credit
 * (DESIGN.md §4 check 7). dom0 and the wire are never subject to it; the
 * flag is accepted, and ignored, on them. Returns 0 or -ENOENT. */
int vs_port_set_dhcp_trusted(struct vs_switch *sw, unsigned port, bool on);

/* Address sets. An address is owned by one port: ARP for it is delivered
 * there, and (for vifs) it is an allowed source. Returns 0, -ENOENT (no
 * port / no such address on del), -EEXIST (owned by another port; adding
 * an address the port already has is a no-op returning 0), -ENOSPC, or
 * -EINVAL (unspecified, multicast or broadcast address). */
int vs_addr4_add(struct vs_switch *sw, unsigned port, struct in_addr a);
int vs_addr4_del(struct vs_switch *sw, unsigned port, struct in_addr a);
int vs_addr6_add(struct vs_switch *sw, unsigned port, const struct in6_addr *a);
int vs_addr6_del(struct vs_switch *sw, unsigned port, const struct in6_addr *a);

/* vs_addr4_list()/vs_addr6_list() - copy up to @max of the port's
 * addresses to @out; return how many the port has, or -ENOENT. */
int vs_addr4_list(const struct vs_switch *sw, unsigned port,
		  struct in_addr *out, unsigned max);
int vs_addr6_list(const struct vs_switch *sw, unsigned port,
		  struct in6_addr *out, unsigned max);

/* Isolated prefixes (default: 169.254.0.0/16). @family is AF_INET or
 * AF_INET6, @addr a struct in_addr or in6_addr. vs_isolated_clear()
 * removes all, vs_isolated_add() returns 0, -EINVAL or -ENOSPC. */
void vs_isolated_clear(struct vs_switch *sw);
int vs_isolated_add(struct vs_switch *sw, int family, const void *addr,
		    unsigned plen);

/* Rate limits of a port (vifs; allowed on any port). Transmit: @bytes of
 * credit every @usecs and optionally at most @packets frames per period
 * (0 = no packet limit; with @bytes 0, frames are the only limit); 0
 * usecs, or 0 bytes and 0 packets, = unlimited. Over-limit frames are
 * deferred. Receive: same shape, over-limit frames dropped as
 * rx_ratelimit. A change takes effect at the next refill, and that comes
 * no later than @usecs after the change (immediately when the port was
 * unlimited or becomes unlimited): a throttled port's wakeup time moves
 * up with it, so a caller waiting on vs_port_throttled() should ask again
 * after a change. Returns 0, -ENOENT or -EINVAL. */
int vs_port_set_tx_limit(struct vs_switch *sw, unsigned port, uint64_t bytes,
			 uint64_t usecs, uint64_t packets, uint64_t now);
int vs_port_set_rx_limit(struct vs_switch *sw, unsigned port, uint64_t bytes,
			 uint64_t usecs, uint64_t packets, uint64_t now);

/* vs_port_limits() - current settings and state of a port's limiters. */
int vs_port_limits(const struct vs_switch *sw, unsigned port,
		   struct credit_info *tx, struct credit_info *rx);

/* vs_port_inject() - send frames the switch itself makes (the consoles'
 * datagrams to dom0) out of @port at time @now, bypassing policy and
 * lookup: counted as taken in and delivered (or dropped as tx_error) like
 * any frame, and in the port's rx counters. At most VS_BATCH frames per
 * call; returns how many were taken, or -ENOENT. */
int vs_port_inject(struct vs_switch *sw, unsigned port,
		   const struct vs_frame *frames, unsigned n, uint64_t now);

/* vs_input() - switch @n (<= VS_BATCH) frames that arrived on @port at
 * time @now (nanoseconds, any monotonic origin). Frames are borrowed:
 * they may be reused once this returns. Returns how many frames were
 * consumed, in order; fewer than @n only when the port ran out of transmit
 * credit, and the caller keeps frames [ret, n) for vs_port_wakeup().
 * Returns -ENOENT for an unknown port, -EINVAL for n > VS_BATCH. */
int vs_input(struct vs_switch *sw, unsigned port, const struct vs_frame *frames,
	     unsigned n, uint64_t now);

/* vs_port_poll() - for ports with an rx op: switch the held frames, then
 * read and switch new batches until the back end has nothing ready, the
 * port is throttled, or @budget frames were read (0 = VS_BATCH).
 * Returns frames switched (>= 0) or the back end's -errno. */
int vs_port_poll(struct vs_switch *sw, unsigned port, uint64_t now,
		 unsigned budget);

/* Several threads (see Threading above). vs_batch_new() makes the
 * working state of one more thread's batches (NULL: out of memory, or
 * VS_BATCHES_MAX reached); vs_batch_free() folds its counters into the
 * switch's. vs_port_poll_batch() and vs_input_batch() are vs_port_poll() and
 * vs_input() with batch @b.
 * vs_switch_set_threaded() turns the ports' locks on or off (no thread
 * in a batch meanwhile); vs_port_lock()/vs_port_unlock() take a port's
 * lock around other calls into its back end (no-ops unless threaded). */
struct vs_batch;
struct vs_batch *vs_batch_new(struct vs_switch *sw);
void vs_batch_free(struct vs_switch *sw, struct vs_batch *b);
int vs_port_poll_batch(struct vs_switch *sw, struct vs_batch *b,
		       unsigned port, uint64_t now, unsigned budget);
int vs_input_batch(struct vs_switch *sw, struct vs_batch *b, unsigned port,
		   const struct vs_frame *frames, unsigned n, uint64_t now);
void vs_switch_set_threaded(struct vs_switch *sw, bool on);
void vs_port_lock(struct vs_switch *sw, unsigned port);
void vs_port_unlock(struct vs_switch *sw, unsigned port);

/* Captures (capture.h). A port copies into each capture attached to it
 * what it sent that passed policy, what was delivered to it, and (when
 * the capture takes drops) what was dropped of either, with the reason.
 * vs_port_capture_add() returns 0, -ENOENT or -ENOSPC (already
 * VS_CAPTURE_PORT_MAX); vs_port_capture_del() returns 0 or -ENOENT (the
 * port, or the capture on it, is gone). Once del returns, or the port was
 * deleted (which marks its captures detached), the switch no longer
 * touches the capture. */
struct vs_capture;
int vs_port_capture_add(struct vs_switch *sw, unsigned port,
			struct vs_capture *c);
int vs_port_capture_del(struct vs_switch *sw, unsigned port,
			const struct vs_capture *c);

/* Offers to a fast path (hypervisor/fastpath.c). When a frame from a vif
 * whose ports both said yes with vs_port_set_offer() goes to that one
 * other vif, neither port having a rate limit or a capture, the switch
 * calls the offer function with the two port numbers and the frame, from
 * the thread switching it and before the frame is transmitted: the
 * frame's verdict may be cached, by what decided it, for frames like it.
 * Such a cache must be emptied whenever vs_switch_gen() changes: every
 * call that can change a verdict (ports, MACs, addresses, isolated
 * prefixes, limits, captures, DHCP trust, offers) moves it on.
 * vs_port_set_offer() returns 0 or -ENOENT. */
typedef void vs_offer_fn(void *ctx, unsigned in, unsigned out,
			 const struct vs_frame *f);
void vs_switch_set_offer(struct vs_switch *sw, vs_offer_fn *fn, void *ctx);
int vs_port_set_offer(struct vs_switch *sw, unsigned port, bool on);
uint64_t vs_switch_gen(const struct vs_switch *sw);

/* vs_port_add_offloaded() - count what a fast path carried as the switch
 * counts its own frames: @tx_packets frames (@tx_bytes) that port @port
 * sent, each taken in and delivered to one port, and @rx_packets
 * (@rx_bytes) delivered to it. 0 or -ENOENT. */
int vs_port_add_offloaded(struct vs_switch *sw, unsigned port,
			  uint64_t tx_packets, uint64_t tx_bytes,
			  uint64_t rx_packets, uint64_t rx_bytes);

/* vs_port_throttled() - true when the port is waiting for credit; then
 * *@wakeup is the time of the next refill. Back ends stop reading it until
 * then (back-pressure). */
bool vs_port_throttled(const struct vs_switch *sw, unsigned port,
		       uint64_t *wakeup);

/* Counters. vs_port_stats() returns 0 or -ENOENT. */
int vs_port_stats(const struct vs_switch *sw, unsigned port,
		  struct vs_port_stats *out);
void vs_switch_stats(const struct vs_switch *sw, struct vs_stats *out);

/* vs_port_info() - kind, MAC, name, ids of a port; 0 or -ENOENT. The name
 * pointer stays valid while the port exists. */
struct vs_port_info {
	enum vs_port_kind kind;
	uint8_t mac[6];
	const char *name;
	uint32_t domid, vifidx;
};
int vs_port_info(const struct vs_switch *sw, unsigned port,
		 struct vs_port_info *out);

/* vs_mac_default() - the default vif MAC of DESIGN.md §3:
 * aa:00:00 + 3 bytes of a hash of (name, domid, vifidx). */
void vs_mac_default(const char *name, uint32_t domid, uint32_t vifidx,
		    uint8_t mac[6]);

/* vs_mac_parse()/vs_mac_format() - "aa:00:00:12:34:56" <-> bytes.
 * parse returns 0 or -EINVAL; format writes 18 bytes incl. NUL. */
int vs_mac_parse(const char *s, uint8_t mac[6]);
void vs_mac_format(const uint8_t mac[6], char out[18]);

#endif /* XENO_VSWITCH_H */

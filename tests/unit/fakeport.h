/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakeport.h - a fake port back end, frame builders and a small test bed
 * for the switch unit tests
 *
 * A struct fakeport implements struct vs_port_ops in memory: tx copies
 * every frame it is given into a log (so a test can ask "what did port X
 * receive, in which order"), and can be told to refuse frames to simulate
 * a failing back end; rx hands out frames queued with fp_rx_push() for
 * vs_port_poll() tests and counts release() calls.
 *
 * The frame builders write complete, well-formed frames (lengths and
 * checksums filled in) into a caller's buffer and return their length;
 * truncated variants are made by passing a shorter length to vs_input().
 *
 * struct testbed wires a switch with dom0, an optional wire and up to
 * TB_VIFS vifs with fixed, predictable MACs and addresses:
 *
 *     dom0     02:d0:00:00:00:00   169.254.1.0   10.0.0.254   2001:db8::fe
 *     vif N    aa:00:00:00:00:0N   169.254.1.N   10.0.0.N     2001:db8::N
 *     wire     02:ee:00:00:00:00   (no addresses)
 *
 * Time is virtual: every call takes @now in nanoseconds.
 */
#ifndef XENO_TEST_FAKEPORT_H
#define XENO_TEST_FAKEPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch.h"

#define FP_ACCEPT_ALL	0xffffffffu
#define FP_RXQ_MAX	4096
#define FP_FRAME_BUF	2048		/* builders never write more */

/* One frame as the fake back end saw it leave the switch. */
struct fp_rec {
	uint8_t *data;
	uint32_t len;
	uint64_t seq;		/* fp_seq() of the frame, or 0 */
	const struct vs_frame *src;	/* the switch's frame (tx only) */
};

struct fakeport {
	const char *name;

	/* tx: a log of every frame taken, in order */
	struct fp_rec *log;
	size_t nlog, caplog;
	bool keep_data;		/* copy frame bytes into the log (default) */
	unsigned accept;	/* frames taken per tx call; FP_ACCEPT_ALL */
	uint64_t tx_calls;
	uint64_t tx_refused;	/* frames offered but not taken */
	unsigned max_batch;	/* most frames seen in one tx call */

	/* rx: frames handed to vs_port_poll() */
	struct fp_rec rxq[FP_RXQ_MAX];
	size_t rx_head, rx_tail;	/* queued: [rx_head, rx_tail) */
	size_t rx_handed;		/* given to the switch so far */
	size_t rx_released;		/* of which the switch released */
	bool rx_own_memory;		/* point frames at our memory */
	int rx_error;			/* next rx call returns this (-errno) */
	uint64_t rx_calls;
};

extern const struct vs_port_ops fp_ops;

void fp_init(struct fakeport *fp, const char *name);
void fp_free(struct fakeport *fp);
/* Forget the tx log (counters stay). */
void fp_clear(struct fakeport *fp);
/* Queue a copy of a frame for rx. */
void fp_rx_push(struct fakeport *fp, const uint8_t *data, uint32_t len);
size_t fp_rx_queued(const struct fakeport *fp);

/* Sequence numbers: frames built with fp_seq_stamp() carry a 64-bit
 * number in their last 8 bytes; fp_seq() reads it back (0 if too short). */
void fp_seq_stamp(uint8_t *frame, uint32_t len, uint64_t seq);
uint64_t fp_seq(const uint8_t *frame, uint32_t len);

/* Addresses and MACs --------------------------------------------------*/

struct in_addr fp_ip4(const char *s);
struct in6_addr fp_ip6(const char *s);
void fp_eui64_ll6(const uint8_t mac[6], struct in6_addr *out);
/* Solicited-node multicast address and its MAC. */
void fp_snm6(const struct in6_addr *target, struct in6_addr *out);
void fp_mcast6_mac(const struct in6_addr *a, uint8_t mac[6]);

extern const uint8_t FP_MAC_BCAST[6];
extern const uint8_t FP_MAC_ZERO[6];
/* A router out on the wire, and a MAC no port of the test bed owns */
extern const uint8_t FP_MAC_GW[6];
extern const uint8_t FP_MAC_EVIL[6];

/* Frame builders: each writes into @buf (>= FP_FRAME_BUF bytes) and
 * returns the frame length. MACs in, addresses in network order. ----*/

uint32_t fb_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type, uint32_t payload);
uint32_t fb_arp(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		uint16_t op, const uint8_t sha[6], struct in_addr spa,
		const uint8_t tha[6], struct in_addr tpa);
/* ARP request: broadcast, sha = src */
uint32_t fb_arp_req(uint8_t *buf, const uint8_t src[6], struct in_addr spa,
		    struct in_addr tpa);
uint32_t fb_arp_reply(uint8_t *buf, const uint8_t dst[6],
		      const uint8_t src[6], struct in_addr spa,
		      struct in_addr tpa);
/* IPv4 with @proto and @plen payload bytes (zero) after the header. */
uint32_t fb_ip4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		struct in_addr s, struct in_addr d, uint8_t proto,
		uint32_t plen);
uint32_t fb_udp4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		 struct in_addr s, struct in_addr d, uint16_t sport,
		 uint16_t dport, uint32_t plen);
/* A UDP datagram whose contents do not matter to the test: 1000 -> 2000,
 * 32 bytes of payload. */
uint32_t fb_dgram4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		   struct in_addr s, struct in_addr d);
uint32_t fb_icmp4(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		  struct in_addr s, struct in_addr d);
/* DHCPDISCOVER: 0.0.0.0:68 -> 255.255.255.255:67, broadcast */
uint32_t fb_dhcp(uint8_t *buf, const uint8_t src[6]);
/* IPv6 with next header @nh and @plen payload bytes (zero). */
uint32_t fb_ip6(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		const struct in6_addr *s, const struct in6_addr *d,
		uint8_t nh, uint32_t plen);
uint32_t fb_udp6(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		 const struct in6_addr *s, const struct in6_addr *d);
/* ICMPv6 of @type with @body (after the 4-byte type/code/checksum) and
 * the checksum filled in. */
uint32_t fb_icmp6(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		  const struct in6_addr *s, const struct in6_addr *d,
		  uint8_t type, const uint8_t *body, uint32_t blen);
/* Neighbour Solicitation for @target, with a source link-layer option
 * when @sll is not NULL. @s == :: makes a DAD probe (to the target's
 * solicited-node group). Otherwise it goes to the solicited-node group
 * too, from @src_mac. */
uint32_t fb_ns(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s, const struct in6_addr *target,
	       const uint8_t *sll);
/* Neighbour Advertisement for @target, to all-nodes, with a target
 * link-layer option when @tll is not NULL. */
uint32_t fb_na(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s, const struct in6_addr *target,
	       const uint8_t *tll);
/* Router Advertisement (to all-nodes, with an SLLA option) */
uint32_t fb_ra(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s);
uint32_t fb_rs(uint8_t *buf, const uint8_t src_mac[6],
	       const struct in6_addr *s);
/* Redirect to @dst_mac (unicast) */
uint32_t fb_redirect(uint8_t *buf, const uint8_t dst_mac[6],
		     const uint8_t src_mac[6], const struct in6_addr *s,
		     const struct in6_addr *d, const struct in6_addr *target,
		     const struct in6_addr *dest);
/* Put an IPv6 extension header of type @nh and @hlen bytes (>= 8; a
 * multiple of 8, of 4 for AH) in front of the extension header chain of
 * the IPv6 frame in @buf of @len bytes, with the length field its type
 * uses (PadN inside options); a fragment header gets offset and flags
 * @frag (1: first fragment, more follow). Returns the new length. The
 * upper-layer checksum is not touched (the pseudo-header does not cover
 * extension headers). */
uint32_t fb_ip6_ext(uint8_t *buf, uint32_t len, uint8_t nh, uint32_t hlen,
		    uint16_t frag);
/* Insert an 802.1Q tag (VID @vid) after the MAC addresses of the frame
 * in @buf of @len bytes; returns the new length. */
uint32_t fb_vlan(uint8_t *buf, uint32_t len, uint16_t vid);

/* Test bed --------------------------------------------------------------*/

#define TB_VIFS		4

struct testbed {
	struct vs_switch *sw;
	struct fakeport dom0, wire, vif[TB_VIFS + 1];	/* vif[1..] */
	int p_dom0, p_wire, p_vif[TB_VIFS + 1];
	unsigned nvifs;
	uint8_t dom0_mac[6], wire_mac[6], vif_mac[TB_VIFS + 1][6];
	struct in_addr dom0_ll, dom0_ip;
	struct in_addr vif_ll[TB_VIFS + 1], vif_ip[TB_VIFS + 1];
	struct in6_addr dom0_ip6, vif_ip6[TB_VIFS + 1], vif_ll6[TB_VIFS + 1];
	uint64_t now;		/* virtual clock of tb_send_*() (ns) */
};

/* tb_setup() - a switch with dom0, @nvifs vifs and, if @wire, a wire;
 * addresses as in the table above. Fails the test on error. */
void tb_setup(struct testbed *tb, unsigned nvifs, bool wire);
void tb_teardown(struct testbed *tb);
/* tb_new() - a test bed on the heap, set up as by tb_setup(); the caller
 * owns it and gives it back with tb_free(), which accepts NULL. */
struct testbed *tb_new(unsigned nvifs, bool wire);
void tb_free(struct testbed *tb);

/* cmocka fixtures: *state is a tb_new(3, wire) bed, with or without the
 * wire, freed by tb_fixture_free(). TB_TEST() and TB_TEST_NOWIRE() name a
 * test that runs on one. */
int tb_fixture_wire(void **state);
int tb_fixture_nowire(void **state);
int tb_fixture_free(void **state);
#define TB_TEST(f)	\
	cmocka_unit_test_setup_teardown(f, tb_fixture_wire, tb_fixture_free)
#define TB_TEST_NOWIRE(f) \
	cmocka_unit_test_setup_teardown(f, tb_fixture_nowire, tb_fixture_free)

/* Shorthands for the bed of the running test, a `struct testbed *tb` in
 * scope: the switch, port numbers, and the fake ports behind them. */
#define SW	(tb->sw)
#define DOM0	(tb->p_dom0)
#define WIRE	(tb->p_wire)
#define VIF(i)	(tb->p_vif[i])
#define FDOM0	(&tb->dom0)
#define FWIRE	(&tb->wire)
#define FVIF(i)	(&tb->vif[i])

/* All fake ports of the bed, for loops: dom0, wire (if any), vifs. */
unsigned tb_ports(struct testbed *tb, struct fakeport **fps, int *nos);
void tb_clear_logs(struct testbed *tb);

/* Send one frame into @port at @now; returns vs_input()'s result. */
int tb_send(struct testbed *tb, int port, const uint8_t *frame, uint32_t len,
	    uint64_t now);

/* Counter snapshots, to check what one frame did. */
struct tb_snap {
	struct vs_stats sw;
	struct vs_port_stats port[VS_PORTS_MAX];
	bool used[VS_PORTS_MAX];
};

void tb_snap(const struct testbed *tb, struct tb_snap *s);

/* Assert that since @before exactly one frame came in on @in and was
 * dropped for @why: the switch's and @charged's drops[why] went up by
 * one, no other drop counter anywhere moved, nothing was delivered and
 * no fake port received anything (@tx_before: total frames logged by all
 * fake ports at the snapshot, from tb_logged()). */
void tb_expect_drop(const struct testbed *tb, const struct tb_snap *before,
		    int charged, enum vs_drop why, size_t tx_before);
/* Assert that since @before exactly one frame came in and was delivered,
 * no drop counter moved. */
void tb_expect_delivered(const struct testbed *tb,
			 const struct tb_snap *before);
size_t tb_logged(const struct testbed *tb);

/* tb_send_drop() - send one frame from @port and assert it was dropped
 * for @why, charged to port @charged (see tb_expect_drop()). */
void tb_send_drop(struct testbed *tb, int port, const uint8_t *frame,
		  uint32_t len, int charged, enum vs_drop why);
/* tb_send_deliver() - send one frame from @port and assert it was
 * delivered to exactly the fake ports listed (NULL-terminated), one
 * unchanged copy each, and to no other. */
void tb_send_deliver(struct testbed *tb, int port, const uint8_t *frame,
		     uint32_t len, ...);

/* in_frames == delivered + sum(drops) */
void tb_expect_invariant(const struct testbed *tb);

/* Did @fp's log get a copy of (@frame, @len) since index @from? */
bool fp_got(const struct fakeport *fp, size_t from, const uint8_t *frame,
	    uint32_t len);

#endif /* XENO_TEST_FAKEPORT_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dataplane.h - xend's data-plane threads: own the vswitch and its ports
 *
 * Each thread runs an epoll loop over the file descriptors of the ports it
 * reads, a timer for their credit refills, and an eventfd: control
 * commands for thread 0, "park" requests for the others. The switch and
 * every port back end belong to the data plane; the control plane (the
 * main thread) reaches them only through xend_dp_call(), which runs a
 * function on thread 0 while every other thread waits between batches,
 * and waits for its result. With one thread the fast path takes no locks;
 * with several, a port's back end is called under its lock (vswitch.h).
 *
 * Ports whose tx credit runs out are taken out of the epoll set until
 * their refill time (back-pressure: the TAP queue fills, nothing is read
 * or dropped by us).
 */
#ifndef XENO_DATAPLANE_H
#define XENO_DATAPLANE_H

#include <stdint.h>

#include "port_vhost_user.h"
#include "vswitch.h"

struct xend_dp;

/* A function run on the data-plane thread by xend_dp_call(). @now is the
 * data plane's clock (CLOCK_MONOTONIC, ns). Its return value is passed
 * back to the caller. */
typedef int (*xend_dp_fn)(struct vs_switch *sw, void *arg, uint64_t now);

/* xend_dp_new() - create the switch and start @nthreads data-plane
 * threads (1..XEND_DP_THREADS_MAX). Each port is read by one of them, the
 * one with the fewest ports when it is attached. Returns NULL with errno
 * set on failure. */
#define XEND_DP_THREADS_MAX	16
struct xend_dp *xend_dp_new(unsigned nthreads);

/* xend_dp_threads() - how many threads. */
unsigned xend_dp_threads(const struct xend_dp *dp);

/* xend_dp_port_thread() - the thread that reads port @port, or -ENOENT.
 * Call it from the thread that attaches and detaches ports (or from a
 * function run by xend_dp_call()). */
int xend_dp_port_thread(const struct xend_dp *dp, unsigned port);

/* xend_dp_set_poll() - after a round that had frames, keep polling the
 * ports (epoll with no wait) for @usecs before sleeping; 0 (the default)
 * sleeps at once. Polling spares the wake-up of the data-plane thread
 * when frames come closer together than @usecs (the round trip of a
 * request and its answer), at the price of a busy core while they do.
 * At most XEND_DP_POLL_MAX_US. Returns 0 or -errno. */
#define XEND_DP_POLL_MAX_US	100000
int xend_dp_set_poll(struct xend_dp *dp, unsigned usecs);

/* xend_dp_set_nice() - the data-plane threads' nice value (-20..19).
 * xend runs it at XEND_DP_NICE by default, above the domains' own
 * processes, as ovs-ctl runs ovs-vswitchd and as the kernel's bridge
 * forwards in softirq: a switch starved by the traffic it carries loses
 * that traffic. Returns 0 or -errno (-EPERM, -EACCES without
 * CAP_SYS_NICE: the thread keeps its nice value). */
#define XEND_DP_NICE	(-10)
int xend_dp_set_nice(struct xend_dp *dp, int nice);

/* xend_dp_fastpath() - the kernel fast path (fastpath.h), started on
 * first use: its programs loaded and the switch offering flows to it.
 * Returns NULL with a reason in @why when it cannot start (no BPF here,
 * or no CAP_BPF). Call it from the control plane. The data plane folds
 * its counters and syncs its flows around every xend_dp_call(), and frees
 * it with itself. xend_dp_fastpath_get() returns it if started, or NULL. */
struct xend_fp;
struct xend_fp *xend_dp_fastpath(struct xend_dp *dp, char *why, size_t whylen);
struct xend_fp *xend_dp_fastpath_get(const struct xend_dp *dp);

/* xend_dp_free() - stop the thread, detach and close every port, free
 * the switch. Accepts NULL. Persistent TAP devices stay (domains survive a
 * restart of xend). */
void xend_dp_free(struct xend_dp *dp);

/* xend_dp_call() - run @fn(sw, @arg, now) on the data-plane thread and
 * return its result. Blocks the caller until done. Safe from any thread
 * except the data-plane thread itself. */
int xend_dp_call(struct xend_dp *dp, xend_dp_fn fn, void *arg);

/* xend_dp_attach_tap() - attach an open TAP fd (IFF_TAP|IFF_NO_PI|
 * IFF_VNET_HDR, see port_tap.h) as a port described by @cfg (kind, MAC,
 * name, domid, vifidx; ops/ctx are filled in here). The data plane owns
 * @fd from now on, also on failure. Returns the port number or -errno. */
int xend_dp_attach_tap(struct xend_dp *dp, int fd,
		       const struct vs_port_config *cfg);

/* xend_dp_attach_wire() - attach network interface @ifname as the wire
 * (AF_PACKET, TPACKET_V3 receive ring, promiscuous). Returns the port
 * number or -errno (-ENODEV for an unknown interface). */
int xend_dp_attach_wire(struct xend_dp *dp, const char *ifname);

/* xend_dp_attach_packet() - attach network interface @ifname of dom0
 * through AF_PACKET (as the wire is) as a port described by @cfg (kind,
 * MAC, name, domid, vifidx). A QEMU domain's vif is its TAP's dom0 side
 * attached so: QEMU holds the TAP's file. Returns the port or -errno. */
int xend_dp_attach_packet(struct xend_dp *dp, const char *ifname,
			  const struct vs_port_config *cfg);

/* xend_dp_attach_vhost() - attach a vhost-user port (port_vhost_user.h)
 * described by @cfg, the client of the front end's socket @path: it
 * connects now or, while nothing listens there, every second, and again
 * after any disconnection. Returns the port number or -errno. */
int xend_dp_attach_vhost(struct xend_dp *dp, const char *path,
			 const struct vs_port_config *cfg);

/* What a vhost-user port says of itself (vif_stats). */
struct xend_dp_vhost_info {
	bool connected;
	uint64_t features;		/* acked by the front end */
	char error[160];		/* why it last disconnected */
	struct port_vu_stats st;
};

/* xend_dp_vhost_info() - fill @out for vhost-user port @port. Returns 0,
 * or -ENOENT when @port is not a vhost-user port. */
int xend_dp_vhost_info(struct xend_dp *dp, unsigned port,
		       struct xend_dp_vhost_info *out);

/* xend_dp_detach() - remove port @port from the switch and close its
 * back end (a persistent TAP device is left to the caller to delete).
 * Returns 0 or -ENOENT. */
int xend_dp_detach(struct xend_dp *dp, unsigned port);

/* xend_dp_fail_fd() - an eventfd that becomes readable when the data
 * plane stops a port whose back end failed (a TAP deleted behind xend's
 * back, a wire that vanished). Poll it in the control loop and call
 * xend_dp_failed_ports(). */
int xend_dp_fail_fd(const struct xend_dp *dp);

/* xend_dp_failed_ports() - the ports that failed since the last call (up
 * to @max into @ports); each is reported once. The port stays attached,
 * but is no longer read, until the caller detaches it. */
unsigned xend_dp_failed_ports(struct xend_dp *dp, unsigned *ports,
			      unsigned max);

/* xend_dp_now() - the data plane's clock, CLOCK_MONOTONIC in ns. */
uint64_t xend_dp_now(void);

#endif /* XENO_DATAPLANE_H */

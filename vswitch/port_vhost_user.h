/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port_vhost_user.h - vhost-user back end of a switch port (QEMU domains)
 *
 * Theory of operation (DESIGN.md §7, "vhost-user")
 * ------------------------------------------------
 * A port_vu is xend's side of one virtio-net device: xend is the
 * vhost-user back end and the CLIENT of the socket; the front end (QEMU
 * with `-chardev socket,server=on`, or DPDK's virtio-user with server=1)
 * listens. The messages (vhost_msg.h) configure the device; the rings
 * (virtq.h) live in the front end's shared memory, which the port maps.
 *
 *   guest -> switch (transmitq, ring 1): the rx op pops chains. A big
 *     plain IP frame lying in one descriptor enters the switch in two
 *     pieces (struct vs_frame): a private copy of its first 128 bytes,
 *     which the policy judges, and its payload IN GUEST MEMORY (no copy on
 *     receive). The guest may rewrite its buffer at any moment, so the
 *     headers judged are the ones delivered: a guest cannot change its
 *     source address after the check. Small frames (<= 512 bytes), frames
 *     whose headers the policy reads further (ARP, ICMPv6/ND, IPv6
 *     extension headers) and frames scattered over descriptors are copied
 *     whole into the switch's pool slot. The heads go back to the used
 *     ring when the switch releases the frames, once per batch, with at
 *     most one call-eventfd signal.
 *   switch -> guest (receiveq, ring 0): the tx op copies each frame once,
 *     header first, into the guest's buffers (mergeable when negotiated),
 *     completes the checksum or segments a GSO frame in software when the
 *     guest did not negotiate that offload, publishes the used index once
 *     and signals at most once per batch. When the ring is full, not yet
 *     started or stopped, the frame and the rest of the batch are refused:
 *     the switch counts them as tx_error on this port and goes on with its
 *     other destinations; the sender is never stalled.
 *
 * Port states:
 *   waiting     no connection: the socket is tried again after 20 ms,
 *               doubling up to every second (the front end may not be
 *               listening yet, or it went away; after a disconnection
 *               the first retry waits a second).
 *   connected   messages are served; a ring runs once the state machine
 *               (vhost_msg.h) says it is live.
 *   On a malformed message, a refused request or a broken ring, the
 *   connection is closed with a log line saying why (port_vu_error()), and
 *   the port goes back to waiting. The switch port stays attached
 *   throughout: frames to it count as tx_error while it has no ring.
 *
 * Reconnection: the front end keeps the device's state; after a new
 * connection (xend restarted, or the link was closed for an error) it
 * sends the whole configuration again and each ring resumes from the
 * index the front end hands back (QEMU: used->idx), so guests never reboot.
 *
 * Memory: every region's file is mapped whole (it must be at least
 * mmap_offset + memory_size bytes long); a memory table that cannot be
 * mapped is refused. Frames the switch still holds keep the old mapping
 * alive until they are released.
 *
 * Threading: everything here runs on xend's data-plane thread.
 */
#ifndef XENO_PORT_VHOST_USER_H
#define XENO_PORT_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch.h"

struct port_vu;

/* Guest frames up to PORT_VU_COPY_MAX bytes are copied whole; of a bigger
 * plain IP frame in one descriptor, the first PORT_VU_HEAD bytes. */
#define PORT_VU_COPY_MAX	512
#define PORT_VU_HEAD		128

/* Counters of one vhost-user port, beside the switch's per-port ones. */
struct port_vu_stats {
	uint64_t connects;		/* connections made */
	uint64_t disconnects;		/* closed by an error or the peer */
	uint64_t messages;		/* messages served */
	uint64_t zero_copy;		/* guest frames switched in place */
	uint64_t gathered;		/* guest frames copied whole */
	uint64_t rx_bad;		/* guest frames refused (too short/long) */
	uint64_t ring_full;		/* frames refused: receive ring full */
	uint64_t too_big;		/* frames bigger than a receive buffer
					 * (no MRG_RXBUF), refused */
	uint64_t no_ring;		/* frames refused: receive ring not live */
	uint64_t segmented;		/* GSO frames segmented in software */
	uint64_t csum_done;		/* checksums completed in software */
	uint64_t kicks, calls;		/* eventfd reads / signals */
};

/* port_vu_new() - a port that will connect to the front end's socket
 * @path (at most 107 bytes), trying at once and then as "waiting" says.
 * @name is for log lines. Returns 0 and *@out, or -errno (-ENAMETOOLONG,
 * -ENOMEM, or the error of a timerfd/epoll fd). */
int port_vu_new(const char *path, const char *name, struct port_vu **out);

/* port_vu_free() - close the connection, unmap, free. Accepts NULL. The
 * switch must have released every frame first (vs_port_del() does). */
void port_vu_free(struct port_vu *v);

/* port_vu_ctl_fd() - an epoll fd that is readable when the port needs
 * port_vu_service(): a message arrived, the connection closed, or it is
 * time to retry the connection. Fixed for the port's life. */
int port_vu_ctl_fd(const struct port_vu *v);

/* port_vu_service() - serve every pending message, or retry the
 * connection. Never fails: an error closes the connection (logged, see
 * port_vu_error()) and the port waits to reconnect. */
void port_vu_service(struct port_vu *v);

/* port_vu_kick_fd() - the transmit ring's kick eventfd while that ring
 * runs (readable: the guest has frames for us), else -1. It changes with
 * SET_VRING_KICK and reconnections: compare port_vu_kick_gen() to know
 * when to register it again (a closed fd's number may come back). */
int port_vu_kick_fd(const struct port_vu *v);
uint64_t port_vu_kick_gen(const struct port_vu *v);

/* port_vu_kicked() - consume the kick eventfd before the switch polls. */
void port_vu_kicked(struct port_vu *v);

/* port_vu_poll_done() - after the switch polled the port: close the
 * connection if a ring broke meanwhile. Returns true when the guest has
 * more frames and @more says the port may read again: the caller polls
 * it again on its next round, without waiting for a kick (the guest is
 * asked not to kick meanwhile). Otherwise the guest's kicks are turned
 * back on and the caller waits for the kick fd. */
bool port_vu_poll_done(struct port_vu *v, bool more);

/* port_vu_connected() - whether a front end is connected;
 * port_vu_error() - the reason of the last disconnection ("" if none);
 * port_vu_get_stats() - the counters. */
bool port_vu_connected(const struct port_vu *v);
const char *port_vu_error(const struct port_vu *v);
void port_vu_get_stats(const struct port_vu *v, struct port_vu_stats *out);

/* port_vu_features() - the virtio features the front end acked (0 before
 * SET_FEATURES). */
uint64_t port_vu_features(const struct port_vu *v);

/* port_vu_set_logger() - where the ports' log lines go (xend's log);
 * stderr until set. */
void port_vu_set_logger(void (*fn)(const char *msg));

/* The ops to register with vs_port_add(), with a struct port_vu as ctx. */
extern const struct vs_port_ops port_vu_ops;

#endif /* XENO_PORT_VHOST_USER_H */

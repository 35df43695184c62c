/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port_afpacket.h - the wire: an AF_PACKET back end on a network interface
 *
 * Receive: a TPACKET_V3 ring (PACKET_RX_RING, blocks of 256 KiB, retired
 * after at most 1 ms), promiscuous (PACKET_MR_PROMISC), with
 * PACKET_IGNORE_OUTGOING so the host's own transmissions and ours never
 * enter the ring (frames marked PACKET_OUTGOING are also skipped, for
 * kernels without that option). rx hands the switch pointers into the ring
 * (no copy); a block goes back to the kernel once every frame in it was
 * released.
 *
 * GSO: the socket has PACKET_VNET_HDR (the 10-byte virtio_net_hdr; kernel
 * 6.18 accepts it together with a TPACKET_V3 ring when set before the
 * ring). Receive: a frame bigger than the MTU (GRO, or a GSO skb a veth
 * passes through whole) arrives with its gso_type/gso_size and
 * NEEDS_CSUM, so it can be written whole to a TAP or a virtio guest, which
 * segment or accept it as GSO. A frame the kernel cannot describe (e.g.
 * tunnel GSO) is dropped by the kernel and never seen. Transmit: a GSO
 * frame from a domain goes out with its header and the kernel segments it
 * (or the NIC does with TSO). Frames cut short by the ring (longer than a
 * block) are counted and skipped. A VLAN tag the kernel took off a
 * received frame is put back (tp_vlan_tci/tp_vlan_tpid), so the switch
 * judges the frame as it was on the wire.
 *
 * Transmit uses sendmmsg() on the same socket, one message per frame
 * ([virtio_net_hdr | frame]), non-blocking: a full queue ends the batch.
 *
 * Ownership: port_afpacket_open() returns an object owned by the caller
 * until handed to the data plane; port_afpacket_free() closes everything.
 */
#ifndef XENO_PORT_AFPACKET_H
#define XENO_PORT_AFPACKET_H

#include <stdint.h>

#include "vswitch.h"

struct port_afpacket;

/* Counters of the back end itself (the switch counts the rest). */
struct port_afpacket_stats {
	uint64_t rx_truncated;		/* longer than a ring block: skipped */
	uint64_t rx_vlan;		/* tag stripped by the kernel: put back */
	uint64_t rx_outgoing;		/* PACKET_OUTGOING: skipped */
	uint64_t rx_kernel_drops;	/* tp_drops from PACKET_STATISTICS */
	uint64_t tx_errors;		/* refused by sendmmsg, not EAGAIN */
};

/* port_afpacket_open() - open interface @ifname as the wire into *@out.
 * Returns 0, -ENODEV (no such interface), or another -errno. */
int port_afpacket_open(const char *ifname, struct port_afpacket **out);

/* port_afpacket_free() - unmap the ring, close the socket (which ends
 * promiscuous mode). Accepts NULL. */
void port_afpacket_free(struct port_afpacket *a);

/* port_afpacket_fd() - the socket to poll for readability. */
int port_afpacket_fd(const struct port_afpacket *a);

/* port_afpacket_stats() - the back end's own counters into @out. */
void port_afpacket_stats(struct port_afpacket *a,
			 struct port_afpacket_stats *out);

/* Ops to register with vs_port_add(), struct port_afpacket as ctx. rx
 * points frames into the ring (frames stay valid until release), so the
 * port's pool is never used: register it with a small frame_max. */
extern const struct vs_port_ops port_afpacket_ops;

#endif /* XENO_PORT_AFPACKET_H */

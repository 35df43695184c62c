/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port_tap.h - TAP back end of a switch port (netns domains, dom0's vif0.0)
 *
 * A TAP is opened IFF_TAP | IFF_NO_PI | IFF_VNET_HDR with a 12-byte vnet
 * header (TUNSETVNETHDRSZ 12, little endian via TUNSETVNETLE), so every
 * read and write carries exactly a struct vs_vnet_hdr
 * (virtio_net_hdr_mrg_rxbuf) in front of the frame. The kernel fills in the
 * first 10 bytes and leaves num_buffers alone; rx zeroes it. TUNSETOFFLOAD
 * enables checksum offload and TSO4/TSO6/TSO_ECN (plus USO4/USO6 where the
 * kernel has them), so the stack behind the TAP hands us GSO frames of up
 * to 64 KiB and accepts them whole: TCP crosses the switch without being
 * segmented.
 *
 * Ownership: port_tap_open*() return a file descriptor owned by the
 * caller; port_tap_new() takes it over and port_tap_free() closes it.
 */
#ifndef XENO_PORT_TAP_H
#define XENO_PORT_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch.h"

/* Size of the vnet header in front of every frame on the TAP fd. */
#define PORT_TAP_VNET_HDR_LEN	12

struct port_tap;

/* port_tap_open() - create TAP @ifname (or attach to the existing device
 * of that name, e.g. a persistent one), set up the vnet header and
 * offloads, make the fd non-blocking, and with @persist mark it
 * persistent (it then outlives the fd). Returns the fd or -errno. */
int port_tap_open(const char *ifname, bool persist);

/* port_tap_open_netns() - re-attach to the persistent TAP @ifname that
 * lives in the network namespace /run/netns/@netns (a netns domain's
 * eth0, after a restart of xend): the calling thread enters the
 * namespace, opens the TAP there and comes back. Returns the fd or
 * -errno (-ENOENT: no such namespace; the thread is in its own namespace
 * again on every return). */
int port_tap_open_netns(const char *netns, const char *ifname);

/* port_tap_ifname() - the interface name behind TAP fd @fd (TUNGETIFF)
 * into @name (IFNAMSIZ bytes). Returns 0 or -errno. */
int port_tap_ifname(int fd, char *name);

/* port_tap_new() - a back end on TAP fd @fd, which it owns from now on
 * (also on failure, when it is closed). Returns NULL on allocation
 * failure. */
struct port_tap *port_tap_new(int fd);

/* port_tap_free() - close the fd and free. Accepts NULL. */
void port_tap_free(struct port_tap *t);

/* port_tap_batched() - true when @t reads and writes its batches through
 * io_uring (one system call a batch), false when it makes one readv or
 * writev a frame (no io_uring here, or XENO_TAP_IO=syscall). */
bool port_tap_batched(const struct port_tap *t);

/* port_tap_fd() - the fd to poll for readability. */
int port_tap_fd(const struct port_tap *t);

/* port_tap_errors() - frames that could not be read or written (runts,
 * write errors other than a full queue), for logs. */
uint64_t port_tap_errors(const struct port_tap *t);

/* The ops to register with vs_port_add(), with a struct port_tap as ctx.
 * rx reads until EAGAIN or @max frames; tx writes each frame with its
 * vnet header and stops at the first one the kernel refuses. */
extern const struct vs_port_ops port_tap_ops;

#endif /* XENO_PORT_TAP_H */

// SPDX-License-Identifier: GPL-2.0-or-later
/* port_tap.c - TAP back end of a switch port; see port_tap.h
 *
 * One readv()/writev() per frame: [struct vs_vnet_hdr | Ethernet frame].
 * The TAP has no batch read, and the frame lands directly in the switch's
 * pool buffer (rx) or leaves straight from the sender's buffer (tx), so
 * each frame is copied once, by the kernel.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "port_tap.h"

/* Older uapi headers lack the UDP segmentation offload bits. */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif

#define TAP_OFFLOADS	(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

static_assert(sizeof(struct vs_vnet_hdr) == PORT_TAP_VNET_HDR_LEN,
	      "struct vs_vnet_hdr must be virtio_net_hdr_mrg_rxbuf");

struct port_tap {
	int fd;
	uint64_t errors;
};

/* Vnet header size, byte order and offloads of a freshly attached fd. */
static int tap_setup(int fd)
{
	int sz = PORT_TAP_VNET_HDR_LEN, le = 1;
	unsigned off = TAP_OFFLOADS | TUN_F_USO4 | TUN_F_USO6;

	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
		return -errno;
	/* virtio 1.0 headers are little endian; on a little-endian host that
	 * is also the legacy default, so a kernel refusing this is harmless. */
	if (ioctl(fd, TUNSETVNETLE, &le) < 0 &&
	    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		return -errno;
	/* USO arrived in 6.2; older kernels reject unknown bits. */
	if (ioctl(fd, TUNSETOFFLOAD, off) < 0 &&
	    ioctl(fd, TUNSETOFFLOAD, TAP_OFFLOADS) < 0)
		return -errno;
	return 0;
}

int port_tap_open(const char *ifname, bool persist)
{
	struct ifreq ifr;
	int fd, ret;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		goto err;
	}
	ret = tap_setup(fd);
	if (ret)
		goto err;
	if (persist && ioctl(fd, TUNSETPERSIST, 1) < 0) {
		ret = -errno;
		goto err;
	}
	return fd;
err:
	close(fd);
	return ret;
}

/* Open the persistent TAP @ifname of the namespace the thread is in now,
 * without creating one when it is gone. */
static int reopen_here(const char *ifname)
{
	if (!if_nametoindex(ifname))
		return -ENODEV;
	return port_tap_open(ifname, true);
}

int port_tap_open_netns(const char *netns, const char *ifname)
{
	char path[PATH_MAX];
	int self, ns, ret;

	if (!netns || !*netns || strchr(netns, '/') || !strcmp(netns, ".") ||
	    !strcmp(netns, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		ret = -errno;
		goto out_self;
	}
	if (setns(ns, CLONE_NEWNET) < 0) {
		ret = -errno;
		goto out_ns;
	}
	/* /dev/net/tun binds an fd to the namespace it is opened in, so both
	 * the open and TUNSETIFF happen in the domain's namespace. */
	ret = reopen_here(ifname);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Going back to a namespace we hold an fd of cannot fail;
		 * carrying on inside a domain's namespace would be worse. */
		perror("port_tap: setns back");
		abort();
	}
out_ns:
	close(ns);
out_self:
	close(self);
	return ret;
}

int port_tap_ifname(int fd, char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	return 0;
}

struct port_tap *port_tap_new(int fd)
{
	struct port_tap *t = calloc(1, sizeof(*t));

	if (!t) {
		close(fd);
		return NULL;
	}
	t->fd = fd;
	return t;
}

void port_tap_free(struct port_tap *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

int port_tap_fd(const struct port_tap *t)
{
	return t->fd;
}

uint64_t port_tap_errors(const struct port_tap *t)
{
	return t->errors;
}

/* Read up to @max frames; a full batch leaves the rest in the TAP queue
 * for the next call (the fd stays readable). A read that fails for one
 * frame (the kernel has dropped it) is counted and skipped; only a TAP
 * whose device is gone (EBADFD) fails the port. */
static int tap_rx(void *ctx, struct vs_frame *frames, unsigned max)
{
	struct port_tap *t = ctx;
	unsigned i = 0, tries = 0;
	ssize_t n;

	while (i < max && tries++ < 2 * max) {
		struct vs_frame *f = &frames[i];
		struct iovec iov[2] = {
			{ &f->vnet, PORT_TAP_VNET_HDR_LEN },
			{ f->data, f->cap },
		};

		n = readv(t->fd, iov, 2);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 && errno == EBADFD)
			return i ? (int)i : -EBADFD;
		if (n < PORT_TAP_VNET_HDR_LEN + VS_FRAME_MIN) {
			if (n >= 0 || errno != EINTR)
				t->errors++;	/* runt or lost: reuse the slot */
			continue;
		}
		f->len = (uint32_t)(n - PORT_TAP_VNET_HDR_LEN);
		f->vnet.num_buffers = 0;	/* the kernel leaves it alone */
		i++;
	}
	return (int)i;
}

/* Write frames in order; the first refusal ends the batch (the switch
 * counts the rest as tx_error). A TAP write does not block: when the
 * stack behind it is congested the kernel drops, not us. */
static unsigned tap_tx(void *ctx, const struct vs_frame *const *frames,
		       unsigned n)
{
	struct port_tap *t = ctx;
	unsigned i = 0;

	while (i < n) {
		const struct vs_frame *f = frames[i];
		struct vs_vnet_hdr h = f->vnet;
		struct iovec iov[3] = {
			{ &h, PORT_TAP_VNET_HDR_LEN },
			{ (void *)(uintptr_t)f->data, vs_frame_head_len(f) },
			{ (void *)(uintptr_t)f->tail, f->tail_len },
		};

		if (writev(t->fd, iov, f->tail_len ? 3 : 2) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				t->errors++;
			break;
		}
		i++;
	}
	return i;
}

const struct vs_port_ops port_tap_ops = {
	.tx = tap_tx,
	.rx = tap_rx,
};

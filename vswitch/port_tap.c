// SPDX-License-Identifier: GPL-2.0-or-later
/* port_tap.c - TAP back end of a switch port; see port_tap.h
 *
 * Every frame on the fd is [struct vs_vnet_hdr | Ethernet frame]; it lands
 * directly in the switch's pool buffer (rx) or leaves straight from the
 * sender's buffer (tx), so each frame is copied once, by the kernel.
 *
 * The TAP has no batch read or write of its own, and on the machines xeno
 * runs on a system call costs more than the kernel's work on a small frame.
 * So a batch goes through io_uring: one io_uring_enter() issues the reads
 * (or the writes) of a whole batch, each a readv/writev on the TAP that
 * the kernel runs at once (the fd is non-blocking: an empty queue answers
 * -EAGAIN at once, never a parked read). Every call waits for all the
 * completions it asked for, so no buffer is in flight once rx or tx
 * returns, exactly as with readv/writev. The number of reads offered per
 * call follows what the last calls found (AIMD between RX_READS_MIN and
 * the batch), so an idle port does not pay for 64 empty reads.
 *
 * Where io_uring is not available (an old kernel, a seccomp filter,
 * kernel.io_uring_disabled) or XENO_TAP_IO=syscall is set, the port falls
 * back to one readv/writev per frame. So does a port whose ring turns out
 * unable to read the TAP without waiting (Debian 12's 6.1: every
 * RWF_NOWAIT read answers -EAGAIN, frames waiting or not), found by the
 * first reads: until the ring has read one frame, a batch of -EAGAIN is
 * checked against poll().
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
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

#define RX_READS_MIN	4		/* reads offered by an idle port */

struct port_tap {
	int fd;
	uint64_t errors;
	bool uring;			/* batches go through .ring */
	unsigned rx_reads;		/* reads to offer next call */
	bool rx_proven;			/* the ring has read a frame */
	unsigned rx_suspect;		/* empty batches with a frame waiting */
	struct io_uring ring;
	struct iovec iov[VS_BATCH][3];
	struct vs_vnet_hdr hdr[VS_BATCH];	/* tx: headers as sent */
	int res[VS_BATCH];		/* result of each request */
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

/* An io_uring for @t's batches; false (and no ring) when the kernel
 * will not give one. */
static bool uring_setup(struct port_tap *t)
{
	const char *mode = getenv("XENO_TAP_IO");
	unsigned entries = VS_BATCH;

	if (mode && !strcmp(mode, "syscall"))
		return false;
	/* SUBMIT_ALL (5.18): a request that fails early still lets the rest
	 * in, so each call gets exactly one completion per request.
	 * COOP_TASKRUN (5.19): completions are collected when we enter the
	 * kernel anyway, with no interrupt of the data-plane thread. */
	if (io_uring_queue_init(entries, &t->ring, IORING_SETUP_SUBMIT_ALL |
				IORING_SETUP_COOP_TASKRUN))
		return false;
	/* No registered file: the kernel tears a ring down later, in the
	 * background (also when xend is killed), and a registered TAP would
	 * stay attached until then, refusing the next xend's TUNSETIFF. */
	return true;
}

struct port_tap *port_tap_new(int fd)
{
	struct port_tap *t = calloc(1, sizeof(*t));

	if (!t) {
		close(fd);
		return NULL;
	}
	t->fd = fd;
	t->rx_reads = RX_READS_MIN;
	t->uring = uring_setup(t);
	return t;
}

void port_tap_free(struct port_tap *t)
{
	if (!t)
		return;
	if (t->uring)
		io_uring_queue_exit(&t->ring);
	close(t->fd);
	free(t);
}

bool port_tap_batched(const struct port_tap *t)
{
	return t->uring;
}

int port_tap_fd(const struct port_tap *t)
{
	return t->fd;
}

uint64_t port_tap_errors(const struct port_tap *t)
{
	return t->errors;
}

/* Issue the @n requests prepared in @t's ring and wait for all of them;
 * their results land in t->res[] by index. Returns 0 or -errno (the ring
 * itself failed; the port is then failed by its caller). */
static int uring_run(struct port_tap *t, unsigned n)
{
	struct io_uring_cqe *cqe;
	unsigned got = 0, head, seen;
	int ret;

	do
		ret = io_uring_submit_and_wait(&t->ring, n);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	/* SUBMIT_ALL: every request went in, each ends in one completion,
	 * and every one must be reaped before its buffer is reused. */
	for (;;) {
		seen = 0;
		io_uring_for_each_cqe(&t->ring, head, cqe) {
			if (cqe->user_data < VS_BATCH)
				t->res[cqe->user_data] = cqe->res;
			seen++;
		}
		io_uring_cq_advance(&t->ring, seen);
		got += seen;
		if (got >= n)
			return 0;
		ret = io_uring_wait_cqe_nr(&t->ring, &cqe, n - got);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			return ret;
	}
}

/* The readv of frame @f into request slot @i. */
static void prep_read(struct port_tap *t, unsigned i, struct vs_frame *f)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);

	t->iov[i][0] = (struct iovec){ &f->vnet, PORT_TAP_VNET_HDR_LEN };
	t->iov[i][1] = (struct iovec){ f->data, f->cap };
	io_uring_prep_readv2(sqe, t->fd, t->iov[i], 2, 0, RWF_NOWAIT);
	sqe->user_data = i;
}

/* A kernel whose TAP cannot read without waiting (before 6.x, io_uring
 * answers -EAGAIN to every RWF_NOWAIT read of a file without
 * FMODE_NOWAIT, or -EOPNOTSUPP): this port reads with readv from now on
 * (the caller reads again that way). */
static void no_nowait(struct port_tap *t)
{
	t->uring = false;
}

/* Is a frame waiting? Asked only until the ring has read one: a batch of
 * -EAGAIN while a frame waits twice in a row means the ring cannot read
 * this TAP (one could be a frame arriving just after the reads). */
static bool queue_nonempty(struct port_tap *t)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN)) {
		t->rx_suspect = 0;
		return false;
	}
	return ++t->rx_suspect >= 2;
}

/* rx through the ring: offer t->rx_reads reads, keep what came, in order,
 * at the front of @frames (swapping whole frames keeps every pool buffer
 * with exactly one frame). */
static int tap_rx_uring(struct port_tap *t, struct vs_frame *frames,
			unsigned max)
{
	unsigned k = t->rx_reads < max ? t->rx_reads : max, i, got = 0;
	int ret;

	for (i = 0; i < k; i++)
		prep_read(t, i, &frames[i]);
	ret = uring_run(t, k);
	if (ret < 0)
		return ret;
	for (i = 0; i < k; i++) {
		int n = t->res[i];

		if (n == -EBADFD)
			return got ? (int)got : -EBADFD;
		if (n == -EOPNOTSUPP && !got) {
			no_nowait(t);
			return 0;
		}
		if (n < PORT_TAP_VNET_HDR_LEN + VS_FRAME_MIN) {
			if (n != -EAGAIN)
				t->errors++;	/* runt or lost: reuse the slot */
			continue;
		}
		if (got != i) {
			struct vs_frame tmp = frames[got];

			frames[got] = frames[i];
			frames[i] = tmp;
		}
		frames[got].len = (uint32_t)(n - PORT_TAP_VNET_HDR_LEN);
		frames[got].vnet.num_buffers = 0;
		got++;
	}
	if (got)
		t->rx_proven = true;
	else if (!t->rx_proven && k && queue_nonempty(t))
		no_nowait(t);
	/* Additive decrease toward what the queue held, doubling while it
	 * keeps every read busy. */
	if (got == k)
		t->rx_reads = 2 * k > VS_BATCH ? VS_BATCH : 2 * k;
	else
		t->rx_reads = got + 1 > RX_READS_MIN ? got + 1 : RX_READS_MIN;
	return (int)got;
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

	if (t->uring) {
		int ret = tap_rx_uring(t, frames, max);

		if (t->uring)
			return ret;
	}
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

/* tx through the ring: all @n writes in one call. They are independent
 * requests, so one refused in the middle does not stop the rest; the
 * switch's accounting wants a prefix, so frames after a refusal count as
 * refused too (a TAP refuses only when it is going away or a header is
 * bad, never for lack of room). */
static unsigned tap_tx_uring(struct port_tap *t,
			     const struct vs_frame *const *frames, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct vs_frame *f = frames[i];
		struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);

		t->hdr[i] = f->vnet;
		t->iov[i][0] = (struct iovec){ &t->hdr[i], PORT_TAP_VNET_HDR_LEN };
		t->iov[i][1] = (struct iovec){ (void *)(uintptr_t)f->data,
					       vs_frame_head_len(f) };
		t->iov[i][2] = (struct iovec){ (void *)(uintptr_t)f->tail,
					       f->tail_len };
		io_uring_prep_writev(sqe, t->fd, t->iov[i], f->tail_len ? 3 : 2,
				     0);
		sqe->user_data = i;
	}
	if (uring_run(t, n) < 0) {
		t->errors++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (t->res[i] < 0) {
			if (t->res[i] != -EAGAIN)
				t->errors++;
			break;
		}
	}
	return i;
}

/* Write frames in order; the first refusal ends the batch (the switch
 * counts the rest as tx_error). A TAP write does not block: when the
 * stack behind it is congested the kernel drops, not us. */
static unsigned tap_tx(void *ctx, const struct vs_frame *const *frames,
		       unsigned n)
{
	struct port_tap *t = ctx;
	unsigned i = 0;

	if (t->uring && n)
		return tap_tx_uring(t, frames, n > VS_BATCH ? VS_BATCH : n);
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

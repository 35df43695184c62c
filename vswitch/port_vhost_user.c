// SPDX-License-Identifier: GPL-2.0-or-later
/* port_vhost_user.c - vhost-user back end of a switch port; see the .h
 *
 * The connection: a non-blocking AF_UNIX stream socket. A message is
 * gathered across reads (header, then exactly hdr.size payload bytes; the
 * descriptors that come with any part of it are collected), then parsed
 * (vhost_msg_parse), checked against the device state (vhost_state_apply)
 * and carried out here: memory maps, ring set-up, eventfds, replies.
 *
 * The rings: struct vu_ring keeps the virtqueue (virtq.h) of a live ring
 * and its eventfds. A ring's generation changes whenever it is set up
 * again, so heads taken before a restart are never pushed into the new
 * ring. Frames still held by the switch when a ring stops are handed back
 * to the front end by answering GET_VRING_BASE with the index of the
 * oldest of them: the guest's buffers are not lost, at worst sent twice.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "offload.h"
#include "parse.h"
#include "port_vhost_user.h"
#include "vhost_msg.h"
#include "virtq.h"

enum { VU_RXQ = 0, VU_TXQ = 1 };	/* virtio-net: receiveq, transmitq */

#define VU_RETRY_MIN_NS	20000000L	/* first retry: QEMU is starting */
#define VU_RETRY_NS	1000000000L	/* then every second */
#define VU_OUT_MAX	(2 * VS_BATCH)	/* heads lent to the switch */
#define VU_IOV_MAX	64		/* segments of one transmit chain */
#define VU_SCRATCH	(VS_FRAME_MAX_DEFAULT + 64)
#define VU_PREFETCH	8		/* buffers loaded ahead of use */
#define VU_COPY_MAX	PORT_VU_COPY_MAX
#define VU_HEAD		PORT_VU_HEAD

/* One mapped file region (memory table or log). */
struct vu_map {
	void *base;
	size_t len;
};

/* A ring is set up (its queue valid) from the moment it first runs until
 * GET_VRING_BASE, a reset or a disconnection; live while it also runs.
 * SET_VRING_ENABLE 0 pauses a set-up ring (not live), 1 resumes it where
 * it was. */
struct vu_ring {
	struct virtq vq;
	bool set_up, live;
	uint32_t gen;			/* changes when set up anew or torn down */
	int kick, call, err;		/* eventfds or -1 */
};

/* A head taken from the transmit ring and not given back yet, in ring
 * order: lent to the switch with a frame, or refused (a runt) and given
 * back behind the frames taken before it, so that GET_VRING_BASE can
 * always answer the oldest head not given back. */
struct vu_out {
	uint16_t head;
	bool frame;
	uint32_t gen;
};

struct port_vu {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[32];
	int sock, timer, epfd;
	struct vhost_dev_state st;

	/* message being read */
	uint8_t msg[VHOST_MSG_MAX_SIZE];
	size_t have;
	int fds[VHOST_MSG_MAX_FDS];
	unsigned nfds;
	bool fds_overflow;

	/* guest memory: the table in force, and maps kept for lent frames */
	struct virtq_mem mem;
	struct vu_map maps[VHOST_MSG_MAX_REGIONS];
	unsigned nmaps;
	struct vu_map retired[2 * VHOST_MSG_MAX_REGIONS];
	unsigned nretired;
	struct vu_map log;		/* dirty log, or base NULL */

	struct vu_ring ring[VHOST_MAX_RINGS];
	struct vu_out out[VU_OUT_MAX];	/* FIFO of lent heads */
	unsigned out_first, nout;
	uint64_t kick_gen;
	long retry_ns;			/* next reconnection delay */
	bool broken;			/* close at the next poll_done() */

	char error[160];
	struct port_vu_stats stats;
	uint8_t *scratch;		/* offload fallbacks, 2 * VU_SCRATCH */
};

/* Logging ------------------------------------------------------------------*/

static void (*vu_logger)(const char *msg);

void port_vu_set_logger(void (*fn)(const char *msg))
{
	vu_logger = fn;
}

static void vu_log(const struct port_vu *v, const char *fmt, ...)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "vhost-user %s: ", v->name);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (vu_logger)
		vu_logger(buf);
	else
		fprintf(stderr, "%s\n", buf);
}

/* Memory ------------------------------------------------------------------*/

static void map_drop(struct vu_map *m)
{
	if (m->base)
		munmap(m->base, m->len);
	*m = (struct vu_map){ 0 };
}

/* Unmap retired maps once the switch holds nothing that points there. */
static void retired_sweep(struct port_vu *v)
{
	if (v->nout)
		return;
	while (v->nretired)
		map_drop(&v->retired[--v->nretired]);
}

/* Retire the memory table in force (frames may still point into it). */
static void mem_retire(struct port_vu *v)
{
	unsigned i;

	for (i = 0; i < v->nmaps; i++) {
		if (!v->nout)
			map_drop(&v->maps[i]);
		else if (v->nretired < sizeof(v->retired) /
			 sizeof(v->retired[0]))
			v->retired[v->nretired++] = v->maps[i];
		else	/* never unmap what the switch may still read */
			vu_log(v, "memory map of %zu bytes left mapped",
			       v->maps[i].len);
		v->maps[i] = (struct vu_map){ 0 };
	}
	v->nmaps = 0;
	memset(&v->mem, 0, sizeof(v->mem));
	retired_sweep(v);
}

/* Map @fd for @off + @len bytes; the file must be that long, or a later
 * access past its end would kill xend with SIGBUS. */
static int map_fd(int fd, uint64_t off, uint64_t len, struct vu_map *m,
		  char *err, size_t errlen)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	if (off + len < off || (uint64_t)sb.st_size < off + len ||
	    off + len > SIZE_MAX) {
		snprintf(err, errlen, "file of %lld bytes is shorter than "
			 "offset %llu + size %llu", (long long)sb.st_size,
			 (unsigned long long)off, (unsigned long long)len);
		return -1;
	}
	m->len = (size_t)(off + len);
	m->base = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       0);
	if (m->base != MAP_FAILED)
		return 0;
	snprintf(err, errlen, "mmap: %s", strerror(errno));
	*m = (struct vu_map){ 0 };
	return -1;
}

/* SET_MEM_TABLE: map every region, then replace the table in force. */
static int mem_set(struct port_vu *v, const struct vhost_msg *msg, char *err,
		   size_t errlen)
{
	struct vu_map maps[VHOST_MSG_MAX_REGIONS] = { { 0 } };
	struct virtq_mem mem = { .n = 0 };
	unsigned i;

	for (i = 0; i < msg->u.mem.nregions; i++) {
		const struct vhost_msg_region *r = &msg->u.mem.regions[i];

		if (map_fd(msg->fds[i], r->mmap_offset, r->memory_size,
			   &maps[i], err, errlen) ||
		    virtq_mem_add(&mem, r->guest_phys_addr, r->memory_size,
				  r->userspace_addr,
				  (uint8_t *)maps[i].base + r->mmap_offset)) {
			if (!err[0])
				snprintf(err, errlen, "region %u unusable", i);
			for (unsigned k = 0; k <= i; k++)
				map_drop(&maps[k]);
			return -EPROTO;
		}
	}
	mem_retire(v);
	memcpy(v->maps, maps, sizeof(maps));
	v->nmaps = msg->u.mem.nregions;
	v->mem = mem;
	for (i = 0; i < msg->u.mem.nregions; i++) {
		int seals = fcntl(msg->fds[i], F_GET_SEALS);

		/* QEMU seals its memfd (memory-backend-memfd seal=on); a file
		 * that can still shrink would let its owner truncate it and
		 * kill xend with SIGBUS on the next access: say so */
		if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
			vu_log(v, "memory region %u is not sealed against "
			       "shrinking: only a trusted front end may hold it",
			       i);
			break;
		}
	}
	return 0;
}

/* Rings --------------------------------------------------------------------*/

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static bool log_on(const struct port_vu *v)
{
	return v->log.base && (v->st.features & VHOST_BIT(VHOST_F_LOG_ALL));
}

/* The dirty log a ring writes to, as SET_LOG_BASE/SET_FEATURES left it. */
static void ring_log(const struct port_vu *v, unsigned i,
		     struct virtq_config *c)
{
	c->log = NULL;
	c->log_size = 0;
	c->log_used = v->st.ring[i].addr.log;
	if (!log_on(v))
		return;
	c->log = (uint8_t *)v->log.base + v->st.log.mmap_offset;
	c->log_size = v->st.log.mmap_size;
}

/* Set ring @i's queue up over the memory table in force, next taking
 * avail entry @last. */
static int ring_init(struct port_vu *v, unsigned i, uint16_t last)
{
	const struct vhost_ring_state *rs = &v->st.ring[i];
	struct virtq_config c = {
		.size = rs->num,
		.features = v->st.features,
		.desc_qva = rs->addr.desc,
		.avail_qva = rs->addr.avail,
		.used_qva = rs->addr.used,
		.last_avail_idx = last,
	};

	ring_log(v, i, &c);
	return virtq_init(&v->ring[i].vq, &v->mem, &c) ? -EPROTO : 0;
}

static int ring_start(struct port_vu *v, unsigned i)
{
	struct vu_ring *r = &v->ring[i];

	if (ring_init(v, i, (uint16_t)v->st.ring[i].base))
		return -EPROTO;
	/* Every buffer before used->idx is done with; one given back later
	 * than the base says (QEMU passes what it kept, DPDK's virtio-user 0
	 * after a reconnection) would be skipped, and an avail index a whole
	 * ring ahead taken for a broken ring. Resume from used->idx, as
	 * DPDK's vhost library does: at worst a frame is sent twice. */
	if (r->vq.last_avail_idx != r->vq.used_idx) {
		vu_log(v, "ring %u: base %u, used index %u: resuming from the "
		       "used index", i, r->vq.last_avail_idx, r->vq.used_idx);
		r->vq.last_avail_idx = r->vq.used_idx;
	}
	r->set_up = r->live = true;
	r->gen++;
	if (i == VU_TXQ)
		v->kick_gen++;
	else	/* never waited on: a full receive ring drops */
		virtq_notify(&r->vq, false);
	return 0;
}

/* Resume ring @i over a new memory table, where it left off. */
static int ring_remap(struct port_vu *v, unsigned i)
{
	if (ring_init(v, i, v->ring[i].vq.last_avail_idx))
		return -EPROTO;
	if (i == VU_RXQ)	/* init turned kicks on */
		virtq_notify(&v->ring[i].vq, false);
	return 0;
}

/* The index GET_VRING_BASE answers: the oldest head not given back yet,
 * or where the ring would go on; for a ring that never ran, the base it
 * was given. */
static uint16_t ring_base(const struct port_vu *v, unsigned i)
{
	const struct vu_ring *r = &v->ring[i];
	uint16_t lent = 0;
	unsigned k;

	if (!r->set_up)
		return (uint16_t)v->st.ring[i].base;
	if (i == VU_TXQ)
		for (k = 0; k < v->nout; k++)
			if (v->out[(v->out_first + k) % VU_OUT_MAX].gen == r->gen)
				lent++;
	return (uint16_t)(r->vq.last_avail_idx - lent);
}

/* Tear ring @i down: heads still lent are never pushed into it again. */
static void ring_stop(struct port_vu *v, unsigned i)
{
	struct vu_ring *r = &v->ring[i];

	if (!r->set_up)
		return;
	r->set_up = r->live = false;
	r->gen++;
	if (i == VU_TXQ)
		v->kick_gen++;
}

/* Pause or resume a set-up ring (SET_VRING_ENABLE). */
static void ring_pause(struct port_vu *v, unsigned i, bool live)
{
	v->ring[i].live = live;
	if (i == VU_TXQ)
		v->kick_gen++;
}

/* After every message: tear down what was stopped, start or resume what
 * runs, pause what was disabled, and keep the dirty log in step. */
static int rings_sync(struct port_vu *v)
{
	unsigned i;

	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		bool live = vhost_state_ring_live(&v->st, i);
		struct vu_ring *r = &v->ring[i];
		struct virtq_config c;

		if (v->st.ring[i].phase != VHOST_RING_STARTED)
			ring_stop(v, i);
		if (live && !r->set_up) {
			if (ring_start(v, i))
				return -EPROTO;
		} else if (live != r->live && r->set_up) {
			ring_pause(v, i, live);
		}
		if (!r->set_up)
			continue;
		ring_log(v, i, &c);
		r->vq.log = c.log;
		r->vq.log_size = c.log_size;
		r->vq.log_used = c.log_used;
	}
	return 0;
}


static void signal_call(struct port_vu *v, unsigned i)
{
	uint64_t one = 1;

	if (v->ring[i].call < 0)
		return;
	if (write(v->ring[i].call, &one, sizeof(one)) == sizeof(one))
		v->stats.calls++;
}

/* Messages ----------------------------------------------------------------*/

static int send_reply(struct port_vu *v, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (!len)
		return -EPROTO;
	do
		n = send(v->sock, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/* A reply is a few bytes on an otherwise idle socket; a front end
	 * that does not read them is not one we can serve. */
	return n == (ssize_t)len ? 0 : -EPIPE;
}

/* Keep descriptor @fd in *@slot (ring eventfds), closing the old one. */
static void fd_take(int *slot, int fd)
{
	fd_close(slot);
	*slot = fd;
}

/* Carry out an accepted message; takes the descriptors it keeps (set to
 * -1 in @msg). Returns 0 or -EPROTO with @err set. */
static int carry_out(struct port_vu *v, struct vhost_msg *msg, char *err,
		     size_t errlen)
{
	struct vu_ring *r = &v->ring[msg->ring < VHOST_MAX_RINGS ? msg->ring : 0];

	switch (msg->request) {
	case VHOST_USER_SET_MEM_TABLE:
		/* used entries written but not published must not be lost to
		 * the used index the new mapping is read from */
		for (unsigned i = 0; i < VHOST_MAX_RINGS; i++)
			if (v->ring[i].set_up && virtq_flush(&v->ring[i].vq))
				signal_call(v, i);
		if (mem_set(v, msg, err, errlen))
			return -EPROTO;
		for (unsigned i = 0; i < VHOST_MAX_RINGS; i++)
			if (v->ring[i].set_up && ring_remap(v, i))
				return snprintf(err, errlen, "ring %u outside "
						"the new memory table", i),
				       -EPROTO;
		return 0;
	case VHOST_USER_SET_LOG_BASE:
		map_drop(&v->log);
		if (map_fd(msg->fds[0], msg->u.log.mmap_offset,
			   msg->u.log.mmap_size, &v->log, err, errlen))
			return -EPROTO;
		return 0;
	case VHOST_USER_SET_VRING_KICK:
		fd_take(&r->kick, msg->nofd ? -1 : msg->fds[0]);
		if (!msg->nofd)
			msg->fds[0] = -1;
		if (msg->ring == VU_TXQ)
			v->kick_gen++;
		return 0;
	case VHOST_USER_SET_VRING_CALL:
		fd_take(&r->call, msg->nofd ? -1 : msg->fds[0]);
		if (!msg->nofd)
			msg->fds[0] = -1;
		return 0;
	case VHOST_USER_SET_VRING_ERR:
		fd_take(&r->err, msg->nofd ? -1 : msg->fds[0]);
		if (!msg->nofd)
			msg->fds[0] = -1;
		return 0;
	case VHOST_USER_RESET_OWNER:
		for (unsigned i = 0; i < VHOST_MAX_RINGS; i++)
			ring_stop(v, i);
		mem_retire(v);
		map_drop(&v->log);
		return 0;
	default:
		return 0;
	}
}

/* The explicit reply of @msg, if it has one. */
static size_t reply_of(const struct vhost_msg *msg, uint16_t base,
		       uint8_t *buf, size_t len)
{
	switch (msg->request) {
	case VHOST_USER_GET_FEATURES:
		return vhost_msg_reply_u64(msg, VHOST_MSG_FEATURES_OFFERED,
					   buf, len);
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return vhost_msg_reply_u64(msg, VHOST_MSG_PROTOCOL_OFFERED,
					   buf, len);
	case VHOST_USER_GET_QUEUE_NUM:
		return vhost_msg_reply_u64(msg, VHOST_MAX_QUEUE_PAIRS, buf,
					   len);
	case VHOST_USER_GET_VRING_BASE:
		return vhost_msg_reply_state(msg, msg->ring, base, buf, len);
	case VHOST_USER_SET_LOG_BASE:
		return vhost_msg_reply_empty(msg, buf, len);
	default:
		return 0;
	}
}

static void fds_close(struct port_vu *v)
{
	while (v->nfds)
		close(v->fds[--v->nfds]);
	v->fds_overflow = false;
}

/* Serve one whole message at v->msg (v->have bytes) with v->fds, which
 * are all closed or kept (ring eventfds) on return. */
static int serve(struct port_vu *v)
{
	struct vhost_msg msg;
	uint8_t reply[VHOST_MSG_REPLY_MAX];
	char err[160] = "";
	uint16_t base = 0;
	size_t rlen;
	unsigned k;
	int ret;

	ret = vhost_msg_parse(v->msg, v->have, v->fds, v->nfds, &msg, err,
			      sizeof(err));
	if (ret) {
		fds_close(v);
		if (ret == -EOPNOTSUPP &&
		    vhost_msg_needs_ack(&msg, vhost_state_protocol(&v->st))) {
			/* well-formed but unserved: say no, stay connected */
			vu_log(v, "%s", err);
			rlen = vhost_msg_reply_ack(&msg, false, reply,
						   sizeof(reply));
			return send_reply(v, reply, rlen);
		}
		snprintf(v->error, sizeof(v->error), "%s", err);
		return ret;
	}
	v->nfds = 0;			/* msg.fds own them now */
	if (msg.request == VHOST_USER_GET_VRING_BASE)
		base = ring_base(v, msg.ring);
	ret = vhost_state_apply(&v->st, &msg, err, sizeof(err));
	if (!ret)
		ret = carry_out(v, &msg, err, sizeof(err));
	if (!ret && rings_sync(v)) {
		snprintf(err, sizeof(err), "%s: a ring does not fit guest "
			 "memory", vhost_msg_request_name(msg.request));
		ret = -EPROTO;
	}
	for (k = 0; k < msg.nfds; k++)	/* those not kept by carry_out() */
		if (msg.fds[k] >= 0)
			close(msg.fds[k]);
	if (ret) {
		snprintf(v->error, sizeof(v->error), "%s", err[0] ? err :
			 "bad message");
		return ret;
	}
	v->stats.messages++;
	rlen = reply_of(&msg, base, reply, sizeof(reply));
	if (!rlen && vhost_msg_needs_ack(&msg, vhost_state_protocol(&v->st)))
		rlen = vhost_msg_reply_ack(&msg, true, reply, sizeof(reply));
	return rlen ? send_reply(v, reply, rlen) : 0;
}

/* Collect the descriptors of one recvmsg(). */
static void fds_collect(struct port_vu *v, struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n, i;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (v->nfds < VHOST_MSG_MAX_FDS)
				v->fds[v->nfds++] = fd;
			else {
				close(fd);
				v->fds_overflow = true;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		v->fds_overflow = true;
}

/* The bytes the current message has in all: its header, then as much
 * payload as the header says; 0 for a header over the limit. */
static size_t msg_want(struct port_vu *v)
{
	uint32_t size;

	if (v->have < VHOST_MSG_HDR_SIZE)
		return VHOST_MSG_HDR_SIZE;
	memcpy(&size, v->msg + 8, sizeof(size));
	size = le32toh(size);
	if (size <= VHOST_MSG_MAX_PAYLOAD)
		return VHOST_MSG_HDR_SIZE + size;
	snprintf(v->error, sizeof(v->error), "message of %u payload bytes "
		 "(at most %u)", size, VHOST_MSG_MAX_PAYLOAD);
	return 0;
}

/* Read what is there of the current message. Returns 1 when it is whole,
 * 0 when more must come, -errno when the connection is unusable. */
static int msg_read(struct port_vu *v)
{
	union {
		char buf[CMSG_SPACE(VHOST_MSG_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov;
	struct msghdr mh;
	size_t want;
	ssize_t n;

	for (;;) {
		want = msg_want(v);
		if (!want)
			return -EPROTO;
		if (v->have == want)
			return 1;
		iov = (struct iovec){ v->msg + v->have, want - v->have };
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf.buf,
				      .msg_controllen = sizeof(cbuf.buf) };
		n = recvmsg(v->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		fds_collect(v, &mh);
		if (n == 0) {
			snprintf(v->error, sizeof(v->error), "the front end "
				 "closed the connection");
			return -ECONNRESET;
		}
		v->have += (size_t)n;
	}
}

/* Connection ----------------------------------------------------------------*/

static void timer_arm(struct port_vu *v, long ns)
{
	struct itimerspec its = { .it_value = { ns / 1000000000L,
						ns % 1000000000L } };

	timerfd_settime(v->timer, 0, &its, NULL);
}

/* Close the connection and forget the device; retry in a second. */
static void disconnect(struct port_vu *v)
{
	unsigned i;

	if (v->sock < 0)
		return;
	epoll_ctl(v->epfd, EPOLL_CTL_DEL, v->sock, NULL);
	fd_close(&v->sock);
	fds_close(v);
	v->have = 0;
	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		ring_stop(v, i);
		fd_close(&v->ring[i].kick);
		fd_close(&v->ring[i].call);
		fd_close(&v->ring[i].err);
	}
	mem_retire(v);
	map_drop(&v->log);
	vhost_state_init(&v->st);
	v->broken = false;
	v->stats.disconnects++;
	v->kick_gen++;
	vu_log(v, "disconnected: %s", v->error[0] ? v->error : "closed");
	timer_arm(v, VU_RETRY_NS);
}

static void try_connect(struct port_vu *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto retry;
	memcpy(sa.sun_path, v->path, sizeof(v->path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		goto retry;
	}
	ev.data.fd = fd;
	if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		goto retry;
	}
	v->sock = fd;
	v->error[0] = '\0';
	v->retry_ns = VU_RETRY_MIN_NS;
	v->stats.connects++;
	vu_log(v, "connected to %s", v->path);
	return;
retry:
	/* soon while a front end is starting up, then every second */
	timer_arm(v, v->retry_ns);
	v->retry_ns = v->retry_ns * 2 > VU_RETRY_NS ? VU_RETRY_NS :
		      v->retry_ns * 2;
}

void port_vu_service(struct port_vu *v)
{
	struct epoll_event evs[2];
	uint64_t t;
	int n, i, ret;

	n = epoll_wait(v->epfd, evs, 2, 0);
	for (i = 0; i < n; i++) {
		if (evs[i].data.fd == v->timer) {
			if (read(v->timer, &t, sizeof(t)) < 0) {
				/* nothing: the timer is one-shot */
			}
			if (v->broken)
				disconnect(v);
			else if (v->sock < 0)
				try_connect(v);
			continue;
		}
		/* the socket: serve every whole message there is */
		for (int k = 0; k < 64 && v->sock >= 0; k++) {
			ret = msg_read(v);
			if (ret == 0)
				break;
			if (ret > 0) {
				ret = v->fds_overflow ? -EPROTO : serve(v);
				if (v->fds_overflow)
					snprintf(v->error, sizeof(v->error),
						 "too many descriptors");
				fds_close(v);
				v->have = 0;
			}
			if (ret < 0) {
				if (!v->error[0])
					snprintf(v->error, sizeof(v->error),
						 "%s", strerror(-ret));
				disconnect(v);
			}
		}
	}
}

/* Life cycle ---------------------------------------------------------------*/

int port_vu_new(const char *path, const char *name, struct port_vu **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct port_vu *v;
	unsigned i;

	if (strlen(path) >= sizeof(v->path))
		return -ENAMETOOLONG;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->scratch = malloc(2 * VU_SCRATCH);
	snprintf(v->path, sizeof(v->path), "%s", path);
	snprintf(v->name, sizeof(v->name), "%s", name ? name : path);
	v->sock = -1;
	v->retry_ns = VU_RETRY_MIN_NS;
	for (i = 0; i < VHOST_MAX_RINGS; i++)
		v->ring[i].kick = v->ring[i].call = v->ring[i].err = -1;
	vhost_state_init(&v->st);
	v->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = v->timer;
	if (!v->scratch || v->timer < 0 || v->epfd < 0 ||
	    epoll_ctl(v->epfd, EPOLL_CTL_ADD, v->timer, &ev) < 0) {
		int ret = v->scratch ? -errno : -ENOMEM;

		port_vu_free(v);
		return ret;
	}
	try_connect(v);
	*out = v;
	return 0;
}

void port_vu_free(struct port_vu *v)
{
	if (!v)
		return;
	v->error[0] = '\0';
	if (v->sock >= 0) {
		snprintf(v->error, sizeof(v->error), "port removed");
		disconnect(v);
	}
	v->nout = 0;
	retired_sweep(v);
	if (v->timer >= 0)
		close(v->timer);
	if (v->epfd >= 0)
		close(v->epfd);
	free(v->scratch);
	free(v);
}

int port_vu_ctl_fd(const struct port_vu *v)
{
	return v->epfd;
}

int port_vu_kick_fd(const struct port_vu *v)
{
	return v->ring[VU_TXQ].live ? v->ring[VU_TXQ].kick : -1;
}

uint64_t port_vu_kick_gen(const struct port_vu *v)
{
	return v->kick_gen;
}

void port_vu_kicked(struct port_vu *v)
{
	struct vu_ring *r = &v->ring[VU_TXQ];
	uint64_t n;

	if (r->kick >= 0 && read(r->kick, &n, sizeof(n)) == sizeof(n))
		v->stats.kicks++;
	if (r->live)		/* polling now: no kicks until we sleep */
		virtq_notify(&r->vq, false);
}

bool port_vu_poll_done(struct port_vu *v, bool more)
{
	struct vu_ring *r = &v->ring[VU_TXQ];

	if (v->broken) {
		disconnect(v);
		return false;
	}
	if (!r->live || r->kick < 0)
		return false;
	/* Frames left and the port may read (@more): poll again on the next
	 * round, the guest's kicks still off. Else kicks on, then one more
	 * look: a frame made available before the guest saw the flag would
	 * not be kicked. */
	if (more && virtq_pending(&r->vq))
		return true;
	virtq_notify(&r->vq, true);
	return more && virtq_pending(&r->vq);
}

bool port_vu_connected(const struct port_vu *v)
{
	return v->sock >= 0;
}

const char *port_vu_error(const struct port_vu *v)
{
	return v->error;
}

void port_vu_get_stats(const struct port_vu *v, struct port_vu_stats *out)
{
	*out = v->stats;
}

uint64_t port_vu_features(const struct port_vu *v)
{
	return v->st.features_set ? v->st.features : 0;
}

/* The data path -------------------------------------------------------------*/

/* A ring broke: say why once; the connection closes after the poll. */
static void ring_broke(struct port_vu *v, unsigned i, int err)
{
	if (v->broken)
		return;
	v->broken = true;
	snprintf(v->error, sizeof(v->error), "%s ring broken: %s",
		 i == VU_TXQ ? "transmit" : "receive", strerror(-err));
	timer_arm(v, 1);	/* disconnect from the control side at once */
}

/* Whether a frame may go zero-copy: big enough for the copy to matter,
 * and plain IPv4, or IPv6 straight to TCP or UDP, so that everything the
 * policy reads lies in its first VU_HEAD bytes (Ethernet 14, IPv4 up to 60
 * or IPv6 40, the ports 4). Anything else (ARP, ICMPv6 and its ND options,
 * extension headers, VLAN tags) is copied whole and judged whole. */
static bool zero_copy_ok(const uint8_t *f, uint32_t len)
{
	uint16_t et;

	if (len <= VU_COPY_MAX)
		return false;
	et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == ETH_P_IPV4_)
		return true;
	return et == ETH_P_IPV6_ &&
	       (f[14 + 6] == IPPROTO_TCP || f[14 + 6] == IPPROTO_UDP);
}

/* Fill @f from a popped chain. A big plain frame lying in one segment
 * goes in two pieces: a private copy of its first VU_HEAD bytes at
 * f->data, which the switch judges and delivers, and the rest in place in
 * guest memory (f->tail), copied once by the receiver. Anything else is
 * gathered whole into f->data. Returns false for a frame to refuse. */
static bool frame_take(struct port_vu *v, const struct virtq_iov *iov,
		       unsigned n, uint32_t total, unsigned hl,
		       struct vs_frame *f)
{
	uint32_t len = total - hl, off = hl;
	const uint8_t *p;
	unsigned i;

	if (total < hl + VS_FRAME_MIN || len > f->cap)
		return false;
	for (i = 0; i < n && off >= iov[i].len; i++)
		off -= iov[i].len;
	p = i < n ? iov[i].base + off : NULL;
	if (p && iov[i].len - off >= len && zero_copy_ok(p, len)) {
		memcpy(f->data, p, VU_HEAD);
		f->tail = p + VU_HEAD;
		f->tail_len = len - VU_HEAD;
		v->stats.zero_copy++;
	} else {
		virtq_iov_copy(iov, n, hl, f->data, len);
		f->tail = NULL;
		f->tail_len = 0;
		v->stats.gathered++;
	}
	f->len = len;
	return true;
}

static int vu_rx(void *ctx, struct vs_frame *frames, unsigned max)
{
	struct port_vu *v = ctx;
	struct vu_ring *r = &v->ring[VU_TXQ];
	struct virtq_iov iov[VU_IOV_MAX];
	unsigned n = 0, hl;
	uint16_t head;
	uint32_t total;
	int ret;

	if (!r->live || v->broken)
		return 0;
	hl = virtq_vnet_hdr_len(&r->vq);
	virtq_prefetch(&r->vq, 0, VU_PREFETCH, false);
	while (n < max && v->nout < VU_OUT_MAX) {
		virtq_prefetch(&r->vq, VU_PREFETCH, 1, false);
		ret = virtq_pop(&r->vq, iov, VU_IOV_MAX, &head, &total);
		if (ret == -ENOENT)
			break;
		if (ret < 0) {
			ring_broke(v, VU_TXQ, ret);
			break;
		}
		if (virtq_vnet_hdr_read(&r->vq, iov, (unsigned)ret,
					&frames[n].vnet) < 0 ||
		    !frame_take(v, iov, (unsigned)ret, total, hl, &frames[n])) {
			/* a runt or an oversized frame: given back in ring
			 * order, at once if nothing older is out */
			v->stats.rx_bad++;
			if (!v->nout)
				virtq_push(&r->vq, head, 0);
			else
				v->out[(v->out_first + v->nout++) % VU_OUT_MAX] =
					(struct vu_out){ head, false, r->gen };
			continue;
		}
		/* a guest's transmit header may ask for a checksum, nothing
		 * else: DATA_VALID is the receiving side's to say */
		frames[n].vnet.flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		v->out[(v->out_first + v->nout++) % VU_OUT_MAX] =
			(struct vu_out){ head, true, r->gen };
		n++;
	}
	if (!n && virtq_flush(&r->vq))	/* heads refused, or avail_event */
		signal_call(v, VU_TXQ);
	return (int)n;
}

/* The switch is done with the oldest @n frames: give their heads back,
 * with the refused heads between and behind them. */
static void vu_release(void *ctx, unsigned n)
{
	struct port_vu *v = ctx;
	struct vu_ring *r = &v->ring[VU_TXQ];

	while (v->nout && (n || !v->out[v->out_first].frame)) {
		const struct vu_out *o = &v->out[v->out_first];

		if (o->frame)
			n--;
		if (r->set_up && o->gen == r->gen &&
		    virtq_push(&r->vq, o->head, 0))
			ring_broke(v, VU_TXQ, virtq_broken(&r->vq));
		v->out_first = (v->out_first + 1) % VU_OUT_MAX;
		v->nout--;
	}
	if (r->set_up && virtq_flush(&r->vq))
		signal_call(v, VU_TXQ);
	retired_sweep(v);
}

/* One segment of a frame segmented in software, into the guest. */
static int seg_put(void *arg, const uint8_t *seg, uint32_t len)
{
	struct vs_frame f = { .data = (uint8_t *)(uintptr_t)seg, .len = len };
	int ret = virtq_rx_put(arg, &f);

	return ret < 0 ? ret : 0;
}

/* A frame whose offloads the guest did not negotiate: segment a GSO frame
 * or complete a partial checksum, in the scratch buffer. */
static int put_fallback(struct port_vu *v, struct virtq *vq,
			const struct vs_frame *f)
{
	uint8_t *whole = v->scratch + VU_SCRATCH;	/* second half */
	struct vs_frame c;
	int ret;

	if (!vs_frame_gather(f, whole, VU_SCRATCH))
		return -EMSGSIZE;
	if ((f->vnet.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) !=
	    VIRTIO_NET_HDR_GSO_NONE) {
		ret = vs_offload_segment(whole, f->len, &f->vnet, v->scratch,
					 VU_SCRATCH, seg_put, vq);
		if (ret > 0)
			v->stats.segmented++;
		return ret < 0 ? ret : 1;
	}
	if (vs_offload_csum(whole, f->len, &f->vnet))
		return -EINVAL;
	v->stats.csum_done++;
	c = (struct vs_frame){ .data = whole, .len = f->len };
	c.vnet.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	return virtq_rx_put(vq, &c);
}

/* Whether the guest takes @f as it is (its offloads negotiated). */
static bool guest_takes(uint64_t feat, const struct vs_vnet_hdr *h)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
		return feat & VHOST_BIT(VIRTIO_NET_F_GUEST_TSO4);
	if (gso == VIRTIO_NET_HDR_GSO_TCPV6)
		return feat & VHOST_BIT(VIRTIO_NET_F_GUEST_TSO6);
	if (gso != VIRTIO_NET_HDR_GSO_NONE)
		return false;
	return !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	       (feat & VHOST_BIT(VIRTIO_NET_F_GUEST_CSUM));
}

static unsigned vu_tx(void *ctx, const struct vs_frame *const *frames,
		      unsigned n)
{
	struct port_vu *v = ctx;
	struct vu_ring *r = &v->ring[VU_RXQ];
	unsigned i;
	int ret = 0;

	if (!r->live || v->broken) {
		v->stats.no_ring += n;
		return 0;
	}
	virtq_prefetch(&r->vq, 0, 2 * VU_PREFETCH, true);
	for (i = 0; i < n && !ret; ) {
		unsigned k = i;
		int put;

		/* the run of frames the guest takes as they are goes in one
		 * burst; a frame needing an offload done goes alone */
		while (k < n && k - i < VIRTQ_BURST_MAX &&
		       guest_takes(v->st.features, &frames[k]->vnet))
			k++;
		if (k > i) {
			put = virtq_rx_put_burst(&r->vq, frames + i, k - i, &ret);
			i += (unsigned)(put > 0 ? put : 0);
			continue;
		}
		ret = put_fallback(v, &r->vq, frames[i]);
		if (ret >= 0) {
			ret = 0;
			i++;
		}
	}
	if (ret == -ENOBUFS)
		v->stats.ring_full += n - i;
	else if (ret == -EMSGSIZE)
		v->stats.too_big++;	/* and the rest of the batch refused */
	else if (ret < 0 && virtq_broken(&r->vq))
		ring_broke(v, VU_RXQ, ret);
	if (i && virtq_flush(&r->vq))
		signal_call(v, VU_RXQ);
	return i;
}

const struct vs_port_ops port_vu_ops = {
	.tx = vu_tx,
	.rx = vu_rx,
	.release = vu_release,
};

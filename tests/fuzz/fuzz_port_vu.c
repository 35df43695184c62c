// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_port_vu.c - libFuzzer target over the vhost-user port
 * (port_vhost_user.c): messages from a real socket, rings in real shared
 * memory, the data path as the switch drives it
 *
 * Each input is one front end's session with a fresh port. The harness
 * listens on a unix socket in a per-process temporary directory (made
 * once); the port connects, the harness accepts and plays the front end.
 * Guest memory is a 64 KiB memfd that the harness lays out as a valid
 * guest (both rings of the size the input asks, frames on the transmit
 * ring, buffers on the receive ring) and then XORs the input's image into,
 * so that short images keep a working guest and longer ones break it
 * anywhere. The input:
 *
 *   [0]     mode: bit 0 a valid negotiation first (QEMU's sequence),
 *           1 REPLY_ACK (NEED_REPLY on its requests), 2 dirty log on,
 *           3 MRG_RXBUF, 4 EVENT_IDX, 5 INDIRECT_DESC, 6 the guest's
 *           receive offloads (GUEST_CSUM, GUEST_TSO4/6), 7 fold the
 *           rings after the XOR (descriptor addresses into guest memory,
 *           heads into the ring, avail->idx at most a ring ahead)
 *   [1]     log2 of the ring size (mod 9: 1..256)
 *   [2..3]  SET_VRING_BASE of rings 0 and 1
 *   [4..5]  image length L (little endian), then L bytes XORed into
 *           guest memory from offset 0
 *   then    records, each one control byte and one message: a 12-byte
 *           header and as many payload bytes as its size field says (or
 *           what is left). Control: bits 0-3 descriptors sent with it
 *           (mod 10: up to 9, one more than a message may carry), bits
 *           4-6 the first of them in the pool (guest memfd, eventfds, a
 *           log memfd, a memfd too short for guest memory), bit 7 run
 *           the data path before the message.
 *
 * The data path (after the records too): rx into switch buffers, each
 * frame gathered and checked, the gathered frames sent back through tx
 * with their virtio-net headers (so the offload fallbacks run), release,
 * kicked, poll_done. Beyond ASan/UBSan, the target checks the frames' and
 * the port's invariants, and that an iteration leaves no descriptor open.
 *
 * fuzz.mk links vswitch/port_vhost_user.o into this target.
 */

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "offload.h"
#include "port_vhost_user.h"
#include "vhost_msg.h"
#include "virtq.h"

#define G_SIZE		(64u * 1024)	/* guest memory */
#define QVA0		0x7f0000000000ULL	/* the front end's address of it */
#define LOG_OFF		4096u		/* the dirty log in its memfd */
#define LOG_LEN		4096u
#define HDR_LEN		12u		/* VERSION_1: virtio_net_hdr_mrg_rxbuf */
#define NF		8u		/* frames per rx */
#define FRAME_MAX	VS_FRAME_MAX_DEFAULT
#define POOL		8u
#define NTX		4u		/* frames the default guest sends */
#define NRX		8u		/* buffers it gives for receiving */
#define RXBUF		2048u

int LLVMFuzzerInitialize(int *argc, char ***argv);

static char sock_dir[64], sock_path[108];
static int lsock = -1;

/* Where the rings of a guest of @qs entries lie. */
struct layout {
	unsigned qs;
	size_t desc[2], avail[2], used[2], heap;
};

static size_t align16(size_t x)
{
	return (x + 15) & ~(size_t)15;
}

static void layout_of(unsigned qs, struct layout *l)
{
	size_t at = 0;
	unsigned q;

	l->qs = qs;
	for (q = 0; q < 2; q++) {
		l->desc[q] = at;
		at = align16(at + VIRTQ_DESC_BYTES(qs));
		l->avail[q] = at;
		at = align16(at + VIRTQ_AVAIL_BYTES(qs));
		l->used[q] = at;
		at = align16(at + VIRTQ_USED_BYTES(qs));
	}
	l->heap = at;
}

/* Set-up ------------------------------------------------------------------*/

static void fz_quiet(const char *msg)
{
	(void)msg;
}

static void fz_cleanup(void)
{
	if (lsock >= 0)
		close(lsock);
	unlink(sock_path);
	rmdir(sock_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)argc;
	(void)argv;
	port_vu_set_logger(fz_quiet);
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/xeno-fuzz-vu-XXXXXX");
	CHECK(mkdtemp(sock_dir));
	snprintf(sock_path, sizeof(sock_path), "%s/fe.sock", sock_dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(lsock >= 0);
	CHECK(bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(lsock, 16) == 0);
	atexit(fz_cleanup);
	return 0;
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	const struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The front end's end of a fresh connection. */
static int fz_accept(void)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	return accept4(lsock, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
}

static int memfd_of(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

/* One session's resources. */
struct sess {
	struct port_vu *v;
	int sock;
	int pool[POOL];			/* descriptors messages may carry */
	uint8_t *mem;			/* the harness's map of guest memory */
	struct layout l;
	uint8_t mode;
	uint16_t base[2];
};

enum { P_MEM, P_KICK0, P_KICK1, P_CALL, P_LOG, P_SHORT, P_MEM2, P_EFD };

static void sess_open(struct sess *s)
{
	unsigned i;
	int fd;

	s->pool[P_MEM] = memfd_of("guest", G_SIZE);
	for (i = P_KICK0; i <= P_CALL; i++)
		s->pool[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->pool[P_LOG] = memfd_of("log", LOG_OFF + LOG_LEN);
	s->pool[P_SHORT] = memfd_of("short", G_SIZE / 16);
	s->pool[P_MEM2] = s->pool[P_MEM];
	s->pool[P_EFD] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (i = 0; i < POOL; i++)
		CHECK(s->pool[i] >= 0);
	s->mem = mmap(NULL, G_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->pool[P_MEM], 0);
	CHECK(s->mem != MAP_FAILED);
	/* a connection left over would be accepted in place of ours */
	while ((fd = fz_accept()) >= 0)
		close(fd);
	CHECK(port_vu_new(sock_path, "fuzz", &s->v) == 0);
	s->sock = fz_accept();
	CHECK(s->sock >= 0);
	CHECK(port_vu_connected(s->v));
}

static void sess_close(struct sess *s)
{
	unsigned i;

	port_vu_free(s->v);
	close(s->sock);
	munmap(s->mem, G_SIZE);
	for (i = 0; i < POOL; i++)
		if (i != P_MEM2)
			close(s->pool[i]);
}

/* The guest -----------------------------------------------------------------*/

static void put_desc(struct sess *s, unsigned q, unsigned i, size_t addr,
		     uint32_t len, uint16_t flags)
{
	struct virtq_desc *d = (struct virtq_desc *)(void *)
			       (s->mem + s->l.desc[q]) + i;

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16((uint16_t)((i + 1) % s->l.qs));
}

static void put_avail(struct sess *s, unsigned q, uint16_t slot,
		      uint16_t head)
{
	struct virtq_avail *a = (struct virtq_avail *)(void *)
				(s->mem + s->l.avail[q]);

	a->ring[slot % s->l.qs] = htole16(head);
}

static void set_idx(struct sess *s, unsigned q, uint16_t avail_idx)
{
	struct virtq_avail *a = (struct virtq_avail *)(void *)
				(s->mem + s->l.avail[q]);
	struct virtq_used *u = (struct virtq_used *)(void *)
			       (s->mem + s->l.used[q]);

	a->idx = htole16(avail_idx);
	u->idx = htole16(s->base[q]);
}

/* An IPv4/UDP frame of @len bytes at @p, after a virtio-net header
 * asking for its UDP checksum when @csum. */
static void put_frame(uint8_t *p, uint32_t len, bool csum)
{
	static const uint8_t eth_ip[34] = {
		0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
	};
	uint8_t *f = p + HDR_LEN;

	memset(p, 0, HDR_LEN + len);
	if (csum) {
		p[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		p[6] = 34;		/* csum_start: the UDP header */
		p[8] = 6;		/* csum_offset */
	}
	memcpy(f, eth_ip, sizeof(eth_ip));
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	f[34] = 0x04;
	f[36] = 0x08;
	f[38] = (uint8_t)((len - 34) >> 8);
	f[39] = (uint8_t)(len - 34);
}

/* A working guest: frames on ring 1 (small, zero-copy size, split over
 * two descriptors, with a partial checksum), buffers on ring 0. */
static void guest_default(struct sess *s, unsigned qs)
{
	static const uint32_t lens[NTX] = { 64, 1500, 600, 200 };
	unsigned ntx = NTX, nrx = NRX, i, d = 0;
	size_t at = s->l.heap;

	if (ntx > qs)
		ntx = qs;
	if (nrx > qs)
		nrx = qs;

	for (i = 0; i < ntx && d < qs; i++) {
		put_avail(s, 1, (uint16_t)(s->base[1] + i), (uint16_t)d);
		put_frame(s->mem + at, lens[i], i == 3);
		if (i == 2 && d + 1 < qs) {	/* split */
			put_desc(s, 1, d++, at, HDR_LEN + 100, VIRTQ_DESC_F_NEXT);
			put_desc(s, 1, d++, at + HDR_LEN + 100, lens[i] - 100, 0);
		} else {
			put_desc(s, 1, d++, at, HDR_LEN + lens[i], 0);
		}
		at = align16(at + HDR_LEN + lens[i]);
	}
	set_idx(s, 1, (uint16_t)(s->base[1] + i));
	for (i = 0; i < nrx; i++) {
		put_desc(s, 0, i, at, RXBUF, VIRTQ_DESC_F_WRITE);
		put_avail(s, 0, (uint16_t)(s->base[0] + i), (uint16_t)i);
		at += RXBUF;
	}
	set_idx(s, 0, (uint16_t)(s->base[0] + nrx));
	CHECK(at <= G_SIZE);
}

/* Mode bit 7: bring what the XOR broke back near the rules. */
static void guest_fold(struct sess *s)
{
	unsigned q, i;

	for (q = 0; q < 2; q++) {
		struct virtq_desc *d = (struct virtq_desc *)(void *)
				       (s->mem + s->l.desc[q]);
		struct virtq_avail *a = (struct virtq_avail *)(void *)
					(s->mem + s->l.avail[q]);
		uint16_t ahead;

		for (i = 0; i < s->l.qs; i++) {
			d[i].addr = htole64(le64toh(d[i].addr) % G_SIZE);
			a->ring[i] = htole16(le16toh(a->ring[i]) % s->l.qs);
		}
		ahead = (uint16_t)(le16toh(a->idx) - s->base[q]);
		a->idx = htole16((uint16_t)(s->base[q] + ahead % (s->l.qs + 1)));
	}
}

/* Messages ----------------------------------------------------------------*/

/* Read and drop what the port answered. */
static void drain(struct sess *s)
{
	uint8_t buf[256];

	while (recv(s->sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Send @len bytes (a message or part of one) with @nfds descriptors. */
static void send_msg(struct sess *s, const uint8_t *buf, size_t len,
		     const int *fds, unsigned nfds)
{
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (!port_vu_connected(s->v) || !len)
		return;
	memset(&c, 0, sizeof(c));
	if (nfds) {
		mh.msg_control = c.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	if (sendmsg(s->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
	port_vu_service(s->v);
	drain(s);
	if (!port_vu_connected(s->v)) {
		CHECK(port_vu_error(s->v)[0]);
		CHECK(port_vu_kick_fd(s->v) == -1);
	}
}

/* A request of the negotiation: header, @size payload bytes, @fd (or
 * -1). */
static void req(struct sess *s, uint32_t request, const void *payload,
		uint32_t size, int fd)
{
	uint8_t buf[VHOST_MSG_HDR_SIZE + 64];
	bool need = (s->mode & 2) && !vhost_msg_has_reply(request);
	struct vhost_wire_hdr h = {
		htole32(request),
		htole32(VHOST_MSG_VERSION | (need ? VHOST_MSG_F_NEED_REPLY : 0)),
		htole32(size),
	};

	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + sizeof(h), payload, size);
	send_msg(s, buf, sizeof(h) + size, &fd, fd >= 0);
}

static void req_u64(struct sess *s, uint32_t request, uint64_t v, int fd)
{
	uint64_t le = htole64(v);

	req(s, request, &le, sizeof(le), fd);
}

static void req_state(struct sess *s, uint32_t request, uint32_t i,
		      uint32_t num)
{
	struct vhost_wire_state st = { htole32(i), htole32(num) };

	req(s, request, &st, sizeof(st), -1);
}

static void negotiate_ring(struct sess *s, unsigned q)
{
	struct vhost_wire_addr a = {
		.index = htole32(q),
		.flags = htole32(s->mode & 4 ? VHOST_VRING_F_LOG : 0),
		.desc_user_addr = htole64(QVA0 + s->l.desc[q]),
		.used_user_addr = htole64(QVA0 + s->l.used[q]),
		.avail_user_addr = htole64(QVA0 + s->l.avail[q]),
		.log_guest_addr = htole64(s->l.used[q]),
	};

	req_state(s, VHOST_USER_SET_VRING_NUM, q, s->l.qs);
	req_state(s, VHOST_USER_SET_VRING_BASE, q, s->base[q]);
	req(s, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), -1);
	req_u64(s, VHOST_USER_SET_VRING_KICK, q, s->pool[P_KICK0 + q]);
	req_u64(s, VHOST_USER_SET_VRING_CALL, q, s->pool[P_CALL]);
}

/* Mode bit 0: QEMU 7.2's sequence up to running rings. */
static void negotiate(struct sess *s)
{
	const uint8_t m = s->mode;
	uint64_t features = VHOST_BIT(VIRTIO_F_VERSION_1) |
			    VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES) |
			    VHOST_BIT(VIRTIO_NET_F_CSUM) |
			    VHOST_BIT(VIRTIO_NET_F_HOST_TSO4) |
			    VHOST_BIT(VIRTIO_NET_F_HOST_TSO6);
	struct {
		struct vhost_wire_mem_hdr h;
		struct vhost_wire_region r;
	} __attribute__((packed)) mem = {
		{ htole32(1), 0 },
		{ 0, htole64(G_SIZE), htole64(QVA0), 0 },
	};
	struct vhost_wire_log log = { htole64(LOG_LEN), htole64(LOG_OFF) };
	unsigned q;

	features |= (m & 8 ? VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF) : 0) |
		    (m & 16 ? VHOST_BIT(VIRTIO_RING_F_EVENT_IDX) : 0) |
		    (m & 32 ? VHOST_BIT(VIRTIO_RING_F_INDIRECT_DESC) : 0) |
		    (m & 64 ? VHOST_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			      VHOST_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			      VHOST_BIT(VIRTIO_NET_F_GUEST_TSO6) : 0) |
		    (m & 4 ? VHOST_BIT(VHOST_F_LOG_ALL) : 0);
	req_u64(s, VHOST_USER_SET_PROTOCOL_FEATURES,
		VHOST_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
		(m & 2 ? VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) : 0), -1);
	req(s, VHOST_USER_SET_OWNER, NULL, 0, -1);
	req_u64(s, VHOST_USER_SET_FEATURES, features, -1);
	req(s, VHOST_USER_SET_MEM_TABLE, &mem, sizeof(mem), s->pool[P_MEM]);
	if (m & 4)
		req(s, VHOST_USER_SET_LOG_BASE, &log, sizeof(log),
		    s->pool[P_LOG]);
	for (q = 0; q < 2; q++)
		negotiate_ring(s, q);
	for (q = 0; q < 2; q++)
		req_state(s, VHOST_USER_SET_VRING_ENABLE, q, 1);
}

/* The data path ---------------------------------------------------------------*/

/* In structs: clang-analyzer's padding check reports plain arrays of
 * struct vs_frame. */
static struct {
	struct vs_frame f[NF];
} rxb, txb;
static uint8_t rx_bufs[NF][FRAME_MAX];
static uint8_t copies[NF][FRAME_MAX];

static void check_frame(const struct vs_frame *f, unsigned i)
{
	CHECK(f->len >= VS_FRAME_MIN && f->len <= FRAME_MAX);
	CHECK(f->tail_len < f->len);
	if (f->tail_len) {
		CHECK(f->tail && vs_frame_head_len(f) == PORT_VU_HEAD);
		CHECK(f->data == rx_bufs[i]);
	} else {
		CHECK(!f->tail);
	}
}

static void datapath(struct sess *s)
{
	const struct vs_frame *ptrs[NF];
	unsigned i, n, sent;
	int ret;

	for (i = 0; i < NF; i++)
		rxb.f[i] = (struct vs_frame){ .data = rx_bufs[i],
					      .cap = FRAME_MAX };
	ret = port_vu_ops.rx(s->v, rxb.f, NF);
	CHECK(ret >= 0 && (unsigned)ret <= NF);
	n = (unsigned)ret;
	for (i = 0; i < n; i++) {
		const struct vs_frame *f = &rxb.f[i];

		check_frame(f, i);
		CHECK(vs_frame_gather(f, copies[i], FRAME_MAX) == f->len);
		/* every other frame goes out in two pieces */
		txb.f[i] = (struct vs_frame){ .data = copies[i], .len = f->len,
					      .vnet = f->vnet };
		if (i % 2 && f->len > PORT_VU_HEAD) {
			txb.f[i].tail = copies[i] + PORT_VU_HEAD;
			txb.f[i].tail_len = f->len - PORT_VU_HEAD;
		}
		ptrs[i] = &txb.f[i];
	}
	sent = port_vu_ops.tx(s->v, ptrs, n);
	CHECK(sent <= n);
	port_vu_ops.release(s->v, n);
	port_vu_kicked(s->v);
	port_vu_poll_done(s->v, true);
	(void)port_vu_kick_fd(s->v);
	(void)port_vu_kick_gen(s->v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct port_vu_stats st;
	struct sess s;
	size_t len, i;
	int fds_before = fd_count();
	unsigned qs;

	if (size < 6)
		return 0;
	memset(&s, 0, sizeof(s));
	s.mode = data[0];
	qs = 1u << (data[1] % 9);
	layout_of(qs, &s.l);
	s.base[0] = data[2];
	s.base[1] = data[3];
	len = (size_t)(data[4] | data[5] << 8);
	data += 6;
	size -= 6;
	if (len > size)
		len = size;
	if (len > G_SIZE)
		len = G_SIZE;

	sess_open(&s);
	guest_default(&s, qs);
	for (i = 0; i < len; i++)
		s.mem[i] ^= data[i];
	if (s.mode & 128)
		guest_fold(&s);
	data += len;
	size -= len;

	if (s.mode & 1)
		negotiate(&s);
	while (size) {
		uint8_t ctl = data[0];
		unsigned nfds = (ctl & 15) % 10, k;
		int fds[10];
		size_t want = VHOST_MSG_HDR_SIZE;

		data++;
		size--;
		if (size >= VHOST_MSG_HDR_SIZE)
			want += (uint32_t)data[8] | (uint32_t)data[9] << 8 |
				(uint32_t)data[10] << 16 |
				(uint32_t)data[11] << 24;
		len = want < size ? want : size;
		for (k = 0; k < nfds; k++)
			fds[k] = s.pool[((ctl >> 4) + k) % POOL];
		if (ctl & 128)
			datapath(&s);
		send_msg(&s, data, len, fds, nfds);
		data += len;
		size -= len;
	}
	datapath(&s);
	port_vu_service(s.v);
	port_vu_get_stats(s.v, &st);
	/* (a session longer than the retry second may connect again) */
	CHECK(st.connects >= 1 && st.disconnects <= st.connects);
	CHECK(port_vu_connected(s.v) || st.disconnects);
	sess_close(&s);
	CHECK(fd_count() == fds_before);
	return 0;
}

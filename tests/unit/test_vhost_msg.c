// SPDX-License-Identifier: GPL-2.0-or-later
/* test_vhost_msg.c - the vhost-user message layer (DESIGN.md §7): each
 * request QEMU 7.2 sends parses to the expected fields, each malformed
 * variant is refused beside its well-formed control, replies are byte
 * exact, and the device state machine takes QEMU's start-up sequence and
 * refuses messages out of order
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "vhost_msg.h"

/* Message builder ---------------------------------------------------------*/

struct wbuf {
	uint8_t b[VHOST_MSG_MAX_SIZE + 64];
	size_t len;
};

static void w32(struct wbuf *w, uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		w->b[w->len++] = (uint8_t)(v >> (8 * i));
}

static void w64(struct wbuf *w, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		w->b[w->len++] = (uint8_t)(v >> (8 * i));
}

/* A header for @req with @flags, its size patched by fin(). */
static void hdr(struct wbuf *w, uint32_t req, uint32_t flags)
{
	w->len = 0;
	w32(w, req);
	w32(w, flags);
	w32(w, 0);
}

/* Set the header's size to the payload written so far. */
static void fin(struct wbuf *w)
{
	uint32_t n = (uint32_t)(w->len - VHOST_MSG_HDR_SIZE);
	unsigned i;

	for (i = 0; i < 4; i++)
		w->b[8 + i] = (uint8_t)(n >> (8 * i));
}

static void msg_none(struct wbuf *w, uint32_t req)
{
	hdr(w, req, VHOST_MSG_VERSION);
	fin(w);
}

static void msg_u64(struct wbuf *w, uint32_t req, uint64_t v)
{
	hdr(w, req, VHOST_MSG_VERSION);
	w64(w, v);
	fin(w);
}

static void msg_state(struct wbuf *w, uint32_t req, uint32_t idx,
		      uint32_t num)
{
	hdr(w, req, VHOST_MSG_VERSION);
	w32(w, idx);
	w32(w, num);
	fin(w);
}

/* Guest memory used throughout: one 1 GiB region at user address UVA. */
#define GPA	0x0ull
#define UVA	0x7f0000000000ull
#define MEMSZ	0x40000000ull
#define RING_SZ	256u

static void msg_addr(struct wbuf *w, uint32_t idx, uint64_t base)
{
	hdr(w, VHOST_USER_SET_VRING_ADDR, VHOST_MSG_VERSION);
	w32(w, idx);
	w32(w, 0);
	w64(w, base);			/* desc */
	w64(w, base + 0x2000);		/* used */
	w64(w, base + 0x1000);		/* avail */
	w64(w, 0);			/* log */
	fin(w);
}

static void msg_mem(struct wbuf *w, uint32_t n, uint64_t size)
{
	uint32_t i;

	hdr(w, VHOST_USER_SET_MEM_TABLE, VHOST_MSG_VERSION);
	w32(w, n);
	w32(w, 0);
	for (i = 0; i < n; i++) {
		w64(w, GPA + i * MEMSZ);
		w64(w, size);
		w64(w, UVA + i * MEMSZ);
		w64(w, 0);
	}
	fin(w);
}

static const int fds8[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };

static int parse(const struct wbuf *w, unsigned nfds, struct vhost_msg *m)
{
	char err[128];

	return vhost_msg_parse(w->b, w->len, fds8, nfds, m, err, sizeof(err));
}

/* Well-formed messages ----------------------------------------------------*/

static void test_parse_each_request(void **state)
{
	struct vhost_msg m;
	struct wbuf w;
	static const uint32_t bare[] = {
		VHOST_USER_GET_FEATURES, VHOST_USER_SET_OWNER,
		VHOST_USER_RESET_OWNER, VHOST_USER_GET_PROTOCOL_FEATURES,
		VHOST_USER_GET_QUEUE_NUM,
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		msg_none(&w, bare[i]);
		assert_int_equal(parse(&w, 0, &m), 0);
		assert_int_equal(m.request, bare[i]);
		assert_int_equal(m.size, 0);
		assert_int_equal(m.kind, VHOST_PAYLOAD_NONE);
		assert_int_equal(m.nfds, 0);
	}

	msg_u64(&w, VHOST_USER_SET_FEATURES, 0x1234567890abcdefull);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(m.kind, VHOST_PAYLOAD_U64);
	assert_true(m.u.u64 == 0x1234567890abcdefull);

	msg_u64(&w, VHOST_USER_SET_PROTOCOL_FEATURES, 0xa);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_true(m.u.u64 == 0xa);

	msg_u64(&w, VHOST_USER_SEND_RARP, 0x0000665544332211ull);
	assert_int_equal(parse(&w, 0, &m), 0);
	msg_u64(&w, VHOST_USER_NET_SET_MTU, 1500);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_true(m.u.u64 == 1500);

	msg_state(&w, VHOST_USER_SET_VRING_NUM, 1, 256);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(m.kind, VHOST_PAYLOAD_STATE);
	assert_int_equal(m.u.state.index, 1);
	assert_int_equal(m.u.state.num, 256);
	assert_int_equal(m.ring, 1);
	msg_state(&w, VHOST_USER_SET_VRING_BASE, 0, 77);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(m.u.state.num, 77);
	msg_state(&w, VHOST_USER_GET_VRING_BASE, 1, 0);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(m.ring, 1);
	msg_state(&w, VHOST_USER_SET_VRING_ENABLE, 0, 1);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(m.u.state.num, 1);

	msg_addr(&w, 1, UVA + 0x10000);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(m.kind, VHOST_PAYLOAD_ADDR);
	assert_int_equal(m.u.addr.index, 1);
	assert_true(m.u.addr.desc == UVA + 0x10000);
	assert_true(m.u.addr.used == UVA + 0x12000);
	assert_true(m.u.addr.avail == UVA + 0x11000);
	assert_int_equal(m.size, 40);
}

static void test_parse_mem_table(void **state)
{
	struct vhost_msg m;
	struct wbuf w;

	(void)state;
	msg_mem(&w, 2, MEMSZ);
	assert_int_equal(w.len, VHOST_MSG_HDR_SIZE + 8 + 2 * 32);
	assert_int_equal(parse(&w, 2, &m), 0);
	assert_int_equal(m.kind, VHOST_PAYLOAD_MEM);
	assert_int_equal(m.u.mem.nregions, 2);
	assert_true(m.u.mem.regions[1].guest_phys_addr == MEMSZ);
	assert_true(m.u.mem.regions[1].memory_size == MEMSZ);
	assert_true(m.u.mem.regions[1].userspace_addr == UVA + MEMSZ);
	assert_int_equal(m.nfds, 2);
	assert_int_equal(m.fds[0], 10);
	assert_int_equal(m.fds[1], 11);

	msg_mem(&w, VHOST_MSG_MAX_REGIONS, 4096);
	assert_int_equal(parse(&w, VHOST_MSG_MAX_REGIONS, &m), 0);
	assert_int_equal(m.nfds, VHOST_MSG_MAX_REGIONS);
}

static void test_parse_fds(void **state)
{
	struct vhost_msg m;
	struct wbuf w;

	(void)state;
	/* kick with its eventfd; call without (NOFD) */
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, 1);
	assert_int_equal(parse(&w, 1, &m), 0);
	assert_int_equal(m.ring, 1);
	assert_false(m.nofd);
	assert_int_equal(m.nfds, 1);
	assert_int_equal(m.fds[0], 10);
	msg_u64(&w, VHOST_USER_SET_VRING_CALL, VHOST_MSG_VRING_NOFD | 1);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_true(m.nofd);
	assert_int_equal(m.nfds, 0);
	msg_u64(&w, VHOST_USER_SET_VRING_ERR, 0);
	assert_int_equal(parse(&w, 1, &m), 0);

	/* the log, with its shm */
	hdr(&w, VHOST_USER_SET_LOG_BASE, VHOST_MSG_VERSION);
	w64(&w, 0x10000);
	w64(&w, 0);
	fin(&w);
	assert_int_equal(parse(&w, 1, &m), 0);
	assert_int_equal(m.kind, VHOST_PAYLOAD_LOG);
	assert_true(m.u.log.mmap_size == 0x10000);
	assert_int_equal(m.nfds, 1);
}

/* Malformed messages, each beside its control -----------------------------*/

static void test_short_header(void **state)
{
	struct vhost_msg m;
	struct wbuf w;
	size_t n;

	(void)state;
	msg_none(&w, VHOST_USER_GET_FEATURES);
	assert_int_equal(parse(&w, 0, &m), 0);
	for (n = 0; n < VHOST_MSG_HDR_SIZE; n++)
		assert_int_equal(vhost_msg_parse(w.b, n, NULL, 0, &m, NULL, 0),
				 -EPROTO);
	assert_int_equal(vhost_msg_parse(NULL, 12, NULL, 0, &m, NULL, 0),
			 -EPROTO);
}

/* For every served request with a fixed size: the right size parses (with
 * the descriptors it needs), one byte more or less does not, whether the
 * header or the buffer is off. */
static void test_size_mismatch(void **state)
{
	uint32_t req;
	struct vhost_msg m;
	struct wbuf w;
	unsigned nfds;
	long size;

	(void)state;
	for (req = 1; req <= VHOST_USER_NET_SET_MTU; req++) {
		size = vhost_msg_payload_size(req);
		if (size < 0)
			continue;
		nfds = (req == VHOST_USER_SET_LOG_BASE ||
			req == VHOST_USER_SET_LOG_FD ||
			req == VHOST_USER_SET_VRING_KICK ||
			req == VHOST_USER_SET_VRING_CALL ||
			req == VHOST_USER_SET_VRING_ERR) ? 1 : 0;
		hdr(&w, req, VHOST_MSG_VERSION);
		memset(w.b + w.len, 0, (size_t)size + 1);
		if (req == VHOST_USER_SET_LOG_BASE)
			w.b[w.len] = 1;		/* mmap_size 1 */
		w.len += (size_t)size;
		fin(&w);
		assert_int_equal(parse(&w, nfds, &m), 0);
		/* header agrees with the buffer, both one byte longer */
		w.len++;
		fin(&w);
		assert_int_equal(parse(&w, nfds, &m), -EPROTO);
		/* header one longer than the buffer */
		w.len--;
		assert_int_equal(parse(&w, nfds, &m), -EPROTO);
		if (size == 0)
			continue;
		/* both one byte shorter */
		w.len--;
		fin(&w);
		assert_int_equal(parse(&w, nfds, &m), -EPROTO);
	}
}

static void test_mem_table_bad(void **state)
{
	struct vhost_msg m;
	struct wbuf w;

	(void)state;
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(parse(&w, 1, &m), 0);

	/* too many regions (and the bytes to go with them) */
	msg_mem(&w, VHOST_MSG_MAX_REGIONS + 1, 4096);
	assert_int_equal(parse(&w, 8, &m), -EPROTO);
	/* no region */
	msg_mem(&w, 0, MEMSZ);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
	/* nregions says 2, one region's bytes */
	msg_mem(&w, 1, MEMSZ);
	w.b[VHOST_MSG_HDR_SIZE] = 2;
	assert_int_equal(parse(&w, 2, &m), -EPROTO);
	/* short of the table header */
	msg_mem(&w, 1, MEMSZ);
	w.len = VHOST_MSG_HDR_SIZE + 4;
	fin(&w);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	/* size 0 */
	msg_mem(&w, 1, 0);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	/* userspace_addr + size overflows */
	msg_mem(&w, 1, 0x1000000000000000ull);
	assert_int_equal(parse(&w, 1, &m), 0);	/* control: fits */
	msg_mem(&w, 1, UINT64_MAX - UVA + 2);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	/* the largest region that ends at the top of the address space */
	msg_mem(&w, 1, UINT64_MAX - UVA + 1);
	assert_int_equal(parse(&w, 1, &m), 0);
}

static void test_fd_counts(void **state)
{
	struct vhost_msg m;
	struct wbuf w;

	(void)state;
	/* one per region: 3 regions take 3, not 2 or 4 */
	msg_mem(&w, 3, 4096);
	assert_int_equal(parse(&w, 3, &m), 0);
	assert_int_equal(parse(&w, 2, &m), -EPROTO);
	assert_int_equal(parse(&w, 4, &m), -EPROTO);
	/* kick: one, not none, not two */
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, 0);
	assert_int_equal(parse(&w, 1, &m), 0);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
	assert_int_equal(parse(&w, 2, &m), -EPROTO);
	/* NOFD: none, not one */
	msg_u64(&w, VHOST_USER_SET_VRING_CALL, VHOST_MSG_VRING_NOFD);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	assert_int_equal(m.nfds, 0);	/* nothing kept on error */
	/* a request without descriptors given one */
	msg_none(&w, VHOST_USER_SET_OWNER);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	/* a count with no array */
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, 0);
	assert_int_equal(vhost_msg_parse(w.b, w.len, NULL, 1, &m, NULL, 0),
			 -EPROTO);
}

static void test_bad_version_and_flags(void **state)
{
	struct vhost_msg m;
	struct wbuf w;
	uint32_t v;

	(void)state;
	for (v = 0; v < 4; v++) {
		hdr(&w, VHOST_USER_SET_OWNER, v);
		fin(&w);
		assert_int_equal(parse(&w, 0, &m),
				 v == VHOST_MSG_VERSION ? 0 : -EPROTO);
	}
	hdr(&w, VHOST_USER_SET_OWNER, VHOST_MSG_VERSION | VHOST_MSG_F_NEED_REPLY);
	fin(&w);
	assert_int_equal(parse(&w, 0, &m), 0);
	hdr(&w, VHOST_USER_SET_OWNER, VHOST_MSG_VERSION | VHOST_MSG_F_REPLY);
	fin(&w);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
	hdr(&w, VHOST_USER_SET_OWNER, VHOST_MSG_VERSION | 0x100);
	fin(&w);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
}

static void test_index_out_of_range(void **state)
{
	struct vhost_msg m;
	struct wbuf w;
	static const uint32_t reqs[] = {
		VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_BASE,
		VHOST_USER_GET_VRING_BASE, VHOST_USER_SET_VRING_ENABLE,
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		msg_state(&w, reqs[i], VHOST_MAX_RINGS - 1, 1);
		assert_int_equal(parse(&w, 0, &m), 0);
		msg_state(&w, reqs[i], VHOST_MAX_RINGS, 1);
		assert_int_equal(parse(&w, 0, &m), -EPROTO);
		msg_state(&w, reqs[i], UINT32_MAX, 1);
		assert_int_equal(parse(&w, 0, &m), -EPROTO);
	}
	msg_addr(&w, VHOST_MAX_RINGS - 1, UVA);
	assert_int_equal(parse(&w, 0, &m), 0);
	msg_addr(&w, VHOST_MAX_RINGS, UVA);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, VHOST_MAX_RINGS - 1);
	assert_int_equal(parse(&w, 1, &m), 0);
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, VHOST_MAX_RINGS);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	/* bits above NOFD */
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, 1ull << 9);
	assert_int_equal(parse(&w, 1, &m), -EPROTO);
	/* enable takes 0 or 1 */
	msg_state(&w, VHOST_USER_SET_VRING_ENABLE, 0, 2);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
}

static void test_unknown_request(void **state)
{
	uint8_t out[VHOST_MSG_REPLY_MAX];
	struct vhost_msg m;
	struct wbuf w;
	const uint64_t ack = VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);

	(void)state;
	/* without NEED_REPLY: refused, nothing to answer */
	msg_u64(&w, VHOST_USER_SET_BACKEND_REQ_FD, 0);
	assert_int_equal(parse(&w, 1, &m), -EOPNOTSUPP);
	assert_int_equal(m.request, VHOST_USER_SET_BACKEND_REQ_FD);
	assert_false(vhost_msg_needs_ack(&m, ack));
	/* with NEED_REPLY: refused, answered with a failure ack */
	hdr(&w, 99, VHOST_MSG_VERSION | VHOST_MSG_F_NEED_REPLY);
	w64(&w, 5);
	fin(&w);
	assert_int_equal(parse(&w, 0, &m), -EOPNOTSUPP);
	assert_int_equal(m.request, 99);
	assert_string_equal(vhost_msg_request_name(99), "UNKNOWN");
	assert_true(vhost_msg_needs_ack(&m, ack));
	assert_false(vhost_msg_needs_ack(&m, 0));	/* not negotiated */
	assert_int_equal(vhost_msg_reply_ack(&m, false, out, sizeof(out)), 20);
	assert_int_equal(out[0], 99);
	assert_int_equal(out[12], 1);
	/* request 0 is no request */
	msg_none(&w, VHOST_USER_NONE);
	assert_int_equal(parse(&w, 0, &m), -EOPNOTSUPP);
	/* a bad header stays -EPROTO even for an unknown request */
	hdr(&w, 99, 2);
	fin(&w);
	assert_int_equal(parse(&w, 0, &m), -EPROTO);
}

/* Replies ----------------------------------------------------------------*/

static void test_replies(void **state)
{
	static const uint8_t want_u64[] = {
		1, 0, 0, 0,  5, 0, 0, 0,  8, 0, 0, 0,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
	};
	static const uint8_t want_state[] = {
		11, 0, 0, 0,  5, 0, 0, 0,  8, 0, 0, 0,
		1, 0, 0, 0,  0x34, 0x12, 0, 0,
	};
	uint8_t out[VHOST_MSG_REPLY_MAX];
	struct vhost_msg m;
	struct wbuf w;

	(void)state;
	msg_none(&w, VHOST_USER_GET_FEATURES);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(vhost_msg_reply_u64(&m, 0x0102030405060708ull, out,
					     sizeof(out)), sizeof(want_u64));
	assert_memory_equal(out, want_u64, sizeof(want_u64));
	assert_int_equal(vhost_msg_reply_u64(&m, 1, out, 19), 0);

	msg_state(&w, VHOST_USER_GET_VRING_BASE, 1, 0);
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_int_equal(vhost_msg_reply_state(&m, 1, 0x1234, out,
					       sizeof(out)), 20);
	assert_memory_equal(out, want_state, sizeof(want_state));

	/* SET_LOG_BASE: a bare header */
	m.request = VHOST_USER_SET_LOG_BASE;
	assert_int_equal(vhost_msg_reply_empty(&m, out, sizeof(out)), 12);
	assert_int_equal(out[0], 6);
	assert_int_equal(out[8], 0);
	assert_int_equal(vhost_msg_reply_empty(&m, out, 11), 0);

	/* REPLY_ACK: 0 is success */
	hdr(&w, VHOST_USER_SET_MEM_TABLE,
	    VHOST_MSG_VERSION | VHOST_MSG_F_NEED_REPLY);
	fin(&w);
	msg_mem(&w, 1, MEMSZ);
	w.b[4] |= VHOST_MSG_F_NEED_REPLY;
	assert_int_equal(parse(&w, 1, &m), 0);
	assert_true(vhost_msg_needs_ack(&m,
		VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)));
	assert_int_equal(vhost_msg_reply_ack(&m, true, out, sizeof(out)), 20);
	assert_int_equal(out[0], VHOST_USER_SET_MEM_TABLE);
	assert_int_equal(out[12], 0);
	/* an explicit reply stands in for the ack */
	msg_none(&w, VHOST_USER_GET_FEATURES);
	w.b[4] |= VHOST_MSG_F_NEED_REPLY;
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_false(vhost_msg_needs_ack(&m,
		VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vhost_msg_request_name(VHOST_USER_SET_MEM_TABLE),
			    "SET_MEM_TABLE");
	assert_string_equal(vhost_msg_request_name(VHOST_USER_NET_SET_MTU),
			    "NET_SET_MTU");
	assert_string_equal(vhost_msg_request_name(VHOST_USER_GET_STATUS),
			    "GET_STATUS");
	assert_string_equal(vhost_msg_request_name(VHOST_USER_REQUEST_MAX),
			    "UNKNOWN");
	assert_false(VHOST_MSG_FEATURES_OFFERED &
		     VHOST_BIT(VIRTIO_F_RING_PACKED));
	assert_false(VHOST_MSG_PROTOCOL_OFFERED &
		     VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ));
}

/* State machine ------------------------------------------------------------*/

/* Parse @w (must succeed) and apply it to @st; returns apply's result. */
static int feed(struct vhost_dev_state *st, const struct wbuf *w,
		unsigned nfds)
{
	struct vhost_msg m;
	char err[128];

	assert_int_equal(vhost_msg_parse(w->b, w->len, fds8, nfds, &m, err,
					 sizeof(err)), 0);
	return vhost_state_apply(st, &m, err, sizeof(err));
}

#define NET_FEATURES	(VHOST_MSG_FEATURES_OFFERED & \
			 ~VHOST_BIT(VHOST_F_LOG_ALL))

/* QEMU 7.2's vhost_user_backend_init() and vhost_dev_init(). */
static void qemu_init(struct vhost_dev_state *st)
{
	struct wbuf w;
	unsigned i;

	vhost_state_init(st);
	msg_none(&w, VHOST_USER_GET_FEATURES);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_none(&w, VHOST_USER_GET_PROTOCOL_FEATURES);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_u64(&w, VHOST_USER_SET_PROTOCOL_FEATURES,
		VHOST_MSG_PROTOCOL_OFFERED);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_none(&w, VHOST_USER_GET_QUEUE_NUM);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_none(&w, VHOST_USER_SET_OWNER);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_none(&w, VHOST_USER_GET_FEATURES);
	assert_int_equal(feed(st, &w, 0), 0);
	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		msg_u64(&w, VHOST_USER_SET_VRING_CALL, i);
		assert_int_equal(feed(st, &w, 1), 0);
	}
}

/* vhost_dev_start() for ring @i, after SET_FEATURES and SET_MEM_TABLE. */
static void qemu_ring_start(struct vhost_dev_state *st, unsigned i)
{
	struct wbuf w;

	msg_state(&w, VHOST_USER_SET_VRING_NUM, i, RING_SZ);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_state(&w, VHOST_USER_SET_VRING_BASE, i, 0);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_addr(&w, i, UVA + 0x100000 * (i + 1));
	assert_int_equal(feed(st, &w, 0), 0);
	assert_int_equal(st->ring[i].phase, VHOST_RING_READY);
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, i);
	assert_int_equal(feed(st, &w, 1), 0);
	msg_u64(&w, VHOST_USER_SET_VRING_CALL, i);
	assert_int_equal(feed(st, &w, 1), 0);
	assert_int_equal(st->ring[i].phase, VHOST_RING_STARTED);
}

static void qemu_start(struct vhost_dev_state *st)
{
	struct wbuf w;
	unsigned i;

	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES);
	assert_int_equal(feed(st, &w, 0), 0);
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(feed(st, &w, 1), 0);
	for (i = 0; i < VHOST_MAX_RINGS; i++)
		qemu_ring_start(st, i);
	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		assert_false(vhost_state_ring_live(st, i));
		msg_state(&w, VHOST_USER_SET_VRING_ENABLE, i, 1);
		assert_int_equal(feed(st, &w, 0), 0);
		assert_true(vhost_state_ring_live(st, i));
	}
}

static void test_state_qemu_sequence(void **state)
{
	struct vhost_dev_state st;
	uint8_t out[VHOST_MSG_REPLY_MAX];
	struct vhost_msg m;
	struct wbuf w;

	(void)state;
	qemu_init(&st);
	assert_true(st.owner);
	assert_true(st.protocol_features == VHOST_MSG_PROTOCOL_OFFERED);
	qemu_start(&st);
	assert_true(st.features == NET_FEATURES);

	/* migration: LOG_ALL on, the log, the used-ring log flag */
	msg_u64(&w, VHOST_USER_SET_FEATURES,
		NET_FEATURES | VHOST_BIT(VHOST_F_LOG_ALL));
	assert_int_equal(feed(&st, &w, 0), 0);
	hdr(&w, VHOST_USER_SET_LOG_BASE, VHOST_MSG_VERSION);
	w64(&w, 0x8000);
	w64(&w, 0);
	fin(&w);
	assert_int_equal(feed(&st, &w, 1), 0);
	assert_true(st.log_set);
	msg_addr(&w, 0, UVA + 0x100000);
	w.b[VHOST_MSG_HDR_SIZE + 4] = VHOST_VRING_F_LOG;
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_true(st.ring[0].addr.flags & VHOST_VRING_F_LOG);
	msg_u64(&w, VHOST_USER_SEND_RARP, 0x665544332211ull);
	assert_int_equal(feed(&st, &w, 0), 0);

	/* stop: GET_VRING_BASE per ring, then start again */
	msg_state(&w, VHOST_USER_GET_VRING_BASE, 0, 0);
	assert_int_equal(vhost_msg_parse(w.b, w.len, NULL, 0, &m, NULL, 0), 0);
	assert_int_equal(vhost_state_apply(&st, &m, NULL, 0), 0);
	assert_int_equal(vhost_msg_reply_state(&m, 0, 42, out, sizeof(out)),
			 20);
	assert_int_equal(st.ring[0].phase, VHOST_RING_IDLE);
	assert_false(vhost_state_ring_live(&st, 0));
	assert_true(vhost_state_ring_live(&st, 1));
	qemu_ring_start(&st, 0);
}

/* A front end that never negotiates PROTOCOL_FEATURES: a ring runs from
 * its kick, and SET_VRING_ENABLE is refused. */
static void test_state_no_protocol_features(void **state)
{
	struct vhost_dev_state st;
	struct wbuf w;

	(void)state;
	vhost_state_init(&st);
	msg_none(&w, VHOST_USER_SET_OWNER);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES &
		~VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(feed(&st, &w, 1), 0);
	qemu_ring_start(&st, 0);
	assert_true(vhost_state_ring_live(&st, 0));
	msg_state(&w, VHOST_USER_SET_VRING_ENABLE, 0, 1);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
}

/* QEMU 7.2's order: protocol features set, then SET_VRING_ENABLE 0
 * before SET_FEATURES (which may leave bit 30 out): accepted, and a ring
 * then waits for SET_VRING_ENABLE 1. */
static void test_state_enable_before_features(void **state)
{
	struct vhost_dev_state st;
	struct wbuf w;

	(void)state;
	qemu_init(&st);
	msg_state(&w, VHOST_USER_SET_VRING_ENABLE, 0, 0);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES &
		~VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(feed(&st, &w, 1), 0);
	qemu_ring_start(&st, 0);
	assert_false(vhost_state_ring_live(&st, 0));
	msg_state(&w, VHOST_USER_SET_VRING_ENABLE, 0, 1);
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_true(vhost_state_ring_live(&st, 0));
}

/* DPDK 22.11's virtio-user reconnecting to a new back end: no SET_OWNER,
 * no protocol features, SET_VRING_ENABLE 0 and GET_VRING_BASE of rings
 * that do not run, then the usual start with SET_VRING_ENABLE 1; REPLY_ACK
 * stays in force from its first connection. */
static void test_state_dpdk_reconnect(void **state)
{
	struct vhost_dev_state st;
	struct wbuf w;
	struct vhost_msg m;
	unsigned i;

	(void)state;
	vhost_state_init(&st);
	for (i = 0; i < 2; i++) {
		msg_state(&w, VHOST_USER_SET_VRING_ENABLE, i, 0);
		assert_int_equal(feed(&st, &w, 0), 0);
		msg_state(&w, VHOST_USER_GET_VRING_BASE, i, 0);
		assert_int_equal(feed(&st, &w, 0), 0);
	}
	msg_none(&w, VHOST_USER_GET_FEATURES);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES);
	w.b[4] |= VHOST_MSG_F_NEED_REPLY;
	assert_int_equal(parse(&w, 0, &m), 0);
	assert_true(vhost_msg_needs_ack(&m, vhost_state_protocol(&st)));
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(feed(&st, &w, 1), 0);
	qemu_ring_start(&st, 0);
	assert_false(vhost_state_ring_live(&st, 0));	/* still disabled */
	msg_state(&w, VHOST_USER_SET_VRING_ENABLE, 0, 1);
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_true(vhost_state_ring_live(&st, 0));
	/* a front end that set protocol features without REPLY_ACK gets no
	 * ack, whatever it flags */
	msg_u64(&w, VHOST_USER_SET_PROTOCOL_FEATURES,
		VHOST_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD));
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_false(vhost_msg_needs_ack(&m, vhost_state_protocol(&st)));
}

static void test_state_out_of_order(void **state)
{
	struct vhost_dev_state st, before;
	struct wbuf w;

	(void)state;
	/* before SET_OWNER: implied (a reconnecting DPDK front end skips
	 * it); SET_OWNER again changes nothing */
	vhost_state_init(&st);
	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES);
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_true(st.owner);
	msg_none(&w, VHOST_USER_SET_OWNER);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_none(&w, VHOST_USER_SET_OWNER);
	assert_int_equal(feed(&st, &w, 0), 0);

	/* SET_VRING_ADDR before SET_MEM_TABLE, then after */
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, RING_SZ);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_addr(&w, 0, UVA + 0x100000);
	before = st;
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	/* unchanged */
	assert_int_equal(st.ring[0].num, before.ring[0].num);
	assert_int_equal(st.ring[0].num_set, before.ring[0].num_set);
	assert_false(st.ring[0].addr_set);
	assert_false(st.mem_set);
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(feed(&st, &w, 1), 0);
	msg_addr(&w, 0, UVA + 0x100000);
	assert_int_equal(feed(&st, &w, 0), 0);

	/* SET_VRING_ADDR before SET_VRING_NUM (ring 1) */
	msg_addr(&w, 1, UVA + 0x200000);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);

	/* KICK before the ring is configured (BASE missing), then after */
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, 0);
	assert_int_equal(feed(&st, &w, 1), -EPROTO);
	msg_state(&w, VHOST_USER_SET_VRING_BASE, 0, 0);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, VHOST_MSG_VRING_NOFD);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);	/* polling */
	msg_u64(&w, VHOST_USER_SET_VRING_KICK, 0);
	assert_int_equal(feed(&st, &w, 1), 0);

	/* running: NUM, BASE, a moved ring are refused; GET_VRING_BASE of a
	 * ring that does not run changes nothing */
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, RING_SZ);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_state(&w, VHOST_USER_SET_VRING_BASE, 0, 0);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_addr(&w, 0, UVA + 0x300000);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	before = st;
	msg_state(&w, VHOST_USER_GET_VRING_BASE, 1, 0);
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_int_equal(st.ring[1].phase, before.ring[1].phase);
	assert_int_equal(st.ring[1].num_set, before.ring[1].num_set);
	msg_state(&w, VHOST_USER_GET_VRING_BASE, 0, 0);
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_int_equal(st.ring[0].phase, VHOST_RING_IDLE);	/* stopped */
	msg_state(&w, VHOST_USER_GET_VRING_BASE, 0, 0);
	assert_int_equal(feed(&st, &w, 0), 0);
}

static void test_state_inconsistent(void **state)
{
	struct vhost_dev_state st;
	struct wbuf w;

	(void)state;
	qemu_init(&st);
	/* features not offered: packed ring; TSO without checksum */
	msg_u64(&w, VHOST_USER_SET_FEATURES,
		NET_FEATURES | VHOST_BIT(VIRTIO_F_RING_PACKED));
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_u64(&w, VHOST_USER_SET_FEATURES,
		VHOST_BIT(VIRTIO_NET_F_HOST_TSO4));
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_u64(&w, VHOST_USER_SET_FEATURES,
		VHOST_BIT(VIRTIO_NET_F_HOST_TSO4) |
		VHOST_BIT(VIRTIO_NET_F_CSUM));
	assert_int_equal(feed(&st, &w, 0), 0);
	/* protocol features not offered: MQ */
	msg_u64(&w, VHOST_USER_SET_PROTOCOL_FEATURES,
		VHOST_BIT(VHOST_USER_PROTOCOL_F_MQ));
	assert_int_equal(feed(&st, &w, 0), -EPROTO);

	/* ring sizes: powers of two up to 32768 */
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, 32768);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, 65536);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, 300);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, 0);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_state(&w, VHOST_USER_SET_VRING_NUM, 0, RING_SZ);
	assert_int_equal(feed(&st, &w, 0), 0);
	/* base is a 16-bit index */
	msg_state(&w, VHOST_USER_SET_VRING_BASE, 0, 65535);
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_state(&w, VHOST_USER_SET_VRING_BASE, 0, 65536);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);

	/* the ring must lie in the table, aligned */
	msg_mem(&w, 1, MEMSZ);
	assert_int_equal(feed(&st, &w, 1), 0);
	msg_addr(&w, 0, UVA + MEMSZ - 0x2000);	/* used runs past the end */
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_addr(&w, 0, UVA - 0x1000);
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_addr(&w, 0, UVA + 8);		/* desc not 16-aligned */
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_addr(&w, 0, UVA);
	assert_int_equal(feed(&st, &w, 0), 0);

	/* log base without LOG_SHMFD (protocol features set without it) */
	vhost_state_init(&st);
	msg_u64(&w, VHOST_USER_SET_PROTOCOL_FEATURES,
		VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK));
	assert_int_equal(feed(&st, &w, 0), 0);
	msg_none(&w, VHOST_USER_SET_OWNER);
	assert_int_equal(feed(&st, &w, 0), 0);
	hdr(&w, VHOST_USER_SET_LOG_BASE, VHOST_MSG_VERSION);
	w64(&w, 0x8000);
	w64(&w, 0);
	fin(&w);
	assert_int_equal(feed(&st, &w, 1), -EPROTO);
	/* requests xeno refuses */
	msg_u64(&w, VHOST_USER_NET_SET_MTU, 1500);
	assert_int_equal(feed(&st, &w, 0), -EOPNOTSUPP);
	msg_none(&w, VHOST_USER_SET_LOG_FD);
	assert_int_equal(feed(&st, &w, 1), -EOPNOTSUPP);
}

static void test_state_running_changes(void **state)
{
	struct vhost_dev_state st;
	struct wbuf w;

	(void)state;
	qemu_init(&st);
	qemu_start(&st);
	/* features other than LOG_ALL frozen while rings run */
	msg_u64(&w, VHOST_USER_SET_FEATURES,
		NET_FEATURES & ~VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF));
	assert_int_equal(feed(&st, &w, 0), -EPROTO);
	msg_u64(&w, VHOST_USER_SET_FEATURES, NET_FEATURES);
	assert_int_equal(feed(&st, &w, 0), 0);
	/* a new table that drops the running rings is refused; one that
	 * keeps them (hotplug) is taken */
	hdr(&w, VHOST_USER_SET_MEM_TABLE, VHOST_MSG_VERSION);
	w32(&w, 1);
	w32(&w, 0);
	w64(&w, GPA);
	w64(&w, 0x1000);
	w64(&w, UVA);
	w64(&w, 0);
	fin(&w);
	assert_int_equal(feed(&st, &w, 1), -EPROTO);
	msg_mem(&w, 2, MEMSZ);
	assert_int_equal(feed(&st, &w, 2), 0);
	/* RESET_OWNER forgets the rings */
	msg_none(&w, VHOST_USER_RESET_OWNER);
	assert_int_equal(feed(&st, &w, 0), 0);
	assert_false(vhost_state_ring_live(&st, 0));
	assert_false(st.mem_set);
	assert_false(vhost_state_ring_live(&st, VHOST_MAX_RINGS));
}

/* A message the parser never produced (ring out of range) is refused. */
static void test_state_unparsed(void **state)
{
	struct vhost_dev_state st;
	struct vhost_msg m;

	(void)state;
	qemu_init(&st);
	memset(&m, 0, sizeof(m));
	m.request = VHOST_USER_SET_VRING_CALL;
	m.ring = 0;
	assert_int_equal(vhost_state_apply(&st, &m, NULL, 0), 0);
	m.ring = VHOST_MAX_RINGS;
	assert_int_equal(vhost_state_apply(&st, &m, NULL, 0), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_each_request),
		cmocka_unit_test(test_parse_mem_table),
		cmocka_unit_test(test_parse_fds),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_size_mismatch),
		cmocka_unit_test(test_mem_table_bad),
		cmocka_unit_test(test_fd_counts),
		cmocka_unit_test(test_bad_version_and_flags),
		cmocka_unit_test(test_index_out_of_range),
		cmocka_unit_test(test_unknown_request),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_state_qemu_sequence),
		cmocka_unit_test(test_state_no_protocol_features),
		cmocka_unit_test(test_state_enable_before_features),
		cmocka_unit_test(test_state_dpdk_reconnect),
		cmocka_unit_test(test_state_out_of_order),
		cmocka_unit_test(test_state_inconsistent),
		cmocka_unit_test(test_state_running_changes),
		cmocka_unit_test(test_state_unparsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

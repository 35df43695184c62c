// SPDX-License-Identifier: GPL-2.0-or-later
/* vhost_msg.c - vhost-user messages: parser, reply builders, state machine
 *
 * See vhost_msg.h for the theory of operation and the per-ring states.
 * Every byte from the front end is read through vs_take(), which checks it
 * lies inside the message; every field is converted from little-endian.
 */

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "vhost_msg.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const request_names[] = {
	[VHOST_USER_NONE] = "NONE",
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_SEND_RARP] = "SEND_RARP",
	[VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
	[VHOST_USER_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
	[VHOST_USER_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
	[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
	[VHOST_USER_CREATE_CRYPTO_SESSION] = "CREATE_CRYPTO_SESSION",
	[VHOST_USER_CLOSE_CRYPTO_SESSION] = "CLOSE_CRYPTO_SESSION",
	[VHOST_USER_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
	[VHOST_USER_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
	[VHOST_USER_POSTCOPY_END] = "POSTCOPY_END",
	[VHOST_USER_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
	[VHOST_USER_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
	[VHOST_USER_GPU_SET_SOCKET] = "GPU_SET_SOCKET",
	[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
	[VHOST_USER_VRING_KICK] = "VRING_KICK",
	[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
	[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
	[VHOST_USER_SET_STATUS] = "SET_STATUS",
	[VHOST_USER_GET_STATUS] = "GET_STATUS",
};
_Static_assert(ARRAY_SIZE(request_names) == VHOST_USER_REQUEST_MAX,
	       "request_names[] in step with enum vhost_msg_request");

const char *vhost_msg_request_name(uint32_t request)
{
	if (request < ARRAY_SIZE(request_names) && request_names[request])
		return request_names[request];
	return "UNKNOWN";
}

/* What each served request carries: payload, its exact size, and the
 * descriptors that must come with it. */
enum fd_rule {
	FDS_NONE,	/* no descriptor */
	FDS_ONE,	/* exactly one */
	FDS_REGIONS,	/* one per memory region */
	FDS_UNLESS_NOFD,/* one, unless the u64 payload has NOFD */
};

struct request_rule {
	enum vhost_msg_payload kind;
	long size;		/* -1: memory table, checked by its parser */
	enum fd_rule fds;
	bool ring;		/* payload names a ring, checked < MAX_RINGS */
	bool reply;		/* explicit reply (no REPLY_ACK one) */
};

#define RULE(k, s, f, r, rep)	{ .kind = (k), .size = (s), .fds = (f), \
				  .ring = (r), .reply = (rep) }
#define U64	VHOST_PAYLOAD_U64
#define STATE	VHOST_PAYLOAD_STATE
#define NONE	VHOST_PAYLOAD_NONE

static const struct request_rule rules[] = {
	[VHOST_USER_GET_FEATURES] = RULE(NONE, 0, FDS_NONE, false, true),
	[VHOST_USER_SET_FEATURES] = RULE(U64, 8, FDS_NONE, false, false),
	[VHOST_USER_SET_OWNER] = RULE(NONE, 0, FDS_NONE, false, false),
	[VHOST_USER_RESET_OWNER] = RULE(NONE, 0, FDS_NONE, false, false),
	[VHOST_USER_SET_MEM_TABLE] = RULE(VHOST_PAYLOAD_MEM, -1, FDS_REGIONS,
					  false, false),
	[VHOST_USER_SET_LOG_BASE] = RULE(VHOST_PAYLOAD_LOG, 16, FDS_ONE,
					 false, true),
	[VHOST_USER_SET_LOG_FD] = RULE(NONE, 0, FDS_ONE, false, false),
	[VHOST_USER_SET_VRING_NUM] = RULE(STATE, 8, FDS_NONE, true, false),
	[VHOST_USER_SET_VRING_ADDR] = RULE(VHOST_PAYLOAD_ADDR, 40, FDS_NONE,
					   true, false),
	[VHOST_USER_SET_VRING_BASE] = RULE(STATE, 8, FDS_NONE, true, false),
	[VHOST_USER_GET_VRING_BASE] = RULE(STATE, 8, FDS_NONE, true, true),
	[VHOST_USER_SET_VRING_KICK] = RULE(U64, 8, FDS_UNLESS_NOFD, true,
					   false),
	[VHOST_USER_SET_VRING_CALL] = RULE(U64, 8, FDS_UNLESS_NOFD, true,
					   false),
	[VHOST_USER_SET_VRING_ERR] = RULE(U64, 8, FDS_UNLESS_NOFD, true,
					  false),
	[VHOST_USER_GET_PROTOCOL_FEATURES] = RULE(NONE, 0, FDS_NONE, false,
						  true),
	[VHOST_USER_SET_PROTOCOL_FEATURES] = RULE(U64, 8, FDS_NONE, false,
						  false),
	[VHOST_USER_GET_QUEUE_NUM] = RULE(NONE, 0, FDS_NONE, false, true),
	[VHOST_USER_SET_VRING_ENABLE] = RULE(STATE, 8, FDS_NONE, true, false),
	[VHOST_USER_SEND_RARP] = RULE(U64, 8, FDS_NONE, false, false),
	[VHOST_USER_NET_SET_MTU] = RULE(U64, 8, FDS_NONE, false, false),
};
#undef U64
#undef STATE
#undef NONE
_Static_assert(ARRAY_SIZE(rules) == VHOST_USER_NET_SET_MTU + 1,
	       "rules[] covers the served requests");

/* The rule for @request, or NULL if it is not served. */
static const struct request_rule *rule_of(uint32_t request)
{
	if (request == VHOST_USER_NONE || request >= ARRAY_SIZE(rules))
		return NULL;
	return &rules[request];
}

long vhost_msg_payload_size(uint32_t request)
{
	const struct request_rule *r = rule_of(request);

	return r ? r->size : -1;
}

bool vhost_msg_has_reply(uint32_t request)
{
	const struct request_rule *r = rule_of(request);

	return r && r->reply;
}

/* Errors ------------------------------------------------------------------*/

/* Write the reason into @err and return @ret. */
__attribute__((format(printf, 4, 5)))
static int fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Bounds-checked reading --------------------------------------------------*/

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

#define FIELD32(base, type, f)	get_le32((base) + offsetof(type, f))
#define FIELD64(base, type, f)	get_le64((base) + offsetof(type, f))

/* Payload decoders: @c holds exactly the payload (size already checked).
 * Each returns 0 or -EPROTO with a reason. */

static int parse_region(const uint8_t *w, struct vhost_msg_region *r,
			unsigned i, char *err, size_t errlen)
{
	r->guest_phys_addr = FIELD64(w, struct vhost_wire_region,
				     guest_phys_addr);
	r->memory_size = FIELD64(w, struct vhost_wire_region, memory_size);
	r->userspace_addr = FIELD64(w, struct vhost_wire_region,
				    userspace_addr);
	r->mmap_offset = FIELD64(w, struct vhost_wire_region, mmap_offset);

	if (!r->memory_size)
		return fail(-EPROTO, err, errlen, "region %u: size 0", i);
	/* Each range is [start, start + size): its last byte must exist. */
	if (r->guest_phys_addr > UINT64_MAX - (r->memory_size - 1) ||
	    r->userspace_addr > UINT64_MAX - (r->memory_size - 1) ||
	    r->mmap_offset > UINT64_MAX - (r->memory_size - 1))
		return fail(-EPROTO, err, errlen,
			    "region %u: address + size overflows", i);
	return 0;
}

static int parse_mem(struct vs_cursor *c, struct vhost_msg *m, char *err,
		     size_t errlen)
{
	const uint8_t *w = vs_take(c, sizeof(struct vhost_wire_mem_hdr));
	unsigned i;
	int ret;

	if (!w)
		return fail(-EPROTO, err, errlen,
			    "SET_MEM_TABLE: %u bytes, short", m->size);
	m->u.mem.nregions = FIELD32(w, struct vhost_wire_mem_hdr, nregions);
	if (m->u.mem.nregions < 1 ||
	    m->u.mem.nregions > VHOST_MSG_MAX_REGIONS)
		return fail(-EPROTO, err, errlen,
			    "SET_MEM_TABLE: %u regions, not 1..%u",
			    m->u.mem.nregions, VHOST_MSG_MAX_REGIONS);
	if (vs_cursor_left(c) != m->u.mem.nregions * sizeof(struct vhost_wire_region))
		return fail(-EPROTO, err, errlen,
			    "SET_MEM_TABLE: %u bytes for %u regions",
			    m->size, m->u.mem.nregions);
	for (i = 0; i < m->u.mem.nregions; i++) {
		w = vs_take(c, sizeof(struct vhost_wire_region));
		if (!w)
			return fail(-EPROTO, err, errlen, "SET_MEM_TABLE: short");
		ret = parse_region(w, &m->u.mem.regions[i], i, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static void parse_addr(const uint8_t *w, struct vhost_msg_addr *a)
{
	a->index = FIELD32(w, struct vhost_wire_addr, index);
	a->flags = FIELD32(w, struct vhost_wire_addr, flags);
	a->desc = FIELD64(w, struct vhost_wire_addr, desc_user_addr);
	a->used = FIELD64(w, struct vhost_wire_addr, used_user_addr);
	a->avail = FIELD64(w, struct vhost_wire_addr, avail_user_addr);
	a->log = FIELD64(w, struct vhost_wire_addr, log_guest_addr);
}

/* Decode the fixed-size payload of @m by its kind. */
static int parse_payload(struct vs_cursor *c, struct vhost_msg *m, char *err,
			 size_t errlen)
{
	const uint8_t *w;

	switch (m->kind) {
	case VHOST_PAYLOAD_NONE:
		return 0;
	case VHOST_PAYLOAD_MEM:
		return parse_mem(c, m, err, errlen);
	default:
		break;
	}
	w = vs_take(c, m->size);
	if (!w)
		return fail(-EPROTO, err, errlen, "payload short");
	switch (m->kind) {
	case VHOST_PAYLOAD_U64:
		m->u.u64 = get_le64(w);
		break;
	case VHOST_PAYLOAD_STATE:
		m->u.state.index = FIELD32(w, struct vhost_wire_state, index);
		m->u.state.num = FIELD32(w, struct vhost_wire_state, num);
		break;
	case VHOST_PAYLOAD_ADDR:
		parse_addr(w, &m->u.addr);
		break;
	case VHOST_PAYLOAD_LOG:
		m->u.log.mmap_size = FIELD64(w, struct vhost_wire_log,
					     mmap_size);
		m->u.log.mmap_offset = FIELD64(w, struct vhost_wire_log,
					       mmap_offset);
		break;
	default:
		break;
	}
	return 0;
}

/* Per-request field checks after decoding: the ring index, the kick/call
 * word, the enable value, the log size. */
static int check_fields(struct vhost_msg *m, const struct request_rule *r,
			char *err, size_t errlen)
{
	const char *name = vhost_msg_request_name(m->request);
	uint64_t ring = 0;

	if (m->kind == VHOST_PAYLOAD_U64 && r->fds == FDS_UNLESS_NOFD) {
		if (m->u.u64 & ~(VHOST_MSG_VRING_IDX_MASK |
				 VHOST_MSG_VRING_NOFD))
			return fail(-EPROTO, err, errlen,
				    "%s: unknown bits in 0x%llx", name,
				    (unsigned long long)m->u.u64);
		ring = m->u.u64 & VHOST_MSG_VRING_IDX_MASK;
		m->nofd = m->u.u64 & VHOST_MSG_VRING_NOFD;
	} else if (m->kind == VHOST_PAYLOAD_STATE) {
		ring = m->u.state.index;
	} else if (m->kind == VHOST_PAYLOAD_ADDR) {
		ring = m->u.addr.index;
	}
	if (r->ring && ring >= VHOST_MAX_RINGS)
		return fail(-EPROTO, err, errlen, "%s: ring %llu, max %u",
			    name, (unsigned long long)ring, VHOST_MAX_RINGS);
	m->ring = (uint32_t)ring;

	if (m->request == VHOST_USER_SET_VRING_ENABLE && m->u.state.num > 1)
		return fail(-EPROTO, err, errlen,
			    "SET_VRING_ENABLE: %u, not 0 or 1", m->u.state.num);
	if (m->request == VHOST_USER_SET_LOG_BASE &&
	    (!m->u.log.mmap_size || m->u.log.mmap_offset >
	     UINT64_MAX - m->u.log.mmap_size))
		return fail(-EPROTO, err, errlen,
			    "SET_LOG_BASE: bad size %llu at %llu",
			    (unsigned long long)m->u.log.mmap_size,
			    (unsigned long long)m->u.log.mmap_offset);
	return 0;
}

/* The number of descriptors @m must come with under rule @r. */
static unsigned fds_expected(const struct vhost_msg *m,
			     const struct request_rule *r)
{
	switch (r->fds) {
	case FDS_ONE:
		return 1;
	case FDS_REGIONS:
		return m->u.mem.nregions;
	case FDS_UNLESS_NOFD:
		return m->nofd ? 0 : 1;
	case FDS_NONE:
	default:
		return 0;
	}
}

/* Decode and check the header; sets request, flags and size of @m. */
static int parse_hdr(struct vs_cursor *c, struct vhost_msg *m, char *err,
		     size_t errlen)
{
	const uint8_t *h = vs_take(c, sizeof(struct vhost_wire_hdr));

	if (!h)
		return fail(-EPROTO, err, errlen, "%u bytes, short header",
			    vs_cursor_left(c));
	m->request = FIELD32(h, struct vhost_wire_hdr, request);
	m->flags = FIELD32(h, struct vhost_wire_hdr, flags);
	m->size = FIELD32(h, struct vhost_wire_hdr, size);
	if ((m->flags & VHOST_MSG_VERSION_MASK) != VHOST_MSG_VERSION)
		return fail(-EPROTO, err, errlen, "%s: version %u, not 1",
			    vhost_msg_request_name(m->request),
			    m->flags & VHOST_MSG_VERSION_MASK);
	/* A front end's request never carries REPLY, nor undefined bits. */
	if (m->flags & ~(VHOST_MSG_VERSION_MASK | VHOST_MSG_F_NEED_REPLY))
		return fail(-EPROTO, err, errlen, "%s: flags 0x%x",
			    vhost_msg_request_name(m->request), m->flags);
	if (m->size != vs_cursor_left(c))
		return fail(-EPROTO, err, errlen,
			    "%s: header says %u payload bytes, %u came",
			    vhost_msg_request_name(m->request), m->size,
			    vs_cursor_left(c));
	return 0;
}

int vhost_msg_parse(const uint8_t *buf, size_t len, const int *fds,
		    unsigned nfds, struct vhost_msg *out, char *err,
		    size_t errlen)
{
	/* no message is near 4 GiB: a longer buffer is cut, and its size
	 * then disagrees with the header's */
	struct vs_cursor c = { .base = buf,
			       .len = !buf ? 0 : len > UINT32_MAX ? UINT32_MAX :
				      (uint32_t)len };
	const struct request_rule *r;
	unsigned want;
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	ret = parse_hdr(&c, out, err, errlen);
	if (ret)
		return ret;
	r = rule_of(out->request);
	if (!r)
		return fail(-EOPNOTSUPP, err, errlen, "request %u (%s) not served",
			    out->request, vhost_msg_request_name(out->request));
	out->kind = r->kind;
	if (r->size >= 0 && out->size != (uint32_t)r->size)
		return fail(-EPROTO, err, errlen,
			    "%s: payload %u bytes, must be %ld",
			    vhost_msg_request_name(out->request), out->size,
			    r->size);
	ret = parse_payload(&c, out, err, errlen);
	if (!ret)
		ret = check_fields(out, r, err, errlen);
	if (ret)
		return ret;

	want = fds_expected(out, r);
	if (nfds != want || (nfds && !fds))
		return fail(-EPROTO, err, errlen,
			    "%s: %u descriptors, must be %u",
			    vhost_msg_request_name(out->request), nfds, want);
	if (nfds)
		memcpy(out->fds, fds, nfds * sizeof(*fds));
	out->nfds = nfds;
	return 0;
}

/* Replies -----------------------------------------------------------------*/

/* Write a reply header for @req with @size payload bytes; returns the total
 * length, or 0 if @buflen is too small. */
static size_t put_reply_hdr(const struct vhost_msg *req, uint32_t size,
			    uint8_t *buf, size_t buflen)
{
	if (!buf || buflen < VHOST_MSG_HDR_SIZE + size)
		return 0;
	put_le32(buf + offsetof(struct vhost_wire_hdr, request), req->request);
	put_le32(buf + offsetof(struct vhost_wire_hdr, flags),
		 VHOST_MSG_VERSION | VHOST_MSG_F_REPLY);
	put_le32(buf + offsetof(struct vhost_wire_hdr, size), size);
	return VHOST_MSG_HDR_SIZE + size;
}

size_t vhost_msg_reply_u64(const struct vhost_msg *req, uint64_t value,
			   uint8_t *buf, size_t buflen)
{
	size_t n = put_reply_hdr(req, sizeof(uint64_t), buf, buflen);

	if (n)
		put_le64(buf + VHOST_MSG_HDR_SIZE, value);
	return n;
}

size_t vhost_msg_reply_state(const struct vhost_msg *req, uint32_t index,
			     uint32_t num, uint8_t *buf, size_t buflen)
{
	size_t n = put_reply_hdr(req, sizeof(struct vhost_wire_state), buf,
				 buflen);

	if (n) {
		put_le32(buf + VHOST_MSG_HDR_SIZE +
			 offsetof(struct vhost_wire_state, index), index);
		put_le32(buf + VHOST_MSG_HDR_SIZE +
			 offsetof(struct vhost_wire_state, num), num);
	}
	return n;
}

size_t vhost_msg_reply_empty(const struct vhost_msg *req, uint8_t *buf,
			     size_t buflen)
{
	return put_reply_hdr(req, 0, buf, buflen);
}

size_t vhost_msg_reply_ack(const struct vhost_msg *req, bool ok,
			   uint8_t *buf, size_t buflen)
{
	return vhost_msg_reply_u64(req, ok ? 0 : 1, buf, buflen);
}

bool vhost_msg_needs_ack(const struct vhost_msg *req,
			 uint64_t protocol_features)
{
	if (!(req->flags & VHOST_MSG_F_NEED_REPLY) ||
	    !(protocol_features & VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK)))
		return false;
	return !vhost_msg_has_reply(req->request);
}

/* State machine -----------------------------------------------------------*/

void vhost_state_init(struct vhost_dev_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* PROTOCOL_FEATURES counts as negotiated once the front end set protocol
 * features (it may only when GET_FEATURES offered the bit, as ours does)
 * or acked the bit: QEMU 7.2 sends SET_VRING_ENABLE before SET_FEATURES,
 * and its SET_FEATURES need not carry the bit. */
static bool protocol_negotiated(const struct vhost_dev_state *st)
{
	return st->protocol_set ||
	       (st->features & VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES));
}

uint64_t vhost_state_protocol(const struct vhost_dev_state *st)
{
	return st->protocol_set ? st->protocol_features :
	       VHOST_MSG_PROTOCOL_OFFERED;
}

bool vhost_state_ring_live(const struct vhost_dev_state *st, unsigned i)
{
	const struct vhost_ring_state *r;

	if (i >= VHOST_MAX_RINGS)
		return false;
	r = &st->ring[i];
	if (r->phase != VHOST_RING_STARTED)
		return false;
	/* Without PROTOCOL_FEATURES a ring runs from its kick on. */
	if (!protocol_negotiated(st))
		return true;
	return r->enabled;
}

/* Whether [addr, addr + len) lies inside one region's user addresses. */
static bool uva_inside(const struct vhost_msg_mem *mem, uint64_t addr,
		       uint64_t len)
{
	unsigned i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vhost_msg_region *r = &mem->regions[i];

		if (addr >= r->userspace_addr &&
		    addr - r->userspace_addr <= r->memory_size &&
		    len <= r->memory_size - (addr - r->userspace_addr))
			return true;
	}
	return false;
}

/* Check that the split ring of @num entries at @a is aligned (virtio 1.1
 * §2.6) and lies inside @mem; EVENT_IDX adds a u16 to avail and used. */
static int check_ring_addr(const struct vhost_msg_mem *mem,
			   const struct vhost_msg_addr *a, uint32_t num,
			   char *err, size_t errlen)
{
	uint64_t desc_len = 16ull * num;
	uint64_t avail_len = 4ull + 2ull * num + 2;
	uint64_t used_len = 4ull + 8ull * num + 2;

	if ((a->desc & 15) || (a->avail & 1) || (a->used & 3))
		return fail(-EPROTO, err, errlen,
			    "ring %u: misaligned desc/avail/used", a->index);
	if (a->flags & ~VHOST_VRING_F_LOG)
		return fail(-EPROTO, err, errlen, "ring %u: flags 0x%x",
			    a->index, a->flags);
	if (!uva_inside(mem, a->desc, desc_len) ||
	    !uva_inside(mem, a->avail, avail_len) ||
	    !uva_inside(mem, a->used, used_len))
		return fail(-EPROTO, err, errlen,
			    "ring %u: not inside the memory table", a->index);
	return 0;
}

static int apply_features(struct vhost_dev_state *st, uint64_t f,
			  char *err, size_t errlen)
{
	const uint64_t gso_rx = VHOST_BIT(VIRTIO_NET_F_GUEST_TSO4) |
				VHOST_BIT(VIRTIO_NET_F_GUEST_TSO6);
	const uint64_t gso_tx = VHOST_BIT(VIRTIO_NET_F_HOST_TSO4) |
				VHOST_BIT(VIRTIO_NET_F_HOST_TSO6);
	unsigned i;

	if (f & ~VHOST_MSG_FEATURES_OFFERED)
		return fail(-EPROTO, err, errlen,
			    "SET_FEATURES: 0x%llx not offered",
			    (unsigned long long)(f & ~VHOST_MSG_FEATURES_OFFERED));
	if (((f & gso_rx) && !(f & VHOST_BIT(VIRTIO_NET_F_GUEST_CSUM))) ||
	    ((f & gso_tx) && !(f & VHOST_BIT(VIRTIO_NET_F_CSUM))))
		return fail(-EPROTO, err, errlen,
			    "SET_FEATURES: TSO without checksum offload");
	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		if (st->ring[i].phase == VHOST_RING_STARTED && st->features_set &&
		    ((f ^ st->features) & ~VHOST_BIT(VHOST_F_LOG_ALL)))
			return fail(-EPROTO, err, errlen,
				    "SET_FEATURES: change while ring %u runs",
				    i);
	}
	st->features = f;
	st->features_set = true;
	return 0;
}

static int apply_mem(struct vhost_dev_state *st, const struct vhost_msg_mem *m,
		     char *err, size_t errlen)
{
	struct vhost_ring_state *r;
	unsigned i;
	int ret;

	/* A running ring must stay inside the new table (hotplug adds). */
	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		r = &st->ring[i];
		if (r->phase != VHOST_RING_STARTED)
			continue;
		ret = check_ring_addr(m, &r->addr, r->num, err, errlen);
		if (ret)
			return ret;
	}
	/* A configured ring that no longer fits needs a new address. */
	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		r = &st->ring[i];
		if (r->phase == VHOST_RING_STARTED || !r->addr_set ||
		    !check_ring_addr(m, &r->addr, r->num, NULL, 0))
			continue;
		r->addr_set = false;
		r->phase = VHOST_RING_IDLE;
	}
	st->mem = *m;
	st->mem_set = true;
	return 0;
}

/* READY once NUM, BASE and ADDR are all set. */
static void ring_update_phase(struct vhost_ring_state *r)
{
	if (r->phase == VHOST_RING_IDLE && r->num_set && r->base_set &&
	    r->addr_set)
		r->phase = VHOST_RING_READY;
}

/* SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR */
static int apply_ring_config(struct vhost_dev_state *st,
			     const struct vhost_msg *m, char *err,
			     size_t errlen)
{
	struct vhost_ring_state *r = &st->ring[m->ring];
	const char *name = vhost_msg_request_name(m->request);
	int ret;

	if (r->phase == VHOST_RING_STARTED &&
	    !(m->request == VHOST_USER_SET_VRING_ADDR && r->addr_set &&
	      m->u.addr.desc == r->addr.desc &&
	      m->u.addr.avail == r->addr.avail &&
	      m->u.addr.used == r->addr.used))
		return fail(-EPROTO, err, errlen, "%s: ring %u is running",
			    name, m->ring);

	switch (m->request) {
	case VHOST_USER_SET_VRING_NUM:
		if (!m->u.state.num || m->u.state.num > VHOST_MAX_RING_SIZE ||
		    (m->u.state.num & (m->u.state.num - 1)))
			return fail(-EPROTO, err, errlen,
				    "%s: ring %u size %u", name, m->ring,
				    m->u.state.num);
		/* A size change would leave a recorded address too short. */
		r->addr_set = false;
		r->num = m->u.state.num;
		r->num_set = true;
		break;
	case VHOST_USER_SET_VRING_BASE:
		if (m->u.state.num > UINT16_MAX)
			return fail(-EPROTO, err, errlen, "%s: ring %u base %u",
				    name, m->ring, m->u.state.num);
		r->base = m->u.state.num;
		r->base_set = true;
		break;
	default:	/* VHOST_USER_SET_VRING_ADDR */
		if (!st->mem_set || !r->num_set)
			return fail(-EPROTO, err, errlen,
				    "%s: ring %u before %s", name, m->ring,
				    st->mem_set ? "SET_VRING_NUM" :
				    "SET_MEM_TABLE");
		ret = check_ring_addr(&st->mem, &m->u.addr, r->num, err,
				      errlen);
		if (ret)
			return ret;
		r->addr = m->u.addr;
		r->addr_set = true;
		break;
	}
	if (r->phase == VHOST_RING_READY && !r->addr_set)
		r->phase = VHOST_RING_IDLE;
	ring_update_phase(r);
	return 0;
}

/* SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR, SET_VRING_ENABLE,
 * GET_VRING_BASE */
static int apply_ring_event(struct vhost_dev_state *st,
			    const struct vhost_msg *m, char *err,
			    size_t errlen)
{
	struct vhost_ring_state *r = &st->ring[m->ring];
	const char *name = vhost_msg_request_name(m->request);

	switch (m->request) {
	case VHOST_USER_SET_VRING_KICK:
		if (r->phase == VHOST_RING_IDLE)
			return fail(-EPROTO, err, errlen,
				    "%s: ring %u not configured", name,
				    m->ring);
		if (m->nofd)
			return fail(-EPROTO, err, errlen,
				    "%s: ring %u without eventfd (polling)",
				    name, m->ring);
		r->kick_set = true;
		r->phase = VHOST_RING_STARTED;
		break;
	case VHOST_USER_SET_VRING_CALL:
		r->call_set = true;
		r->call_nofd = m->nofd;
		break;
	case VHOST_USER_SET_VRING_ERR:
		r->err_set = true;
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		/* before SET_FEATURES it may yet be negotiated (a front end
		 * reconnecting starts with SET_VRING_ENABLE 0) */
		if (st->features_set && !protocol_negotiated(st))
			return fail(-EPROTO, err, errlen,
				    "%s: PROTOCOL_FEATURES not negotiated",
				    name);
		r->enabled = m->u.state.num;
		break;
	default:	/* VHOST_USER_GET_VRING_BASE: stop the ring */
		/* a ring that does not run has nothing to stop: the caller
		 * answers its base (DPDK's virtio-user asks on reconnecting) */
		if (r->phase != VHOST_RING_STARTED)
			break;
		*r = (struct vhost_ring_state){ .phase = VHOST_RING_IDLE,
						.call_set = r->call_set,
						.call_nofd = r->call_nofd,
						.err_set = r->err_set };
		break;
	}
	return 0;
}

/* Requests served before SET_OWNER; returns 1 if @m is not one of them. */
static int apply_preowner(struct vhost_dev_state *st,
			  const struct vhost_msg *m, char *err, size_t errlen)
{
	switch (m->request) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
		return 0;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (m->u.u64 & ~VHOST_MSG_PROTOCOL_OFFERED)
			return fail(-EPROTO, err, errlen,
				    "SET_PROTOCOL_FEATURES: 0x%llx not offered",
				    (unsigned long long)(m->u.u64 &
						~VHOST_MSG_PROTOCOL_OFFERED));
		st->protocol_features = m->u.u64;
		st->protocol_set = true;
		return 0;
	case VHOST_USER_SET_OWNER:
		if (st->owner)
			return 0;	/* again: nothing changes */
		st->owner = true;
		return 0;
	default:
		return 1;
	}
}

/* RESET_OWNER: forget the rings, features, memory table and log; the
 * owner and the protocol features stay (QEMU does not send them again). */
static void reset_device(struct vhost_dev_state *st)
{
	struct vhost_dev_state fresh;

	vhost_state_init(&fresh);
	fresh.owner = st->owner;
	fresh.protocol_set = st->protocol_set;
	fresh.protocol_features = st->protocol_features;
	*st = fresh;
}

/* Apply @m to @st in place; the caller restores @st on error. */
static int apply(struct vhost_dev_state *st, const struct vhost_msg *m,
		 char *err, size_t errlen)
{
	const char *name = vhost_msg_request_name(m->request);
	int ret = apply_preowner(st, m, err, errlen);

	if (ret <= 0)
		return ret;
	if (!st->owner)
		st->owner = true;	/* a reconnecting front end skips it */

	switch (m->request) {
	case VHOST_USER_RESET_OWNER:
		reset_device(st);
		return 0;
	case VHOST_USER_SET_FEATURES:
		return apply_features(st, m->u.u64, err, errlen);
	case VHOST_USER_SET_MEM_TABLE:
		return apply_mem(st, &m->u.mem, err, errlen);
	case VHOST_USER_SET_LOG_BASE:
		if (!(vhost_state_protocol(st) &
		      VHOST_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD)))
			return fail(-EPROTO, err, errlen,
				    "%s: LOG_SHMFD not negotiated", name);
		st->log = m->u.log;
		st->log_set = true;
		return 0;
	case VHOST_USER_SEND_RARP:
		return 0;
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_SET_VRING_ADDR:
		return apply_ring_config(st, m, err, errlen);
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
	case VHOST_USER_SET_VRING_ENABLE:
	case VHOST_USER_GET_VRING_BASE:
		return apply_ring_event(st, m, err, errlen);
	default:	/* SET_LOG_FD, NET_SET_MTU, anything unserved */
		return fail(-EOPNOTSUPP, err, errlen, "%s: not supported",
			    name);
	}
}

int vhost_state_apply(struct vhost_dev_state *st, const struct vhost_msg *msg,
		      char *err, size_t errlen)
{
	struct vhost_dev_state saved = *st;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	/* The parser guarantees this; a caller that skipped it gets an
	 * error, not an out-of-bounds ring. */
	if (msg->ring >= VHOST_MAX_RINGS)
		return fail(-EPROTO, err, errlen, "ring %u out of range",
			    msg->ring);
	ret = apply(st, msg, err, errlen);
	if (ret)
		*st = saved;
	return ret;
}

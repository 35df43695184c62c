/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vhost_msg.h - vhost-user messages: parser, reply builders, state machine
 *
 * Theory of operation (DESIGN.md §7, "vhost-user (QEMU domains)")
 *
 * xend is the vhost-user back end of QEMU's virtio-net devices, QEMU (7.2,
 * the peer) the front end. This module is the message layer only, with no
 * socket of its own: the caller reads one message (header, payload and the
 * SCM_RIGHTS file descriptors that came with it) and hands the bytes and
 * descriptors to vhost_msg_parse(), which checks every field a request
 * carries against QEMU's docs/interop/vhost-user.rst. A parsed message goes
 * to vhost_state_apply(), which checks it against what has been set so far
 * (the per-ring states below). Replies are built into the caller's buffer
 * by vhost_msg_reply_*(). Any error from the parser or the state machine
 * means "disconnect this port"; none is fatal to xend.
 *
 * File descriptors are never opened, kept or closed here: the caller owns
 * every descriptor it received. On success the parser copies them, in
 * order, into the message (mem table: one per region; log base: the log
 * shm; kick/call/err: the eventfd unless VHOST_MSG_VRING_NOFD); on any
 * error the caller closes all of them. Extra descriptors are an error.
 *
 * Wire format: every field is little-endian; the wire structs below are
 * packed and read only through the parser's bounds-checked getters.
 */
#ifndef XENO_VHOST_MSG_H
#define XENO_VHOST_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Front-end requests (vhost-user.rst "Front-end message types"). The
 * parser accepts 1..VHOST_USER_NET_SET_MTU, the ones QEMU 7.2 may send a
 * virtio-net back end; the rest are named for the logs and answered as
 * unsupported. */
enum vhost_msg_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_CREATE_CRYPTO_SESSION = 26,
	VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_POSTCOPY_LISTEN = 29,
	VHOST_USER_POSTCOPY_END = 30,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_GPU_SET_SOCKET = 33,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_VRING_KICK = 35,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_REQUEST_MAX,		/* one past the last named request */
};

/* vhost_msg_request_name() - "SET_MEM_TABLE" for 5; "UNKNOWN" if unnamed. */
const char *vhost_msg_request_name(uint32_t request);

/* Header flags */
#define VHOST_MSG_VERSION_MASK	0x3u
#define VHOST_MSG_VERSION	0x1u
#define VHOST_MSG_F_REPLY	0x4u
#define VHOST_MSG_F_NEED_REPLY	0x8u

/* Sizes and limits */
#define VHOST_MSG_HDR_SIZE	12u
#define VHOST_MSG_MAX_REGIONS	8u	/* VHOST_MEMORY_BASELINE_NREGIONS */
#define VHOST_MSG_MAX_FDS	VHOST_MSG_MAX_REGIONS
#define VHOST_MSG_MAX_PAYLOAD	(8u + VHOST_MSG_MAX_REGIONS * 32u)
#define VHOST_MSG_MAX_SIZE	(VHOST_MSG_HDR_SIZE + VHOST_MSG_MAX_PAYLOAD)
/* The largest reply built here (a vring state). */
#define VHOST_MSG_REPLY_MAX	(VHOST_MSG_HDR_SIZE + 8u)

/* Queue pairs xeno serves per device (MQ is not offered yet), so rings. */
#define VHOST_MAX_QUEUE_PAIRS	1u
#define VHOST_MAX_RINGS		(2u * VHOST_MAX_QUEUE_PAIRS)
/* Largest split ring (virtio 1.1 §2.6: Queue Size <= 32768). */
#define VHOST_MAX_RING_SIZE	32768u

/* SET_VRING_KICK/CALL/ERR u64 payload: ring index in bits 0-7, bit 8 says
 * no descriptor came (polling / no notification). */
#define VHOST_MSG_VRING_IDX_MASK 0xffull
#define VHOST_MSG_VRING_NOFD	(1ull << 8)

/* SET_VRING_ADDR flags: log the used ring's writes (migration). */
#define VHOST_VRING_F_LOG	(1u << 0)

/* Feature bits (virtio 1.1 §5.1.3, §6; vhost-user.rst) */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VHOST_F_LOG_ALL			26
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VHOST_USER_F_PROTOCOL_FEATURES	30
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_RING_PACKED		34	/* not offered */

#define VHOST_BIT(b)			(1ull << (b))

/* What GET_FEATURES answers. */
#define VHOST_MSG_FEATURES_OFFERED					\
	(VHOST_BIT(VIRTIO_F_VERSION_1) | VHOST_BIT(VIRTIO_NET_F_MRG_RXBUF) | \
	 VHOST_BIT(VIRTIO_NET_F_CSUM) | VHOST_BIT(VIRTIO_NET_F_GUEST_CSUM) | \
	 VHOST_BIT(VIRTIO_NET_F_HOST_TSO4) |				\
	 VHOST_BIT(VIRTIO_NET_F_HOST_TSO6) |				\
	 VHOST_BIT(VIRTIO_NET_F_GUEST_TSO4) |				\
	 VHOST_BIT(VIRTIO_NET_F_GUEST_TSO6) |				\
	 VHOST_BIT(VIRTIO_RING_F_EVENT_IDX) |				\
	 VHOST_BIT(VIRTIO_RING_F_INDIRECT_DESC) |			\
	 VHOST_BIT(VHOST_F_LOG_ALL) |					\
	 VHOST_BIT(VHOST_USER_F_PROTOCOL_FEATURES))

/* Protocol feature bits (vhost-user.rst "Protocol features") */
#define VHOST_USER_PROTOCOL_F_MQ	0	/* defined, not offered */
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD	1
#define VHOST_USER_PROTOCOL_F_RARP	2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK	3
#define VHOST_USER_PROTOCOL_F_NET_MTU	4

/* What GET_PROTOCOL_FEATURES answers. */
#define VHOST_MSG_PROTOCOL_OFFERED					\
	(VHOST_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |			\
	 VHOST_BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD))

/* Wire formats, all fields little-endian ---------------------------------*/

struct vhost_wire_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;		/* payload bytes after the header */
} __attribute__((packed));

struct vhost_wire_state {	/* SET/GET_VRING_NUM/BASE, SET_VRING_ENABLE */
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vhost_wire_addr {	/* SET_VRING_ADDR */
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vhost_wire_region {	/* one SET_MEM_TABLE region */
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vhost_wire_mem_hdr {	/* SET_MEM_TABLE, followed by nregions */
	uint32_t nregions;
	uint32_t padding;
} __attribute__((packed));

struct vhost_wire_log {		/* SET_LOG_BASE (with LOG_SHMFD) */
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));

_Static_assert(sizeof(struct vhost_wire_hdr) == VHOST_MSG_HDR_SIZE,
	       "vhost-user header is 12 bytes");
_Static_assert(sizeof(struct vhost_wire_state) == 8, "vring state");
_Static_assert(sizeof(struct vhost_wire_addr) == 40, "vring addr");
_Static_assert(sizeof(struct vhost_wire_region) == 32, "memory region");
_Static_assert(sizeof(struct vhost_wire_log) == 16, "log description");
_Static_assert(sizeof(struct vhost_wire_mem_hdr) +
	       VHOST_MSG_MAX_REGIONS * sizeof(struct vhost_wire_region) ==
	       VHOST_MSG_MAX_PAYLOAD, "largest payload is the memory table");

/* A parsed message, host byte order ---------------------------------------*/

struct vhost_msg_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_msg_addr {
	uint32_t index;
	uint32_t flags;			/* VHOST_VRING_F_LOG */
	uint64_t desc, used, avail;	/* front end's user addresses */
	uint64_t log;			/* guest physical */
};

struct vhost_msg_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_msg_mem {
	uint32_t nregions;		/* 1..VHOST_MSG_MAX_REGIONS */
	struct vhost_msg_region regions[VHOST_MSG_MAX_REGIONS];
};

struct vhost_msg_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
};

/* Which member of vhost_msg.u a request fills. */
enum vhost_msg_payload {
	VHOST_PAYLOAD_NONE,
	VHOST_PAYLOAD_U64,
	VHOST_PAYLOAD_STATE,
	VHOST_PAYLOAD_ADDR,
	VHOST_PAYLOAD_MEM,
	VHOST_PAYLOAD_LOG,
};

struct vhost_msg {
	uint32_t request;		/* enum vhost_msg_request */
	uint32_t flags;
	uint32_t size;			/* payload bytes, as on the wire */
	enum vhost_msg_payload kind;
	union {
		uint64_t u64;		/* features, MTU, RARP MAC */
		struct vhost_msg_state state;
		struct vhost_msg_addr addr;
		struct vhost_msg_mem mem;
		struct vhost_msg_log log;
	} u;
	/* SET_VRING_KICK/CALL/ERR: the ring (bits 0-7) and NOFD bit 8 */
	uint32_t ring;
	bool nofd;
	/* The caller's descriptors, copied in order; the caller owns them. */
	unsigned nfds;
	int fds[VHOST_MSG_MAX_FDS];
};

/* vhost_msg_parse() - check and decode one message: @len bytes at @buf
 * (header and payload, exactly) and the @nfds descriptors at @fds that
 * came with it. Fills @out and returns 0, or returns a negative errno
 * with a reason in @err (@errlen bytes, may be 0):
 *   -EPROTO      malformed: short, size mismatch, bad version or flags,
 *                index out of range, bad region, wrong descriptor count;
 *   -EOPNOTSUPP  a well-formed header with a request xeno does not serve;
 *                @out->request and ->flags are set, so the caller can
 *                answer "unsupported" if NEED_REPLY asks for it.
 * On any error the caller closes all @nfds descriptors. Never keeps @buf. */
int vhost_msg_parse(const uint8_t *buf, size_t len, const int *fds,
		    unsigned nfds, struct vhost_msg *out, char *err,
		    size_t errlen);

/* vhost_msg_payload_size() - the exact payload size @request must have on
 * the wire, or -1 if it varies (the memory table: 8 + 32 per region) or
 * the request is not served. */
long vhost_msg_payload_size(uint32_t request);

/* vhost_msg_has_reply() - whether @request has an explicit reply (GET_*,
 * SET_LOG_BASE), which then stands in for the REPLY_ACK one. */
bool vhost_msg_has_reply(uint32_t request);

/* vhost_msg_needs_ack() - whether a REPLY_ACK reply must follow @req:
 * NEED_REPLY set, REPLY_ACK among @protocol_features, and no explicit
 * reply. Also true for an unsupported request, which gets a failure ack. */
bool vhost_msg_needs_ack(const struct vhost_msg *req,
			 uint64_t protocol_features);

/* Reply builders: each writes header and payload for @req into @buf
 * (@buflen bytes) with version 1 and REPLY set, and returns the bytes to
 * send, or 0 if @buf is too small. */

/* vhost_msg_reply_u64() - GET_FEATURES, GET_PROTOCOL_FEATURES,
 * GET_QUEUE_NUM: @value. */
size_t vhost_msg_reply_u64(const struct vhost_msg *req, uint64_t value,
			   uint8_t *buf, size_t buflen);

/* vhost_msg_reply_state() - GET_VRING_BASE: {ring @index, @num}. */
size_t vhost_msg_reply_state(const struct vhost_msg *req, uint32_t index,
			     uint32_t num, uint8_t *buf, size_t buflen);

/* vhost_msg_reply_empty() - SET_LOG_BASE with LOG_SHMFD: no payload
 * (QEMU reads a bare header once the log is mapped). */
size_t vhost_msg_reply_empty(const struct vhost_msg *req, uint8_t *buf,
			     size_t buflen);

/* vhost_msg_reply_ack() - the REPLY_ACK reply: u64 0 if @ok, 1 if not. */
size_t vhost_msg_reply_ack(const struct vhost_msg *req, bool ok,
			   uint8_t *buf, size_t buflen);

/* Device state ------------------------------------------------------------
 *
 * Per ring, the states and what may happen in each (the front end drives
 * every transition; any message not listed for a state is refused):
 *
 *   IDLE      nothing configured (new device, after GET_VRING_BASE, after
 *             RESET_OWNER).
 *             SET_VRING_NUM (power of two, <= 32768), SET_VRING_BASE
 *             (< 65536), SET_VRING_ADDR (mem table and NUM set first; the
 *             rings lie inside one region, aligned): record the value.
 *             SET_VRING_CALL, SET_VRING_ERR, SET_VRING_ENABLE: record
 *             (QEMU sends CALL before the device starts).
 *             When NUM, BASE and ADDR are all set: READY.
 *   READY     configured, not running.
 *             NUM, BASE, ADDR again: replace (stays READY).
 *             SET_VRING_KICK with a descriptor: STARTED (without NOFD: xend
 *             does not poll). CALL, ERR, ENABLE as in IDLE.
 *   STARTED   the data path may run the ring, if it is also enabled: by
 *             SET_VRING_ENABLE 1 when PROTOCOL_FEATURES was acked,
 *             otherwise from the kick on.
 *             SET_VRING_ADDR with the same addresses (only the LOG flag
 *             may change: migration), KICK (a new eventfd), CALL, ERR,
 *             ENABLE: accepted. NUM, BASE, other addresses: refused.
 *             GET_VRING_BASE: stops the ring, back to IDLE; the caller
 *             answers with the ring's last available index.
 *
 * Device-wide: GET_FEATURES, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES
 * (a subset of the offer) and GET_QUEUE_NUM may come before SET_OWNER.
 * Anything else before SET_OWNER implies it, and SET_OWNER again changes
 * nothing: DPDK's virtio-user, reconnecting, sends neither SET_OWNER nor
 * SET_PROTOCOL_FEATURES on its new connection (vhost_state_protocol()),
 * and starts with SET_VRING_ENABLE 0 and GET_VRING_BASE of rings that do
 * not run: GET_VRING_BASE of a ring not STARTED changes nothing (the
 * caller answers its base), and SET_VRING_ENABLE is taken before
 * SET_FEATURES whatever it will say. SET_FEATURES must be a subset of
 * the offer (GUEST_TSO* needs GUEST_CSUM, HOST_TSO* needs CSUM) and, once
 * a ring is started, may only toggle LOG_ALL. SET_MEM_TABLE may come again
 * (memory hotplug) if the started rings still lie inside it. SET_LOG_BASE
 * needs LOG_SHMFD; SEND_RARP is accepted; SET_LOG_FD, NET_SET_MTU and
 * unsupported requests are refused.
 */

enum vhost_ring_phase {
	VHOST_RING_IDLE,
	VHOST_RING_READY,
	VHOST_RING_STARTED,
};

struct vhost_ring_state {
	enum vhost_ring_phase phase;
	bool num_set, base_set, addr_set, kick_set, call_set, err_set;
	bool enabled;			/* SET_VRING_ENABLE's last word */
	bool call_nofd;			/* no call eventfd: never signal */
	uint32_t num;			/* ring size */
	uint32_t base;			/* first avail index to read */
	struct vhost_msg_addr addr;
};

struct vhost_dev_state {
	bool owner;			/* SET_OWNER received */
	bool features_set, protocol_set, mem_set, log_set;
	uint64_t features;		/* acked by SET_FEATURES */
	uint64_t protocol_features;	/* acked by SET_PROTOCOL_FEATURES */
	struct vhost_msg_mem mem;	/* the table in force */
	struct vhost_msg_log log;
	struct vhost_ring_state ring[VHOST_MAX_RINGS];
};

/* vhost_state_init() - a device that has seen no message. */
void vhost_state_init(struct vhost_dev_state *st);

/* vhost_state_apply() - check @msg (parsed) against @st and record it.
 * Returns 0 if accepted, or -EPROTO (out of order or inconsistent) or
 * -EOPNOTSUPP (a request xeno refuses) with the reason in @err; @st is
 * then unchanged and the caller disconnects the port. Descriptors stay
 * with the caller either way. */
int vhost_state_apply(struct vhost_dev_state *st, const struct vhost_msg *msg,
		      char *err, size_t errlen);

/* vhost_state_protocol() - the protocol features in force: those set on
 * this connection, or, if none were, those offered. A front end that
 * reconnects (DPDK's virtio-user) negotiated them on its first connection
 * and does not again; it goes on using REPLY_ACK. */
uint64_t vhost_state_protocol(const struct vhost_dev_state *st);

/* vhost_state_ring_live() - whether the data path may run ring @i. */
bool vhost_state_ring_live(const struct vhost_dev_state *st, unsigned i);

#endif /* XENO_VHOST_MSG_H */

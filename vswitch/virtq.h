/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtq.h - the split virtqueue of a vhost-user back end, with no I/O
 *
 * Theory of operation
 * -------------------
 * A QEMU domain's virtio-net device shares its guest memory with xend
 * (DESIGN.md §7, vhost-user). The caller maps the memory table into a
 * struct virtq_mem and describes each ring with a struct virtq_config;
 * this module then reads and writes the rings in place (VIRTIO 1.1 §2.6):
 *
 *   transmit (guest -> switch): virtq_pop() takes the next available head
 *     and returns its chain as readable (host pointer, length) segments;
 *     virtq_vnet_hdr_read() parses the leading virtio_net_hdr; once the
 *     frame is copied out, virtq_push(vq, head, 0) returns the head.
 *   receive (switch -> guest): virtq_rx_put() copies one frame, header
 *     first, into the next writable chain(s) and writes their used
 *     entries.
 *   both: virtq_flush(), once per batch, publishes the used index and says
 *     whether the guest wants an interrupt (call fd).
 *
 * Guest rings are hostile input. Every guest address goes through the
 * memory map (the whole range must lie in one region), every descriptor
 * is copied to the stack once before it is checked and used, avail->idx
 * and used->idx are read and written with acquire/release atomics, and a
 * chain visits each descriptor of its table at most once. A ring
 * that breaks a rule marks the queue broken: every later call returns the
 * same negative code, which the caller turns into "disconnect this port".
 *
 * Queue states:
 *   unset   - after virtq_init() failed or before it: no call but init.
 *   running - pop/push/rx_put/flush work.
 *   broken  - a rule was broken (virtq_broken() != 0): every call returns
 *             the error and touches nothing; only virtq_init() leaves it.
 * Stopping a ring (GET_VRING_BASE) is the caller's: it stops calling, and
 * reads vq->last_avail_idx as the base to hand back.
 *
 * Dirty log (VHOST_F_LOG_ALL): when virtq_config.log is set, every byte
 * written into guest memory (frame buffers, used entries, used->idx,
 * avail_event) marks its 4 KiB page of guest-physical memory.
 *
 * A struct virtq belongs to one thread (xend's data plane); it keeps a
 * pointer to the memory map, which the caller keeps alive and unchanged
 * while the queue runs.
 */
#ifndef XENO_VIRTQ_H
#define XENO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch.h"

#define VIRTQ_REGIONS_MAX	8
#define VIRTQ_SIZE_MAX		32768
#define VIRTQ_LOG_PAGE		4096		/* one dirty-log bit per page */
#define VIRTQ_HDR_LEN		10		/* struct virtio_net_hdr */
#define VIRTQ_HDR_MRG_LEN	12		/* ... with num_buffers */
/* The longest transmit chain accepted: a 64 KiB GSO frame and its header. */
#define VIRTQ_CHAIN_MAX		(65536 + VIRTQ_HDR_MRG_LEN)
/* Segments virtq_rx_put() gathers for one frame (over all its heads). */
#define VIRTQ_RX_IOV_MAX	128

/* Feature bits (the vhost-user GET/SET_FEATURES numbering). */
enum {
	VIRTQ_F_MRG_RXBUF	= 15,
	VIRTQ_F_INDIRECT_DESC	= 28,
	VIRTQ_F_EVENT_IDX	= 29,
	VIRTQ_F_VERSION_1	= 32,
};
#define VIRTQ_FEAT(bit)		(1ULL << (bit))

/* The ring layout in guest memory (VIRTIO 1.1 §2.6), little endian. */
enum {
	VIRTQ_DESC_F_NEXT	= 1,
	VIRTQ_DESC_F_WRITE	= 2,
	VIRTQ_DESC_F_INDIRECT	= 4,
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1

struct virtq_desc {
	uint64_t addr;			/* guest-physical */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];		/* [size], then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* [size], then avail_event */
};

/* Bytes each part of a ring of @size entries spans, event fields included. */
#define VIRTQ_DESC_BYTES(size)	((uint64_t)(size) * sizeof(struct virtq_desc))
#define VIRTQ_AVAIL_BYTES(size)	(4 + 2 * (uint64_t)(size) + 2)
#define VIRTQ_USED_BYTES(size)	(4 + 8 * (uint64_t)(size) + 2)

/* One region of the memory table (VHOST_USER_SET_MEM_TABLE), mapped by
 * the caller at @host for @size bytes. */
struct virtq_region {
	uint64_t gpa;			/* guest-physical address */
	uint64_t size;
	uint64_t qva;			/* QEMU's virtual address (userspace_addr) */
	uint8_t *host;
};

struct virtq_mem {
	struct virtq_region r[VIRTQ_REGIONS_MAX];
	unsigned n;
};

/* virtq_mem_add() - append a region to @m. Returns 0, -EINVAL for an empty
 * region or one whose gpa or qva range wraps past 2^64 or a NULL @host,
 * -ENOSPC when @m already holds VIRTQ_REGIONS_MAX. */
int virtq_mem_add(struct virtq_mem *m, uint64_t gpa, uint64_t size,
		  uint64_t qva, void *host);

/* virtq_gpa_to_host(), virtq_qva_to_host() - the host address of guest
 * range [@addr, @addr + @len), or NULL unless the whole range lies inside
 * one region (@len 0: @addr itself must). */
void *virtq_gpa_to_host(const struct virtq_mem *m, uint64_t addr,
			uint64_t len);
void *virtq_qva_to_host(const struct virtq_mem *m, uint64_t addr,
			uint64_t len);

/* One segment of a chain. @gpa is where @base lies in guest memory. */
struct virtq_iov {
	uint8_t *base;
	uint32_t len;
	uint64_t gpa;
};

/* A ring as vhost-user describes it (SET_VRING_NUM, _ADDR, _BASE, and
 * SET_LOG_BASE for the log). */
struct virtq_config {
	unsigned size;			/* power of two, 1..VIRTQ_SIZE_MAX */
	uint64_t features;		/* negotiated, VIRTQ_FEAT() bits */
	uint64_t desc_qva, avail_qva, used_qva;	/* QEMU virtual addresses */
	uint64_t log_used;		/* guest-physical address of the used ring */
	uint16_t last_avail_idx;	/* SET_VRING_BASE */
	uint8_t *log;			/* dirty bitmap, or NULL: no logging */
	uint64_t log_size;		/* bytes at @log */
};

struct virtq {
	const struct virtq_mem *mem;
	unsigned size;
	uint64_t features;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail_idx;	/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to fill */
	uint16_t published;		/* used->idx as last published */
	uint8_t *log;
	uint64_t log_size;
	uint64_t log_used;
	bool notify_off;		/* used->flags has NO_NOTIFY */
	int broken;			/* 0, or the -errno that broke it */
};

/* virtq_init() - set up @vq over @mem as @cfg describes. The three ring
 * parts must translate (QEMU VAs) into @mem whole and be aligned (16, 2
 * and 4 bytes); the used index resumes from used->idx, as after an xend
 * restart. Returns 0 or -EINVAL (then @vq is broken). */
int virtq_init(struct virtq *vq, const struct virtq_mem *mem,
	       const struct virtq_config *cfg);

/* virtq_broken() - 0 while the queue runs, else the -errno that broke it:
 * -ERANGE (head or next index, or avail->idx, out of range), -ELOOP (a
 * chain longer than its table), -EACCES (a write-only descriptor in a
 * transmit chain, or a readable one in a receive chain), -EINVAL (a bad
 * indirect table: length, nesting, without the feature, with NEXT),
 * -EFAULT (a segment or table outside guest memory), -E2BIG (a transmit
 * chain over VIRTQ_CHAIN_MAX bytes, or over the caller's segment limit). */
int virtq_broken(const struct virtq *vq);

/* virtq_pending() - true when the guest has made buffers available that
 * virtq_pop()/virtq_rx_put() have not taken yet. */
bool virtq_pending(const struct virtq *vq);

/* virtq_pop() - take the next available transmit chain: its readable
 * segments go to @iov (at most @max, each of non-zero length), its head to
 * *@head and its total length to *@len. Returns the number of segments
 * (0 also when the chain is all empty descriptors: push it back all the
 * same, *@head is set), -ENOENT when nothing is available, or the error
 * that broke the queue. */
int virtq_pop(struct virtq *vq, struct virtq_iov *iov, unsigned max,
	      uint16_t *head, uint32_t *len);

/* virtq_vnet_hdr_len() - bytes of virtio_net_hdr before each frame on
 * @vq: 12 with MRG_RXBUF or VERSION_1, else 10. */
unsigned virtq_vnet_hdr_len(const struct virtq *vq);

/* virtq_vnet_hdr_read() - parse the virtio_net_hdr at the start of a
 * chain (possibly split across segments) into @hdr (num_buffers is set to
 * 0). Returns the header's length, or -EBADMSG if the chain is shorter:
 * a malformed frame, not a broken ring. */
int virtq_vnet_hdr_read(const struct virtq *vq, const struct virtq_iov *iov,
			unsigned n, struct vs_vnet_hdr *hdr);

/* virtq_iov_copy() - copy up to @cap bytes of the chain's contents from
 * offset @off on into @dst. Returns the bytes copied. */
size_t virtq_iov_copy(const struct virtq_iov *iov, unsigned n, size_t off,
		      void *dst, size_t cap);

/* virtq_push() - return @head, of which the device wrote @len bytes, into
 * the next used entry (published by virtq_flush()). Returns 0, or the
 * error that broke the queue. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* virtq_rx_put() - copy @f (its vnet header, then its data) into the next
 * available writable chain, or with MRG_RXBUF into as many chains as it
 * needs (num_buffers says how many), and write their used entries. Returns
 * the number of used entries filled (>= 1); -ENOBUFS when the available
 * buffers cannot hold it now, -EMSGSIZE when without MRG_RXBUF the next
 * chain is too small (the frame is dropped, counted by the caller; no
 * buffer is consumed in either case), or the error that broke the queue. */
int virtq_rx_put(struct virtq *vq, const struct vs_frame *f);

/* virtq_rx_put_burst() - virtq_rx_put() for up to VIRTQ_BURST_MAX frames:
 * first every frame's buffers are found and its used entries written,
 * then the frames are copied one after the other (a frame needing more
 * than VIRTQ_BURST_SEGS segments at once), so that the misses on the
 * guest's buffers overlap. Returns how many frames were put (a prefix of
 * @frames); *@err is 0 when all were, else what virtq_rx_put() would have
 * returned for the first one that was not. Nothing is published until
 * virtq_flush(). */
#define VIRTQ_BURST_MAX		64
#define VIRTQ_BURST_SEGS	4
int virtq_rx_put_burst(struct virtq *vq, const struct vs_frame *const *frames,
		       unsigned n, int *err);

/* virtq_flush() - publish the used entries written since the last flush
 * (store-release of used->idx), tell the guest where to kick next with
 * EVENT_IDX (avail_event), and return whether the guest wants an
 * interrupt: with EVENT_IDX as vring_need_event() with used_event says,
 * else unless avail->flags has NO_INTERRUPT. False when nothing was
 * published or the queue is broken. After a flush the caller checks
 * virtq_pending() once more before it sleeps on the kick fd. */
bool virtq_flush(struct virtq *vq);

/* virtq_prefetch() - start loading the first 128 bytes of the buffers of
 * the @count available heads @skip entries ahead of the next one (for
 * writing, with @write: a receive ring). Only a hint: nothing is checked
 * or consumed, a bad entry is left to virtq_pop()/virtq_rx_put(). The
 * buffers of a burst then come in from the guest's CPU side by side
 * instead of one miss after the other. */
void virtq_prefetch(const struct virtq *vq, unsigned skip, unsigned count,
		    bool write);

/* virtq_notify() - ask the guest for kicks (@on) or not: while the
 * device polls a ring anyway, or for a ring it never waits on (receive),
 * a kick is a wasted exit in the guest and a wasted wakeup here. Without
 * EVENT_IDX it is used->flags' NO_NOTIFY; with EVENT_IDX, avail_event
 * just behind the next entry. virtq_init() turns kicks on. After turning
 * them back on, the caller checks virtq_pending() once more before it
 * sleeps. */
void virtq_notify(struct virtq *vq, bool on);

#endif /* XENO_VIRTQ_H */

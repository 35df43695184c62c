// SPDX-License-Identifier: GPL-2.0-or-later
/* capture.c - the SPSC ring of a port capture; see capture.h */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define REC_ALIGN	8u

static_assert(sizeof(struct vs_capture_rec) % REC_ALIGN == 0,
	      "records stay 8-aligned");
static_assert(VS_DROP__MAX <= UINT8_MAX, "a reason fits the record");

static size_t rec_size(uint32_t caplen)
{
	return (sizeof(struct vs_capture_rec) + caplen + REC_ALIGN - 1) &
	       ~(size_t)(REC_ALIGN - 1);
}

/* vs_capture_new() - see capture.h. The ring holds at least two records
 * of the largest size, so a full snap length always has a chance. */
struct vs_capture *vs_capture_new(size_t ring_bytes, uint32_t snaplen,
				  bool drops)
{
	struct vs_capture *c;
	size_t size = VS_CAPTURE_RING_MIN;

	if (!snaplen || snaplen > VS_CAPTURE_SNAPLEN_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (size < ring_bytes || size < 2 * rec_size(snaplen))
		size *= 2;
	/* aligned_alloc() wants a size that is a multiple of the alignment */
	c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->buf = malloc(size);
	if (!c->buf) {
		free(c);
		return NULL;
	}
	c->size = size;
	c->snaplen = snaplen;
	c->drops = drops;
	return c;
}

/* vs_capture_free() - see capture.h. */
void vs_capture_free(struct vs_capture *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c);
}

/* Copy @len bytes into the ring at byte count @pos, wrapping. */
static void ring_write(struct vs_capture *c, uint64_t pos, const void *src,
		       size_t len)
{
	size_t off = (size_t)(pos & (c->size - 1));
	size_t first = len < c->size - off ? len : c->size - off;

	memcpy(c->buf + off, src, first);
	memcpy(c->buf, (const uint8_t *)src + first, len - first);
}

static void ring_read(const struct vs_capture *c, uint64_t pos, void *dst,
		      size_t len)
{
	size_t off = (size_t)(pos & (c->size - 1));
	size_t first = len < c->size - off ? len : c->size - off;

	memcpy(dst, c->buf + off, first);
	memcpy((uint8_t *)dst + first, c->buf, len - first);
}

/* A counter only the producer writes: no read-modify-write needed. */
static void bump(_Atomic uint64_t *v)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed)
			      + 1, memory_order_relaxed);
}

/* vs_capture_put() - see capture.h. */
void vs_capture_put(struct vs_capture *c, const struct vs_frame *f,
		    enum vs_capture_dir dir, enum vs_drop reason, uint64_t now)
{
	uint64_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
	uint32_t caplen = f->len < c->snaplen ? f->len : c->snaplen;
	uint32_t head_len = vs_frame_head_len(f);
	struct vs_capture_rec rec = {
		.caplen = caplen, .len = f->len, .dir = (uint8_t)dir,
		.reason = (uint8_t)reason, .ts = now,
	};
	size_t size = rec_size(caplen);

	if (reason != VS_DROP__MAX && !c->drops)
		return;
	if (size > c->size - (size_t)(head - tail)) {
		bump(&c->lost);
		return;
	}
	rec.size = (uint32_t)size;
	ring_write(c, head, &rec, sizeof(rec));
	head += sizeof(rec);
	if (caplen <= head_len) {
		ring_write(c, head, f->data, caplen);
	} else {
		ring_write(c, head, f->data, head_len);
		ring_write(c, head + head_len, f->tail, caplen - head_len);
	}
	atomic_store_explicit(&c->head, head - sizeof(rec) + size,
			      memory_order_release);
	bump(&c->frames);
}

/* vs_capture_get() - see capture.h. */
bool vs_capture_get(struct vs_capture *c, struct vs_capture_rec *rec,
		    uint8_t *data, size_t cap)
{
	uint64_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&c->head, memory_order_acquire);

	if (head == tail)
		return false;
	ring_read(c, tail, rec, sizeof(*rec));
	if (rec->caplen > cap)		/* cannot happen: caplen <= snaplen */
		rec->caplen = (uint32_t)cap;
	ring_read(c, tail + sizeof(*rec), data, rec->caplen);
	atomic_store_explicit(&c->tail, tail + rec->size, memory_order_release);
	return true;
}

/* vs_capture_counts() - see capture.h. */
void vs_capture_counts(const struct vs_capture *c,
		       struct vs_capture_counts *out)
{
	out->frames = atomic_load_explicit(&c->frames, memory_order_relaxed);
	out->lost = atomic_load_explicit(&c->lost, memory_order_relaxed);
}

/* vs_capture_detached() - see capture.h. */
bool vs_capture_detached(const struct vs_capture *c)
{
	return atomic_load_explicit(&c->detached, memory_order_acquire);
}

/* vs_capture_mark_detached() - see capture.h. */
void vs_capture_mark_detached(struct vs_capture *c)
{
	atomic_store_explicit(&c->detached, true, memory_order_release);
}

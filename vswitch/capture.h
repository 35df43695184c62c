/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capture.h - a packet capture of one switch port: a bounded lock-free
 * single-producer/single-consumer ring of captured frames
 *
 * Theory of operation
 * -------------------
 * The switch (the producer, on the data-plane thread) copies each frame
 * a port sends or receives, after policy, into the ring of every capture
 * attached to the port (vs_port_capture_add()), with a snap length and,
 * for frames it dropped, the drop reason. The reader (the consumer, any
 * one other thread) takes the records out with vs_capture_get().
 *
 * The ring is a byte array of a power-of-two size; @head (written only by
 * the producer) and @tail (written only by the consumer) count bytes ever
 * written and read, so head - tail is what is queued. A record is a
 * struct vs_capture_rec followed by its bytes, padded to 8; it may wrap
 * around the end of the array. The producer publishes a record with a
 * release store of head, the consumer frees it with a release store of
 * tail; each reads the other's index with an acquire load. No locks, no
 * allocation per frame, no system call.
 *
 * A record that does not fit is not written and counted in @lost: a slow
 * reader loses captured frames, never switched ones. The producer never
 * waits.
 *
 * Life cycle: the control plane makes a capture (vs_capture_new()),
 * attaches it to a port on the data-plane thread, drains it, detaches it
 * on that thread again and only then frees it. When the port goes away
 * first, vs_port_del() marks the capture detached (vs_capture_detached()).
 */
#ifndef XENO_CAPTURE_H
#define XENO_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch.h"

#define VS_CAPTURE_SNAPLEN_MAX	65535
#define VS_CAPTURE_RING_MIN	4096
#define VS_CAPTURE_PORT_MAX	4	/* captures attached to one port */

/* Which way a frame crossed the port, from the domain's point of view
 * (as vif_stats counts): it sent the frame into the switch, or the
 * switch delivered (or meant to deliver) the frame to it. */
enum vs_capture_dir {
	VS_CAPTURE_SENT,
	VS_CAPTURE_RECEIVED,
};

/* The header of one record in the ring. @reason is a enum vs_drop, or
 * VS_DROP__MAX for a frame that was delivered. */
struct vs_capture_rec {
	uint32_t size;		/* the whole record, header and padding */
	uint32_t caplen;	/* bytes of the frame that follow */
	uint32_t len;		/* the frame's length on the wire */
	uint8_t dir;		/* enum vs_capture_dir */
	uint8_t reason;
	uint16_t pad;
	uint64_t ts;		/* the switch's clock (ns) when it crossed */
};

/* The producer's and the consumer's indexes sit on cache lines of their
 * own (the explicit padding; vs_capture_new() aligns the struct to 64),
 * so the two threads do not bounce one line between them. */
struct vs_capture {
	/* The producer's: only the data-plane thread writes these. */
	_Atomic uint64_t head;		/* bytes ever written */
	_Atomic uint64_t frames;	/* records written */
	_Atomic uint64_t lost;		/* records that did not fit */
	_Atomic bool detached;		/* its port went away */
	uint8_t pad_producer[64 - 3 * sizeof(uint64_t) - sizeof(bool)];

	/* The consumer's. */
	_Atomic uint64_t tail;		/* bytes ever read */
	uint8_t pad_consumer[64 - sizeof(uint64_t)];

	/* Set by vs_capture_new(), read-only afterwards. */
	uint8_t *buf;
	size_t size;			/* a power of two */
	uint32_t snaplen;
	bool drops;			/* also dropped frames */
};

/* vs_capture_new() - a capture with a ring of @ring_bytes (rounded up to
 * a power of two, at least VS_CAPTURE_RING_MIN) keeping the first
 * @snaplen (1..VS_CAPTURE_SNAPLEN_MAX) bytes of each frame, and dropped
 * frames too if @drops. Returns NULL on a bad argument (errno EINVAL) or
 * allocation failure. */
struct vs_capture *vs_capture_new(size_t ring_bytes, uint32_t snaplen,
				  bool drops);

/* vs_capture_free() - free a capture no port holds any more. Accepts
 * NULL. */
void vs_capture_free(struct vs_capture *c);

/* vs_capture_put() - producer: record frame @f, which crossed @dir at
 * @now, dropped for @reason (VS_DROP__MAX: delivered). A dropped frame
 * is skipped unless the capture takes drops; a record that does not fit
 * is counted lost. */
void vs_capture_put(struct vs_capture *c, const struct vs_frame *f,
		    enum vs_capture_dir dir, enum vs_drop reason, uint64_t now);

/* vs_capture_get() - consumer: take the oldest record into *@rec and its
 * rec->caplen bytes into @data (@cap >= the capture's snaplen). Returns
 * true, or false when the ring is empty. */
bool vs_capture_get(struct vs_capture *c, struct vs_capture_rec *rec,
		    uint8_t *data, size_t cap);

/* Counters, readable from any thread. */
struct vs_capture_counts {
	uint64_t frames;		/* written to the ring */
	uint64_t lost;			/* did not fit */
};

void vs_capture_counts(const struct vs_capture *c,
		       struct vs_capture_counts *out);

/* vs_capture_detached() - true once the port the capture was attached to
 * was deleted (the producer writes nothing more). */
bool vs_capture_detached(const struct vs_capture *c);

/* vs_capture_mark_detached() - the switch: the port is going away. */
void vs_capture_mark_detached(struct vs_capture *c);

#endif /* XENO_CAPTURE_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* credit.h - the per-vif credit limiter (DESIGN.md §5)
 *
 * Seed semantics: a vif gets @bytes of credit every @period (the seed's
 * credit_bytes / credit_usec). A frame that needs more credit than remains
 * waits for the next refill, and so does everything queued behind it
 * (deferral, not drop). Fixes and extensions over the seed:
 *
 * - no unsigned wrap-around: a frame larger than @bytes is admitted when
 *   the bucket is full and leaves the bucket in debt, which later refills
 *   pay off, so the long-run rate stays @bytes per @period;
 * - while a frame waits, the credit left over at a refill is carried
 *   rather than thrown away (the seed lost it, costing up to one frame per
 *   period); an idle bucket is capped at @bytes as in the seed;
 * - an optional packets-per-period limit, checked alongside bytes, or
 *   alone (0 bytes);
 * - live changes: new settings apply at the next refill, which comes no
 *   later than one new period after the change (a vif throttled under a
 *   1000 s period is read again within a new 1 ms one), or at once when
 *   the limiter was, or becomes, unlimited;
 * - time is an argument (nanoseconds), so tests run on a virtual clock.
 *
 * The same limiter serves the receive direction, where the caller drops
 * instead of deferring (credit_admit() with defer = false).
 */
#ifndef XENO_CREDIT_H
#define XENO_CREDIT_H

#include <stdbool.h>
#include <stdint.h>

struct credit {
	/* settings in force */
	uint64_t bytes;		/* credit per period; 0 = no byte limit */
	uint64_t period;	/* ns; 0 = unlimited */
	uint64_t packets;	/* frames per period; 0 = no frame limit */
	/* settings waiting for the next refill */
	bool pending;
	uint64_t next_bytes, next_period, next_packets;
	/* state */
	int64_t remaining;	/* bytes; negative = debt from a big frame */
	int64_t remaining_pkts;
	uint64_t next_refill;	/* ns */
	bool waiting;		/* a frame is deferred (tx direction) */
	uint64_t throttle_events;
};

/* Settings and state, for vif_getsched and stats. */
struct credit_info {
	uint64_t bytes, usecs, packets;
	int64_t remaining;
	uint64_t next_refill;
	bool waiting;
	uint64_t throttle_events;
};

/* credit_init() - an unlimited limiter. */
void credit_init(struct credit *c);

/* credit_set() - new settings at @now: @bytes every @usecs, at most
 * @packets frames per period (0 = no frame limit); @bytes 0 with
 * @packets set limits frames only. @usecs 0, or @bytes and @packets both
 * 0, = unlimited. Returns 0, or -EINVAL when @usecs is above 1e9 (1000 s)
 * or @bytes or @packets above 2^40. */
int credit_set(struct credit *c, uint64_t bytes, uint64_t usecs,
	       uint64_t packets, uint64_t now);

/* credit_unlimited() - true when no limit is in force or pending. */
static inline bool credit_unlimited(const struct credit *c)
{
	return c->period == 0 && !c->pending;
}

/* credit_admit() - may a frame of @len bytes pass at @now? On yes the
 * credit is charged. On no with @defer, the limiter is marked waiting (one
 * throttle event per wait) until credit_wakeup(). */
bool credit_admit(struct credit *c, uint32_t len, uint64_t now, bool defer);

/* credit_wakeup() - when a waiting limiter gets its next refill (ns). */
static inline uint64_t credit_wakeup(const struct credit *c)
{
	return c->next_refill;
}

/* credit_get() - settings and state into @out. */
void credit_get(const struct credit *c, struct credit_info *out);

#endif /* XENO_CREDIT_H */

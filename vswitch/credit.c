// SPDX-License-Identifier: GPL-2.0-or-later
/* credit.c - the per-vif credit limiter; see credit.h for the rules */

#include <errno.h>
#include <string.h>

#include "credit.h"

#define NSEC_PER_USEC		1000ULL
#define CREDIT_USECS_MAX	1000000000ULL	/* 1000 s */
#define CREDIT_BYTES_MAX	(1ULL << 40)

void credit_init(struct credit *c)
{
	memset(c, 0, sizeof(*c));
}

/* Put settings in force and start a fresh, full period at @now. */
static void apply(struct credit *c, uint64_t bytes, uint64_t period,
		  uint64_t packets, uint64_t now)
{
	c->bytes = bytes;
	c->period = period;
	c->packets = packets;
	c->pending = false;
	c->remaining = (int64_t)bytes;
	c->remaining_pkts = (int64_t)packets;
	c->next_refill = now + period;
	c->waiting = false;
}

int credit_set(struct credit *c, uint64_t bytes, uint64_t usecs,
	       uint64_t packets, uint64_t now)
{
	uint64_t period;

	if (usecs > CREDIT_USECS_MAX || bytes > CREDIT_BYTES_MAX ||
	    packets > CREDIT_BYTES_MAX)
		return -EINVAL;

	/* A limit needs a period and something to count: bytes, frames,
	 * or both (0 bytes with a frame limit = frames only). */
	period = usecs && (bytes || packets) ? usecs * NSEC_PER_USEC : 0;
	if (!period) {
		/* Lifting the limit releases a waiting vif at once. */
		apply(c, 0, 0, 0, now);
		return 0;
	}
	if (!c->period) {
		apply(c, bytes, period, packets, now);
		return 0;
	}
	/* Limited to limited: as the seed's timer did, the change is picked
	 * up at the next refill, but that refill comes no later than one new
	 * period from now: a vif throttled under a 1000 s period is not left
	 * waiting for it once given a 1 ms one. */
	c->pending = true;
	c->next_bytes = bytes;
	c->next_period = period;
	c->next_packets = packets;
	if (c->next_refill > now + period)
		c->next_refill = now + period;
	return 0;
}

/* Bring the bucket up to date with the refills due by @now. */
static void refill(struct credit *c, uint64_t now)
{
	uint64_t periods;
	int64_t cap, carry;
	bool pkt_wait;

	if (now < c->next_refill)
		return;

	if (c->pending) {
		/* One refill on the new settings; a debt is kept. */
		int64_t debt = c->remaining < 0 ? c->remaining : 0;

		apply(c, c->next_bytes, c->next_period, c->next_packets, now);
		c->remaining += debt;
		return;
	}

	periods = (now - c->next_refill) / c->period + 1;
	c->next_refill += periods * c->period;
	pkt_wait = c->packets && c->remaining_pkts <= 0;
	c->remaining_pkts = (int64_t)c->packets;
	if (!c->bytes)
		return;			/* frames only */

	/* A waiting frame keeps the credit it was saving up (less than its
	 * own length), so a backlogged vif gets exactly bytes per period.
	 * Only a wait for bytes carries: a vif held back by the packet limit
	 * would otherwise bank a period's bytes every period and, once its
	 * frames grew, send far above the byte rate until the bank ran out. */
	carry = (c->waiting && !pkt_wait && c->remaining > 0) ?
		c->remaining : 0;
	cap = (int64_t)c->bytes + carry;
	if (periods > (uint64_t)(cap - c->remaining) / c->bytes + 1)
		c->remaining = cap;
	else
		c->remaining += (int64_t)(periods * c->bytes);
	if (c->remaining > cap)
		c->remaining = cap;
}

/* Does a frame of @len fit the bucket as it stands? */
static bool fits(const struct credit *c, uint32_t len)
{
	if (c->packets && c->remaining_pkts <= 0)
		return false;
	if (!c->bytes || (int64_t)len <= c->remaining)
		return true;
	/* Bigger than a whole period's credit: goes when the bucket is full,
	 * leaving a debt (the seed wrapped around here instead). */
	return (uint64_t)len > c->bytes && c->remaining >= (int64_t)c->bytes;
}

bool credit_admit(struct credit *c, uint32_t len, uint64_t now, bool defer)
{
	if (!c->period)
		return true;

	refill(c, now);
	if (!c->period)
		return true;
	if (!fits(c, len)) {
		if (defer && !c->waiting) {
			c->waiting = true;
			c->throttle_events++;
		}
		return false;
	}
	if (c->bytes)
		c->remaining -= len;
	if (c->packets)
		c->remaining_pkts--;
	c->waiting = false;
	return true;
}

void credit_get(const struct credit *c, struct credit_info *out)
{
	bool p = c->pending;

	out->bytes = p ? c->next_bytes : c->bytes;
	out->usecs = (p ? c->next_period : c->period) / NSEC_PER_USEC;
	out->packets = p ? c->next_packets : c->packets;
	out->remaining = c->remaining;
	out->next_refill = c->next_refill;
	out->waiting = c->waiting;
	out->throttle_events = c->throttle_events;
}

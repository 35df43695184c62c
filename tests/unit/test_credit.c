// SPDX-License-Identifier: GPL-2.0-or-later
/* test_credit.c - the credit limiter (DESIGN.md §5) on a virtual clock:
 * achieved rates, deferral without loss, big frames, live changes, packet
 * and receive limits, wakeup times and polled ports
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "credit.h"
#include "fakeport.h"

#define MS	1000000ULL		/* ns */
#define SEC	1000000000ULL

static int setup(void **state)
{
	struct testbed *tb;

	tb_fixture_wire(state);
	tb = *state;
	tb->vif[2].keep_data = false;	/* long runs: lengths and seqs only */
	return 0;
}

/* A backlogged sender: vif1 always has frames for vif2 --------------------*/

struct sender {
	struct testbed *tb;
	uint8_t buf[VS_BATCH][FP_FRAME_BUF];
	struct vs_frame fr[VS_BATCH];
	unsigned n;			/* frames waiting in fr[] */
	uint64_t next_seq;		/* seq of the next new frame */
	uint64_t expect_seq;		/* next seq vif2 must receive */
	uint64_t bytes, frames;		/* delivered to vif2 */
	uint64_t deferrals;		/* vs_input() calls that fell short */
	const uint32_t *sizes;		/* frame sizes, used in turn */
	unsigned nsizes;
};

/* sender_new() - a backlogged sender of frames of @sizes (used in turn)
 * from vif1 to vif2, with vif1's tx limit set to @bytes and @pkts per
 * @usecs at time 0. The caller frees it. */
static struct sender *sender_new(struct testbed *tb, const uint32_t *sizes,
				 unsigned nsizes, uint64_t bytes,
				 uint64_t usecs, uint64_t pkts)
{
	struct sender *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->tb = tb;
	s->next_seq = s->expect_seq = 1;
	s->sizes = sizes;
	s->nsizes = nsizes;
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), bytes, usecs, pkts,
					      0), 0);
	return s;
}

/* Top the window of waiting frames up to a full batch. */
static void sender_fill(struct sender *s)
{
	struct testbed *tb = s->tb;

	while (s->n < VS_BATCH) {
		uint32_t size = s->sizes[s->next_seq % s->nsizes];
		uint8_t *b = s->buf[(s->next_seq - 1) % VS_BATCH];
		uint32_t len = fb_udp4(b, tb->vif_mac[2], tb->vif_mac[1],
				       tb->vif_ip[1], tb->vif_ip[2], 1, 2,
				       size - 42);

		fp_seq_stamp(b, len, s->next_seq++);
		s->fr[s->n++] = (struct vs_frame){ .data = b, .len = len,
						   .cap = len };
	}
}

/* Offer the waiting frames at @now; check that what vif2 got is the next
 * frames in order, with nothing lost or dropped. Returns frames taken. */
static unsigned sender_offer(struct sender *s, uint64_t now)
{
	struct testbed *tb = s->tb;
	struct fakeport *rx = &tb->vif[2];
	int k;
	size_t i;

	sender_fill(s);
	k = vs_input(tb->sw, VIF(1), s->fr, s->n, now);
	assert_true(k >= 0 && (unsigned)k <= s->n);
	assert_int_equal(rx->nlog, k);
	for (i = 0; i < rx->nlog; i++) {
		assert_int_equal(rx->log[i].seq, s->expect_seq);
		s->expect_seq++;
		s->bytes += rx->log[i].len;
		s->frames++;
	}
	fp_clear(rx);
	memmove(s->fr, s->fr + k, (s->n - (unsigned)k) * sizeof(s->fr[0]));
	s->n -= (unsigned)k;
	if (s->n)
		s->deferrals++;
	return (unsigned)k;
}

/* Run the sender until @t_end: at every wakeup when @tick is 0, else on a
 * fixed tick (a back end polling on its own timer). Returns the time. */
static uint64_t sender_run(struct sender *s, uint64_t now, uint64_t t_end,
			   uint64_t tick)
{
	uint64_t wake;

	while (now < t_end) {
		sender_offer(s, now);
		if (!s->n)
			continue;
		assert_true(vs_port_throttled(s->tb->sw, s->tb->p_vif[1], &wake));
		assert_true(wake > now);
		now = tick ? now + tick : wake;
	}
	return now;
}

static void expect_no_drops(struct testbed *tb)
{
	struct vs_stats st;
	unsigned r;

	vs_switch_stats(SW, &st);
	for (r = 0; r < VS_DROP__MAX; r++)
		assert_int_equal(st.drops[r], 0);
	assert_int_equal(st.in_frames, st.delivered);
}

/* Rate accuracy ----------------------------------------------------------*/

struct rate_case {
	const char *name;
	uint64_t bytes, usecs;
	uint32_t sizes[4];
	unsigned nsizes;
	uint64_t tick;
};

static void rate_case(struct testbed *tb, const struct rate_case *c)
{
	struct sender *s;
	const uint64_t t_end = 10 * SEC;
	double want, got, err;

	s = sender_new(tb, c->sizes, c->nsizes, c->bytes, c->usecs, 0);
	sender_run(s, 0, t_end, c->tick);

	want = (double)c->bytes * 1e6 / (double)c->usecs;	/* bytes/s */
	got = (double)s->bytes / ((double)t_end / 1e9);
	err = (got - want) / want * 100.0;
	print_message("  rate %-26s %7llu B/%-6llu us: want %10.1f B/s, "
		      "got %10.1f B/s (%+.3f%%), %llu frames, %llu deferrals\n",
		      c->name, (unsigned long long)c->bytes,
		      (unsigned long long)c->usecs, want, got, err,
		      (unsigned long long)s->frames,
		      (unsigned long long)s->deferrals);
	if (err > 1.0 || err < -1.0)
		fail_msg("%s: rate off by %.3f%%", c->name, err);
	assert_true(s->deferrals > 0);
	expect_no_drops(tb);
	free(s);
}

static void test_rate_accuracy(void **state)
{
	static const struct rate_case cases[] = {
		{ "1514 B, at wakeups", 125000, 100000, { 1514 }, 1, 0 },
		{ "64 B, at wakeups", 125000, 100000, { 64 }, 1, 0 },
		{ "1000 B, at wakeups", 125000, 100000, { 1000 }, 1, 0 },
		{ "mixed, at wakeups", 125000, 100000,
		  { 64, 1514, 576, 1000 }, 4, 0 },
		{ "1514 B, 1 ms tick", 125000, 100000, { 1514 }, 1, MS },
		{ "64 B, 7 ms tick", 125000, 100000, { 64 }, 1, 7 * MS },
		{ "mixed, fast 1 ms period", 12500, 1000,
		  { 64, 1514, 300 }, 3, 0 },
	};
	struct testbed *tb = *state;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tb_teardown(tb);
		tb_setup(tb, 3, true);
		tb->vif[2].keep_data = false;
		rate_case(tb, &cases[i]);
	}
}

/* Frames larger than BYTES: the bucket must be full, then they go and
 * leave a debt; the long-run rate still holds. */
static void test_big_frames(void **state)
{
	static const uint32_t big[] = { 1514 };
	struct testbed *tb = *state;
	struct sender *s;
	struct credit_info ci;
	uint64_t wake;
	double got, want = 1000.0 * 1e6 / 1000.0, err;

	s = sender_new(tb, big, 1, 1000, 1000, 0);
	/* full bucket: the first goes at once, in debt */
	assert_int_equal(sender_offer(s, 0), 1);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.remaining, 1000 - 1514);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 1 * MS);
	/* one refill pays the debt off only partly: still waiting */
	assert_int_equal(sender_offer(s, 1 * MS), 0);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 2 * MS);
	/* the next refill fills the bucket: it goes */
	assert_int_equal(sender_offer(s, 2 * MS), 1);

	/* and over 10 s the rate is BYTES/USECS, not a frame per period */
	sender_run(s, 2 * MS, 10 * SEC, 0);
	got = (double)s->bytes / 10.0;
	err = (got - want) / want * 100.0;
	print_message("  rate %-26s %7u B/%-6u us: want %10.1f B/s, "
		      "got %10.1f B/s (%+.3f%%), %llu frames\n",
		      "1514 B > BYTES", 1000, 1000, want, got, err,
		      (unsigned long long)s->frames);
	assert_true(err < 1.0 && err > -1.0);
	expect_no_drops(tb);
	free(s);
}

/* Deferral, not drop ------------------------------------------------------*/

static void test_defer_not_drop(void **state)
{
	struct testbed *tb = *state;
	static uint8_t bufs[VS_BATCH][FP_FRAME_BUF];
	struct vs_frame fr[VS_BATCH];
	struct vs_port_stats ps;
	struct vs_stats st;
	uint64_t now = 0, wake;
	unsigned i, done = 0, calls = 0;
	int k;

	for (i = 0; i < VS_BATCH; i++) {
		uint32_t len = fb_udp4(bufs[i], tb->vif_mac[2], tb->vif_mac[1],
				       tb->vif_ip[1], tb->vif_ip[2], 1, 2,
				       200 - 42);

		fp_seq_stamp(bufs[i], len, i + 1);
		fr[i] = (struct vs_frame){ .data = bufs[i], .len = len,
					   .cap = len };
	}
	assert_false(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 1000, 1000, 0,
					      now), 0);
	assert_false(vs_port_throttled(SW, VIF(1), &wake));

	/* 1000 bytes per ms: five 200-byte frames per call */
	k = vs_input(SW, VIF(1), fr, VS_BATCH, now);
	assert_int_equal(k, 5);
	vs_switch_stats(SW, &st);
	assert_int_equal(st.in_frames, 5);	/* the rest is not taken */
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 1 * MS);
	/* before the refill nothing more goes, and nothing is dropped */
	assert_int_equal(vs_input(SW, VIF(1), fr + 5, VS_BATCH - 5,
				  wake - 1), 0);
	done = 5;
	now = wake;
	while (done < VS_BATCH) {
		k = vs_input(SW, VIF(1), fr + done, VS_BATCH - done, now);
		assert_true(k == 5 || (unsigned)k == VS_BATCH - done);
		done += (unsigned)k;
		calls++;
		if (done < VS_BATCH) {
			assert_true(vs_port_throttled(SW, VIF(1), &wake));
			assert_int_equal(wake, now + 1 * MS);
			now = wake;
		}
	}
	/* all delivered, in order */
	assert_int_equal(tb->vif[2].nlog, VS_BATCH);
	for (i = 0; i < VS_BATCH; i++)
		assert_int_equal(tb->vif[2].log[i].seq, i + 1);
	expect_no_drops(tb);
	assert_int_equal(vs_port_stats(SW, VIF(1), &ps), 0);
	assert_int_equal(ps.tx_packets, VS_BATCH);
	assert_int_equal(ps.in_packets, VS_BATCH);
	/* one throttle event per wait, not per refused call */
	assert_int_equal(ps.throttled, calls);
	/* not waiting any more */
	assert_false(vs_port_throttled(SW, VIF(1), &wake));
}

/* An idle vif does not save up more than one bucket. */
static void test_idle_cap(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t sz[] = { 500 };
	struct sender *s;
	struct credit_info ci;

	s = sender_new(tb, sz, 1, 5000, 1000, 0);
	/* idle for an hour of virtual time */
	assert_int_equal(sender_offer(s, 3600 * SEC), 10);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.remaining, 0);
	assert_int_equal(ci.bytes, 5000);
	assert_int_equal(ci.usecs, 1000);
	assert_true(ci.waiting);
	assert_int_equal(ci.next_refill, 3600 * SEC + 1 * MS);
	free(s);
}

/* Live changes ------------------------------------------------------------*/

static void test_live_change(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t sz[] = { 1000 };
	struct sender *s;
	struct credit_info ci;
	uint64_t now, b0, wake;
	double got, err;

	s = sender_new(tb, sz, 1, 10000, 10000, 0);
	assert_int_equal(sender_offer(s, 0), 10);
	/* at 5 ms: double it. The period under way keeps the old setting */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 20000, 10000, 0,
					      5 * MS), 0);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.bytes, 20000);	/* reported: the new one */
	assert_int_equal(sender_offer(s, 5 * MS), 0);
	assert_int_equal(sender_offer(s, 10 * MS - 1), 0);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 10 * MS);
	/* at the refill: 20000 bytes */
	b0 = s->bytes;
	assert_int_equal(sender_offer(s, 10 * MS), 20);

	/* the new rate over a second from that refill on */
	now = sender_run(s, 10 * MS, 1010 * MS, 0);
	got = (double)(s->bytes - b0);
	err = (got - 2e6) / 2e6 * 100.0;
	print_message("  live change 10000->20000 B/10 ms: %.0f B/s (%+.3f%%)\n",
		      got, err);
	assert_true(err < 1.0 && err > -1.0);

	/* halve it, mid-period, then over a second */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 5000, 10000, 0,
					      now + 3 * MS), 0);
	now = sender_run(s, now + 3 * MS, now + 10 * MS, 0);
	b0 = s->bytes;
	now = sender_run(s, now, now + SEC, 0);
	got = (double)(s->bytes - b0);
	err = (got - 5e5) / 5e5 * 100.0;
	print_message("  live change 20000->5000 B/10 ms: %.0f B/s (%+.3f%%)\n",
		      got, err);
	assert_true(err < 1.0 && err > -1.0);

	/* a bad setting is refused and changes nothing */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 5000, 2000000000ULL,
					      0, now), -EINVAL);
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), (1ULL << 40) + 1,
					      1000, 0, now), -EINVAL);
	assert_int_equal(vs_port_set_tx_limit(SW, 250, 1, 1, 0, now), -ENOENT);
	assert_int_equal(vs_port_set_rx_limit(SW, 250, 1, 1, 0, now), -ENOENT);
	assert_int_equal(vs_port_limits(SW, 250, &ci, NULL), -ENOENT);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.bytes, 5000);
	assert_int_equal(ci.usecs, 10000);
	expect_no_drops(tb);
	free(s);
}

static void test_lift_limit(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t sz[] = { 1000 };
	struct sender *s;
	struct credit_info ci;
	uint64_t wake;

	s = sender_new(tb, sz, 1, 3000, 1000000, 0);
	assert_int_equal(sender_offer(s, 0), 3);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, SEC);
	/* 0 usecs: unlimited at once, the waiting frames go now */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 3000, 0, 0, 1000),
			 0);
	assert_false(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(sender_offer(s, 1000), VS_BATCH);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.usecs, 0);

	/* unlimited -> limited: at once, with a full bucket */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 2000, 1000000, 0,
					      2000), 0);
	assert_int_equal(sender_offer(s, 2000), 2);
	/* 0 bytes is unlimited too */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 0, 1000000, 0,
					      3000), 0);
	assert_false(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(sender_offer(s, 3000), VS_BATCH);
	expect_no_drops(tb);
	free(s);
}

/* Packet limit -------------------------------------------------------------*/

static void test_packet_limit(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t small[] = { 100 };
	struct sender *s;
	uint64_t wake;

	/* plenty of bytes, 10 frames per 10 ms */
	s = sender_new(tb, small, 1, 1000000, 10000, 10);
	assert_int_equal(sender_offer(s, 0), 10);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 10 * MS);
	assert_int_equal(sender_offer(s, 10 * MS), 10);
	sender_run(s, 10 * MS, SEC, 0);
	assert_int_equal(s->frames, 1000);	/* 100 periods x 10 */
	print_message("  packet limit 10/10 ms: %llu frames in 1 s\n",
		      (unsigned long long)s->frames);
	expect_no_drops(tb);
	free(s);
}

/* A long packet-bound stretch must not bank byte credit: when the frames
 * grow and bytes become the binding limit, the byte rate holds. */
static void test_packet_limit_no_byte_banking(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t small[] = { 64 }, big[] = { 1514 };
	struct sender *s;
	uint64_t now, b0;
	double got, want = 1.25e6, err;

	/* 125000 B and 100 frames per 100 ms */
	s = sender_new(tb, small, 1, 125000, 100000, 100);
	now = sender_run(s, 0, 5 * SEC, 0);
	assert_int_equal(s->frames, 5000);	/* packet-bound */
	/* now 1514-byte frames: 100 of them would be 151400 B per period */
	s->sizes = big;
	b0 = s->bytes;
	sender_run(s, now, now + 5 * SEC, 0);
	got = (double)(s->bytes - b0) / 5.0;
	err = (got - want) / want * 100.0;
	print_message("  packet-bound then byte-bound: %.0f B/s, want %.0f "
		      "(%+.3f%%)\n", got, want, err);
	if (err > 1.0 || err < -1.0)
		fail_msg("byte rate after a packet-bound stretch off by %.3f%%",
			 err);
	expect_no_drops(tb);
	free(s);
}

/* A packets-only limit (0 bytes): enforced on transmit (deferral) and on
 * receive (drops), whatever the frame size. */
static void test_packet_only_limit(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t mixed[] = { 64, 1514, 600 };
	struct sender *s;
	struct credit_info ci;
	uint8_t f[FP_FRAME_BUF];
	struct vs_frame fr[VS_BATCH];
	struct vs_port_stats ps;
	uint64_t wake;
	uint32_t len;
	unsigned i;

	/* transmit: 5 frames per 10 ms, no byte limit */
	s = sender_new(tb, mixed, 3, 0, 10000, 5);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.bytes, 0);
	assert_int_equal(ci.usecs, 10000);
	assert_int_equal(ci.packets, 5);
	assert_int_equal(sender_offer(s, 0), 5);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 10 * MS);
	assert_int_equal(sender_offer(s, 10 * MS - 1), 0);
	assert_int_equal(sender_offer(s, 10 * MS), 5);
	sender_run(s, 10 * MS, SEC, 0);
	assert_int_equal(s->frames, 500);	/* 100 periods x 5 */
	expect_no_drops(tb);
	free(s);

	/* receive: vif2 takes 5 frames per 10 ms, the rest is dropped */
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[3], tb->vif_ip[3],
		      tb->vif_ip[2], 1, 2, 1000);
	for (i = 0; i < VS_BATCH; i++)
		fr[i] = (struct vs_frame){ .data = f, .len = len, .cap = len };
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(2), 0, 10000, 5, 2 * SEC),
			 0);
	assert_int_equal(vs_port_limits(SW, VIF(2), NULL, &ci), 0);
	assert_int_equal(ci.packets, 5);
	fp_clear(&tb->vif[2]);
	assert_int_equal(vs_input(SW, VIF(3), fr, VS_BATCH, 2 * SEC), VS_BATCH);
	assert_int_equal(tb->vif[2].nlog, 5);
	assert_int_equal(vs_port_stats(SW, VIF(2), &ps), 0);
	assert_int_equal(ps.drops[VS_DROP_RX_RATELIMIT], VS_BATCH - 5);
	/* positive control: the next period takes 5 more */
	assert_int_equal(vs_input(SW, VIF(3), fr, 1, 2 * SEC + 10 * MS), 1);
	assert_int_equal(tb->vif[2].nlog, 6);
	tb_expect_invariant(tb);

	/* 0 bytes and 0 packets is still unlimited */
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(2), 0, 10000, 0, 3 * SEC),
			 0);
	assert_int_equal(vs_input(SW, VIF(3), fr, VS_BATCH, 3 * SEC), VS_BATCH);
	assert_int_equal(tb->vif[2].nlog, 6 + VS_BATCH);
}

/* A change takes effect no later than one period of the new setting: a
 * vif throttled under a 1000 s period is read again within the new 1 ms
 * one, on both directions; a change to a longer period lets the period
 * under way end as it would have. */
static void test_live_change_bounded(void **state)
{
	struct testbed *tb = *state;
	static const uint32_t sz[] = { 1000 };
	struct sender *s;
	uint8_t f[FP_FRAME_BUF];
	struct vs_frame fr = { .data = f };
	uint64_t wake;

	s = sender_new(tb, sz, 1, 2000, 1000000000ULL, 0);
	assert_int_equal(sender_offer(s, 0), 2);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 1000 * SEC);
	/* at 5 ms: 10000 B per ms */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 10000, 1000, 0,
					      5 * MS), 0);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_true(wake <= 6 * MS);
	assert_int_equal(sender_offer(s, 6 * MS), 10);
	/* and the new rate holds from there */
	sender_run(s, 6 * MS, 106 * MS, 0);
	assert_int_equal(s->frames, 2 + 10 * 100);	/* 6, 7, ... 105 ms */
	/* packets too: 1 frame per 1000 s, then 4 per ms */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 100000, 1000000000ULL,
					      1, 200 * MS), 0);
	assert_int_equal(sender_offer(s, 200 * MS), 1);	/* old one over */
	assert_int_equal(sender_offer(s, 201 * MS), 0);
	assert_int_equal(sender_offer(s, 300 * MS), 0);
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 100000, 1000, 4,
					      300 * MS), 0);
	assert_int_equal(sender_offer(s, 300 * MS), 0);
	assert_int_equal(sender_offer(s, 301 * MS), 4);
	/* longer period: the 1 ms under way still ends at 302 ms */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 3000, 1000000, 0,
					      301 * MS + 1), 0);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 302 * MS);
	assert_int_equal(sender_offer(s, 302 * MS), 3);
	expect_no_drops(tb);
	free(s);

	/* receive: 1000 B per 1000 s, then 10000 B per ms */
	fr.len = fr.cap = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[3],
				  tb->vif_ip[3], tb->vif_ip[2], 1, 2, 900);
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(2), 1000, 1000000000ULL,
					      0, SEC), 0);
	fp_clear(&tb->vif[2]);
	assert_int_equal(vs_input(SW, VIF(3), &fr, 1, SEC), 1);
	assert_int_equal(vs_input(SW, VIF(3), &fr, 1, SEC), 1);
	assert_int_equal(tb->vif[2].nlog, 1);	/* the 2nd is dropped */
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(2), 10000, 1000, 0,
					      SEC + 1), 0);
	assert_int_equal(vs_input(SW, VIF(3), &fr, 1, SEC + 1 + MS), 1);
	assert_int_equal(tb->vif[2].nlog, 2);
	tb_expect_invariant(tb);
}

/* Receive limit ------------------------------------------------------------*/

static void test_rx_limit(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct vs_frame fr[VS_BATCH];
	struct vs_port_stats ps;
	struct vs_stats st;
	uint64_t now, sent = 0, got = 0;
	uint32_t len;
	unsigned i;
	double rate, err;

	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		      tb->vif_ip[2], 1, 2, 1000 - 42);
	for (i = 0; i < VS_BATCH; i++)
		fr[i] = (struct vs_frame){ .data = f, .len = len, .cap = len };
	/* vif2 takes 10000 B per 10 ms; vif1 sends unlimited */
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(2), 10000, 10000, 0, 0),
			 0);
	/* over the limit: consumed (never deferred), dropped as rx_ratelimit */
	assert_int_equal(vs_input(SW, VIF(1), fr, VS_BATCH, 0), VS_BATCH);
	assert_int_equal(tb->vif[2].nlog, 10);
	vs_switch_stats(SW, &st);
	assert_int_equal(st.delivered, 10);
	assert_int_equal(st.drops[VS_DROP_RX_RATELIMIT], VS_BATCH - 10);
	assert_int_equal(vs_port_stats(SW, VIF(2), &ps), 0);
	assert_int_equal(ps.drops[VS_DROP_RX_RATELIMIT], VS_BATCH - 10);
	assert_int_equal(ps.rx_packets, 10);
	assert_int_equal(vs_port_stats(SW, VIF(1), &ps), 0);
	assert_int_equal(ps.drops[VS_DROP_RX_RATELIMIT], 0);
	assert_int_equal(ps.throttled, 0);
	assert_false(vs_port_throttled(SW, VIF(1), NULL));
	/* the sender is not held back for others */
	(void)fb_udp4(f, tb->vif_mac[3], tb->vif_mac[1], tb->vif_ip[1],
		       tb->vif_ip[3], 1, 2, 1000 - 42);
	assert_int_equal(vs_input(SW, VIF(1), fr, VS_BATCH, 0), VS_BATCH);
	assert_int_equal(tb->vif[3].nlog, VS_BATCH);

	/* over 10 s with 3x the limit offered every millisecond */
	(void)fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		       tb->vif_ip[2], 1, 2, 1000 - 42);
	fp_clear(&tb->vif[2]);
	for (now = 10 * MS; now < 10 * SEC + 10 * MS; now += MS) {
		assert_int_equal(vs_input(SW, VIF(1), fr, 3, now), 3);
		sent += 3;
		got += tb->vif[2].nlog;
		fp_clear(&tb->vif[2]);
	}
	rate = (double)got * 1000.0 / 10.0;
	err = (rate - 1e6) / 1e6 * 100.0;
	print_message("  rx limit 10000 B/10 ms: %.0f B/s (%+.3f%%), "
		      "%llu of %llu frames dropped\n", rate, err,
		      (unsigned long long)(sent - got),
		      (unsigned long long)sent);
	assert_true(err < 1.0 && err > -1.0);
	tb_expect_invariant(tb);
}

/* Direct limiter checks ----------------------------------------------------*/

static void test_credit_api(void **state)
{
	struct credit c;
	struct credit_info ci;

	(void)state;
	credit_init(&c);
	assert_true(credit_unlimited(&c));
	assert_true(credit_admit(&c, 100000, 0, true));
	assert_int_equal(credit_set(&c, 1, 1000000001, 0, 0), -EINVAL);
	assert_int_equal(credit_set(&c, (1ULL << 40) + 1, 1, 0, 0), -EINVAL);
	assert_int_equal(credit_set(&c, 1, 1, (1ULL << 40) + 1, 0), -EINVAL);
	assert_true(credit_unlimited(&c));
	assert_int_equal(credit_set(&c, 1000, 1000, 0, 500), 0);
	assert_false(credit_unlimited(&c));
	assert_true(credit_admit(&c, 600, 500, true));
	assert_false(credit_admit(&c, 600, 500, true));
	assert_false(credit_admit(&c, 600, 600, true));
	credit_get(&c, &ci);
	assert_true(ci.waiting);
	assert_int_equal(ci.throttle_events, 1);
	assert_int_equal(ci.remaining, 400);
	assert_int_equal(credit_wakeup(&c), 500 + 1000000);
	/* receive direction: no waiting, no throttle events */
	assert_int_equal(credit_set(&c, 1000, 1000, 0, 0), 0);	/* pending */
	credit_get(&c, &ci);
	assert_int_equal(ci.bytes, 1000);
	assert_true(credit_admit(&c, 1000, 1000500, false));
	assert_false(credit_admit(&c, 1, 1000500, false));
	credit_get(&c, &ci);
	assert_false(ci.waiting);
	assert_int_equal(ci.throttle_events, 1);
	/* huge time jumps do not overflow the bucket */
	assert_true(credit_admit(&c, 1000, UINT64_MAX / 2, false));
	assert_false(credit_admit(&c, 1, UINT64_MAX / 2, false));
}

/* Polled ports --------------------------------------------------------------*/

static void push_frames(struct testbed *tb, unsigned n, uint32_t size,
			uint64_t first_seq)
{
	uint8_t f[FP_FRAME_BUF];
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1],
				       tb->vif_ip[1], tb->vif_ip[2], 1, 2,
				       size - 42);

		fp_seq_stamp(f, len, first_seq + i);
		fp_rx_push(&tb->vif[1], f, len);
	}
}

static void poll_held(struct testbed *tb, bool own_memory)
{
	struct fakeport *in = &tb->vif[1], *out = &tb->vif[2];
	uint64_t now = 0, wake;
	unsigned total = 0, i;
	int n;

	in->rx_own_memory = own_memory;
	push_frames(tb, 200, 500, 1);
	/* 5000 B per ms: 10 frames of 500 B */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 5000, 1000, 0, 0),
			 0);
	n = vs_port_poll(SW, VIF(1), now, 0);
	assert_int_equal(n, 10);
	assert_int_equal(in->rx_calls, 1);
	assert_int_equal(in->rx_handed, VS_BATCH);
	assert_int_equal(in->rx_released, 10);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(wake, 1 * MS);
	/* throttled: nothing is read or switched before the refill */
	assert_int_equal(vs_port_poll(SW, VIF(1), wake - 1, 0), 0);
	assert_int_equal(in->rx_calls, 1);
	total = 10;
	while (total < 200) {
		now = wake;
		n = vs_port_poll(SW, VIF(1), now, 0);
		assert_true(n > 0 && n <= 10);
		total += (unsigned)n;
		assert_int_equal(in->rx_released, total);
		assert_true(in->rx_handed - in->rx_released <= VS_BATCH);
		if (total < 200)
			assert_true(vs_port_throttled(SW, VIF(1), &wake));
	}
	assert_int_equal(fp_rx_queued(in), 0);
	assert_int_equal(in->rx_handed, 200);
	assert_int_equal(in->rx_released, 200);
	/* every frame arrived, in order */
	assert_int_equal(out->nlog, 200);
	for (i = 0; i < 200; i++)
		assert_int_equal(out->log[i].seq, i + 1);
	expect_no_drops(tb);
	/* nothing left: the back end reports nothing ready */
	assert_int_equal(vs_port_poll(SW, VIF(1), now + SEC, 0), 0);
}

static void test_poll_held(void **state)
{
	poll_held(*state, false);
}

static void test_poll_held_own_memory(void **state)
{
	poll_held(*state, true);
}

static void test_poll_budget_errors(void **state)
{
	struct testbed *tb = *state;
	struct fakeport *in = &tb->vif[1];
	struct fakeport plain;
	struct vs_port_ops tx_only = { .tx = fp_ops.tx };
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF, .mac = { 0xaa, 0, 0, 0, 0, 9 },
		.domid = 9, .ops = &tx_only, .ctx = &plain,
	};
	uint64_t wake;
	int p;

	/* unlimited: a batch per VS_BATCH of budget */
	push_frames(tb, 200, 100, 1);
	assert_int_equal(vs_port_poll(SW, VIF(1), 0, 0), VS_BATCH);
	assert_int_equal(in->rx_calls, 1);
	assert_int_equal(vs_port_poll(SW, VIF(1), 0, 2 * VS_BATCH),
			 2 * VS_BATCH);
	assert_int_equal(vs_port_poll(SW, VIF(1), 0, 0), 200 - 3 * VS_BATCH);
	assert_int_equal(tb->vif[2].nlog, 200);
	/* a back end error is passed up when nothing was switched */
	in->rx_error = -EIO;
	assert_int_equal(vs_port_poll(SW, VIF(1), 0, 0), -EIO);
	assert_int_equal(vs_port_poll(SW, VIF(1), 0, 0), 0);
	/* ports without an rx op cannot be polled */
	fp_init(&plain, "plain");
	p = vs_port_add(SW, &cfg);
	assert_true(p >= 0);
	assert_int_equal(vs_port_poll(SW, (unsigned)p, 0, 0), -ENOENT);
	assert_int_equal(vs_port_poll(SW, 250, 0, 0), -ENOENT);
	fp_free(&plain);

	/* deleting a port with held frames releases them */
	push_frames(tb, 100, 1000, 1000);
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 3000, 1000, 0, 0),
			 0);
	assert_int_equal(vs_port_poll(SW, VIF(1), 0, 0), 3);
	assert_true(vs_port_throttled(SW, VIF(1), &wake));
	assert_int_equal(in->rx_handed - in->rx_released, VS_BATCH - 3);
	assert_int_equal(vs_port_del(SW, VIF(1)), 0);
	assert_int_equal(in->rx_handed, in->rx_released);
	tb_expect_invariant(tb);
}

int main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, tb_fixture_free)
	const struct CMUnitTest tests[] = {
		T(test_rate_accuracy),
		T(test_big_frames),
		T(test_defer_not_drop),
		T(test_idle_cap),
		T(test_live_change),
		T(test_lift_limit),
		T(test_packet_limit),
		T(test_packet_limit_no_byte_banking),
		T(test_packet_only_limit),
		T(test_live_change_bounded),
		T(test_rx_limit),
		cmocka_unit_test(test_credit_api),
		T(test_poll_held),
		T(test_poll_held_own_memory),
		T(test_poll_budget_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

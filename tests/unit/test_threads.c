// SPDX-License-Identifier: GPL-2.0-or-later
/* test_threads.c - one switch, several polling threads (vswitch.h,
 * Threading): each thread reads its own ports with its own struct
 * vs_batch and delivers to any port under that port's lock
 *
 *     thread A reads vif1 ──┐            ┌── vif3  (both send here)
 *                           ├─ switch ───┤
 *     thread B reads vif2 ──┘            └── vif1  (B sends here while
 *                                                   A reads vif1)
 *
 * Every frame carries its sender's sequence number, so the test checks
 * that nothing was lost or duplicated, that each sender's frames arrived
 * in order, and that the counters add up across the threads.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fakeport.h"

#define N_EACH	2000	/* frames per flow: vif2 queues two, within FP_RXQ_MAX */

struct poller {
	struct vs_switch *sw;
	struct vs_batch *b;
	struct fakeport *fp;
	int port;
	int err;
};

/* Poll the port until its fake back end has nothing more. */
static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	uint64_t now = 1;

	while (fp_rx_queued(p->fp)) {
		int n = vs_port_poll_batch(p->sw, p->b, (unsigned)p->port,
					   now++, 0);

		if (n < 0) {
			p->err = n;
			break;
		}
	}
	return NULL;
}

/* Queue @n frames from vif @from to vif @to, numbered base+1.. */
static void queue_flow(struct testbed *tb, unsigned from, unsigned to,
		       uint64_t base, unsigned n)
{
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	for (unsigned i = 1; i <= n; i++) {
		len = fb_udp4(f, tb->vif_mac[to], tb->vif_mac[from],
			      tb->vif_ip[from], tb->vif_ip[to], 1000, 2000,
			      64);
		fp_seq_stamp(f, len, base + i);
		fp_rx_push(&tb->vif[from], f, len);
	}
}

/* Each flow's frames in @fp's log: all there, once, in order. */
static void expect_flow(const struct fakeport *fp, uint64_t base, unsigned n)
{
	uint64_t next = base + 1;

	for (size_t i = 0; i < fp->nlog; i++) {
		uint64_t s = fp->log[i].seq;

		if (s <= base || s > base + n)
			continue;
		assert_int_equal(s, next);
		next++;
	}
	assert_int_equal(next, base + n + 1);
}

static void test_two_threads(void **state)
{
	struct testbed *tb = *state;
	struct poller a = { .fp = FVIF(1), .port = VIF(1) };
	struct poller b = { .fp = FVIF(2), .port = VIF(2) };
	struct vs_port_stats ps;
	struct vs_stats st, st_after;
	pthread_t ta, tb2;

	queue_flow(tb, 1, 3, 0, N_EACH);		/* A: vif1 -> vif3 */
	queue_flow(tb, 2, 3, 100000, N_EACH);		/* B: vif2 -> vif3 */
	queue_flow(tb, 2, 1, 200000, N_EACH);		/* B: vif2 -> vif1 */
	vs_switch_set_threaded(SW, true);
	a.sw = b.sw = SW;
	a.b = vs_batch_new(SW);
	b.b = vs_batch_new(SW);
	assert_non_null(a.b);
	assert_non_null(b.b);

	assert_int_equal(pthread_create(&ta, NULL, poll_thread, &a), 0);
	assert_int_equal(pthread_create(&tb2, NULL, poll_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb2, NULL);
	assert_int_equal(a.err, 0);
	assert_int_equal(b.err, 0);

	/* vif3 got both flows, each whole and in order; vif1 got B's */
	assert_int_equal(FVIF(3)->nlog, 2 * N_EACH);
	expect_flow(FVIF(3), 0, N_EACH);
	expect_flow(FVIF(3), 100000, N_EACH);
	assert_int_equal(FVIF(1)->nlog, N_EACH);
	expect_flow(FVIF(1), 200000, N_EACH);
	assert_int_equal(FVIF(1)->rx_released, N_EACH);
	assert_int_equal(FVIF(2)->rx_released, 2 * N_EACH);

	/* the totals are the sum of both threads' */
	vs_switch_stats(SW, &st);
	assert_int_equal(st.in_frames, 3 * N_EACH);
	assert_int_equal(st.delivered, 3 * N_EACH);
	tb_expect_invariant(tb);
	assert_int_equal(vs_port_stats(SW, (unsigned)VIF(3), &ps), 0);
	assert_int_equal(ps.rx_packets, 2 * N_EACH);
	assert_int_equal(vs_port_stats(SW, (unsigned)VIF(1), &ps), 0);
	assert_int_equal(ps.rx_packets, N_EACH);
	assert_int_equal(ps.tx_packets, N_EACH);
	assert_int_equal(vs_port_stats(SW, (unsigned)VIF(2), &ps), 0);
	assert_int_equal(ps.tx_packets, 2 * N_EACH);

	/* a thread's batch goes; what it counted stays */
	vs_batch_free(SW, a.b);
	vs_batch_free(SW, b.b);
	vs_switch_stats(SW, &st_after);
	assert_memory_equal(&st, &st_after, sizeof(st));
	vs_switch_set_threaded(SW, false);
}

/* A receive limit charged by two threads at once admits what its credit
 * allows and no more (the limit is taken under the port's lock). */
static void test_shared_rx_limit(void **state)
{
	struct testbed *tb = *state;
	struct poller a = { .fp = FVIF(1), .port = VIF(1) };
	struct poller b = { .fp = FVIF(2), .port = VIF(2) };
	struct vs_port_stats ps;
	pthread_t ta, tb2;

	/* 100 frames of credit and no refill within the test's clock */
	assert_int_equal(vs_port_set_rx_limit(SW, (unsigned)VIF(3), 0,
					      1000000000ULL, 100, 0), 0);
	queue_flow(tb, 1, 3, 0, N_EACH);
	queue_flow(tb, 2, 3, 100000, N_EACH);
	vs_switch_set_threaded(SW, true);
	a.sw = b.sw = SW;
	a.b = vs_batch_new(SW);
	b.b = vs_batch_new(SW);

	assert_int_equal(pthread_create(&ta, NULL, poll_thread, &a), 0);
	assert_int_equal(pthread_create(&tb2, NULL, poll_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb2, NULL);

	assert_int_equal(vs_port_stats(SW, (unsigned)VIF(3), &ps), 0);
	assert_int_equal(ps.rx_packets, FVIF(3)->nlog);
	assert_true(FVIF(3)->nlog <= 101);
	assert_true(FVIF(3)->nlog >= 100);
	assert_int_equal(ps.rx_packets + ps.drops[VS_DROP_RX_RATELIMIT],
			 2 * N_EACH);
	tb_expect_invariant(tb);
	vs_batch_free(SW, a.b);
	vs_batch_free(SW, b.b);
	vs_switch_set_threaded(SW, false);
}

/* A switch has room for VS_BATCHES_MAX batches, its own included. */
static void test_batch_limit(void **state)
{
	struct testbed *tb = *state;
	struct vs_batch *bs[VS_BATCHES_MAX];
	unsigned n = 0;

	while (n < VS_BATCHES_MAX && (bs[n] = vs_batch_new(SW)))
		n++;
	assert_int_equal(n, VS_BATCHES_MAX - 1);
	while (n)
		vs_batch_free(SW, bs[--n]);
	bs[0] = vs_batch_new(SW);
	assert_non_null(bs[0]);
	vs_batch_free(SW, bs[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST_NOWIRE(test_two_threads),
		TB_TEST_NOWIRE(test_shared_rx_limit),
		TB_TEST_NOWIRE(test_batch_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

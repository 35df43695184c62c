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
 *
 * Then xend's data plane (dataplane.c) with several threads: commands
 * from several control threads at once, each run by thread 0 while the
 * others are parked, none lost, none run twice, none waiting forever.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "fakeport.h"
#include "xend.h"

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

/* Poll vif1 and vif2 to empty, each from its own thread with its own
 * batch, the switch's locks on; then the batches go (the switch's totals
 * just before in *@before, if not NULL) and the locks off. */
static void poll_both(struct testbed *tb, struct vs_stats *before)
{
	struct poller p[2] = { { .fp = FVIF(1), .port = VIF(1) },
			       { .fp = FVIF(2), .port = VIF(2) } };
	pthread_t th[2];

	vs_switch_set_threaded(SW, true);
	for (unsigned i = 0; i < 2; i++) {
		p[i].sw = SW;
		p[i].b = vs_batch_new(SW);
		assert_non_null(p[i].b);
	}
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, poll_thread,
						&p[i]), 0);
	for (unsigned i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(p[i].err, 0);
	}
	if (before)
		vs_switch_stats(SW, before);
	for (unsigned i = 0; i < 2; i++)
		vs_batch_free(SW, p[i].b);
	vs_switch_set_threaded(SW, false);
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
	struct vs_port_stats ps;
	struct vs_stats st, st_after;

	queue_flow(tb, 1, 3, 0, N_EACH);		/* A: vif1 -> vif3 */
	queue_flow(tb, 2, 3, 100000, N_EACH);		/* B: vif2 -> vif3 */
	queue_flow(tb, 2, 1, 200000, N_EACH);		/* B: vif2 -> vif1 */
	poll_both(tb, &st);

	/* vif3 got both flows, each whole and in order; vif1 got B's */
	assert_int_equal(FVIF(3)->nlog, 2 * N_EACH);
	expect_flow(FVIF(3), 0, N_EACH);
	expect_flow(FVIF(3), 100000, N_EACH);
	assert_int_equal(FVIF(1)->nlog, N_EACH);
	expect_flow(FVIF(1), 200000, N_EACH);
	assert_int_equal(FVIF(1)->rx_released, N_EACH);
	assert_int_equal(FVIF(2)->rx_released, 2 * N_EACH);

	/* the totals are the sum of both threads' */
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
	vs_switch_stats(SW, &st_after);
	assert_memory_equal(&st, &st_after, sizeof(st));
}

/* A receive limit charged by two threads at once admits what its credit
 * allows and no more (the limit is taken under the port's lock). */
static void test_shared_rx_limit(void **state)
{
	struct testbed *tb = *state;
	struct vs_port_stats ps;

	/* 100 frames of credit and no refill within the test's clock */
	assert_int_equal(vs_port_set_rx_limit(SW, (unsigned)VIF(3), 0,
					      1000000000ULL, 100, 0), 0);
	queue_flow(tb, 1, 3, 0, N_EACH);
	queue_flow(tb, 2, 3, 100000, N_EACH);
	poll_both(tb, NULL);

	assert_int_equal(vs_port_stats(SW, (unsigned)VIF(3), &ps), 0);
	assert_int_equal(ps.rx_packets, FVIF(3)->nlog);
	assert_true(FVIF(3)->nlog <= 101);
	assert_true(FVIF(3)->nlog >= 100);
	assert_int_equal(ps.rx_packets + ps.drops[VS_DROP_RX_RATELIMIT],
			 2 * N_EACH);
	tb_expect_invariant(tb);
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

/* The data plane -----------------------------------------------------*/

#define CALLERS		4
#define CALLS		500

struct caller {
	struct xend_dp *dp;
	unsigned long *count;	/* changed only by commands */
	int bad;
};

static int count_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	unsigned long *count = arg;

	(void)sw;
	(void)now;
	return (int)(++*count % 1000);
}

/* Threads of this process whose name starts with "xend-dp". */
static unsigned dp_threads_running(void)
{
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir("/proc/self/task");

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[320], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "xend-dp", 7))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static void *caller_run(void *arg)
{
	struct caller *c = arg;

	for (unsigned i = 0; i < CALLS; i++) {
		int ret = xend_dp_call(c->dp, count_fn, c->count);

		if (ret < 0 || ret >= 1000)
			c->bad++;
		if (i % 50 == 0 && (xend_dp_set_poll(c->dp, i % 3) ||
				    xend_dp_set_nice(c->dp, 0)))
			c->bad++;
	}
	return NULL;
}

static void test_dp_commands_park_the_threads(void **state)
{
	struct caller c[CALLERS];
	pthread_t th[CALLERS];
	unsigned long count = 0;
	struct xend_dp *dp;

	(void)state;
	xend_log_setup(false, XEND_LOG_ERR);
	dp = xend_dp_new(4);
	assert_non_null(dp);
	assert_int_equal(xend_dp_threads(dp), 4);
	for (unsigned i = 0; i < CALLERS; i++) {
		c[i] = (struct caller){ .dp = dp, .count = &count };
		assert_int_equal(pthread_create(&th[i], NULL, caller_run,
						&c[i]), 0);
	}
	for (unsigned i = 0; i < CALLERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(c[i].bad, 0);
	}
	/* every command ran exactly once */
	assert_int_equal(count, CALLERS * CALLS);
	/* all four threads are there, and gone with the data plane */
	assert_int_equal(dp_threads_running(), 4);
	xend_dp_free(dp);
	assert_int_equal(dp_threads_running(), 0);
}

static void test_dp_thread_counts(void **state)
{
	(void)state;
	errno = 0;
	assert_null(xend_dp_new(0));
	assert_int_equal(errno, EINVAL);
	assert_null(xend_dp_new(XEND_DP_THREADS_MAX + 1));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST_NOWIRE(test_two_threads),
		TB_TEST_NOWIRE(test_shared_rx_limit),
		TB_TEST_NOWIRE(test_batch_limit),
		cmocka_unit_test(test_dp_commands_park_the_threads),
		cmocka_unit_test(test_dp_thread_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

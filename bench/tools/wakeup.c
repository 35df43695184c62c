// SPDX-License-Identifier: GPL-2.0-or-later
/* wakeup.c - the round trip of two sleeping threads on this machine
 *
 * A ping through a switch in user space wakes two sleeping threads: the
 * switch's (the request is waiting) and the pinger's (the answer is). The
 * kernel's bridge forwards in the sender's own context and wakes nobody.
 * This measures that floor alone: thread A sleeps 2 ms (the pings'
 * interval in datapath.sh), writes an eventfd and sleeps in read() on a
 * second one; thread B sleeps in read() on the first and answers on the
 * second.
 *
 *   wakeup [COUNT [INTERVAL_US]]   (default 400 round trips, 2000 us)
 *
 * Prints the median round trip unpinned, with the threads on two CPUs
 * (each wake-up then reaches a CPU that went idle: an interrupt between
 * CPUs), and with both on one CPU (a switch between two threads).
 */
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int req_fd, ans_fd;
static unsigned count = 400, interval_us = 2000;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *answer(void *arg)
{
	uint64_t v;

	(void)arg;
	while (read(req_fd, &v, sizeof(v)) == sizeof(v))
		if (write(ans_fd, &v, sizeof(v)) != sizeof(v))
			break;
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median round trip in ns: thread A on CPU @ca, B on CPU @cb (-1: any). */
static uint64_t measure(int ca, int cb)
{
	struct timespec gap = { 0, (long)interval_us * 1000 };
	uint64_t *rt = calloc(count, sizeof(*rt)), v = 1, t0, med;
	pthread_t th;
	cpu_set_t set;

	req_fd = eventfd(0, EFD_CLOEXEC);
	ans_fd = eventfd(0, EFD_CLOEXEC);
	if (!rt || req_fd < 0 || ans_fd < 0 ||
	    pthread_create(&th, NULL, answer, NULL)) {
		perror("wakeup");
		exit(1);
	}
	if (cb >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cb, &set);
		pthread_setaffinity_np(th, sizeof(set), &set);
	}
	if (ca >= 0) {
		CPU_ZERO(&set);
		CPU_SET(ca, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (unsigned i = 0; i < count; i++) {
		nanosleep(&gap, NULL);
		t0 = now_ns();
		if (write(req_fd, &v, sizeof(v)) != sizeof(v) ||
		    read(ans_fd, &v, sizeof(v)) != sizeof(v)) {
			perror("wakeup");
			exit(1);
		}
		rt[i] = now_ns() - t0;
	}
	pthread_cancel(th);
	pthread_join(th, NULL);
	close(req_fd);
	close(ans_fd);
	qsort(rt, count, sizeof(*rt), cmp);
	med = rt[count / 2];
	free(rt);
	if (ca >= 0) {		/* back to every CPU */
		CPU_ZERO(&set);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	return med;
}

/* The first two CPUs we may run on, in @c[0..1]; false if fewer. */
static bool two_cpus(int c[2])
{
	cpu_set_t set;
	int k = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return false;
	for (int cpu = 0; cpu < CPU_SETSIZE && k < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			c[k++] = cpu;
	return k == 2;
}

int main(int argc, char **argv)
{
	uint64_t any, apart = 0, same;
	int c[2];

	if (argc > 1)
		count = (unsigned)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		interval_us = (unsigned)strtoul(argv[2], NULL, 10);
	if (argc > 3 || count < 1 || count > 1000000 || interval_us > 1000000) {
		fprintf(stderr, "usage: wakeup [COUNT [INTERVAL_US]]\n");
		return 2;
	}
	any = measure(-1, -1);
	if (two_cpus(c)) {
		apart = measure(c[0], c[1]);
		same = measure(c[0], c[0]);
	} else {
		same = measure(sched_getcpu(), sched_getcpu());
	}
	printf("wakeup: median %.0f us unpinned, %.0f us on two CPUs, %.0f us "
	       "on one, over %u round trips\n", (double)any / 1e3,
	       (double)apart / 1e3, (double)same / 1e3, count);
	return 0;
}

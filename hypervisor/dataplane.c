// SPDX-License-Identifier: GPL-2.0-or-later
/* dataplane.c - xend's data-plane thread; see dataplane.h
 *
 * Theory of operation
 * -------------------
 * One or more threads (xend --dp-threads), each with its own epoll set,
 * refill timer and batch state (struct vs_batch). Every port belongs to
 * one thread, the one with the fewest ports when it was attached: only
 * that thread reads it (and serves a vhost-user port's messages), while
 * any thread may deliver to it, under the port's lock (vswitch.h,
 * Threading). Every registered fd carries a typed reference (struct
 * dp_ref): a port's back end, the refill timer (timerfd) or the command or
 * park eventfd. Port fds are level-triggered, so a port that still has
 * frames after its budget is simply polled again on the next round, after
 * the other ready ports had their turn.
 *
 * A port is in one of three states:
 *   reading    EPOLLIN armed; readable -> vs_port_poll();
 *   throttled  out of credit: armed without EPOLLIN (the TAP queue fills up
 *              behind it, back-pressure), its refill time in .wakeup; the
 *              timer fires at the earliest wakeup and polls it again;
 *   failed     its back end returned an error or its fd hung up: out of
 *              epoll, left for the control plane to detach.
 *
 * Commands: xend_dp_call() puts one function in dp->cmd under dp->lock,
 * kicks thread 0's command eventfd and waits on dp->cond. Thread 0 first
 * parks the other threads (each leaves its round at the next batch
 * boundary and waits on dp->cond), runs the function with the whole
 * switch at rest, and lets them go; every thread then re-checks its
 * throttled ports (a changed or lifted limit may release one, or move its
 * wakeup). dp->lock is only taken for commands, never on the packet path.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "dataplane.h"
#include "fastpath.h"
#include "port_afpacket.h"
#include "port_tap.h"
#include "port_vhost_user.h"

#define DP_EVENTS	64
#define DP_THREADS_MAX	XEND_DP_THREADS_MAX
#define DP_BUDGET	(4 * VS_BATCH)	/* frames per port per round */
#define DP_WIRE_POOL	64		/* wire frames live in the ring */
/* Rounds of the busy vhost-user ports between two looks at epoll when
 * the last look found nothing: epoll_wait is a system call, dearer than a
 * look at a ring, and the other fds wait at most this many rounds. */
#define DP_AGAIN_ROUNDS	4

enum dp_ref_type { REF_PORT, REF_PORT_CTL, REF_TIMER, REF_CMD, REF_PARK };

struct dp_ref {
	enum dp_ref_type type;
	unsigned port;
};

enum dp_backend { BE_NONE, BE_TAP, BE_AFPACKET, BE_VHOST };

struct dp_port {
	struct dp_ref ref;
	enum dp_backend be;
	void *ctx;			/* struct port_tap / _afpacket / _vu */
	int fd;				/* polled for frames; vhost: the
					 * kick eventfd, -1 while no ring */
	/* vhost-user: the port's control fd (messages, reconnect timer) and
	 * the generation of the kick fd registered as .fd */
	struct dp_ref ctl_ref;
	int ctl_fd;
	uint64_t kick_gen;
	bool throttled, failed;
	bool again;			/* vhost-user: more frames, poll again
					 * on the next round without a kick */
	bool reported;			/* failure told to the control plane */
	uint64_t wakeup;		/* ns, when throttled */
	unsigned th;			/* the thread that reads it */
};

struct dp_cmd {
	xend_dp_fn fn;
	void *arg;
	int ret;
	bool busy, done;
};

/* One data-plane thread. Thread 0's kickfd is the command eventfd, the
 * others' their park eventfd. */
struct dp_thread {
	struct xend_dp *dp;
	unsigned idx;
	pthread_t thread;
	bool started;
	int epfd, kickfd, timerfd;
	struct dp_ref timer_ref, kick_ref;
	uint64_t timer_at;		/* armed refill time, 0 = disarmed */
	unsigned nagain;		/* its ports with .again set */
	unsigned nports;		/* ports it reads */
	struct vs_batch *batch;
	int nice;			/* applied; dp->nice is wanted */
};

struct xend_dp {
	struct vs_switch *sw;
	int failfd;			/* eventfd: a port failed */
	struct dp_port ports[VS_PORTS_MAX];
	struct dp_thread th[DP_THREADS_MAX];
	unsigned nthreads;
	bool stop;			/* set by a command */
	uint64_t poll_ns;		/* busy-poll this long after frames */
	int nice;
	struct xend_fp *fp;		/* the kernel fast path, or NULL */

	pthread_mutex_t lock;		/* guards cmd, dead, park, nparked */
	pthread_cond_t cond;
	struct dp_cmd cmd;
	bool dead;			/* thread 0 has left its loop */
	bool park;			/* the other threads must stop */
	unsigned nparked;
	unsigned nleft;			/* other threads out of their loop
					 * (an epoll error): never parked */
};

uint64_t xend_dp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Ports: arming, throttling, polling ------------------------------------*/

/* The epoll set of the thread that reads @p */
static int port_epfd(const struct xend_dp *dp, const struct dp_port *p)
{
	return dp->th[p->th].epfd;
}

static int port_arm(struct xend_dp *dp, struct dp_port *p, bool in)
{
	struct epoll_event ev = { .events = in ? EPOLLIN : 0,
				  .data.ptr = &p->ref };

	if (p->fd < 0)
		return 0;		/* vhost-user without a ring yet */
	return epoll_ctl(port_epfd(dp, p), EPOLL_CTL_MOD, p->fd, &ev) < 0 ?
	       -errno : 0;
}

/* Point thread @t's timer at the earliest wakeup of its throttled ports. */
static void timer_update(struct dp_thread *t)
{
	struct itimerspec its = { 0 };
	uint64_t at = 0;
	unsigned i;

	for (i = 0; i < VS_PORTS_MAX; i++) {
		const struct dp_port *p = &t->dp->ports[i];

		if (p->be != BE_NONE && p->th == t->idx && p->throttled &&
		    (!at || p->wakeup < at))
			at = p->wakeup ? p->wakeup : 1;
	}
	if (at == t->timer_at)
		return;
	its.it_value.tv_sec = (time_t)(at / 1000000000ULL);
	its.it_value.tv_nsec = (long)(at % 1000000000ULL);
	if (timerfd_settime(t->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("dp: timerfd_settime: %s", strerror(errno));
	else
		t->timer_at = at;
}

/* Mark @p to be polled again on its thread's next round (or not). */
static void again_set(struct xend_dp *dp, struct dp_port *p, bool on)
{
	if (p->again == on)
		return;
	p->again = on;
	if (on)
		dp->th[p->th].nagain++;
	else
		dp->th[p->th].nagain--;
}

/* Stop reading a port whose back end failed. It leaves epoll altogether
 * (EPOLLERR/EPOLLHUP would be reported even with no events armed) and
 * waits for the control plane to detach it. */
static void port_fail(struct xend_dp *dp, struct dp_port *p, int err)
{
	struct vs_port_info info;

	if (p->failed)
		return;
	p->failed = true;
	p->throttled = false;
	again_set(dp, p, false);
	epoll_ctl(port_epfd(dp, p), EPOLL_CTL_DEL, p->fd, NULL);
	if (vs_port_info(dp->sw, p->ref.port, &info) == 0)
		log_warn("dp: port %u (%s) stopped: %s",
			 p->ref.port, info.name, strerror(-err));
	/* wake the control plane, which collects it with
	 * xend_dp_failed_ports() and rebuilds or detaches the port */
	if (write(dp->failfd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
		log_warn("dp: eventfd: %s", strerror(errno));
}

/* EPOLLERR on a socket is a pending error (AF_PACKET reports ENETDOWN
 * when the wire goes down): fetch it, which clears it, and carry on.
 * Anything else (a TAP whose device is gone) is fatal for the port. */
static bool port_error_clears(const struct dp_port *p)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return false;
	if (err)
		log_warn("dp: port %u: %s", p->ref.port, strerror(err));
	return true;
}

/* vhost-user: register the transmit ring's kick eventfd as the port's
 * fd whenever it changed (a new ring, a new eventfd, a reconnection). The
 * data plane polls its own dup of it, so the number it registered can
 * never be another file's by the time it takes it out again. */
static void vu_kick_sync(struct xend_dp *dp, struct dp_port *p)
{
	uint64_t gen = port_vu_kick_gen(p->ctx);
	struct epoll_event ev = { .events = p->throttled ? 0 : EPOLLIN,
				  .data.ptr = &p->ref };
	int kick;

	if (gen == p->kick_gen && p->fd >= 0)
		return;
	p->kick_gen = gen;
	if (p->fd >= 0) {
		epoll_ctl(port_epfd(dp, p), EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		p->fd = -1;
	}
	kick = port_vu_kick_fd(p->ctx);
	if (kick < 0)
		return;
	p->fd = fcntl(kick, F_DUPFD_CLOEXEC, 0);
	if (p->fd < 0 ||
	    epoll_ctl(port_epfd(dp, p), EPOLL_CTL_ADD, p->fd, &ev) < 0)
		log_warn("dp: port %u: kick eventfd: %s", p->ref.port,
			 strerror(errno));
}

/* Switch what port @p has, then take it out of epoll if it ran out of
 * credit. Returns true when it is throttled. */
static bool port_poll(struct xend_dp *dp, struct dp_port *p, uint64_t now,
		      bool kicked)
{
	unsigned port = p->ref.port;
	uint64_t wake;
	bool throttled, more;
	int n;

	if (p->be == BE_VHOST && kicked) {
		vs_port_lock(dp->sw, port);
		port_vu_kicked(p->ctx);
		vs_port_unlock(dp->sw, port);
	}
	n = vs_port_poll_batch(dp->sw, dp->th[p->th].batch, port, now,
			       DP_BUDGET);
	if (n < 0 && n != -EAGAIN && n != -EINTR) {
		port_fail(dp, p, n);
		return false;
	}
	throttled = vs_port_throttled(dp->sw, port, &wake);
	if (p->be == BE_VHOST) {
		vs_port_lock(dp->sw, port);
		more = port_vu_poll_done(p->ctx, !throttled);
		vs_port_unlock(dp->sw, port);
		again_set(dp, p, more);
		vu_kick_sync(dp, p);
	}
	if (!throttled)
		return false;
	if (!p->throttled)
		port_arm(dp, p, false);
	p->throttled = true;
	p->wakeup = wake;
	return true;
}

/* vhost-user: messages or a reconnection are due. Other threads may be
 * writing into the port's receive ring meanwhile: the port's lock keeps
 * them out while its rings and memory table change. */
static void vu_ctl_event(struct dp_thread *t, struct dp_port *p, uint64_t now)
{
	struct xend_dp *dp = t->dp;

	if (p->be != BE_VHOST || p->th != t->idx)
		return;			/* stale event of this round */
	vs_port_lock(dp->sw, p->ref.port);
	port_vu_service(p->ctx);
	vs_port_unlock(dp->sw, p->ref.port);
	vu_kick_sync(dp, p);
	/* a ring that (re)started may have frames waiting */
	if (p->fd >= 0 && !p->throttled && port_poll(dp, p, now, false))
		timer_update(t);
}

/* Give thread @t's throttled ports whose time has come (or whose limit
 * changed, with @all) another go; re-arm those that are free again. */
static void ports_recheck(struct dp_thread *t, uint64_t now, bool all)
{
	struct xend_dp *dp = t->dp;
	unsigned i;

	for (i = 0; i < VS_PORTS_MAX; i++) {
		struct dp_port *p = &dp->ports[i];

		if (p->be == BE_NONE || p->th != t->idx || !p->throttled)
			continue;
		if (!all && p->wakeup > now)
			continue;
		if (!port_poll(dp, p, now, false) && !p->failed) {
			p->throttled = false;
			port_arm(dp, p, true);
		}
	}
	timer_update(t);
}

static void timer_event(struct dp_thread *t)
{
	uint64_t ticks;

	if (read(t->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("dp: timerfd: %s", strerror(errno));
	t->timer_at = 0;		/* fired: one-shot */
	ports_recheck(t, xend_dp_now(), false);
}

static void port_event(struct dp_thread *t, struct dp_port *p, uint32_t ev,
		       uint64_t now)
{
	struct xend_dp *dp = t->dp;

	if (p->be == BE_NONE || p->failed || p->th != t->idx)
		return;			/* stale event of this round */
	if ((ev & EPOLLERR) && !port_error_clears(p)) {
		port_fail(dp, p, -EIO);
		return;
	}
	if ((ev & EPOLLHUP) && !(ev & EPOLLIN)) {
		port_fail(dp, p, -EPIPE);
		return;
	}
	if (p->throttled || !(ev & EPOLLIN))
		return;
	if (port_poll(dp, p, now, true))
		timer_update(t);
}

/* Commands ---------------------------------------------------------------*/

static void nice_apply(struct dp_thread *t);

/* Thread 0: stop the other threads at their next batch boundary; returns
 * with dp->lock held and all of them waiting in park_event(). */
static void park_others(struct xend_dp *dp)
{
	unsigned i;

	dp->park = true;
	for (i = 1; i < dp->nthreads; i++)
		if (write(dp->th[i].kickfd, &(uint64_t){ 1 },
			  sizeof(uint64_t)) < 0)
			log_warn("dp: eventfd: %s", strerror(errno));
	while (dp->nparked + dp->nleft < dp->nthreads - 1)
		pthread_cond_wait(&dp->cond, &dp->lock);
}

static void unpark_others(struct xend_dp *dp)
{
	dp->park = false;
	pthread_cond_broadcast(&dp->cond);
}

/* Empty thread @t's command or park eventfd. */
static void kick_take(struct dp_thread *t)
{
	uint64_t v;

	if (read(t->kickfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("dp: eventfd: %s", strerror(errno));
}

/* After the switch was at rest: the nice value a command may have asked
 * for, and every throttled port of @t looked at again (a changed or
 * lifted limit may release one, or move its wakeup). */
static void rest_done(struct dp_thread *t)
{
	nice_apply(t);
	ports_recheck(t, xend_dp_now(), true);
}

/* Another thread: thread 0 wants the switch at rest. Wait until it is
 * done, then look at the ports again (a command may have changed any of
 * them). Returns true: the rest of this round's events may be stale. */
static bool park_event(struct dp_thread *t)
{
	struct xend_dp *dp = t->dp;
	bool counted = false;

	kick_take(t);
	pthread_mutex_lock(&dp->lock);
	while (dp->park) {
		if (!counted) {
			counted = true;
			dp->nparked++;
			pthread_cond_broadcast(&dp->cond);
		}
		pthread_cond_wait(&dp->cond, &dp->lock);
	}
	if (counted)
		dp->nparked--;
	pthread_mutex_unlock(&dp->lock);
	if (counted)
		rest_done(t);
	return counted;
}

static bool cmd_event(struct dp_thread *t)
{
	struct xend_dp *dp = t->dp;
	bool ran = false;

	kick_take(t);
	pthread_mutex_lock(&dp->lock);
	if (dp->cmd.busy && !dp->cmd.done) {
		park_others(dp);
		/* The command sees what the kernel carried, and no flow
		 * outlives a change of the verdicts it cached. */
		if (dp->fp)
			xend_fp_fold(dp->fp, dp->sw);
		dp->cmd.ret = dp->cmd.fn(dp->sw, dp->cmd.arg, xend_dp_now());
		if (dp->fp)
			xend_fp_sync(dp->fp, dp->sw);
		dp->cmd.done = true;
		unpark_others(dp);
		ran = true;
	}
	pthread_mutex_unlock(&dp->lock);
	if (ran)
		rest_done(t);
	return ran;
}

static bool is_dp_thread(const struct xend_dp *dp)
{
	for (unsigned i = 0; i < dp->nthreads; i++)
		if (dp->th[i].started &&
		    pthread_equal(pthread_self(), dp->th[i].thread))
			return true;
	return false;
}

int xend_dp_call(struct xend_dp *dp, xend_dp_fn fn, void *arg)
{
	uint64_t one = 1;
	int ret;

	if (is_dp_thread(dp))
		return -EDEADLK;
	pthread_mutex_lock(&dp->lock);
	while (dp->cmd.busy && !dp->dead)
		pthread_cond_wait(&dp->cond, &dp->lock);
	if (dp->dead) {
		pthread_mutex_unlock(&dp->lock);
		return -ESHUTDOWN;
	}
	dp->cmd = (struct dp_cmd){ .fn = fn, .arg = arg, .busy = true };
	if (write(dp->th[0].kickfd, &one, sizeof(one)) < 0)
		log_warn("dp: eventfd: %s", strerror(errno));
	while (!dp->cmd.done && !dp->dead)
		pthread_cond_wait(&dp->cond, &dp->lock);
	ret = dp->cmd.done ? dp->cmd.ret : -ESHUTDOWN;
	dp->cmd.busy = false;
	pthread_cond_broadcast(&dp->cond);
	pthread_mutex_unlock(&dp->lock);
	return ret;
}

/* The thread ------------------------------------------------------------*/

/* Handle one event; false when the rest of the round must be dropped (a
 * command ran or the thread was parked: ports may have come and gone;
 * the fds are level-triggered, so nothing is lost). */
static bool dispatch(struct dp_thread *t, const struct epoll_event *ev,
		     uint64_t now)
{
	const struct dp_ref *ref = ev->data.ptr;
	struct xend_dp *dp = t->dp;

	switch (ref->type) {
	case REF_PORT:
		port_event(t, &dp->ports[ref->port], ev->events, now);
		break;
	case REF_PORT_CTL:
		vu_ctl_event(t, &dp->ports[ref->port], now);
		break;
	case REF_TIMER:
		timer_event(t);
		break;
	case REF_CMD:
		return !cmd_event(t);
	case REF_PARK:
		return !park_event(t);
	}
	return true;
}

/* The vhost-user ports of @t that had more than their budget: their turn
 * again, after the events of this round, with no kick and no system
 * call (the guest was asked not to kick while they are polled). */
static void poll_again(struct dp_thread *t)
{
	struct xend_dp *dp = t->dp;
	uint64_t now = xend_dp_now();
	unsigned i;

	for (i = 0; i < VS_PORTS_MAX && t->nagain; i++) {
		struct dp_port *p = &dp->ports[i];

		if (!p->again || p->th != t->idx)
			continue;
		again_set(dp, p, false);
		if (p->be == BE_VHOST && !p->failed && !p->throttled &&
		    p->fd >= 0 && port_poll(dp, p, now, false))
			timer_update(t);
	}
}

/* Sleep in epoll_wait, or with a poll window (xend_dp_set_poll) look
 * without sleeping until @busy + poll_ns. */
static int dp_wait(struct dp_thread *t, struct epoll_event *evs,
		   uint64_t busy)
{
	uint64_t poll_ns = t->dp->poll_ns;
	bool spin = t->nagain || (poll_ns && xend_dp_now() - busy < poll_ns);

	return epoll_wait(t->epfd, evs, DP_EVENTS, spin ? 0 : -1);
}

static void *dp_thread(void *arg)
{
	struct dp_thread *t = arg;
	struct xend_dp *dp = t->dp;
	struct epoll_event evs[DP_EVENTS];
	uint64_t busy = 0;		/* when the last round had events */
	int n, i, k;

	nice_apply(t);
	while (!dp->stop) {
		n = dp_wait(t, evs, busy);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("dp: epoll_wait: %s", strerror(errno));
			break;
		}
		if (n > 0 && dp->poll_ns)
			busy = xend_dp_now();
		for (i = 0; i < n && !dp->stop; i++)
			if (!dispatch(t, &evs[i], xend_dp_now()))
				break;
		for (k = 0; t->nagain && !dp->stop &&
			    k < (n ? 1 : DP_AGAIN_ROUNDS); k++)
			poll_again(t);
	}
	pthread_mutex_lock(&dp->lock);
	if (t->idx == 0)
		dp->dead = true;
	else
		dp->nleft++;
	pthread_cond_broadcast(&dp->cond);
	pthread_mutex_unlock(&dp->lock);
	return NULL;
}

/* Life cycle -------------------------------------------------------------*/

struct poll_args {
	struct xend_dp *dp;
	uint64_t ns;
};

static int set_poll_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct poll_args *a = arg;

	(void)sw;
	(void)now;
	a->dp->poll_ns = a->ns;
	return 0;
}

/* Give thread @t the nice value last asked for (by itself: PRIO_PROCESS
 * with 0 is the calling thread on Linux). */
static void nice_apply(struct dp_thread *t)
{
	int nice = t->dp->nice;

	if (nice == t->nice)
		return;
	if (setpriority(PRIO_PROCESS, 0, nice) == 0)
		t->nice = nice;
}

struct nice_args {
	struct xend_dp *dp;
	int nice;
};

/* Thread 0 sets its own value here, so the caller learns whether it is
 * allowed; the others take dp->nice when they leave the park. */
static int set_nice_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct nice_args *a = arg;

	(void)sw;
	(void)now;
	if (setpriority(PRIO_PROCESS, 0, a->nice))
		return -errno;
	a->dp->nice = a->dp->th[0].nice = a->nice;
	return 0;
}

int xend_dp_set_nice(struct xend_dp *dp, int nice)
{
	struct nice_args a = { dp, nice };

	if (nice < -20 || nice > 19)
		return -EINVAL;
	return xend_dp_call(dp, set_nice_fn, &a);
}

int xend_dp_set_poll(struct xend_dp *dp, unsigned usecs)
{
	struct poll_args a = { dp, (uint64_t)usecs * 1000 };

	if (usecs > XEND_DP_POLL_MAX_US)
		return -EINVAL;
	return xend_dp_call(dp, set_poll_fn, &a);
}

unsigned xend_dp_threads(const struct xend_dp *dp)
{
	return dp->nthreads;
}

int xend_dp_port_thread(const struct xend_dp *dp, unsigned port)
{
	if (port >= VS_PORTS_MAX || dp->ports[port].be == BE_NONE)
		return -ENOENT;
	return (int)dp->ports[port].th;
}

static int add_fd(int epfd, int fd, struct dp_ref *ref)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ref };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int thread_open(struct xend_dp *dp, struct dp_thread *t, unsigned idx)
{
	int ret;

	t->dp = dp;
	t->idx = idx;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->epfd < 0 || t->kickfd < 0 || t->timerfd < 0)
		return -errno;
	t->batch = vs_batch_new(dp->sw);
	if (!t->batch)
		return -ENOMEM;
	t->timer_ref.type = REF_TIMER;
	t->kick_ref.type = idx ? REF_PARK : REF_CMD;
	ret = add_fd(t->epfd, t->timerfd, &t->timer_ref);
	if (!ret)
		ret = add_fd(t->epfd, t->kickfd, &t->kick_ref);
	return ret;
}

static void thread_close(struct xend_dp *dp, struct dp_thread *t)
{
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->kickfd >= 0)
		close(t->kickfd);
	if (t->timerfd >= 0)
		close(t->timerfd);
	if (t->batch)
		vs_batch_free(dp->sw, t->batch);
	t->batch = NULL;
	t->epfd = t->kickfd = t->timerfd = -1;
}

static void dp_destroy(struct xend_dp *dp)
{
	for (unsigned i = 0; i < DP_THREADS_MAX; i++)
		thread_close(dp, &dp->th[i]);
	if (dp->failfd >= 0)
		close(dp->failfd);
	pthread_cond_destroy(&dp->cond);
	pthread_mutex_destroy(&dp->lock);
	vs_switch_free(dp->sw);
	free(dp);
}

/* vhost-user ports' log lines (connections, why one was closed). */
static void vu_log_line(const char *msg)
{
	log_info("%s", msg);
}

/* Stop and join the threads started so far (xend_dp_new() failed). */
static void threads_abort(struct xend_dp *dp)
{
	unsigned i;

	dp->stop = true;
	for (i = 0; i < dp->nthreads; i++)
		if (dp->th[i].started &&
		    write(dp->th[i].kickfd, &(uint64_t){ 1 },
			  sizeof(uint64_t)) < 0)
			log_warn("dp: eventfd: %s", strerror(errno));
	for (i = 0; i < dp->nthreads; i++)
		if (dp->th[i].started)
			pthread_join(dp->th[i].thread, NULL);
}

struct xend_dp *xend_dp_new(unsigned nthreads)
{
	struct xend_dp *dp;
	char name[16];
	unsigned i;
	int ret = 0;

	if (!nthreads || nthreads > DP_THREADS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->failfd = -1;
	for (i = 0; i < DP_THREADS_MAX; i++)
		dp->th[i].epfd = dp->th[i].kickfd = dp->th[i].timerfd = -1;
	port_vu_set_logger(vu_log_line);
	pthread_mutex_init(&dp->lock, NULL);
	pthread_cond_init(&dp->cond, NULL);
	dp->nthreads = nthreads;
	dp->sw = vs_switch_new();
	if (!dp->sw)
		ret = -ENOMEM;
	else
		vs_switch_set_threaded(dp->sw, nthreads > 1);
	if (!ret) {
		dp->failfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dp->failfd < 0)
			ret = -errno;
	}
	for (i = 0; i < nthreads && !ret; i++)
		ret = thread_open(dp, &dp->th[i], i);
	for (i = 0; i < nthreads && !ret; i++) {
		ret = -pthread_create(&dp->th[i].thread, NULL, dp_thread,
				      &dp->th[i]);
		if (ret)
			break;
		dp->th[i].started = true;
		if (i)
			snprintf(name, sizeof(name), "xend-dp%u", i);
		else
			snprintf(name, sizeof(name), "xend-dp");
		pthread_setname_np(dp->th[i].thread, name);
	}
	if (ret) {
		threads_abort(dp);
		dp_destroy(dp);
		errno = -ret;
		return NULL;
	}
	return dp;
}

/* Failed ports ----------------------------------------------------------*/

/* xend_dp_fail_fd() - see dataplane.h. */
int xend_dp_fail_fd(const struct xend_dp *dp)
{
	return dp->failfd;
}

struct failed_args {
	struct xend_dp *dp;
	unsigned *ports;
	unsigned max, n;
};

static int failed_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct failed_args *a = arg;

	(void)sw;
	(void)now;
	for (unsigned i = 0; i < VS_PORTS_MAX && a->n < a->max; i++) {
		struct dp_port *p = &a->dp->ports[i];

		if (p->be == BE_NONE || !p->failed || p->reported)
			continue;
		p->reported = true;
		a->ports[a->n++] = i;
	}
	return 0;
}

/* xend_dp_failed_ports() - see dataplane.h. */
unsigned xend_dp_failed_ports(struct xend_dp *dp, unsigned *ports,
			      unsigned max)
{
	struct failed_args a = { .dp = dp, .ports = ports, .max = max };
	uint64_t v;

	if (read(dp->failfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("dp: eventfd: %s", strerror(errno));
	xend_dp_call(dp, failed_fn, &a);
	if (a.n == max)		/* maybe more: come back */
		(void)!write(dp->failfd, &(uint64_t){ 1 }, sizeof(uint64_t));
	return a.n;
}

/* Attaching and detaching ports (run on the data-plane thread) ---------*/

static void backend_free(enum dp_backend be, void *ctx)
{
	if (be == BE_TAP)
		port_tap_free(ctx);
	else if (be == BE_AFPACKET)
		port_afpacket_free(ctx);
	else if (be == BE_VHOST)
		port_vu_free(ctx);
}

struct attach_args {
	struct xend_dp *dp;
	struct vs_port_config cfg;
	enum dp_backend be;
	void *ctx;
	int fd;
};

/* The thread with the fewest ports (the first of them on a tie) */
static unsigned thread_pick(const struct xend_dp *dp)
{
	unsigned i, best = 0;

	for (i = 1; i < dp->nthreads; i++)
		if (dp->th[i].nports < dp->th[best].nports)
			best = i;
	return best;
}

static int attach_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct attach_args *a = arg;
	struct xend_dp *dp = a->dp;
	struct dp_port *p;
	unsigned th = thread_pick(dp);
	int port, ret;

	(void)now;
	port = vs_port_add(sw, &a->cfg);
	if (port < 0)
		return port;
	p = &dp->ports[port];
	*p = (struct dp_port){ .ref = { REF_PORT, (unsigned)port },
			       .be = a->be, .ctx = a->ctx, .fd = a->fd,
			       .ctl_ref = { REF_PORT_CTL, (unsigned)port },
			       .ctl_fd = -1, .th = th };
	if (a->be == BE_VHOST) {
		p->ctl_fd = port_vu_ctl_fd(a->ctx);
		p->fd = -1;
		ret = add_fd(dp->th[th].epfd, p->ctl_fd, &p->ctl_ref);
		if (!ret)
			vu_kick_sync(dp, p);
	} else {
		ret = add_fd(dp->th[th].epfd, a->fd, &p->ref);
	}
	if (ret) {
		vs_port_del(sw, (unsigned)port);
		p->be = BE_NONE;
		return ret;
	}
	dp->th[th].nports++;
	return port;
}

/* Attach back end @ctx of kind @be; frees it on failure. */
static int attach(struct xend_dp *dp, struct attach_args *a)
{
	int ret = xend_dp_call(dp, attach_fn, a);

	if (ret < 0)
		backend_free(a->be, a->ctx);
	return ret;
}

/* Say once how TAP ports move their frames: the fallback costs a system
 * call per frame, which a user measuring the switch should know. */
static void tap_io_said(const struct port_tap *t)
{
	static bool said;

	if (said)
		return;
	said = true;
	if (port_tap_batched(t))
		log_info("TAP ports: a batch of reads or writes per system call "
			 "(io_uring)");
	else
		log_warn("TAP ports: one system call per frame (io_uring is not "
			 "available, or XENO_TAP_IO=syscall)");
}

int xend_dp_attach_tap(struct xend_dp *dp, int fd,
		       const struct vs_port_config *cfg)
{
	struct attach_args a = { .dp = dp, .cfg = *cfg, .be = BE_TAP, .fd = fd };

	a.ctx = port_tap_new(fd);
	if (!a.ctx)
		return -ENOMEM;
	tap_io_said(a.ctx);
	a.cfg.ops = &port_tap_ops;
	a.cfg.ctx = a.ctx;
	return attach(dp, &a);
}

/* xend_dp_attach_packet() - see dataplane.h. */
int xend_dp_attach_packet(struct xend_dp *dp, const char *ifname,
			  const struct vs_port_config *cfg)
{
	struct attach_args a = { .dp = dp, .be = BE_AFPACKET };
	struct port_afpacket *w;
	int ret = port_afpacket_open(ifname, &w);

	if (ret)
		return ret;
	a.ctx = w;
	a.fd = port_afpacket_fd(w);
	a.cfg = *cfg;
	a.cfg.frame_max = DP_WIRE_POOL;
	a.cfg.ops = &port_afpacket_ops;
	a.cfg.ctx = w;
	return attach(dp, &a);
}

/* xend_dp_attach_vhost() - see dataplane.h. */
int xend_dp_attach_vhost(struct xend_dp *dp, const char *path,
			 const struct vs_port_config *cfg)
{
	struct attach_args a = { .dp = dp, .be = BE_VHOST, .fd = -1 };
	struct port_vu *v;
	int ret = port_vu_new(path, cfg->name, &v);

	if (ret)
		return ret;
	a.ctx = v;
	a.cfg = *cfg;
	a.cfg.ops = &port_vu_ops;
	a.cfg.ctx = v;
	return attach(dp, &a);
}

int xend_dp_attach_wire(struct xend_dp *dp, const char *ifname)
{
	const struct vs_port_config cfg = { .kind = VS_PORT_WIRE,
					    .name = ifname };

	return xend_dp_attach_packet(dp, ifname, &cfg);
}

/* Remove port @port from the switch and epoll, and free its back end. */
static int detach_port(struct xend_dp *dp, unsigned port)
{
	struct dp_thread *t;
	struct dp_port *p;
	int ret;

	if (port >= VS_PORTS_MAX || dp->ports[port].be == BE_NONE)
		return -ENOENT;
	p = &dp->ports[port];
	t = &dp->th[p->th];
	again_set(dp, p, false);
	ret = vs_port_del(dp->sw, port);	/* releases held frames first */
	if (p->fd >= 0)
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	if (p->be == BE_VHOST && p->fd >= 0)
		close(p->fd);		/* our dup of the kick eventfd */
	if (p->ctl_fd >= 0)
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, p->ctl_fd, NULL);
	backend_free(p->be, p->ctx);
	*p = (struct dp_port){ .be = BE_NONE };
	t->nports--;
	timer_update(t);
	return ret;
}

struct vhost_info_args {
	struct xend_dp *dp;
	unsigned port;
	struct xend_dp_vhost_info *out;
};

static int vhost_info_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct vhost_info_args *a = arg;
	const struct dp_port *p;

	(void)sw;
	(void)now;
	if (a->port >= VS_PORTS_MAX)
		return -ENOENT;
	p = &a->dp->ports[a->port];
	if (p->be != BE_VHOST)
		return -ENOENT;
	a->out->connected = port_vu_connected(p->ctx);
	a->out->features = port_vu_features(p->ctx);
	snprintf(a->out->error, sizeof(a->out->error), "%s",
		 port_vu_error(p->ctx));
	port_vu_get_stats(p->ctx, &a->out->st);
	return 0;
}

/* xend_dp_vhost_info() - see dataplane.h. */
int xend_dp_vhost_info(struct xend_dp *dp, unsigned port,
		       struct xend_dp_vhost_info *out)
{
	struct vhost_info_args a = { dp, port, out };

	return xend_dp_call(dp, vhost_info_fn, &a);
}

struct detach_args {
	struct xend_dp *dp;
	unsigned port;
};

static int detach_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct detach_args *a = arg;

	(void)sw;
	(void)now;
	return detach_port(a->dp, a->port);
}

int xend_dp_detach(struct xend_dp *dp, unsigned port)
{
	struct detach_args a = { dp, port };

	return xend_dp_call(dp, detach_fn, &a);
}

static int stop_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct xend_dp *dp = arg;

	(void)sw;
	(void)now;
	dp->stop = true;
	return 0;
}

void xend_dp_free(struct xend_dp *dp)
{
	unsigned i;

	if (!dp)
		return;
	xend_dp_call(dp, stop_fn, dp);
	for (i = 0; i < dp->nthreads; i++)
		pthread_join(dp->th[i].thread, NULL);
	/* The threads are gone: everything is ours now. */
	for (i = 0; i < VS_PORTS_MAX; i++)
		if (dp->ports[i].be != BE_NONE)
			detach_port(dp, i);
	xend_fp_free(dp->fp);
	dp_destroy(dp);
}

static int fp_start_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	(void)now;
	vs_switch_set_offer(sw, xend_fp_offer, arg);
	return 0;
}

/* xend_dp_fastpath() - see dataplane.h. */
struct xend_fp *xend_dp_fastpath(struct xend_dp *dp, char *why, size_t whylen)
{
	struct xend_fp *fp;

	if (dp->fp)
		return dp->fp;
	fp = xend_fp_new(why, whylen);
	if (!fp)
		return NULL;
	if (xend_dp_call(dp, fp_start_fn, fp)) {
		snprintf(why, whylen, "the data plane has stopped");
		xend_fp_free(fp);
		return NULL;
	}
	dp->fp = fp;
	return fp;
}

/* xend_dp_fastpath_get() - see dataplane.h. */
struct xend_fp *xend_dp_fastpath_get(const struct xend_dp *dp)
{
	return dp->fp;
}

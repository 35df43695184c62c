// SPDX-License-Identifier: GPL-2.0-or-later
/* dataplane.c - xend's data-plane thread; see dataplane.h
 *
 * Theory of operation
 * -------------------
 * One thread, one epoll set. Every registered fd carries a typed reference
 * (struct dp_ref): a port's back end, the refill timer (timerfd) or the
 * command eventfd. Port fds are level-triggered, so a port that still has
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
 * kicks the eventfd and waits on dp->cond; the thread runs it between
 * batches and re-checks every throttled port afterwards (a changed or
 * lifted limit may release it, or move its wakeup). The lock is only taken
 * for commands, never on the packet path.
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
#include "port_afpacket.h"
#include "port_tap.h"
#include "port_vhost_user.h"

#define DP_EVENTS	64
#define DP_BUDGET	(4 * VS_BATCH)	/* frames per port per round */
#define DP_WIRE_POOL	64		/* wire frames live in the ring */

enum dp_ref_type { REF_PORT, REF_PORT_CTL, REF_TIMER, REF_CMD };

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
};

struct dp_cmd {
	xend_dp_fn fn;
	void *arg;
	int ret;
	bool busy, done;
};

struct xend_dp {
	struct vs_switch *sw;
	int epfd, cmdfd, timerfd;
	int failfd;			/* eventfd: a port failed */
	struct dp_ref timer_ref, cmd_ref;
	uint64_t timer_at;		/* armed refill time, 0 = disarmed */
	struct dp_port ports[VS_PORTS_MAX];
	unsigned nagain;		/* ports with .again set */
	bool stop;			/* data-plane thread only */
	uint64_t poll_ns;		/* busy-poll this long after frames */

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;		/* guards cmd and dead */
	pthread_cond_t cond;
	struct dp_cmd cmd;
	bool dead;			/* the thread has left its loop */
};

uint64_t xend_dp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Ports: arming, throttling, polling ------------------------------------*/

static int port_arm(struct xend_dp *dp, struct dp_port *p, bool in)
{
	struct epoll_event ev = { .events = in ? EPOLLIN : 0,
				  .data.ptr = &p->ref };

	if (p->fd < 0)
		return 0;		/* vhost-user without a ring yet */
	return epoll_ctl(dp->epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0 ? -errno : 0;
}

/* Point the timer at the earliest wakeup of a throttled port. */
static void timer_update(struct xend_dp *dp)
{
	struct itimerspec its = { 0 };
	uint64_t at = 0;
	unsigned i;

	for (i = 0; i < VS_PORTS_MAX; i++) {
		const struct dp_port *p = &dp->ports[i];

		if (p->be != BE_NONE && p->throttled &&
		    (!at || p->wakeup < at))
			at = p->wakeup ? p->wakeup : 1;
	}
	if (at == dp->timer_at)
		return;
	its.it_value.tv_sec = (time_t)(at / 1000000000ULL);
	its.it_value.tv_nsec = (long)(at % 1000000000ULL);
	if (timerfd_settime(dp->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("dp: timerfd_settime: %s", strerror(errno));
	else
		dp->timer_at = at;
}

/* Mark @p to be polled again on the next round (or not). */
static void again_set(struct xend_dp *dp, struct dp_port *p, bool on)
{
	if (p->again == on)
		return;
	p->again = on;
	if (on)
		dp->nagain++;
	else
		dp->nagain--;
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
	epoll_ctl(dp->epfd, EPOLL_CTL_DEL, p->fd, NULL);
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
		epoll_ctl(dp->epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		p->fd = -1;
	}
	kick = port_vu_kick_fd(p->ctx);
	if (kick < 0)
		return;
	p->fd = fcntl(kick, F_DUPFD_CLOEXEC, 0);
	if (p->fd < 0 || epoll_ctl(dp->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0)
		log_warn("dp: port %u: kick eventfd: %s", p->ref.port,
			 strerror(errno));
}

/* Switch what port @p has, then take it out of epoll if it ran out of
 * credit. Returns true when it is throttled. */
static bool port_poll(struct xend_dp *dp, struct dp_port *p, uint64_t now,
		      bool kicked)
{
	uint64_t wake;
	bool throttled;
	int n;

	if (p->be == BE_VHOST && kicked)
		port_vu_kicked(p->ctx);
	n = vs_port_poll(dp->sw, p->ref.port, now, DP_BUDGET);
	if (n < 0 && n != -EAGAIN && n != -EINTR) {
		port_fail(dp, p, n);
		return false;
	}
	throttled = vs_port_throttled(dp->sw, p->ref.port, &wake);
	if (p->be == BE_VHOST) {
		again_set(dp, p, port_vu_poll_done(p->ctx, !throttled));
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

/* vhost-user: messages or a reconnection are due. */
static void vu_ctl_event(struct xend_dp *dp, struct dp_port *p, uint64_t now)
{
	if (p->be != BE_VHOST)
		return;			/* stale event of this round */
	port_vu_service(p->ctx);
	vu_kick_sync(dp, p);
	/* a ring that (re)started may have frames waiting */
	if (p->fd >= 0 && !p->throttled && port_poll(dp, p, now, false))
		timer_update(dp);
}

/* Give throttled ports whose time has come (or whose limit changed, with
 * @all) another go; re-arm those that are free again. */
static void ports_recheck(struct xend_dp *dp, uint64_t now, bool all)
{
	unsigned i;

	for (i = 0; i < VS_PORTS_MAX; i++) {
		struct dp_port *p = &dp->ports[i];

		if (p->be == BE_NONE || !p->throttled)
			continue;
		if (!all && p->wakeup > now)
			continue;
		if (!port_poll(dp, p, now, false) && !p->failed) {
			p->throttled = false;
			port_arm(dp, p, true);
		}
	}
	timer_update(dp);
}

static void timer_event(struct xend_dp *dp)
{
	uint64_t ticks;

	if (read(dp->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("dp: timerfd: %s", strerror(errno));
	dp->timer_at = 0;		/* fired: one-shot */
	ports_recheck(dp, xend_dp_now(), false);
}

static void port_event(struct xend_dp *dp, struct dp_port *p, uint32_t ev,
		       uint64_t now)
{
	if (p->be == BE_NONE || p->failed)
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
		timer_update(dp);
}

/* Commands ---------------------------------------------------------------*/

static void cmd_event(struct xend_dp *dp)
{
	uint64_t v;

	if (read(dp->cmdfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("dp: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&dp->lock);
	if (dp->cmd.busy && !dp->cmd.done) {
		dp->cmd.ret = dp->cmd.fn(dp->sw, dp->cmd.arg, xend_dp_now());
		dp->cmd.done = true;
		pthread_cond_broadcast(&dp->cond);
	}
	pthread_mutex_unlock(&dp->lock);
	/* The command may have changed limits: look at every held port. */
	ports_recheck(dp, xend_dp_now(), true);
}

int xend_dp_call(struct xend_dp *dp, xend_dp_fn fn, void *arg)
{
	uint64_t one = 1;
	int ret;

	if (dp->started && pthread_equal(pthread_self(), dp->thread))
		return -EDEADLK;
	pthread_mutex_lock(&dp->lock);
	while (dp->cmd.busy && !dp->dead)
		pthread_cond_wait(&dp->cond, &dp->lock);
	if (dp->dead) {
		pthread_mutex_unlock(&dp->lock);
		return -ESHUTDOWN;
	}
	dp->cmd = (struct dp_cmd){ .fn = fn, .arg = arg, .busy = true };
	if (write(dp->cmdfd, &one, sizeof(one)) < 0)
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

static void dispatch(struct xend_dp *dp, const struct epoll_event *ev,
		     uint64_t now)
{
	const struct dp_ref *ref = ev->data.ptr;

	switch (ref->type) {
	case REF_PORT:
		port_event(dp, &dp->ports[ref->port], ev->events, now);
		break;
	case REF_PORT_CTL:
		vu_ctl_event(dp, &dp->ports[ref->port], now);
		break;
	case REF_TIMER:
		timer_event(dp);
		break;
	case REF_CMD:
		cmd_event(dp);
		break;
	}
}

/* The vhost-user ports that had more than their budget: their turn
 * again, after the events of this round, with no kick and no system
 * call (the guest was asked not to kick while they are polled). */
static void poll_again(struct xend_dp *dp)
{
	uint64_t now = xend_dp_now();
	unsigned i;

	for (i = 0; i < VS_PORTS_MAX && dp->nagain; i++) {
		struct dp_port *p = &dp->ports[i];

		if (!p->again)
			continue;
		again_set(dp, p, false);
		if (p->be == BE_VHOST && !p->failed && !p->throttled &&
		    p->fd >= 0 && port_poll(dp, p, now, false))
			timer_update(dp);
	}
}

/* Sleep in epoll_wait, or with a poll window (xend_dp_set_poll) look
 * without sleeping until @busy + poll_ns. */
static int dp_wait(struct xend_dp *dp, struct epoll_event *evs, uint64_t busy)
{
	bool spin = dp->nagain ||
		    (dp->poll_ns && xend_dp_now() - busy < dp->poll_ns);

	return epoll_wait(dp->epfd, evs, DP_EVENTS, spin ? 0 : -1);
}

static void *dp_thread(void *arg)
{
	struct xend_dp *dp = arg;
	struct epoll_event evs[DP_EVENTS];
	uint64_t busy = 0;		/* when the last round had events */
	int n, i;

	while (!dp->stop) {
		n = dp_wait(dp, evs, busy);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("dp: epoll_wait: %s", strerror(errno));
			break;
		}
		if (n > 0 && dp->poll_ns)
			busy = xend_dp_now();
		for (i = 0; i < n && !dp->stop; i++)
			dispatch(dp, &evs[i], xend_dp_now());
		if (dp->nagain && !dp->stop)
			poll_again(dp);
	}
	pthread_mutex_lock(&dp->lock);
	dp->dead = true;
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

static int set_nice_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	(void)sw;
	(void)now;
	/* PRIO_PROCESS with 0 is the calling thread on Linux */
	return setpriority(PRIO_PROCESS, 0, *(const int *)arg) ? -errno : 0;
}

int xend_dp_set_nice(struct xend_dp *dp, int nice)
{
	if (nice < -20 || nice > 19)
		return -EINVAL;
	return xend_dp_call(dp, set_nice_fn, &nice);
}

int xend_dp_set_poll(struct xend_dp *dp, unsigned usecs)
{
	struct poll_args a = { dp, (uint64_t)usecs * 1000 };

	if (usecs > XEND_DP_POLL_MAX_US)
		return -EINVAL;
	return xend_dp_call(dp, set_poll_fn, &a);
}

static int add_fd(struct xend_dp *dp, int fd, struct dp_ref *ref)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ref };

	return epoll_ctl(dp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int dp_open_fds(struct xend_dp *dp)
{
	int ret;

	dp->epfd = epoll_create1(EPOLL_CLOEXEC);
	dp->cmdfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->timerfd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	dp->failfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->epfd < 0 || dp->cmdfd < 0 || dp->timerfd < 0 ||
	    dp->failfd < 0)
		return -errno;
	dp->timer_ref.type = REF_TIMER;
	dp->cmd_ref.type = REF_CMD;
	ret = add_fd(dp, dp->timerfd, &dp->timer_ref);
	if (!ret)
		ret = add_fd(dp, dp->cmdfd, &dp->cmd_ref);
	return ret;
}

static void dp_destroy(struct xend_dp *dp)
{
	if (dp->epfd >= 0)
		close(dp->epfd);
	if (dp->cmdfd >= 0)
		close(dp->cmdfd);
	if (dp->timerfd >= 0)
		close(dp->timerfd);
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

struct xend_dp *xend_dp_new(void)
{
	struct xend_dp *dp = calloc(1, sizeof(*dp));
	int ret;

	if (!dp)
		return NULL;
	dp->epfd = dp->cmdfd = dp->timerfd = dp->failfd = -1;
	port_vu_set_logger(vu_log_line);
	pthread_mutex_init(&dp->lock, NULL);
	pthread_cond_init(&dp->cond, NULL);
	dp->sw = vs_switch_new();
	ret = dp->sw ? dp_open_fds(dp) : -ENOMEM;
	if (!ret)
		ret = -pthread_create(&dp->thread, NULL, dp_thread, dp);
	if (ret) {
		dp_destroy(dp);
		errno = -ret;
		return NULL;
	}
	dp->started = true;
	pthread_setname_np(dp->thread, "xend-dp");
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

static int attach_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct attach_args *a = arg;
	struct dp_port *p;
	int port, ret;

	(void)now;
	port = vs_port_add(sw, &a->cfg);
	if (port < 0)
		return port;
	p = &a->dp->ports[port];
	*p = (struct dp_port){ .ref = { REF_PORT, (unsigned)port },
			       .be = a->be, .ctx = a->ctx, .fd = a->fd,
			       .ctl_ref = { REF_PORT_CTL, (unsigned)port },
			       .ctl_fd = -1 };
	if (a->be == BE_VHOST) {
		p->ctl_fd = port_vu_ctl_fd(a->ctx);
		p->fd = -1;
		ret = add_fd(a->dp, p->ctl_fd, &p->ctl_ref);
		if (!ret)
			vu_kick_sync(a->dp, p);
	} else {
		ret = add_fd(a->dp, a->fd, &p->ref);
	}
	if (ret) {
		vs_port_del(sw, (unsigned)port);
		p->be = BE_NONE;
		return ret;
	}
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
	struct dp_port *p;
	int ret;

	if (port >= VS_PORTS_MAX || dp->ports[port].be == BE_NONE)
		return -ENOENT;
	p = &dp->ports[port];
	again_set(dp, p, false);
	ret = vs_port_del(dp->sw, port);	/* releases held frames first */
	if (p->fd >= 0)
		epoll_ctl(dp->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	if (p->be == BE_VHOST && p->fd >= 0)
		close(p->fd);		/* our dup of the kick eventfd */
	if (p->ctl_fd >= 0)
		epoll_ctl(dp->epfd, EPOLL_CTL_DEL, p->ctl_fd, NULL);
	backend_free(p->be, p->ctx);
	*p = (struct dp_port){ .be = BE_NONE };
	timer_update(dp);
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
	pthread_join(dp->thread, NULL);
	/* The thread is gone: everything is ours now. */
	for (i = 0; i < VS_PORTS_MAX; i++)
		if (dp->ports[i].be != BE_NONE)
			detach_port(dp, i);
	dp_destroy(dp);
}

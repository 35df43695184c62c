// SPDX-License-Identifier: GPL-2.0-or-later
/* vifcap.c - vif packet captures drained into pcapng streams (see vifcap.h)
 *
 * The data plane fills each capture's ring (vswitch/capture.h) and never
 * waits; this file, on the main thread, moves records from the ring into
 * a fixed output buffer as pcapng EPBs, and from there into the client's
 * non-blocking socket. When the client reads slowly, the socket and then
 * the output buffer fill, records stay in the ring, and once the ring is
 * full the data plane counts what it cannot keep as lost: the only cost of
 * a slow reader is capture frames.
 *
 * One periodic timer (XEND_CAP_TICK_MS) drives every capture while any
 * exists; a client's socket is watched for input (only its end matters:
 * a half-close ends the capture) and, while output waits, for room.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "dataplane.h"
#include "pcapng.h"
#include "swctl.h"
#include "vifcap.h"

enum cap_state { CAP_HANDOFF, CAP_RUNNING, CAP_ENDING };

struct vifcap {
	struct xend *x;
	unsigned id;
	enum cap_state state;
	struct vs_capture *ring;
	bool attached;			/* on the switch's port */
	unsigned port;
	uint32_t dom, vif;
	char name[32];
	int fd;				/* the client; -1 until handed over */
	uint32_t events;		/* epoll mask of fd */
	const char *why;		/* why it ends */
	bool isb_done;			/* the ISB is in the output */
	uint64_t start_ns, ending_ms;	/* CLOCK_REALTIME ns; monotonic ms */
	int64_t mono_to_real;		/* add to the data plane's clock */
	uint64_t written;		/* EPBs put in the output */
	uint8_t *out;			/* XEND_CAP_OUT_BYTES */
	size_t outlen, outoff;
	uint8_t rec[VS_CAPTURE_SNAPLEN_MAX];
};

static struct vifcap *caps[XEND_CAPTURES_MAX];

/* A client's socket is registered with its slot's event source, which
 * outlives the capture: an event of a capture closed earlier in the same
 * epoll batch finds the slot empty (or a new capture, which then just
 * finds nothing to read). */
static struct slot_ev {
	struct xend_evsrc ev;		/* XEND_EV_CAPTURE; first */
	unsigned id;
} slot_evs[XEND_CAPTURES_MAX];
static struct xend_evsrc timer_ev = { XEND_EV_CAPTURE_TIMER };
static int timerfd = -1;
static unsigned ncaps;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The drain timer: armed while captures exist. */
static void timer_set(const struct xend *x, bool on)
{
	const struct timespec tick = { 0, XEND_CAP_TICK_MS * 1000000L };
	struct itimerspec its = { 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &timer_ev };

	if (timerfd < 0) {
		timerfd = timerfd_create(CLOCK_MONOTONIC,
					 TFD_NONBLOCK | TFD_CLOEXEC);
		if (timerfd < 0 ||
		    epoll_ctl(x->epfd, EPOLL_CTL_ADD, timerfd, &ev)) {
			log_warn("capture: drain timer: %s", strerror(errno));
			return;
		}
	}
	if (on)
		its.it_value = its.it_interval = tick;
	if (timerfd_settime(timerfd, 0, &its, NULL))
		log_warn("capture: drain timer: %s", strerror(errno));
}

static void detach(struct vifcap *c)
{
	int ret;

	if (!c->attached)
		return;
	ret = xend_sw_capture(c->x->dp, c->port, c->ring, false);
	if (ret && ret != -ENOENT)
		log_warn("capture %u of %s: detaching: %s", c->id, c->name,
			 strerror(-ret));
	c->attached = false;
}

static void destroy(struct vifcap *c)
{
	struct vs_capture_counts n;

	detach(c);
	vs_capture_counts(c->ring, &n);
	log_info("capture %u of %s closed (%s): %llu frames written, %llu "
		 "lost", c->id, c->name, c->why ? c->why : "client gone",
		 (unsigned long long)c->written, (unsigned long long)n.lost);
	if (c->fd >= 0) {
		epoll_ctl(c->x->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	caps[c->id] = NULL;
	if (--ncaps == 0)
		timer_set(c->x, false);
	vs_capture_free(c->ring);
	free(c->out);
	free(c);
}

/* Stop taking frames; what the ring holds is still written. */
static void end(struct vifcap *c, const char *why, uint64_t now_ms)
{
	if (c->state == CAP_ENDING)
		return;
	c->state = CAP_ENDING;
	c->why = why;
	c->ending_ms = now_ms;
	detach(c);
}

/* Room for the largest EPB of this capture. */
static size_t epb_room(const struct vifcap *c)
{
	return c->ring->snaplen + 64 + PCAPNG_COMMENT_MAX;
}

static void put_epb(struct vifcap *c, const struct vs_capture_rec *r)
{
	char comment[64];
	struct pcapng_pkt p = {
		.ts = r->ts + (uint64_t)c->mono_to_real, .data = c->rec,
		.caplen = r->caplen, .len = r->len,
		.dir = r->dir == VS_CAPTURE_SENT ? PCAPNG_DIR_OUTBOUND :
						   PCAPNG_DIR_INBOUND,
	};

	/* The newline ends the comment for readers that look for one
	 * (scapy 2.5's pcapng reader does). */
	if (r->reason < VS_DROP__MAX) {
		snprintf(comment, sizeof(comment), "dropped: %s\n",
			 vs_drop_names[r->reason]);
		p.comment = comment;
	}
	c->outlen += pcapng_epb(c->out + c->outlen,
				XEND_CAP_OUT_BYTES - c->outlen, &p);
	c->written++;
}

static void put_isb(struct vifcap *c)
{
	struct vs_capture_counts n;
	char comment[PCAPNG_COMMENT_MAX];
	uint64_t now = clock_ns(CLOCK_REALTIME);
	struct pcapng_stats s = { .ts = now, .start = c->start_ns, .end = now,
				  .comment = comment };

	vs_capture_counts(c->ring, &n);
	s.ifrecv = n.frames + n.lost;
	s.ifdrop = n.lost;
	s.usrdeliv = c->written;
	snprintf(comment, sizeof(comment), "capture of %s ended (%s): %llu "
		 "frames, %llu lost because the reader was too slow", c->name,
		 c->why, (unsigned long long)c->written,
		 (unsigned long long)n.lost);
	c->outlen += pcapng_isb(c->out + c->outlen,
				XEND_CAP_OUT_BYTES - c->outlen, &s);
	c->isb_done = true;
}

/* Ring -> output buffer, as far as it has room. True when the ring is
 * empty. */
static bool drain(struct vifcap *c)
{
	struct vs_capture_rec r;

	if (c->outoff) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	while (XEND_CAP_OUT_BYTES - c->outlen >= epb_room(c)) {
		if (!vs_capture_get(c->ring, &r, c->rec, sizeof(c->rec)))
			return true;
		put_epb(c, &r);
	}
	return false;
}

/* Output buffer -> socket; 0, or -errno when the client is gone. */
static int flush(struct vifcap *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->outoff += (size_t)n;
	}
	return 0;
}

static void watch(struct vifcap *c)
{
	struct epoll_event ev = { .data.ptr = &slot_evs[c->id].ev };

	ev.events = c->state == CAP_RUNNING ? EPOLLIN : 0;
	if (c->outoff < c->outlen)
		ev.events |= EPOLLOUT;
	if (ev.events != c->events &&
	    !epoll_ctl(c->x->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = ev.events;
}

/* Move what can move; close the capture when it is done. */
static void step(struct vifcap *c, uint64_t now_ms)
{
	bool empty;

	if (c->state == CAP_HANDOFF)
		return;
	if (c->state == CAP_RUNNING && vs_capture_detached(c->ring))
		end(c, "the vif went away", now_ms);
	empty = drain(c);
	if (c->state == CAP_ENDING && empty && !c->isb_done &&
	    XEND_CAP_OUT_BYTES - c->outlen >= 512)
		put_isb(c);
	if (flush(c) < 0) {
		if (!c->why)
			c->why = "the client went away";
		destroy(c);
		return;
	}
	if (c->state == CAP_ENDING &&
	    ((c->isb_done && c->outoff == c->outlen) ||
	     now_ms - c->ending_ms > XEND_CAP_LINGER_MS)) {
		destroy(c);
		return;
	}
	watch(c);
}

/* The control server hands the connection over (ctl_handoff_fn). */
static int handoff(void *arg, int fd, const char *pending, size_t len)
{
	struct vifcap *c = arg;
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.ptr = &slot_evs[c->id].ev };
	size_t n;

	if (fd < 0 || len > XEND_CAP_OUT_BYTES / 2) {
		c->why = "the client went away";
		destroy(c);
		return -ENOBUFS;
	}
	memcpy(c->out, pending, len);
	c->outlen = len;
	n = pcapng_shb(c->out + c->outlen, XEND_CAP_OUT_BYTES - c->outlen,
		       "xend " XEND_VERSION);
	c->outlen += n;
	c->outlen += pcapng_idb(c->out + c->outlen,
				XEND_CAP_OUT_BYTES - c->outlen,
				PCAPNG_LINKTYPE_ETHERNET, c->ring->snaplen,
				c->name, NULL);
	if (epoll_ctl(c->x->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int ret = -errno;

		c->why = "no room in the main loop";
		destroy(c);
		return ret;
	}
	c->fd = fd;
	c->events = EPOLLIN;
	c->state = CAP_RUNNING;
	step(c, ctl_now_ms());
	return 0;
}

static struct vifcap *cap_new(struct xend *x, const struct xend_cap_spec *s,
			      unsigned id)
{
	struct vifcap *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ring = vs_capture_new(XEND_CAP_RING_BYTES, s->snaplen, s->drops);
	c->out = malloc(XEND_CAP_OUT_BYTES);
	if (!c->ring || !c->out) {
		vs_capture_free(c->ring);
		free(c->out);
		free(c);
		return NULL;
	}
	slot_evs[id] = (struct slot_ev){ { XEND_EV_CAPTURE }, id };
	c->x = x;
	c->id = id;
	c->fd = -1;
	c->port = s->port;
	c->dom = s->dom;
	c->vif = s->vif;
	snprintf(c->name, sizeof(c->name), "%s", s->name);
	c->start_ns = clock_ns(CLOCK_REALTIME);
	c->mono_to_real = (int64_t)(c->start_ns - xend_dp_now());
	return c;
}

/* xend_cap_start() - see vifcap.h. */
int xend_cap_start(struct xend *x, const struct xend_cap_spec *spec,
		   struct ctl_req *req)
{
	struct vifcap *c;
	unsigned id;
	int ret;

	for (id = 0; id < XEND_CAPTURES_MAX && caps[id]; id++)
		;
	if (id == XEND_CAPTURES_MAX)
		return -EBUSY;
	c = cap_new(x, spec, id);
	if (!c)
		return -ENOMEM;
	ret = xend_sw_capture(x->dp, spec->port, c->ring, true);
	if (ret) {
		vs_capture_free(c->ring);
		free(c->out);
		free(c);
		return ret;
	}
	c->attached = true;
	caps[id] = c;
	if (ncaps++ == 0)
		timer_set(x, true);
	req->handoff = handoff;
	req->handoff_arg = c;
	log_info("capture %u of %s (vif %u.%u) started: snaplen %u%s", id,
		 c->name, c->dom, c->vif, spec->snaplen,
		 spec->drops ? ", with drops" : "");
	return (int)id;
}

static bool running_on(const struct vifcap *c, unsigned port)
{
	return c && c->state != CAP_ENDING && c->port == port &&
	       !vs_capture_detached(c->ring);
}

/* xend_cap_stop() - see vifcap.h. */
unsigned xend_cap_stop(struct xend *x, unsigned port)
{
	unsigned n = 0;

	(void)x;
	for (unsigned i = 0; i < XEND_CAPTURES_MAX; i++) {
		if (!running_on(caps[i], port))
			continue;
		end(caps[i], "stopped by vif_capture --stop", ctl_now_ms());
		n++;
	}
	return n;
}

/* xend_cap_json() - see vifcap.h. */
json_object *xend_cap_json(unsigned port)
{
	json_object *arr = NULL;

	for (unsigned i = 0; i < XEND_CAPTURES_MAX; i++) {
		const struct vifcap *c = caps[i];
		struct vs_capture_counts n;
		json_object *o;

		if (!running_on(c, port))
			continue;
		if (!arr)
			arr = json_object_new_array();
		vs_capture_counts(c->ring, &n);
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(c->id));
		json_object_object_add(o, "snaplen",
				       json_object_new_int64(c->ring->snaplen));
		json_object_object_add(o, "drops",
				       json_object_new_boolean(c->ring->drops));
		json_object_object_add(o, "frames",
				       json_object_new_uint64(n.frames));
		json_object_object_add(o, "lost",
				       json_object_new_uint64(n.lost));
		json_object_object_add(o, "written",
				       json_object_new_uint64(c->written));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The client's socket: input only matters for its end. */
static void client_event(struct vifcap *c, uint32_t events)
{
	char junk[512];
	ssize_t n;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0)
			end(c, "stopped by the client", ctl_now_ms());
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			c->why = "the client went away";
			destroy(c);
			return;
		}
	}
	step(c, ctl_now_ms());
}

/* xend_cap_event() - see vifcap.h. */
void xend_cap_event(struct xend *x, struct xend_evsrc *src, uint32_t events)
{
	uint64_t ticks, now = ctl_now_ms();

	(void)x;
	if (src->type == XEND_EV_CAPTURE) {
		struct vifcap *c = caps[((struct slot_ev *)src)->id];

		if (c && c->fd >= 0)
			client_event(c, events);
		return;
	}
	if (read(timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("capture: drain timer: %s", strerror(errno));
	for (unsigned i = 0; i < XEND_CAPTURES_MAX; i++)
		if (caps[i])
			step(caps[i], now);
}

/* xend_cap_stop_all() - see vifcap.h. */
void xend_cap_stop_all(struct xend *x)
{
	for (unsigned i = 0; i < XEND_CAPTURES_MAX; i++) {
		struct vifcap *c = caps[i];

		if (!c)
			continue;
		if (c->state == CAP_HANDOFF) {
			destroy(c);
			continue;
		}
		end(c, "xend is stopping", ctl_now_ms());
		if (drain(c) && XEND_CAP_OUT_BYTES - c->outlen >= 512)
			put_isb(c);
		(void)flush(c);
		destroy(c);
	}
	if (timerfd >= 0) {
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, timerfd, NULL);
		close(timerfd);
		timerfd = -1;
	}
}

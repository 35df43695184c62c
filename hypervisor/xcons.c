// SPDX-License-Identifier: GPL-2.0-or-later
/* xcons.c - every domain's console in xend (see xcons.h)
 *
 * Consoles are kept in a table by domain id, beside the domain table:
 * a console is runtime state (fds, ring, log), not part of the record.
 * Lines of one read are sent together: up to VS_BATCH datagrams in one
 * call to the data plane, from a fixed pool of frames (no allocation per
 * line). A read stops after CON_READ_MAX bytes so one flooding console
 * cannot hold the loop; epoll comes back to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "dataplane.h"
#include "dom0.h"
#include "xcons.h"

#define CON_READ_MAX	(16 * 1024)	/* per event, per console */
#define CON_CLIENTS_MAX	8		/* attached at once, per console */

/* A client attached to a console (xc_dom_control console): it gets the
 * ring's history, then every byte the domain prints; the first one holds
 * the input, the others watch. A client too slow to take what is printed
 * loses that output (counted), the domain never waits for it. */
struct con_client {
	struct xend_dom_ev ev;		/* XEND_EV_CONSOLE_CLIENT */
	int fd;				/* -1: free slot */
	unsigned slot;
	bool input;
	bool told;			/* said its keystrokes are ignored */
	uint64_t lost;			/* bytes it was too slow for */
};
#define CON_SRC_MAC	{ 0xaa, 0x00, 0x00, 0xfe, 0xfe, 0xff }

struct xend_console {
	struct xend_dom_ev ev;		/* XEND_EV_CONSOLE: the fd below */
	struct xend_dom_ev init_ev;	/* XEND_EV_INIT: init's pidfd */
	int fd;				/* serial socket or pty; -1 */
	bool serial;			/* fd is QEMU's serial socket */
	int init_pid, init_pidfd, init_status;
	bool init_running;
	struct con_ring *ring;
	struct con_framer fr;
	struct con_log *log;
	struct con_rate rate;
	uint64_t lines;
	uint64_t bytes;			/* read from the source */
	struct xend_dom_ev listen_ev;	/* XEND_EV_CONSOLE_LISTEN */
	int listen_fd;			/* RUN/xeno-domN.console; -1 */
	struct con_client clients[CON_CLIENTS_MAX];
};

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

static struct xend_console *cons[XEND_DOMS_MAX + 1];

/* The datagrams of one read, sent in one data-plane call. */
static struct {
	uint8_t buf[VS_BATCH][CON_FRAME_MAX];
	struct vs_frame f[VS_BATCH];
	unsigned n;
} out;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int epoll_watch(const struct xend *x, int fd, struct xend_dom_ev *ev)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = ev };

	if (x->epfd <= 0)
		return 0;
	return epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

static void close_fd(const struct xend *x, int *fd)
{
	if (*fd < 0)
		return;
	if (x->epfd > 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* ---- output ---- */

struct line_ctx {
	struct xend *x;
	uint32_t id;
	struct xend_console *c;
};

static int inject_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	unsigned port = *(unsigned *)arg;

	return vs_port_inject(sw, port, out.f, out.n, now);
}

/* Send the datagrams gathered so far to dom0. */
static void flush_out(struct xend *x)
{
	unsigned port;

	if (!out.n || !x->dom0) {
		out.n = 0;
		return;
	}
	port = xend_dom0_port(x->dom0);
	if (xend_dp_call(x->dp, inject_fn, &port) < 0)
		log_warn("console: cannot inject %u datagrams", out.n);
	out.n = 0;
}

static void on_line(void *arg, const char *line, size_t len)
{
	struct line_ctx *l = arg;
	struct xend_console *c = l->c;
	uint8_t dst[6] = { 0 }, src[6] = CON_SRC_MAC;

	c->lines++;
	con_ring_put(c->ring, line, len);
	if (c->log && con_log_write(c->log, line, len))
		log_warn("console %u: log: %s", l->id, strerror(errno));
	if (!l->x->dom0 || !con_rate_take(&c->rate, now_ns()))
		return;
	if (out.n == VS_BATCH)
		flush_out(l->x);
	xend_dom0_mac(l->x->dom0, dst);
	out.f[out.n].data = out.buf[out.n];
	out.f[out.n].len = (uint32_t)con_datagram(out.buf[out.n], dst, src,
						  (uint16_t)l->id, line, len);
	out.f[out.n].cap = CON_FRAME_MAX;
	memset(&out.f[out.n].vnet, 0, sizeof(out.f[out.n].vnet));
	out.n++;
}

/* ---- sources ---- */

static int serial_connect(const struct xend *x, const struct xend_domain *d,
			  struct xend_console *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.serial",
			     x->run_dir, d->nsname) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->fd = fd;
	c->serial = true;
	return epoll_watch(x, fd, &c->ev);
}

/* Run @cmd in @d's namespace on a new pty; its output is the console. */
static int init_start(const struct xend *x, const struct xend_domain *d,
		      struct xend_console *c, const char *cmd)
{
	char pts[64], nspath[128];
	int master, pid;
	sigset_t none;

	snprintf(nspath, sizeof(nspath), "/run/netns/%s", d->nsname);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    ptsname_r(master, pts, sizeof(pts))) {
		int err = -errno;

		if (master >= 0)
			close(master);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		close(master);
		return -errno;
	}
	if (pid == 0) {		/* async-signal-safe calls only */
		int ns = open(nspath, O_RDONLY | O_CLOEXEC), slave;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(126);
		slave = open(pts, O_RDWR);
		if (slave < 0)
			_exit(126);
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	c->fd = master;
	c->init_pid = pid;
	c->init_running = true;
	c->init_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	c->init_ev.src.type = XEND_EV_INIT;
	c->init_ev.id = d->id;
	if (c->init_pidfd >= 0)
		epoll_watch(x, c->init_pidfd, &c->init_ev);
	return epoll_watch(x, master, &c->ev);
}

static const char *cfg_init(const struct xend_domain *d)
{
	json_object *v = NULL;

	if (!d->config || !json_object_object_get_ex(d->config, "init", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return *json_object_get_string(v) ? json_object_get_string(v) : NULL;
}

/* ---- attached clients ---- */

static void to_clients(struct xend_console *c, const char *buf, size_t len)
{
	for (unsigned i = 0; i < CON_CLIENTS_MAX; i++) {
		struct con_client *k = &c->clients[i];
		ssize_t n;

		if (k->fd < 0)
			continue;
		n = send(k->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < (ssize_t)len)
			k->lost += len - (size_t)(n > 0 ? n : 0);
	}
}

static void client_say(const struct con_client *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line of xend's own to one client, marked so it is not the domain's. */
static void client_say(const struct con_client *k, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!send(k->fd, msg, strnlen(msg, sizeof(msg)),
			    MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void client_close(const struct xend *x, struct xend_console *c,
			 struct con_client *k, uint32_t id)
{
	bool had_input = k->input;

	close_fd(x, &k->fd);
	k->input = false;
	if (!had_input)
		return;
	for (unsigned i = 0; i < CON_CLIENTS_MAX; i++) {
		if (c->clients[i].fd < 0)
			continue;
		c->clients[i].input = true;	/* the next one takes over */
		client_say(&c->clients[i], "\r\n[xeno: console %u: you hold "
			   "the input now]\r\n", id);
		break;
	}
}

static void client_accept(const struct xend *x, uint32_t id,
			  struct xend_console *c)
{
	struct con_client *k = NULL;
	size_t size = (x->console_ring ? x->console_ring : CON_RING_DEFAULT) + 1;
	char *hist;
	struct sockaddr_un peer;
	socklen_t plen = sizeof(peer);
	bool input = true;
	int fd = accept4(c->listen_fd, (struct sockaddr *)&peer, &plen,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (unsigned i = 0; i < CON_CLIENTS_MAX; i++) {
		if (c->clients[i].fd >= 0)
			input = input && !c->clients[i].input;
		else if (!k)
			k = &c->clients[i];
	}
	if (!k) {
		(void)!send(fd, "[xeno: too many clients on this console]\r\n",
			    43, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	k->fd = fd;
	k->input = input;
	k->told = false;
	k->lost = 0;
	client_say(k, "[xeno: console of domain %u (%s); Ctrl-] detaches]"
		   "\r\n", id, x->doms[id] ? x->doms[id]->name : "?");
	hist = malloc(size);
	if (hist) {
		con_ring_read(c->ring, hist, size);
		(void)!send(fd, hist, strlen(hist), MSG_DONTWAIT | MSG_NOSIGNAL);
		free(hist);
	}
	if (!input)
		client_say(k, "[xeno: read-only: another client holds the "
			   "input]\r\n");
	if (epoll_watch(x, fd, &k->ev))
		close_fd(x, &k->fd);
}

static void client_input(const struct xend *x, uint32_t id,
			 struct xend_console *c, struct con_client *k)
{
	char buf[1024];
	ssize_t n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(x, c, k, id);
		return;
	}
	if (n > 0 && !k->input && !k->told) {
		/* Once, so a watcher knows its typing went nowhere (and is
		 * not queued for when it takes over the input). */
		k->told = true;
		client_say(k, "\r\n[xeno: read-only: keystrokes ignored]\r\n");
	}
	if (n > 0 && k->input && c->fd >= 0 &&
	    write(c->fd, buf, (size_t)n) != n)
		log_debug("console %u: input: %s", id, strerror(errno));
}

/* The attach socket RUN/xeno-domN.console, 0660 with the control
 * socket's group. */
static int listen_open(const struct xend *x, const struct xend_domain *d,
		       struct xend_console *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
			     "%s/%s.console", x->run_dir, d->nsname) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4) ||
	    chmod(sa.sun_path, 0660) ||
	    (x->ctl_gid >= 0 && chown(sa.sun_path, (uid_t)-1,
				      (gid_t)x->ctl_gid))) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->listen_fd = fd;
	c->listen_ev.src.type = XEND_EV_CONSOLE_LISTEN;
	c->listen_ev.id = d->id;
	return epoll_watch(x, fd, &c->listen_ev);
}

/* ---- life ---- */

/* xend_console_open() - see xcons.h. */
void xend_console_open(struct xend *x, struct xend_domain *d, bool fresh)
{
	struct xend_console *c;
	const char *init = cfg_init(d);
	int ret = 0;

	xend_console_close(x, d->id);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->ring = con_ring_new(x->console_ring ? x->console_ring :
					   CON_RING_DEFAULT))) {
		free(c);
		log_err("console %u: out of memory", d->id);
		return;
	}
	c->fd = c->init_pidfd = c->listen_fd = -1;
	c->ev.src.type = XEND_EV_CONSOLE;
	c->ev.id = d->id;
	for (unsigned i = 0; i < CON_CLIENTS_MAX; i++) {
		c->clients[i].fd = -1;
		c->clients[i].slot = i;
		c->clients[i].ev.src.type = XEND_EV_CONSOLE_CLIENT;
		c->clients[i].ev.id = d->id;
	}
	con_rate_init(&c->rate, CON_RATE_DEFAULT, CON_BURST_DEFAULT, now_ns());
	c->log = con_log_open(x->console_dir, d->name, CON_LOG_MAX_DEFAULT,
			      CON_LOG_KEEP_DEFAULT);
	if (!c->log)
		log_warn("console %u: cannot open its log in %s: %s", d->id,
			 x->console_dir, strerror(errno));
	cons[d->id] = c;
	if (d->builder == XEND_BUILDER_QEMU)
		ret = serial_connect(x, d, c);
	else if (init && fresh)
		ret = init_start(x, d, c, init);
	if (ret)
		log_warn("console %u: %s", d->id, strerror(-ret));
	ret = listen_open(x, d, c);
	if (ret)
		log_warn("console %u: no attach socket: %s", d->id,
			 strerror(-ret));
}

/* xend_console_close() - see xcons.h. */
void xend_console_close(struct xend *x, uint32_t id)
{
	struct xend_console *c = id <= XEND_DOMS_MAX ? cons[id] : NULL;

	if (!c)
		return;
	con_framer_flush(&c->fr, on_line, &(struct line_ctx){ x, id, c });
	flush_out(x);
	close_fd(x, &c->fd);
	close_fd(x, &c->init_pidfd);
	for (unsigned i = 0; i < CON_CLIENTS_MAX; i++)
		close_fd(x, &c->clients[i].fd);
	if (c->listen_fd >= 0) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

		close_fd(x, &c->listen_fd);
		if (x->doms[id] &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s.console",
				     x->run_dir, x->doms[id]->nsname) <
		    sizeof(path))
			unlink(path);
	}
	if (c->init_pid > 0)
		waitpid(c->init_pid, NULL, WNOHANG);
	con_log_close(c->log);
	con_ring_free(c->ring);
	free(c);
	cons[id] = NULL;
}

static void read_console(struct xend *x, uint32_t id, struct xend_console *c)
{
	struct line_ctx l = { x, id, c };
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while (total < CON_READ_MAX) {
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			c->bytes += (size_t)n;
			con_framer_feed(&c->fr, buf, (size_t)n, on_line, &l);
			to_clients(c, buf, (size_t)n);
			total += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		/* EOF, or EIO from a pty whose last writer is gone */
		con_framer_flush(&c->fr, on_line, &l);
		close_fd(x, &c->fd);
		break;
	}
	flush_out(x);
}

static void init_exited(struct xend *x, uint32_t id, struct xend_console *c)
{
	int status = 0;

	if (waitpid(c->init_pid, &status, WNOHANG) == c->init_pid) {
		c->init_status = WIFEXITED(status) ? WEXITSTATUS(status) :
			128 + WTERMSIG(status);
		log_info("domain %u: init %d ended (status %d)", id,
			 c->init_pid, c->init_status);
	}
	c->init_running = false;
	close_fd(x, &c->init_pidfd);
	if (c->fd >= 0)
		read_console(x, id, c);		/* its last words */
}

/* xend_console_event() - see xcons.h. */
void xend_console_event(struct xend *x, struct xend_evsrc *src)
{
	struct xend_dom_ev *ev = (struct xend_dom_ev *)src;
	struct xend_console *c = ev->id <= XEND_DOMS_MAX ? cons[ev->id] : NULL;

	if (!c)
		return;
	if (src->type == XEND_EV_INIT)
		init_exited(x, ev->id, c);
	else if (src->type == XEND_EV_CONSOLE_LISTEN)
		client_accept(x, ev->id, c);
	else if (src->type == XEND_EV_CONSOLE_CLIENT)
		client_input(x, ev->id, c, container_of(ev, struct con_client,
							 ev));
	else if (c->fd >= 0)
		read_console(x, ev->id, c);
}

/* xend_console_tick() - see xcons.h. */
void xend_console_tick(struct xend *x)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		struct xend_console *c = cons[i];
		const struct xend_domain *d = x->doms[i];

		if (c && d && c->fd < 0 && d->builder == XEND_BUILDER_QEMU &&
		    d->pid > 0 && !serial_connect(x, d, c))
			log_info("console %u: serial reconnected", i);
	}
}

/* xend_console_history() - see xcons.h. */
json_object *xend_console_history(const struct xend *x, uint32_t id)
{
	const struct xend_console *c = id <= XEND_DOMS_MAX ? cons[id] : NULL;
	size_t size = (x->console_ring ? x->console_ring : CON_RING_DEFAULT) + 1;
	json_object *o;
	char *text;

	if (!c || !x->doms[id] || !(text = malloc(size)))
		return NULL;
	con_ring_read(c->ring, text, size);
	o = json_object_new_object();
	json_object_object_add(o, "dom", json_object_new_int64(id));
	json_object_object_add(o, "name",
			       json_object_new_string(x->doms[id]->name));
	json_object_object_add(o, "text", json_object_new_string(text));
	free(text);
	json_object_object_add(o, "lines", json_object_new_uint64(c->lines));
	json_object_object_add(o, "dropped",
			       json_object_new_uint64(c->rate.dropped));
	return o;
}

/* xend_console_stats() - see xcons.h. */
int xend_console_stats(const struct xend *x, uint32_t id,
		       struct xend_console_stats *st)
{
	const struct xend_console *c = id <= XEND_DOMS_MAX ? cons[id] : NULL;

	(void)x;
	if (!c)
		return -ENOENT;
	st->lines = c->lines;
	st->bytes = c->bytes;
	st->dropped = c->rate.dropped;
	st->connected = c->fd >= 0;
	return 0;
}

/* xend_console_json() - see xcons.h. */
void xend_console_json(const struct xend *x, uint32_t id, json_object *o)
{
	const struct xend_console *c = id <= XEND_DOMS_MAX ? cons[id] : NULL;
	struct xend_console_stats st;
	json_object *con, *init;
	uint64_t lost = 0;
	int clients = 0;

	if (!c || xend_console_stats(x, id, &st))
		return;
	con = json_object_new_object();
	json_object_object_add(con, "lines", json_object_new_uint64(st.lines));
	json_object_object_add(con, "bytes", json_object_new_uint64(st.bytes));
	json_object_object_add(con, "dropped",
			       json_object_new_uint64(st.dropped));
	json_object_object_add(con, "connected",
			       json_object_new_boolean(st.connected));
	for (unsigned i = 0; i < CON_CLIENTS_MAX; i++) {
		if (c->clients[i].fd < 0)
			continue;
		clients++;
		lost += c->clients[i].lost;
	}
	json_object_object_add(con, "clients", json_object_new_int(clients));
	json_object_object_add(con, "clients_lost",
			       json_object_new_uint64(lost));
	if (c->listen_fd >= 0 && x->doms[id]) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s.console", x->run_dir,
			 x->doms[id]->nsname);
		json_object_object_add(con, "socket",
				       json_object_new_string(path));
	}
	json_object_object_add(o, "console", con);
	if (!c->init_pid)
		return;
	init = json_object_new_object();
	json_object_object_add(init, "pid", json_object_new_int(c->init_pid));
	json_object_object_add(init, "running",
			       json_object_new_boolean(c->init_running));
	if (!c->init_running)
		json_object_object_add(init, "status",
				       json_object_new_int(c->init_status));
	json_object_object_add(o, "init", init);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* control.c - xend's control socket (JSON lines) and xend's log
 *
 * Theory of operation
 * -------------------
 * Clients are non-blocking. Each has an input buffer of CTL_LINE_MAX + 1
 * bytes and an output buffer. Input is cut into lines; each line becomes
 * exactly one reply line (blank lines are skipped). A line that fills the
 * input buffer without a newline is over-long: the client gets an error
 * and is closed once the error is written. While a client has output that
 * the socket did not take, it is watched for EPOLLOUT only, so a client
 * that does not read its replies cannot make xend buffer without bound.
 * At end of input, a last unterminated line is handled like a full one.
 *
 * Admission: at accept, the peer's credentials are checked and then
 * ctl_admit() decides on the counts of open clients, so that a member of
 * the socket's group cannot take every slot: the last CTL_CLIENTS_ROOT
 * are root's, and no other uid holds more than CTL_CLIENTS_PER_UID. A
 * refused client gets one error line and is closed.
 *
 * Idle clients: each client records when bytes last moved either way
 * (a read of its input, a write of our output). One timerfd is armed for
 * the earliest deadline; when it fires, clients past it are closed and
 * it is armed again. Activity only moves deadlines later, so it never
 * re-arms the timer: a timer that fires early just finds nobody to close.
 * A client counts as idle only if its socket is not ready for what xend
 * waits on (input, or room for output while replies are pending), so one
 * that xend has not served yet (the timer came first in a batch, or a
 * handler kept xend busy) is never closed for xend's own delay. A client
 * that stalls half-way through a line, or stops reading its replies, makes
 * no progress and is closed like an idle one.
 *
 * Handlers never see malformed requests: the dispatcher checks that the
 * line is one JSON object with a string "cmd" naming a known command; the
 * handler then validates its own fields through ctl_get_*().
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define CTL_OUT_HIGH	(256 * 1024)	/* stop taking requests above this */
#define CTL_REFUSE_MAX	256		/* bytes of a refusal line */

static_assert(CTL_CLIENTS_ROOT < CTL_CLIENTS_MAX,
	      "root's slots leave room for the others");
static_assert(CTL_CLIENTS_PER_UID <= CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT,
	      "one uid's share fits in the shared slots");

/* ---- log ---- */

static struct {
	bool use_syslog;
	enum xend_log_level level;
} logcfg = { false, XEND_LOG_INFO };

static const char *const level_names[] = {
	[XEND_LOG_ERR] = "error",
	[XEND_LOG_WARN] = "warn",
	[XEND_LOG_INFO] = "info",
	[XEND_LOG_DEBUG] = "debug",
};

/* xend_log_setup() - see control.h. */
void xend_log_setup(bool use_syslog, enum xend_log_level level)
{
	if (logcfg.use_syslog)
		closelog();
	logcfg.use_syslog = use_syslog;
	logcfg.level = level;
	if (use_syslog)
		openlog("xend", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* xend_log_reopen() - see control.h. */
void xend_log_reopen(void)
{
	if (!logcfg.use_syslog)
		return;
	closelog();
	openlog("xend", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* xend_log_level_parse() - see control.h. */
int xend_log_level_parse(const char *s)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(s, level_names[i]))
			return (int)i;
	if (!strcmp(s, "err") || !strcmp(s, "warning"))
		return !strcmp(s, "err") ? XEND_LOG_ERR : XEND_LOG_WARN;
	return -EINVAL;
}

/* xend_log() - see control.h. Keeps errno. */
void xend_log(enum xend_log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	char msg[1024];
	va_list ap;

	if (level > logcfg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (logcfg.use_syslog)
		syslog(prio[level], "%s", msg);
	else
		fprintf(stderr, "xend: %s: %s\n", level_names[level], msg);
	errno = saved;
}

/* ---- field getters ---- */

/* ctl_fail() - see control.h. */
int ctl_fail(struct ctl_req *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(json_type t)
{
	switch (t) {
	case json_type_null:	return "null";
	case json_type_boolean:	return "a boolean";
	case json_type_double:	return "a number";
	case json_type_int:	return "an integer";
	case json_type_object:	return "an object";
	case json_type_array:	return "an array";
	case json_type_string:	return "a string";
	}
	return "?";
}

/* ctl_get_typed() - see control.h. */
int ctl_get_typed(struct ctl_req *req, json_object *obj, const char *path,
		  const char *key, bool required, json_type type,
		  json_object **out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || !v) {
		if (required)
			return ctl_fail(req, "missing field '%s%s'", path, key);
		return 0;
	}
	if (json_object_get_type(v) != type)
		return ctl_fail(req, "field '%s%s' must be %s, not %s", path,
				key, type_name(type),
				type_name(json_object_get_type(v)));
	*out = v;
	return 0;
}

/* ctl_get_uint() - see control.h. */
int ctl_get_uint(struct ctl_req *req, json_object *obj, const char *path,
		 const char *key, bool required, uint64_t max, uint64_t *out)
{
	json_object *v = NULL;
	uint64_t u;

	if (ctl_get_typed(req, obj, path, key, required, json_type_int, &v))
		return -1;
	if (!v)
		return 0;
	if (json_object_get_int64(v) < 0)
		return ctl_fail(req, "field '%s%s' must not be negative",
				path, key);
	u = json_object_get_uint64(v);
	if (u > max)
		return ctl_fail(req, "field '%s%s' out of range (0..%llu)",
				path, key, (unsigned long long)max);
	*out = u;
	return 0;
}

/* ctl_get_u32() - see control.h. */
int ctl_get_u32(struct ctl_req *req, json_object *obj, const char *path,
		const char *key, bool required, uint32_t max, uint32_t *out)
{
	uint64_t u = *out;

	if (ctl_get_uint(req, obj, path, key, required, max, &u))
		return -1;
	*out = (uint32_t)u;
	return 0;
}

/* ctl_get_string() - see control.h. Strings with NUL bytes or longer
 * than @maxlen are refused. */
int ctl_get_string(struct ctl_req *req, json_object *obj, const char *path,
		   const char *key, bool required, size_t maxlen,
		   const char **out)
{
	json_object *v = NULL;
	const char *s;

	if (ctl_get_typed(req, obj, path, key, required, json_type_string, &v))
		return -1;
	if (!v)
		return 0;
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return ctl_fail(req, "field '%s%s' contains a NUL byte",
				path, key);
	if (strlen(s) > maxlen)
		return ctl_fail(req, "field '%s%s' longer than %zu bytes",
				path, key, maxlen);
	*out = s;
	return 0;
}

/* ctl_get_bool() - see control.h. */
int ctl_get_bool(struct ctl_req *req, json_object *obj, const char *path,
		 const char *key, bool required, bool *out)
{
	json_object *v = NULL;

	if (ctl_get_typed(req, obj, path, key, required, json_type_boolean, &v))
		return -1;
	if (v)
		*out = json_object_get_boolean(v);
	return 0;
}

/* ---- dispatch ---- */

static json_object *parse_line(const char *line, size_t len,
			       struct ctl_req *req)
{
	json_tokener *tok = json_tokener_new();
	enum json_tokener_error e;
	json_object *obj;
	size_t end;

	if (!tok) {
		ctl_fail(req, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj && e == json_tokener_continue) {
		/* the line is all there is: end a value that only its end
		 * delimits (42, null) with a NUL, which json-c takes as EOF */
		obj = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	if (!obj) {
		if (e == json_tokener_success)	/* JSON null */
			ctl_fail(req, "request must be a JSON object");
		else
			ctl_fail(req, "invalid JSON: %s",
				 e == json_tokener_continue ||
				 e == json_tokener_error_parse_eof ?
				 "unexpected end of input" :
				 json_tokener_error_desc(e));
		goto out;
	}
	for (; end < len; end++) {
		if (!strchr(" \t\r", line[end])) {
			ctl_fail(req, "invalid JSON: trailing data after the object");
			json_object_put(obj);
			obj = NULL;
			break;
		}
	}
out:
	json_tokener_free(tok);
	return obj;
}

static const struct ctl_cmd *find_cmd(const struct ctl_cmd *cmds,
				      const char *name)
{
	for (; cmds->name; cmds++)
		if (!strcmp(cmds->name, name))
			return cmds;
	return NULL;
}

/* Run the request in @req->msg; 0 or -1 with req->error set. */
static int run_request(const struct ctl_cmd *cmds, void *ctx,
		       struct ctl_req *req)
{
	const struct ctl_cmd *cmd;
	const char *name = NULL;
	char err[CTL_ERROR_MAX];

	if (!json_object_is_type(req->msg, json_type_object))
		return ctl_fail(req, "request must be a JSON object");
	if (ctl_get_string(req, req->msg, "", "cmd", true, 64, &name) || !name)
		return -1;
	cmd = find_cmd(cmds, name);
	if (!cmd)
		return ctl_fail(req, "unknown command '%s'", name);
	log_debug("request %s", json_object_to_json_string_ext(req->msg,
		  JSON_C_TO_STRING_PLAIN));
	if (!cmd->fn(ctx, req)) {
		if (cmd->after)
			cmd->after(ctx);
		return 0;
	}
	if (!req->error[0])
		return ctl_fail(req, "%s: failed", cmd->name);
	memcpy(err, req->error, sizeof(err));
	return ctl_fail(req, "%s: %s", cmd->name, err);
}

/* Handle one request line of client @fd (-1: none); a handler that takes
 * the connection over leaves its handoff in *@h. Returns the reply line,
 * NULL only when out of memory. */
static char *dispatch(const struct ctl_cmd *cmds, void *ctx,
		      const char *line, size_t len, int fd,
		      struct ctl_req *h)
{
	struct ctl_req req = { .fd = fd };
	json_object *out;
	const char *s;
	char *ret;
	int rc = -1;

	req.reply = json_object_new_object();
	if (memchr(line, '\0', len))
		ctl_fail(&req, "request contains a NUL byte");
	else if ((req.msg = parse_line(line, len, &req)))
		rc = run_request(cmds, ctx, &req);
	json_object_put(req.msg);

	out = json_object_new_object();
	json_object_object_add(out, "ok", json_object_new_boolean(rc == 0));
	if (rc == 0) {
		json_object_object_foreach(req.reply, k, v)
			json_object_object_add(out, k, json_object_get(v));
	} else {
		json_object_object_add(out, "error",
				       json_object_new_string(req.error));
		log_debug("error reply: %s", req.error);
	}
	json_object_put(req.reply);
	s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = s ? malloc(strlen(s) + 2) : NULL;
	if (ret)
		sprintf(ret, "%s\n", s);
	json_object_put(out);
	if (rc == 0 && fd >= 0) {
		h->handoff = req.handoff;
		h->handoff_arg = req.handoff_arg;
	}
	if (!ret && h->handoff) {		/* no reply: nothing to hand */
		h->handoff(h->handoff_arg, -1, NULL, 0);
		h->handoff = NULL;
	}
	return ret;
}

/* ctl_dispatch_line() - see control.h. Returns NULL only when out of
 * memory. */
char *ctl_dispatch_line(const struct ctl_cmd *cmds, void *ctx,
			const char *line, size_t len)
{
	struct ctl_req h = { .fd = -1 };

	return dispatch(cmds, ctx, line, len, -1, &h);
}

/* ---- the server ---- */

struct ctl_client {
	struct xend_evsrc ev;		/* XEND_EV_CLIENT; first */
	struct ctl_server *srv;
	int fd;
	uid_t uid;			/* the peer's credentials at accept */
	pid_t pid;
	uint64_t active_ms;		/* when bytes last moved either way */
	uint32_t events;		/* current epoll mask */
	char in[CTL_LINE_MAX + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff, outcap;
	bool eof;			/* no more input */
	bool overlong;			/* close once the error is out */
	struct ctl_req handoff;		/* .handoff set: hand the connection
					 * over once the reply is queued */
	struct ctl_client *next;
};

struct ctl_server {
	struct xend_evsrc ev;		/* XEND_EV_LISTEN; first */
	struct xend_evsrc timer_ev;	/* XEND_EV_CTL_TIMER */
	int fd;
	int timerfd;			/* idle deadlines, CLOCK_MONOTONIC */
	int epfd;
	uint64_t idle_ms;		/* 0: clients are never idle */
	uint64_t timer_ms;		/* deadline armed; 0: disarmed */
	char *path;
	gid_t gid;
	const struct ctl_cmd *cmds;
	void *ctx;
	struct ctl_client *clients;
	unsigned nclients;
};

/* mkdir -p of the directory part of @path, new directories 0755. */
static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Is a server answering on @sa? Replaces a stale socket. 0 or -errno. */
static int probe_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret = 0;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		ret = -EADDRINUSE;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		ret = unlink(sa->sun_path) && errno != ENOENT ? -errno : 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

static int resolve_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long n;

	if (!group) {
		*gid = getegid();
		return 0;
	}
	if (!getgrnam_r(group, &gr, buf, sizeof(buf), &res) && res) {
		*gid = res->gr_gid;
		return 0;
	}
	n = strtoul(group, &end, 10);
	if (*group && !*end && n < UINT32_MAX) {
		*gid = (gid_t)n;
		return 0;
	}
	return -ENOENT;
}

/* ctl_listen_unix() - see control.h. */
int ctl_listen_unix(const char *path, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	ret = mkdir_parents(path);
	if (ret)
		return ret;
	ret = probe_socket(&sa);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || chown(path, (uid_t)-1, gid) || chmod(path, 0660) ||
	    listen(fd, 64)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* The idle timer: a timerfd in the epoll set; fd or -errno. */
static int timer_open(int epfd, struct xend_evsrc *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };
	int fd, ret;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* ctl_server_new() - see control.h. */
struct ctl_server *ctl_server_new(const char *path, const char *group,
				  int epfd, const struct ctl_cmd *cmds,
				  void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ctl_server *s = calloc(1, sizeof(*s));
	int ret = -ENOMEM;

	if (!s || !(s->path = strdup(path)))
		goto fail;
	s->ev.type = XEND_EV_LISTEN;
	s->timer_ev.type = XEND_EV_CTL_TIMER;
	s->epfd = epfd;
	s->cmds = cmds;
	s->ctx = ctx;
	s->fd = -1;
	s->idle_ms = CTL_IDLE_TIMEOUT_DEFAULT * 1000ULL;
	ret = resolve_group(group, &s->gid);
	if (ret)
		goto fail;
	s->timerfd = ret = timer_open(epfd, &s->timer_ev);
	if (ret < 0)
		goto fail;
	s->fd = ret = ctl_listen_unix(path, s->gid);
	if (ret < 0)
		goto fail_timer;
	ev.data.ptr = &s->ev;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev)) {
		ret = -errno;
		goto fail_unlink;
	}
	return s;

fail_unlink:
	close(s->fd);
	unlink(path);
fail_timer:
	epoll_ctl(epfd, EPOLL_CTL_DEL, s->timerfd, NULL);
	close(s->timerfd);
fail:
	if (s)
		free(s->path);
	free(s);
	errno = -ret;
	return NULL;
}

/* ctl_server_set_idle_timeout() - see control.h. */
void ctl_server_set_idle_timeout(struct ctl_server *s, unsigned seconds)
{
	s->idle_ms = seconds * 1000ULL;
}

/* Forget @c: out of the list, its buffers freed. Its fd, already out of
 * the epoll set, is left to the caller. */
static void client_forget(struct ctl_client *c)
{
	struct ctl_server *s = c->srv;
	struct ctl_client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->nclients--;
	free(c->out);
	free(c);
}

/* Give @c's connection to the handler that asked for it, with the output
 * not written yet; the server is done with it either way. */
static void client_handoff(struct ctl_client *c)
{
	struct ctl_req h = c->handoff;
	int fd = c->fd;
	int ret;

	c->handoff.handoff = NULL;
	epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, fd, NULL);
	ret = h.handoff(h.handoff_arg, fd, c->out + c->outoff,
			c->outlen - c->outoff);
	client_forget(c);
	if (ret)
		close(fd);
}

static void client_close(struct ctl_client *c)
{
	struct ctl_server *s = c->srv;

	if (c->overlong) {
		/* discard unread input: closing with it queued resets the
		 * connection before the client reads our error */
		for (int i = 0; i < 64 && read(c->fd, c->in, sizeof(c->in)) > 0; i++)
			;
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->handoff.handoff)		/* never handed over: give it up */
		c->handoff.handoff(c->handoff.handoff_arg, -1, NULL, 0);
	client_forget(c);
}

/* ctl_server_free() - see control.h. */
void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_close(s->clients);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->timerfd, NULL);
	close(s->timerfd);
	if (s->fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		unlink(s->path);
	}
	free(s->path);
	free(s);
}

/* Queue @len bytes of output; -ENOMEM or 0. */
static int client_queue(struct ctl_client *c, const char *data, size_t len)
{
	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + len > c->outcap) {
		size_t cap = (c->outlen + len) * 2;
		char *p = realloc(c->out, cap);

		if (!p)
			return -ENOMEM;
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return 0;
}

static int client_reply(struct ctl_client *c, const char *line, size_t len)
{
	char *reply = dispatch(c->srv->cmds, c->srv->ctx, line, len, c->fd,
			       &c->handoff);
	int ret;

	if (!reply)
		return -ENOMEM;
	ret = client_queue(c, reply, strlen(reply));
	free(reply);
	return ret;
}

static bool blank(const char *s, size_t len)
{
	while (len && strchr(" \t\r", s[len - 1]))
		len--;
	return len == 0;
}

/* Is there a line (or an over-long one) for take_line()? */
static bool has_line(const struct ctl_client *c)
{
	if (c->overlong)
		return false;
	return memchr(c->in, '\n', c->inlen) || (c->eof && c->inlen) ||
	       c->inlen == sizeof(c->in);
}

/* Handle one buffered line, if any; 1 if one was taken, 0 if none, or
 * -errno. */
static int take_line(struct ctl_client *c)
{
	static const char overlong[] = "{\"ok\":false,\"error\":\"request line "
		"longer than 65536 bytes\"}\n";
	char *nl = memchr(c->in, '\n', c->inlen);
	size_t len = nl ? (size_t)(nl - c->in) : c->inlen;
	int ret = 0;

	if (!has_line(c))
		return 0;
	if (!nl && c->inlen == sizeof(c->in)) {
		c->overlong = true;
		c->inlen = 0;
		log_warn("control client sent a line over %d bytes", CTL_LINE_MAX);
		return client_queue(c, overlong, sizeof(overlong) - 1);
	}
	if (!blank(c->in, len))
		ret = client_reply(c, c->in, len);
	if (nl)
		len++;
	memmove(c->in, c->in + len, c->inlen - len);
	c->inlen -= len;
	return ret ? ret : (len > 0);
}

/* Write what the socket takes; 0, or -errno for a dead client. Bytes
 * taken count as activity at @now. */
static int client_flush(struct ctl_client *c, uint64_t now)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->outoff += (size_t)n;
		c->active_ms = now;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* Take buffered requests, flush, pick the epoll mask or close. Requests
 * are taken only while the unwritten output stays under CTL_OUT_HIGH. */
static void client_update(struct ctl_client *c, uint64_t now)
{
	struct epoll_event ev = { .data.ptr = &c->ev };
	int ret = 0;

	while (ret >= 0) {
		while (ret >= 0 && c->outlen - c->outoff <= CTL_OUT_HIGH &&
		       has_line(c) && !c->handoff.handoff)
			ret = take_line(c);
		if (ret >= 0 && c->handoff.handoff) {
			client_handoff(c);
			return;
		}
		if (ret < 0 || client_flush(c, now) < 0) {
			client_close(c);
			return;
		}
		if (c->outlen > c->outoff || !has_line(c))
			break;
	}
	if (c->outlen > c->outoff)
		ev.events = EPOLLOUT;
	else if (c->eof || c->overlong)
		return client_close(c);
	else
		ev.events = EPOLLIN;
	if (ev.events != c->events &&
	    !epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = ev.events;
}

static void client_read(struct ctl_client *c, uint64_t now)
{
	ssize_t n;

	if (c->eof || c->overlong)
		return;
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n > 0) {
		c->inlen += (size_t)n;
		c->active_ms = now;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		c->eof = true;
	}
}

/* Is @pid (with primary group @gid) a member of group @want? */
static bool in_group(pid_t pid, gid_t gid, gid_t want)
{
	char path[64], line[4096];
	bool ret = false;
	FILE *f;

	if (gid == want)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *p = line + 7, *end;

		if (strncmp(line, "Groups:", 7))
			continue;
		for (;;) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (g == want)
				ret = true;
			p = end;
		}
	}
	fclose(f);
	return ret;
}

/* Read the peer's credentials into *@cr; false if it may not connect. */
static bool peer_allowed(struct ctl_server *s, int fd, struct ucred *cr)
{
	socklen_t len = sizeof(*cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &len))
		return false;
	if (cr->uid == 0 || cr->uid == geteuid() ||
	    in_group(cr->pid, cr->gid, s->gid))
		return true;
	log_warn("control: refused uid %u pid %d", cr->uid, (int)cr->pid);
	return false;
}

/* Refuse a client with a one-line error. What it sent already is read
 * and dropped first: closing with input queued would leave the client
 * ECONNRESET instead of a clean end after our line. */
static void refuse(int fd, const char *why)
{
	char line[CTL_REFUSE_MAX], junk[4096];
	int n = snprintf(line, sizeof(line), "{\"ok\":false,\"error\":\"%s\"}\n",
			 why);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "{\"ok\":false,\"error\":"
			     "\"refused\"}\n");
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: refusing a client: %s", strerror(errno));
	for (int i = 0; i < 16 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0;
	     i++)
		;
	close(fd);
}

/* ctl_admit() - see control.h. The uid's own limit is checked first: a
 * uid at its limit is told so, whatever the total. */
enum ctl_admit ctl_admit(uint32_t uid, unsigned total, unsigned of_uid)
{
	if (uid == 0)
		return total < CTL_CLIENTS_MAX ? CTL_ADMIT_OK : CTL_ADMIT_FULL;
	if (of_uid >= CTL_CLIENTS_PER_UID)
		return CTL_ADMIT_UID_FULL;
	if (total >= CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT)
		return CTL_ADMIT_FULL;
	return CTL_ADMIT_OK;
}

/* ctl_admit_error() - see control.h. */
char *ctl_admit_error(enum ctl_admit a, uint32_t uid, unsigned total,
		      char *buf, size_t len)
{
	switch (a) {
	case CTL_ADMIT_OK:
		snprintf(buf, len, "admitted");
		break;
	case CTL_ADMIT_UID_FULL:
		snprintf(buf, len, "too many connections from uid %u (at most "
			 "%d per user)", uid, CTL_CLIENTS_PER_UID);
		break;
	case CTL_ADMIT_FULL:
		snprintf(buf, len, "xend is full (%u connections); try again "
			 "later", total);
		break;
	}
	return buf;
}

static unsigned count_uid(const struct ctl_server *s, uid_t uid)
{
	unsigned n = 0;

	for (const struct ctl_client *c = s->clients; c; c = c->next)
		n += c->uid == uid;
	return n;
}

/* Let the client of @cr in, or refuse it saying why; true if admitted. */
static bool admit(struct ctl_server *s, int fd, const struct ucred *cr)
{
	enum ctl_admit a = ctl_admit(cr->uid, s->nclients,
				     count_uid(s, cr->uid));
	char why[CTL_ERROR_MAX];

	if (a == CTL_ADMIT_OK)
		return true;
	ctl_admit_error(a, cr->uid, s->nclients, why, sizeof(why));
	log_warn("control: refused uid %u pid %d: %s", cr->uid, (int)cr->pid,
		 why);
	refuse(fd, why);
	return false;
}

/* Arm the idle timer for @when (monotonic ms; 0 disarms) unless it is
 * armed for that already. */
static void timer_arm(struct ctl_server *s, uint64_t when)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(when / 1000),
			      .tv_nsec = (long)(when % 1000) * 1000000 },
	};

	if (when == s->timer_ms)
		return;
	if (timerfd_settime(s->timerfd, TFD_TIMER_ABSTIME, &its, NULL)) {
		log_warn("control: idle timer: %s", strerror(errno));
		return;
	}
	s->timer_ms = when;
}

/* Accept one client; false when there is nothing more to accept. */
static bool server_accept(struct ctl_server *s, uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);
	struct ctl_client *c;
	struct ucred cr;
	int fd;

	fd = accept4(s->fd, (struct sockaddr *)&peer, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	if (!peer_allowed(s, fd, &cr)) {
		refuse(fd, "permission denied");
		return true;
	}
	if (!admit(s, fd, &cr))
		return true;
	c = calloc(1, sizeof(*c));
	if (!c) {
		refuse(fd, "out of memory");
		return true;
	}
	c->ev.type = XEND_EV_CLIENT;
	c->srv = s;
	c->fd = fd;
	c->uid = cr.uid;
	c->pid = cr.pid;
	c->active_ms = now;
	c->events = EPOLLIN;
	ev.data.ptr = &c->ev;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		free(c);
		return true;
	}
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	if (!s->timer_ms && s->idle_ms)
		timer_arm(s, now + s->idle_ms);
	return true;
}

/* Is @c's socket ready for what xend waits on (input, or room for our
 * output), so that the delay is xend's, not the client's? */
static bool xend_late(const struct ctl_client *c)
{
	struct pollfd p = { .fd = c->fd, .events = (short)c->events };

	return poll(&p, 1, 0) > 0 && (p.revents & p.events);
}

/* Close @c, idle since c->active_ms, saying what it was doing. */
static void close_idle(struct ctl_client *c, uint64_t now)
{
	unsigned long long s = (now - c->active_ms) / 1000;
	const char *what = "idle";

	if (c->outlen > c->outoff)
		what = "not reading its replies";
	else if (c->inlen)
		what = "idle in the middle of a request";
	log_info("control: closed uid %u pid %d: %s for %llu s", c->uid,
		 (int)c->pid, what, s);
	client_close(c);
}

/* ctl_server_expire() - see control.h. */
uint64_t ctl_server_expire(struct ctl_server *s, uint64_t now)
{
	struct ctl_client *c, *next;
	uint64_t first = 0, due;

	if (!s->idle_ms)
		return 0;
	for (c = s->clients; c; c = next) {
		next = c->next;
		due = c->active_ms + s->idle_ms;
		if (due <= now && xend_late(c)) {
			/* the delay is xend's (a handler or other clients
			 * kept it busy): the event is handled in this or
			 * the next batch */
			c->active_ms = now;
			due = now + s->idle_ms;
		} else if (due <= now) {
			close_idle(c, now);
			continue;
		}
		if (!first || due < first)
			first = due;
	}
	return first;
}

/* The idle timer fired: close who is idle, arm for the next deadline. */
static void timer_event(struct ctl_server *s, uint64_t now)
{
	uint64_t ticks;

	if (read(s->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("control: idle timer: %s", strerror(errno));
	s->timer_ms = 0;
	timer_arm(s, ctl_server_expire(s, now));
}

/* ctl_now_ms() - see control.h. */
uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ctl_server_event() - see control.h. */
void ctl_server_event(struct ctl_server *s, struct xend_evsrc *src,
		      uint32_t events)
{
	ctl_server_event_at(s, src, events, ctl_now_ms());
}

/* ctl_server_event_at() - see control.h. */
void ctl_server_event_at(struct ctl_server *s, struct xend_evsrc *src,
			 uint32_t events, uint64_t now)
{
	struct ctl_client *c;

	switch (src->type) {
	case XEND_EV_LISTEN:
		for (unsigned i = 0; i < 16 && server_accept(s, now); i++)
			;
		return;
	case XEND_EV_CTL_TIMER:
		timer_event(s, now);
		return;
	case XEND_EV_CLIENT:
		break;
	default:
		return;
	}
	c = (struct ctl_client *)src;
	if (events & EPOLLERR) {
		client_close(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP))
		client_read(c, now);
	client_update(c, now);
}

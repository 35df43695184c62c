// SPDX-License-Identifier: GPL-2.0-or-later
/* metrics.c - xend's metrics endpoint: a minimal HTTP/1.0 server (see
 * metrics.h for the limits and a connection's states)
 *
 * One timerfd serves every client's deadline: it is armed for the
 * earliest one whenever a client comes or the timer fires. A deadline is
 * set once, at accept, and never moves, so a client that goes early only
 * makes the timer fire for nobody.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

#define METRICS_BACKLOG		16
#define METRICS_ACCEPT_BURST	16	/* accepts per listen event */
#define METRICS_DRAIN_BURST	4	/* reads per event while CLOSING */

enum client_state {
	READING,
	WRITING,
	CLOSING,
};

struct metrics_client {
	struct xend_evsrc ev;		/* XEND_EV_METRICS_CLIENT; first */
	struct metrics_server *srv;
	int fd;
	enum client_state state;
	uint64_t deadline_ms;
	char in[METRICS_REQ_MAX];
	size_t inlen;
	char *out;			/* the whole response */
	size_t outlen, outoff;
	unsigned slot;			/* in srv->clients[] */
};

struct metrics_server {
	struct xend_evsrc ev;		/* XEND_EV_METRICS_LISTEN; first */
	struct xend_evsrc timer_ev;	/* XEND_EV_METRICS_TIMER */
	int fd, timerfd, epfd;
	char *path;			/* a Unix socket's, to unlink; or NULL */
	uint64_t timer_ms;		/* the deadline armed; 0: none */
	metrics_render_fn render;
	void *ctx;
	struct metrics_client *clients[METRICS_CLIENTS_MAX];	/* NULL: free */
	unsigned nclients;
};

/* ---- requests ---- */

static const char *memmem_str(const char *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s));
}

/* Where the head ends (the byte after its empty line), or NULL. */
static const char *head_end(const char *buf, size_t len)
{
	const char *crlf = memmem_str(buf, len, "\r\n\r\n");
	const char *lf = memmem_str(buf, len, "\n\n");

	if (crlf && (!lf || crlf + 2 <= lf))
		return crlf + 4;
	return lf ? lf + 2 : NULL;
}

static bool token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Header lines from @p to @end: "Name: value", no folding, no controls
 * but TAB. True if they are well formed. */
static bool headers_ok(const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;

		if (!nl)
			return false;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return true;		/* the empty line */
		while (q < nl && token_char(*q))
			q++;
		if (q == p || *q != ':')
			return false;
		for (; q < nl; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t' &&
			    !(*q == '\r' && q + 1 == nl))
				return false;
		p = nl + 1;
	}
	return false;
}

/* The request line "METHOD SP TARGET SP VERSION" of @len bytes. */
static enum metrics_req request_line(const char *s, size_t len)
{
	const char *sp1 = memchr(s, ' ', len), *sp2, *end = s + len;
	size_t mlen, tlen, plen = strlen(METRICS_PATH);

	if (!sp1 || sp1 == s)
		return METRICS_REQ_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
		return METRICS_REQ_BAD;
	if ((size_t)(end - sp2 - 1) != 8 || (memcmp(sp2 + 1, "HTTP/1.0", 8) &&
					     memcmp(sp2 + 1, "HTTP/1.1", 8)))
		return METRICS_REQ_BAD;
	mlen = (size_t)(sp1 - s);
	for (size_t i = 0; i < mlen; i++)
		if (!token_char(s[i]))
			return METRICS_REQ_BAD;
	tlen = (size_t)(sp2 - sp1 - 1);
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)sp1[1 + i] <= 0x20 ||
		    (unsigned char)sp1[1 + i] >= 0x7f)
			return METRICS_REQ_BAD;
	if (tlen < plen || memcmp(sp1 + 1, METRICS_PATH, plen) ||
	    (tlen > plen && sp1[1 + plen] != '?'))
		return METRICS_REQ_NOT_FOUND;
	if (mlen == 3 && !memcmp(s, "GET", 3))
		return METRICS_REQ_GET;
	if (mlen == 4 && !memcmp(s, "HEAD", 4))
		return METRICS_REQ_HEAD;
	return METRICS_REQ_METHOD;
}

/* metrics_parse() - see metrics.h. */
enum metrics_req metrics_parse(const char *buf, size_t len)
{
	const char *end = head_end(buf, len);
	const char *nl;
	size_t llen;

	if (memchr(buf, '\0', len))
		return METRICS_REQ_BAD;
	if (!end)
		return len >= METRICS_REQ_MAX ? METRICS_REQ_TOO_BIG :
						METRICS_REQ_MORE;
	if ((size_t)(end - buf) > METRICS_REQ_MAX)
		return METRICS_REQ_TOO_BIG;
	nl = memchr(buf, '\n', (size_t)(end - buf));
	llen = (size_t)(nl - buf);
	if (llen && buf[llen - 1] == '\r')
		llen--;
	if (!headers_ok(nl + 1, end))
		return METRICS_REQ_BAD;
	return request_line(buf, llen);
}

/* metrics_status() - see metrics.h. */
int metrics_status(enum metrics_req r)
{
	switch (r) {
	case METRICS_REQ_MORE:		return 0;
	case METRICS_REQ_GET:
	case METRICS_REQ_HEAD:		return 200;
	case METRICS_REQ_BAD:		return 400;
	case METRICS_REQ_NOT_FOUND:	return 404;
	case METRICS_REQ_METHOD:	return 405;
	case METRICS_REQ_TOO_BIG:	return 431;
	}
	return 400;
}

/* ---- addresses ---- */

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v == 0 || v > 65535)
		return -EINVAL;
	*port = htons((uint16_t)v);
	return 0;
}

static int parse_unix(const char *path, struct sockaddr_storage *sa,
		      socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)sa;

	if (!*path || strlen(path) >= sizeof(un->sun_path))
		return -EINVAL;
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	*len = sizeof(*un);
	return 0;
}

/* metrics_addr_parse() - see metrics.h. */
int metrics_addr_parse(const char *spec, struct sockaddr_storage *sa,
		       socklen_t *len)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	char host[INET6_ADDRSTRLEN];
	const char *colon;
	size_t hlen;

	memset(sa, 0, sizeof(*sa));
	if (!strncmp(spec, "unix:", 5))
		return parse_unix(spec + 5, sa, len);
	if (*spec == '[') {
		colon = strstr(spec, "]:");
		hlen = colon ? (size_t)(colon - spec - 1) : 0;
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		return parse_port(colon + 2, &in6->sin6_port);
	}
	colon = strrchr(spec, ':');
	hlen = colon ? (size_t)(colon - spec) : 0;
	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	in->sin_family = AF_INET;
	*len = sizeof(*in);
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -EINVAL;
	return parse_port(colon + 1, &in->sin_port);
}

/* ---- the server ---- */

static int listen_inet(const struct sockaddr_storage *sa, socklen_t len)
{
	int one = 1, fd, ret;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (sa->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)sa, len) ||
	    listen(fd, METRICS_BACKLOG)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int epoll_watch(int epfd, int fd, uint32_t events,
		       struct xend_evsrc *src, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, op, fd, &ev) ? -errno : 0;
}

static int server_listen(struct metrics_server *s, const char *spec,
			 gid_t gid)
{
	struct sockaddr_storage sa;
	socklen_t len = 0;

	if (metrics_addr_parse(spec, &sa, &len))
		return -EINVAL;
	if (sa.ss_family != AF_UNIX)
		return listen_inet(&sa, len);
	s->path = strdup(((struct sockaddr_un *)&sa)->sun_path);
	if (!s->path)
		return -ENOMEM;
	return ctl_listen_unix(s->path, gid);
}

/* metrics_server_new() - see metrics.h. */
struct metrics_server *metrics_server_new(const char *spec, gid_t gid,
					  int epfd, metrics_render_fn render,
					  void *ctx)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	int ret = -ENOMEM;

	if (!s)
		goto fail;
	s->ev.type = XEND_EV_METRICS_LISTEN;
	s->timer_ev.type = XEND_EV_METRICS_TIMER;
	s->epfd = epfd;
	s->render = render;
	s->ctx = ctx;
	s->fd = ret = server_listen(s, spec, gid);
	if (ret < 0)
		goto fail;
	s->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timerfd < 0) {
		ret = -errno;
		goto fail_listen;
	}
	ret = epoll_watch(epfd, s->timerfd, EPOLLIN, &s->timer_ev,
			  EPOLL_CTL_ADD);
	if (ret)
		goto fail_timer;
	ret = epoll_watch(epfd, s->fd, EPOLLIN, &s->ev, EPOLL_CTL_ADD);
	if (ret)
		goto fail_timer_ev;
	return s;

fail_timer_ev:
	epoll_ctl(epfd, EPOLL_CTL_DEL, s->timerfd, NULL);
fail_timer:
	close(s->timerfd);
fail_listen:
	close(s->fd);
	if (s->path)
		unlink(s->path);
fail:
	if (s)
		free(s->path);
	free(s);
	errno = -ret;
	return NULL;
}

static void client_close(struct metrics_client *c)
{
	struct metrics_server *s = c->srv;

	s->clients[c->slot] = NULL;
	s->nclients--;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

/* metrics_server_free() - see metrics.h. */
void metrics_server_free(struct metrics_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < METRICS_CLIENTS_MAX; i++)
		if (s->clients[i])
			client_close(s->clients[i]);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->timerfd, NULL);
	close(s->timerfd);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s);
}

/* metrics_server_clients() - see metrics.h. */
unsigned metrics_server_clients(const struct metrics_server *s)
{
	return s->nclients;
}

/* Arm the timer for the earliest deadline of a client (or disarm). */
static void timer_arm(struct metrics_server *s)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t when = 0;

	for (unsigned i = 0; i < METRICS_CLIENTS_MAX; i++) {
		const struct metrics_client *c = s->clients[i];

		if (c && (!when || c->deadline_ms < when))
			when = c->deadline_ms;
	}
	if (when == s->timer_ms)
		return;
	its.it_value.tv_sec = (time_t)(when / 1000);
	its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	if (timerfd_settime(s->timerfd, TFD_TIMER_ABSTIME, &its, NULL)) {
		log_warn("metrics: timer: %s", strerror(errno));
		return;
	}
	s->timer_ms = when;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default:  return "Internal Server Error";
	}
}

/* A response of @status with @body (@blen bytes; sent unless @head_only)
 * into a new buffer, *@len bytes. NULL when out of memory. */
static char *response(int status, const char *type, const char *body,
		      size_t blen, bool head_only, size_t *len)
{
	char head[256];
	int hlen;
	char *out;

	hlen = snprintf(head, sizeof(head),
			"HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
			"Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
			status, reason_phrase(status), type, blen,
			status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (hlen < 0 || (size_t)hlen >= sizeof(head))
		return NULL;
	if (head_only)
		blen = 0;
	out = malloc((size_t)hlen + blen);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)hlen);
	if (blen)
		memcpy(out + hlen, body, blen);
	*len = (size_t)hlen + blen;
	return out;
}

/* An error response: its reason phrase as a plain text body. */
static char *error_response(int status, size_t *len)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status,
			 reason_phrase(status));

	return response(status, "text/plain; charset=utf-8", body, (size_t)n,
			false, len);
}

/* The response to request @r: the metrics, or an error. */
static char *answer(struct metrics_server *s, enum metrics_req r, size_t *len)
{
	struct prom p;
	char *out;
	int ret;

	if (r != METRICS_REQ_GET && r != METRICS_REQ_HEAD)
		return error_response(metrics_status(r), len);
	prom_init(&p);
	ret = s->render(s->ctx, &p);
	if (!ret)
		ret = prom_error(&p);
	if (ret) {
		log_warn("metrics: cannot render: %s", strerror(-ret));
		prom_release(&p);
		return error_response(500, len);
	}
	out = response(200, PROM_CONTENT_TYPE, p.buf ? p.buf : "", p.len,
		       r == METRICS_REQ_HEAD, len);
	prom_release(&p);
	return out;
}

/* Send what the socket takes; then shut our side and drain (CLOSING).
 * 0, or -errno when the client is to be closed. */
static int client_write(struct metrics_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->state = CLOSING;
	if (shutdown(c->fd, SHUT_WR))
		return -errno;
	return epoll_watch(c->srv->epfd, c->fd, EPOLLIN, &c->ev,
			   EPOLL_CTL_MOD);
}

/* Answer @r and start writing. 0 or -errno. */
static int client_respond(struct metrics_client *c, enum metrics_req r)
{
	log_debug("metrics: request answered %d", metrics_status(r));
	c->out = answer(c->srv, r, &c->outlen);
	if (!c->out)
		return -ENOMEM;
	c->outoff = 0;
	c->state = WRITING;
	if (epoll_watch(c->srv->epfd, c->fd, EPOLLOUT, &c->ev, EPOLL_CTL_MOD))
		return -errno;
	return client_write(c);
}

/* Read what came of the head; answer once it is judged. 0 or -errno. */
static int client_read(struct metrics_client *c)
{
	enum metrics_req r;
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;	/* gone before a whole request */
	c->inlen += (size_t)n;
	r = metrics_parse(c->in, c->inlen);
	return r == METRICS_REQ_MORE ? 0 : client_respond(c, r);
}

/* CLOSING: drop what the client still sends; -ECONNRESET at its end. */
static int client_drain(struct metrics_client *c)
{
	for (int i = 0; i < METRICS_DRAIN_BURST; i++) {
		ssize_t n = recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -ECONNRESET;
		if (n < 0)
			return 0;
	}
	return 0;
}

static void client_event(struct metrics_client *c, uint32_t events)
{
	int ret = 0;

	if (events & EPOLLERR)
		ret = -EIO;
	else if (c->state == READING)
		ret = client_read(c);
	else if (c->state == WRITING)
		ret = client_write(c);
	else
		ret = client_drain(c);
	if (ret)
		client_close(c);
}

/* Turn a connection away at once: 503, no reading. */
static void refuse(int fd)
{
	size_t len = 0;
	char *out = error_response(503, &len);

	if (out && send(fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("metrics: refusing a client: %s", strerror(errno));
	free(out);
	close(fd);
}

/* Accept one client; false when there is nothing more to accept. */
static bool server_accept(struct metrics_server *s, uint64_t now)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct metrics_client *c;
	unsigned slot = 0;
	int fd = accept4(s->fd, (struct sockaddr *)&peer, &len,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	while (slot < METRICS_CLIENTS_MAX && s->clients[slot])
		slot++;
	if (slot == METRICS_CLIENTS_MAX) {
		log_debug("metrics: %u clients already: refused one",
			  s->nclients);
		refuse(fd);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return true;
	}
	c->ev.type = XEND_EV_METRICS_CLIENT;
	c->srv = s;
	c->fd = fd;
	c->state = READING;
	c->deadline_ms = now + METRICS_TIMEOUT_MS;
	if (epoll_watch(s->epfd, fd, EPOLLIN, &c->ev, EPOLL_CTL_ADD)) {
		close(fd);
		free(c);
		return true;
	}
	c->slot = slot;
	s->clients[slot] = c;
	s->nclients++;
	return true;
}

/* metrics_server_expire() - see metrics.h. */
void metrics_server_expire(struct metrics_server *s, uint64_t now)
{
	for (unsigned i = 0; i < METRICS_CLIENTS_MAX; i++) {
		struct metrics_client *c = s->clients[i];

		if (!c || c->deadline_ms > now)
			continue;
		log_debug("metrics: closed a client at its deadline (%s)",
			  c->state == READING ? "no whole request" :
			  c->state == WRITING ? "not reading" : "not closing");
		client_close(c);
	}
	timer_arm(s);
}

/* The timer fired: close the clients past their deadline. */
static void timer_event(struct metrics_server *s, uint64_t now)
{
	uint64_t ticks;

	if (read(s->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("metrics: timer: %s", strerror(errno));
	s->timer_ms = 0;
	metrics_server_expire(s, now);
}

/* metrics_server_event() - see metrics.h. */
void metrics_server_event(struct metrics_server *s, struct xend_evsrc *src,
			  uint32_t events)
{
	metrics_server_event_at(s, src, events, ctl_now_ms());
}

/* metrics_server_event_at() - see metrics.h. */
void metrics_server_event_at(struct metrics_server *s,
			     struct xend_evsrc *src, uint32_t events,
			     uint64_t now)
{
	switch (src->type) {
	case XEND_EV_METRICS_LISTEN:
		for (unsigned i = 0; i < METRICS_ACCEPT_BURST &&
				     server_accept(s, now); i++)
			;
		break;
	case XEND_EV_METRICS_TIMER:
		timer_event(s, now);
		break;
	case XEND_EV_METRICS_CLIENT:
		client_event((struct metrics_client *)src, events);
		break;
	default:
		return;
	}
	timer_arm(s);
}

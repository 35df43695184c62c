/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.h - xend's metrics endpoint: a minimal HTTP/1.0 server
 *
 * Off unless `xend --metrics ADDR` asks for it. It serves one resource,
 * GET (or HEAD) /metrics, whose body a render callback writes in the
 * Prometheus text format (promtext.h); anything else gets 400, 404, 405
 * or 431 and every connection is closed after its one response.
 *
 * It runs in xend's control loop, non-blocking, never on the data-plane
 * thread: every fd it owns is in the caller's epoll set with a struct
 * xend_evsrc (XEND_EV_METRICS_*) that the main loop hands back to
 * metrics_server_event(). A client cannot hold xend or its memory:
 *   - a request head is at most METRICS_REQ_MAX bytes (431 beyond);
 *   - at most METRICS_CLIENTS_MAX connections at once (503 beyond);
 *   - a connection lives at most METRICS_TIMEOUT_MS from accept to close,
 *     however it trickles its bytes (slowloris) or reads the response.
 *
 * A connection goes through these states:
 *   READING   bytes of the head are read; metrics_parse() decides.
 *   WRITING   the response (header and body, made at once) is sent as the
 *             socket takes it (EPOLLOUT).
 *   CLOSING   the response is out and our side shut down; what the client
 *             still sends is read and dropped until it closes, so our
 *             close never resets a response it has not read yet.
 * and in any state is closed at its deadline.
 */
#ifndef XENO_METRICS_H
#define XENO_METRICS_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "control.h"
#include "promtext.h"

#define METRICS_REQ_MAX		4096	/* request line and headers, bytes */
#define METRICS_CLIENTS_MAX	16	/* connections at once */
#define METRICS_TIMEOUT_MS	5000	/* a connection's whole life */
#define METRICS_PATH		"/metrics"

/* What a request head asks for (metrics_parse()). */
enum metrics_req {
	METRICS_REQ_MORE,		/* incomplete: read on */
	METRICS_REQ_GET,		/* GET /metrics: 200 and the body */
	METRICS_REQ_HEAD,		/* HEAD /metrics: 200, no body */
	METRICS_REQ_BAD,		/* 400: not an HTTP/1.x request */
	METRICS_REQ_NOT_FOUND,		/* 404: a path other than /metrics */
	METRICS_REQ_METHOD,		/* 405: a method other than GET/HEAD */
	METRICS_REQ_TOO_BIG,		/* 431: no end of head in the limit */
};

/* metrics_parse() - judge the @len bytes a client sent so far: a request
 * line "METHOD SP TARGET SP HTTP/1.x" and header lines "Name: value",
 * ended by an empty line (CRLF or LF). A query string on the target is
 * ignored. Pure: what the tests and the fuzzer call. */
enum metrics_req metrics_parse(const char *buf, size_t len);

/* metrics_status() - the HTTP status code answering @r (0 for MORE). */
int metrics_status(enum metrics_req r);

/* metrics_addr_parse() - "unix:PATH", "A.B.C.D:PORT" or "[IPv6]:PORT"
 * (numeric only) into @sa and @len. 0 or -EINVAL. */
int metrics_addr_parse(const char *spec, struct sockaddr_storage *sa,
		       socklen_t *len);

/* Writes the body of GET /metrics into @out: 0, or -errno for a 500. */
typedef int (*metrics_render_fn)(void *ctx, struct prom *out);

struct metrics_server;

/* metrics_server_new() - listen on @spec (metrics_addr_parse(); a Unix
 * socket gets mode 0660 and group @gid, as the control socket) and put
 * the listening fd and a timer in @epfd. @render gets @ctx. Returns NULL
 * with errno set (EINVAL for a bad @spec, EADDRINUSE, ...). */
struct metrics_server *metrics_server_new(const char *spec, gid_t gid,
					  int epfd, metrics_render_fn render,
					  void *ctx);

/* metrics_server_free() - close every client and the socket (a Unix
 * socket is unlinked). Accepts NULL. */
void metrics_server_free(struct metrics_server *s);

/* metrics_server_event() - handle epoll @events on @src (one of the
 * XEND_EV_METRICS_* sources) at the current CLOCK_MONOTONIC time. Never
 * fails: a broken client is closed. */
void metrics_server_event(struct metrics_server *s, struct xend_evsrc *src,
			  uint32_t events);

/* metrics_server_event_at() - the same at @now_ms (monotonic ms): what
 * tests call with a virtual clock. */
void metrics_server_event_at(struct metrics_server *s,
			     struct xend_evsrc *src, uint32_t events,
			     uint64_t now_ms);

/* metrics_server_expire() - close every client past its deadline at
 * @now_ms (what the timer does when it fires). */
void metrics_server_expire(struct metrics_server *s, uint64_t now_ms);

/* metrics_server_clients() - connections open now. */
unsigned metrics_server_clients(const struct metrics_server *s);

#endif /* XENO_METRICS_H */

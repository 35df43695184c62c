/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.h - xend's control socket (JSON lines) and xend's log
 *
 * The server listens on a Unix stream socket, accepts clients whose
 * credentials pass (root, xend's uid, or a member of the socket's group),
 * splits their input into lines of at most CTL_LINE_MAX bytes, parses each
 * line as one JSON object and dispatches on its "cmd" string through a
 * table of struct ctl_cmd. The handler validates its fields with the
 * ctl_get_*() helpers, which write an error naming the bad field, and adds
 * its reply fields; the server adds "ok" and writes one line back.
 * Protocol: docs/control-protocol.md.
 *
 * Every fd the server puts in the caller's epoll set carries a pointer to
 * a struct xend_evsrc in epoll_event.data.ptr; the main loop switches on
 * its type and gives the XEND_EV_LISTEN, XEND_EV_CLIENT and
 * XEND_EV_CTL_TIMER events back to ctl_server_event().
 *
 * Connections are limited (ctl_admit()): CTL_CLIENTS_MAX in all, of which
 * the last CTL_CLIENTS_ROOT are for root only, and at most
 * CTL_CLIENTS_PER_UID for each other uid; a client refused gets one error
 * line. A client that moves no bytes either way for the idle timeout is
 * closed.
 */
#ifndef XENO_CONTROL_H
#define XENO_CONTROL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_LINE_MAX		65536	/* request bytes, '\n' excluded */
#define CTL_CLIENTS_MAX		128	/* connections at once, root's included */
#define CTL_CLIENTS_ROOT	8	/* of those, kept for uid 0 */
#define CTL_CLIENTS_PER_UID	16	/* connections of one non-root uid */
#define CTL_IDLE_TIMEOUT_DEFAULT 60	/* seconds; ctl_server_set_idle_timeout() */
#define CTL_ERROR_MAX		256

/* ---- log ---- */

enum xend_log_level {
	XEND_LOG_ERR,
	XEND_LOG_WARN,
	XEND_LOG_INFO,
	XEND_LOG_DEBUG,
};

/* xend_log_setup() - log to syslog (@syslog) or stderr, dropping messages
 * above @level. Before the first call: stderr, level info. */
void xend_log_setup(bool use_syslog, enum xend_log_level level);

/* xend_log_reopen() - close and reopen the log (SIGHUP). */
void xend_log_reopen(void);

/* xend_log_level_parse() - "error", "warn", "info" or "debug" to a level;
 * -EINVAL for anything else. */
int xend_log_level_parse(const char *s);

/* xend_log() - log one message (no trailing newline needed). */
void xend_log(enum xend_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	xend_log(XEND_LOG_ERR, __VA_ARGS__)
#define log_warn(...)	xend_log(XEND_LOG_WARN, __VA_ARGS__)
#define log_info(...)	xend_log(XEND_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	xend_log(XEND_LOG_DEBUG, __VA_ARGS__)

/* ---- event sources of the main loop ---- */

enum xend_ev {
	XEND_EV_LISTEN,		/* the control socket (ctl_server_event) */
	XEND_EV_CLIENT,		/* a control client (ctl_server_event) */
	XEND_EV_SIGNAL,		/* xend.c: the signalfd */
	XEND_EV_DOM0,		/* xend.c: dom0's netlink socket */
	XEND_EV_DP,		/* xend.c: the data plane reports failed ports */
	XEND_EV_DOMAIN,		/* xend.c: a domain's process exited */
	XEND_EV_CONSOLE,	/* xend.c: console output (xcons.c) */
	XEND_EV_INIT,		/* xend.c: a netns domain's init exited */
	XEND_EV_TICK,		/* xend.c: once a second (xcons.c reconnects) */
	XEND_EV_CONSOLE_LISTEN,	/* xend.c: a console's attach socket */
	XEND_EV_CONSOLE_CLIENT,	/* xend.c: a client attached to a console */
	XEND_EV_CTL_TIMER,	/* the idle timer of clients (ctl_server_event) */
	XEND_EV_METRICS_LISTEN,	/* the metrics endpoint (metrics_server_event) */
	XEND_EV_METRICS_CLIENT,	/* a metrics client (metrics_server_event) */
	XEND_EV_METRICS_TIMER,	/* metrics clients' deadlines (same) */
	XEND_EV_CAPTURE,	/* vifcap.c: a capture's client */
	XEND_EV_CAPTURE_TIMER,	/* vifcap.c: the captures' drain timer */
};

/* The first member of anything registered in the main epoll set. */
struct xend_evsrc {
	enum xend_ev type;
};

/* ---- requests ---- */

/* ctl_handoff_fn - takes over a client's connection after its reply: @fd
 * (the caller's from now on, to close) with @len bytes of output the
 * server had not written yet (the reply line, at least), to be sent
 * first. With @fd -1 the connection is gone before it could be handed
 * over: give up what was prepared. Returns 0, or -errno to have the
 * server close @fd. */
typedef int (*ctl_handoff_fn)(void *arg, int fd, const char *pending,
			      size_t len);

/* One request being handled. @msg is the parsed request object, @reply
 * the object the handler adds its fields to; both belong to the server.
 * @fd is the client's socket (-1 for a request that came from no
 * connection: ctl_dispatch_line()). A handler whose reply starts a stream
 * on the connection sets @handoff (only on success, and only with @fd >=
 * 0): the server then writes the reply and gives the connection to it,
 * taking no more requests from that client. */
struct ctl_req {
	json_object *msg;
	json_object *reply;
	char error[CTL_ERROR_MAX];
	int fd;
	ctl_handoff_fn handoff;
	void *handoff_arg;
};

/* A command handler: 0 on success (reply filled), -1 after ctl_fail(). */
typedef int (*ctl_handler)(void *ctx, struct ctl_req *req);

struct ctl_cmd {
	const char *name;
	ctl_handler fn;
	void (*after)(void *ctx);	/* run once @fn succeeded; may be NULL
					 * (xend: write the state file) */
};

/* ctl_fail() - set the request's error message; returns -1 so handlers
 * can `return ctl_fail(req, ...)`. */
int ctl_fail(struct ctl_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Field getters. @obj is the JSON object holding @key (the request itself
 * or a nested object); @path prefixes the field name in error messages
 * ("" or e.g. "config.vifs[1]."). With @required false an absent (or
 * JSON null) field leaves *@out untouched. Each returns 0, or -1 with
 * the request's error set naming the field. */
int ctl_get_uint(struct ctl_req *req, json_object *obj, const char *path,
		 const char *key, bool required, uint64_t max, uint64_t *out);
int ctl_get_u32(struct ctl_req *req, json_object *obj, const char *path,
		const char *key, bool required, uint32_t max, uint32_t *out);
int ctl_get_string(struct ctl_req *req, json_object *obj, const char *path,
		   const char *key, bool required, size_t maxlen,
		   const char **out);
int ctl_get_bool(struct ctl_req *req, json_object *obj, const char *path,
		 const char *key, bool required, bool *out);
int ctl_get_typed(struct ctl_req *req, json_object *obj, const char *path,
		  const char *key, bool required, json_type type,
		  json_object **out);

/* ---- the server ---- */

struct ctl_server;

/* ctl_server_new() - create the socket's directory (0755) if needed,
 * refuse (-EADDRINUSE) if another server answers on @path, replace a
 * stale socket, bind and listen with mode 0660 and group @group (NULL:
 * xend's group), and register the listening fd in @epfd. @cmds ends with
 * a {NULL, NULL} entry; handlers get @ctx. Returns NULL with errno set. */
struct ctl_server *ctl_server_new(const char *path, const char *group,
				  int epfd, const struct ctl_cmd *cmds,
				  void *ctx);

/* ctl_server_free() - close every client and the socket, unlink it.
 * Accepts NULL. */
void ctl_server_free(struct ctl_server *s);

/* ctl_server_set_idle_timeout() - close clients that move no bytes for
 * @seconds (0: never). Default CTL_IDLE_TIMEOUT_DEFAULT. Takes effect for
 * the next deadline the server computes. */
void ctl_server_set_idle_timeout(struct ctl_server *s, unsigned seconds);

/* ctl_server_event() - handle epoll @events on @src (XEND_EV_LISTEN,
 * XEND_EV_CLIENT or XEND_EV_CTL_TIMER): ctl_server_event_at() at the
 * current CLOCK_MONOTONIC time. Never fails: a broken client is closed. */
void ctl_server_event(struct ctl_server *s, struct xend_evsrc *src,
		      uint32_t events);

/* ctl_server_event_at() - ctl_server_event() at time @now_ms (monotonic
 * milliseconds, as ctl_server_expire() takes): what tests call with a
 * virtual clock. */
void ctl_server_event_at(struct ctl_server *s, struct xend_evsrc *src,
			 uint32_t events, uint64_t now_ms);

/* ctl_server_expire() - close every client idle for the timeout at
 * @now_ms, logging each. A client whose socket is ready for what xend
 * waits on (its request is there, or room for pending replies: xend was
 * busy elsewhere) is not idle; its clock restarts. Returns the next deadline of a
 * client still open, or 0 if there is none (or no timeout). */
uint64_t ctl_server_expire(struct ctl_server *s, uint64_t now_ms);

/* ctl_now_ms() - the clock of the main loop's deadlines: CLOCK_MONOTONIC
 * in milliseconds (the *_event_at() functions take it as @now). */
uint64_t ctl_now_ms(void);

/* Whether a new connection may stay (ctl_admit()). */
enum ctl_admit {
	CTL_ADMIT_OK,
	CTL_ADMIT_UID_FULL,	/* the uid has CTL_CLIENTS_PER_UID already */
	CTL_ADMIT_FULL,		/* no slot left that this uid may take */
};

/* ctl_admit() - may a client of @uid connect while @total clients are
 * open, @of_uid of them with @uid? Root may use all CTL_CLIENTS_MAX slots;
 * any other uid only the first CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT, and at
 * most CTL_CLIENTS_PER_UID of them. Pure. */
enum ctl_admit ctl_admit(uint32_t uid, unsigned total, unsigned of_uid);

/* ctl_admit_error() - the error line's text for a refusal @a of @uid
 * (with @total clients open) into @buf; returns @buf. */
char *ctl_admit_error(enum ctl_admit a, uint32_t uid, unsigned total,
		      char *buf, size_t len);

/* ctl_listen_unix() - create @path's directory (0755) if needed, refuse
 * (-EADDRINUSE) if a server answers on @path, replace a stale socket, and
 * bind and listen there, non-blocking, with mode 0660 and group @gid.
 * Returns the fd or -errno. The control socket's and the metrics'. */
int ctl_listen_unix(const char *path, gid_t gid);

/* ctl_dispatch_line() - handle one request line and return the reply
 * line (malloc'd, '\n' terminated). Exposed for tests and fuzzing. */
char *ctl_dispatch_line(const struct ctl_cmd *cmds, void *ctx,
			const char *line, size_t len);

#endif /* XENO_CONTROL_H */

// SPDX-License-Identifier: GPL-2.0-or-later
/* test_control.c - xend's control socket: the request dispatcher (every
 * malformed line gets one error reply), the field getters through a tiny
 * command table, the admission policy (ctl_admit) and the server's limits
 * and idle timeout on a real socket with a virtual clock. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control.h"

/* ---- a command table of our own ---- */

/* echo: n (u32 <= 100, required), s (string <= 8), b (bool), o (object),
 * big (uint <= 2^40); replies with what it got. */
static int cmd_echo(void *ctx, struct ctl_req *req)
{
	uint32_t n = 0;
	uint64_t big = 0;
	const char *s = NULL;
	bool b = false;
	json_object *o = NULL;

	(void)ctx;
	if (ctl_get_u32(req, req->msg, "", "n", true, 100, &n) ||
	    ctl_get_string(req, req->msg, "", "s", false, 8, &s) ||
	    ctl_get_bool(req, req->msg, "", "b", false, &b) ||
	    ctl_get_typed(req, req->msg, "", "o", false, json_type_object,
			  &o) ||
	    ctl_get_uint(req, req->msg, "", "big", false, 1ULL << 40, &big))
		return -1;
	if (o && ctl_get_u32(req, o, "o.", "x", true, 7, &n))
		return -1;
	json_object_object_add(req->reply, "n", json_object_new_int64(n));
	if (s)
		json_object_object_add(req->reply, "s",
				       json_object_new_string(s));
	return 0;
}

static int cmd_fail(void *ctx, struct ctl_req *req)
{
	(void)ctx;
	return ctl_fail(req, "boom %d", 7);
}

static int cmd_silent(void *ctx, struct ctl_req *req)
{
	(void)ctx;
	(void)req;
	return -1;
}

static int cmd_ping(void *ctx, struct ctl_req *req)
{
	(void)ctx;
	json_object_object_add(req->reply, "version",
			       json_object_new_string("test"));
	return 0;
}

static const struct ctl_cmd cmds[] = {
	{ "echo", cmd_echo },
	{ "fail", cmd_fail },
	{ "silent", cmd_silent },
	{ "ping", cmd_ping },
	{ NULL, NULL },
};

/* Dispatch @len bytes of @line; the reply, parsed (caller puts it). The
 * reply line must be one object and end in exactly one newline. */
static json_object *dispatch(const char *line, size_t len)
{
	char *r = ctl_dispatch_line(cmds, NULL, line, len);
	json_object *o;
	size_t n;

	assert_non_null(r);
	n = strlen(r);
	assert_true(n >= 2 && r[n - 1] == '\n');
	assert_null(memchr(r, '\n', n - 1));
	o = json_tokener_parse(r);
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	free(r);
	return o;
}

/* Assert @line gets exactly {"ok": false, "error": @want}, or an error
 * starting with @want when it ends in '*' (json-c's own words vary with
 * its version). */
static void expect_error_len(const char *line, size_t len, const char *want)
{
	json_object *o = dispatch(line, len), *ok, *err;

	assert_true(json_object_object_get_ex(o, "ok", &ok));
	assert_true(json_object_is_type(ok, json_type_boolean));
	assert_false(json_object_get_boolean(ok));
	assert_true(json_object_object_get_ex(o, "error", &err));
	assert_true(json_object_is_type(err, json_type_string));
	assert_int_equal(json_object_object_length(o), 2);
	if (want[strlen(want) - 1] == '*' ?
	    strncmp(json_object_get_string(err), want, strlen(want) - 1) :
	    strcmp(json_object_get_string(err), want))
		fail_msg("%s: got error '%s', want '%s'", line,
			 json_object_get_string(err), want);
	json_object_put(o);
}

static void expect_error(const char *line, const char *want)
{
	expect_error_len(line, strlen(line), want);
}

/* Assert @line succeeds; returns the reply (caller puts it). */
static json_object *expect_ok(const char *line)
{
	json_object *o = dispatch(line, strlen(line)), *ok;

	assert_true(json_object_object_get_ex(o, "ok", &ok));
	if (!json_object_get_boolean(ok))
		fail_msg("%s: %s", line, json_object_to_json_string(o));
	return o;
}

/* ---- the dispatcher ---- */

static void test_not_json(void **state)
{
	(void)state;
	expect_error("this is not json", "invalid JSON: *");
	expect_error("{\"cmd\": \"echo\"", "invalid JSON: unexpected end of input");
	expect_error("{\"cmd\": \"echo\", \"n\": 1} xyz", "invalid JSON: *");
	expect_error("{\"cmd\": \"echo\", \"n\": 1}{}", "invalid JSON: *");
	expect_error("{\"cmd\": \"\xff\xfe\"}", "invalid JSON: *");
	expect_error("{'cmd': 'ping'}", "invalid JSON: *");
	expect_error("4 2", "invalid JSON: *");
	expect_error("", "invalid JSON: unexpected end of input");
	/* positive control: trailing blanks are fine */
	json_object_put(expect_ok("{\"cmd\": \"ping\"}  \r"));
}

static void test_not_an_object(void **state)
{
	(void)state;
	expect_error("[\"ping\"]", "request must be a JSON object");
	expect_error("\"ping\"", "request must be a JSON object");
	expect_error("42", "request must be a JSON object");
	expect_error("true", "request must be a JSON object");
	expect_error("null", "request must be a JSON object");
}

static void test_bad_cmd(void **state)
{
	char line[200];

	(void)state;
	expect_error("{}", "missing field 'cmd'");
	expect_error("{\"command\": \"ping\"}", "missing field 'cmd'");
	expect_error("{\"cmd\": null}", "missing field 'cmd'");
	expect_error("{\"cmd\": 7}",
		     "field 'cmd' must be a string, not an integer");
	expect_error("{\"cmd\": [\"ping\"]}",
		     "field 'cmd' must be a string, not an array");
	expect_error("{\"cmd\": {\"x\": 1}}",
		     "field 'cmd' must be a string, not an object");
	expect_error("{\"cmd\": true}",
		     "field 'cmd' must be a string, not a boolean");
	expect_error("{\"cmd\": \"frobnicate\"}", "unknown command 'frobnicate'");
	expect_error("{\"cmd\": \"\"}", "unknown command ''");
	expect_error("{\"cmd\": \"PING\"}", "unknown command 'PING'");
	snprintf(line, sizeof(line), "{\"cmd\": \"%065d\"}", 0);
	expect_error(line, "field 'cmd' longer than 64 bytes");
	/* positive control: the same shape with a known command */
	json_object_put(expect_ok("{\"cmd\": \"ping\"}"));
	json_object_put(expect_ok(" {\"cmd\": \"ping\"}\t\r"));
}

static void test_nul_bytes(void **state)
{
	static const char raw[] = "{\"cmd\": \"pi\0ng\"}";

	(void)state;
	expect_error_len(raw, sizeof(raw) - 1, "request contains a NUL byte");
	expect_error_len("\0", 1, "request contains a NUL byte");
	expect_error("{\"cmd\": \"pi\\u0000ng\"}",
		     "field 'cmd' contains a NUL byte");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"s\": \"a\\u0000b\"}",
		     "echo: field 's' contains a NUL byte");
}

static void test_nesting(void **state)
{
	size_t depth = 30000, len = 2 * depth + 40;
	char *line = malloc(len + 1), *p = line;

	(void)state;
	assert_non_null(line);
	p += sprintf(p, "{\"cmd\": \"ping\", \"x\": ");
	memset(p, '[', depth);
	p += depth;
	memset(p, ']', depth);
	p += depth;
	strcpy(p, "}");
	expect_error(line, "invalid JSON: *");	/* nesting too deep */
	free(line);
	/* positive control: a little nesting is fine */
	json_object_put(expect_ok("{\"cmd\": \"ping\", \"x\": [[[{}]]]}"));
}

static void test_field_types(void **state)
{
	json_object *o, *v;

	(void)state;
	expect_error("{\"cmd\": \"echo\"}", "echo: missing field 'n'");
	expect_error("{\"cmd\": \"echo\", \"n\": null}", "echo: missing field 'n'");
	expect_error("{\"cmd\": \"echo\", \"n\": \"1\"}",
		     "echo: field 'n' must be an integer, not a string");
	expect_error("{\"cmd\": \"echo\", \"n\": 1.5}",
		     "echo: field 'n' must be an integer, not a number");
	expect_error("{\"cmd\": \"echo\", \"n\": true}",
		     "echo: field 'n' must be an integer, not a boolean");
	expect_error("{\"cmd\": \"echo\", \"n\": [1]}",
		     "echo: field 'n' must be an integer, not an array");
	expect_error("{\"cmd\": \"echo\", \"n\": -1}",
		     "echo: field 'n' must not be negative");
	expect_error("{\"cmd\": \"echo\", \"n\": 101}",
		     "echo: field 'n' out of range (0..100)");
	expect_error("{\"cmd\": \"echo\", \"n\": 99999999999999999999999}",
		     "echo: field 'n' out of range (0..100)");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"s\": 5}",
		     "echo: field 's' must be a string, not an integer");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"s\": \"123456789\"}",
		     "echo: field 's' longer than 8 bytes");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"b\": \"yes\"}",
		     "echo: field 'b' must be a boolean, not a string");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"o\": []}",
		     "echo: field 'o' must be an object, not an array");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"o\": {}}",
		     "echo: missing field 'o.x'");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"o\": {\"x\": 8}}",
		     "echo: field 'o.x' out of range (0..7)");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"big\": 1099511627777}",
		     "echo: field 'big' out of range (0..1099511627776)");
	expect_error("{\"cmd\": \"echo\", \"n\": 1, \"big\": 1e400}",
		     "echo: field 'big' must be an integer, not a number");
	/* handler errors carry the command's name */
	expect_error("{\"cmd\": \"fail\"}", "fail: boom 7");
	expect_error("{\"cmd\": \"silent\"}", "silent: failed");

	/* positive controls: the same fields, right */
	o = expect_ok("{\"cmd\": \"echo\", \"n\": 100, \"s\": \"12345678\", "
		      "\"b\": false, \"o\": {\"x\": 7}, \"big\": 1099511627776, "
		      "\"unknown\": [1, 2]}");
	assert_true(json_object_object_get_ex(o, "n", &v));
	assert_int_equal(json_object_get_int64(v), 7);	/* o.x wins */
	assert_true(json_object_object_get_ex(o, "s", &v));
	assert_string_equal(json_object_get_string(v), "12345678");
	json_object_put(o);
	o = expect_ok("{\"cmd\": \"echo\", \"n\": 0, \"s\": null, \"o\": null}");
	assert_false(json_object_object_get_ex(o, "s", NULL));
	json_object_put(o);
}

/* ---- the admission policy ---- */

static void test_admit_root(void **state)
{
	(void)state;
	assert_int_equal(ctl_admit(0, 0, 0), CTL_ADMIT_OK);
	assert_int_equal(ctl_admit(0, CTL_CLIENTS_MAX - 1, 0), CTL_ADMIT_OK);
	/* root has no per-uid limit, and may use the reserved slots */
	assert_int_equal(ctl_admit(0, CTL_CLIENTS_MAX - 1, CTL_CLIENTS_MAX - 1),
			 CTL_ADMIT_OK);
	assert_int_equal(ctl_admit(0, CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT, 0),
			 CTL_ADMIT_OK);
	assert_int_equal(ctl_admit(0, CTL_CLIENTS_MAX, 0), CTL_ADMIT_FULL);
}

static void test_admit_user(void **state)
{
	unsigned shared = CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT;

	(void)state;
	assert_int_equal(ctl_admit(1000, 0, 0), CTL_ADMIT_OK);
	assert_int_equal(ctl_admit(1000, 0, CTL_CLIENTS_PER_UID - 1),
			 CTL_ADMIT_OK);
	assert_int_equal(ctl_admit(1000, 0, CTL_CLIENTS_PER_UID),
			 CTL_ADMIT_UID_FULL);
	assert_int_equal(ctl_admit(1000, shared - 1, 0), CTL_ADMIT_OK);
	assert_int_equal(ctl_admit(1000, shared, 0), CTL_ADMIT_FULL);
	assert_int_equal(ctl_admit(1000, CTL_CLIENTS_MAX, 0), CTL_ADMIT_FULL);
	/* a uid at its own limit is told so, whatever the total */
	assert_int_equal(ctl_admit(1000, CTL_CLIENTS_MAX, CTL_CLIENTS_PER_UID),
			 CTL_ADMIT_UID_FULL);
	/* xend's own group or uid is no exception: only uid 0 is */
	assert_int_equal(ctl_admit(1, shared, 0), CTL_ADMIT_FULL);
}

/* Many uids connect one after the other, as many times as they may: no
 * uid gets more than its share, the shared slots fill up, and root still
 * gets in, CTL_CLIENTS_ROOT times. */
static void test_admit_crowd(void **state)
{
	unsigned total = 0, per[40] = { 0 }, root = 0;

	(void)state;
	for (uint32_t uid = 1000; uid < 1040; uid++)
		while (ctl_admit(uid, total, per[uid - 1000]) == CTL_ADMIT_OK) {
			per[uid - 1000]++;
			total++;
		}
	for (unsigned i = 0; i < 40; i++)
		assert_true(per[i] <= CTL_CLIENTS_PER_UID);
	assert_int_equal(per[0], CTL_CLIENTS_PER_UID);
	assert_int_equal(total, CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT);
	assert_int_equal(ctl_admit(2000, total, 0), CTL_ADMIT_FULL);
	assert_int_equal(ctl_admit(1000, total, per[0]), CTL_ADMIT_UID_FULL);
	while (ctl_admit(0, total, root) == CTL_ADMIT_OK) {
		root++;
		total++;
	}
	assert_int_equal(root, CTL_CLIENTS_ROOT);
}

static void test_admit_error(void **state)
{
	char buf[CTL_ERROR_MAX];

	(void)state;
	assert_string_equal(ctl_admit_error(CTL_ADMIT_UID_FULL, 1234, 50, buf,
					    sizeof(buf)),
			    "too many connections from uid 1234 (at most 16 "
			    "per user)");
	assert_string_equal(ctl_admit_error(CTL_ADMIT_FULL, 1234, 120, buf,
					    sizeof(buf)),
			    "xend is full (120 connections); try again later");
}

/* ---- the server, on a real socket, with a virtual clock ---- */

struct bed {
	char dir[64], path[128];
	int epfd;
	struct ctl_server *srv;
};

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int bed_setup(void **state)
{
	struct bed *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	strcpy(b->dir, "/tmp/test_control.XXXXXX");
	*state = b;		/* bed_teardown() frees it, also on failure */
	if (!mkdtemp(b->dir))
		return -1;
	snprintf(b->path, sizeof(b->path), "%s/xend.sock", b->dir);
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	b->srv = ctl_server_new(b->path, NULL, b->epfd, cmds, NULL);
	if (b->epfd < 0 || !b->srv)
		return -1;
	ctl_server_set_idle_timeout(b->srv, 10);
	*state = b;
	return 0;
}

static int bed_teardown(void **state)
{
	struct bed *b = *state;

	if (!b)
		return 0;
	ctl_server_free(b->srv);
	if (b->epfd >= 0)
		close(b->epfd);
	rmdir(b->dir);
	free(b);
	return 0;
}

/* Hand the server its events at virtual time @now until it has none. */
static void pump(struct bed *b, uint64_t now)
{
	struct epoll_event evs[32];
	int n;

	for (int round = 0; round < 100; round++) {
		n = epoll_wait(b->epfd, evs, 32, round ? 0 : 20);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			ctl_server_event_at(b->srv, evs[i].data.ptr,
					    evs[i].events, now);
	}
}

static int connect_to(struct bed *b)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, b->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* What the server sent @fd so far: "" (nothing yet), the line(s), with
 * "<EOF>" appended once it closed. */
static const char *peek(int fd)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (n == 0 || (n < 0 && errno != EAGAIN))
		strncat(buf, "<EOF>", sizeof(buf) - 1 - len);
	return buf;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void test_idle_closed(void **state)
{
	struct bed *b = *state;
	uint64_t t0 = real_ms();
	int idle, busy;

	idle = connect_to(b);
	busy = connect_to(b);
	pump(b, t0);
	/* busy asks something half-way, and finishes its line later */
	send_str(busy, "{\"cmd\": ");
	pump(b, t0 + 6000);
	assert_string_equal(peek(busy), "");
	assert_int_equal(ctl_server_expire(b->srv, t0 + 9999), t0 + 10000);
	assert_string_equal(peek(idle), "");
	assert_int_equal(ctl_server_expire(b->srv, t0 + 10000), t0 + 16000);
	assert_string_equal(peek(idle), "<EOF>");
	/* positive control: the client in the middle of a request stays */
	assert_string_equal(peek(busy), "");
	send_str(busy, "\"ping\"}\n");
	pump(b, t0 + 12000);
	assert_string_equal(peek(busy), "{\"ok\":true,\"version\":\"test\"}\n");
	assert_int_equal(ctl_server_expire(b->srv, t0 + 21999), t0 + 22000);
	assert_string_equal(peek(busy), "");
	assert_int_equal(ctl_server_expire(b->srv, t0 + 22000), 0);
	assert_string_equal(peek(busy), "<EOF>");
	close(idle);
	close(busy);
}

/* A request that waits in the socket while xend was busy elsewhere does
 * not make its client idle, even when the timer comes first. */
static void test_idle_fair(void **state)
{
	struct bed *b = *state;
	uint64_t t0 = real_ms();
	int late, idle;

	late = connect_to(b);
	idle = connect_to(b);
	pump(b, t0);
	send_str(late, "{\"cmd\": \"ping\"}\n");
	/* no pump: xend has not read it when the deadline passes */
	assert_int_equal(ctl_server_expire(b->srv, t0 + 10000), t0 + 20000);
	assert_string_equal(peek(idle), "<EOF>");	/* control */
	pump(b, t0 + 10000);
	assert_string_equal(peek(late), "{\"ok\":true,\"version\":\"test\"}\n");
	close(late);
	close(idle);
}

/* A client that does not read its replies makes no progress: it is
 * closed like an idle one. */
static void test_idle_not_reading(void **state)
{
	struct bed *b = *state;
	uint64_t t0 = real_ms();
	char req[4096];
	size_t off = 0;
	int fd;

	fd = connect_to(b);
	pump(b, t0);
	/* pipelined pings until xend's output backs up */
	for (int i = 0; i < 100; i++)
		off += (size_t)sprintf(req + off, "{\"cmd\":\"ping\"}\n");
	for (int i = 0; i < 400; i++) {
		if (send(fd, req, off, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
		pump(b, t0 + 1000);
	}
	assert_int_equal(ctl_server_expire(b->srv, t0 + 10999), t0 + 11000);
	assert_int_equal(ctl_server_expire(b->srv, t0 + 11000), 0);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void test_idle_disabled(void **state)
{
	struct bed *b = *state;
	uint64_t t0 = real_ms();
	int fd;

	ctl_server_set_idle_timeout(b->srv, 0);
	fd = connect_to(b);
	pump(b, t0);
	assert_int_equal(ctl_server_expire(b->srv, t0 + 86400000), 0);
	assert_string_equal(peek(fd), "");
	send_str(fd, "{\"cmd\": \"ping\"}\n");
	pump(b, t0 + 86400000);
	assert_string_equal(peek(fd), "{\"ok\":true,\"version\":\"test\"}\n");
	close(fd);
}

/* The timer itself, on the real clock (1 s). */
static void test_idle_timer(void **state)
{
	struct bed *b = *state;
	uint64_t end;
	int fd, fresh;

	ctl_server_set_idle_timeout(b->srv, 1);
	fd = connect_to(b);
	pump(b, real_ms());
	end = real_ms() + 3000;
	while (!strstr(peek(fd), "<EOF>") && real_ms() < end)
		pump(b, real_ms());
	assert_string_equal(peek(fd), "<EOF>");
	/* and the server still serves */
	fresh = connect_to(b);
	send_str(fresh, "{\"cmd\": \"ping\"}\n");
	pump(b, real_ms());
	assert_string_equal(peek(fresh), "{\"ok\":true,\"version\":\"test\"}\n");
	close(fd);
	close(fresh);
}

static void test_overlong_line(void **state)
{
	struct bed *b = *state;
	size_t len = CTL_LINE_MAX + 1, off = 0;
	char *line = malloc(len);
	const char *got;
	int fd, ok;
	ssize_t n;

	assert_non_null(line);
	memset(line, 'a', len);
	fd = connect_to(b);
	ok = connect_to(b);
	pump(b, real_ms());
	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			fail_msg("send: %s", strerror(errno));
		if (n > 0)
			off += (size_t)n;
		pump(b, real_ms());
	}
	pump(b, real_ms());
	got = peek(fd);
	assert_string_equal(got, "{\"ok\":false,\"error\":\"request line "
			    "longer than 65536 bytes\"}\n<EOF>");
	send_str(ok, "{\"cmd\": \"ping\"}\n");	/* positive control */
	pump(b, real_ms());
	assert_string_equal(peek(ok), "{\"ok\":true,\"version\":\"test\"}\n");
	close(fd);
	close(ok);
	free(line);
}

/* As root, all CTL_CLIENTS_MAX slots can be used; one more is refused
 * with "xend is full", and a slot given back is usable again. (The per-uid
 * limit needs other uids: tests/net/test_xend_75_clients.py.) */
static void test_full(void **state)
{
	struct bed *b = *state;
	char want[CTL_ERROR_MAX + 32];
	int fds[CTL_CLIENTS_MAX], extra;

	(void)state;
	if (geteuid() != 0)
		skip();
	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		fds[i] = connect_to(b);
		pump(b, real_ms());
	}
	send_str(fds[CTL_CLIENTS_MAX - 1], "{\"cmd\": \"ping\"}\n");
	extra = connect_to(b);
	pump(b, real_ms());
	assert_string_equal(peek(fds[CTL_CLIENTS_MAX - 1]),
			    "{\"ok\":true,\"version\":\"test\"}\n");
	snprintf(want, sizeof(want), "{\"ok\":false,\"error\":\"xend is full "
		 "(%d connections); try again later\"}\n<EOF>", CTL_CLIENTS_MAX);
	assert_string_equal(peek(extra), want);
	close(extra);
	close(fds[0]);
	pump(b, real_ms());
	extra = connect_to(b);
	send_str(extra, "{\"cmd\": \"ping\"}\n");
	pump(b, real_ms());
	assert_string_equal(peek(extra), "{\"ok\":true,\"version\":\"test\"}\n");
	close(extra);
	for (int i = 1; i < CTL_CLIENTS_MAX; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_bad_cmd),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_field_types),
		cmocka_unit_test(test_admit_root),
		cmocka_unit_test(test_admit_user),
		cmocka_unit_test(test_admit_crowd),
		cmocka_unit_test(test_admit_error),
		cmocka_unit_test_setup_teardown(test_idle_closed, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_idle_fair, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_idle_not_reading,
						bed_setup, bed_teardown),
		cmocka_unit_test_setup_teardown(test_idle_disabled, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_idle_timer, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_full, bed_setup,
						bed_teardown),
	};

	xend_log_setup(false, XEND_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

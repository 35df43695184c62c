// SPDX-License-Identifier: GPL-2.0-or-later
/* test_metrics.c - the metrics endpoint: the Prometheus text writer
 * (escaping, names, a family listed once), the HTTP request parser
 * (partial, oversized, wrong path or method, malformed), the address
 * parser, and the server on a real Unix socket with a virtual clock
 * (a request in pieces, the limits, the deadline). */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "promtext.h"

/* ---- the writer ---- */

static void test_prom_document(void **state)
{
	struct prom p;
	struct prom_label l[2] = { { "domain", "1" }, { "name", "web" } };
	struct prom_label r = { "reason", "spoof_mac" };

	(void)state;
	prom_init(&p);
	assert_int_equal(prom_family(&p, "xeno_x_total", PROM_COUNTER,
				     "Frames."), 0);
	assert_int_equal(prom_u64(&p, l, 2, 18446744073709551615ULL), 0);
	assert_int_equal(prom_u64(&p, &r, 1, 0), 0);
	assert_int_equal(prom_family(&p, "xeno_y", PROM_GAUGE, "Credit."), 0);
	assert_int_equal(prom_i64(&p, NULL, 0, -1500), 0);
	assert_int_equal(prom_family(&p, "xeno_z_seconds", PROM_GAUGE, "P."),
			 0);
	assert_int_equal(prom_micro(&p, NULL, 0, 100000), 0);
	assert_int_equal(prom_micro(&p, NULL, 0, 1000000000), 0);
	assert_int_equal(prom_error(&p), 0);
	assert_string_equal(p.buf,
		"# HELP xeno_x_total Frames.\n"
		"# TYPE xeno_x_total counter\n"
		"xeno_x_total{domain=\"1\",name=\"web\"} 18446744073709551615\n"
		"xeno_x_total{reason=\"spoof_mac\"} 0\n"
		"# HELP xeno_y Credit.\n"
		"# TYPE xeno_y gauge\n"
		"xeno_y -1500\n"
		"# HELP xeno_z_seconds P.\n"
		"# TYPE xeno_z_seconds gauge\n"
		"xeno_z_seconds 0.100000\n"
		"xeno_z_seconds 1000.000000\n");
	assert_int_equal(p.len, strlen(p.buf));
	prom_release(&p);
	assert_null(p.buf);
}

/* Label values escape \, " and newline; HELP escapes \ and newline, and
 * leaves quotes as they are. */
static void test_prom_escaping(void **state)
{
	struct prom p;
	struct prom_label l = { "ifname", "a\"b\\c\nd" };

	(void)state;
	prom_init(&p);
	prom_family(&p, "m", PROM_GAUGE, "say \"hi\" \\ then\nmore");
	prom_u64(&p, &l, 1, 7);
	assert_int_equal(prom_error(&p), 0);
	assert_string_equal(p.buf,
		"# HELP m say \"hi\" \\\\ then\\nmore\n"
		"# TYPE m gauge\n"
		"m{ifname=\"a\\\"b\\\\c\\nd\"} 7\n");
	prom_release(&p);
}

/* A family is written once; a second one of the same name is refused
 * and the error sticks. */
static void test_prom_family_once(void **state)
{
	struct prom p;
	size_t len;

	(void)state;
	prom_init(&p);
	assert_int_equal(prom_family(&p, "a_total", PROM_COUNTER, "A."), 0);
	assert_int_equal(prom_u64(&p, NULL, 0, 1), 0);
	assert_int_equal(prom_family(&p, "b", PROM_GAUGE, "B."), 0);
	len = p.len;
	assert_int_equal(prom_family(&p, "a_total", PROM_COUNTER, "A."),
			 -EEXIST);
	assert_int_equal(prom_u64(&p, NULL, 0, 2), -EEXIST);
	assert_int_equal(prom_family(&p, "c", PROM_GAUGE, "C."), -EEXIST);
	assert_int_equal(p.len, len);	/* nothing written after the error */
	prom_release(&p);
}

static void test_prom_names(void **state)
{
	static const char *const bad_metrics[] = {
		"", "1abc", "a-b", "a b", "a\"", "\xc3\xa9",
	};
	static const char *const bad_labels[] = {
		"", "1a", "a:b", "__name__", "a-b",
	};
	struct prom p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_metrics) / sizeof(*bad_metrics);
	     i++) {
		prom_init(&p);
		assert_int_equal(prom_family(&p, bad_metrics[i], PROM_GAUGE,
					     ""), -EINVAL);
		prom_release(&p);
	}
	for (size_t i = 0; i < sizeof(bad_labels) / sizeof(*bad_labels);
	     i++) {
		struct prom_label l = { bad_labels[i], "v" };

		prom_init(&p);
		assert_int_equal(prom_family(&p, "ns:good_Name_1", PROM_GAUGE,
					     ""), 0);
		assert_int_equal(prom_u64(&p, &l, 1, 1), -EINVAL);
		prom_release(&p);
	}
	/* a sample needs a family */
	prom_init(&p);
	assert_int_equal(prom_u64(&p, NULL, 0, 1), -EINVAL);
	prom_release(&p);
}

/* ---- the request parser ---- */

#define GOOD	"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"

static enum metrics_req parse(const char *s)
{
	return metrics_parse(s, strlen(s));
}

/* Every prefix of a good request wants more; the whole is a GET. */
static void test_parse_partial(void **state)
{
	(void)state;
	for (size_t n = 0; n < strlen(GOOD); n++)
		assert_int_equal(metrics_parse(GOOD, n), METRICS_REQ_MORE);
	assert_int_equal(parse(GOOD), METRICS_REQ_GET);
	assert_int_equal(parse("GET /metrics HTTP/1.0\n\n"), METRICS_REQ_GET);
	assert_int_equal(parse("GET /metrics HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_GET);
	assert_int_equal(parse("GET /metrics?x=1 HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_GET);
	assert_int_equal(parse("HEAD /metrics HTTP/1.1\r\nA: b\r\n\r\n"),
			 METRICS_REQ_HEAD);
	assert_int_equal(metrics_status(METRICS_REQ_GET), 200);
	assert_int_equal(metrics_status(METRICS_REQ_MORE), 0);
}

/* @len bytes of a head that never ends: a request line, then one long
 * header. */
static void junk_head(char *buf, size_t len)
{
	int n = snprintf(buf, len, "GET /metrics HTTP/1.0\r\nX: ");

	memset(buf + n, 'a', len - (size_t)n);
}

static void test_parse_oversized(void **state)
{
	char *big = malloc(METRICS_REQ_MAX + 64);

	(void)state;
	assert_non_null(big);
	junk_head(big, METRICS_REQ_MAX + 64);
	assert_int_equal(metrics_parse(big, METRICS_REQ_MAX - 1),
			 METRICS_REQ_MORE);
	assert_int_equal(metrics_parse(big, METRICS_REQ_MAX),
			 METRICS_REQ_TOO_BIG);
	big[METRICS_REQ_MAX + 10] = big[METRICS_REQ_MAX + 12] = '\r';
	big[METRICS_REQ_MAX + 11] = big[METRICS_REQ_MAX + 13] = '\n';
	assert_int_equal(metrics_parse(big, METRICS_REQ_MAX + 14),
			 METRICS_REQ_TOO_BIG);
	assert_int_equal(metrics_status(METRICS_REQ_TOO_BIG), 431);
	free(big);
}

static void test_parse_path_method(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_NOT_FOUND);
	assert_int_equal(parse("GET /metricsx HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_NOT_FOUND);
	assert_int_equal(parse("GET /metrics/ HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_NOT_FOUND);
	assert_int_equal(parse("GET /Metrics HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_NOT_FOUND);
	assert_int_equal(parse("POST /metrics HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_METHOD);
	assert_int_equal(parse("get /metrics HTTP/1.0\r\n\r\n"),
			 METRICS_REQ_METHOD);
	assert_int_equal(metrics_status(METRICS_REQ_NOT_FOUND), 404);
	assert_int_equal(metrics_status(METRICS_REQ_METHOD), 405);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"GET\r\n\r\n",
		"GET /metrics\r\n\r\n",			/* HTTP/0.9 */
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"G(T /metrics HTTP/1.1\r\n\r\n",
		"GET /met\x01rics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nA: b\rc\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (parse(bad[i]) != METRICS_REQ_BAD)
			fail_msg("not 400: %s", bad[i]);
	}
	/* a NUL byte anywhere, even before the head is whole */
	assert_int_equal(metrics_parse("GET /\0", 6), METRICS_REQ_BAD);
	assert_int_equal(metrics_status(METRICS_REQ_BAD), 400);
}

static void test_addr_parse(void **state)
{
	static const char *const bad[] = {
		"", "unix:", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:x", "localhost:9477", ":9477",
		"[::1]", "[::1]:", "::1:9477", "[nope]:1", "1.2.3.4:-1",
	};
	struct sockaddr_storage sa;
	struct sockaddr_in *in = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
	socklen_t len;

	(void)state;
	assert_int_equal(metrics_addr_parse("unix:/run/x/m.sock", &sa, &len),
			 0);
	assert_int_equal(sa.ss_family, AF_UNIX);
	assert_string_equal(((struct sockaddr_un *)&sa)->sun_path,
			    "/run/x/m.sock");
	assert_int_equal(metrics_addr_parse("127.0.0.1:9477", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9477);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(metrics_addr_parse("[::1]:80", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 80);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (metrics_addr_parse(bad[i], &sa, &len) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
}

/* ---- the server ---- */

struct bed {
	char dir[64], path[128];
	int epfd;
	struct metrics_server *srv;
	int fail;			/* render fails with this */
	unsigned renders;
	uint64_t now;			/* the virtual clock, ms */
};

static int render(void *ctx, struct prom *out)
{
	struct bed *b = ctx;

	b->renders++;
	if (b->fail)
		return b->fail;
	prom_family(out, "xeno_test_total", PROM_COUNTER, "A test.");
	prom_u64(out, NULL, 0, 42);
	return prom_error(out);
}

static int bed_setup(void **state)
{
	struct bed *b = calloc(1, sizeof(*b));
	char spec[160];

	assert_non_null(b);
	strcpy(b->dir, "/tmp/xeno-test-metrics-XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	snprintf(b->path, sizeof(b->path), "%s/m.sock", b->dir);
	snprintf(spec, sizeof(spec), "unix:%s", b->path);
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(b->epfd >= 0);
	b->srv = metrics_server_new(spec, getegid(), b->epfd, render, b);
	assert_non_null(b->srv);
	b->now = 1000000;
	*state = b;
	return 0;
}

static int bed_teardown(void **state)
{
	struct bed *b = *state;

	metrics_server_free(b->srv);
	assert_int_equal(access(b->path, F_OK), -1);	/* unlinked */
	close(b->epfd);
	rmdir(b->dir);
	free(b);
	return 0;
}

/* Handle what is ready, at the virtual clock. */
static void pump(struct bed *b)
{
	struct epoll_event ev[16];
	int n;

	for (int round = 0; round < 8; round++) {
		n = epoll_wait(b->epfd, ev, 16, 20);
		for (int i = 0; i < n; i++)
			metrics_server_event_at(b->srv, ev[i].data.ptr,
						ev[i].events, b->now);
	}
}

static int connect_to(const struct bed *b)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, b->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL),
			 (ssize_t)strlen(s));
}

/* What the server sent on @fd so far, and "<EOF>" once it closed. */
static const char *peek(int fd)
{
	static char buf[8192];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 8) {
		n = recv(fd, buf + len, sizeof(buf) - 8 - len, MSG_DONTWAIT);
		if (n == 0) {
			strcpy(buf + len, "<EOF>");
			return buf;
		}
		if (n < 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static void test_server_get(void **state)
{
	struct bed *b = *state;
	int fd = connect_to(b);

	pump(b);
	send_str(fd, "GET /metr");		/* a request in pieces */
	pump(b);
	send_str(fd, "ics HTTP/1.0\r\nUser-Agent: t\r\n");
	pump(b);
	assert_int_equal(b->renders, 0);
	assert_int_equal(metrics_server_clients(b->srv), 1);
	send_str(fd, "\r\n");
	pump(b);
	assert_string_equal(peek(fd),
		"HTTP/1.0 200 OK\r\n"
		"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		"Content-Length: 81\r\nConnection: close\r\n\r\n"
		"# HELP xeno_test_total A test.\n"
		"# TYPE xeno_test_total counter\n"
		"xeno_test_total 42\n<EOF>");
	close(fd);
	pump(b);
	assert_int_equal(metrics_server_clients(b->srv), 0);
}

static void test_server_errors(void **state)
{
	static const struct {
		const char *req, *status;
	} cases[] = {
		{ "GET /other HTTP/1.0\r\n\r\n", "HTTP/1.0 404 Not Found\r\n" },
		{ "PUT /metrics HTTP/1.0\r\n\r\n",
		  "HTTP/1.0 405 Method Not Allowed\r\n" },
		{ "hello\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n" },
	};
	struct bed *b = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int fd = connect_to(b);

		send_str(fd, cases[i].req);
		pump(b);
		assert_true(!strncmp(peek(fd), cases[i].status,
				     strlen(cases[i].status)));
		close(fd);
	}
	b->fail = -ENOMEM;
	{
		int fd = connect_to(b);

		send_str(fd, GOOD);
		pump(b);
		assert_true(!strncmp(peek(fd), "HTTP/1.0 500 ", 13));
		close(fd);
	}
	pump(b);
	assert_int_equal(b->renders, 1);	/* only for the good one */
}

/* An oversized head gets 431 and the connection ends; the server still
 * serves. */
static void test_server_oversized(void **state)
{
	struct bed *b = *state;
	char junk[METRICS_REQ_MAX + 16];
	int fd = connect_to(b), ok;
	const char *got;

	junk_head(junk, sizeof(junk));
	assert_int_equal(send(fd, junk, sizeof(junk), MSG_NOSIGNAL),
			 (ssize_t)sizeof(junk));
	pump(b);
	got = peek(fd);
	assert_true(!strncmp(got, "HTTP/1.0 431 ", 13));
	shutdown(fd, SHUT_WR);
	pump(b);
	assert_int_equal(metrics_server_clients(b->srv), 0);
	close(fd);
	ok = connect_to(b);			/* positive control */
	send_str(ok, GOOD);
	pump(b);
	assert_true(!strncmp(peek(ok), "HTTP/1.0 200 OK\r\n", 17));
	close(ok);
}

/* A client that sends nothing (or half a request) is closed at its
 * deadline, not before; so is one that never reads its response. */
static void test_server_deadline(void **state)
{
	struct bed *b = *state;
	int silent = connect_to(b), half = connect_to(b);

	pump(b);
	send_str(half, "GET /metrics HTTP/1.0\r\n");
	b->now += METRICS_TIMEOUT_MS - 1;
	pump(b);
	assert_int_equal(metrics_server_clients(b->srv), 2);
	metrics_server_expire(b->srv, b->now);
	assert_int_equal(metrics_server_clients(b->srv), 2);
	b->now += 1;
	metrics_server_expire(b->srv, b->now);	/* the timer at the deadline */
	assert_int_equal(metrics_server_clients(b->srv), 0);
	assert_string_equal(peek(silent), "<EOF>");
	assert_string_equal(peek(half), "<EOF>");
	close(silent);
	close(half);
}

/* METRICS_CLIENTS_MAX at once; one more gets 503; a slot given back is
 * usable again. */
static void test_server_full(void **state)
{
	struct bed *b = *state;
	int fds[METRICS_CLIENTS_MAX], extra;

	for (int i = 0; i < METRICS_CLIENTS_MAX; i++)
		fds[i] = connect_to(b);
	pump(b);
	assert_int_equal(metrics_server_clients(b->srv), METRICS_CLIENTS_MAX);
	extra = connect_to(b);
	pump(b);
	assert_true(!strncmp(peek(extra), "HTTP/1.0 503 ", 13));
	close(extra);
	close(fds[0]);
	pump(b);
	extra = connect_to(b);
	send_str(extra, GOOD);
	pump(b);
	assert_true(!strncmp(peek(extra), "HTTP/1.0 200 OK\r\n", 17));
	close(extra);
	for (int i = 1; i < METRICS_CLIENTS_MAX; i++)
		close(fds[i]);
	pump(b);
	assert_int_equal(metrics_server_clients(b->srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_document),
		cmocka_unit_test(test_prom_escaping),
		cmocka_unit_test(test_prom_family_once),
		cmocka_unit_test(test_prom_names),
		cmocka_unit_test(test_parse_partial),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_parse_path_method),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test_setup_teardown(test_server_get, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_server_errors, bed_setup,
						bed_teardown),
		cmocka_unit_test_setup_teardown(test_server_oversized,
						bed_setup, bed_teardown),
		cmocka_unit_test_setup_teardown(test_server_deadline,
						bed_setup, bed_teardown),
		cmocka_unit_test_setup_teardown(test_server_full, bed_setup,
						bed_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* test_client.c - the xend client (a forked fake xend on a Unix socket)
 * and xc_dom_control's argument checks and reply printers */

#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "client.h"

static char dir[64], sock[128], got[4096];
static char err[CLIENT_ERR_MAX];

#define HANG	"\1hang"
#define REFUSE	"\2"	/* prefix: write the rest at once, close unread */

/* Serve one connection: read a line, write @reply (in two parts, to test
 * reassembly), or close without a reply (NULL), or say nothing (HANG).
 * The request line is copied to got[] through a pipe. A @reply starting
 * with REFUSE is written as soon as the client connects and the
 * connection closed without reading, as xend refuses a client. */
static pid_t serve(const char *reply, int *pipe_rd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd, p[2];
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	strcpy(sa.sun_path, sock);
	unlink(sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid) {
		close(lfd);
		close(p[1]);
		*pipe_rd = p[0];
		return pid;
	}
	close(p[0]);
	fd = accept(lfd, NULL, NULL);
	if (reply && reply[0] == REFUSE[0]) {
		if (write(fd, reply + 1, strlen(reply + 1)) < 0)
			_exit(1);
		_exit(0);
	}
	while (fd >= 0 && n < sizeof(got) - 1 &&
	       (r = read(fd, got + n, sizeof(got) - 1 - n)) > 0) {
		n += (size_t)r;
		if (memchr(got, '\n', n))
			break;
	}
	if (write(p[1], got, n) < 0)
		_exit(1);
	if (reply && !strcmp(reply, HANG))
		sleep(3);
	else if (reply && write(fd, reply, strlen(reply) / 2) >= 0) {
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		if (write(fd, reply + strlen(reply) / 2,
			  strlen(reply) - strlen(reply) / 2) < 0)
			_exit(1);
	}
	_exit(0);
}

/* Run one call against a server answering @reply; returns client_call's
 * result, with the request the server saw in got[]. */
static int call(const char *reply, int timeout_ms, json_object **out)
{
	json_object *req = json_object_new_object();
	int rd, ret, status;
	ssize_t n;
	pid_t pid;

	json_object_object_add(req, "cmd", json_object_new_string("ping"));
	pid = serve(reply, &rd);
	ret = client_call(sock, req, timeout_ms, out, err, sizeof(err));
	json_object_put(req);
	memset(got, 0, sizeof(got));
	n = read(rd, got, sizeof(got) - 1);
	assert_true(n >= 0);
	close(rd);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ret;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_client.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/xend.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(sock);
	rmdir(dir);
	return 0;
}

static void test_socket_path(void **state)
{
	(void)state;
	unsetenv("XENO_SOCKET");
	assert_string_equal(client_socket_path(NULL), "/run/xeno/xend.sock");
	setenv("XENO_SOCKET", "", 1);
	assert_string_equal(client_socket_path(NULL), "/run/xeno/xend.sock");
	setenv("XENO_SOCKET", "/tmp/env.sock", 1);
	assert_string_equal(client_socket_path(NULL), "/tmp/env.sock");
	assert_string_equal(client_socket_path("/tmp/opt.sock"),
			    "/tmp/opt.sock");
	unsetenv("XENO_SOCKET");

	unsetenv("XENO_TIMEOUT");
	assert_int_equal(client_timeout_ms(), CLIENT_TIMEOUT_MS);
	setenv("XENO_TIMEOUT", "5", 1);
	assert_int_equal(client_timeout_ms(), 5000);
	setenv("XENO_TIMEOUT", "5x", 1);
	assert_int_equal(client_timeout_ms(), CLIENT_TIMEOUT_MS);
	unsetenv("XENO_TIMEOUT");
}

static void test_ok_reply(void **state)
{
	json_object *r = NULL;
	const char *e = NULL;

	(void)state;
	assert_int_equal(call("{\"ok\": true, \"version\": \"1\"}\n", 2000, &r),
			 0);
	assert_string_equal(got, "{\"cmd\":\"ping\"}\n");
	assert_true(client_reply_ok(r, &e));
	assert_null(e);
	json_object_put(r);
}

static void test_error_reply(void **state)
{
	json_object *r = NULL;
	const char *e = NULL;

	(void)state;
	assert_int_equal(call("{\"ok\":false,\"error\":\"unknown domain 9\"}\n",
			      2000, &r), 0);
	assert_false(client_reply_ok(r, &e));
	assert_string_equal(e, "unknown domain 9");
	json_object_put(r);
	assert_int_equal(call("{\"ok\":false}\n", 2000, &r), 0);
	assert_false(client_reply_ok(r, &e));
	assert_string_equal(e, "xend reported an error without a message");
	json_object_put(r);
}

static void test_unreachable(void **state)
{
	char path[200];
	json_object *req = json_object_new_object(), *r = (json_object *)1;

	(void)state;
	unlink(sock);
	assert_int_equal(client_call(sock, req, 1000, &r, err, sizeof(err)),
			 -ENOENT);
	assert_null(r);
	snprintf(path, sizeof(path), "cannot reach xend at %s: No such file "
		 "or directory", sock);
	assert_string_equal(err, path);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(client_call(path, req, 1000, &r, err, sizeof(err)),
			 -ENAMETOOLONG);
	assert_non_null(strstr(err, ": socket path too long"));
	json_object_put(req);
}

static void test_no_reply(void **state)
{
	char want[256];
	json_object *r = NULL;

	(void)state;
	assert_int_equal(call(NULL, 2000, &r), -ECONNRESET);
	snprintf(want, sizeof(want), "xend at %s closed the connection "
		 "without a reply", sock);
	assert_string_equal(err, want);
	assert_int_equal(call(HANG, 200, &r), -ETIMEDOUT);
	snprintf(want, sizeof(want), "no reply from xend at %s within 1 s",
		 sock);
	assert_string_equal(err, want);
	assert_null(r);
}

static void test_bad_reply(void **state)
{
	json_object *r = NULL;

	(void)state;
	assert_int_equal(call("{\"ok\": tru\n", 2000, &r), -EPROTO);
	assert_non_null(strstr(err, "sent a bad reply"));
	assert_int_equal(call("[1, 2]\n", 2000, &r), -EPROTO);
	assert_non_null(strstr(err, "sent a bad reply: not an object with "
			       "\"ok\""));
	assert_int_equal(call("{\"version\": 1}\n", 2000, &r), -EPROTO);
	assert_null(r);
	/* positive control: the same framing with "ok" passes */
	assert_int_equal(call("{\"ok\": true}\n", 2000, &r), 0);
	json_object_put(r);
}

#define REFUSED	"{\"ok\":false,\"error\":\"too many connections from " \
		"uid 1000 (at most 16 per user)\"}\n"

/* xend refused the connection (one error line, then close) before the
 * request went out: the client reports xend's error, not "Broken pipe".
 * A socketpair makes the order certain. */
static void test_refused_before_request(void **state)
{
	json_object *req = json_object_new_object(), *r = NULL;
	const char *e = NULL;
	int sv[2];

	(void)state;
	json_object_object_add(req, "cmd", json_object_new_string("list"));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], REFUSED, strlen(REFUSED)),
			 (ssize_t)strlen(REFUSED));
	close(sv[1]);
	assert_int_equal(client_exchange(sv[0], sock, req, 2000, &r, err,
					 sizeof(err)), 0);
	assert_false(client_reply_ok(r, &e));
	assert_string_equal(e, "too many connections from uid 1000 (at most "
			    "16 per user)");
	json_object_put(r);
	close(sv[0]);

	/* closed without a word: said so, still not "Broken pipe" */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(client_exchange(sv[0], sock, req, 2000, &r, err,
					 sizeof(err)), -ECONNRESET);
	assert_null(r);
	assert_non_null(strstr(err, "closed the connection without a reply"));
	close(sv[0]);
	json_object_put(req);
}

/* The same through client_call() against a server that refuses a client
 * whose request is bigger than the socket's buffer: the send fails part
 * of the way (EPIPE or ECONNRESET) whatever the timing. */
static void test_refused_mid_request(void **state)
{
	json_object *req = json_object_new_object(), *r = NULL;
	char *pad = malloc(4 << 20);
	const char *e = NULL;
	int rd, status;
	pid_t pid;

	(void)state;
	assert_non_null(pad);
	memset(pad, 'a', (4 << 20) - 1);
	pad[(4 << 20) - 1] = '\0';
	json_object_object_add(req, "cmd", json_object_new_string("list"));
	json_object_object_add(req, "pad", json_object_new_string(pad));
	free(pad);
	pid = serve(REFUSE REFUSED, &rd);
	assert_int_equal(client_call(sock, req, 2000, &r, err, sizeof(err)), 0);
	assert_false(client_reply_ok(r, &e));
	assert_string_equal(e, "too many connections from uid 1000 (at most "
			    "16 per user)");
	json_object_put(r);
	json_object_put(req);
	close(rd);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* ---- xc_dom_control's arguments and printers ---- */

static void test_cli_args(void **state)
{
	struct cli c = { .prog = "xc_dom_control", .cmd = "t" };
	int64_t v;
	char *p;

	(void)state;
	assert_int_equal(cli_arg_dom(&c, "3", &v), CLI_OK);
	assert_int_equal(v, 3);
	assert_int_equal(cli_arg_dom(&c, "0", &v), CLI_OK);
	assert_int_equal(cli_arg_dom(&c, "-1", &v), CLI_USAGE);
	assert_int_equal(cli_arg_dom(&c, "3x", &v), CLI_USAGE);
	assert_int_equal(cli_arg_dom(&c, "", &v), CLI_USAGE);
	assert_int_equal(cli_arg_dom(&c, "+3", &v), CLI_USAGE);
	assert_int_equal(cli_arg_int(&c, "cpu", "-1", -1, 8, &v), CLI_OK);
	assert_int_equal(v, -1);
	assert_int_equal(cli_arg_int(&c, "cpu", "9", -1, 8, &v), CLI_USAGE);
	assert_int_equal(cli_arg_path(&c, "/abs", &p), CLI_OK);
	assert_string_equal(p, "/abs");
	free(p);
	assert_int_equal(cli_arg_path(&c, "rel.sav", &p), CLI_OK);
	assert_true(p[0] == '/');
	assert_non_null(strstr(p, "/rel.sav"));
	free(p);
}

static char *print(void (*fn)(FILE *, json_object *), const char *json)
{
	json_object *o = json_tokener_parse(json);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(o);
	assert_non_null(f);
	fn(f, o);
	fclose(f);
	json_object_put(o);
	return buf;
}

static void test_print_list(void **state)
{
	char *s;

	(void)state;
	s = print(cli_print_list, "{\"ok\":true,\"domains\":["
		  "{\"dom\":0,\"name\":\"Domain-0\",\"mem_kb\":1048576,"
		  "\"cpu\":0,\"running\":true,\"stopped\":false,\"time_s\":1234},"
		  "{\"dom\":12,\"name\":\"dom12\",\"mem_kb\":65536,\"cpu\":1,"
		  "\"running\":false,\"stopped\":true,\"time_s\":7}]}");
	assert_string_equal(s,
		"Dom  Name             Mem(kb)  CPU  State  Time(s)\n"
		"0    Domain-0         1048576   0    r-     1234\n"
		"12   dom12              65536   1    -s        7\n");
	free(s);
	/* a vif that is not up is named under the table, with its reason */
	s = print(cli_print_list, "{\"ok\":true,\"domains\":["
		  "{\"dom\":3,\"name\":\"d\",\"mem_kb\":1,\"cpu\":0,"
		  "\"running\":true,\"stopped\":false,\"time_s\":0,"
		  "\"vifs\":[{\"vif\":0,\"state\":\"up\"},{\"vif\":1,"
		  "\"state\":\"degraded\",\"error\":\"address 10.0.0.1 "
		  "refused: in use by another port\"}]}]}");
	assert_string_equal(s,
		"Dom  Name             Mem(kb)  CPU  State  Time(s)\n"
		"3    d                      1   0    r-        0\n"
		"vif 3.1 degraded: address 10.0.0.1 refused: in use by another "
		"port\n");
	free(s);
	s = print(cli_print_list, "{\"ok\":true,\"domains\":[]}");
	assert_string_equal(s,
		"Dom  Name             Mem(kb)  CPU  State  Time(s)\n");
	free(s);
}

static void test_print_vbds(void **state)
{
	char *s;

	(void)state;
	s = print(cli_print_vbds, "{\"ok\":true,\"vbds\":[{\"dom\":1,"
		  "\"dev\":\"hdd\",\"mode\":\"r\",\"size_mb\":650,"
		  "\"uname\":\"phy:cdrom\"}]}");
	assert_string_equal(s, "Dom   Dev   Perm   Size(MB)\n"
			    "1     hdd   r           650\n");
	free(s);
}

static void test_print_vif(void **state)
{
	char *s;

	(void)state;
	s = print(cli_print_vif_stats, "{\"ok\":true,\"stats\":{"
		  "\"tx_bytes\":100,\"tx_packets\":2,\"rx_bytes\":300,"
		  "\"rx_packets\":4,\"in_packets\":2,\"throttled\":1,"
		  "\"credit_remaining\":500,\"drops\":{\"spoof_mac\":1,"
		  "\"spoof_ip\":2}}}");
	assert_string_equal(s, "tx_bytes: 100\ntx_packets: 2\n"
			    "rx_bytes: 300\nrx_packets: 4\n"
			    "drop_spoof_mac: 1\ndrop_spoof_ip: 2\n"
			    "throttled: 1\ncredit_remaining: 500\n");
	free(s);
	s = print(cli_print_vif_stats, "{\"ok\":true,\"stats\":{"
		  "\"tx_bytes\":0,\"tx_packets\":0,\"rx_bytes\":0,"
		  "\"rx_packets\":0,\"throttled\":0,\"credit_remaining\":0,"
		  "\"state\":\"degraded\",\"error\":\"address x refused\"}}");
	assert_string_equal(s, "tx_bytes: 0\ntx_packets: 0\n"
			    "rx_bytes: 0\nrx_packets: 0\n"
			    "throttled: 0\ncredit_remaining: 0\n"
			    "state: degraded\nerror: address x refused\n");
	free(s);
	s = print(cli_print_vif_sched, "{\"ok\":true,\"credit_bytes\":125000,"
		  "\"credit_usecs\":100000,\"packets\":0,\"rx_bytes\":0,"
		  "\"rx_usecs\":0,\"rx_packets\":0,\"remaining\":3}");
	assert_string_equal(s, "credit_bytes: 125000\n"
			    "credit_usecs: 100000\n");
	free(s);
	s = print(cli_print_vif_sched, "{\"ok\":true,\"credit_bytes\":1,"
		  "\"credit_usecs\":2,\"packets\":3,\"rx_bytes\":4,"
		  "\"rx_usecs\":5,\"rx_packets\":6}");
	assert_string_equal(s, "credit_bytes: 1\ncredit_usecs: 2\n"
			    "packets: 3\nrx_bytes: 4\nrx_usecs: 5\n"
			    "rx_packets: 6\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test(test_ok_reply),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_no_reply),
		cmocka_unit_test(test_bad_reply),
		cmocka_unit_test(test_refused_before_request),
		cmocka_unit_test(test_refused_mid_request),
		cmocka_unit_test(test_cli_args),
		cmocka_unit_test(test_print_list),
		cmocka_unit_test(test_print_vbds),
		cmocka_unit_test(test_print_vif),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

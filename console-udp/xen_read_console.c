// SPDX-License-Identifier: GPL-2.0-or-later
/* xen_read_console.c - print the domains' console lines, as the seed did
 *
 *   xen_read_console [-d DOM] [--replay] [--bind ADDR] [--port N]
 *                    [--socket PATH]
 *
 * Every console line of domain N reaches dom0 as one UDP datagram from
 * 169.254.254.255:N to 169.254.1.0:666 (SEED-NOTES.md §1, DESIGN.md §9).
 * This binds that address and prints "[N] text" per datagram, the text
 * through the seed's filter (con_filter). With --replay it first asks
 * xend for every console ring's history (console_history) and prints it
 * in the same form. The socket is bound before the history is asked for,
 * so a line printed meanwhile waits in the socket (it may then show twice,
 * never not at all).
 *
 * SIGINT and SIGTERM are blocked and read from a signalfd between
 * datagrams, so output never stops mid-line; they end it with status 0.
 * Exit status: 0 ended by a signal, 1 error (address in use, not
 * configured...), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "console.h"
#include "netdefs.h"

#define PROG		"xen_read_console"
#define EXIT_ERR	1
#define EXIT_USAGE	2
#define RCVBUF		(1 << 20)	/* room for a burst while we print */
#define DGRAM_MAX	65536
#define BATCH		64	/* datagrams per wakeup */

struct opts {
	struct in_addr addr;	/* network order */
	unsigned port;
	long dom;		/* -1: every domain */
	bool replay;
	const char *socket;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [-d DOM] [--replay] [--bind ADDR] [--port N]\n"
"                        [--socket PATH]\n"
"Print the domains' console lines: \"[N] text\" for each datagram that\n"
"domain N sends to 169.254.1.0:666 (UDP source port N).\n"
"\n"
"  -d, --dom DOM   only domain DOM's lines\n"
"  --replay        first print the history xend keeps of every console,\n"
"                  then the live lines\n"
"  --bind ADDR     the address to listen on (default 169.254.1.0)\n"
"  --port N        the UDP port (default 666)\n"
"  --socket PATH   xend's control socket, for --replay (default\n"
"                  $XENO_SOCKET or /run/xeno/xend.sock)\n"
"  -h, --help      this help\n");
}

/* number() - @s as a whole number in [@lo, @hi], or -1. */
static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	return v;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dom", required_argument, NULL, 'd' },
		{ "replay", no_argument, NULL, 'r' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dom = number(optarg, 0, 65535);
			if (o->dom < 0) {
				fprintf(stderr, PROG ": bad domain '%s' "
					"(0..65535)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r': o->replay = true; break;
		case 's': o->socket = optarg; break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &o->addr) != 1) {
				fprintf(stderr, PROG ": bad IPv4 address "
					"'%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			v = number(optarg, 1, 65535);
			if (v < 0) {
				fprintf(stderr, PROG ": bad port '%s' "
					"(1..65535)\n", optarg);
				return EXIT_USAGE;
			}
			o->port = (unsigned)v;
			break;
		case 'h': usage(stdout); exit(0);
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* bind_error() - say why binding @o's address failed, in the user's
 * terms. */
static void bind_error(const struct opts *o, int err)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &o->addr, a, sizeof(a));
	if (err == EADDRINUSE)
		fprintf(stderr, PROG ": %s:%u is in use (another "
			PROG "?)\n", a, o->port);
	else if (err == EADDRNOTAVAIL && ntohl(o->addr.s_addr) == XENO_LL_DOMS)
		fprintf(stderr, PROG ": %s is not an address of this host: "
			"dom0's %s lives on xend's vif0.0 (is xend "
			"running?)\n", a, a);
	else if (err == EADDRNOTAVAIL)
		fprintf(stderr, PROG ": %s is not an address of this host\n",
			a);
	else if (err == EACCES)
		fprintf(stderr, PROG ": binding port %u needs root "
			"(CAP_NET_BIND_SERVICE)\n", o->port);
	else
		fprintf(stderr, PROG ": cannot bind %s:%u: %s\n", a, o->port,
			strerror(err));
}

/* open_socket() - the bound UDP socket, or -1 (said why). No
 * SO_REUSEADDR: a second reader must fail, not share the port. */
static int open_socket(const struct opts *o)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_addr = o->addr,
		.sin_port = htons((uint16_t)o->port),
	};
	int fd, size = RCVBUF;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
		return -1;
	}
	/* best effort: the kernel caps it at rmem_max */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		bind_error(o, errno);
		close(fd);
		return -1;
	}
	return fd;
}

/* open_signals() - block SIGINT and SIGTERM; a signalfd for them, or -1. */
static int open_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
	return fd;
}

/* signalled() - has SIGINT or SIGTERM come (consumed from @sfd)? */
static bool signalled(int sfd)
{
	struct signalfd_siginfo si;

	return read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si);
}

/* print_text() - "[@dom] text" for @len bytes through the seed's filter. */
static void print_text(unsigned dom, const char *text, size_t len)
{
	static char out[DGRAM_MAX + 2];
	size_t n;

	if (len > DGRAM_MAX)
		len = DGRAM_MAX;
	n = con_filter(text, len, out);
	printf("[%u] %.*s", dom, (int)n, out);
}

/* ---- --replay: the rings' history from xend ---- */

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *key, int64_t dflt)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_int64(v) : dflt;
}

/* print_history() - one console's history, "[N] line" a line; false if a
 * signal came in between. */
static bool print_history(json_object *con, long only, int sfd)
{
	int64_t dom = jint(con, "dom", -1), dropped = jint(con, "dropped", 0);
	const char *text = jstr(con, "text"), *nl;

	if (dom < 0 || dom > 65535 || (only >= 0 && dom != only))
		return true;
	if (dropped > 0)
		fprintf(stderr, PROG ": domain %lld (%s): %lld earlier lines "
			"no longer kept\n", (long long)dom, jstr(con, "name"),
			(long long)dropped);
	for (; *text; text = nl ? nl + 1 : text + strlen(text)) {
		nl = strchr(text, '\n');
		print_text((unsigned)dom, text,
			   nl ? (size_t)(nl - text) : strlen(text));
		if (signalled(sfd))
			return false;
	}
	return true;
}

/* replay() - ask xend for the history and print it; a failure is said on
 * stderr and is not fatal. false if a signal came meanwhile. */
static bool replay(const struct opts *o, int sfd)
{
	const char *path = client_socket_path(o->socket), *error;
	json_object *req = json_object_new_object(), *reply = NULL, *cons;
	char err[CLIENT_ERR_MAX];
	bool go_on = true;
	int ret;

	json_object_object_add(req, "cmd",
			       json_object_new_string("console_history"));
	if (o->dom >= 0)
		json_object_object_add(req, "dom",
				       json_object_new_int((int)o->dom));
	ret = client_call(path, req, client_timeout_ms(), &reply, err,
			  sizeof(err));
	json_object_put(req);
	if (ret) {
		fprintf(stderr, PROG ": no history: %s; live lines only\n",
			err);
		return true;
	}
	if (!client_reply_ok(reply, &error)) {
		fprintf(stderr, PROG ": no history: xend: %s; live lines "
			"only\n", error);
	} else if (json_object_object_get_ex(reply, "consoles", &cons) &&
		   json_object_is_type(cons, json_type_array)) {
		for (size_t i = 0; go_on &&
		     i < json_object_array_length(cons); i++)
			go_on = print_history(json_object_array_get_idx(cons,
									i),
					      o->dom, sfd);
	}
	json_object_put(reply);
	return go_on;
}

/* ---- live ---- */

/* drain() - print the datagrams waiting on @fd, at most BATCH of them so
 * that a flood does not keep a signal waiting (the rest wait in the
 * socket for the next round). 0, or -1 on an error. */
static int drain(int fd, long only)
{
	static char buf[DGRAM_MAX];
	struct sockaddr_in from = { .sin_family = AF_UNSPEC };
	socklen_t fl;
	ssize_t n;

	for (int i = 0; i < BATCH; i++) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (fl < sizeof(from) || from.sin_family != AF_INET)
			continue;
		if (only >= 0 && ntohs(from.sin_port) != only)
			continue;
		print_text(ntohs(from.sin_port), buf, (size_t)n);
	}
	return 0;
}

static int run(int fd, int sfd, long only)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			return EXIT_ERR;
		}
		if (pfd[0].revents && signalled(sfd))
			return 0;
		if (pfd[1].revents && drain(fd, only)) {
			fprintf(stderr, PROG ": recv: %s\n", strerror(errno));
			return EXIT_ERR;
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = {
		.addr.s_addr = htonl(XENO_LL_DOMS), .port = CON_PORT,
		.dom = -1,
	};
	int ret = parse(argc, argv, &o), fd, sfd;

	if (ret)
		return ret;
	/* Lines reach a pipe as they come. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	sfd = open_signals();
	if (sfd < 0)
		return EXIT_ERR;
	fd = open_socket(&o);
	if (fd < 0) {
		close(sfd);
		return EXIT_ERR;
	}
	ret = 0;
	if (!o.replay || replay(&o, sfd))
		ret = run(fd, sfd, o.dom);
	close(fd);
	close(sfd);
	fflush(stdout);
	return ret;
}

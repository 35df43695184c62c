// SPDX-License-Identifier: GPL-2.0-or-later
/* cli_console.c - xc_dom_control console: attach to a domain's console
 *
 * Like `xl console`: xend's attach socket for the domain (its path is in
 * `list`) sends the console's history, then everything the domain prints;
 * what is typed goes to the domain if this client holds the input (the
 * first one attached does; the others are told they only watch). The
 * terminal is raw while attached; Ctrl-] detaches and restores it.
 * `console DOM --history` prints the history and exits, for scripts.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"

#define CTRL_RBRACKET	0x1d

static int history(struct cli *c, int64_t dom)
{
	json_object *req = cli_request("console_history"), *reply = NULL;
	json_object *arr = NULL, *text = NULL;
	int ret;

	if (req)
		cli_add_int(req, "dom", dom);
	ret = cli_call(c, req, &reply);
	if (!ret && !c->json) {
		json_object_object_get_ex(reply, "consoles", &arr);
		if (json_object_array_length(arr) &&
		    json_object_object_get_ex(json_object_array_get_idx(arr, 0),
					      "text", &text))
			fputs(json_object_get_string(text), c->out);
	}
	json_object_put(reply);
	return ret;
}

/* The attach socket of domain @dom, from `list`. */
static int socket_of(struct cli *c, int64_t dom, char *path, size_t size)
{
	json_object *reply = NULL, *doms = NULL, *con, *sock;
	int ret = cli_call(c, cli_request("list"), &reply);

	if (ret)
		return ret;
	ret = CLI_ERR;
	json_object_object_get_ex(reply, "domains", &doms);
	for (size_t i = 0; i < json_object_array_length(doms); i++) {
		json_object *d = json_object_array_get_idx(doms, i);

		if (cli_jint(d, "dom") != dom)
			continue;
		if (json_object_object_get_ex(d, "console", &con) &&
		    json_object_object_get_ex(con, "socket", &sock)) {
			snprintf(path, size, "%s", json_object_get_string(sock));
			ret = CLI_OK;
		}
	}
	if (ret)
		fprintf(stderr, "%s: console: domain %lld has no console to "
			"attach to\n", c->prog, (long long)dom);
	json_object_put(reply);
	return ret;
}

/* Relay between the terminal and the console until Ctrl-] or EOF. */
static int relay(int fd)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return CLI_ERR;
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return CLI_OK;		/* xend closed it */
			if (write(STDOUT_FILENO, buf, (size_t)n) != n)
				return CLI_ERR;
		}
		if (p[0].revents) {
			char *stop;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				return CLI_OK;
			stop = memchr(buf, CTRL_RBRACKET, (size_t)n);
			if (stop)
				n = stop - buf;
			if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
				return CLI_ERR;
			if (stop)
				return CLI_OK;
		}
	}
}

/* cli_console() - `console DOM [--history]`. */
int cli_console(struct cli *c, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct termios saved, raw;
	bool tty = false;
	int64_t dom;
	int fd, ret;

	(void)argc;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (ret)
		return ret;
	if (c->flag)
		return history(c, dom);
	ret = socket_of(c, dom, sa.sun_path, sizeof(sa.sun_path));
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "%s: console: cannot attach to %s: %s\n",
			c->prog, sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CLI_ERR;
	}
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved)) {
		tty = true;
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	ret = relay(fd);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	close(fd);
	fprintf(stderr, "\r\n[detached from domain %lld's console]\n",
		(long long)dom);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* cli_capture.c - xc_dom_control vif_capture: a vif's frames as pcapng
 *
 * xend answers the request with one reply line and then streams the
 * capture over the same connection as one pcapng section
 * (docs/control-protocol.md). This relays it, whole blocks at a time, to
 * FILE -- opened here, with the user's own permissions: xend, which runs
 * as root, never opens a file for a capture -- or to stdout with "-".
 *
 * Ending: Ctrl-C (or SIGTERM) half-closes the connection; xend then ends
 * the capture, sends what it still holds and an Interface Statistics
 * Block, and closes. The ISB's comment (frames written, frames lost
 * because the reader was too slow) is printed on stderr. A second Ctrl-C
 * quits at once. xend also ends the stream when the vif goes away or on
 * `vif_capture DOM VIF --stop`. When the output goes away (the reader of
 * the pipe exits), the tool exits and xend ends the capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "fileio.h"
#include "pcapng.h"

#define VIF_MAX		1023
#define RELAY_BUF	(2 * PCAPNG_BLOCK_MAX)

/* Ctrl-C: the first asks xend to end the capture, the second quits. */
static volatile sig_atomic_t stops;
static int stop_pipe[2] = { -1, -1 };

static void on_stop(int sig)
{
	if (stops++) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	(void)!write(stop_pipe[1], "x", 1);
}

static int stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The stream being relayed. */
struct relay {
	int sock, out;
	uint8_t buf[RELAY_BUF];
	size_t len;
	bool ended;			/* the ISB came */
	char comment[PCAPNG_COMMENT_MAX];
	uint64_t lost, written;
};

/* Write the complete blocks at the head of the buffer; keep the rest.
 * 0, 1 when the output went away, -1 on a bad block. */
static int pass_blocks(struct relay *r)
{
	size_t off = 0;
	long n;

	while ((n = pcapng_block_len(r->buf + off, r->len - off)) > 0 &&
	       (size_t)n <= r->len - off) {
		if (pcapng_block_type(r->buf + off) == PCAPNG_ISB &&
		    !pcapng_isb_parse(r->buf + off, (size_t)n, &r->lost,
				      &r->written, r->comment,
				      sizeof(r->comment)))
			r->ended = true;
		if (xeno_write_all(r->out, r->buf + off, (size_t)n))
			return 1;
		off += (size_t)n;
	}
	if (n < 0)
		return -1;
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
	return 0;
}

/* Relay until xend closes the stream. Returns a CLI_* code. */
static int relay(const struct cli *c, struct relay *r)
{
	struct pollfd p[2] = { { .fd = r->sock, .events = POLLIN },
			       { .fd = stop_pipe[0], .events = POLLIN } };
	char junk[8];
	ssize_t n;
	int ret;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return CLI_ERR;
		if (p[1].revents) {
			(void)!read(stop_pipe[0], junk, sizeof(junk));
			shutdown(r->sock, SHUT_WR);
			p[1].fd = -1;
		}
		if (!p[0].revents)
			continue;
		n = recv(r->sock, r->buf + r->len, sizeof(r->buf) - r->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->len += (size_t)n;
		ret = pass_blocks(r);
		if (ret > 0)
			return CLI_OK;		/* our reader is gone */
		if (ret < 0) {
			fprintf(stderr, "%s: %s: xend sent a bad pcapng block\n",
				c->prog, c->cmd);
			return CLI_ERR;
		}
	}
	if (!r->ended || r->len) {
		fprintf(stderr, "%s: %s: xend closed the stream before its end"
			"\n", c->prog, c->cmd);
		return CLI_ERR;
	}
	fprintf(stderr, "%s: %s\n", c->prog, r->comment);
	return CLI_OK;
}

/* Open FILE for writing, or stdout for "-". *@created: we made it (to
 * remove if xend refuses). It is truncated only once xend agreed. */
static int open_output(const struct cli *c, const char *file, bool *created)
{
	int fd;

	*created = false;
	if (!strcmp(file, "-")) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "%s: %s: not writing pcapng to a "
				"terminal: give a file, or pipe it (| tcpdump "
				"-r -)\n", c->prog, c->cmd);
			return -1;
		}
		return STDOUT_FILENO;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		*created = true;
	else if (errno == EEXIST)
		fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "%s: %s: cannot open %s: %s\n", c->prog,
			c->cmd, file, strerror(errno));
	return fd;
}

/* Send the request; the stream's fd (> 0), or -1 after saying why. */
static int start(const struct cli *c, json_object *req)
{
	char err[CLIENT_ERR_MAX];
	json_object *reply = NULL, *cap = NULL;
	const char *msg;
	int fd;

	fd = client_stream(client_socket_path(c->socket), req,
			   client_timeout_ms(), &reply, err, sizeof(err));
	json_object_put(req);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		return -1;
	}
	if (c->json)
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(reply,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!fd && !client_reply_ok(reply, &msg))
		fprintf(stderr, "%s: %s\n", c->prog, msg);
	if (fd > 0 && !c->json &&
	    json_object_object_get_ex(reply, "capture", &cap))
		fprintf(stderr, "%s: capturing on %s (snaplen %" PRId64 "%s); "
			"Ctrl-C stops\n", c->prog, cli_jstr(cap, "name"),
			cli_jint(cap, "snaplen"),
			cli_jbool(cap, "drops") ? ", with drops" : "");
	json_object_put(reply);
	return fd > 0 ? fd : -1;
}

/* `vif_capture DOM VIF --stop` */
static int stop(struct cli *c, json_object *req, int argc)
{
	json_object *reply = NULL;
	int ret;

	if (argc != 2) {
		json_object_put(req);
		return cli_usage_err(c, "--stop takes no file");
	}
	ret = cli_call(c, req, &reply);
	if (!ret && !c->json)
		fprintf(c->out, "stopped %" PRId64 " capture%s\n",
			cli_jint(reply, "stopped"),
			cli_jint(reply, "stopped") == 1 ? "" : "s");
	json_object_put(reply);
	return ret;
}

/* The request: dom, vif, and for a capture snaplen and drops. */
static int request(struct cli *c, char **argv, json_object **req)
{
	int64_t dom, vif, snaplen = 65535;
	int ret;

	*req = NULL;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (!ret)
		ret = cli_arg_int(c, "vif", argv[1], 0, VIF_MAX, &vif);
	if (!ret && c->opt)
		ret = cli_arg_int(c, "snaplen", c->opt, 1, 65535, &snaplen);
	if (ret)
		return ret;
	*req = cli_request(c->flag2 ? "vif_capture_stop" : "vif_capture");
	if (!*req)
		return CLI_ERR;
	cli_add_int(*req, "dom", dom);
	cli_add_int(*req, "vif", vif);
	if (!c->flag2) {
		cli_add_int(*req, "snaplen", snaplen);
		json_object_object_add(*req, "drops",
				       json_object_new_boolean(c->flag));
	}
	return CLI_OK;
}

/* cli_vif_capture() - `vif_capture DOM VIF FILE|- [--drops]
 * [--snaplen N]` and `vif_capture DOM VIF --stop`. */
int cli_vif_capture(struct cli *c, int argc, char **argv)
{
	static struct relay r;
	json_object *req;
	bool created;
	int ret;

	ret = request(c, argv, &req);
	if (ret)
		return ret;
	if (c->flag2)
		return stop(c, req, argc);
	if (argc != 3) {
		json_object_put(req);
		return cli_usage_err(c, "give a file to write, or - for "
				     "stdout");
	}
	r.out = open_output(c, argv[2], &created);
	if (r.out < 0 || stop_signals()) {
		json_object_put(req);
		return CLI_ERR;
	}
	r.sock = start(c, req);
	if (r.sock < 0) {
		if (created)
			unlink(argv[2]);
		return CLI_ERR;
	}
	if (r.out != STDOUT_FILENO && !created && ftruncate(r.out, 0))
		fprintf(stderr, "%s: %s: %s: %s\n", c->prog, c->cmd, argv[2],
			strerror(errno));
	ret = relay(c, &r);
	close(r.sock);
	if (r.out != STDOUT_FILENO && close(r.out)) {
		fprintf(stderr, "%s: %s: %s: %s\n", c->prog, c->cmd, argv[2],
			strerror(errno));
		ret = CLI_ERR;
	}
	return ret;
}

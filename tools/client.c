// SPDX-License-Identifier: GPL-2.0-or-later
/* client.c - one request to xend over its control socket; see client.h */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "fileio.h"

const char *client_socket_path(const char *opt)
{
	const char *env;

	if (opt)
		return opt;
	env = getenv("XENO_SOCKET");
	return env && *env ? env : CLIENT_SOCKET_DEFAULT;
}

int client_timeout_ms(void)
{
	const char *env = getenv("XENO_TIMEOUT");
	char *end;
	long s;

	if (!env || !*env)
		return CLIENT_TIMEOUT_MS;
	s = strtol(env, &end, 10);
	if (*end || s <= 0 || s > 86400)
		return CLIENT_TIMEOUT_MS;
	return (int)(s * 1000);
}

static int sock_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "cannot reach xend at %s: socket path "
			 "too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto err;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		goto err;
	}
	return fd;
err:
	snprintf(err, errlen, "cannot reach xend at %s: %s", path,
		 strerror(-ret));
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read up to the first '\n' into a malloc'd, NUL-terminated *@line. With
 * @exact, not one byte past it (a stream may follow). */
static int read_line(int fd, int timeout_ms, bool exact, char **line)
{
	long long deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int left;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		left = (int)(deadline - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (len + 1 >= cap) {
			if (cap >= CLIENT_REPLY_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, exact ? 1 : cap - len - 1, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		buf[len + (size_t)n] = '\0';
		if (memchr(buf + len, '\n', (size_t)n)) {
			*strchr(buf + len, '\n') = '\0';
			*line = buf;
			return 0;
		}
		len += (size_t)n;
	}
}

static int parse_reply(const char *path, const char *line,
		       json_object **reply, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	json_object *o;

	o = json_tokener_parse_verbose(line, &jerr);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "ok", NULL)) {
		snprintf(err, errlen, "xend at %s sent a bad reply: %s", path,
			 !o ? json_tokener_error_desc(jerr) :
			 "not an object with \"ok\"");
		json_object_put(o);
		return -EPROTO;
	}
	*reply = o;
	return 0;
}

/* Read the reply line into *@reply; 0 or -errno with @err set. */
static int take_reply(int fd, const char *path, int timeout_ms, bool exact,
		      json_object **reply, char *err, size_t errlen)
{
	char *line = NULL;
	int ret;

	ret = read_line(fd, timeout_ms, exact, &line);
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "no reply from xend at %s within %d s",
			 path, (timeout_ms + 999) / 1000);
	else if (ret == -ECONNRESET)
		snprintf(err, errlen, "xend at %s closed the connection "
			 "without a reply", path);
	else if (ret)
		snprintf(err, errlen, "xend at %s: cannot read the reply: %s",
			 path, strerror(-ret));
	else
		ret = parse_reply(path, line, reply, err, errlen);
	free(line);
	return ret;
}

/* Send @req on @fd and take the reply line, not a byte more if @exact. */
static int exchange(int fd, const char *path, json_object *req,
		    int timeout_ms, bool exact, json_object **reply,
		    char *err, size_t errlen)
{
	const char *text;
	char *msg = NULL;
	int ret;

	*reply = NULL;
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (asprintf(&msg, "%s\n", text) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = xeno_write_all(fd, msg, strlen(msg));
	free(msg);
	if (ret == -EPIPE || ret == -ECONNRESET) {
		/* xend closed the connection before taking the request, as
		 * it does when it refuses a client: what it said why is
		 * still in our socket. */
		ret = take_reply(fd, path, timeout_ms, exact, reply, err,
				 errlen);
		if (ret == -ECONNRESET || ret == -ETIMEDOUT)
			snprintf(err, errlen, "xend at %s closed the "
				 "connection without a reply", path);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "cannot reach xend at %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	return take_reply(fd, path, timeout_ms, exact, reply, err, errlen);
}

/* client_exchange() - see client.h. */
int client_exchange(int fd, const char *path, json_object *req,
		    int timeout_ms, json_object **reply, char *err,
		    size_t errlen)
{
	return exchange(fd, path, req, timeout_ms, false, reply, err, errlen);
}

/* client_stream() - see client.h. */
int client_stream(const char *path, json_object *req, int timeout_ms,
		  json_object **reply, char *err, size_t errlen)
{
	int fd, ret;

	*reply = NULL;
	fd = sock_connect(path, err, errlen);
	if (fd < 0)
		return fd;
	ret = exchange(fd, path, req, timeout_ms, true, reply, err, errlen);
	if (ret || !client_reply_ok(*reply, NULL)) {
		close(fd);
		return ret;
	}
	return fd;
}

int client_call(const char *path, json_object *req, int timeout_ms,
		json_object **reply, char *err, size_t errlen)
{
	int fd, ret;

	*reply = NULL;
	fd = sock_connect(path, err, errlen);
	if (fd < 0)
		return fd;
	ret = client_exchange(fd, path, req, timeout_ms, reply, err, errlen);
	close(fd);
	return ret;
}

bool client_reply_ok(json_object *reply, const char **error)
{
	json_object *ok, *e;

	if (json_object_object_get_ex(reply, "ok", &ok) &&
	    json_object_is_type(ok, json_type_boolean) &&
	    json_object_get_boolean(ok))
		return true;
	if (error) {
		*error = "xend reported an error without a message";
		if (json_object_object_get_ex(reply, "error", &e) &&
		    json_object_is_type(e, json_type_string))
			*error = json_object_get_string(e);
	}
	return false;
}

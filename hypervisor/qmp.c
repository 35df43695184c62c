// SPDX-License-Identifier: GPL-2.0-or-later
/* qmp.c - a small synchronous QMP client (see qmp.h)
 *
 * QEMU writes one JSON object per line. Input is read into a fixed buffer
 * and split at newlines; a message longer than the buffer is an error
 * (QMP_MSG_MAX is far above anything xend asks for).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "qmp.h"

#define QMP_MSG_MAX	(1024 * 1024)
#define QMP_EVENTS	8

struct qmp {
	int fd;
	char *buf;
	size_t len;
	char events[QMP_EVENTS][48];	/* names of the last events seen */
	unsigned nevents;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int fail(char *err, size_t errlen, int ret, const char *what)
{
	if (err)
		snprintf(err, errlen, "%s: %s", what, strerror(-ret));
	return ret;
}

/* Read more input, waiting until @deadline. 0 or -errno. */
static int fill(struct qmp *q, long long deadline)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	long long left = deadline - now_ms();
	ssize_t n;

	if (q->len >= QMP_MSG_MAX)
		return -EMSGSIZE;
	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&pfd, 1, (int)left);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ETIMEDOUT;
	n = read(q->fd, q->buf + q->len, QMP_MSG_MAX - q->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	q->len += (size_t)n;
	return 0;
}

/* The next message, parsed (caller puts it), or NULL with *@ret set. */
static json_object *next_msg(struct qmp *q, long long deadline, int *ret)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl) {
			size_t n = (size_t)(nl - q->buf) + 1;
			json_object *o;

			*nl = '\0';
			o = json_tokener_parse(q->buf);
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (o && json_object_is_type(o, json_type_object))
				return o;
			json_object_put(o);
			continue;	/* not an object: skip it */
		}
		*ret = fill(q, deadline);
		if (*ret)
			return NULL;
	}
}

/* Remember event @o's name. */
static void keep_event(struct qmp *q, json_object *o)
{
	json_object *ev = NULL;

	if (!json_object_object_get_ex(o, "event", &ev))
		return;
	snprintf(q->events[q->nevents % QMP_EVENTS],
		 sizeof(q->events[0]), "%s", json_object_get_string(ev));
	q->nevents++;
}

static int send_line(struct qmp *q, json_object *msg)
{
	const char *s = json_object_to_json_string_ext(msg,
						       JSON_C_TO_STRING_PLAIN);
	int ret = xeno_write_all(q->fd, s, strlen(s));

	return ret ? ret : xeno_write_all(q->fd, "\n", 1);
}

/* qmp_call() - see qmp.h. */
int qmp_call(struct qmp *q, const char *cmd, json_object *args,
	     json_object **ret, char *err, size_t errlen, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	json_object *msg = json_object_new_object(), *o, *v = NULL;
	int r;

	if (ret)
		*ret = NULL;
	json_object_object_add(msg, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "arguments", args);
	r = send_line(q, msg);
	json_object_put(msg);
	if (r)
		return fail(err, errlen, r, cmd);
	for (;;) {
		o = next_msg(q, deadline, &r);
		if (!o)
			return fail(err, errlen, r, cmd);
		if (json_object_object_get_ex(o, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			json_object_put(o);
			return 0;
		}
		if (json_object_object_get_ex(o, "error", &v)) {
			json_object *desc = NULL;

			json_object_object_get_ex(v, "desc", &desc);
			if (err)
				snprintf(err, errlen, "%s: %s", cmd, desc ?
					 json_object_get_string(desc) :
					 "error");
			json_object_put(o);
			return -EREMOTEIO;
		}
		keep_event(q, o);
		json_object_put(o);
	}
}

/* qmp_send_fd() - see qmp.h. */
int qmp_send_fd(struct qmp *q, int fd, const char *fdname, char *err,
		size_t errlen)
{
	char line[160], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = line };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	long long deadline = now_ms() + QMP_TIMEOUT_MS;
	json_object *o, *v;
	int r, n;

	n = snprintf(line, sizeof(line), "{\"execute\":\"getfd\",\"arguments\":"
		     "{\"fdname\":\"%s\"}}\n", fdname);
	if (n < 0 || (size_t)n >= sizeof(line))
		return fail(err, errlen, -ENAMETOOLONG, "getfd");
	iov.iov_len = (size_t)n;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(q->fd, &mh, MSG_NOSIGNAL) != n)
		return fail(err, errlen, -errno, "getfd");
	for (;;) {
		o = next_msg(q, deadline, &r);
		if (!o)
			return fail(err, errlen, r, "getfd");
		if (json_object_object_get_ex(o, "return", NULL)) {
			json_object_put(o);
			return 0;
		}
		if (json_object_object_get_ex(o, "error", &v)) {
			json_object_put(o);
			return fail(err, errlen, -EREMOTEIO, "getfd");
		}
		keep_event(q, o);
		json_object_put(o);
	}
}

/* qmp_wait_event() - see qmp.h. */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	json_object *o;
	int r;

	for (;;) {
		for (unsigned i = 0; i < q->nevents && i < QMP_EVENTS; i++)
			if (!strcmp(q->events[i], name)) {
				q->events[i][0] = '\0';
				return 0;
			}
		o = next_msg(q, deadline, &r);
		if (!o)
			return r;
		keep_event(q, o);
		json_object_put(o);
	}
}

static int connect_to(const char *path, long long deadline, int *fdp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			*fdp = fd;
			return 0;
		}
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    now_ms() >= deadline)
			return -errno;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
}

/* qmp_open() - see qmp.h. */
int qmp_open(const char *path, int timeout_ms, struct qmp **out, char *err,
	     size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	struct qmp *q = calloc(1, sizeof(*q));
	json_object *greeting;
	int r;

	if (!q || !(q->buf = malloc(QMP_MSG_MAX))) {
		free(q);
		return fail(err, errlen, -ENOMEM, "qmp");
	}
	q->fd = -1;
	r = connect_to(path, deadline, &q->fd);
	if (r) {
		qmp_close(q);
		return fail(err, errlen, r, path);
	}
	greeting = next_msg(q, deadline, &r);
	if (!greeting || !json_object_object_get_ex(greeting, "QMP", NULL)) {
		json_object_put(greeting);
		qmp_close(q);
		return fail(err, errlen, greeting ? -EPROTO : r,
			    "QMP greeting");
	}
	json_object_put(greeting);
	r = qmp_call(q, "qmp_capabilities", NULL, NULL, err, errlen,
		     (int)(deadline - now_ms()) > 0 ?
		     (int)(deadline - now_ms()) : 1);
	if (r) {
		qmp_close(q);
		return r;
	}
	*out = q;
	return 0;
}

/* qmp_close() - see qmp.h. */
void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}

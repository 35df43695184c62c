/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmp.h - a small synchronous QMP client (QEMU Machine Protocol)
 *
 * xend talks to each QEMU domain's QMP socket (a Unix socket QEMU listens
 * on): connect, read the greeting, negotiate capabilities, then one
 * command at a time, each answered by {"return": ...} or {"error": ...}.
 * Asynchronous events arriving in between are kept (the last few) so a
 * caller can wait for one (DEVICE_DELETED, SHUTDOWN). Every read has a
 * deadline: a QEMU that stops answering costs the caller a timeout, never
 * a hang. A connection is short-lived (one per operation), so nothing is
 * lost when xend restarts.
 */
#ifndef XENO_QMP_H
#define XENO_QMP_H

#include <json-c/json.h>
#include <stddef.h>

#define QMP_TIMEOUT_MS		5000
#define QMP_ERR_MAX		256

struct qmp;

/* qmp_open() - connect to @path (retrying until @timeout_ms passes while
 * the socket is not there yet), read the greeting and enter command mode.
 * 0 with *@out set, or -errno with @err set. */
int qmp_open(const char *path, int timeout_ms, struct qmp **out, char *err,
	     size_t errlen);

/* qmp_close() - close the connection. Accepts NULL. */
void qmp_close(struct qmp *q);

/* qmp_call() - run @cmd with @args (owned by the call; NULL for none) and
 * wait up to @timeout_ms for its answer. 0 with *@ret set to the "return"
 * value (caller puts it; NULL if @ret is NULL), -EREMOTEIO with QEMU's
 * error description in @err, or -errno (-ETIMEDOUT, -EPIPE...). */
int qmp_call(struct qmp *q, const char *cmd, json_object *args,
	     json_object **ret, char *err, size_t errlen, int timeout_ms);

/* qmp_send_fd() - hand QEMU file @fd under the name @fdname (QMP getfd,
 * the descriptor passed with SCM_RIGHTS). 0, or -errno with @err set. */
int qmp_send_fd(struct qmp *q, int fd, const char *fdname, char *err,
		size_t errlen);

/* qmp_wait_event() - wait up to @timeout_ms for event @name (one already
 * received counts). 0, or -ETIMEDOUT / -errno. */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms);

#endif /* XENO_QMP_H */

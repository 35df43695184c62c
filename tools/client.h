/* SPDX-License-Identifier: GPL-2.0-or-later */
/* client.h - one request to xend over its control socket
 *
 * The user commands are thin clients: connect to the Unix socket, write
 * one JSON object and a newline, read one line back within a timeout and
 * parse it (docs/control-protocol.md). Errors come back as one line of
 * text for the user: "cannot reach xend at PATH: reason" and the like.
 */
#ifndef XENO_CLIENT_H
#define XENO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define CLIENT_SOCKET_DEFAULT	"/run/xeno/xend.sock"
#define CLIENT_TIMEOUT_MS	60000		/* default reply timeout */
#define CLIENT_REPLY_MAX	(16 << 20)	/* bytes in a reply line */
#define CLIENT_ERR_MAX		512

/* client_socket_path() - @opt if non-NULL (--socket), else $XENO_SOCKET
 * if set and non-empty, else CLIENT_SOCKET_DEFAULT. */
const char *client_socket_path(const char *opt);

/* client_timeout_ms() - $XENO_TIMEOUT (seconds, > 0) in milliseconds, else
 * CLIENT_TIMEOUT_MS. */
int client_timeout_ms(void);

/* client_call() - send @req to xend at @path and wait up to @timeout_ms
 * for the reply. On success (transport and JSON; the reply may still say
 * "ok": false) stores the reply object in *@reply, owned by the caller,
 * and returns 0. Otherwise returns -errno with a message in @err:
 * "cannot reach xend at PATH: ...", "no reply from xend at PATH within N
 * s", "xend at PATH closed the connection without a reply", "xend at PATH
 * sent a bad reply: ...". If xend closes the connection before taking
 * the request (it refuses clients that way, after one error line: too
 * many connections), that line is the reply. */
int client_call(const char *path, json_object *req, int timeout_ms,
		json_object **reply, char *err, size_t errlen);

/* client_exchange() - client_call() on @fd, already connected to xend at
 * @path (named in messages); @fd stays open. For tests. */
int client_exchange(int fd, const char *path, json_object *req,
		    int timeout_ms, json_object **reply, char *err,
		    size_t errlen);

/* client_stream() - client_call() for a request whose reply starts a
 * stream on the connection (vif_capture): the reply line is read to its
 * newline and no further. Returns the connected fd (the caller's, to
 * read the stream from and close) when the reply says "ok", 0 when it
 * does not (the reply is in *@reply all the same), or -errno with @err
 * set. */
int client_stream(const char *path, json_object *req, int timeout_ms,
		  json_object **reply, char *err, size_t errlen);

/* client_reply_ok() - true if @reply has "ok": true. Otherwise, if @error
 * is non-NULL, *@error points to the reply's "error" string (owned by
 * @reply), or to a generic text when it has none. */
bool client_reply_ok(json_object *reply, const char **error);

#endif /* XENO_CLIENT_H */

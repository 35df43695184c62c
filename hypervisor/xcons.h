/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xcons.h - every domain's console in xend (console-udp/console.h)
 *
 * A console's source is a QEMU domain's serial socket (RUN/xeno-domN.serial,
 * always drained so a guest never stalls on it, reconnected once a second
 * while it is not connected) or a netns domain's init process (config key
 * `init`, run in the domain's namespace on a pty whose output is the
 * console). Each line goes, in this order, into the domain's ring (its
 * history), its console log (LOG_DIR/<name>.log, rotated), and -- within
 * the domain's line budget, so a flooding domain never crowds out the
 * others -- the seed's datagram to 169.254.1.0:666, which the switch
 * injects on dom0's port (xen_read_console reads it).
 *
 * A console lives from the domain's create (or its adoption after an xend
 * restart) to its removal. A netns domain's init, started on create,
 * dies with xend's pty when xend is killed; the next xend shows it as not
 * running and does not start it again.
 */
#ifndef XENO_XCONS_H
#define XENO_XCONS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "xend.h"

#define XEND_CONSOLE_DIR	"/var/log/xeno/console"

/* xend_console_open() - start domain @d's console (@fresh: a new domain,
 * whose netns init is to be started). Failures are logged: a domain runs
 * without its console rather than not at all. */
void xend_console_open(struct xend *x, struct xend_domain *d, bool fresh);

/* xend_console_close() - stop domain @id's console (its init is the
 * domain's builder's to end). Accepts a domain without one. */
void xend_console_close(struct xend *x, uint32_t id);

/* xend_console_event() - @src (XEND_EV_CONSOLE or XEND_EV_INIT) is
 * ready: read and pass on the output, or note that init exited. */
void xend_console_event(struct xend *x, struct xend_evsrc *src);

/* xend_console_tick() - once a second: reconnect serial sockets. */
void xend_console_tick(struct xend *x);

/* xend_console_history() - {"dom", "name", "text", "lines", "dropped"} of
 * domain @id's console, or NULL when it has none. */
json_object *xend_console_history(const struct xend *x, uint32_t id);

/* What a domain's console counted (`list`, the metrics). */
struct xend_console_stats {
	uint64_t lines;			/* lines the domain printed */
	uint64_t bytes;			/* bytes the domain printed */
	uint64_t dropped;		/* lines over the datagram budget */
	bool connected;			/* its source is open */
};

/* xend_console_stats() - domain @id's console counters into @st: 0, or
 * -ENOENT when it has no console. */
int xend_console_stats(const struct xend *x, uint32_t id,
		       struct xend_console_stats *st);

/* xend_console_json() - add "console" ({"lines", "dropped", "connected"})
 * and for a netns init "init" ({"pid", "running", "status"}) to domain
 * @id's object @o of `list`. */
void xend_console_json(const struct xend *x, uint32_t id, json_object *o);

#endif /* XENO_XCONS_H */

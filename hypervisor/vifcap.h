/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vifcap.h - vif packet captures (vif_capture): the switch's capture
 * rings drained into pcapng streams to the clients that asked for them
 *
 * A capture belongs to the control connection that started it: after the
 * reply line, the connection carries one pcapng section (SHB, IDB, EPBs,
 * and an ISB when the capture ends) and is closed. xend never opens a
 * file for a capture: the client writes the stream where its user may
 * write (docs/control-protocol.md).
 *
 * States of a capture:
 *   HANDOFF  made and attached to the switch's port; waiting for the
 *            control server to hand over the connection (or to give up:
 *            then it is detached and freed);
 *   RUNNING  its ring is drained into the client every XEND_CAP_TICK_MS
 *            and whenever the client's socket has room; it ends (-> ENDING)
 *            on vif_capture_stop, when the port goes away (the ring is
 *            marked detached), or when the client half-closes;
 *   ENDING   detached from the switch; what is left in the ring, then the
 *            ISB, is written; closed once written, when the client is gone
 *            (a write fails) or after XEND_CAP_LINGER_MS.
 * At most XEND_CAPTURES_MAX captures exist at once, in any state.
 */
#ifndef XENO_VIFCAP_H
#define XENO_VIFCAP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "xend.h"

#define XEND_CAPTURES_MAX	4
#define XEND_CAP_RING_BYTES	(4u << 20)	/* per capture */
#define XEND_CAP_OUT_BYTES	(256u * 1024)	/* pcapng not yet sent */
#define XEND_CAP_TICK_MS	10
#define XEND_CAP_LINGER_MS	5000
#define XEND_CAP_SNAPLEN_DEFAULT 65535

/* What to capture. */
struct xend_cap_spec {
	unsigned port;
	uint32_t dom, vif;
	const char *name;		/* the port's, for the IDB and logs */
	uint32_t snaplen;		/* 1..VS_CAPTURE_SNAPLEN_MAX */
	bool drops;
};

/* xend_cap_start() - make a capture of @spec, attach it to the switch and
 * set @req's handoff so the control server gives it the connection after
 * the reply. Returns its id (>= 0), -EBUSY when XEND_CAPTURES_MAX exist,
 * -ENOENT when the port is gone, -ENOMEM, or another -errno. */
int xend_cap_start(struct xend *x, const struct xend_cap_spec *spec,
		   struct ctl_req *req);

/* xend_cap_stop() - end every running capture of port @port (their
 * streams finish with the ISB). Returns how many. */
unsigned xend_cap_stop(struct xend *x, unsigned port);

/* xend_cap_json() - the running captures of port @port, as an array of
 * {id, snaplen, drops, frames, lost, written}, or NULL when none. */
json_object *xend_cap_json(unsigned port);

/* xend_cap_event() - epoll @events on @src (XEND_EV_CAPTURE or
 * XEND_EV_CAPTURE_TIMER). */
void xend_cap_event(struct xend *x, struct xend_evsrc *src, uint32_t events);

/* xend_cap_stop_all() - xend is stopping: end every capture, give each
 * client what its socket takes at once, close them. */
void xend_cap_stop_all(struct xend *x);

#endif /* XENO_VIFCAP_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sdnotify.h - tell a service manager (systemd) how xend is doing
 *
 * systemd's Type=notify: the manager names a datagram socket in
 * $NOTIFY_SOCKET and xend sends it READY=1 once the control socket is
 * listening and the state file is restored, STATUS= with the number of
 * domains whenever it changes, and STOPPING=1 when it starts shutting
 * down. Without $NOTIFY_SOCKET (no systemd, or another service type)
 * every function here does nothing. Main thread only.
 */
#ifndef XENO_SDNOTIFY_H
#define XENO_SDNOTIFY_H

#include "xend.h"

/* xend_notify_ready() - READY=1 and STATUS= with @x's domain count. */
void xend_notify_ready(const struct xend *x);

/* xend_notify_status() - STATUS= again if @x's domain count changed since
 * the last message; cheap enough to call after every main-loop wake-up. */
void xend_notify_status(const struct xend *x);

/* xend_notify_stopping() - STOPPING=1: shutdown has begun. */
void xend_notify_stopping(void);

#endif /* XENO_SDNOTIFY_H */

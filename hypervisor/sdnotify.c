// SPDX-License-Identifier: GPL-2.0-or-later
/* sdnotify.c - tell a service manager (systemd) how xend is doing
 *
 * A thin layer over libsystemd's sd_notify(): it only decides what to
 * say and when. sd_notify() itself returns 0 at once when $NOTIFY_SOCKET
 * is unset, so xend run by hand, by a script or by another init system
 * sends nothing. $NOTIFY_SOCKET stays in the environment: QEMU children
 * inherit it, but the unit's NotifyAccess=main makes systemd ignore
 * anything that does not come from xend itself.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "control.h"
#include "sdnotify.h"

static int last_count = -1;	/* in the last STATUS=; -1: none sent */

static int count_domains(const struct xend *x)
{
	int n = 0;

	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		n += x->doms[i] != NULL;
	return n;
}

/* Send @msg; a failure is logged once, never fatal: the service manager
 * then times out on its own and says so. */
static void send_msg(const char *msg)
{
	static bool warned;
	int ret = sd_notify(0, msg);

	if (ret < 0 && !warned) {
		log_warn("cannot notify the service manager: %s",
			 strerror(-ret));
		warned = true;
	}
}

static void send_state(const char *prefix, int n)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%sSTATUS=%d domain%s", prefix, n,
		 n == 1 ? "" : "s");
	send_msg(msg);
	last_count = n;
}

void xend_notify_ready(const struct xend *x)
{
	if (!getenv("NOTIFY_SOCKET"))	/* STATUS= updates stay off too */
		return;
	send_state("READY=1\n", count_domains(x));
}

void xend_notify_status(const struct xend *x)
{
	int n;

	if (last_count < 0)
		return;
	n = count_domains(x);
	if (n != last_count)
		send_state("", n);
}

void xend_notify_stopping(void)
{
	send_msg("STOPPING=1\nSTATUS=shutting down (domains keep running)");
}

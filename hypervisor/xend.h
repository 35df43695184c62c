/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xend.h - struct xend: the control plane's state
 *
 * One struct xend lives in xend.c's main(). Only the main thread touches
 * it: the switch is reached through the data plane (dataplane.h, swctl.h),
 * domains are built through their builder (builder.h), and the domain
 * table (domain.h) is written to the state file (state.h) by the command
 * dispatcher after each command that changes it.
 */
#ifndef XENO_XEND_H
#define XENO_XEND_H

#include <stdbool.h>

#include "nat.h"
#include "record.h"

#define XEND_VERSION		"0.1"

struct xend_dp;
struct xend_dom0;

struct xend {
	struct xend_dp *dp;
	struct xend_dom0 *dom0;		/* NULL: running without dom0 port */
	const char *dom0_ifname;
	char *state_dir;
	char *run_dir;			/* sockets of domains (QMP, serial) */
	const char *console_dir;	/* the domains' console logs */
	size_t console_ring;		/* bytes of history per console */
	int ctl_gid;			/* the control socket's group; -1 */
	int epfd;			/* the main loop's epoll set */
	struct xend_domain *doms[XEND_DOMS_MAX + 1];	/* by id; [0] unused */
	struct xend_limits dom0_lim;
	bool dom0_lim_set;
	struct nat_config nat;		/* valid when nat_on */
	bool nat_on;
	bool fastpath;			/* new netns vifs get the fast path */
};

/* xend_save() - write @x's state file now (state.c); a failure is logged
 * and the next change tries again. */
void xend_save(struct xend *x);

#endif /* XENO_XEND_H */

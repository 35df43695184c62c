/* SPDX-License-Identifier: GPL-2.0-or-later */
/* swctl.h - the control plane's calls into the switch
 *
 * Each function here runs its work on the data-plane thread through
 * xend_dp_call() (dataplane.h) and waits for it, so the control plane
 * never touches the switch directly and the fast path takes no locks.
 */
#ifndef XENO_SWCTL_H
#define XENO_SWCTL_H

#include <stdbool.h>

#include "dataplane.h"
#include "record.h"

/* What xend_sw_vif_apply() managed. */
struct xend_sw_apply {
	int lim_err;				/* 0 or -errno */
	int addr_err[XEND_VIF_ADDRS_MAX];	/* per address of the vif */
	unsigned addr_failed;			/* how many failed */
};

/* xend_sw_vif_apply() - give port @port the limits, DHCP trust and
 * addresses of @v. The limits come first and every address is tried even
 * if one fails (it may be taken by dom0 or another port): a vif is never
 * left unlimited because of an address. Returns 0 if all of it applied,
 * else the first error, with the details in @out. */
int xend_sw_vif_apply(struct xend_dp *dp, unsigned port,
		      const struct xend_vif *v, struct xend_sw_apply *out);

/* xend_sw_addr() - add (@add) or remove address @a on @port. 0 or -errno
 * (-EEXIST: another port has it, -ENOSPC: table full, -ENOENT). */
int xend_sw_addr(struct xend_dp *dp, unsigned port, const struct xend_addr *a,
		 bool add);

/* xend_sw_limits() - set @port's transmit and receive limits. */
int xend_sw_limits(struct xend_dp *dp, unsigned port,
		   const struct xend_limits *l);

/* xend_sw_capture() - attach (@on) capture @c to port @port, or detach
 * it; once detached the data plane no longer touches @c. 0 or -errno
 * (-ENOENT: no such port, or @c not on it; -ENOSPC: the port has
 * VS_CAPTURE_PORT_MAX). */
struct vs_capture;
int xend_sw_capture(struct xend_dp *dp, unsigned port, struct vs_capture *c,
		    bool on);

/* A copy of one port's state. */
struct xend_port_snap {
	unsigned port;
	struct vs_port_info info;
	char name[32];
	struct vs_port_stats st;
	struct credit_info tx, rx;
	struct in_addr v4[VS_ADDRS_MAX];
	struct in6_addr v6[VS_ADDRS_MAX];
	int n4, n6;
};

/* xend_sw_port_snap() - copy port @s->port's state into @s. 0/-ENOENT. */
int xend_sw_port_snap(struct xend_dp *dp, struct xend_port_snap *s);

/* A copy of the whole switch: totals and every port. */
struct xend_switch_snap {
	struct vs_stats st;
	unsigned n;
	struct xend_port_snap ports[VS_PORTS_MAX];
};

/* xend_sw_switch_snap() - fill @s (large: allocate it). */
void xend_sw_switch_snap(struct xend_dp *dp, struct xend_switch_snap *s);

#endif /* XENO_SWCTL_H */

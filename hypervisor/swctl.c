// SPDX-License-Identifier: GPL-2.0-or-later
/* swctl.c - the control plane's calls into the switch (see swctl.h)
 *
 * The dp_*() functions run on the data-plane thread and touch only the
 * switch and their argument; the xend_sw_*() wrappers run them there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "swctl.h"

static int sw_addr(struct vs_switch *sw, unsigned port,
		   const struct xend_addr *a, bool add)
{
	if (a->family == AF_INET)
		return add ? vs_addr4_add(sw, port, a->v4) :
			     vs_addr4_del(sw, port, a->v4);
	return add ? vs_addr6_add(sw, port, &a->v6) :
		     vs_addr6_del(sw, port, &a->v6);
}

static int sw_limits(struct vs_switch *sw, unsigned port,
		     const struct xend_limits *l, uint64_t now)
{
	int ret = vs_port_set_tx_limit(sw, port, l->bytes, l->usecs,
				       l->packets, now);

	if (!ret)
		ret = vs_port_set_rx_limit(sw, port, l->rx_bytes, l->rx_usecs,
					   l->rx_packets, now);
	return ret;
}

struct apply_arg {
	unsigned port;
	const struct xend_vif *v;
	struct xend_sw_apply *out;
};

static int dp_vif_apply(struct vs_switch *sw, void *p, uint64_t now)
{
	struct apply_arg *arg = p;
	const struct xend_vif *v = arg->v;
	struct xend_sw_apply *out = arg->out;
	int first = 0;

	memset(out, 0, sizeof(*out));
	out->lim_err = sw_limits(sw, arg->port, &v->lim, now);
	first = out->lim_err;
	if (!first)
		first = vs_port_set_dhcp_trusted(sw, arg->port, v->dhcp_server);
	for (unsigned i = 0; i < v->naddrs; i++) {
		out->addr_err[i] = sw_addr(sw, arg->port, &v->addrs[i].a, true);
		if (!out->addr_err[i])
			continue;
		out->addr_failed++;
		if (!first)
			first = out->addr_err[i];
	}
	return first;
}

/* xend_sw_vif_apply() - see swctl.h. */
int xend_sw_vif_apply(struct xend_dp *dp, unsigned port,
		      const struct xend_vif *v, struct xend_sw_apply *out)
{
	struct apply_arg arg = { .port = port, .v = v, .out = out };

	return xend_dp_call(dp, dp_vif_apply, &arg);
}

struct addr_arg {
	unsigned port;
	const struct xend_addr *a;
	bool add;
};

static int dp_addr(struct vs_switch *sw, void *p, uint64_t now)
{
	struct addr_arg *arg = p;

	(void)now;
	return sw_addr(sw, arg->port, arg->a, arg->add);
}

/* xend_sw_addr() - see swctl.h. */
int xend_sw_addr(struct xend_dp *dp, unsigned port, const struct xend_addr *a,
		 bool add)
{
	struct addr_arg arg = { .port = port, .a = a, .add = add };

	return xend_dp_call(dp, dp_addr, &arg);
}

struct limits_arg {
	unsigned port;
	const struct xend_limits *lim;
};

static int dp_limits(struct vs_switch *sw, void *p, uint64_t now)
{
	struct limits_arg *arg = p;

	return sw_limits(sw, arg->port, arg->lim, now);
}

/* xend_sw_limits() - see swctl.h. */
int xend_sw_limits(struct xend_dp *dp, unsigned port,
		   const struct xend_limits *l)
{
	struct limits_arg arg = { .port = port, .lim = l };

	return xend_dp_call(dp, dp_limits, &arg);
}

static int snap_port(const struct vs_switch *sw, unsigned port,
		     struct xend_port_snap *s)
{
	int ret = vs_port_info(sw, port, &s->info);

	if (ret)
		return ret;
	s->port = port;
	snprintf(s->name, sizeof(s->name), "%s",
		 s->info.name ? s->info.name : "");
	s->info.name = s->name;
	vs_port_stats(sw, port, &s->st);
	vs_port_limits(sw, port, &s->tx, &s->rx);
	s->n4 = vs_addr4_list(sw, port, s->v4, VS_ADDRS_MAX);
	s->n6 = vs_addr6_list(sw, port, s->v6, VS_ADDRS_MAX);
	return 0;
}

static int dp_port_snap(struct vs_switch *sw, void *p, uint64_t now)
{
	struct xend_port_snap *s = p;

	(void)now;
	return snap_port(sw, s->port, s);
}

/* xend_sw_port_snap() - see swctl.h. */
int xend_sw_port_snap(struct xend_dp *dp, struct xend_port_snap *s)
{
	return xend_dp_call(dp, dp_port_snap, s);
}

static int dp_switch_snap(struct vs_switch *sw, void *p, uint64_t now)
{
	struct xend_switch_snap *s = p;

	(void)now;
	vs_switch_stats(sw, &s->st);
	s->n = 0;
	for (unsigned port = 0; port < VS_PORTS_MAX; port++)
		if (!snap_port(sw, port, &s->ports[s->n]))
			s->n++;
	return 0;
}

/* xend_sw_switch_snap() - see swctl.h. */
void xend_sw_switch_snap(struct xend_dp *dp, struct xend_switch_snap *s)
{
	xend_dp_call(dp, dp_switch_snap, s);
}

struct capture_arg {
	unsigned port;
	struct vs_capture *c;
	bool on;
};

static int dp_capture(struct vs_switch *sw, void *p, uint64_t now)
{
	const struct capture_arg *a = p;

	(void)now;
	return a->on ? vs_port_capture_add(sw, a->port, a->c) :
		       vs_port_capture_del(sw, a->port, a->c);
}

/* xend_sw_capture() - see swctl.h. */
int xend_sw_capture(struct xend_dp *dp, unsigned port, struct vs_capture *c,
		    bool on)
{
	struct capture_arg a = { port, c, on };

	return xend_dp_call(dp, dp_capture, &a);
}

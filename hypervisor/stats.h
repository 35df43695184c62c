/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.h - the counters xend reports, collected once for every reader
 *
 * switch_stats and vif_stats (cmd_vif.c) answer in JSON, the metrics
 * endpoint (xmetrics.c) in the Prometheus text format. Both take the
 * switch's counters from the same snapshot (xend_sw_switch_snap(), one
 * call on the data-plane thread, so totals and ports are of one instant),
 * a vhost-user port's own counters from xend_dp_vhost_info(), and name
 * each counter from the tables below: the JSON key is the table's name,
 * the metric is xeno_vif_<name>_total (xeno_vif_vhost_<name>_total).
 */
#ifndef XENO_STATS_H
#define XENO_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane.h"
#include "swctl.h"
#include "xend.h"

/* One uint64_t counter of a struct, by name. */
struct xend_counter {
	const char *name;		/* JSON key, metric stem */
	const char *help;		/* what it counts (metrics HELP) */
	size_t off;			/* of the counter in its struct */
};

/* Counters of struct vs_port_stats (drops are per reason, apart). */
extern const struct xend_counter xend_port_counters[];
extern const unsigned xend_port_counters_n;

/* Counters of struct port_vu_stats, a vhost-user port's own. */
extern const struct xend_counter xend_vhost_counters[];
extern const unsigned xend_vhost_counters_n;

/* xend_counter_get() - counter @c of the struct at @base. */
static inline uint64_t xend_counter_get(const struct xend_counter *c,
					const void *base)
{
	uint64_t v;

	memcpy(&v, (const char *)base + c->off, sizeof(v));
	return v;
}

/* What xend knows of one switch port beside the switch's snapshot. */
struct xend_stats_port {
	const struct xend_domain *d;	/* its domain; NULL: dom0, the wire */
	const struct xend_vif *v;	/* its vif; NULL: dom0, the wire */
	bool vhost;			/* a vhost-user port: @vu is valid */
	struct xend_dp_vhost_info vu;
	int dp_thread;			/* the data-plane thread reading it */
};

/* Everything switch_stats, vif_stats and the metrics report of ports. */
struct xend_stats {
	struct xend_switch_snap sw;
	struct xend_stats_port ports[VS_PORTS_MAX];	/* as sw.ports[] */
	unsigned dp_threads;
	int fastpath_flows;		/* < 0: no kernel fast path */
};

/* xend_stats_collect() - fill @s (large: allocate it): the switch's
 * snapshot, and for each port its domain, vif and vhost-user counters.
 * The pointers into the domain table are valid until the table changes
 * (the caller's main-loop turn). */
void xend_stats_collect(struct xend *x, struct xend_stats *s);

#endif /* XENO_STATS_H */

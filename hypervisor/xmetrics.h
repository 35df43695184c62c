/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xmetrics.h - xend's counters in the Prometheus text format
 *
 * What GET /metrics (metrics.h) answers: the switch's totals, every port
 * (dom0's vif0.0, the wire, the domains' vifs) with its counters, drops
 * per reason, limits and credit, a vhost-user vif's own counters, every
 * domain with its console's counters, and NAT. The ports' numbers come
 * from the collector switch_stats and vif_stats use (stats.h), so a
 * scrape and `xc_dom_control switch_stats --json` taken while no frame
 * moves agree to the frame. The list of metrics is in docs/xend.8.
 */
#ifndef XENO_XMETRICS_H
#define XENO_XMETRICS_H

#include "promtext.h"

/* xend_metrics_render() - write every metric of xend @ctx (a struct
 * xend) into @out; a metrics_render_fn. 0 or -ENOMEM. */
int xend_metrics_render(void *ctx, struct prom *out);

#endif /* XENO_XMETRICS_H */

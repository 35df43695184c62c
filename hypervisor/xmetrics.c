// SPDX-License-Identifier: GPL-2.0-or-later
/* xmetrics.c - xend's counters in the Prometheus text format (see
 * xmetrics.h)
 *
 * Everything is gathered first (one switch snapshot, each domain's usage
 * and console counters) into rows that hold the values and the labels
 * naming them; then each family is written once with a sample per row,
 * as the format wants a family's samples together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "stats.h"
#include "xcons.h"
#include "xmetrics.h"
#include "xnat.h"

#define PORT_LABELS	5	/* kind, ifname, domain, name, vif */
#define LABELS_MAX	(PORT_LABELS + 4)

/* A port: its labels, as every family of ports names it. */
struct port_row {
	struct prom_label l[PORT_LABELS];
	unsigned n;
	char dom[12], vif[12];
};

/* A domain: its labels (domain, name), usage and console. */
struct dom_row {
	const struct xend_domain *d;
	struct prom_label l[2];
	char id[12];
	struct xend_dom_usage u;
	struct xend_console_stats con;
	bool has_con;
};

struct gather {
	struct xend_stats st;
	struct port_row ports[VS_PORTS_MAX];
	struct dom_row doms[XEND_DOMS_MAX];
	unsigned ndoms;
};

static const char *const kind_names[] = {
	[VS_PORT_DOM0] = "dom0", [VS_PORT_WIRE] = "wire",
	[VS_PORT_VIF] = "vif",
};

/* @base's @n labels and @extra more into @out; returns how many. */
static unsigned labels_plus(struct prom_label *out,
			    const struct prom_label *base, unsigned n,
			    const struct prom_label *extra, unsigned nextra)
{
	memcpy(out, base, n * sizeof(*out));
	memcpy(out + n, extra, nextra * sizeof(*out));
	return n + nextra;
}

static void port_row(const struct xend_port_snap *p,
		     const struct xend_stats_port *o, struct port_row *r)
{
	enum vs_port_kind k = p->info.kind;

	r->n = 0;
	r->l[r->n++] = (struct prom_label){ "kind", k <= VS_PORT_VIF ?
					    kind_names[k] : "?" };
	r->l[r->n++] = (struct prom_label){ "ifname", p->name };
	if (k == VS_PORT_WIRE)
		return;
	snprintf(r->dom, sizeof(r->dom), "%u", p->info.domid);
	snprintf(r->vif, sizeof(r->vif), "%u", p->info.vifidx);
	r->l[r->n++] = (struct prom_label){ "domain", r->dom };
	r->l[r->n++] = (struct prom_label){ "name", k == VS_PORT_DOM0 ?
					    "Domain-0" : o->d ? o->d->name :
					    "" };
	r->l[r->n++] = (struct prom_label){ "vif", r->vif };
}

static void dom_row(const struct xend *x, const struct xend_domain *d,
		    struct dom_row *r)
{
	const struct xend_builder *b = xend_builder_of(d->builder);

	r->d = d;
	snprintf(r->id, sizeof(r->id), "%u", d->id);
	r->l[0] = (struct prom_label){ "domain", r->id };
	r->l[1] = (struct prom_label){ "name", d->name };
	memset(&r->u, 0, sizeof(r->u));
	if (b && b->usage)
		b->usage(d, &r->u);
	r->has_con = !xend_console_stats(x, d->id, &r->con);
}

static void gather(struct xend *x, struct gather *g)
{
	xend_stats_collect(x, &g->st);
	for (unsigned i = 0; i < g->st.sw.n; i++)
		port_row(&g->st.sw.ports[i], &g->st.ports[i], &g->ports[i]);
	g->ndoms = 0;
	for (unsigned id = 1; id <= XEND_DOMS_MAX; id++)
		if (x->doms[id])
			dom_row(x, x->doms[id], &g->doms[g->ndoms++]);
}

/* ---- the switch ---- */

static void switch_metrics(struct prom *p, const struct gather *g)
{
	const struct vs_stats *st = &g->st.sw.st;

	prom_family(p, "xeno_switch_in_frames_total", PROM_COUNTER,
		    "Frames the switch took in (switch_stats in_frames).");
	prom_u64(p, NULL, 0, st->in_frames);
	prom_family(p, "xeno_switch_delivered_frames_total", PROM_COUNTER,
		    "Frames delivered to one or more ports.");
	prom_u64(p, NULL, 0, st->delivered);
	prom_family(p, "xeno_switch_dropped_frames_total", PROM_COUNTER,
		    "Frames dropped, by reason.");
	for (unsigned i = 0; i < VS_DROP__MAX; i++) {
		struct prom_label l = { "reason", vs_drop_names[i] };

		prom_u64(p, &l, 1, st->drops[i]);
	}
	prom_family(p, "xeno_switch_ports", PROM_GAUGE,
		    "Ports attached to the switch.");
	prom_u64(p, NULL, 0, g->st.sw.n);
	prom_family(p, "xeno_switch_dp_threads", PROM_GAUGE,
		    "Data-plane threads (xend --dp-threads).");
	prom_u64(p, NULL, 0, g->st.dp_threads);
	if (g->st.fastpath_flows < 0)
		return;
	prom_family(p, "xeno_switch_fastpath_flows", PROM_GAUGE,
		    "Flows the kernel fast path carries now (xend --fastpath).");
	prom_u64(p, NULL, 0, (uint64_t)g->st.fastpath_flows);
}

/* ---- ports ---- */

static void port_info(struct prom *p, const struct gather *g)
{
	prom_family(p, "xeno_vif_info", PROM_GAUGE,
		    "A switch port: its number, back end, state and the "
		    "data-plane thread that reads it.");
	for (unsigned i = 0; i < g->st.sw.n; i++) {
		const struct xend_stats_port *o = &g->st.ports[i];
		const struct port_row *r = &g->ports[i];
		struct prom_label l[LABELS_MAX];
		char port[12], th[12];
		struct prom_label extra[4] = {
			{ "port", port },
			{ "dp_thread", th },
			{ "backend", o->v ? rec_vif_backend_name(o->v->backend) :
				     "tap" },
			{ "state", rec_vif_state_name(o->v ? o->v->state :
						      XEND_VIF_UP) },
		};

		snprintf(port, sizeof(port), "%u", g->st.sw.ports[i].port);
		snprintf(th, sizeof(th), "%d", o->dp_thread);
		prom_u64(p, l, labels_plus(l, r->l, r->n, extra, 4), 1);
	}
}

static void port_counters(struct prom *p, const struct gather *g)
{
	char name[PROM_NAME_MAX];

	for (unsigned c = 0; c < xend_port_counters_n; c++) {
		const struct xend_counter *k = &xend_port_counters[c];

		snprintf(name, sizeof(name), "xeno_vif_%s_total", k->name);
		prom_family(p, name, PROM_COUNTER, k->help);
		for (unsigned i = 0; i < g->st.sw.n; i++)
			prom_u64(p, g->ports[i].l, g->ports[i].n,
				 xend_counter_get(k, &g->st.sw.ports[i].st));
	}
	prom_family(p, "xeno_vif_dropped_packets_total", PROM_COUNTER,
		    "Frames sent by the port and dropped, or meant for it and "
		    "dropped as rx_ratelimit or tx_error, by reason.");
	for (unsigned i = 0; i < g->st.sw.n; i++) {
		for (unsigned d = 0; d < VS_DROP__MAX; d++) {
			struct prom_label l[LABELS_MAX];
			struct prom_label reason = { "reason", vs_drop_names[d] };

			prom_u64(p, l, labels_plus(l, g->ports[i].l,
						   g->ports[i].n, &reason, 1),
				 g->st.sw.ports[i].st.drops[d]);
		}
	}
}

/* A limiter setting: credit_info's @field of the tx or rx limiter. */
static const struct {
	const char *name, *help;
	bool rx, micro;
	size_t off;
} limits[] = {
#define L(name, rx, field, micro, help) \
	{ name, help, rx, micro, offsetof(struct credit_info, field) }
	L("xeno_vif_tx_limit_bytes", false, bytes, false,
	  "Transmit credit given every period (0: no byte limit)."),
	L("xeno_vif_tx_limit_packets", false, packets, false,
	  "Frames allowed every period (0: no frame limit)."),
	L("xeno_vif_tx_limit_period_seconds", false, usecs, true,
	  "The transmit credit period (0: unlimited)."),
	L("xeno_vif_rx_limit_bytes", true, bytes, false,
	  "Receive bytes allowed every period (0: no byte limit)."),
	L("xeno_vif_rx_limit_packets", true, packets, false,
	  "Receive frames allowed every period (0: no frame limit)."),
	L("xeno_vif_rx_limit_period_seconds", true, usecs, true,
	  "The receive limit's period (0: unlimited)."),
#undef L
};

static void port_limits(struct prom *p, const struct gather *g)
{
	prom_family(p, "xeno_vif_tx_credit_remaining_bytes", PROM_GAUGE,
		    "Transmit credit left in this period (switch_stats "
		    "credit_remaining).");
	for (unsigned i = 0; i < g->st.sw.n; i++)
		prom_i64(p, g->ports[i].l, g->ports[i].n,
			 g->st.sw.ports[i].tx.remaining);
	for (unsigned k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
		prom_family(p, limits[k].name, PROM_GAUGE, limits[k].help);
		for (unsigned i = 0; i < g->st.sw.n; i++) {
			const struct xend_port_snap *s = &g->st.sw.ports[i];
			uint64_t v;

			memcpy(&v, (const char *)(limits[k].rx ? &s->rx :
						  &s->tx) + limits[k].off,
			       sizeof(v));
			if (limits[k].micro)
				prom_micro(p, g->ports[i].l, g->ports[i].n, v);
			else
				prom_u64(p, g->ports[i].l, g->ports[i].n, v);
		}
	}
}

static void port_vhost(struct prom *p, const struct gather *g)
{
	char name[PROM_NAME_MAX];

	prom_family(p, "xeno_vif_vhost_connected", PROM_GAUGE,
		    "A vhost-user vif's front end is connected.");
	for (unsigned i = 0; i < g->st.sw.n; i++)
		if (g->st.ports[i].vhost)
			prom_u64(p, g->ports[i].l, g->ports[i].n,
				 g->st.ports[i].vu.connected);
	for (unsigned c = 0; c < xend_vhost_counters_n; c++) {
		const struct xend_counter *k = &xend_vhost_counters[c];

		snprintf(name, sizeof(name), "xeno_vif_vhost_%s_total",
			 k->name);
		prom_family(p, name, PROM_COUNTER, k->help);
		for (unsigned i = 0; i < g->st.sw.n; i++)
			if (g->st.ports[i].vhost)
				prom_u64(p, g->ports[i].l, g->ports[i].n,
					 xend_counter_get(k,
						&g->st.ports[i].vu.st));
	}
}

/* ---- domains ---- */

static const char *dom_state(const struct xend_dom_usage *u)
{
	if (u->stopped)
		return "stopped";
	return u->running ? "running" : "gone";
}

static void dom_info(struct prom *p, const struct gather *g)
{
	prom_family(p, "xeno_domains", PROM_GAUGE,
		    "Domains xend runs (Domain-0 not counted).");
	prom_u64(p, NULL, 0, g->ndoms);
	prom_family(p, "xeno_domain_info", PROM_GAUGE,
		    "A domain: its builder and state (running, stopped, "
		    "gone).");
	for (unsigned i = 0; i < g->ndoms; i++) {
		const struct dom_row *r = &g->doms[i];
		struct prom_label l[4] = {
			r->l[0], r->l[1],
			{ "builder", rec_builder_name(r->d->builder) },
			{ "state", dom_state(&r->u) },
		};

		prom_u64(p, l, 4, 1);
	}
	prom_family(p, "xeno_domain_vcpus", PROM_GAUGE,
		    "Virtual CPUs of the domain's config.");
	for (unsigned i = 0; i < g->ndoms; i++)
		prom_u64(p, g->doms[i].l, 2, g->doms[i].d->vcpus);
	prom_family(p, "xeno_domain_memory_bytes", PROM_GAUGE,
		    "Memory the domain uses (QEMU's resident set), or its "
		    "config's (list mem_kb).");
	for (unsigned i = 0; i < g->ndoms; i++)
		prom_u64(p, g->doms[i].l, 2, 1024 * (g->doms[i].u.mem_kb ?
						      g->doms[i].u.mem_kb :
						      g->doms[i].d->mem_kb));
	prom_family(p, "xeno_domain_cpu_seconds_total", PROM_COUNTER,
		    "CPU time the domain used, whole seconds (list time_s).");
	for (unsigned i = 0; i < g->ndoms; i++)
		prom_u64(p, g->doms[i].l, 2, g->doms[i].u.time_s);
}

static void dom_console(struct prom *p, const struct gather *g)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} cons[] = {
		{ "xeno_domain_console_lines_total", "Lines the domain "
		  "printed on its console.",
		  offsetof(struct xend_console_stats, lines) },
		{ "xeno_domain_console_bytes_total", "Bytes the domain "
		  "printed on its console.",
		  offsetof(struct xend_console_stats, bytes) },
		{ "xeno_domain_console_dropped_lines_total", "Console lines "
		  "not sent as datagrams: over the domain's budget.",
		  offsetof(struct xend_console_stats, dropped) },
	};
	uint64_t v;

	for (unsigned k = 0; k < sizeof(cons) / sizeof(cons[0]); k++) {
		prom_family(p, cons[k].name, PROM_COUNTER, cons[k].help);
		for (unsigned i = 0; i < g->ndoms; i++) {
			if (!g->doms[i].has_con)
				continue;
			memcpy(&v, (const char *)&g->doms[i].con +
			       cons[k].off, sizeof(v));
			prom_u64(p, g->doms[i].l, 2, v);
		}
	}
	prom_family(p, "xeno_domain_console_connected", PROM_GAUGE,
		    "The console's source (serial socket, init's pty) is "
		    "open.");
	for (unsigned i = 0; i < g->ndoms; i++)
		if (g->doms[i].has_con)
			prom_u64(p, g->doms[i].l, 2,
				 g->doms[i].con.connected);
}

/* ---- NAT ---- */

static void nat_metrics(struct prom *p, const struct xend *x,
			const struct gather *g)
{
	prom_family(p, "xeno_nat_enabled", PROM_GAUGE,
		    "dom0's NAT is enabled (xen_nat enable).");
	prom_u64(p, NULL, 0, x->nat_on);
	prom_family(p, "xeno_nat_redirects", PROM_GAUGE,
		    "ssh port redirects to domains.");
	prom_u64(p, NULL, 0, x->nat_on ? g->ndoms : 0);
	prom_family(p, "xeno_nat_redirect_port", PROM_GAUGE,
		    "The uplink's TCP port that reaches the domain's ssh.");
	for (unsigned i = 0; x->nat_on && i < g->ndoms; i++)
		prom_u64(p, g->doms[i].l, 2,
			 xend_nat_port(x, g->doms[i].d->id));
}

/* xend_metrics_render() - see xmetrics.h. */
int xend_metrics_render(void *ctx, struct prom *out)
{
	struct xend *x = ctx;
	struct gather *g = calloc(1, sizeof(*g));
	struct prom_label version = { "version", XEND_VERSION };

	if (!g)
		return -ENOMEM;
	gather(x, g);
	prom_family(out, "xeno_xend_info", PROM_GAUGE, "xend's version.");
	prom_u64(out, &version, 1, 1);
	switch_metrics(out, g);
	port_info(out, g);
	port_counters(out, g);
	port_limits(out, g);
	port_vhost(out, g);
	dom_info(out, g);
	dom_console(out, g);
	nat_metrics(out, x, g);
	free(g);
	return prom_error(out);
}

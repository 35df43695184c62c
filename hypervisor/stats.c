// SPDX-License-Identifier: GPL-2.0-or-later
/* stats.c - the counters xend reports, collected once (see stats.h) */
#include "domain.h"
#include "fastpath.h"
#include "stats.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* In the order switch_stats and vif_stats have always listed them. */
const struct xend_counter xend_port_counters[] = {
#define C(field, help) { #field, help, offsetof(struct vs_port_stats, field) }
	C(tx_bytes, "Bytes the port sent into the switch that passed its "
		    "ingress policy."),
	C(tx_packets, "Frames the port sent into the switch that passed "
		      "its ingress policy."),
	C(rx_bytes, "Bytes the switch delivered to the port."),
	C(rx_packets, "Frames the switch delivered to the port."),
	C(in_packets, "Every frame taken from the port."),
	C(throttled, "Times the port was deferred for transmit credit."),
#undef C
};
const unsigned xend_port_counters_n = ARRAY_SIZE(xend_port_counters);

const struct xend_counter xend_vhost_counters[] = {
#define C(name, field, help) \
	{ name, help, offsetof(struct port_vu_stats, field) }
	C("connects", connects, "Connections made to the front end."),
	C("disconnects", disconnects, "Connections closed by an error or "
				      "the peer."),
	C("messages", messages, "vhost-user messages served."),
	C("zero_copy", zero_copy, "Guest frames switched in place."),
	C("copied", gathered, "Guest frames copied whole."),
	C("rx_bad", rx_bad, "Guest frames refused (too short or long)."),
	C("ring_full", ring_full, "Frames refused: receive ring full."),
	C("too_big", too_big, "Frames bigger than a receive buffer, "
			      "refused."),
	C("no_ring", no_ring, "Frames refused: receive ring not live."),
	C("segmented", segmented, "GSO frames segmented in software."),
	C("csum_done", csum_done, "Checksums completed in software."),
	C("kicks", kicks, "Kick eventfd reads."),
	C("calls", calls, "Call eventfd signals."),
#undef C
};
const unsigned xend_vhost_counters_n = ARRAY_SIZE(xend_vhost_counters);

/* The domain and vif of a switch port, if it is a domain's vif. */
static void port_owner(struct xend *x, const struct xend_port_snap *p,
		       struct xend_stats_port *o)
{
	const struct xend_domain *d;

	if (p->info.kind != VS_PORT_VIF)
		return;
	d = xend_dom_get(x, p->info.domid);
	if (!d || p->info.vifidx >= d->nvifs ||
	    d->vifs[p->info.vifidx].port != (int)p->port)
		return;
	o->d = d;
	o->v = &d->vifs[p->info.vifidx];
}

/* xend_stats_collect() - see stats.h. */
void xend_stats_collect(struct xend *x, struct xend_stats *s)
{
	xend_sw_switch_snap(x->dp, &s->sw);
	s->dp_threads = xend_dp_threads(x->dp);
	s->fastpath_flows = xend_fp_flows(xend_dp_fastpath_get(x->dp));
	for (unsigned i = 0; i < s->sw.n; i++) {
		struct xend_stats_port *o = &s->ports[i];

		memset(o, 0, sizeof(*o));
		port_owner(x, &s->sw.ports[i], o);
		o->dp_thread = xend_dp_port_thread(x->dp, s->sw.ports[i].port);
		if (o->v && o->v->backend == XEND_VIF_BACKEND_VHOST_USER)
			o->vhost = !xend_dp_vhost_info(x->dp,
						       s->sw.ports[i].port,
						       &o->vu);
	}
}

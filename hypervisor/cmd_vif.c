// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd_vif.c - vif commands: vif_stats, vif_addip, vif_delip,
 * vif_setsched, vif_getsched, vif_capture, vif_capture_stop, and
 * switch_stats
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cmd.h"
#include "domain.h"
#include "fastpath.h"
#include "netns.h"
#include "stats.h"
#include "vifcap.h"

/* The "ip" field, any address. */
static int ip_field(struct ctl_req *req, struct xend_addr *a, const char **s)
{
	if (ctl_get_string(req, req->msg, "", "ip", true, 64, s))
		return -1;
	if (xend_addr_parse(*s, a))
		return ctl_fail(req, "field 'ip': '%s' is not an IPv4 or IPv6 "
				"address", *s);
	return 0;
}

/* The "ip" field: an address @r's domain may hold. */
static int get_ip(struct ctl_req *req, const struct vif_ref *r,
		  struct xend_addr *a)
{
	const char *s = NULL;

	if (ctl_get_string(req, req->msg, "", "ip", true, 64, &s))
		return -1;
	return rec_addr_get(req, s, "ip", r->dom, a);
}

static int addr_error(struct ctl_req *req, const struct vif_ref *r,
		      const struct xend_addr *a, int err)
{
	char s[INET6_ADDRSTRLEN];

	xend_addr_format(a, s);
	if (err == -EEXIST)
		return ctl_fail(req, "address %s is already in use on the "
				"switch", s);
	if (err == -ENOSPC)
		return ctl_fail(req, "too many addresses on vif %u.%u (at most "
				"%d per family)", r->dom, r->vif, VS_ADDRS_MAX);
	return ctl_fail(req, "address %s: %s", s, strerror(-err));
}

/* After an address change, a DEGRADED vif whose refused addresses are
 * now all on the switch is UP again. */
static void vif_recheck(struct xend *x, const struct vif_ref *r)
{
	struct xend_sw_apply res;

	if (r->v->state != XEND_VIF_DEGRADED)
		return;
	if (!xend_sw_vif_apply(x->dp, r->port, r->v, &res)) {
		r->v->state = XEND_VIF_UP;
		r->v->error[0] = '\0';
		log_info("vif %u.%u: every address is on the switch again",
			 r->dom, r->vif);
	}
}

/* The vif a request names (dom0's too) and a copy of its port's state. */
static int vif_snap(struct xend *x, struct ctl_req *req, struct vif_ref *r,
		    struct xend_port_snap *s)
{
	int ret;

	if (cmd_get_vif(x, req, true, r))
		return -1;
	memset(s, 0, sizeof(*s));
	s->port = r->port;
	ret = xend_sw_port_snap(x->dp, s);
	if (ret)
		return ctl_fail(req, "vif %u.%u: %s", r->dom, r->vif,
				strerror(-ret));
	return 0;
}

/* A vhost-user vif's own state and counters. */
static json_object *vhost_json(struct xend *x, unsigned port)
{
	struct xend_dp_vhost_info vi;
	json_object *o;
	char feat[24];

	if (xend_dp_vhost_info(x->dp, port, &vi))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "connected",
			       json_object_new_boolean(vi.connected));
	snprintf(feat, sizeof(feat), "0x%llx",
		 (unsigned long long)vi.features);
	json_object_object_add(o, "features", json_object_new_string(feat));
	if (vi.error[0])
		json_object_object_add(o, "last_error",
				       json_object_new_string(vi.error));
	for (unsigned i = 0; i < xend_vhost_counters_n; i++)
		cmd_add_u64(o, xend_vhost_counters[i].name,
			    xend_counter_get(&xend_vhost_counters[i], &vi.st));
	return o;
}

/* A netns domain's TAP drops what its domain sends once the queue toward
 * xend is full (the tun driver has no back-pressure): that counter says
 * where such frames went, beside the switch's own. */
static void tap_dropped_json(const struct vif_ref *r, json_object *stats)
{
	uint64_t n;

	/* The TAP is in dom0 in the fast path's layout, else it is ethK */
	if (!r->d || !r->v || r->d->builder != XEND_BUILDER_NETNS ||
	    (xend_netns_link_tx_dropped(NULL, r->v->ifname, &n) &&
	     xend_netns_link_tx_dropped(r->d->nsname, r->v->nsifname, &n)))
		return;
	json_object_object_add(stats, "tap_tx_dropped",
			       json_object_new_int64((int64_t)n));
}

/* The data-plane thread that reads the port (ports move only when they
 * are attached, by this thread). */
static void dp_thread_json(struct xend *x, unsigned port, json_object *o)
{
	int th = xend_dp_port_thread(x->dp, port);

	if (th >= 0)
		json_object_object_add(o, "dp_thread",
				       json_object_new_int64(th));
}

static int cmd_vif_stats(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_port_snap s;
	json_object *stats, *caps;
	struct vif_ref r;

	if (vif_snap(x, req, &r, &s))
		return -1;
	stats = cmd_stats_json(&s.st, &s.tx);
	json_object_object_add(stats, "state", json_object_new_string(
		rec_vif_state_name(r.v ? r.v->state : XEND_VIF_UP)));
	if (r.v && r.v->error[0])
		json_object_object_add(stats, "error",
				       json_object_new_string(r.v->error));
	if (r.v)
		json_object_object_add(stats, "backend", json_object_new_string(
			rec_vif_backend_name(r.v->backend)));
	if (r.v && r.v->backend == XEND_VIF_BACKEND_VHOST_USER)
		json_object_object_add(stats, "vhost",
				       vhost_json(x, r.port));
	dp_thread_json(x, s.port, stats);
	tap_dropped_json(&r, stats);
	json_object_object_add(stats, "fastpath", json_object_new_boolean(
		xend_fp_is_vif(xend_dp_fastpath_get(x->dp), s.port)));
	caps = xend_cap_json(r.port);
	if (caps)
		json_object_object_add(stats, "captures", caps);
	json_object_object_add(req->reply, "stats", stats);
	return 0;
}

static int cmd_vif_addip(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	const struct xend_domain *o;
	char s[INET6_ADDRSTRLEN];
	struct xend_addr a;
	struct vif_ref r;
	uint32_t ovif;
	int ret;

	if (cmd_get_vif(x, req, false, &r) || get_ip(req, &r, &a))
		return -1;
	xend_addr_format(&a, s);
	o = xend_dom_addr_owner(x, &a, r.v, &ovif);
	if (o)
		return ctl_fail(req, "address %s is already used by vif %u.%u",
				s, o->id, ovif);
	if (rec_vif_find_addr(r.v, &a) >= 0) {
		vif_recheck(x, &r);
		return 0;
	}
	if (r.v->naddrs >= XEND_VIF_ADDRS_MAX)
		return ctl_fail(req, "too many addresses on vif %u.%u (at most "
				"%d)", r.dom, r.vif, XEND_VIF_ADDRS_MAX);
	ret = xend_sw_addr(x->dp, r.port, &a, true);
	if (ret)
		return addr_error(req, &r, &a, ret);
	rec_vif_add_addr(r.v, &a, false);
	log_info("vif %u.%u: added address %s", r.dom, r.vif, s);
	return 0;
}

static int cmd_vif_delip(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	char s[INET6_ADDRSTRLEN];
	const char *ip = NULL;
	struct xend_addr a;
	struct vif_ref r;
	int i, ret;

	if (cmd_get_vif(x, req, false, &r) || ip_field(req, &a, &ip))
		return -1;
	xend_addr_format(&a, s);
	i = rec_vif_find_addr(r.v, &a);
	if (i < 0)
		return ctl_fail(req, "vif %u.%u has no address %s", r.dom,
				r.vif, s);
	ret = xend_sw_addr(x->dp, r.port, &a, false);
	if (ret && ret != -ENOENT)
		return ctl_fail(req, "address %s: %s", s, strerror(-ret));
	r.v->naddrs--;
	memmove(&r.v->addrs[i], &r.v->addrs[i + 1],
		(r.v->naddrs - (unsigned)i) * sizeof(r.v->addrs[0]));
	vif_recheck(x, &r);
	log_info("vif %u.%u: removed address %s", r.dom, r.vif, s);
	return 0;
}

/* bytes and usecs are required; packets absent means 0; the rx_* fields
 * absent mean unchanged. */
static int cmd_vif_setsched(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_limits lim;
	struct vif_ref r;
	int ret;

	if (cmd_get_vif(x, req, true, &r))
		return -1;
	lim = r.v ? r.v->lim : x->dom0_lim;
	lim.packets = 0;
	if (rec_get_range(req, req->msg, "", "bytes", true, 0,
			  XEND_LIMIT_BYTES_MAX, &lim.bytes) ||
	    rec_get_range(req, req->msg, "", "usecs", true, 0,
			  XEND_LIMIT_USECS_MAX, &lim.usecs) ||
	    rec_limits_parse(req, req->msg, "", &lim))
		return -1;
	ret = xend_sw_limits(x->dp, r.port, &lim);
	if (ret)
		return ctl_fail(req, "vif %u.%u: %s", r.dom, r.vif,
				strerror(-ret));
	if (r.v) {
		r.v->lim = lim;
	} else {
		x->dom0_lim = lim;
		x->dom0_lim_set = true;
	}
	log_info("vif %u.%u: %llu bytes, %llu packets every %llu us", r.dom,
		 r.vif, (unsigned long long)lim.bytes,
		 (unsigned long long)lim.packets,
		 (unsigned long long)lim.usecs);
	return 0;
}

static int cmd_vif_getsched(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_port_snap s;
	const struct xend_limits *l;
	struct vif_ref r;

	if (vif_snap(x, req, &r, &s))
		return -1;
	l = r.v ? &r.v->lim : &x->dom0_lim;
	cmd_add_u64(req->reply, "credit_bytes", l->bytes);
	cmd_add_u64(req->reply, "credit_usecs", l->usecs);
	cmd_add_u64(req->reply, "packets", l->packets);
	cmd_add_u64(req->reply, "rx_bytes", l->rx_bytes);
	cmd_add_u64(req->reply, "rx_usecs", l->rx_usecs);
	cmd_add_u64(req->reply, "rx_packets", l->rx_packets);
	json_object_object_add(req->reply, "remaining",
			       json_object_new_int64(s.tx.remaining));
	/* what the switch enforces, so a mismatch can never hide */
	cmd_add_u64(req->reply, "applied_bytes", s.tx.bytes);
	cmd_add_u64(req->reply, "applied_usecs", s.tx.usecs);
	cmd_add_u64(req->reply, "applied_packets", s.tx.packets);
	return 0;
}

/* The fields of vif_capture: snaplen (1..65535) and drops. */
static int capture_fields(struct ctl_req *req, struct xend_cap_spec *c)
{
	c->snaplen = XEND_CAP_SNAPLEN_DEFAULT;
	c->drops = false;
	if (ctl_get_u32(req, req->msg, "", "snaplen", false,
			VS_CAPTURE_SNAPLEN_MAX, &c->snaplen) ||
	    ctl_get_bool(req, req->msg, "", "drops", false, &c->drops))
		return -1;
	if (!c->snaplen)
		return ctl_fail(req, "field 'snaplen' out of range (1..%d)",
				VS_CAPTURE_SNAPLEN_MAX);
	return 0;
}

/* The reply line, then the capture's pcapng stream on this connection
 * (vifcap.h). */
static int cmd_vif_capture(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_port_snap s;
	struct xend_cap_spec c;
	json_object *o;
	struct vif_ref r;
	int id;

	if (vif_snap(x, req, &r, &s) || capture_fields(req, &c))
		return -1;
	if (req->fd < 0)
		return ctl_fail(req, "a capture streams over a control "
				"connection");
	c.port = r.port;
	c.dom = r.dom;
	c.vif = r.vif;
	c.name = s.name;
	id = xend_cap_start(x, &c, req);
	if (id == -EBUSY)
		return ctl_fail(req, "too many captures (at most %d at once); "
				"end one with vif_capture DOM VIF --stop",
				XEND_CAPTURES_MAX);
	if (id < 0)
		return ctl_fail(req, "vif %u.%u: %s", r.dom, r.vif,
				strerror(-id));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "name", json_object_new_string(s.name));
	json_object_object_add(o, "snaplen", json_object_new_int64(c.snaplen));
	json_object_object_add(o, "drops", json_object_new_boolean(c.drops));
	json_object_object_add(req->reply, "capture", o);
	return 0;
}

static int cmd_vif_capture_stop(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct vif_ref r;
	unsigned n;

	if (cmd_get_vif(x, req, true, &r))
		return -1;
	n = xend_cap_stop(x, r.port);
	if (!n)
		return ctl_fail(req, "vif %u.%u has no capture running",
				r.dom, r.vif);
	json_object_object_add(req->reply, "stopped",
			       json_object_new_int64(n));
	return 0;
}

static json_object *port_json(struct xend *x, const struct xend_port_snap *p)
{
	static const char *const kinds[] = {
		[VS_PORT_DOM0] = "dom0", [VS_PORT_WIRE] = "wire",
		[VS_PORT_VIF] = "vif",
	};
	json_object *o = json_object_new_object();
	bool wire = p->info.kind == VS_PORT_WIRE;

	json_object_object_add(o, "port", json_object_new_int64(p->port));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "kind", json_object_new_string(
		p->info.kind <= VS_PORT_VIF ? kinds[p->info.kind] : "?"));
	json_object_object_add(o, "dom", wire ? NULL :
			       json_object_new_int64(p->info.domid));
	json_object_object_add(o, "vif", wire ? NULL :
			       json_object_new_int64(p->info.vifidx));
	json_object_object_add(o, "stats", cmd_stats_json(&p->st, &p->tx));
	dp_thread_json(x, p->port, o);
	return o;
}

/* The kernel fast path, when started: its flows now. */
static void fastpath_json(struct xend *x, json_object *o)
{
	int n = xend_fp_flows(xend_dp_fastpath_get(x->dp));

	json_object_object_add(o, "fastpath", json_object_new_boolean(n >= 0));
	if (n >= 0)
		cmd_add_u64(o, "fastpath_flows", (uint64_t)n);
}

static int cmd_switch_stats(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_switch_snap *s = calloc(1, sizeof(*s));
	json_object *drops, *ports;

	if (!s)
		return ctl_fail(req, "out of memory");
	xend_sw_switch_snap(x->dp, s);
	drops = json_object_new_object();
	ports = json_object_new_array();
	cmd_add_u64(req->reply, "in_frames", s->st.in_frames);
	cmd_add_u64(req->reply, "delivered", s->st.delivered);
	cmd_add_u64(req->reply, "dp_threads", xend_dp_threads(x->dp));
	fastpath_json(x, req->reply);
	for (unsigned i = 0; i < VS_DROP__MAX; i++)
		cmd_add_u64(drops, vs_drop_names[i], s->st.drops[i]);
	json_object_object_add(req->reply, "drops", drops);
	for (unsigned i = 0; i < s->n; i++)
		json_object_array_add(ports, port_json(x, &s->ports[i]));
	json_object_object_add(req->reply, "ports", ports);
	free(s);
	return 0;
}

/* xend_cmds_vif - see cmd.h. */
const struct xend_cmd xend_cmds_vif[] = {
	{ "vif_stats",		cmd_vif_stats,		0 },
	{ "vif_addip",		cmd_vif_addip,		XEND_CMD_MUTATES },
	{ "vif_delip",		cmd_vif_delip,		XEND_CMD_MUTATES },
	{ "vif_setsched",	cmd_vif_setsched,	XEND_CMD_MUTATES },
	{ "vif_getsched",	cmd_vif_getsched,	0 },
	{ "vif_capture",	cmd_vif_capture,	0 },
	{ "vif_capture_stop",	cmd_vif_capture_stop,	0 },
	{ "switch_stats",	cmd_switch_stats,	0 },
	{ NULL,			NULL,			0 },
};

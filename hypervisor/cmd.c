// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd.c - xend's command table and what the handlers share (see cmd.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dom0.h"
#include "domain.h"
#include "stats.h"

/* ---- the table ---- */

static const struct xend_cmd *const families[] = {
	xend_cmds_dom, xend_cmds_vif, xend_cmds_vbd, xend_cmds_nat,
};

static const struct xend_cmd *find(const char *name)
{
	for (unsigned f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct xend_cmd *c = families[f]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

/* xend_cmd_flags() - see cmd.h. */
unsigned xend_cmd_flags(const char *name)
{
	const struct xend_cmd *c = name ? find(name) : NULL;

	return c ? c->flags : 0;
}

static void save_after(void *ctx)
{
	xend_save(ctx);
}

/* xend_cmd_table() - see cmd.h. Made once from the families' tables, so
 * they are the only list of commands. */
const struct ctl_cmd *xend_cmd_table(void)
{
	static struct ctl_cmd table[XEND_CMDS_MAX + 1];
	unsigned n = 0;

	if (table[0].name)
		return table;
	for (unsigned f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct xend_cmd *c = families[f];
		     c->name && n < XEND_CMDS_MAX; c++)
			table[n++] = (struct ctl_cmd){
				c->name, c->fn,
				(c->flags & XEND_CMD_MUTATES) ? save_after :
								NULL };
	return table;
}

/* xend_cmd_dispatch() - see cmd.h. */
char *xend_cmd_dispatch(struct xend *x, const char *line, size_t len)
{
	return ctl_dispatch_line(xend_cmd_table(), x, line, len);
}

/* ---- lookups ---- */

/* cmd_get_dom() - see cmd.h. */
int cmd_get_dom(struct xend *x, struct ctl_req *req, bool dom0_ok,
		struct xend_domain **out)
{
	uint32_t id = 0;

	*out = NULL;
	if (ctl_get_u32(req, req->msg, "", "dom", true, UINT32_MAX, &id))
		return -1;
	if (id == 0 && !dom0_ok)
		return ctl_fail(req, "not supported for Domain-0");
	if (id && !xend_dom_get(x, id))
		return ctl_fail(req, "unknown domain %u", id);
	*out = xend_dom_get(x, id);
	return 0;
}

/* cmd_get_vif() - see cmd.h. */
int cmd_get_vif(struct xend *x, struct ctl_req *req, bool dom0_ok,
		struct vif_ref *r)
{
	memset(r, 0, sizeof(*r));
	if (cmd_get_dom(x, req, dom0_ok, &r->d) ||
	    ctl_get_u32(req, req->msg, "", "vif", true, UINT32_MAX, &r->vif))
		return -1;
	r->dom = r->d ? r->d->id : 0;
	if (!r->d) {
		if (r->vif != 0 || !x->dom0)
			return ctl_fail(req, "Domain-0 has no vif %u", r->vif);
		r->port = xend_dom0_port(x->dom0);
		return 0;
	}
	if (r->vif >= r->d->nvifs)
		return ctl_fail(req, "domain %u has no vif %u", r->dom, r->vif);
	r->v = &r->d->vifs[r->vif];
	if (r->v->port < 0)
		return ctl_fail(req, "vif %u.%u is not attached to the switch"
				"%s%s", r->dom, r->vif,
				r->v->error[0] ? ": " : "", r->v->error);
	r->port = (unsigned)r->v->port;
	return 0;
}

/* cmd_unsupported() - see cmd.h. */
int cmd_unsupported(struct ctl_req *req, const struct xend_domain *d)
{
	return ctl_fail(req, "not supported for %s domain %u",
			rec_builder_name(d->builder), d->id);
}

/* ---- JSON ---- */

/* cmd_add_u64() - see cmd.h. */
void cmd_add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* cmd_stats_json() - see cmd.h. */
json_object *cmd_stats_json(const struct vs_port_stats *st,
			    const struct credit_info *tx)
{
	json_object *o = json_object_new_object();
	json_object *drops = json_object_new_object();

	for (unsigned i = 0; i < xend_port_counters_n; i++)
		cmd_add_u64(o, xend_port_counters[i].name,
			    xend_counter_get(&xend_port_counters[i], st));
	json_object_object_add(o, "credit_remaining",
			       json_object_new_int64(tx->remaining));
	for (unsigned i = 0; i < VS_DROP__MAX; i++)
		cmd_add_u64(drops, vs_drop_names[i], st->drops[i]);
	json_object_object_add(o, "drops", drops);
	return o;
}

/* cmd_vif_json() - see cmd.h. */
json_object *cmd_vif_json(const struct xend_vif *v)
{
	json_object *o = json_object_new_object();
	json_object *ips = json_object_new_array();
	char mac[XENO_MAC_STRLEN], s[INET6_ADDRSTRLEN];

	vs_mac_format(v->mac, mac);
	json_object_object_add(o, "vif", json_object_new_int64(v->idx));
	json_object_object_add(o, "ifname", json_object_new_string(v->ifname));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	for (unsigned i = 0; i < v->naddrs; i++) {
		xend_addr_format(&v->addrs[i].a, s);
		json_object_array_add(ips, json_object_new_string(s));
	}
	json_object_object_add(o, "ip", ips);
	json_object_object_add(o, "port", v->port < 0 ? NULL :
			       json_object_new_int64(v->port));
	json_object_object_add(o, "state", json_object_new_string(
		rec_vif_state_name(v->state)));
	if (v->error[0])
		json_object_object_add(o, "error",
				       json_object_new_string(v->error));
	if (v->dhcp_server)
		json_object_object_add(o, "dhcp_server",
				       json_object_new_boolean(true));
	json_object_object_add(o, "backend", json_object_new_string(
		rec_vif_backend_name(v->backend)));
	if (v->socket[0])
		json_object_object_add(o, "socket",
				       json_object_new_string(v->socket));
	return o;
}

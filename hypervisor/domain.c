// SPDX-License-Identifier: GPL-2.0-or-later
/* domain.c - xend's domain table: lookups, create, restore, removal
 *
 * Theory of operation
 * -------------------
 * create: the config is checked in full into a record (record.c) before
 * anything is built, so a bad request changes nothing. The record then
 * goes into the table and the state file as BUILDING, the builder builds
 * it, and it becomes RUNNING (saved again by the dispatcher). If xend dies
 * during the build, the next xend finds the BUILDING record and tears the
 * half-built domain down, so its id and names are free again.
 *
 * restart: state.c reads the records; RUNNING ones are adopted by their
 * builder, BUILDING ones torn down, and then each builder reaps what it
 * made that no record lists (a damaged state file, a crash before the
 * first save), so leftovers never block a later create.
 *
 * A failed port (the data plane stops reading a TAP that vanished) is
 * reported here; the vif's builder rebuilds it or the vif is marked FAILED,
 * visibly in list and vif_stats.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "dom0.h"
#include "domain.h"
#include "fastpath.h"
#include "netns.h"
#include "state.h"
#include "swctl.h"
#include "xcons.h"
#include "xnat.h"

static const struct xend_builder *builders[] = {
	[XEND_BUILDER_NETNS] = &xend_builder_netns,
	[XEND_BUILDER_QEMU] = &xend_builder_qemu,
	[XEND_BUILDER_EXTERNAL] = &xend_builder_external,
};

/* xend_builder_set() - see builder.h. */
void xend_builder_set(enum xend_builder_kind kind,
		      const struct xend_builder *b)
{
	if ((unsigned)kind < sizeof(builders) / sizeof(builders[0]))
		builders[kind] = b;
}

/* xend_builder_of() - see builder.h. */
const struct xend_builder *xend_builder_of(enum xend_builder_kind kind)
{
	if ((unsigned)kind >= sizeof(builders) / sizeof(builders[0]))
		return NULL;
	return builders[kind];
}

/* xend_save() - see xend.h. */
void xend_save(struct xend *x)
{
	/* a failure is logged by state.c; the next change tries again */
	xend_state_write(x->state_dir, x->doms,
			 x->dom0_lim_set ? &x->dom0_lim : NULL,
			 x->nat_on ? &x->nat : NULL);
}

/* ---- lookups ---- */

/* xend_dom_get() - see domain.h. */
struct xend_domain *xend_dom_get(const struct xend *x, uint32_t id)
{
	return id >= 1 && id <= XEND_DOMS_MAX ? x->doms[id] : NULL;
}

/* xend_dom_find_name() - see domain.h. */
struct xend_domain *xend_dom_find_name(const struct xend *x, const char *name)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i] && !strcmp(x->doms[i]->name, name))
			return x->doms[i];
	return NULL;
}

/* xend_dom_addr_owner() - see domain.h. */
const struct xend_domain *xend_dom_addr_owner(const struct xend *x,
					      const struct xend_addr *a,
					      const struct xend_vif *self,
					      uint32_t *vifidx)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		const struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvifs; k++) {
			const struct xend_vif *v = &d->vifs[k];

			if (v != self && rec_vif_find_addr(v, a) >= 0) {
				*vifidx = v->idx;
				return d;
			}
		}
	}
	return NULL;
}

/* The lowest free id: no domain, no namespace file of that name (even a
 * leftover one), no TAP of its vif 0, and its link-local address not held
 * by any vif. */
static uint32_t pick_id(const struct xend *x)
{
	struct xend_addr ll = { .family = AF_INET, .plen = 32 };
	char name[64], tap[IFNAMSIZ + 8];
	uint32_t vif;

	for (uint32_t id = 1; id <= XEND_DOMS_MAX; id++) {
		if (x->doms[id])
			continue;
		snprintf(name, sizeof(name), XEND_NETNS_PREFIX "%u", id);
		snprintf(tap, sizeof(tap), XEND_TAP_PREFIX "%u.0", id);
		ll.v4.s_addr = htonl(xeno_ll_dom(id));
		/* a QEMU domain of another xend has no namespace, only TAPs */
		if (!xend_netns_present(name) && !if_nametoindex(tap) &&
		    !xend_dom_addr_owner(x, &ll, NULL, &vif))
			return id;
	}
	return 0;
}

/* xend_dom_check_new() - see domain.h. */
int xend_dom_check_new(const struct xend *x, const struct xend_domain *d,
		       struct ctl_req *req)
{
	const struct xend_domain *o;
	char s[INET6_ADDRSTRLEN];
	uint32_t vifidx;

	o = xend_dom_find_name(x, d->name);
	if (o)
		return ctl_fail(req, "a domain named '%s' exists (domain %u)",
				d->name, o->id);
	for (unsigned k = 0; k < d->nvifs; k++) {
		for (unsigned i = 0; i < d->vifs[k].naddrs; i++) {
			o = xend_dom_addr_owner(x, &d->vifs[k].addrs[i].a,
						NULL, &vifidx);
			if (!o)
				continue;
			xend_addr_format(&d->vifs[k].addrs[i].a, s);
			return ctl_fail(req, "address %s is already used by vif "
					"%u.%u", s, o->id, vifidx);
		}
	}
	return 0;
}

/* ---- vifs on the switch ---- */

static void port_name(const struct xend_domain *d, const struct xend_vif *v,
		      char out[32])
{
	snprintf(out, 32, "vif%u.%u", d->id, v->idx);
}

/* xend_vif_applied() - see domain.h. */
void xend_vif_applied(const struct xend_domain *d, struct xend_vif *v,
		      const struct xend_sw_apply *r)
{
	char s[INET6_ADDRSTRLEN];
	size_t n = 0;

	v->state = XEND_VIF_UP;
	v->error[0] = '\0';
	if (r->lim_err) {
		v->state = XEND_VIF_DEGRADED;
		n += (size_t)snprintf(v->error, sizeof(v->error),
				      "limits not applied: %s; ",
				      strerror(-r->lim_err));
	}
	for (unsigned i = 0; i < v->naddrs && n < sizeof(v->error); i++) {
		if (!r->addr_err[i])
			continue;
		xend_addr_format(&v->addrs[i].a, s);
		v->state = XEND_VIF_DEGRADED;
		n += (size_t)snprintf(v->error + n, sizeof(v->error) - n,
				      "address %s refused: %s; ", s,
				      r->addr_err[i] == -EEXIST ?
				      "in use by another port" :
				      strerror(-r->addr_err[i]));
	}
	if (n >= 2 && n < sizeof(v->error))
		v->error[n - 2] = '\0';
	if (v->state == XEND_VIF_DEGRADED)
		log_warn("vif %u.%u: attached, but %s", d->id, v->idx,
			 v->error);
}

/* xend_vif_attach_tap() - see domain.h. */
/* Attach @v through @attach (the TAP at @fd, or a vhost-user port on
 * @path: @be names it in errors), then apply its limits and addresses. */
static int vif_attach(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v, int fd, const char *path,
		      struct ctl_req *req)
{
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF, .domid = d->id, .vifidx = v->idx,
	};
	struct xend_sw_apply r;
	char name[32], mac[XENO_MAC_STRLEN];
	int ret;

	port_name(d, v, name);
	cfg.name = name;
	memcpy(cfg.mac, v->mac, XENO_MAC_LEN);
	ret = path ? xend_dp_attach_vhost(x->dp, path, &cfg) :
		     xend_dp_attach_tap(x->dp, fd, &cfg);
	if (ret < 0) {
		vs_mac_format(v->mac, mac);
		if (ret == -EEXIST)
			ctl_fail(req, "MAC %s is already in use", mac);
		else if (ret == -ENAMETOOLONG)
			ctl_fail(req, "vhost-user socket path %s is too long "
				 "(at most %d bytes)", path, XEND_SOCKET_MAX);
		else
			ctl_fail(req, "cannot attach %s to the switch: %s",
				 path ? path : v->ifname, strerror(-ret));
		return ret;
	}
	v->port = ret;
	xend_sw_vif_apply(x->dp, (unsigned)ret, v, &r);
	xend_vif_applied(d, v, &r);
	return 0;
}

/* xend_vif_attach_tap() - see domain.h. */
int xend_vif_attach_tap(struct xend *x, const struct xend_domain *d,
			struct xend_vif *v, int fd, struct ctl_req *req)
{
	return vif_attach(x, d, v, fd, NULL, req);
}

/* xend_vif_attach_vhost() - see domain.h. */
int xend_vif_attach_vhost(struct xend *x, const struct xend_domain *d,
			  struct xend_vif *v, const char *path,
			  struct ctl_req *req)
{
	return vif_attach(x, d, v, -1, path, req);
}

/* xend_vif_not_restored() - see domain.h. */
void xend_vif_not_restored(const struct xend_domain *d, struct xend_vif *v,
			   const char *why)
{
	v->state = XEND_VIF_FAILED;
	snprintf(v->error, sizeof(v->error), "not restored: %.100s", why);
	log_err("vif %u.%u: %s", d->id, v->idx, v->error);
}

void xend_vif_detach(struct xend *x, const struct xend_domain *d,
		     struct xend_vif *v)
{
	if (v->port >= 0 && xend_dp_detach(x->dp, (unsigned)v->port))
		log_warn("vif %u.%u: port %d was not attached", d->id, v->idx,
			 v->port);
	if (v->port >= 0)
		xend_fp_vif_del(xend_dp_fastpath_get(x->dp), (unsigned)v->port);
	v->port = -1;
}

/* A create must not leave a vif that lost an address to a race: the
 * request asked for every one of them. */
static int check_applied(const struct xend_domain *d, struct ctl_req *req)
{
	for (unsigned i = 0; i < d->nvifs; i++) {
		if (d->vifs[i].state != XEND_VIF_UP) {
			ctl_fail(req, "vif %u.%u: %s", d->id, d->vifs[i].idx,
				 d->vifs[i].error);
			return -EEXIST;
		}
	}
	return 0;
}

/* ---- create and remove ---- */

/* xend_dom_create() - see domain.h. */
int xend_dom_create(struct xend *x, json_object *cfg, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d = rec_domain_new();

	if (!d)
		return ctl_fail(req, "out of memory");
	d->id = pick_id(x);
	if (!d->id) {
		ctl_fail(req, "too many domains (at most %d)", XEND_DOMS_MAX);
		goto fail;
	}
	if (rec_config_parse(req, cfg, d) || xend_dom_check_new(x, d, req))
		goto fail;
	b = xend_builder_of(d->builder);
	if (!b || !b->build) {
		ctl_fail(req, "builder '%s' is not available yet",
			 rec_builder_name(d->builder));
		goto fail;
	}
	d->config = json_object_get(cfg);
	d->state = XEND_DOM_BUILDING;
	x->doms[d->id] = d;
	xend_save(x);			/* a crash from here on is reaped */
	if (b->build(x, d, req) || check_applied(d, req)) {
		b->teardown(x, d);
		x->doms[d->id] = NULL;
		xend_save(x);
		goto fail;
	}
	d->state = XEND_DOM_RUNNING;
	if (x->dom0)
		xend_dom0_neigh_forget(x->dom0, (struct in_addr){
			htonl(xeno_ll_dom(d->id)) });
	xend_nat_dom_added(x, d);
	xend_console_open(x, d, true);
	log_info("domain %u (%s) created (%s)", d->id, d->name, b->name);
	return (int)d->id;
fail:
	rec_domain_free(d);
	return -1;
}

/* xend_dom_remove() - see domain.h. */
void xend_dom_remove(struct xend *x, struct xend_domain *d)
{
	const struct xend_builder *b = xend_builder_of(d->builder);

	xend_console_close(x, d->id);	/* its last lines first */
	if (b)
		b->teardown(x, d);
	xend_nat_dom_removed(x, d);
	x->doms[d->id] = NULL;
	log_info("domain %u (%s) destroyed", d->id, d->name);
	rec_domain_free(d);
}

/* ---- restart ---- */

/* Take back one record; true if it is in the table afterwards. */
static bool restore_one(struct xend *x, struct xend_domain *d)
{
	const struct xend_builder *b = xend_builder_of(d->builder);
	int ret;

	if (x->doms[d->id] || xend_dom_find_name(x, d->name)) {
		log_warn("state: domain %u (%s) dropped: id or name listed "
			 "twice", d->id, d->name);
		return false;
	}
	if (!b) {
		log_warn("state: domain %u (%s) dropped: no builder '%s'",
			 d->id, d->name, rec_builder_name(d->builder));
		return false;
	}
	if (d->state == XEND_DOM_BUILDING) {
		log_warn("state: domain %u (%s) was being created when xend "
			 "stopped: removing what was built", d->id, d->name);
		b->teardown(x, d);
		return false;
	}
	ret = b->adopt(x, d);
	if (ret == -ENOENT) {
		log_warn("state: domain %u (%s) dropped: it is gone", d->id,
			 d->name);
		b->teardown(x, d);	/* its TAPs may be left in dom0 */
		return false;
	}
	if (ret) {
		log_warn("state: domain %u (%s) dropped: %s", d->id, d->name,
			 strerror(-ret));
		b->teardown(x, d);
		return false;
	}
	x->doms[d->id] = d;
	log_info("state: domain %u (%s) restored", d->id, d->name);
	return true;
}

/* xend_doms_restore() - see domain.h. */
int xend_doms_restore(struct xend *x, struct xend_domain **recs, unsigned n)
{
	int restored = 0, reaped = 0;

	for (unsigned i = 0; i < n; i++) {
		if (restore_one(x, recs[i]))
			restored++;
		else
			rec_domain_free(recs[i]);
		recs[i] = NULL;
	}
	for (unsigned k = 0; k < sizeof(builders) / sizeof(builders[0]); k++)
		if (builders[k] && builders[k]->reap)
			reaped += builders[k]->reap(x);
	if (reaped)
		log_warn("state: removed %d leftover%s no record listed",
			 reaped, reaped == 1 ? "" : "s");
	if (xend_dom0_limits_apply(x))
		log_warn("state: cannot apply dom0's limits");
	return restored;
}

/* xend_doms_detach_all() - see domain.h. */
void xend_doms_detach_all(struct xend *x)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvifs; k++)
			xend_vif_detach(x, d, &d->vifs[k]);
		xend_console_close(x, i);
		rec_domain_free(d);
		x->doms[i] = NULL;
	}
}

/* xend_dom0_limits_apply() - see domain.h. */
int xend_dom0_limits_apply(struct xend *x)
{
	if (!x->dom0 || !x->dom0_lim_set)
		return 0;
	return xend_sw_limits(x->dp, xend_dom0_port(x->dom0), &x->dom0_lim);
}

/* xend_dom_exited() - see domain.h. */
void xend_dom_exited(struct xend *x, uint32_t id)
{
	struct xend_domain *d = xend_dom_get(x, id);

	if (!d)
		return;
	log_warn("domain %u (%s): its process %d ended on its own", d->id,
		 d->name, d->pid);
	xend_dom_remove(x, d);
}

/* ---- failed ports ---- */

static struct xend_vif *vif_of_port(struct xend *x, unsigned port,
				    struct xend_domain **dp)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvifs; k++) {
			if (d->vifs[k].port == (int)port) {
				*dp = d;
				return &d->vifs[k];
			}
		}
	}
	return NULL;
}

static void dom0_failed(struct xend *x)
{
	int ret = xend_dom0_rebuild(x->dom0);

	if (ret) {
		log_err("dom0: cannot rebuild %s: %s", x->dom0_ifname,
			strerror(-ret));
		return;
	}
	if (xend_dom0_limits_apply(x))
		log_warn("dom0: cannot apply dom0's limits");
	log_warn("dom0: %s was rebuilt", x->dom0_ifname);
}

/* xend_port_failed() - see domain.h. */
void xend_port_failed(struct xend *x, unsigned port)
{
	struct ctl_req req = { 0 };
	struct xend_domain *d = NULL;
	struct xend_vif *v;
	const struct xend_builder *b;

	if (x->dom0 && port == xend_dom0_port(x->dom0)) {
		dom0_failed(x);
		return;
	}
	v = vif_of_port(x, port, &d);
	if (!v) {
		xend_dp_detach(x->dp, port);	/* the wire, or unknown */
		log_warn("port %u failed and was detached", port);
		return;
	}
	xend_vif_detach(x, d, v);
	b = xend_builder_of(d->builder);
	if (b && b->vif_rebuild && !b->vif_rebuild(x, d, v, &req)) {
		log_warn("vif %u.%u: its back end failed; rebuilt as port %d",
			 d->id, v->idx, v->port);
		return;
	}
	v->state = XEND_VIF_FAILED;
	snprintf(v->error, sizeof(v->error), "back end failed; rebuild: %.96s",
		 req.error[0] ? req.error : "not supported");
	log_err("vif %u.%u: %s", d->id, v->idx, v->error);
}

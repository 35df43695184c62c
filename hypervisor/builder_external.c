// SPDX-License-Identifier: GPL-2.0-or-later
/* builder_external.c - the external builder: a domain whose front end
 * xend does not start
 *
 * Theory of operation
 * -------------------
 * An external domain is a virtual machine or a packet-processing program
 * that someone else runs (a VMM started by hand, DPDK's virtio-user, a
 * test harness): xend starts no process for it. Each of its vifs is a
 * vhost-user port of the switch, the client of the server socket the
 * front end listens on (the vif's `socket`). The port connects as soon as
 * something listens there, and again whenever the connection goes
 * (port_vhost_user.h), so the front end may start before or after the
 * domain is created, and restart. Everything else is a domain like any
 * other: anti-spoofing, isolation, limits, statistics, a link-local
 * address, NAT redirects.
 *
 * There is nothing to stop, save or pin: those commands answer "not
 * supported for external domain N". destroy detaches the ports (the front
 * end sees its connection close); after an xend restart the ports are
 * attached again and the front end renegotiates without restarting.
 */
#include <errno.h>

#include "builder.h"
#include "domain.h"

static int ext_attach_all(struct xend *x, struct xend_domain *d,
			  struct ctl_req *req)
{
	for (unsigned i = 0; i < d->nvifs; i++) {
		struct xend_vif *v = &d->vifs[i];
		int ret = xend_vif_attach_vhost(x, d, v, v->socket, req);

		if (ret)
			return ret;	/* the caller tears down */
	}
	return 0;
}

static int ext_build(struct xend *x, struct xend_domain *d,
		     struct ctl_req *req)
{
	int ret = ext_attach_all(x, d, req);

	if (!ret)
		log_info("domain %u: external, %u vhost-user vif(s)", d->id,
			 d->nvifs);
	return ret;
}

static void ext_teardown(struct xend *x, struct xend_domain *d)
{
	for (unsigned i = 0; i < d->nvifs; i++)
		xend_vif_detach(x, d, &d->vifs[i]);
}

static int ext_adopt(struct xend *x, struct xend_domain *d)
{
	for (unsigned i = 0; i < d->nvifs; i++) {
		struct xend_vif *v = &d->vifs[i];
		struct ctl_req req = { 0 };

		v->port = -1;
		if (xend_vif_attach_vhost(x, d, v, v->socket, &req))
			xend_vif_not_restored(d, v, req.error);
	}
	return 0;
}

static int ext_vif_rebuild(struct xend *x, struct xend_domain *d,
			   struct xend_vif *v, struct ctl_req *req)
{
	return xend_vif_attach_vhost(x, d, v, v->socket, req);
}

static void ext_usage(const struct xend_domain *d, struct xend_dom_usage *u)
{
	(void)d;
	u->running = true;
	u->cpu = -1;
}

const struct xend_builder xend_builder_external = {
	.name = "external",
	.build = ext_build,
	.teardown = ext_teardown,
	.adopt = ext_adopt,
	.vif_rebuild = ext_vif_rebuild,
	.usage = ext_usage,
};

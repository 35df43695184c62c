// SPDX-License-Identifier: GPL-2.0-or-later
/* xnat.c - xend's NAT state and the domains' redirects (see xnat.h) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "xnat.h"

/* xend_nat_port() - see xnat.h. */
unsigned xend_nat_port(const struct xend *x, uint32_t dom)
{
	return x->nat_on ? x->nat.port_base + dom : 0;
}

static void redirect_of(const struct xend *x, const struct xend_domain *d,
			struct nat_redirect *r)
{
	r->dom = d->id;
	r->port = (uint16_t)xend_nat_port(x, d->id);
	r->addr.s_addr = htonl(xeno_ll_dom(d->id));
}

/* xend_nat_sync() - see xnat.h. */
int xend_nat_sync(struct xend *x)
{
	struct nat_redirect r[XEND_DOMS_MAX];
	char err[NAT_ERR_MAX];
	unsigned n = 0;
	int ret;

	if (!x->nat_on)
		return 0;
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i])
			redirect_of(x, x->doms[i], &r[n++]);
	ret = nat_apply(&x->nat, r, n, err, sizeof(err));
	if (ret)
		log_err("nat: cannot restore the rules (%s on %s): %s",
			nat_backend_name(x->nat.backend), x->nat.uplink, err);
	else
		log_info("nat: %s rules on %s, %u redirect%s",
			 nat_backend_name(x->nat.backend), x->nat.uplink, n,
			 n == 1 ? "" : "s");
	return ret;
}

/* xend_nat_dom_added() - see xnat.h. */
void xend_nat_dom_added(struct xend *x, const struct xend_domain *d)
{
	struct nat_redirect r;
	char err[NAT_ERR_MAX];

	if (!x->nat_on || !d)
		return;
	redirect_of(x, d, &r);
	if (nat_port_in_use(r.port))
		log_warn("nat: port %u (domain %u's ssh) is also a listening "
			 "port of dom0: from the uplink it reaches the domain",
			 r.port, d->id);
	if (nat_redirect_add(&x->nat, &r, err, sizeof(err)))
		log_err("nat: domain %u: cannot add redirect %u: %s", d->id,
			r.port, err);
}

/* xend_nat_dom_removed() - see xnat.h. */
void xend_nat_dom_removed(struct xend *x, const struct xend_domain *d)
{
	struct nat_redirect r;
	char err[NAT_ERR_MAX];

	if (!x->nat_on)
		return;
	redirect_of(x, d, &r);
	if (nat_redirect_del(&x->nat, &r, err, sizeof(err)))
		log_err("nat: domain %u: cannot remove redirect %u: %s", d->id,
			r.port, err);
}

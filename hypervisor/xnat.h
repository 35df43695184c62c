/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xnat.h - xend's NAT: the state it owns and how domains join it
 *
 * Once NAT is enabled (`xen_nat enable`, the nat_enable command), xend
 * keeps dom0's NAT rules and one ssh redirect per domain (TCP
 * port_base + N -> 169.254.1.N:22) through nat/ (nat.h): a redirect is
 * added when a domain is created or restored and removed when it goes.
 * The configuration is in the state file; when xend starts it re-makes
 * the rules with every domain's redirect in one transaction, so stale
 * redirects go and none is doubled.
 */
#ifndef XENO_XNAT_H
#define XENO_XNAT_H

#include <json-c/json.h>

#include "nat.h"
#include "xend.h"

/* xend_nat_port() - domain @dom's redirect port, or 0 when NAT is off. */
unsigned xend_nat_port(const struct xend *x, uint32_t dom);

/* xend_nat_sync() - make the rules match the table (xend start): 0, or
 * -errno, logged. Does nothing when NAT is off. */
int xend_nat_sync(struct xend *x);

/* xend_nat_dom_added() / xend_nat_dom_removed() - a domain came or went:
 * add or remove its redirect (logged on failure; never fails the caller).
 */
void xend_nat_dom_added(struct xend *x, const struct xend_domain *d);
void xend_nat_dom_removed(struct xend *x, const struct xend_domain *d);

#endif /* XENO_XNAT_H */

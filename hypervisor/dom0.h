/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dom0.h - dom0's port: the TAP vif0.0 and the addresses dom0 owns
 *
 * xend_dom0_start() creates the TAP vif0.0 (IFF_VNET_HDR), brings it up
 * with 169.254.1.0/16 through libnl, attaches it to the switch as the dom0
 * port with the TAP's MAC, and registers every address of dom0's
 * interfaces (IPv4 and IPv6, loopback excluded) as owned by dom0, so ARP
 * and ND for them are delivered to dom0. A netlink socket follows address
 * changes afterwards: the control loop polls xend_dom0_fd() and calls
 * xend_dom0_process() when it is readable.
 */
#ifndef XENO_DOM0_H
#define XENO_DOM0_H

#include <netinet/in.h>

#include "dataplane.h"

#define XEND_DOM0_IFNAME	"vif0.0"

struct xend_dom0;

/* xend_dom0_start() - set up dom0's port as above on @dp. @ifname NULL
 * means XEND_DOM0_IFNAME. Returns NULL with errno set on failure. */
struct xend_dom0 *xend_dom0_start(struct xend_dp *dp, const char *ifname);

/* xend_dom0_stop() - detach the port and delete vif0.0. Accepts NULL. */
void xend_dom0_stop(struct xend_dom0 *d0);

/* xend_dom0_rebuild() - dom0's TAP failed (deleted behind xend's back):
 * detach the old port, make the TAP again, attach and configure it and
 * resync dom0's addresses. The port number may change. 0 or -errno. */
int xend_dom0_rebuild(struct xend_dom0 *d0);

/* xend_dom0_neigh_forget() - drop dom0's neighbour entry for @a on its
 * TAP: a new domain that takes a freed id (and its 169.254.1.N) has
 * another MAC, which dom0 would otherwise only learn after its stale
 * entry times out. */
void xend_dom0_neigh_forget(struct xend_dom0 *d0, struct in_addr a);

/* xend_dom0_fd() - the netlink socket to poll for address changes. */
int xend_dom0_fd(const struct xend_dom0 *d0);

/* xend_dom0_process() - apply pending address events; 0 or -errno. */
int xend_dom0_process(struct xend_dom0 *d0);

/* xend_dom0_mac() - the MAC of dom0's TAP, as the switch knows it. */
void xend_dom0_mac(const struct xend_dom0 *d0, uint8_t mac[6]);

/* xend_dom0_port() - dom0's switch port number. */
unsigned xend_dom0_port(const struct xend_dom0 *d0);

#endif /* XENO_DOM0_H */

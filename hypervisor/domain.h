/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domain.h - xend's domain table: lookups, create, restore, removal
 *
 * The table (struct xend.doms, by id) owns every struct xend_domain that
 * is not being created. Creating and removing a domain, taking domains
 * back after a restart, reaping what the table does not know, and
 * reacting to a failed port all go through here; the builder of each
 * domain (builder.h) does the work. Records and their states: record.h.
 */
#ifndef XENO_DOMAIN_H
#define XENO_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "builder.h"
#include "control.h"
#include "swctl.h"
#include "xend.h"

/* xend_dom_get() - domain @id, or NULL. */
struct xend_domain *xend_dom_get(const struct xend *x, uint32_t id);

/* xend_dom_find_name() - the domain called @name, or NULL. */
struct xend_domain *xend_dom_find_name(const struct xend *x, const char *name);

/* xend_dom_addr_owner() - the domain holding address @a on a vif other
 * than @self (NULL: any), its vif index in *@vifidx; NULL if none. */
const struct xend_domain *xend_dom_addr_owner(const struct xend *x,
					      const struct xend_addr *a,
					      const struct xend_vif *self,
					      uint32_t *vifidx);

/* xend_dom_check_new() - may record @d (not in the table) join it: its
 * name and every address of its vifs unused by the domains there. 0, or
 * -1 with req's error set. */
int xend_dom_check_new(const struct xend *x, const struct xend_domain *d,
		       struct ctl_req *req);

/* xend_dom_create() - check the create request's @cfg, record the domain
 * as BUILDING in the state file, build it, and enter it in the table as
 * RUNNING. Returns the new id, or -1 with req's error set (nothing is
 * left behind). */
int xend_dom_create(struct xend *x, json_object *cfg, struct ctl_req *req);

/* xend_dom_remove() - tear @d down through its builder, take it out of
 * the table and free it. */
void xend_dom_remove(struct xend *x, struct xend_domain *d);

/* xend_doms_restore() - take back the domains of the state file (@recs,
 * @n; each freed or owned by the table afterwards): BUILDING ones are torn
 * down, RUNNING ones adopted by their builder. Then every builder reaps
 * what the table does not hold. Returns how many domains were restored. */
int xend_doms_restore(struct xend *x, struct xend_domain **recs, unsigned n);

/* xend_doms_detach_all() - at shutdown: detach every vif from the switch
 * and free the table. Domains keep running; the state file lists them. */
void xend_doms_detach_all(struct xend *x);

/* xend_dom0_limits_apply() - apply x->dom0_lim to dom0's port. */
int xend_dom0_limits_apply(struct xend *x);

/* xend_vif_attach_tap() - attach TAP @fd (owned from here on) to the
 * switch as @v's port, then apply @v's limits and addresses; @v's state
 * becomes UP or DEGRADED (an address refused: @v->error says which).
 * -errno with req's error set if the port could not be attached. */
int xend_vif_attach_tap(struct xend *x, const struct xend_domain *d,
			struct xend_vif *v, int fd, struct ctl_req *req);

/* xend_vif_attach_vhost() - attach @v as a vhost-user port, the client
 * of the front end's socket @path (port_vhost_user.h: it connects now or
 * as soon as something listens there), then apply @v's limits and
 * addresses as xend_vif_attach_tap() does. */
int xend_vif_attach_vhost(struct xend *x, const struct xend_domain *d,
			  struct xend_vif *v, const char *path,
			  struct ctl_req *req);

/* xend_vif_not_restored() - after an xend restart, @v could not be taken
 * back (@why): mark it FAILED with the reason and log it. */
void xend_vif_not_restored(const struct xend_domain *d, struct xend_vif *v,
			   const char *why);

/* xend_vif_applied() - set @v's state (UP, or DEGRADED with the reason)
 * from what xend_sw_vif_apply() managed, logging a degraded vif. */
void xend_vif_applied(const struct xend_domain *d, struct xend_vif *v,
		      const struct xend_sw_apply *r);

/* xend_vif_detach() - take @v's port off the switch (if attached). */
void xend_vif_detach(struct xend *x, const struct xend_domain *d,
		     struct xend_vif *v);

/* xend_dom_exited() - domain @id's process (QEMU) ended on its own: tear
 * it down through its builder, log how it ended, take it out of the
 * table. The caller saves the state. */
void xend_dom_exited(struct xend *x, uint32_t id);

/* xend_port_failed() - the data plane stopped port @port (its back end
 * failed): find its owner, and have the builder rebuild the vif, or mark
 * it FAILED. dom0's port is rebuilt by dom0.c. */
void xend_port_failed(struct xend *x, unsigned port);

#endif /* XENO_DOMAIN_H */

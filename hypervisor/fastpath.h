/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fastpath.h - xend's kernel fast path for netns domains
 *
 * Theory of operation
 * -------------------
 * With the fast path, a netns domain's vif K is a veth pair, ethK in the
 * domain's namespace and xvN.Kv in dom0, beside the persistent TAP xvN.K
 * that stays in dom0 and is the vif's switch port, as before. Two tc
 * programs (vswitch/bpf/fastpath.bpf.c) join them: what the domain sends
 * leaves the veth into the TAP, where xend reads it; what xend writes
 * into the TAP goes through the veth into the domain. So without any flow
 * installed, every frame takes the switch, exactly as with a TAP in the
 * namespace.
 *
 * When the switch delivers a frame from one such vif to another
 * (vs_offer_fn, vswitch.h), xend installs the frame's key (fastpath.h in
 * vswitch/bpf) in the kernel's flow table, and frames like it then go
 * from the sender's veth into the receiver's eth without leaving the
 * sending CPU's softirq: no copy, no wake-up of xend. The kernel counts
 * what it carried per port; xend folds those counts into the switch's
 * before every control command (xend_fp_fold()), so vif_stats and the
 * accounting invariant see every frame. Whenever a command changed the
 * switch's configuration (vs_switch_gen()), the flow table is emptied
 * before the command answers (xend_fp_sync()).
 *
 * Ownership: the data plane owns the struct xend_fp (dataplane.h) and
 * calls fold and sync around commands; builder_netns.c adds and removes
 * vifs. The programs stay attached to the devices when xend exits, so the
 * domains keep their network across a restart; the next xend attaches
 * its own in their place.
 */
#ifndef XENO_FASTPATH_XEND_H
#define XENO_FASTPATH_XEND_H

#include <stdbool.h>

#include "vswitch.h"

struct xend_fp;

/* xend_fp_new() - load the programs and make the maps. Returns NULL with
 * errno set (EPERM without CAP_BPF and CAP_NET_ADMIN, ...) and a reason
 * in @why (@whylen bytes). */
struct xend_fp *xend_fp_new(char *why, size_t whylen);

/* xend_fp_free() - close the maps and programs (programs attached to
 * devices stay with them). Accepts NULL. */
void xend_fp_free(struct xend_fp *fp);

/* xend_fp_vif_add() - switch port @port is the TAP @tap whose domain is
 * behind veth @veth (the dom0 end): attach the programs to both and join
 * them. 0 or -errno (-ENODEV: a device is missing). */
int xend_fp_vif_add(struct xend_fp *fp, unsigned port, const char *veth,
		    const char *tap);

/* xend_fp_vif_del() - forget port @port, detached from the switch: its
 * flows and its counters (folded before the detaching command ran).
 * Accepts a NULL @fp and a port that is not a fast-path vif. */
void xend_fp_vif_del(struct xend_fp *fp, unsigned port);

/* xend_fp_lost() - the ports of fast-path vifs whose veth or TAP is gone
 * (deleted behind xend's back) into @ports (at most @max); how many.
 * Accepts a NULL @fp (none). */
unsigned xend_fp_lost(struct xend_fp *fp, unsigned *ports, unsigned max);

/* xend_fp_is_vif() - true when port @port is a fast-path vif. */
bool xend_fp_is_vif(struct xend_fp *fp, unsigned port);

/* The switch's offer function (vs_switch_set_offer() with the fp). */
vs_offer_fn xend_fp_offer;

/* xend_fp_fold() - add what the kernel carried since the last fold to
 * the switch's counters. Run on the data plane with the switch at rest. */
void xend_fp_fold(struct xend_fp *fp, struct vs_switch *sw);

/* xend_fp_sync() - empty the flow table if the switch's configuration
 * changed since the last sync. Same context as fold. */
void xend_fp_sync(struct xend_fp *fp, const struct vs_switch *sw);

/* xend_fp_flows() - flows installed now (a walk of the table); -ENODEV
 * when @fp is NULL (no fast path). */
int xend_fp_flows(struct xend_fp *fp);

#endif /* XENO_FASTPATH_XEND_H */

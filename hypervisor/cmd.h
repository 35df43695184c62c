/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd.h - xend's control commands: the table and what handlers share
 *
 * One file per family of commands, as xc_dom_control's cli_*.c are:
 * cmd_dom.c (create, list, destroy and the lifecycle), cmd_vif.c (vif_*
 * and switch_stats), cmd_vbd.c (listvbds, vbd_*). Handlers take a struct
 * xend as ctx, check every field of the request first and change nothing
 * on a bad request. A command that changes what the state file holds is
 * marked XEND_CMD_MUTATES in the table, and the dispatcher writes the
 * state file once after it succeeds (handlers never do).
 */
#ifndef XENO_CMD_H
#define XENO_CMD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "swctl.h"
#include "xend.h"

enum {
	XEND_CMD_MUTATES = 1 << 0,	/* save the state after success */
};

/* One command: its name, handler and flags. */
struct xend_cmd {
	const char *name;
	ctl_handler fn;
	unsigned flags;
};

/* The command tables of each family, each ending with {NULL}. */
extern const struct xend_cmd xend_cmds_dom[];
extern const struct xend_cmd xend_cmds_vif[];
extern const struct xend_cmd xend_cmds_vbd[];
extern const struct xend_cmd xend_cmds_nat[];

#define XEND_CMDS_MAX	64

/* xend_cmd_table() - every command of the families, for ctl_server_new():
 * a mutating one has the state written after it succeeds. */
const struct ctl_cmd *xend_cmd_table(void);

/* xend_cmd_flags() - the flags of command @name (0 if unknown). */
unsigned xend_cmd_flags(const char *name);

/* xend_cmd_dispatch() - handle one request as the control server does
 * and write the state after a mutating command that succeeded; returns
 * the reply line (malloc'd). For tests and fuzzing. */
char *xend_cmd_dispatch(struct xend *x, const char *line, size_t len);

/* ---- helpers for handlers ---- */

/* cmd_get_dom() - the "dom" field: a domain of the table (or dom0, *out =
 * NULL, if @dom0_ok). 0, or -1 with req's error set. */
int cmd_get_dom(struct xend *x, struct ctl_req *req, bool dom0_ok,
		struct xend_domain **out);

/* A vif a command names. */
struct vif_ref {
	struct xend_domain *d;		/* NULL: dom0 */
	struct xend_vif *v;		/* NULL: dom0's vif */
	unsigned port;
	uint32_t dom, vif;
};

/* cmd_get_vif() - the "dom" and "vif" fields: a vif attached to the
 * switch (dom0's if @dom0_ok). 0, or -1 with req's error set. */
int cmd_get_vif(struct xend *x, struct ctl_req *req, bool dom0_ok,
		struct vif_ref *r);

/* cmd_unsupported() - "not supported for <builder> domain N". */
int cmd_unsupported(struct ctl_req *req, const struct xend_domain *d);

/* JSON reply pieces. */
void cmd_add_u64(json_object *o, const char *key, uint64_t v);
json_object *cmd_stats_json(const struct vs_port_stats *st,
			    const struct credit_info *tx);
json_object *cmd_vif_json(const struct xend_vif *v);

#endif /* XENO_CMD_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h - xend's persisted state: STATE_DIR/state.json, a codec
 *
 * Everything xend needs to take its domains back after a restart: each
 * domain's record (record.h: id, name, builder, state, config as created,
 * vifs with names, MACs, every address including vif_addip ones, limits)
 * and dom0's limits. This module only turns records into the file and
 * back; what to do with them is domain.c's business.
 *
 * Writing is atomic (temp file, fsync, rename, fsync of the directory)
 * and keeps the file it replaces as state.json.prev. Reading never fails:
 * an unusable file is renamed state.json.bad-TIMESTAMP and the previous
 * one is tried; a damaged record is dropped by itself, with its reason.
 */
#ifndef XENO_STATE_H
#define XENO_STATE_H

#include <stdbool.h>

#include "record.h"

#define XEND_STATE_FILE		"state.json"
#define XEND_STATE_VERSION	1

/* What a state file holds. */
struct xend_state {
	struct xend_domain *doms[XEND_DOMS_MAX];	/* owned */
	unsigned n;
	struct xend_limits dom0_lim;
	bool dom0_lim_set;
	struct nat_config nat;
	bool nat_on;
	bool damaged;		/* records were dropped or a file set aside */
};

/* xend_state_write() - write the domains of @doms (indexed by id, NULL
 * for none; XEND_DOMS_MAX + 1 entries), dom0's limits (@dom0_lim NULL:
 * never set) and NAT's configuration (@nat NULL: off) to @dir/state.json. 0 or -errno (logged; the previous file
 * stays intact). */
int xend_state_write(const char *dir, struct xend_domain *const *doms,
		     const struct xend_limits *dom0_lim,
		     const struct nat_config *nat);

/* xend_state_read() - read @dir/state.json into @out (falling back to
 * state.json.prev if it is unusable). Never fails; @out is empty if no
 * file could be used. Free with xend_state_clear(). */
void xend_state_read(const char *dir, struct xend_state *out);

/* xend_state_parse() - parse a state file's text (@len bytes) into @out;
 * records that are damaged are dropped (logged, out->damaged set). 0, or
 * -EINVAL with @why set if the file as a whole is unusable. Exposed for
 * tests and fuzzing. */
int xend_state_parse(const char *text, size_t len, struct xend_state *out,
		     char *why, size_t whylen);

/* xend_state_clear() - free the records of @s and empty it. */
void xend_state_clear(struct xend_state *s);

#endif /* XENO_STATE_H */

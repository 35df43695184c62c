/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h - xend's persisted state: STATE_DIR/state.json
 *
 * Everything xend needs to take its domains back after a restart: each
 * domain's id, name, builder, config as created, vifs (names, MACs, every
 * address including vif_addip ones, limits), and dom0's limits. Written
 * atomically (temp file, fsync, rename, fsync of the directory) after
 * every change.
 */
#ifndef XENO_STATE_H
#define XENO_STATE_H

#include "domain.h"

#define XEND_STATE_FILE		"state.json"
#define XEND_STATE_VERSION	1

/* xend_state_save() - write @x's state to @x->state_dir/state.json.
 * Returns 0 or -errno (logged; the previous file stays intact). */
int xend_state_save(const struct xend *x);

/* xend_state_load() - read the state file and restore its domains
 * through xend_domain_restore(); domains that cannot be restored are
 * dropped with a warning. A file that cannot be parsed is renamed
 * state.json.bad-TIMESTAMP and xend starts empty. Returns the number of
 * domains restored (>= 0); never fails. */
int xend_state_load(struct xend *x);

/* xend_state_domain_json() / xend_state_domain_parse() - one domain's
 * record, as stored in the file (exposed for tests). parse returns NULL
 * with @err (size @errlen) set. */
json_object *xend_state_domain_json(const struct xend_domain *d);
struct xend_domain *xend_state_domain_parse(json_object *o, char *err,
					    size_t errlen);

#endif /* XENO_STATE_H */

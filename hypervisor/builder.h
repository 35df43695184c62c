/* SPDX-License-Identifier: GPL-2.0-or-later */
/* builder.h - the builder interface: how xend makes and runs a domain
 *
 * A builder turns a checked domain record (record.h) into something that
 * runs: builder_netns.c makes a network namespace whose links are TAPs on
 * the switch; a QEMU builder makes a virtual machine. The domain table
 * (domain.c) and the command handlers (cmd_*.c) only ever call these
 * operations, so a new kind of domain is one new file and one entry in
 * xend_builders[].
 *
 * Every operation runs on the main thread. Those taking a struct ctl_req
 * write a user-facing message into it on failure and return -errno.
 * A NULL operation means the builder cannot do that: the caller answers
 * "not supported for <builder> domain N".
 */
#ifndef XENO_BUILDER_H
#define XENO_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "xend.h"

/* What `list` shows of a running domain. */
struct xend_dom_usage {
	bool running;
	bool stopped;
	int cpu;			/* pinned CPU, -1: any */
	uint64_t time_s;		/* CPU time used */
	uint64_t mem_kb;		/* memory in use; 0: the configured */
};

struct xend_builder {
	const char *name;

	/* build() - make @d (vifs attached to the switch, addresses and
	 * limits applied). On failure everything built is undone. */
	int (*build)(struct xend *x, struct xend_domain *d,
		     struct ctl_req *req);

	/* teardown() - undo everything @d has (ports, devices, processes).
	 * Never fails; problems are logged. Also used on a half-built or
	 * leftover domain, so it must cope with parts being absent. */
	void (*teardown)(struct xend *x, struct xend_domain *d);

	/* adopt() - after an xend restart, take back a domain listed in
	 * the state file: reattach (or rebuild) its vifs. -ENOENT if the
	 * domain is gone. A vif that cannot be taken back fully is marked
	 * DEGRADED or FAILED with its reason, not an error of adopt(). */
	int (*adopt)(struct xend *x, struct xend_domain *d);

	/* vif_rebuild() - @v's back end failed under it (the data plane
	 * reported its port): make a new one and attach it. */
	int (*vif_rebuild)(struct xend *x, struct xend_domain *d,
			   struct xend_vif *v, struct ctl_req *req);

	/* reap() - find what this builder made for domains the table does
	 * not hold (a crash during create, a damaged state file) and
	 * remove it. Returns how many leftovers were removed. */
	int (*reap)(struct xend *x);

	/* usage() - what `list` shows. */
	void (*usage)(const struct xend_domain *d, struct xend_dom_usage *u);

	/* The seed's lifecycle and resource commands. */
	int (*stop)(struct xend *x, struct xend_domain *d, struct ctl_req *req);
	int (*start)(struct xend *x, struct xend_domain *d, struct ctl_req *req);
	int (*shutdown)(struct xend *x, struct xend_domain *d,
			struct ctl_req *req);
	int (*save)(struct xend *x, struct xend_domain *d, const char *file,
		    struct ctl_req *req);
	int (*restore)(struct xend *x, const char *file, struct ctl_req *req);
	int (*pincpu)(struct xend *x, struct xend_domain *d, int cpu,
		      struct ctl_req *req);
	int (*sched)(struct xend *x, struct xend_domain *d,
		     const uint32_t bvt[4], struct ctl_req *req);
	int (*vbd_add)(struct xend *x, struct xend_domain *d,
		       const struct xend_vbd *b, struct ctl_req *req);
	int (*vbd_remove)(struct xend *x, struct xend_domain *d,
			  const char *dev, struct ctl_req *req);

	/* console() - the fd the domain's console output is read from, or
	 * -ENOTSUP (the console issue fills this in). */
	int (*console)(struct xend *x, struct xend_domain *d);
};

extern const struct xend_builder xend_builder_netns;
extern const struct xend_builder xend_builder_qemu;
extern const struct xend_builder xend_builder_external;

/* xend_builder_of() - the builder of @kind, or NULL if xend has none. */
const struct xend_builder *xend_builder_of(enum xend_builder_kind kind);

/* xend_builder_set() - make @b the builder of @kind (NULL: none). For
 * tests and fuzzing, which put a builder that builds nothing in place. */
void xend_builder_set(enum xend_builder_kind kind,
		      const struct xend_builder *b);

#endif /* XENO_BUILDER_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dom_sched.h - CPU scheduling of domains: cgroups, BVT on Linux, pins
 *
 * Xen 1.2 scheduled domains with BVT (borrowed virtual time); xeno's
 * domains are Linux processes, scheduled by the host kernel. This module
 * maps the seed's commands onto what Linux offers:
 *
 * The cgroup. Each domain N has a cgroup of the cpu controller, found by
 * probing /proc/self/mountinfo: a cgroup v1 hierarchy with the "cpu"
 * controller, else a cgroup2 hierarchy whose cgroup.controllers lists
 * "cpu" (its parent's cgroup.subtree_control gets "+cpu"):
 *
 *   v1: MOUNT/xeno/domN   (e.g. /sys/fs/cgroup/cpu/xeno/domN)
 *   v2: MOUNT/xeno/domN   (e.g. /sys/fs/cgroup/xeno/domN)
 *
 * "xeno" is the parent of the xend whose state directory is the default
 * (XEND_SCHED_DEFAULT_STATE_DIR); an xend with another state directory
 * uses "xeno-XXXXXXXX" (a hash of the directory), so that two xends on
 * one host (test runs in private namespaces) never share, nor remove,
 * each other's cgroups. A domain's processes join its cgroup when it is
 * built (QEMU: xend_sched_attach()) or adopted, and -- for a netns
 * domain, whose processes are whatever runs in the namespace -- at every
 * cpu_bvtset and pincpu, which sweep the namespace's processes into it:
 * a process started later in the namespace joins at the next command.
 * The cgroup is removed when the domain is (leftover processes are moved
 * to the hierarchy's root first: v2 allows none in xeno/).
 *
 * BVT. `cpu_bvtset DOM MCUADV WARP WARPL WARPU`:
 * - MCUADV (Xen: the domain's virtual time advances by MCUADV per unit of
 *   CPU used, so a smaller MCUADV gets more CPU) sets the cgroup's weight
 *   inversely proportional to it, MCUADV 10 (Xen's default) being the
 *   kernel's default weight:
 *       v1 cpu.shares = round(10240 / MCUADV), clamped to [2, 262144]
 *       v2 cpu.weight = round(1000 / MCUADV),  clamped to [1, 10000]
 *   so MCUADV 1 and 2 share a CPU 2:1 (10240:5120, 1000:500). MCUADV is
 *   1..XEND_SCHED_MCUADV_MAX.
 * - WARP (Xen: a latency boost, in ms of virtual time) shortens the
 *   scheduler slice of the domain's threads: slice = base - WARP ms, at
 *   least 0.1 ms, set with sched_setattr(SCHED_OTHER, sched_runtime).
 *   EEVDF (Linux 6.12+) gives a task with a shorter slice an earlier
 *   virtual deadline, which is what a warp does in BVT. base is the
 *   cpu_bvtslice value, or XEND_SCHED_SLICE_NOMINAL_NS when none is set;
 *   WARP 0 with no cpu_bvtslice leaves the kernel's default slice.
 *   Kernels before 6.12 (CFS; Debian 12's 6.1) ignore sched_runtime for
 *   SCHED_OTHER: this is detected (sched_getattr reads the slice back)
 *   and said in the reply ("slice": "ignored", "note") and the log; the
 *   command does not fail for it. WARP is 0..XEND_SCHED_WARP_MAX.
 * - WARPL and WARPU (Xen: warp limit and unwarp requirement) have no
 *   Linux counterpart: they are checked (0..XEND_SCHED_WARPLU_MAX),
 *   recorded, persisted and reported, nothing more.
 * `cpu_bvtslice SLICE` (ns, as Xen's ctx_allow) sets the base slice of
 * every domain: 0 (the kernel's default) or XEND_SCHED_SLICE_MIN_NS..
 * XEND_SCHED_SLICE_MAX_NS (the kernel's bounds of a custom slice).
 * Domain-0 is xend's host, scheduled by the host: cpu_bvtset refuses it.
 *
 * Pins. `pincpu DOM CPU` sets the affinity of each of the domain's
 * threads (netns: every thread of every process in the namespace; QEMU:
 * its vCPU threads) to CPU, or to every CPU for -1. A CPU that is not
 * online (/sys/devices/system/cpu/online) is refused.
 *
 * Persistence. What cpu_bvtset, cpu_bvtslice and pincpu set is kept in
 * STATE_DIR/sched.json (written atomically after each change), read by
 * xend_sched_load() at start, and applied again when a domain is adopted:
 *
 *   {"version": 1, "slice_ns": 0,
 *    "domains": [{"dom": 1, "mcuadv": 10, "warp": 0, "warpl": 0,
 *                 "warpu": 0, "cpu": -1}]}
 *
 * Everything runs on xend's main thread; the module's state is static
 * (one xend per process).
 */
#ifndef XENO_DOM_SCHED_H
#define XENO_DOM_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.h"

#define XEND_SCHED_DEFAULT_STATE_DIR	"/var/lib/xeno"
#define XEND_SCHED_FILE		"sched.json"

#define XEND_SCHED_MCUADV_DEFAULT	10	/* the default weight */
#define XEND_SCHED_MCUADV_MAX		1000000
#define XEND_SCHED_WARP_MAX		1000	/* ms */
#define XEND_SCHED_WARPLU_MAX		3600000	/* ms: an hour */
#define XEND_SCHED_SLICE_MIN_NS		100000ULL	/* 0.1 ms */
#define XEND_SCHED_SLICE_MAX_NS		100000000ULL	/* 100 ms */
#define XEND_SCHED_SLICE_NOMINAL_NS	3000000ULL	/* 3 ms */
#define XEND_SCHED_CPU_MAX		4095

/* The BVT parameters, in cpu_bvtset's order. */
enum xend_bvt {
	XEND_BVT_MCUADV,
	XEND_BVT_WARP,
	XEND_BVT_WARPL,
	XEND_BVT_WARPU,
	XEND_BVT_N,
};

/* The tasks of a domain a command acts on: @pids (processes) join the
 * domain's cgroup, @tids (threads) get its slice and pin. Filled by
 * xend_sched_tasks_add*(), freed by xend_sched_tasks_free(). */
struct xend_sched_tasks {
	pid_t *pids;
	unsigned npids, pids_cap;
	pid_t *tids;
	unsigned ntids, tids_cap;
};

/* ---- set-up ---- */

/* xend_sched_load() - take @state_dir as this xend's (it names the cgroup
 * parent, see above, and holds sched.json) and read sched.json. A missing
 * file is an empty one. Called once, by xend at start (before it, values
 * are kept but not written). 0, or -errno (a damaged file is logged,
 * ignored and replaced at the next change). */
int xend_sched_load(const char *state_dir);

/* xend_sched_set_cgroot() - use the cpu controller's hierarchy mounted at
 * @root, cgroup @version 1 or 2, instead of probing mountinfo (NULL:
 * probe again). For tests, on a plain directory tree. 0 or -EINVAL. */
int xend_sched_set_cgroot(const char *root, int version);

/* xend_sched_forget() - forget every value and the state directory (not
 * the cgroup root). For tests. */
void xend_sched_forget(void);

/* ---- the mapping (pure) ---- */

/* xend_sched_weight() - the cgroup weight of @mcuadv (>= 1) for cgroup
 * @version: see the table above. */
uint32_t xend_sched_weight(int version, uint32_t mcuadv);

/* xend_sched_slice_ns() - the slice of a domain with @warp (ms) when the
 * base slice is @base_ns (0: none set); 0 means the kernel's default. */
uint64_t xend_sched_slice_ns(uint64_t base_ns, uint32_t warp);

/* xend_sched_bvt_check() - are @bvt in range? 0, or -1 with req's error
 * set naming the field. */
int xend_sched_bvt_check(const uint32_t bvt[XEND_BVT_N], struct ctl_req *req);

/* xend_sched_cpulist_has() - does the CPU list @list ("0-3,5") hold
 * @cpu? False for a malformed list. */
bool xend_sched_cpulist_has(const char *list, int cpu);

/* ---- cgroups ---- */

/* xend_sched_cg_path() - domain @dom's cgroup directory (@dom 0: the
 * xeno parent) into @buf. 0, -ENOENT without a cpu controller, or
 * -ENAMETOOLONG. */
int xend_sched_cg_path(uint32_t dom, char *buf, size_t size);

/* xend_sched_cg_create() - make (the parent and) @dom's cgroup; an
 * existing one is fine. 0 or -errno. */
int xend_sched_cg_create(uint32_t dom);

/* xend_sched_attach() - move process @pid (all its threads) into @dom's
 * cgroup, creating it if needed. 0 or -errno (-ESRCH: @pid is gone). */
int xend_sched_attach(uint32_t dom, pid_t pid);

/* xend_sched_cg_remove() - move what is left in @dom's cgroup to the
 * hierarchy's root and remove the cgroup, and the parent if that was its
 * last child; an absent one is fine. 0 or -errno. */
int xend_sched_cg_remove(uint32_t dom);

/* ---- threads ---- */

/* xend_sched_pin_threads() - set the affinity of the @n threads @tids to
 * @cpu (-1: every CPU). Threads that are gone are skipped. 0, -EINVAL for
 * a CPU not online, or the -errno of the first other failure. */
int xend_sched_pin_threads(const pid_t *tids, unsigned n, int cpu);

/* xend_sched_slice_threads() - give the @n threads @tids the slice
 * @slice_ns (0: the kernel's default), keeping their policy and nice;
 * real-time threads are left alone. *@honoured tells whether the kernel
 * keeps a custom slice (false on kernels before 6.12). Returns how many
 * threads were set, or -errno of a failure other than a thread gone. */
int xend_sched_slice_threads(const pid_t *tids, unsigned n, uint64_t slice_ns,
			     bool *honoured);

/* xend_sched_tasks_add_proc() - add process @pid and every one of its
 * threads (/proc/PID/task) to @t. 0, -ESRCH or -ENOMEM. */
int xend_sched_tasks_add_proc(struct xend_sched_tasks *t, pid_t pid);

/* xend_sched_tasks_add_tid() - add one thread (a QEMU vCPU) to @t. */
int xend_sched_tasks_add_tid(struct xend_sched_tasks *t, pid_t tid);

/* xend_sched_tasks_free() - free @t's arrays (not @t). Accepts NULL. */
void xend_sched_tasks_free(struct xend_sched_tasks *t);

/* ---- domains: what builders call ---- */

/* xend_sched_dom_new() - a new domain @dom (build): forget what an
 * earlier domain of that id set and make its cgroup. 0 or -errno (no
 * cpu controller: the domain runs unconfined; builders only log it). */
int xend_sched_dom_new(uint32_t dom);

/* xend_sched_dom_del() - domain @dom is gone (teardown, reap): remove its
 * cgroup and forget its values. Never fails; problems are logged. */
void xend_sched_dom_del(uint32_t dom);

/* xend_sched_dom_apply() - put @t in @dom's cgroup and apply what was set
 * for @dom (weight, slice, pin): adopt, and every sweep. 0 or -errno of
 * the first failure (the rest is still applied). */
int xend_sched_dom_apply(uint32_t dom, const struct xend_sched_tasks *t);

/* xend_sched_dom_bvt() - the BVT values of @dom into @bvt (the defaults,
 * MCUADV 10 and zeros, when none were set); true if some were set. */
bool xend_sched_dom_bvt(uint32_t dom, uint32_t bvt[XEND_BVT_N]);

/* xend_sched_dom_cpu() - @dom's pinned CPU, -1: any. */
int xend_sched_dom_cpu(uint32_t dom);

/* xend_sched_set_bvt() - cpu_bvtset: check @bvt, put @t in @dom's cgroup,
 * set its weight and the slice of @t's threads, record and persist them,
 * and add to req's reply: "cgroup", "weight_file", "weight", "slice_ns",
 * "slice" ("default", "applied" or "ignored"), "note" (when ignored) and
 * "tasks". 0, or -1 with req's error set (then nothing is recorded). */
int xend_sched_set_bvt(uint32_t dom, const uint32_t bvt[XEND_BVT_N],
		       const struct xend_sched_tasks *t, struct ctl_req *req);

/* xend_sched_set_cpu() - pincpu: check @cpu, put @t in @dom's cgroup, pin
 * @t's threads, record and persist it; reply "cpu" and "tasks". 0, or -1
 * with req's error set. */
int xend_sched_set_cpu(uint32_t dom, int cpu, const struct xend_sched_tasks *t,
		       struct ctl_req *req);

/* xend_sched_set_slice() - cpu_bvtslice: check and record the base slice
 * (the caller then applies it to each domain through its builder's
 * sched(), with xend_sched_dom_bvt()). 0, or -1 with req's error set. */
int xend_sched_set_slice(uint64_t slice_ns, struct ctl_req *req);

/* xend_sched_slice() - the base slice set by cpu_bvtslice (0: none). */
uint64_t xend_sched_slice(void);

/* xend_sched_json() - @dom's values as a JSON object {mcuadv, warp, warpl,
 * warpu, cpu, slice_ns} for a reply (e.g. `list`). NULL if out of memory. */
json_object *xend_sched_json(uint32_t dom);

#endif /* XENO_DOM_SCHED_H */

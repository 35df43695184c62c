// SPDX-License-Identifier: GPL-2.0-or-later
/* builder_netns.c - the netns builder: a domain as a network namespace
 *
 * A netns domain N is the namespace xeno-domN (netns.c). Each vif K is a
 * persistent TAP created in dom0 as xvN.K, attached to the switch, moved
 * into the namespace as ethK and configured there (MAC, addresses, vif 0's
 * default route). The TAP is persistent so that it, and the domain, live
 * on while xend restarts: the next xend reopens it inside the namespace.
 *
 * With the fast path (xend --fastpath, fastpath.h) vif K is instead a veth
 * pair, xvN.Kv in dom0 and ethK in the namespace, beside the persistent
 * TAP xvN.K, which stays in dom0 and is the switch port; tc programs join
 * the two. A restarted xend finds the layout of each vif as it was built
 * (the veth in dom0 says which) and keeps it.
 *
 * Teardown deletes the TAPs wherever they are and the namespace with every
 * process in it. Reaping removes what this xend made (see "ownership"
 * below) that no domain of the table owns.
 *
 * Scheduling (dom_sched.h): the domain's cgroup is made at build and
 * removed at teardown; a namespace's processes are whatever runs in it,
 * so cpu_bvtset and pincpu sweep every process found in the namespace
 * into the cgroup and act on every thread of theirs, and adopt applies
 * what was set again. A process started later joins at the next command.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "dataplane.h"
#include "fastpath.h"
#include "dom_sched.h"
#include "domain.h"
#include "netns.h"
#include "port_tap.h"

#define SHUTDOWN_WAIT_MS	1000

/* ---- ownership ----
 *
 * Another xend (another state directory) may run beside this one, with
 * namespaces of the same pattern. So xend marks each namespace it is about
 * to make with an empty file STATE_DIR/netns/NAME, created before the
 * namespace and removed after it, and reaps only what it marked: its
 * leftovers, never a neighbour's. The marks are separate from the state
 * file, so a damaged state file still leaves them. */

#define OWN_DIR		"netns"

static int own_path(const struct xend *x, const char *name, char *buf,
		    size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/" OWN_DIR "/%s", x->state_dir,
			     name ? name : "") >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int own_mark(const struct xend *x, const char *name)
{
	char path[PATH_MAX];
	int fd, ret = own_path(x, NULL, path, sizeof(path));

	if (ret)
		return ret;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	ret = own_path(x, name, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void own_clear(const struct xend *x, const char *name)
{
	char path[PATH_MAX];

	if (!own_path(x, name, path, sizeof(path)) && unlink(path) &&
	    errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
}

/* Configure @v's link inside the namespace. */
static int vif_ns_setup(const struct xend_domain *d, const struct xend_vif *v,
			struct ctl_req *req)
{
	struct xend_addr addrs[XEND_VIF_ADDRS_MAX];
	struct xend_netns_link l = {
		.ifname = v->nsifname, .addrs = addrs,
		.has_gateway = v->idx == 0 && d->has_gateway,
		.gateway = d->gateway,
	};
	int ret;

	memcpy(l.mac, v->mac, XENO_MAC_LEN);
	for (unsigned i = 0; i < v->naddrs; i++)
		if (v->addrs[i].ns)
			addrs[l.naddrs++] = v->addrs[i].a;
	ret = xend_netns_link_setup(d->nsname, &l);
	if (ret)
		ctl_fail(req, "cannot configure %s in namespace %s: %s",
			 v->nsifname, d->nsname, strerror(-ret));
	return ret;
}

/* The dom0 end of @v's veth (the fast path's layout): xvN.Kv. */
static int veth_name(const struct xend_vif *v, char name[IFNAMSIZ])
{
	return (size_t)snprintf(name, IFNAMSIZ, "%sv", v->ifname) >= IFNAMSIZ ?
	       -ENAMETOOLONG : 0;
}

/* Delete @v's devices: the TAP, in the namespace or in dom0, and the veth
 * of the fast path's layout. */
static void vif_delete(const struct xend_domain *d, const struct xend_vif *v)
{
	char veth[IFNAMSIZ];
	int ret = xend_netns_link_del(d->nsname, v->nsifname);
	int tap = xend_netns_link_del(NULL, v->ifname);

	if (!veth_name(v, veth))
		xend_netns_link_del(NULL, veth);	/* gone with ethK, or a stray */
	if (ret && tap && tap != -ENODEV)
		log_warn("vif %u.%u: cannot delete TAP: %s", d->id, v->idx,
			 strerror(-tap));
}

/* Create @v's TAP in dom0, or open it if it is there (persistent), and
 * attach it to the switch. */
static int tap_attach(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v, struct ctl_req *req)
{
	int fd = port_tap_open(v->ifname, true);

	if (fd < 0) {
		ctl_fail(req, "cannot open TAP %s: %s", v->ifname,
			 strerror(-fd));
		return fd;
	}
	return xend_vif_attach_tap(x, d, v, fd, req);
}

/* Create @v from scratch: TAP, port, move into the namespace, configure. */
static int vif_build_tap(struct xend *x, const struct xend_domain *d,
			 struct xend_vif *v, struct ctl_req *req)
{
	int ret = tap_attach(x, d, v, req);

	if (ret)
		return ret;
	ret = xend_netns_move_link(d->nsname, v->ifname, v->nsifname);
	if (ret) {
		ctl_fail(req, "cannot move %s into namespace %s: %s",
			 v->ifname, d->nsname, strerror(-ret));
		return ret;
	}
	return vif_ns_setup(d, v, req);
}

static int offer_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	(void)now;
	return vs_port_set_offer(sw, *(unsigned *)arg, true);
}

/* Join attached vif @v's TAP and veth @veth in the fast path, and let the
 * switch offer its flows. */
static int fast_join(struct xend *x, const struct xend_domain *d,
		     struct xend_vif *v, const char *veth, struct ctl_req *req)
{
	unsigned port = (unsigned)v->port;
	struct xend_fp *fp;
	char why[160];
	int ret;

	fp = xend_dp_fastpath(x->dp, why, sizeof(why));
	if (!fp) {
		ctl_fail(req, "vif %u.%u: no fast path: %s", d->id, v->idx, why);
		return -EOPNOTSUPP;
	}
	ret = xend_fp_vif_add(fp, port, veth, v->ifname);
	if (!ret)
		ret = xend_dp_call(x->dp, offer_fn, &port);
	if (ret)
		ctl_fail(req, "vif %u.%u: cannot join %s and %s in the fast "
			 "path: %s", d->id, v->idx, veth, v->ifname,
			 strerror(-ret));
	return ret;
}

/* Create @v in the fast path's layout: the TAP (the switch port) and a
 * veth pair in dom0, the veth's peer moved into the namespace as ethK. */
static int vif_build_fast(struct xend *x, const struct xend_domain *d,
			  struct xend_vif *v, struct ctl_req *req)
{
	char veth[IFNAMSIZ], peer[IFNAMSIZ];
	int ret;

	if (veth_name(v, veth) ||
	    (size_t)snprintf(peer, sizeof(peer), "%sp", v->ifname) >=
	    sizeof(peer)) {
		ctl_fail(req, "vif name %s is too long", v->ifname);
		return -ENAMETOOLONG;
	}
	ret = tap_attach(x, d, v, req);
	if (ret)
		return ret;
	ret = xend_netns_link_up_quiet(v->ifname);
	if (!ret)
		ret = xend_netns_veth_add(veth, peer);
	if (!ret)
		ret = xend_netns_link_up_quiet(veth);
	if (ret) {
		ctl_fail(req, "cannot set up %s and %s: %s", v->ifname, veth,
			 strerror(-ret));
		return ret;
	}
	ret = xend_netns_move_link(d->nsname, peer, v->nsifname);
	if (ret) {
		ctl_fail(req, "cannot move %s into namespace %s: %s", peer,
			 d->nsname, strerror(-ret));
		return ret;
	}
	ret = vif_ns_setup(d, v, req);
	return ret ? ret : fast_join(x, d, v, veth, req);
}

static int vif_build(struct xend *x, const struct xend_domain *d,
		     struct xend_vif *v, struct ctl_req *req)
{
	return x->fastpath ? vif_build_fast(x, d, v, req) :
			     vif_build_tap(x, d, v, req);
}

static void netns_teardown(struct xend *x, struct xend_domain *d)
{
	int ret;

	for (unsigned i = 0; i < d->nvifs; i++) {
		xend_vif_detach(x, d, &d->vifs[i]);
		vif_delete(d, &d->vifs[i]);
	}
	ret = xend_netns_del(d->nsname);
	if (ret)
		log_warn("domain %u: cannot remove namespace %s: %s", d->id,
			 d->nsname, strerror(-ret));
	else
		own_clear(x, d->nsname);
	xend_sched_dom_del(d->id);
}

static int netns_build(struct xend *x, struct xend_domain *d,
		       struct ctl_req *req)
{
	int ret = own_mark(x, d->nsname);

	if (ret) {
		ctl_fail(req, "cannot record namespace %s as xend's: %s",
			 d->nsname, strerror(-ret));
		return ret;
	}
	ret = xend_netns_add(d->nsname);
	if (ret) {
		ctl_fail(req, "cannot create namespace %s: %s", d->nsname,
			 strerror(-ret));
		return ret;
	}
	ret = xend_sched_dom_new(d->id);
	if (ret)	/* the domain runs, unweighed: not a build failure */
		log_warn("domain %u: no cgroup: %s", d->id, strerror(-ret));
	for (unsigned i = 0; i < d->nvifs; i++) {
		ret = vif_build(x, d, &d->vifs[i], req);
		if (ret)
			return ret;	/* the caller tears down */
	}
	return 0;
}

/* Reopen @v's TAP in dom0 and rejoin its veth (the fast path's layout). */
static int vif_adopt_fast(struct xend *x, const struct xend_domain *d,
			  struct xend_vif *v, const char *veth,
			  struct ctl_req *req)
{
	int ret = tap_attach(x, d, v, req);

	return ret ? ret : fast_join(x, d, v, veth, req);
}

/* Take back @v of an adopted domain: reopen its TAP in the namespace (or
 * in dom0, in the fast path's layout), or build it again if it is gone. A
 * failure leaves the vif FAILED. */
static void vif_adopt(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v)
{
	struct ctl_req req = { 0 };
	char veth[IFNAMSIZ];
	int fd, ret;

	v->port = -1;
	if (!xend_netns_link_exists(d->nsname, v->nsifname)) {
		log_warn("domain %u: %s is gone from %s, recreating it", d->id,
			 v->nsifname, d->nsname);
		vif_delete(d, v);	/* strays in dom0 */
		ret = vif_build(x, d, v, &req);
	} else if (!veth_name(v, veth) && xend_netns_link_exists(NULL, veth)) {
		ret = vif_adopt_fast(x, d, v, veth, &req);
	} else {
		fd = port_tap_open_netns(d->nsname, v->nsifname);
		ret = fd;
		if (fd < 0)
			ctl_fail(&req, "cannot reopen TAP %s in %s: %s",
				 v->nsifname, d->nsname, strerror(-fd));
		else
			ret = xend_vif_attach_tap(x, d, v, fd, &req);
	}
	if (!ret)
		return;
	xend_vif_detach(x, d, v);
	xend_vif_not_restored(d, v, req.error);
}

/* ---- scheduling ---- */

/* Every process in namespace @name, with its threads, into @t. Processes
 * exiting meanwhile are skipped. 0, -ENOENT or -errno. */
static int ns_tasks(const char *name, struct xend_sched_tasks *t)
{
	char path[PATH_MAX];
	struct stat ns, st;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), XEND_NETNS_DIR "/%s",
			     name) >= sizeof(path))
		return -ENAMETOOLONG;
	if (!xend_netns_exists(name) || stat(path, &ns))
		return -ENOENT;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) || st.st_dev != ns.st_dev ||
		    st.st_ino != ns.st_ino)
			continue;
		ret = xend_sched_tasks_add_proc(t, (pid_t)pid);
		if (ret == -ESRCH)
			ret = 0;
	}
	closedir(d);
	return ret;
}

/* Apply what was set for @d again after a restart. */
static void sched_adopt(const struct xend_domain *d)
{
	struct xend_sched_tasks t = { 0 };
	int ret;

	ret = ns_tasks(d->nsname, &t);
	if (!ret)
		ret = xend_sched_dom_apply(d->id, &t);
	if (ret)
		log_warn("domain %u: scheduling not fully restored: %s", d->id,
			 strerror(-ret));
	xend_sched_tasks_free(&t);
}

/* The processes of @d's namespace into @t; -errno with req's error set. */
static int ns_tasks_req(const struct xend_domain *d,
			struct xend_sched_tasks *t, struct ctl_req *req)
{
	int ret = ns_tasks(d->nsname, t);

	if (ret)
		ctl_fail(req, "cannot list the processes of %s: %s",
			 d->nsname, strerror(-ret));
	return ret;
}

static int netns_sched(struct xend *x, struct xend_domain *d,
		       const uint32_t bvt[4], struct ctl_req *req)
{
	struct xend_sched_tasks t = { 0 };
	int ret = ns_tasks_req(d, &t, req);

	(void)x;
	if (!ret)
		ret = xend_sched_set_bvt(d->id, bvt, &t, req);
	xend_sched_tasks_free(&t);
	return ret;
}

static int netns_pincpu(struct xend *x, struct xend_domain *d, int cpu,
			struct ctl_req *req)
{
	struct xend_sched_tasks t = { 0 };
	int ret = ns_tasks_req(d, &t, req);

	(void)x;
	if (!ret)
		ret = xend_sched_set_cpu(d->id, cpu, &t, req);
	xend_sched_tasks_free(&t);
	return ret;
}

static int netns_adopt(struct xend *x, struct xend_domain *d)
{
	if (!xend_netns_exists(d->nsname))
		return -ENOENT;
	if (own_mark(x, d->nsname))	/* made by an xend before marks */
		log_warn("domain %u: cannot mark %s as xend's", d->id,
			 d->nsname);
	for (unsigned i = 0; i < d->nvifs; i++)
		vif_adopt(x, d, &d->vifs[i]);
	sched_adopt(d);
	return 0;
}

static int netns_vif_rebuild(struct xend *x, struct xend_domain *d,
			     struct xend_vif *v, struct ctl_req *req)
{
	int ret;

	if (!xend_netns_exists(d->nsname)) {
		ctl_fail(req, "namespace %s is gone", d->nsname);
		return -ENOENT;
	}
	vif_delete(d, v);
	ret = vif_build(x, d, v, req);
	if (ret) {
		xend_vif_detach(x, d, v);
		vif_delete(d, v);
	}
	return ret;
}

/* Is @name "xeno-domN" exactly as xend writes it? N, or 0. */
static uint32_t own_id(const char *name)
{
	const char *num = name + strlen(XEND_NETNS_PREFIX);
	unsigned long id;
	char buf[64], *end;

	if (strncmp(name, XEND_NETNS_PREFIX, strlen(XEND_NETNS_PREFIX)) ||
	    *num < '1' || *num > '9')
		return 0;
	id = strtoul(num, &end, 10);
	if (*end || id > XEND_DOMS_MAX)
		return 0;
	snprintf(buf, sizeof(buf), XEND_NETNS_PREFIX "%lu", id);
	return strcmp(buf, name) ? 0 : (uint32_t)id;	/* no "xeno-dom01" */
}

/* Remove a leftover domain @id of ours: its namespace (and everything in
 * it) and any of its TAPs still in dom0. */
static void reap_one(struct xend *x, const char *name, uint32_t id)
{
	char tap[IFNAMSIZ];
	int ret = xend_netns_del(name);

	if (ret)
		log_err("reap: cannot remove namespace %s: %s", name,
			strerror(-ret));
	for (unsigned k = 0; k < XEND_VIFS_MAX; k++) {
		snprintf(tap, sizeof(tap), XEND_TAP_PREFIX "%u.%u", id, k);
		if (!xend_netns_link_del(NULL, tap))
			log_warn("reap: removed TAP %s", tap);
		snprintf(tap, sizeof(tap), XEND_TAP_PREFIX "%u.%uv", id, k);
		if (!xend_netns_link_del(NULL, tap))
			log_warn("reap: removed veth %s", tap);
	}
	if (!ret) {
		own_clear(x, name);
		log_warn("reap: removed %s: no domain record owns it", name);
	}
	xend_sched_dom_del(id);
}

static int netns_reap(struct xend *x)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (own_path(x, NULL, dir, sizeof(dir)))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		uint32_t id = own_id(de->d_name);
		const struct xend_domain *dom = id ? x->doms[id] : NULL;

		if (!id || (dom && dom->builder == XEND_BUILDER_NETNS))
			continue;
		reap_one(x, de->d_name, id);
		n++;
	}
	closedir(d);
	return n;
}

static void netns_usage(const struct xend_domain *d, struct xend_dom_usage *u)
{
	uint64_t ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);

	memset(u, 0, sizeof(*u));
	u->cpu = xend_sched_dom_cpu(d->id);
	u->running = xend_netns_exists(d->nsname);
	if (u->running)
		xend_netns_cpu_ticks(d->nsname, &ticks);
	u->time_s = ticks / (uint64_t)(hz > 0 ? hz : 100);
}

/* SIGTERM to the domain's processes and a moment for them to exit; the
 * caller then removes the domain. */
static int netns_shutdown(struct xend *x, struct xend_domain *d,
			  struct ctl_req *req)
{
	(void)x;
	(void)req;
	if (xend_netns_kill(d->nsname, SIGTERM) <= 0)
		return 0;
	for (int ms = 0; ms < SHUTDOWN_WAIT_MS; ms += 20) {
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		if (xend_netns_kill(d->nsname, 0) <= 0)
			break;
	}
	return 0;
}

const struct xend_builder xend_builder_netns = {
	.name = "netns",
	.build = netns_build,
	.teardown = netns_teardown,
	.adopt = netns_adopt,
	.vif_rebuild = netns_vif_rebuild,
	.reap = netns_reap,
	.usage = netns_usage,
	.shutdown = netns_shutdown,
	.pincpu = netns_pincpu,
	.sched = netns_sched,
};

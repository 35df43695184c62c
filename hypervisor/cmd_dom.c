// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd_dom.c - domain commands: create, list, destroy and the lifecycle
 *
 * Each lifecycle command checks its fields, then asks the domain's
 * builder (builder.h); a builder without the operation answers "not
 * supported for <builder> domain N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "cmd.h"
#include "dataplane.h"
#include "dom0.h"
#include "dom_sched.h"
#include "domain.h"
#include "xcons.h"
#include "xnat.h"

#define CPU_MAX		4095

static int cmd_ping(void *ctx, struct ctl_req *req)
{
	(void)ctx;
	json_object_object_add(req->reply, "version",
			       json_object_new_string(XEND_VERSION));
	return 0;
}

static int cmd_create(void *ctx, struct ctl_req *req)
{
	json_object *cfg = NULL;
	int id;

	if (ctl_get_typed(req, req->msg, "", "config", true, json_type_object,
			  &cfg))
		return -1;
	id = xend_dom_create(ctx, cfg, req);
	if (id < 0)
		return -1;
	json_object_object_add(req->reply, "dom", json_object_new_int64(id));
	return 0;
}

/* The numbers following @prefix on a line of @path, into @v (up to @n). */
static unsigned read_numbers(const char *path, const char *prefix,
			     unsigned long long *v, unsigned n)
{
	char line[512], *p, *end;
	unsigned got = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)))
			continue;
		p = line + strlen(prefix);
		for (; got < n; got++, p = end) {
			v[got] = strtoull(p, &end, 10);
			if (end == p)
				break;
		}
		break;
	}
	fclose(f);
	return got;
}

/* dom0's memory (kB) and busy CPU time (s), from /proc. */
static void host_usage(uint64_t *mem_kb, uint64_t *time_s)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);

	*mem_kb = *time_s = 0;
	if (read_numbers("/proc/meminfo", "MemTotal:", v, 1) == 1)
		*mem_kb = v[0];
	/* everything but idle (v[3]) and iowait (v[4]) */
	if (read_numbers("/proc/stat", "cpu ", v, 8) == 8)
		*time_s = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
			  (unsigned long long)(hz > 0 ? hz : 100);
}

static void add_usage(json_object *o, const struct xend_dom_usage *u)
{
	json_object_object_add(o, "cpu", json_object_new_int(u->cpu < 0 ? 0 :
							     u->cpu));
	json_object_object_add(o, "running", json_object_new_boolean(u->running));
	json_object_object_add(o, "stopped", json_object_new_boolean(u->stopped));
	cmd_add_u64(o, "time_s", u->time_s);
}

/* dom0's vif as the switch knows it. */
static json_object *dom0_vif_json(struct xend *x)
{
	struct xend_port_snap s = { 0 };
	struct xend_vif v = { .idx = 0, .state = XEND_VIF_UP };

	s.port = xend_dom0_port(x->dom0);
	if (xend_sw_port_snap(x->dp, &s))
		return NULL;
	v.port = (int)s.port;
	snprintf(v.ifname, sizeof(v.ifname), "%s", x->dom0_ifname);
	memcpy(v.mac, s.info.mac, XENO_MAC_LEN);
	for (int i = 0; i < s.n4 && v.naddrs < XEND_VIF_ADDRS_MAX; i++) {
		v.addrs[v.naddrs].a.family = AF_INET;
		v.addrs[v.naddrs++].a.v4 = s.v4[i];
	}
	for (int i = 0; i < s.n6 && v.naddrs < XEND_VIF_ADDRS_MAX; i++) {
		v.addrs[v.naddrs].a.family = AF_INET6;
		v.addrs[v.naddrs++].a.v6 = s.v6[i];
	}
	return cmd_vif_json(&v);
}

static json_object *dom0_json(struct xend *x)
{
	json_object *o = json_object_new_object();
	json_object *vifs = json_object_new_array();
	struct xend_dom_usage u = { .cpu = 0, .running = true };
	uint64_t mem_kb;

	host_usage(&mem_kb, &u.time_s);
	json_object_object_add(o, "dom", json_object_new_int(0));
	json_object_object_add(o, "name", json_object_new_string("Domain-0"));
	json_object_object_add(o, "builder", json_object_new_string("host"));
	cmd_add_u64(o, "mem_kb", mem_kb);
	add_usage(o, &u);
	if (x->dom0) {
		json_object *v = dom0_vif_json(x);

		if (v)
			json_object_array_add(vifs, v);
	}
	json_object_object_add(o, "vifs", vifs);
	return o;
}

static json_object *domain_json(const struct xend *x,
				const struct xend_domain *d)
{
	const struct xend_builder *b = xend_builder_of(d->builder);
	json_object *o = json_object_new_object();
	json_object *vifs = json_object_new_array();
	struct xend_dom_usage u = { .cpu = -1 };

	if (b && b->usage)
		b->usage(d, &u);
	json_object_object_add(o, "dom", json_object_new_int64(d->id));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "builder",
			       json_object_new_string(rec_builder_name(d->builder)));
	cmd_add_u64(o, "mem_kb", u.mem_kb ? u.mem_kb : d->mem_kb);
	if (xend_nat_port(x, d->id))
		json_object_object_add(o, "nat_port", json_object_new_int(
			(int)xend_nat_port(x, d->id)));
	if (d->pid)
		json_object_object_add(o, "pid", json_object_new_int64(d->pid));
	add_usage(o, &u);
	if (d->builder == XEND_BUILDER_NETNS)
		json_object_object_add(o, "netns",
				       json_object_new_string(d->nsname));
	xend_console_json(x, d->id, o);
	for (unsigned i = 0; i < d->nvifs; i++)
		json_object_array_add(vifs, cmd_vif_json(&d->vifs[i]));
	json_object_object_add(o, "vifs", vifs);
	return o;
}

static int cmd_list(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr = json_object_new_array();

	json_object_array_add(arr, dom0_json(x));
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i])
			json_object_array_add(arr, domain_json(x, x->doms[i]));
	json_object_object_add(req->reply, "domains", arr);
	return 0;
}

static int cmd_destroy(void *ctx, struct ctl_req *req)
{
	struct xend_domain *d;

	if (cmd_get_dom(ctx, req, false, &d))
		return -1;
	xend_dom_remove(ctx, d);
	return 0;
}

/* The builder's graceful stop, then the same as destroy. */
static int cmd_shutdown(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;

	if (cmd_get_dom(ctx, req, false, &d))
		return -1;
	b = xend_builder_of(d->builder);
	if (b && b->shutdown && b->shutdown(ctx, d, req))
		return -1;
	xend_dom_remove(ctx, d);
	return 0;
}

static int cmd_stop(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;

	if (cmd_get_dom(ctx, req, false, &d))
		return -1;
	b = xend_builder_of(d->builder);
	if (!b || !b->stop)
		return cmd_unsupported(req, d);
	return b->stop(ctx, d, req) ? -1 : 0;
}

static int cmd_start(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;

	if (cmd_get_dom(ctx, req, false, &d))
		return -1;
	b = xend_builder_of(d->builder);
	if (!b || !b->start)
		return cmd_unsupported(req, d);
	return b->start(ctx, d, req) ? -1 : 0;
}

/* cpu -1 means "any CPU" (xc_dom_control's convention). */
static int cmd_pincpu(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;
	json_object *v = NULL;
	int64_t cpu;

	if (cmd_get_dom(ctx, req, false, &d) ||
	    ctl_get_typed(req, req->msg, "", "cpu", true, json_type_int, &v))
		return -1;
	cpu = json_object_get_int64(v);
	if (cpu < -1 || cpu > CPU_MAX)
		return ctl_fail(req, "field 'cpu' must be -1..%d", CPU_MAX);
	b = xend_builder_of(d->builder);
	if (!b || !b->pincpu)
		return cmd_unsupported(req, d);
	return b->pincpu(ctx, d, (int)cpu, req) ? -1 : 0;
}

static int cmd_save(void *ctx, struct ctl_req *req)
{
	const struct xend_builder *b;
	struct xend_domain *d;
	const char *file;

	if (cmd_get_dom(ctx, req, false, &d) ||
	    ctl_get_string(req, req->msg, "", "file", true, XEND_PATH_MAX,
			   &file))
		return -1;
	b = xend_builder_of(d->builder);
	if (!b || !b->save)
		return cmd_unsupported(req, d);
	if (b->save(ctx, d, file, req))
		return -1;
	xend_dom_remove(ctx, d);	/* saved means gone, as in Xen */
	return 0;
}

static int cmd_restore(void *ctx, struct ctl_req *req)
{
	struct xend_domain *d;
	const char *file;

	(void)ctx;
	if (ctl_get_string(req, req->msg, "", "file", true, XEND_PATH_MAX,
			   &file))
		return -1;
	for (unsigned k = XEND_BUILDER_NETNS; k <= XEND_BUILDER_EXTERNAL; k++) {
		const struct xend_builder *b = xend_builder_of(k);

		if (b && b->restore) {
			json_object *dom = NULL;

			if (b->restore(ctx, file, req))
				return -1;
			json_object_object_get_ex(req->reply, "dom", &dom);
			d = xend_dom_get(ctx, (uint32_t)json_object_get_int64(dom));
			xend_nat_dom_added(ctx, d);
			if (d)
				xend_console_open(ctx, d, true);
			return 0;
		}
	}
	return ctl_fail(req, "not available yet (no builder can restore a "
			"saved domain)");
}

/* cpu_bvtset: BVT mapped onto the host's scheduler (dom_sched.h). Domain-0
 * is xend's host, which the host schedules: refused. */
static int cmd_bvtset(void *ctx, struct ctl_req *req)
{
	static const char *const fields[] = { "mcuadv", "warp", "warpl",
					      "warpu" };
	const struct xend_builder *b;
	struct xend_domain *d;
	uint32_t bvt[XEND_BVT_N];

	if (cmd_get_dom(ctx, req, true, &d))
		return -1;
	for (unsigned i = 0; i < XEND_BVT_N; i++)
		if (ctl_get_u32(req, req->msg, "", fields[i], true, UINT32_MAX,
				&bvt[i]))
			return -1;
	if (xend_sched_bvt_check(bvt, req))
		return -1;
	if (!d)
		return ctl_fail(req, "not supported for Domain-0 (xend's host: "
				"the host schedules it)");
	b = xend_builder_of(d->builder);
	if (!b || !b->sched)
		return cmd_unsupported(req, d);
	return b->sched(ctx, d, bvt, req) ? -1 : 0;
}

/* Apply the new base slice to @d through its builder, with its own BVT
 * values; the outcome goes into @arr. */
static void bvtslice_apply(struct xend *x, struct xend_domain *d,
			   json_object *arr)
{
	const struct xend_builder *b = xend_builder_of(d->builder);
	struct ctl_req sub = { .msg = NULL };
	uint32_t bvt[XEND_BVT_N];

	if (!b || !b->sched)
		return;
	sub.reply = json_object_new_object();
	if (!sub.reply)
		return;
	xend_sched_dom_bvt(d->id, bvt);
	if (b->sched(x, d, bvt, &sub)) {
		log_warn("cpu_bvtslice: domain %u: %s", d->id, sub.error);
		json_object_object_add(sub.reply, "error",
				       json_object_new_string(sub.error));
	}
	json_object_object_add(sub.reply, "dom", json_object_new_int64(d->id));
	json_object_array_add(arr, sub.reply);
}

/* cpu_bvtslice: the base slice (ns) of every domain, applied at once;
 * replies "slice_ns" and "domains" (each one's cpu_bvtset reply, or its
 * "error"). */
static int cmd_bvtslice(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr;
	uint32_t v;

	if (ctl_get_u32(req, req->msg, "", "slice", true, UINT32_MAX, &v))
		return -1;
	if (xend_sched_set_slice(v, req))
		return -1;
	arr = json_object_new_array();
	for (unsigned id = 1; arr && id <= XEND_DOMS_MAX; id++)
		if (x->doms[id] && x->doms[id]->state == XEND_DOM_RUNNING)
			bvtslice_apply(x, x->doms[id], arr);
	cmd_add_u64(req->reply, "slice_ns", v);
	json_object_object_add(req->reply, "domains", arr);
	return 0;
}

/* The consoles' histories (xen_read_console --replay): every domain's,
 * or that of "dom". */
static int cmd_console_history(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr = json_object_new_array(), *h;
	struct xend_domain *d = NULL;

	json_object_object_add(req->reply, "consoles", arr);
	if (json_object_object_get_ex(req->msg, "dom", NULL)) {
		if (cmd_get_dom(x, req, false, &d))
			return -1;
		h = xend_console_history(x, d->id);
		if (h)
			json_object_array_add(arr, h);
		return 0;
	}
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if ((h = xend_console_history(x, i)))
			json_object_array_add(arr, h);
	return 0;
}

/* xend_cmds_dom - see cmd.h. */
const struct xend_cmd xend_cmds_dom[] = {
	{ "ping",		cmd_ping,	0 },
	{ "create",		cmd_create,	XEND_CMD_MUTATES },
	{ "list",		cmd_list,	0 },
	{ "destroy",		cmd_destroy,	XEND_CMD_MUTATES },
	{ "shutdown",		cmd_shutdown,	XEND_CMD_MUTATES },
	{ "stop",		cmd_stop,	XEND_CMD_MUTATES },
	{ "start",		cmd_start,	XEND_CMD_MUTATES },
	{ "pincpu",		cmd_pincpu,	XEND_CMD_MUTATES },
	{ "save",		cmd_save,	XEND_CMD_MUTATES },
	{ "restore",		cmd_restore,	XEND_CMD_MUTATES },
	{ "cpu_bvtset",		cmd_bvtset,	XEND_CMD_MUTATES },
	{ "cpu_bvtslice",	cmd_bvtslice,	XEND_CMD_MUTATES },
	{ "console_history",	cmd_console_history, 0 },
	{ NULL,			NULL,		0 },
};

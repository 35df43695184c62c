// SPDX-License-Identifier: GPL-2.0-or-later
/* domain.c - xend's domain table, the netns builder, and the commands
 *
 * Theory of operation
 * -------------------
 * create: the config is validated in full into a struct xend_domain (id,
 * vifs with MACs and addresses, limits, vbds) before anything is built, so
 * a bad request changes nothing. The netns builder then makes namespace
 * xeno-domN and, per vif, a persistent TAP xvN.K in dom0, attaches it to
 * the switch with its addresses and limits, moves it into the namespace as
 * ethK and configures it there. Any failure tears down what was built.
 *
 * destroy removes the ports, the TAPs and the namespace (killing its
 * processes); shutdown first sends SIGTERM and gives the processes a
 * moment. After every change the state file is rewritten (state.c).
 *
 * All access to the switch goes through xend_dp_call(): the dp_*()
 * functions below run on the data-plane thread and only touch the switch
 * and their argument.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataplane.h"
#include "dom0.h"
#include "domain.h"
#include "port_tap.h"
#include "state.h"

#define XEND_VERSION		"0.1"
#define DEFAULT_MEMORY_MB	64
#define MEMORY_MB_MAX		(1024 * 1024)
#define VCPUS_MAX		64
#define LIMIT_BYTES_MAX		(1ULL << 40)
#define LIMIT_USECS_MAX		1000000000ULL
#define LIMIT_PACKETS_MAX	UINT32_MAX
#define SHUTDOWN_WAIT_MS	1000

static int failf(struct ctl_req *req, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set the request's error and return @err (a -errno). */
static int failf(struct ctl_req *req, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- records ---- */

/* xend_domain_new() - see domain.h. */
struct xend_domain *xend_domain_new(void)
{
	return calloc(1, sizeof(struct xend_domain));
}

/* xend_domain_free() - see domain.h. */
void xend_domain_free(struct xend_domain *d)
{
	if (!d)
		return;
	json_object_put(d->config);
	free(d);
}

/* xend_vif_default() - see domain.h. */
void xend_vif_default(const struct xend_domain *d, struct xend_vif *v,
		      uint32_t idx)
{
	memset(v, 0, sizeof(*v));
	v->idx = idx;
	v->port = -1;
	snprintf(v->ifname, sizeof(v->ifname), "xv%u.%u", d->id, idx);
	snprintf(v->nsifname, sizeof(v->nsifname), "eth%u", idx);
	vs_mac_default(d->name, d->id, idx, v->mac);
}

static struct xend_domain *find_by_name(const struct xend *x, const char *name)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i] && !strcmp(x->doms[i]->name, name))
			return x->doms[i];
	return NULL;
}

/* The domain and vif owning @a, other than @self; NULL if none. */
static const struct xend_domain *addr_owner(const struct xend *x,
					    const struct xend_addr *a,
					    const struct xend_vif *self,
					    uint32_t *vifidx)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		const struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvifs; k++) {
			const struct xend_vif *v = &d->vifs[k];

			if (v == self)
				continue;
			for (unsigned j = 0; j < v->naddrs; j++) {
				if (xend_addr_equal(&v->addrs[j].a, a)) {
					*vifidx = v->idx;
					return d;
				}
			}
		}
	}
	return NULL;
}

static int vif_find_addr(const struct xend_vif *v, const struct xend_addr *a)
{
	for (unsigned i = 0; i < v->naddrs; i++)
		if (xend_addr_equal(&v->addrs[i].a, a))
			return (int)i;
	return -1;
}

/* Add @a to @v's list unless it is there; 0 or -ENOSPC. */
static int vif_add_addr(struct xend_vif *v, const struct xend_addr *a, bool ns)
{
	if (vif_find_addr(v, a) >= 0)
		return 0;
	if (v->naddrs >= XEND_VIF_ADDRS_MAX)
		return -ENOSPC;
	v->addrs[v->naddrs].a = *a;
	v->addrs[v->naddrs].ns = ns;
	v->naddrs++;
	return 0;
}

static bool addr_unicast(const struct xend_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t h = ntohl(a->v4.s_addr);

		return h != 0 && h != 0xffffffff && (h >> 28) != 0xe &&
		       (h >> 24) != 127;
	}
	return !IN6_IS_ADDR_UNSPECIFIED(&a->v6) &&
	       !IN6_IS_ADDR_MULTICAST(&a->v6) && !IN6_IS_ADDR_LOOPBACK(&a->v6);
}

/* ---- switch access (these run on the data-plane thread) ---- */

static int sw_addr(struct vs_switch *sw, unsigned port,
		   const struct xend_addr *a, bool add)
{
	if (a->family == AF_INET)
		return add ? vs_addr4_add(sw, port, a->v4) :
			     vs_addr4_del(sw, port, a->v4);
	return add ? vs_addr6_add(sw, port, &a->v6) :
		     vs_addr6_del(sw, port, &a->v6);
}

static int sw_limits(struct vs_switch *sw, unsigned port,
		     const struct xend_limits *l, uint64_t now)
{
	int ret = vs_port_set_tx_limit(sw, port, l->bytes, l->usecs,
				       l->packets, now);

	if (!ret)
		ret = vs_port_set_rx_limit(sw, port, l->rx_bytes, l->rx_usecs,
					   l->rx_packets, now);
	return ret;
}

struct dp_vif_arg {
	const struct xend_vif *v;
	unsigned port;
	unsigned failed;		/* index of the failing address */
};

/* Give a freshly attached port its addresses and limits. */
static int dp_vif_apply(struct vs_switch *sw, void *p, uint64_t now)
{
	struct dp_vif_arg *arg = p;
	const struct xend_vif *v = arg->v;
	int ret;

	for (arg->failed = 0; arg->failed < v->naddrs; arg->failed++) {
		ret = sw_addr(sw, arg->port, &v->addrs[arg->failed].a, true);
		if (ret)
			return ret;
	}
	return sw_limits(sw, arg->port, &v->lim, now);
}

struct dp_addr_arg {
	unsigned port;
	struct xend_addr a;
	bool add;
};

static int dp_addr(struct vs_switch *sw, void *p, uint64_t now)
{
	struct dp_addr_arg *arg = p;

	(void)now;
	return sw_addr(sw, arg->port, &arg->a, arg->add);
}

struct dp_limits_arg {
	unsigned port;
	const struct xend_limits *lim;
};

static int dp_limits(struct vs_switch *sw, void *p, uint64_t now)
{
	struct dp_limits_arg *arg = p;

	return sw_limits(sw, arg->port, arg->lim, now);
}

/* A copy of one port's state. */
struct port_snap {
	unsigned port;
	struct vs_port_info info;
	char name[32];
	struct vs_port_stats st;
	struct credit_info tx, rx;
	struct in_addr v4[VS_ADDRS_MAX];
	struct in6_addr v6[VS_ADDRS_MAX];
	int n4, n6;
};

static int snap_port(const struct vs_switch *sw, unsigned port,
		     struct port_snap *s)
{
	int ret = vs_port_info(sw, port, &s->info);

	if (ret)
		return ret;
	s->port = port;
	snprintf(s->name, sizeof(s->name), "%s",
		 s->info.name ? s->info.name : "");
	s->info.name = s->name;
	vs_port_stats(sw, port, &s->st);
	vs_port_limits(sw, port, &s->tx, &s->rx);
	s->n4 = vs_addr4_list(sw, port, s->v4, VS_ADDRS_MAX);
	s->n6 = vs_addr6_list(sw, port, s->v6, VS_ADDRS_MAX);
	return 0;
}

static int dp_port_snap(struct vs_switch *sw, void *p, uint64_t now)
{
	struct port_snap *s = p;

	(void)now;
	return snap_port(sw, s->port, s);
}

struct switch_snap {
	struct vs_stats st;
	unsigned n;
	struct port_snap ports[VS_PORTS_MAX];
};

static int dp_switch_snap(struct vs_switch *sw, void *p, uint64_t now)
{
	struct switch_snap *s = p;

	(void)now;
	vs_switch_stats(sw, &s->st);
	s->n = 0;
	for (unsigned port = 0; port < VS_PORTS_MAX; port++)
		if (!snap_port(sw, port, &s->ports[s->n]))
			s->n++;
	return 0;
}

/* ---- the netns builder ---- */

static void port_name(const struct xend_domain *d, const struct xend_vif *v,
		      char out[32])
{
	snprintf(out, 32, "vif%u.%u", d->id, v->idx);
}

static int addr_error(struct ctl_req *req, const struct xend_domain *d,
		      const struct xend_vif *v, const struct xend_addr *a,
		      int err)
{
	char s[INET6_ADDRSTRLEN];

	xend_addr_format(a, s);
	if (err == -EEXIST)
		return failf(req, err, "address %s is already in use on the "
			     "switch", s);
	if (err == -ENOSPC)
		return failf(req, err, "too many addresses on vif %u.%u (at "
			     "most %d per family)", d->id, v->idx,
			     VS_ADDRS_MAX);
	return failf(req, err, "address %s: %s", s, strerror(-err));
}

/* Attach TAP @fd (owned from here) as @v's port with its addresses and
 * limits. 0 or -errno with req's error set. */
static int vif_attach(struct xend *x, const struct xend_domain *d,
		      struct xend_vif *v, int fd, struct ctl_req *req)
{
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF, .domid = d->id, .vifidx = v->idx,
	};
	struct dp_vif_arg arg = { .v = v };
	char name[32], mac[18];
	int ret;

	port_name(d, v, name);
	cfg.name = name;
	memcpy(cfg.mac, v->mac, 6);
	ret = xend_dp_attach_tap(x->dp, fd, &cfg);
	if (ret < 0) {
		vs_mac_format(v->mac, mac);
		if (ret == -EEXIST)
			return failf(req, ret, "MAC %s is already in use", mac);
		return failf(req, ret, "cannot attach %s to the switch: %s",
			     v->ifname, strerror(-ret));
	}
	v->port = ret;
	arg.port = (unsigned)ret;
	ret = xend_dp_call(x->dp, dp_vif_apply, &arg);
	if (ret && arg.failed < v->naddrs)
		return addr_error(req, d, v, &v->addrs[arg.failed].a, ret);
	if (ret)
		return failf(req, ret, "cannot set the limits of vif %u.%u: %s",
			     d->id, v->idx, strerror(-ret));
	return 0;
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

	memcpy(l.mac, v->mac, 6);
	for (unsigned i = 0; i < v->naddrs; i++)
		if (v->addrs[i].ns)
			addrs[l.naddrs++] = v->addrs[i].a;
	ret = xend_netns_link_setup(d->nsname, &l);
	if (ret)
		return failf(req, ret, "cannot configure %s in namespace %s: %s",
			     v->nsifname, d->nsname, strerror(-ret));
	return 0;
}

/* Create @v from scratch: TAP, port, move into the namespace, configure. */
static int vif_build(struct xend *x, const struct xend_domain *d,
		     struct xend_vif *v, struct ctl_req *req)
{
	int fd, ret;

	fd = port_tap_open(v->ifname, true);
	if (fd < 0)
		return failf(req, fd, "cannot create TAP %s: %s", v->ifname,
			     strerror(-fd));
	ret = vif_attach(x, d, v, fd, req);
	if (ret)
		return ret;
	ret = xend_netns_move_link(d->nsname, v->ifname, v->nsifname);
	if (ret)
		return failf(req, ret, "cannot move %s into namespace %s: %s",
			     v->ifname, d->nsname, strerror(-ret));
	return vif_ns_setup(d, v, req);
}

/* Detach @v and delete its TAP, wherever it is. */
static void vif_teardown(struct xend *x, const struct xend_domain *d,
			 struct xend_vif *v)
{
	int ret;

	if (v->port >= 0 && xend_dp_detach(x->dp, (unsigned)v->port))
		log_warn("vif %u.%u: port %d was not attached", d->id, v->idx,
			 v->port);
	v->port = -1;
	ret = xend_netns_link_del(d->nsname, v->nsifname);
	if (ret)
		ret = xend_netns_link_del(NULL, v->ifname);
	if (ret && ret != -ENODEV)
		log_warn("vif %u.%u: cannot delete TAP: %s", d->id, v->idx,
			 strerror(-ret));
}

/* Undo everything a domain has: ports, TAPs, namespace. */
static void domain_teardown(struct xend *x, struct xend_domain *d)
{
	int ret;

	for (unsigned i = 0; i < d->nvifs; i++)
		vif_teardown(x, d, &d->vifs[i]);
	ret = xend_netns_del(d->nsname);
	if (ret)
		log_warn("domain %u: cannot remove namespace %s: %s", d->id,
			 d->nsname, strerror(-ret));
}

static int netns_build(struct xend *x, struct xend_domain *d,
		       struct ctl_req *req)
{
	int ret;

	ret = xend_netns_add(d->nsname);
	if (ret)
		return failf(req, ret, "cannot create namespace %s: %s",
			     d->nsname, strerror(-ret));
	for (unsigned i = 0; i < d->nvifs; i++) {
		ret = vif_build(x, d, &d->vifs[i], req);
		if (ret) {
			domain_teardown(x, d);
			return ret;
		}
	}
	return 0;
}

/* Take back @v of a restored domain: reopen its TAP in the namespace, or
 * build it again if it is gone. */
static int vif_restore(struct xend *x, const struct xend_domain *d,
		       struct xend_vif *v, struct ctl_req *req)
{
	int fd;

	v->port = -1;
	if (!xend_netns_link_exists(d->nsname, v->nsifname)) {
		log_warn("domain %u: %s is gone from %s, recreating it", d->id,
			 v->nsifname, d->nsname);
		return vif_build(x, d, v, req);
	}
	fd = port_tap_open_netns(d->nsname, v->nsifname);
	if (fd < 0)
		return failf(req, fd, "cannot reopen TAP %s in %s: %s",
			     v->nsifname, d->nsname, strerror(-fd));
	return vif_attach(x, d, v, fd, req);
}

/* xend_domain_restore() - see domain.h. */
int xend_domain_restore(struct xend *x, struct xend_domain *d)
{
	struct ctl_req req = { 0 };

	if (d->id < 1 || d->id > XEND_DOMS_MAX || x->doms[d->id] ||
	    find_by_name(x, d->name))
		return -EEXIST;
	if (d->builder != XEND_BUILDER_NETNS)
		return -EOPNOTSUPP;
	if (!xend_netns_exists(d->nsname))
		return -ENOENT;
	for (unsigned i = 0; i < d->nvifs; i++) {
		if (vif_restore(x, d, &d->vifs[i], &req))
			log_warn("domain %u: vif %u not restored: %s", d->id,
				 d->vifs[i].idx, req.error);
	}
	x->doms[d->id] = d;
	return 0;
}

/* xend_domains_detach_all() - see domain.h. */
void xend_domains_detach_all(struct xend *x)
{
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvifs; k++)
			if (d->vifs[k].port >= 0)
				xend_dp_detach(x->dp, (unsigned)d->vifs[k].port);
		xend_domain_free(d);
		x->doms[i] = NULL;
	}
}

/* xend_dom0_limits_apply() - see domain.h. */
int xend_dom0_limits_apply(struct xend *x)
{
	struct dp_limits_arg arg = { .lim = &x->dom0_lim };

	if (!x->dom0 || !x->dom0_lim_set)
		return 0;
	arg.port = xend_dom0_port(x->dom0);
	return xend_dp_call(x->dp, dp_limits, &arg);
}

static void save_state(struct xend *x)
{
	/* the change is made; a failed save is logged by state.c and the
	 * next change tries again */
	xend_state_save(x);
}

/* ---- config parsing (create) ---- */

/* Parse @key of @obj, an array of address strings, into @v. */
static int parse_addrs(struct ctl_req *req, json_object *obj, const char *path,
		       const char *key, struct xend_vif *v, unsigned plen4)
{
	json_object *arr = NULL;
	size_t n;

	if (ctl_get_typed(req, obj, path, key, false, json_type_array, &arr))
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *el = json_object_array_get_idx(arr, i);
		struct xend_addr a;
		const char *s;

		if (!json_object_is_type(el, json_type_string))
			return ctl_fail(req, "field '%s%s[%zu]' must be a "
					"string", path, key, i);
		s = json_object_get_string(el);
		if (xend_addr_parse(s, &a) || !addr_unicast(&a))
			return ctl_fail(req, "field '%s%s[%zu]': '%.64s' is not "
					"a unicast IPv4 or IPv6 address", path,
					key, i, s);
		if (a.family == AF_INET)
			a.plen = plen4;
		if (vif_add_addr(v, &a, true))
			return ctl_fail(req, "field '%s%s': too many addresses",
					path, key);
	}
	return 0;
}

/* "255.255.255.0", "24" or 24 to a prefix length. */
static int parse_netmask(struct ctl_req *req, json_object *cfg, unsigned *plen)
{
	json_object *v = NULL;
	struct in_addr m;
	uint32_t h;
	char *end;

	if (!json_object_object_get_ex(cfg, "netmask", &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		uint32_t n = 32;

		if (ctl_get_u32(req, cfg, "config.", "netmask", true, 32, &n))
			return -1;
		*plen = n;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return ctl_fail(req, "field 'config.netmask' must be a string");
	if (inet_pton(AF_INET, json_object_get_string(v), &m) == 1) {
		h = ntohl(m.s_addr);
		if (h & (~h >> 1))
			return ctl_fail(req, "field 'config.netmask' is not a "
					"contiguous netmask");
		*plen = (unsigned)__builtin_popcount(h);
		return 0;
	}
	h = (uint32_t)strtoul(json_object_get_string(v), &end, 10);
	if (!*json_object_get_string(v) || *end || h > 32)
		return ctl_fail(req, "field 'config.netmask' must be a netmask "
				"or a prefix length");
	*plen = h;
	return 0;
}

static int parse_limits(struct ctl_req *req, json_object *o, const char *path,
			struct xend_limits *l)
{
	if (ctl_get_uint(req, o, path, "bytes", false, LIMIT_BYTES_MAX,
			 &l->bytes) ||
	    ctl_get_uint(req, o, path, "usecs", false, LIMIT_USECS_MAX,
			 &l->usecs) ||
	    ctl_get_uint(req, o, path, "packets", false, LIMIT_PACKETS_MAX,
			 &l->packets) ||
	    ctl_get_uint(req, o, path, "rx_bytes", false, LIMIT_BYTES_MAX,
			 &l->rx_bytes) ||
	    ctl_get_uint(req, o, path, "rx_usecs", false, LIMIT_USECS_MAX,
			 &l->rx_usecs) ||
	    ctl_get_uint(req, o, path, "rx_packets", false, LIMIT_PACKETS_MAX,
			 &l->rx_packets))
		return -1;
	return 0;
}

static int parse_vif(struct ctl_req *req, json_object *o, unsigned i,
		     struct xend_domain *d, unsigned plen4)
{
	struct xend_vif *v = &d->vifs[i];
	const char *mac = NULL;
	char path[32];

	snprintf(path, sizeof(path), "config.vifs[%u].", i);
	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "field 'config.vifs[%u]' must be an "
				"object", i);
	if (ctl_get_string(req, o, path, "mac", false, 17, &mac))
		return -1;
	if (mac && *mac && (vs_mac_parse(mac, v->mac) || (v->mac[0] & 1) ||
			    !memcmp(v->mac, "\0\0\0\0\0\0", 6)))
		return ctl_fail(req, "field '%smac': '%s' is not a unicast MAC "
				"address", path, mac);
	if (parse_addrs(req, o, path, "ip", v, plen4))
		return -1;
	return parse_limits(req, o, path, &v->lim);
}

/* vifs, their addresses and limits; vif 0 gets 169.254.1.N first. */
static int parse_vifs(struct ctl_req *req, json_object *cfg,
		      struct xend_domain *d, unsigned plen4)
{
	struct xend_addr ll = { .family = AF_INET, .plen = 16 };
	json_object *arr = NULL;
	size_t n = 1;

	if (ctl_get_typed(req, cfg, "config.", "vifs", false, json_type_array,
			  &arr))
		return -1;
	if (arr)
		n = json_object_array_length(arr);
	if (n < 1 || n > XEND_VIFS_MAX)
		return ctl_fail(req, "field 'config.vifs' must hold 1 to %d "
				"vifs", XEND_VIFS_MAX);
	d->nvifs = (unsigned)n;
	for (unsigned i = 0; i < n; i++)
		xend_vif_default(d, &d->vifs[i], i);
	ll.v4.s_addr = htonl(0xa9fe0100 | d->id);
	vif_add_addr(&d->vifs[0], &ll, true);
	if (parse_addrs(req, cfg, "config.", "ip", &d->vifs[0], plen4))
		return -1;
	for (unsigned i = 0; arr && i < n; i++)
		if (parse_vif(req, json_object_array_get_idx(arr, i), i, d,
			      plen4))
			return -1;
	return 0;
}

static int parse_vbds(struct ctl_req *req, json_object *cfg,
		      struct xend_domain *d)
{
	json_object *arr = NULL;
	size_t n;

	if (ctl_get_typed(req, cfg, "config.", "vbds", false, json_type_array,
			  &arr))
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	if (n > XEND_VBDS_MAX)
		return ctl_fail(req, "field 'config.vbds': at most %d vbds",
				XEND_VBDS_MAX);
	for (unsigned i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct xend_vbd *b = &d->vbds[i];
		const char *uname = NULL, *dev = NULL, *mode = NULL;
		char path[32];

		snprintf(path, sizeof(path), "config.vbds[%u].", i);
		if (!json_object_is_type(o, json_type_object))
			return ctl_fail(req, "field 'config.vbds[%u]' must be "
					"an object", i);
		if (ctl_get_string(req, o, path, "uname", true,
				   sizeof(b->uname) - 1, &uname) ||
		    ctl_get_string(req, o, path, "dev", true,
				   sizeof(b->dev) - 1, &dev) ||
		    ctl_get_string(req, o, path, "mode", true, 1, &mode))
			return -1;
		if (strcmp(mode, "r") && strcmp(mode, "w"))
			return ctl_fail(req, "field '%smode' must be 'r' or 'w'",
					path);
		strcpy(b->uname, uname);
		strcpy(b->dev, dev);
		strcpy(b->mode, mode);
	}
	d->nvbds = (unsigned)n;
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s || !strcmp(s, "Domain-0"))
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._+-@", *s))
			return false;
	return true;
}

static int parse_general(struct ctl_req *req, json_object *cfg,
			 struct xend_domain *d)
{
	static const char *const strs[] = { "kernel", "ramdisk", "cmdline",
					     "accel" };
	const char *name = NULL, *builder = NULL, *s;
	uint64_t mem = DEFAULT_MEMORY_MB;

	d->vcpus = 1;
	if (ctl_get_string(req, cfg, "config.", "name", true, XEND_NAME_MAX,
			   &name) ||
	    ctl_get_string(req, cfg, "config.", "builder", true, 16, &builder) ||
	    ctl_get_uint(req, cfg, "config.", "memory", false, MEMORY_MB_MAX,
			 &mem) ||
	    ctl_get_u32(req, cfg, "config.", "vcpus", false, VCPUS_MAX,
			&d->vcpus))
		return -1;
	for (unsigned i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (ctl_get_string(req, cfg, "config.", strs[i], false, 4096, &s))
			return -1;
	if (!valid_name(name))
		return ctl_fail(req, "field 'config.name': '%s' is not a valid "
				"domain name (letters, digits, . _ + - @)", name);
	if (!strcmp(builder, "netns"))
		d->builder = XEND_BUILDER_NETNS;
	else if (!strcmp(builder, "qemu"))
		d->builder = XEND_BUILDER_QEMU;
	else
		return ctl_fail(req, "field 'config.builder' must be 'netns' or "
				"'qemu'");
	if (d->vcpus < 1)
		return ctl_fail(req, "field 'config.vcpus' must be at least 1");
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->mem_kb = mem * 1024;
	return 0;
}

static int parse_config(struct ctl_req *req, json_object *cfg,
			struct xend_domain *d)
{
	const char *gw = NULL;
	unsigned plen4 = 32;

	if (parse_general(req, cfg, d) || parse_netmask(req, cfg, &plen4) ||
	    ctl_get_string(req, cfg, "config.", "gateway", false, 64, &gw))
		return -1;
	d->has_gateway = true;
	d->gateway.s_addr = htonl(0xa9fe0100);
	if (gw && *gw && inet_pton(AF_INET, gw, &d->gateway) != 1)
		return ctl_fail(req, "field 'config.gateway': '%s' is not an "
				"IPv4 address", gw);
	snprintf(d->nsname, sizeof(d->nsname), XEND_NETNS_PREFIX "%u", d->id);
	if (parse_vifs(req, cfg, d, plen4))
		return -1;
	return parse_vbds(req, cfg, d);
}

/* Name and addresses must not be taken by another domain. */
static int check_conflicts(const struct xend *x, const struct xend_domain *d,
			   struct ctl_req *req)
{
	const struct xend_domain *o;
	char s[INET6_ADDRSTRLEN];
	uint32_t vifidx;

	o = find_by_name(x, d->name);
	if (o)
		return ctl_fail(req, "a domain named '%s' exists (domain %u)",
				d->name, o->id);
	for (unsigned k = 0; k < d->nvifs; k++) {
		for (unsigned i = 0; i < d->vifs[k].naddrs; i++) {
			o = addr_owner(x, &d->vifs[k].addrs[i].a, NULL, &vifidx);
			if (!o)
				continue;
			xend_addr_format(&d->vifs[k].addrs[i].a, s);
			return ctl_fail(req, "address %s is already used by vif "
					"%u.%u", s, o->id, vifidx);
		}
	}
	return 0;
}

/* The lowest free id whose namespace name is free too; 0 if none. */
static uint32_t pick_id(const struct xend *x)
{
	char name[64];

	for (uint32_t id = 1; id <= XEND_DOMS_MAX; id++) {
		if (x->doms[id])
			continue;
		snprintf(name, sizeof(name), XEND_NETNS_PREFIX "%u", id);
		if (!xend_netns_exists(name))
			return id;
	}
	return 0;
}

/* ---- lookups for commands ---- */

/* The "dom" field: a live domain (or dom0 if @dom0_ok, *out = NULL). */
static int get_dom(struct xend *x, struct ctl_req *req, bool dom0_ok,
		   struct xend_domain **out)
{
	uint32_t id = 0;

	if (ctl_get_u32(req, req->msg, "", "dom", true, UINT32_MAX, &id))
		return -1;
	*out = NULL;
	if (id == 0 && !dom0_ok) {
		ctl_fail(req, "not supported for Domain-0");
		return -1;
	}
	if (id > XEND_DOMS_MAX || (id && !x->doms[id])) {
		ctl_fail(req, "unknown domain %u", id);
		return -1;
	}
	*out = id ? x->doms[id] : NULL;
	return 0;
}

struct vif_ref {
	struct xend_domain *d;		/* NULL: dom0 */
	struct xend_vif *v;		/* NULL: dom0's vif */
	unsigned port;
	uint32_t dom, vif;
};

/* The "dom" and "vif" fields: an attached vif (dom0's if @dom0_ok). */
static int get_vif(struct xend *x, struct ctl_req *req, bool dom0_ok,
		   struct vif_ref *r)
{
	memset(r, 0, sizeof(*r));
	if (get_dom(x, req, dom0_ok, &r->d) ||
	    ctl_get_u32(req, req->msg, "", "vif", true, UINT32_MAX, &r->vif))
		return -1;
	r->dom = r->d ? r->d->id : 0;
	if (!r->d) {
		if (r->vif != 0 || !x->dom0)
			return ctl_fail(req, "Domain-0 has no vif %u", r->vif);
		r->port = xend_dom0_port(x->dom0);
		return 0;
	}
	if (r->vif >= r->d->nvifs)
		return ctl_fail(req, "domain %u has no vif %u", r->dom, r->vif);
	r->v = &r->d->vifs[r->vif];
	if (r->v->port < 0)
		return ctl_fail(req, "vif %u.%u is not attached to the switch",
				r->dom, r->vif);
	r->port = (unsigned)r->v->port;
	return 0;
}

/* ---- JSON builders ---- */

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static json_object *stats_json(const struct vs_port_stats *st,
			       const struct credit_info *tx)
{
	json_object *o = json_object_new_object();
	json_object *drops = json_object_new_object();

	add_u64(o, "tx_bytes", st->tx_bytes);
	add_u64(o, "tx_packets", st->tx_packets);
	add_u64(o, "rx_bytes", st->rx_bytes);
	add_u64(o, "rx_packets", st->rx_packets);
	add_u64(o, "in_packets", st->in_packets);
	add_u64(o, "throttled", st->throttled);
	json_object_object_add(o, "credit_remaining",
			       json_object_new_int64(tx->remaining));
	for (unsigned i = 0; i < VS_DROP__MAX; i++)
		add_u64(drops, vs_drop_names[i], st->drops[i]);
	json_object_object_add(o, "drops", drops);
	return o;
}

static json_object *vif_json(const struct xend_vif *v)
{
	json_object *o = json_object_new_object();
	json_object *ips = json_object_new_array();
	char mac[18], s[INET6_ADDRSTRLEN];

	vs_mac_format(v->mac, mac);
	json_object_object_add(o, "vif", json_object_new_int64(v->idx));
	json_object_object_add(o, "ifname", json_object_new_string(v->ifname));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	for (unsigned i = 0; i < v->naddrs; i++) {
		xend_addr_format(&v->addrs[i].a, s);
		json_object_array_add(ips, json_object_new_string(s));
	}
	json_object_object_add(o, "ip", ips);
	json_object_object_add(o, "port", v->port < 0 ? NULL :
			       json_object_new_int64(v->port));
	return o;
}

static json_object *domain_json(const struct xend_domain *d)
{
	json_object *o = json_object_new_object();
	json_object *vifs = json_object_new_array();
	bool running = xend_netns_exists(d->nsname);
	uint64_t ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);

	if (running)
		xend_netns_cpu_ticks(d->nsname, &ticks);
	json_object_object_add(o, "dom", json_object_new_int64(d->id));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "builder", json_object_new_string(
		d->builder == XEND_BUILDER_NETNS ? "netns" : "qemu"));
	add_u64(o, "mem_kb", d->mem_kb);
	json_object_object_add(o, "cpu", json_object_new_int(0));
	json_object_object_add(o, "running", json_object_new_boolean(running));
	json_object_object_add(o, "stopped", json_object_new_boolean(false));
	add_u64(o, "time_s", ticks / (uint64_t)(hz > 0 ? hz : 100));
	json_object_object_add(o, "netns", json_object_new_string(d->nsname));
	for (unsigned i = 0; i < d->nvifs; i++)
		json_object_array_add(vifs, vif_json(&d->vifs[i]));
	json_object_object_add(o, "vifs", vifs);
	return o;
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

static json_object *dom0_json(struct xend *x)
{
	json_object *o = json_object_new_object();
	json_object *vifs = json_object_new_array();
	struct port_snap s = { 0 };
	uint64_t mem_kb, time_s;

	host_usage(&mem_kb, &time_s);
	json_object_object_add(o, "dom", json_object_new_int(0));
	json_object_object_add(o, "name", json_object_new_string("Domain-0"));
	json_object_object_add(o, "builder", json_object_new_string("host"));
	add_u64(o, "mem_kb", mem_kb);
	json_object_object_add(o, "cpu", json_object_new_int(0));
	json_object_object_add(o, "running", json_object_new_boolean(true));
	json_object_object_add(o, "stopped", json_object_new_boolean(false));
	add_u64(o, "time_s", time_s);
	if (x->dom0) {
		s.port = xend_dom0_port(x->dom0);
		if (!xend_dp_call(x->dp, dp_port_snap, &s)) {
			struct xend_vif v = { .idx = 0, .port = (int)s.port };

			snprintf(v.ifname, sizeof(v.ifname), "%s", x->dom0_ifname);
			memcpy(v.mac, s.info.mac, 6);
			for (int i = 0; i < s.n4 && v.naddrs < XEND_VIF_ADDRS_MAX; i++) {
				v.addrs[v.naddrs].a.family = AF_INET;
				v.addrs[v.naddrs++].a.v4 = s.v4[i];
			}
			for (int i = 0; i < s.n6 && v.naddrs < XEND_VIF_ADDRS_MAX; i++) {
				v.addrs[v.naddrs].a.family = AF_INET6;
				v.addrs[v.naddrs++].a.v6 = s.v6[i];
			}
			json_object_array_add(vifs, vif_json(&v));
		}
	}
	json_object_object_add(o, "vifs", vifs);
	return o;
}

/* ---- commands ---- */

static int cmd_ping(void *ctx, struct ctl_req *req)
{
	(void)ctx;
	json_object_object_add(req->reply, "version",
			       json_object_new_string(XEND_VERSION));
	return 0;
}

static int cmd_create(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_domain *d = NULL;
	json_object *cfg = NULL;

	if (ctl_get_typed(req, req->msg, "", "config", true, json_type_object,
			  &cfg))
		return -1;
	d = xend_domain_new();
	if (!d)
		return ctl_fail(req, "out of memory");
	d->id = pick_id(x);
	if (!d->id) {
		ctl_fail(req, "too many domains (at most %d)", XEND_DOMS_MAX);
		goto fail;
	}
	if (parse_config(req, cfg, d) || check_conflicts(x, d, req))
		goto fail;
	if (d->builder == XEND_BUILDER_QEMU) {
		ctl_fail(req, "builder 'qemu' is not available yet");
		goto fail;
	}
	if (netns_build(x, d, req))
		goto fail;
	d->config = json_object_get(cfg);
	x->doms[d->id] = d;
	save_state(x);
	log_info("domain %u (%s) created in namespace %s", d->id, d->name,
		 d->nsname);
	json_object_object_add(req->reply, "dom", json_object_new_int64(d->id));
	return 0;
fail:
	xend_domain_free(d);
	return -1;
}

static int cmd_list(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr = json_object_new_array();

	json_object_array_add(arr, dom0_json(x));
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i])
			json_object_array_add(arr, domain_json(x->doms[i]));
	json_object_object_add(req->reply, "domains", arr);
	return 0;
}

static void domain_remove(struct xend *x, struct xend_domain *d)
{
	domain_teardown(x, d);
	x->doms[d->id] = NULL;
	log_info("domain %u (%s) destroyed", d->id, d->name);
	xend_domain_free(d);
	save_state(x);
}

static int cmd_destroy(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_domain *d;

	if (get_dom(x, req, false, &d) || !d)
		return -1;
	domain_remove(x, d);
	return 0;
}

/* netns: SIGTERM to the domain's processes, a moment for them to exit,
 * then the same as destroy. */
static int cmd_shutdown(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct xend_domain *d;

	if (get_dom(x, req, false, &d) || !d)
		return -1;
	if (xend_netns_kill(d->nsname, SIGTERM) > 0) {
		for (int ms = 0; ms < SHUTDOWN_WAIT_MS; ms += 20) {
			nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
			if (xend_netns_kill(d->nsname, 0) <= 0)
				break;
		}
	}
	domain_remove(x, d);
	return 0;
}

/* What a netns domain cannot do: validate the request, then say so. */
static int unsupported(struct xend *x, struct ctl_req *req)
{
	struct xend_domain *d;

	if (get_dom(x, req, false, &d) || !d)
		return -1;
	return ctl_fail(req, "not supported for netns domain %u", d->id);
}

static int cmd_stop_start(void *ctx, struct ctl_req *req)
{
	return unsupported(ctx, req);
}

/* cpu -1 means "any CPU" (xc_dom_control's convention). */
static int cmd_pincpu(void *ctx, struct ctl_req *req)
{
	json_object *v = NULL;
	int64_t cpu;

	if (ctl_get_typed(req, req->msg, "", "cpu", true, json_type_int, &v))
		return -1;
	cpu = json_object_get_int64(v);
	if (cpu < -1 || cpu > 4095)
		return ctl_fail(req, "field 'cpu' out of range (-1..4095)");
	return unsupported(ctx, req);
}

static int cmd_save(void *ctx, struct ctl_req *req)
{
	const char *file;

	if (ctl_get_string(req, req->msg, "", "file", true, 4096, &file))
		return -1;
	return unsupported(ctx, req);
}

static int cmd_restore(void *ctx, struct ctl_req *req)
{
	const char *file;

	(void)ctx;
	if (ctl_get_string(req, req->msg, "", "file", true, 4096, &file))
		return -1;
	return ctl_fail(req, "not available yet (no builder can restore a "
			"saved domain)");
}

static int cmd_listvbds(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr = json_object_new_array();

	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		const struct xend_domain *d = x->doms[i];

		for (unsigned k = 0; d && k < d->nvbds; k++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "dom", json_object_new_int64(d->id));
			json_object_object_add(o, "dev",
					       json_object_new_string(d->vbds[k].dev));
			json_object_object_add(o, "mode",
					       json_object_new_string(d->vbds[k].mode));
			json_object_object_add(o, "size_mb", json_object_new_int(0));
			json_object_object_add(o, "uname",
					       json_object_new_string(d->vbds[k].uname));
			json_object_array_add(arr, o);
		}
	}
	json_object_object_add(req->reply, "vbds", arr);
	return 0;
}

static int cmd_vbd_add(void *ctx, struct ctl_req *req)
{
	const char *s;

	if (ctl_get_string(req, req->msg, "", "uname", true, 127, &s) ||
	    ctl_get_string(req, req->msg, "", "dev", true, 31, &s) ||
	    ctl_get_string(req, req->msg, "", "mode", true, 1, &s))
		return -1;
	if (strcmp(s, "r") && strcmp(s, "w"))
		return ctl_fail(req, "field 'mode' must be 'r' or 'w'");
	return unsupported(ctx, req);
}

static int cmd_vbd_remove(void *ctx, struct ctl_req *req)
{
	const char *s;

	if (ctl_get_string(req, req->msg, "", "dev", true, 31, &s))
		return -1;
	return unsupported(ctx, req);
}

static int cmd_bvtset(void *ctx, struct ctl_req *req)
{
	static const char *const fields[] = { "mcuadv", "warp", "warpl",
					      "warpu" };
	struct xend_domain *d;
	uint64_t v;

	if (get_dom(ctx, req, true, &d))
		return -1;
	for (unsigned i = 0; i < 4; i++)
		if (ctl_get_uint(req, req->msg, "", fields[i], true, UINT32_MAX,
				 &v))
			return -1;
	return ctl_fail(req, "not available yet (domains are scheduled by "
			"the host kernel; there is no BVT scheduler)");
}

static int cmd_bvtslice(void *ctx, struct ctl_req *req)
{
	uint64_t v;

	(void)ctx;
	if (ctl_get_uint(req, req->msg, "", "slice", true, UINT32_MAX, &v))
		return -1;
	return ctl_fail(req, "not available yet (domains are scheduled by "
			"the host kernel; there is no BVT scheduler)");
}

static int cmd_vif_stats(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct port_snap s = { 0 };
	struct vif_ref r;
	int ret;

	if (get_vif(x, req, true, &r))
		return -1;
	s.port = r.port;
	ret = xend_dp_call(x->dp, dp_port_snap, &s);
	if (ret)
		return ctl_fail(req, "vif %u.%u: %s", r.dom, r.vif,
				strerror(-ret));
	json_object_object_add(req->reply, "stats", stats_json(&s.st, &s.tx));
	return 0;
}

static int get_ip(struct ctl_req *req, struct xend_addr *a)
{
	const char *s = NULL;

	if (ctl_get_string(req, req->msg, "", "ip", true, 64, &s))
		return -1;
	if (xend_addr_parse(s, a) || !addr_unicast(a))
		return ctl_fail(req, "field 'ip': '%s' is not a unicast IPv4 or "
				"IPv6 address", s);
	return 0;
}

static int cmd_vif_addip(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct dp_addr_arg arg = { .add = true };
	const struct xend_domain *o;
	char s[INET6_ADDRSTRLEN];
	struct vif_ref r;
	uint32_t ovif;
	int ret;

	if (get_vif(x, req, false, &r) || get_ip(req, &arg.a))
		return -1;
	xend_addr_format(&arg.a, s);
	o = addr_owner(x, &arg.a, r.v, &ovif);
	if (o)
		return ctl_fail(req, "address %s is already used by vif %u.%u",
				s, o->id, ovif);
	if (vif_find_addr(r.v, &arg.a) >= 0)
		return 0;
	if (r.v->naddrs >= XEND_VIF_ADDRS_MAX)
		return ctl_fail(req, "too many addresses on vif %u.%u", r.dom,
				r.vif);
	arg.port = r.port;
	ret = xend_dp_call(x->dp, dp_addr, &arg);
	if (ret)
		return addr_error(req, r.d, r.v, &arg.a, ret);
	vif_add_addr(r.v, &arg.a, false);
	save_state(x);
	log_info("vif %u.%u: added address %s", r.dom, r.vif, s);
	return 0;
}

static int cmd_vif_delip(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct dp_addr_arg arg = { .add = false };
	char s[INET6_ADDRSTRLEN];
	struct vif_ref r;
	int i, ret;

	if (get_vif(x, req, false, &r) || get_ip(req, &arg.a))
		return -1;
	xend_addr_format(&arg.a, s);
	i = vif_find_addr(r.v, &arg.a);
	if (i < 0)
		return ctl_fail(req, "vif %u.%u has no address %s", r.dom,
				r.vif, s);
	arg.port = r.port;
	ret = xend_dp_call(x->dp, dp_addr, &arg);
	if (ret && ret != -ENOENT)
		return ctl_fail(req, "address %s: %s", s, strerror(-ret));
	r.v->naddrs--;
	memmove(&r.v->addrs[i], &r.v->addrs[i + 1],
		(r.v->naddrs - (unsigned)i) * sizeof(r.v->addrs[0]));
	save_state(x);
	log_info("vif %u.%u: removed address %s", r.dom, r.vif, s);
	return 0;
}

/* bytes and usecs are required; packets absent means 0; the rx_* fields
 * absent mean unchanged. */
static int cmd_vif_setsched(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct dp_limits_arg arg;
	struct xend_limits lim;
	struct vif_ref r;
	int ret;

	if (get_vif(x, req, true, &r))
		return -1;
	lim = r.v ? r.v->lim : x->dom0_lim;
	lim.packets = 0;
	if (ctl_get_uint(req, req->msg, "", "bytes", true, LIMIT_BYTES_MAX,
			 &lim.bytes) ||
	    ctl_get_uint(req, req->msg, "", "usecs", true, LIMIT_USECS_MAX,
			 &lim.usecs) ||
	    parse_limits(req, req->msg, "", &lim))
		return -1;
	arg.port = r.port;
	arg.lim = &lim;
	ret = xend_dp_call(x->dp, dp_limits, &arg);
	if (ret)
		return ctl_fail(req, "vif %u.%u: %s", r.dom, r.vif,
				strerror(-ret));
	if (r.v) {
		r.v->lim = lim;
	} else {
		x->dom0_lim = lim;
		x->dom0_lim_set = true;
	}
	save_state(x);
	log_info("vif %u.%u: %llu bytes every %llu us", r.dom, r.vif,
		 (unsigned long long)lim.bytes, (unsigned long long)lim.usecs);
	return 0;
}

static int cmd_vif_getsched(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct port_snap s = { 0 };
	const struct xend_limits *l;
	struct vif_ref r;
	int ret;

	if (get_vif(x, req, true, &r))
		return -1;
	s.port = r.port;
	ret = xend_dp_call(x->dp, dp_port_snap, &s);
	if (ret)
		return ctl_fail(req, "vif %u.%u: %s", r.dom, r.vif,
				strerror(-ret));
	l = r.v ? &r.v->lim : &x->dom0_lim;
	add_u64(req->reply, "credit_bytes", l->bytes);
	add_u64(req->reply, "credit_usecs", l->usecs);
	add_u64(req->reply, "packets", l->packets);
	add_u64(req->reply, "rx_bytes", l->rx_bytes);
	add_u64(req->reply, "rx_usecs", l->rx_usecs);
	add_u64(req->reply, "rx_packets", l->rx_packets);
	json_object_object_add(req->reply, "remaining",
			       json_object_new_int64(s.tx.remaining));
	return 0;
}

static json_object *port_json(const struct port_snap *p)
{
	static const char *const kinds[] = {
		[VS_PORT_DOM0] = "dom0", [VS_PORT_WIRE] = "wire",
		[VS_PORT_VIF] = "vif",
	};
	json_object *o = json_object_new_object();
	bool wire = p->info.kind == VS_PORT_WIRE;

	json_object_object_add(o, "port", json_object_new_int64(p->port));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "kind", json_object_new_string(
		p->info.kind <= VS_PORT_VIF ? kinds[p->info.kind] : "?"));
	json_object_object_add(o, "dom", wire ? NULL :
			       json_object_new_int64(p->info.domid));
	json_object_object_add(o, "vif", wire ? NULL :
			       json_object_new_int64(p->info.vifidx));
	json_object_object_add(o, "stats", stats_json(&p->st, &p->tx));
	return o;
}

static int cmd_switch_stats(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct switch_snap *s = calloc(1, sizeof(*s));
	json_object *drops, *ports;

	if (!s)
		return ctl_fail(req, "out of memory");
	xend_dp_call(x->dp, dp_switch_snap, s);
	drops = json_object_new_object();
	ports = json_object_new_array();
	add_u64(req->reply, "in_frames", s->st.in_frames);
	add_u64(req->reply, "delivered", s->st.delivered);
	for (unsigned i = 0; i < VS_DROP__MAX; i++)
		add_u64(drops, vs_drop_names[i], s->st.drops[i]);
	json_object_object_add(req->reply, "drops", drops);
	for (unsigned i = 0; i < s->n; i++)
		json_object_array_add(ports, port_json(&s->ports[i]));
	json_object_object_add(req->reply, "ports", ports);
	free(s);
	return 0;
}

/* The command table: the seed's xc_dom_control commands, create, and
 * xeno's additions. */
const struct ctl_cmd xend_cmds[] = {
	{ "ping",		cmd_ping },
	{ "create",		cmd_create },
	{ "list",		cmd_list },
	{ "destroy",		cmd_destroy },
	{ "shutdown",		cmd_shutdown },
	{ "stop",		cmd_stop_start },
	{ "start",		cmd_stop_start },
	{ "pincpu",		cmd_pincpu },
	{ "save",		cmd_save },
	{ "restore",		cmd_restore },
	{ "listvbds",		cmd_listvbds },
	{ "vbd_add",		cmd_vbd_add },
	{ "vbd_remove",		cmd_vbd_remove },
	{ "cpu_bvtset",		cmd_bvtset },
	{ "cpu_bvtslice",	cmd_bvtslice },
	{ "vif_stats",		cmd_vif_stats },
	{ "vif_addip",		cmd_vif_addip },
	{ "vif_delip",		cmd_vif_delip },
	{ "vif_setsched",	cmd_vif_setsched },
	{ "vif_getsched",	cmd_vif_getsched },
	{ "switch_stats",	cmd_switch_stats },
	{ NULL,			NULL },
};

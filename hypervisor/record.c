// SPDX-License-Identifier: GPL-2.0-or-later
/* record.c - xend's records and their one codec (see record.h)
 *
 * Every field of a record is read through the control socket's field
 * getters, so a bad value is reported by its path ("config.vifs[1].mac",
 * "vifs[0].limits.usecs") whether it came from a request or the state
 * file. The checks shared by both forms live in one function per record.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"

#define PATH_LEN	96

/* ---- records ---- */

/* rec_domain_new() - see record.h. */
struct xend_domain *rec_domain_new(void)
{
	struct xend_domain *d = calloc(1, sizeof(*d));

	if (d) {
		d->state = XEND_DOM_RUNNING;
		d->pidfd = -1;
		d->cpu = -1;
	}
	return d;
}

/* rec_domain_free() - see record.h. */
void rec_domain_free(struct xend_domain *d)
{
	if (!d)
		return;
	if (d->pidfd >= 0)
		close(d->pidfd);
	json_object_put(d->config);
	free(d);
}

static void vif_names(uint32_t domid, uint32_t idx, char ifname[IFNAMSIZ],
		      char nsifname[IFNAMSIZ])
{
	snprintf(ifname, IFNAMSIZ, XEND_TAP_PREFIX "%u.%u", domid, idx);
	snprintf(nsifname, IFNAMSIZ, "eth%u", idx);
}

/* rec_domain_names() - see record.h. */
void rec_domain_names(struct xend_domain *d)
{
	snprintf(d->nsname, sizeof(d->nsname), XEND_NETNS_PREFIX "%u", d->id);
	for (unsigned i = 0; i < d->nvifs; i++)
		vif_names(d->id, d->vifs[i].idx, d->vifs[i].ifname,
			  d->vifs[i].nsifname);
}

/* rec_vif_default() - see record.h. */
void rec_vif_default(const struct xend_domain *d, struct xend_vif *v,
		     uint32_t idx)
{
	memset(v, 0, sizeof(*v));
	v->idx = idx;
	v->port = -1;
	v->state = XEND_VIF_NEW;
	vif_names(d->id, idx, v->ifname, v->nsifname);
	vs_mac_default(d->name, d->id, idx, v->mac);
	v->backend = d->builder == XEND_BUILDER_NETNS ?
		     XEND_VIF_BACKEND_TAP : XEND_VIF_BACKEND_VHOST_USER;
}

/* rec_vif_find_addr() - see record.h. */
int rec_vif_find_addr(const struct xend_vif *v, const struct xend_addr *a)
{
	for (unsigned i = 0; i < v->naddrs; i++)
		if (xend_addr_equal(&v->addrs[i].a, a))
			return (int)i;
	return -1;
}

/* rec_vif_add_addr() - see record.h. */
int rec_vif_add_addr(struct xend_vif *v, const struct xend_addr *a, bool ns)
{
	if (rec_vif_find_addr(v, a) >= 0)
		return 0;
	if (v->naddrs >= XEND_VIF_ADDRS_MAX)
		return -ENOSPC;
	v->addrs[v->naddrs].a = *a;
	v->addrs[v->naddrs].ns = ns;
	v->naddrs++;
	return 0;
}

/* rec_valid_name() - see record.h. */
bool rec_valid_name(const char *s)
{
	size_t n = strlen(s);

	return n && n <= XEND_NAME_MAX && strcmp(s, "Domain-0") &&
	       strspn(s, XEND_NAME_CHARS) == n;
}

/* rec_addr_usable() - see record.h. */
bool rec_addr_usable(const struct xend_addr *a, uint32_t domid)
{
	int owner;

	if (a->family == AF_INET6)
		return xeno_ip6_unicast(&a->v6);
	if (!xeno_ip4_unicast(ntohl(a->v4.s_addr)))
		return false;
	owner = xeno_ll_owner(ntohl(a->v4.s_addr));
	return owner < 0 || (uint32_t)owner == domid;
}

/* rec_builder_name() - see record.h. */
const char *rec_builder_name(enum xend_builder_kind b)
{
	return b == XEND_BUILDER_NETNS ? "netns" :
	       b == XEND_BUILDER_QEMU ? "qemu" : "external";
}

/* rec_vif_backend_name() - see record.h. */
const char *rec_vif_backend_name(enum xend_vif_backend b)
{
	return b == XEND_VIF_BACKEND_TAP ? "tap" : "vhost-user";
}

/* rec_vif_state_name() - see record.h. */
const char *rec_vif_state_name(enum xend_vif_state s)
{
	static const char *const names[] = {
		[XEND_VIF_NEW] = "new", [XEND_VIF_UP] = "up",
		[XEND_VIF_DEGRADED] = "degraded", [XEND_VIF_FAILED] = "failed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- shared field checks ---- */

/* rec_get_range() - see record.h. */
int rec_get_range(struct ctl_req *req, json_object *obj, const char *path,
		  const char *key, bool required, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	json_object *v = NULL;
	uint64_t n;

	if (ctl_get_typed(req, obj, path, key, required, json_type_int, &v))
		return -1;
	if (!v)
		return 0;
	n = json_object_get_uint64(v);
	if (json_object_get_int64(v) < 0 || n < min || n > max)
		return ctl_fail(req, "field '%s%s' must be %llu..%llu", path,
				key, (unsigned long long)min,
				(unsigned long long)max);
	*out = n;
	return 0;
}

/* rec_limits_parse() - see record.h. */
int rec_limits_parse(struct ctl_req *req, json_object *o, const char *path,
		     struct xend_limits *l)
{
	if (rec_get_range(req, o, path, "bytes", false, 0,
			  XEND_LIMIT_BYTES_MAX, &l->bytes) ||
	    rec_get_range(req, o, path, "usecs", false, 0,
			  XEND_LIMIT_USECS_MAX, &l->usecs) ||
	    rec_get_range(req, o, path, "packets", false, 0,
			  XEND_LIMIT_PACKETS_MAX, &l->packets) ||
	    rec_get_range(req, o, path, "rx_bytes", false, 0,
			  XEND_LIMIT_BYTES_MAX, &l->rx_bytes) ||
	    rec_get_range(req, o, path, "rx_usecs", false, 0,
			  XEND_LIMIT_USECS_MAX, &l->rx_usecs) ||
	    rec_get_range(req, o, path, "rx_packets", false, 0,
			  XEND_LIMIT_PACKETS_MAX, &l->rx_packets))
		return -1;
	return 0;
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* rec_limits_json() - see record.h. */
void rec_limits_json(json_object *o, const struct xend_limits *l)
{
	add_u64(o, "bytes", l->bytes);
	add_u64(o, "usecs", l->usecs);
	add_u64(o, "packets", l->packets);
	add_u64(o, "rx_bytes", l->rx_bytes);
	add_u64(o, "rx_usecs", l->rx_usecs);
	add_u64(o, "rx_packets", l->rx_packets);
}

/* rec_vbd_parse() - see record.h. */
int rec_vbd_parse(struct ctl_req *req, json_object *o, const char *path,
		  struct xend_vbd *b)
{
	const char *uname = NULL, *dev = NULL, *mode = NULL;

	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "field '%.*s' must be an object",
				(int)strlen(path) - 1, path);
	if (ctl_get_string(req, o, path, "uname", true, XEND_UNAME_MAX,
			   &uname) ||
	    ctl_get_string(req, o, path, "dev", true, XEND_DEV_MAX, &dev) ||
	    ctl_get_string(req, o, path, "mode", true, 1, &mode))
		return -1;
	if (strncmp(uname, "phy:", 4) && strncmp(uname, "file:", 5))
		return ctl_fail(req, "field '%suname': '%s' is not phy:DEVICE "
				"or file:PATH", path, uname);
	if (!strchr(uname, ':')[1])
		return ctl_fail(req, "field '%suname': '%s' names nothing",
				path, uname);
	if (strspn(dev, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(dev))
		return ctl_fail(req, "field '%sdev': '%s' is not a device name "
				"(lower-case letters and digits)", path, dev);
	if (!*dev)
		return ctl_fail(req, "field '%sdev' is empty", path);
	if (strcmp(mode, "r") && strcmp(mode, "w"))
		return ctl_fail(req, "field '%smode' must be 'r' or 'w'", path);
	strcpy(b->uname, uname);
	strcpy(b->dev, dev);
	strcpy(b->mode, mode);
	return 0;
}

/* rec_vbd_path() - see record.h. */
int rec_vbd_path(const struct xend_vbd *b, char *path, size_t size)
{
	const char *colon = strchr(b->uname, ':');

	if (!colon || !colon[1])
		return -EINVAL;
	if (!strncmp(b->uname, "file:", 5))
		snprintf(path, size, "%s", colon + 1);
	else if (!strncmp(b->uname, "phy:", 4))
		snprintf(path, size, "%s%s", colon[1] == '/' ? "" : "/dev/",
			 colon + 1);
	else
		return -EINVAL;
	return 0;
}

/* rec_vbd_size() - see record.h. */
long long rec_vbd_size(const struct xend_vbd *b)
{
	char path[XEND_UNAME_MAX + 8];
	unsigned long long bytes = 0;
	struct stat st;
	long long ret;
	int fd;

	if (rec_vbd_path(b, path, sizeof(path)))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		ret = -errno;
	else if (S_ISREG(st.st_mode))
		ret = st.st_size;
	else if (S_ISBLK(st.st_mode) && !ioctl(fd, BLKGETSIZE64, &bytes))
		ret = (long long)bytes;
	else
		ret = -ENOTBLK;
	close(fd);
	return ret;
}

/* rec_vbd_json() - see record.h. */
json_object *rec_vbd_json(const struct xend_vbd *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "uname", json_object_new_string(b->uname));
	json_object_object_add(o, "dev", json_object_new_string(b->dev));
	json_object_object_add(o, "mode", json_object_new_string(b->mode));
	return o;
}

static int parse_vbds(struct ctl_req *req, json_object *o, const char *path,
		      struct xend_domain *d)
{
	json_object *arr = NULL;
	char p[PATH_LEN];
	size_t n;

	if (ctl_get_typed(req, o, path, "vbds", false, json_type_array, &arr))
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	if (n > XEND_VBDS_MAX)
		return ctl_fail(req, "field '%svbds': at most %d vbds", path,
				XEND_VBDS_MAX);
	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%svbds[%u].", path, i);
		if (rec_vbd_parse(req, json_object_array_get_idx(arr, i), p,
				  &d->vbds[i]))
			return -1;
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(d->vbds[k].dev, d->vbds[i].dev))
				return ctl_fail(req, "field '%sdev': device "
						"'%s' is given twice", p,
						d->vbds[i].dev);
	}
	d->nvbds = (unsigned)n;
	return 0;
}

/* A MAC field: unicast, not all zeros. */
static int parse_mac(struct ctl_req *req, json_object *o, const char *path,
		     bool required, uint8_t mac[XENO_MAC_LEN])
{
	const char *s = NULL;
	uint8_t m[XENO_MAC_LEN];

	if (ctl_get_string(req, o, path, "mac", required, XENO_MAC_STRLEN - 1,
			   &s))
		return -1;
	if (!s || (!*s && !required))
		return 0;
	if (vs_mac_parse(s, m) || !xeno_mac_unicast(m))
		return ctl_fail(req, "field '%smac': '%s' is not a unicast MAC "
				"address", path, s);
	memcpy(mac, m, XENO_MAC_LEN);
	return 0;
}

/* One address string; @plen4 for IPv4, a host prefix for IPv6. */
/* rec_addr_get() - see record.h. */
int rec_addr_get(struct ctl_req *req, const char *s, const char *field,
		 uint32_t domid, struct xend_addr *a)
{
	int owner;

	if (xend_addr_parse(s, a))
		return ctl_fail(req, "field '%s': '%.64s' is not a unicast "
				"IPv4 or IPv6 address", field, s);
	if (rec_addr_usable(a, domid))
		return 0;
	owner = a->family == AF_INET ? xeno_ll_owner(ntohl(a->v4.s_addr)) : -1;
	if (owner == 0)
		return ctl_fail(req, "field '%s': %s is Domain-0's address",
				field, s);
	if (owner > 0)
		return ctl_fail(req, "field '%s': %s is reserved for domain "
				"%d's first vif", field, s, owner);
	return ctl_fail(req, "field '%s': '%.64s' is not a unicast IPv4 or "
			"IPv6 address", field, s);
}

static int parse_ip(struct ctl_req *req, const char *s, const char *field,
		    uint32_t domid, unsigned plen4, struct xend_addr *a)
{
	if (rec_addr_get(req, s, field, domid, a))
		return -1;
	if (a->family == AF_INET)
		a->plen = plen4;
	return 0;
}

/* @key of @obj, an array of address strings, into @v. */
static int parse_addrs(struct ctl_req *req, json_object *obj, const char *path,
		       const char *key, uint32_t domid, unsigned plen4,
		       struct xend_vif *v)
{
	json_object *arr = NULL;
	char field[PATH_LEN + 32];
	size_t n;

	if (ctl_get_typed(req, obj, path, key, false, json_type_array, &arr))
		return -1;
	n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *el = json_object_array_get_idx(arr, i);
		struct xend_addr a;

		snprintf(field, sizeof(field), "%s%s[%zu]", path, key, i);
		if (!json_object_is_type(el, json_type_string))
			return ctl_fail(req, "field '%s' must be a string",
					field);
		if (parse_ip(req, json_object_get_string(el), field, domid,
			     plen4, &a))
			return -1;
		if (rec_vif_add_addr(v, &a, true))
			return ctl_fail(req, "field '%s%s': too many addresses "
					"(at most %d)", path, key,
					XEND_VIF_ADDRS_MAX);
	}
	return 0;
}

/* ---- config form ---- */

/* "255.255.255.0", "24" or 24 to a prefix length. */
static int parse_netmask(struct ctl_req *req, json_object *cfg, unsigned *plen)
{
	json_object *v = NULL;
	const char *s;
	struct in_addr m;
	uint64_t n = 32;
	uint32_t h;
	char *end;

	if (!json_object_object_get_ex(cfg, "netmask", &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		if (rec_get_range(req, cfg, "config.", "netmask", true, 0, 32,
				  &n))
			return -1;
		*plen = (unsigned)n;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return ctl_fail(req, "field 'config.netmask' must be a string");
	s = json_object_get_string(v);
	if (inet_pton(AF_INET, s, &m) == 1) {
		h = ntohl(m.s_addr);
		if (h & (~h >> 1))
			return ctl_fail(req, "field 'config.netmask' is not a "
					"contiguous netmask");
		*plen = (unsigned)__builtin_popcount(h);
		return 0;
	}
	h = (uint32_t)strtoul(s, &end, 10);
	if (!*s || *end || h > 32 || end - s > 2)
		return ctl_fail(req, "field 'config.netmask' must be a netmask "
				"or a prefix length");
	*plen = h;
	return 0;
}

/* "backend" and "socket" of a vif of @d (its builder already known):
 * netns vifs are TAPs; QEMU vifs vhost-user unless "tap" is asked for;
 * external vifs vhost-user, clients of "socket" (an absolute path). */
static int parse_backend(struct ctl_req *req, json_object *o,
			 const char *path, const struct xend_domain *d,
			 struct xend_vif *v)
{
	const char *s = NULL, *sock = NULL;
	bool offload = true;

	if (ctl_get_string(req, o, path, "backend", false, 16, &s) ||
	    ctl_get_string(req, o, path, "socket", false, XEND_SOCKET_MAX,
			   &sock) ||
	    ctl_get_bool(req, o, path, "offload", false, &offload))
		return -1;
	if (!offload && d->builder != XEND_BUILDER_QEMU)
		return ctl_fail(req, "field '%soffload' is for QEMU domains "
				"only", path);
	v->no_offload = !offload;
	if (!s)
		v->backend = d->builder == XEND_BUILDER_NETNS ?
			     XEND_VIF_BACKEND_TAP : XEND_VIF_BACKEND_VHOST_USER;
	else if (!strcmp(s, "tap"))
		v->backend = XEND_VIF_BACKEND_TAP;
	else if (!strcmp(s, "vhost-user"))
		v->backend = XEND_VIF_BACKEND_VHOST_USER;
	else
		return ctl_fail(req, "field '%sbackend' must be 'tap' or "
				"'vhost-user'", path);
	if (d->builder == XEND_BUILDER_NETNS &&
	    v->backend != XEND_VIF_BACKEND_TAP)
		return ctl_fail(req, "field '%sbackend': a netns domain's vifs "
				"are TAPs", path);
	if (d->builder != XEND_BUILDER_EXTERNAL) {
		if (sock)
			return ctl_fail(req, "field '%ssocket' is for builder "
					"'external' only (xend names a QEMU "
					"domain's sockets)", path);
		v->socket[0] = '\0';
		return 0;
	}
	if (v->backend != XEND_VIF_BACKEND_VHOST_USER)
		return ctl_fail(req, "field '%sbackend': an external domain's "
				"vifs are vhost-user", path);
	if (!sock || sock[0] != '/')
		return ctl_fail(req, "field '%ssocket' must be the absolute "
				"path of the front end's vhost-user socket",
				path);
	snprintf(v->socket, sizeof(v->socket), "%s", sock);
	return 0;
}

static int parse_config_vif(struct ctl_req *req, json_object *o, unsigned i,
			    struct xend_domain *d, unsigned plen4)
{
	struct xend_vif *v = &d->vifs[i];
	char path[PATH_LEN];

	snprintf(path, sizeof(path), "config.vifs[%u].", i);
	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "field 'config.vifs[%u]' must be an "
				"object", i);
	if (parse_mac(req, o, path, false, v->mac) ||
	    parse_addrs(req, o, path, "ip", d->id, plen4, v) ||
	    ctl_get_bool(req, o, path, "dhcp_server", false, &v->dhcp_server) ||
	    parse_backend(req, o, path, d, v))
		return -1;
	return rec_limits_parse(req, o, path, &v->lim);
}

/* No two vifs of @d may share a MAC. */
static int check_macs(struct ctl_req *req, const struct xend_domain *d,
		      const char *path)
{
	char mac[XENO_MAC_STRLEN];

	for (unsigned i = 0; i < d->nvifs; i++) {
		for (unsigned k = 0; k < i; k++) {
			if (memcmp(d->vifs[i].mac, d->vifs[k].mac,
				   XENO_MAC_LEN))
				continue;
			vs_mac_format(d->vifs[i].mac, mac);
			return ctl_fail(req, "field '%svifs[%u].mac': vif %u "
					"already has MAC %s", path, i, k, mac);
		}
	}
	return 0;
}

/* vifs, their addresses and limits; vif 0 gets 169.254.1.N first. */
static int parse_config_vifs(struct ctl_req *req, json_object *cfg,
			     struct xend_domain *d, unsigned plen4)
{
	struct xend_addr ll = { .family = AF_INET, .plen = XENO_LL_PLEN };
	json_object *arr = NULL;
	size_t n = 1;

	if (ctl_get_typed(req, cfg, "config.", "vifs", false, json_type_array,
			  &arr))
		return -1;
	if (arr)
		n = json_object_array_length(arr);
	else if (d->builder == XEND_BUILDER_EXTERNAL)
		return ctl_fail(req, "field 'config.vifs': builder 'external' "
				"needs each vif's socket");
	if (n < 1 || n > XEND_VIFS_MAX)
		return ctl_fail(req, "field 'config.vifs' must hold 1 to %d "
				"vifs (vif 0 carries the domain's link-local "
				"address)", XEND_VIFS_MAX);
	d->nvifs = (unsigned)n;
	for (unsigned i = 0; i < n; i++)
		rec_vif_default(d, &d->vifs[i], i);
	ll.v4.s_addr = htonl(xeno_ll_dom(d->id));
	rec_vif_add_addr(&d->vifs[0], &ll, true);
	if (parse_addrs(req, cfg, "config.", "ip", d->id, plen4, &d->vifs[0]))
		return -1;
	for (unsigned i = 0; arr && i < n; i++)
		if (parse_config_vif(req, json_object_array_get_idx(arr, i), i,
				     d, plen4))
			return -1;
	return check_macs(req, d, "config.");
}

/* name, builder, memory, vcpus: the same rules in both forms. */
static int parse_name_builder(struct ctl_req *req, json_object *o,
			      const char *path, struct xend_domain *d)
{
	const char *name = NULL, *builder = NULL;

	if (ctl_get_string(req, o, path, "name", true, XEND_NAME_MAX, &name) ||
	    ctl_get_string(req, o, path, "builder", true, 16, &builder))
		return -1;
	if (!rec_valid_name(name))
		return ctl_fail(req, "field '%sname': '%s' is not a valid "
				"domain name (1 to %d letters, digits and "
				"'_.+-'; not Domain-0)", path, name,
				XEND_NAME_MAX);
	if (!strcmp(builder, "netns"))
		d->builder = XEND_BUILDER_NETNS;
	else if (!strcmp(builder, "qemu"))
		d->builder = XEND_BUILDER_QEMU;
	else if (!strcmp(builder, "external"))
		d->builder = XEND_BUILDER_EXTERNAL;
	else
		return ctl_fail(req, "field '%sbuilder' must be 'netns', "
				"'qemu' or 'external'", path);
	snprintf(d->name, sizeof(d->name), "%s", name);
	return 0;
}

static int parse_general(struct ctl_req *req, json_object *cfg,
			 struct xend_domain *d)
{
	static const char *const strs[] = { "kernel", "ramdisk", "cmdline",
					     "init" };
	uint64_t mem = XEND_MEMORY_MB_DEFAULT, vcpus = 1;
	const char *s = NULL;

	if (parse_name_builder(req, cfg, "config.", d) ||
	    rec_get_range(req, cfg, "config.", "memory", false, 1,
			  XEND_MEMORY_MB_MAX, &mem) ||
	    rec_get_range(req, cfg, "config.", "vcpus", false, 1,
			  XEND_VCPUS_MAX, &vcpus))
		return -1;
	for (unsigned i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (ctl_get_string(req, cfg, "config.", strs[i], false,
				   XEND_PATH_MAX, &s))
			return -1;
	s = NULL;
	if (ctl_get_string(req, cfg, "config.", "accel", false, 8, &s))
		return -1;
	if (s && strcmp(s, "auto") && strcmp(s, "kvm") && strcmp(s, "tcg"))
		return ctl_fail(req, "field 'config.accel' must be 'auto', "
				"'kvm' or 'tcg'");
	d->mem_kb = mem * 1024;
	d->vcpus = (uint32_t)vcpus;
	return 0;
}

/* rec_config_parse() - see record.h. */
int rec_config_parse(struct ctl_req *req, json_object *cfg,
		     struct xend_domain *d)
{
	const char *gw = NULL;
	unsigned plen4 = 32;

	if (!json_object_is_type(cfg, json_type_object))
		return ctl_fail(req, "field 'config' must be an object");
	if (parse_general(req, cfg, d) || parse_netmask(req, cfg, &plen4) ||
	    ctl_get_string(req, cfg, "config.", "gateway", false, 64, &gw))
		return -1;
	d->has_gateway = true;
	d->gateway.s_addr = htonl(XENO_LL_DOMS);
	if (gw && *gw && inet_pton(AF_INET, gw, &d->gateway) != 1)
		return ctl_fail(req, "field 'config.gateway': '%s' is not an "
				"IPv4 address", gw);
	snprintf(d->nsname, sizeof(d->nsname), XEND_NETNS_PREFIX "%u", d->id);
	if (parse_config_vifs(req, cfg, d, plen4))
		return -1;
	return parse_vbds(req, cfg, "config.", d);
}

/* rec_config_check() - see record.h. */
int rec_config_check(json_object *cfg, char *err, size_t errlen)
{
	struct ctl_req req = { 0 };
	struct xend_domain *d = rec_domain_new();
	int ret = 0;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->id = 1;
	if (rec_config_parse(&req, cfg, d)) {
		snprintf(err, errlen, "%s", req.error);
		ret = -EINVAL;
	}
	rec_domain_free(d);
	return ret;
}

/* ---- state form ---- */

static json_object *vif_state_json(const struct xend_vif *v)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	json_object *lim = json_object_new_object();
	char mac[XENO_MAC_STRLEN], s[INET6_ADDRSTRLEN];

	vs_mac_format(v->mac, mac);
	json_object_object_add(o, "vif", json_object_new_int64(v->idx));
	json_object_object_add(o, "ifname", json_object_new_string(v->ifname));
	json_object_object_add(o, "nsifname", json_object_new_string(v->nsifname));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	for (unsigned i = 0; i < v->naddrs; i++) {
		json_object *a = json_object_new_object();

		xend_addr_format(&v->addrs[i].a, s);
		json_object_object_add(a, "ip", json_object_new_string(s));
		json_object_object_add(a, "plen",
				       json_object_new_int64(v->addrs[i].a.plen));
		json_object_object_add(a, "ns",
				       json_object_new_boolean(v->addrs[i].ns));
		json_object_array_add(addrs, a);
	}
	json_object_object_add(o, "addrs", addrs);
	rec_limits_json(lim, &v->lim);
	json_object_object_add(o, "limits", lim);
	if (v->dhcp_server)
		json_object_object_add(o, "dhcp_server",
				       json_object_new_boolean(true));
	json_object_object_add(o, "backend", json_object_new_string(
		rec_vif_backend_name(v->backend)));
	if (v->socket[0])
		json_object_object_add(o, "socket",
				       json_object_new_string(v->socket));
	if (v->no_offload)
		json_object_object_add(o, "offload",
				       json_object_new_boolean(false));
	return o;
}

/* rec_state_json() - see record.h. */
json_object *rec_state_json(const struct xend_domain *d)
{
	json_object *o = json_object_new_object();
	json_object *vifs = json_object_new_array();
	json_object *vbds = json_object_new_array();
	char gw[INET_ADDRSTRLEN];

	json_object_object_add(o, "dom", json_object_new_int64(d->id));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "builder",
			       json_object_new_string(rec_builder_name(d->builder)));
	json_object_object_add(o, "state", json_object_new_string(
		d->state == XEND_DOM_BUILDING ? "building" : "running"));
	json_object_object_add(o, "netns", json_object_new_string(d->nsname));
	add_u64(o, "mem_kb", d->mem_kb);
	json_object_object_add(o, "vcpus", json_object_new_int64(d->vcpus));
	inet_ntop(AF_INET, &d->gateway, gw, sizeof(gw));
	json_object_object_add(o, "gateway", d->has_gateway ?
			       json_object_new_string(gw) : NULL);
	json_object_object_add(o, "config", json_object_get(d->config));
	for (unsigned i = 0; i < d->nvifs; i++)
		json_object_array_add(vifs, vif_state_json(&d->vifs[i]));
	json_object_object_add(o, "vifs", vifs);
	for (unsigned i = 0; i < d->nvbds; i++)
		json_object_array_add(vbds, rec_vbd_json(&d->vbds[i]));
	json_object_object_add(o, "vbds", vbds);
	if (d->builder == XEND_BUILDER_QEMU) {
		json_object *q = json_object_new_object();

		json_object_object_add(q, "pid", json_object_new_int64(d->pid));
		json_object_object_add(q, "stopped",
				       json_object_new_boolean(d->stopped));
		json_object_object_add(q, "cpu", json_object_new_int64(d->cpu));
		json_object_object_add(o, "qemu", q);
	}
	return o;
}

/* A generated name field must be exactly what xend generates. */
static int want_name(struct ctl_req *req, json_object *o, const char *path,
		     const char *key, const char *expect)
{
	const char *s = NULL;

	if (ctl_get_string(req, o, path, key, true, 63, &s))
		return -1;
	if (strcmp(s, expect))
		return ctl_fail(req, "field '%s%s' is '%s'; xend names it "
				"'%s'", path, key, s, expect);
	return 0;
}

static int parse_state_addr(struct ctl_req *req, json_object *o,
			    const char *path, uint32_t domid,
			    struct xend_vif *v)
{
	char field[PATH_LEN + 40];
	const char *ip = NULL;
	uint64_t plen = 0;
	struct xend_addr a;
	bool ns = false;

	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "field '%.*s' must be an object",
				(int)strlen(path) - 1, path);
	if (ctl_get_string(req, o, path, "ip", true, 64, &ip) ||
	    rec_get_range(req, o, path, "plen", true, 0, 128, &plen) ||
	    ctl_get_bool(req, o, path, "ns", false, &ns))
		return -1;
	if (!xend_addr_parse(ip, &a) && !rec_addr_usable(&a, domid) &&
	    a.family == AF_INET && xeno_ll_owner(ntohl(a.v4.s_addr)) >= 0) {
		/* an older xend let vif_addip take another domain's
		 * link-local address: drop it, keep the domain */
		log_warn("state: domain %u: dropping %s (reserved for domain "
			 "%d)", domid, ip, xeno_ll_owner(ntohl(a.v4.s_addr)));
		return 0;
	}
	snprintf(field, sizeof(field), "%sip", path);
	if (parse_ip(req, ip, field, domid, 32, &a))
		return -1;
	if (plen > (a.family == AF_INET ? 32 : 128))
		return ctl_fail(req, "field '%splen' out of range", path);
	a.plen = (unsigned)plen;
	if (rec_vif_find_addr(v, &a) >= 0)
		return ctl_fail(req, "field '%sip': %s is listed twice", path,
				ip);
	return rec_vif_add_addr(v, &a, ns) ?
	       ctl_fail(req, "too many addresses") : 0;
}

static int parse_state_vif(struct ctl_req *req, json_object *o, unsigned i,
			   struct xend_domain *d)
{
	struct xend_vif *v = &d->vifs[i];
	json_object *addrs = NULL, *lim = NULL;
	char path[PATH_LEN], apath[PATH_LEN + 32];
	uint64_t idx = 0;

	snprintf(path, sizeof(path), "vifs[%u].", i);
	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "field 'vifs[%u]' must be an object", i);
	rec_vif_default(d, v, i);
	if (rec_get_range(req, o, path, "vif", true, i, i, &idx) ||
	    want_name(req, o, path, "ifname", v->ifname) ||
	    want_name(req, o, path, "nsifname", v->nsifname) ||
	    parse_mac(req, o, path, true, v->mac) ||
	    ctl_get_bool(req, o, path, "dhcp_server", false, &v->dhcp_server) ||
	    parse_backend(req, o, path, d, v) ||
	    ctl_get_typed(req, o, path, "addrs", true, json_type_array, &addrs) ||
	    ctl_get_typed(req, o, path, "limits", false, json_type_object, &lim))
		return -1;
	snprintf(apath, sizeof(apath), "%slimits.", path);
	if (lim && rec_limits_parse(req, lim, apath, &v->lim))
		return -1;
	if (json_object_array_length(addrs) > XEND_VIF_ADDRS_MAX)
		return ctl_fail(req, "field '%saddrs': too many (at most %d)",
				path, XEND_VIF_ADDRS_MAX);
	for (size_t k = 0; k < json_object_array_length(addrs); k++) {
		snprintf(apath, sizeof(apath), "%saddrs[%zu].", path, k);
		if (parse_state_addr(req, json_object_array_get_idx(addrs, k),
				     apath, d->id, v))
			return -1;
	}
	return 0;
}

/* A QEMU domain's process: its pid is checked against /proc when the
 * domain is adopted (builder_qemu.c), never trusted blindly. */
static int parse_state_qemu(struct ctl_req *req, json_object *o,
			    struct xend_domain *d)
{
	json_object *q = NULL, *cpu = NULL;
	uint64_t pid = 0;
	int64_t c;

	if (ctl_get_typed(req, o, "", "qemu", false, json_type_object, &q))
		return -1;
	if (!q)
		return 0;
	if (d->builder != XEND_BUILDER_QEMU)
		return ctl_fail(req, "field 'qemu' on a %s domain",
				rec_builder_name(d->builder));
	if (rec_get_range(req, q, "qemu.", "pid", true, 0, INT32_MAX, &pid) ||
	    ctl_get_bool(req, q, "qemu.", "stopped", false, &d->stopped) ||
	    ctl_get_typed(req, q, "qemu.", "cpu", false, json_type_int, &cpu))
		return -1;
	c = cpu ? json_object_get_int64(cpu) : -1;
	if (c < -1 || c > XEND_CPU_MAX)
		return ctl_fail(req, "field 'qemu.cpu' must be -1..%d",
				XEND_CPU_MAX);
	d->pid = (int)pid;
	d->cpu = (int)c;
	return 0;
}

static int parse_state_domain(struct ctl_req *req, json_object *o,
			      struct xend_domain *d)
{
	json_object *vifs = NULL, *cfg = NULL;
	const char *gw = NULL, *state = NULL;
	uint64_t id = 0, mem = 0, vcpus = 1;
	char nsname[64];
	size_t n;

	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "a domain record must be an object");
	if (rec_get_range(req, o, "", "dom", true, 1, XEND_DOMS_MAX, &id))
		return -1;
	d->id = (uint32_t)id;
	snprintf(nsname, sizeof(nsname), XEND_NETNS_PREFIX "%u", d->id);
	if (parse_name_builder(req, o, "", d) ||
	    ctl_get_string(req, o, "", "state", false, 16, &state) ||
	    want_name(req, o, "", "netns", nsname) ||
	    rec_get_range(req, o, "", "mem_kb", true, 1024,
			  XEND_MEMORY_MB_MAX * 1024ULL, &mem) ||
	    rec_get_range(req, o, "", "vcpus", false, 1, XEND_VCPUS_MAX,
			  &vcpus) ||
	    ctl_get_string(req, o, "", "gateway", false, 64, &gw) ||
	    ctl_get_typed(req, o, "", "config", false, json_type_object, &cfg) ||
	    ctl_get_typed(req, o, "", "vifs", true, json_type_array, &vifs))
		return -1;
	if (state && strcmp(state, "running") && strcmp(state, "building"))
		return ctl_fail(req, "field 'state' must be 'running' or "
				"'building'");
	d->state = state && !strcmp(state, "building") ? XEND_DOM_BUILDING :
							  XEND_DOM_RUNNING;
	snprintf(d->nsname, sizeof(d->nsname), "%s", nsname);
	d->mem_kb = mem;
	d->vcpus = (uint32_t)vcpus;
	d->has_gateway = gw != NULL;
	if (gw && inet_pton(AF_INET, gw, &d->gateway) != 1)
		return ctl_fail(req, "field 'gateway': '%.64s' is not an IPv4 "
				"address", gw);
	d->config = cfg ? json_object_get(cfg) : NULL;
	n = json_object_array_length(vifs);
	if (n < 1 || n > XEND_VIFS_MAX)
		return ctl_fail(req, "field 'vifs' must hold 1 to %d vifs",
				XEND_VIFS_MAX);
	for (unsigned i = 0; i < n; i++) {
		if (parse_state_vif(req, json_object_array_get_idx(vifs, i), i,
				    d))
			return -1;
		d->nvifs++;
	}
	if (check_macs(req, d, ""))
		return -1;
	if (parse_vbds(req, o, "", d))
		return -1;
	return parse_state_qemu(req, o, d);
}

/* rec_state_parse() - see record.h. */
struct xend_domain *rec_state_parse(json_object *o, char *err, size_t errlen)
{
	struct ctl_req req = { 0 };
	struct xend_domain *d = rec_domain_new();

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_state_domain(&req, o, d)) {
		snprintf(err, errlen, "%s", req.error);
		rec_domain_free(d);
		return NULL;
	}
	return d;
}

/* ---- NAT ---- */

/* rec_nat_json() - see record.h. */
json_object *rec_nat_json(const struct nat_config *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "backend", json_object_new_string(
		nat_backend_name(c->backend)));
	json_object_object_add(o, "uplink",
			       json_object_new_string(c->uplink));
	json_object_object_add(o, "port_base",
			       json_object_new_int(c->port_base));
	return o;
}

/* rec_nat_parse() - see record.h. */
int rec_nat_parse(struct ctl_req *req, json_object *o, struct nat_config *c)
{
	const char *backend = NULL, *uplink = NULL;
	uint64_t base = NAT_PORT_BASE_DEFAULT;

	if (ctl_get_string(req, o, "nat.", "backend", true, 16, &backend) ||
	    ctl_get_string(req, o, "nat.", "uplink", true, IFNAMSIZ - 1,
			   &uplink) ||
	    rec_get_range(req, o, "nat.", "port_base", true, 1,
			  65535 - NAT_REDIRECTS_MAX, &base))
		return -1;
	if (nat_backend_parse(backend, &c->backend))
		return ctl_fail(req, "field 'nat.backend' must be 'nft' or "
				"'iptables'");
	if (!*uplink || strchr(uplink, '/'))
		return ctl_fail(req, "field 'nat.uplink': bad name '%s'", uplink);
	snprintf(c->uplink, sizeof(c->uplink), "%s", uplink);
	c->port_base = (uint16_t)base;
	return 0;
}

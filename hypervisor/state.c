// SPDX-License-Identifier: GPL-2.0-or-later
/* state.c - xend's persisted state: STATE_DIR/state.json
 *
 * The file, version 1:
 *
 *   {"version": 1,
 *    "dom0": {"limits": {...}},                      (only once set)
 *    "domains": [{"dom": 1, "name": "dom1", "builder": "netns",
 *                 "netns": "xeno-dom1", "mem_kb": 65536, "vcpus": 1,
 *                 "gateway": "169.254.1.0",          (or null)
 *                 "config": {... as given to create ...},
 *                 "vifs": [{"vif": 0, "ifname": "xv1.0", "nsifname": "eth0",
 *                           "mac": "aa:00:00:..",
 *                           "addrs": [{"ip": "169.254.1.1", "plen": 16,
 *                                      "ns": true}, ...],
 *                           "limits": {"bytes": 0, "usecs": 0, ...}}],
 *                 "vbds": [{"uname": "phy:cdrom", "dev": "hdd",
 *                           "mode": "r"}]}]}
 *
 * Saving writes STATE_DIR/state.json.tmp, fsyncs it, renames it over
 * state.json and fsyncs the directory, so a crash leaves either the old
 * or the new file. Records are parsed with the control socket's field
 * getters, so a damaged record is reported by field name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

#define STATE_FILE_MAX	(16 * 1024 * 1024)

/* ---- writing ---- */

static json_object *limits_json(const struct xend_limits *l)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "bytes", json_object_new_uint64(l->bytes));
	json_object_object_add(o, "usecs", json_object_new_uint64(l->usecs));
	json_object_object_add(o, "packets", json_object_new_uint64(l->packets));
	json_object_object_add(o, "rx_bytes", json_object_new_uint64(l->rx_bytes));
	json_object_object_add(o, "rx_usecs", json_object_new_uint64(l->rx_usecs));
	json_object_object_add(o, "rx_packets",
			       json_object_new_uint64(l->rx_packets));
	return o;
}

static json_object *vif_json(const struct xend_vif *v)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char mac[18], s[INET6_ADDRSTRLEN];

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
	json_object_object_add(o, "limits", limits_json(&v->lim));
	return o;
}

static json_object *vbd_json(const struct xend_vbd *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "uname", json_object_new_string(b->uname));
	json_object_object_add(o, "dev", json_object_new_string(b->dev));
	json_object_object_add(o, "mode", json_object_new_string(b->mode));
	return o;
}

/* xend_state_domain_json() - see state.h. */
json_object *xend_state_domain_json(const struct xend_domain *d)
{
	json_object *o = json_object_new_object();
	json_object *vifs = json_object_new_array();
	json_object *vbds = json_object_new_array();
	char gw[INET_ADDRSTRLEN];

	json_object_object_add(o, "dom", json_object_new_int64(d->id));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "builder", json_object_new_string(
		d->builder == XEND_BUILDER_NETNS ? "netns" : "qemu"));
	json_object_object_add(o, "netns", json_object_new_string(d->nsname));
	json_object_object_add(o, "mem_kb", json_object_new_uint64(d->mem_kb));
	json_object_object_add(o, "vcpus", json_object_new_int64(d->vcpus));
	inet_ntop(AF_INET, &d->gateway, gw, sizeof(gw));
	json_object_object_add(o, "gateway", d->has_gateway ?
			       json_object_new_string(gw) : NULL);
	json_object_object_add(o, "config", json_object_get(d->config));
	for (unsigned i = 0; i < d->nvifs; i++)
		json_object_array_add(vifs, vif_json(&d->vifs[i]));
	json_object_object_add(o, "vifs", vifs);
	for (unsigned i = 0; i < d->nvbds; i++)
		json_object_array_add(vbds, vbd_json(&d->vbds[i]));
	json_object_object_add(o, "vbds", vbds);
	return o;
}

static json_object *state_json(const struct xend *x)
{
	json_object *o = json_object_new_object();
	json_object *doms = json_object_new_array();

	json_object_object_add(o, "version",
			       json_object_new_int(XEND_STATE_VERSION));
	if (x->dom0_lim_set) {
		json_object *d0 = json_object_new_object();

		json_object_object_add(d0, "limits", limits_json(&x->dom0_lim));
		json_object_object_add(o, "dom0", d0);
	}
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (x->doms[i])
			json_object_array_add(doms,
					      xend_state_domain_json(x->doms[i]));
	json_object_object_add(o, "domains", doms);
	return o;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* Write @text to @path atomically: temp file, fsync, rename, fsync dir. */
static int write_atomic(const char *dir, const char *path, const char *text)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, text, strlen(text));
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir(dir);
}

/* xend_state_save() - see state.h. */
int xend_state_save(const struct xend *x)
{
	char path[PATH_MAX];
	json_object *o;
	const char *text;
	char *buf;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", x->state_dir,
			     XEND_STATE_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	o = state_json(x);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	buf = text ? malloc(strlen(text) + 2) : NULL;
	if (!buf) {
		json_object_put(o);
		log_err("state: out of memory");
		return -ENOMEM;
	}
	sprintf(buf, "%s\n", text);
	json_object_put(o);
	ret = write_atomic(x->state_dir, path, buf);
	free(buf);
	if (ret)
		log_err("state: cannot write %s: %s", path, strerror(-ret));
	return ret;
}

/* ---- reading ---- */

static int parse_limits(struct ctl_req *req, json_object *o, const char *path,
			struct xend_limits *l)
{
	json_object *lo = NULL;
	char p[64];

	if (ctl_get_typed(req, o, path, "limits", false, json_type_object, &lo))
		return -1;
	if (!lo)
		return 0;
	snprintf(p, sizeof(p), "%slimits.", path);
	if (ctl_get_uint(req, lo, p, "bytes", false, UINT64_MAX, &l->bytes) ||
	    ctl_get_uint(req, lo, p, "usecs", false, UINT64_MAX, &l->usecs) ||
	    ctl_get_uint(req, lo, p, "packets", false, UINT64_MAX, &l->packets) ||
	    ctl_get_uint(req, lo, p, "rx_bytes", false, UINT64_MAX,
			 &l->rx_bytes) ||
	    ctl_get_uint(req, lo, p, "rx_usecs", false, UINT64_MAX,
			 &l->rx_usecs) ||
	    ctl_get_uint(req, lo, p, "rx_packets", false, UINT64_MAX,
			 &l->rx_packets))
		return -1;
	return 0;
}

static int parse_addr(struct ctl_req *req, json_object *o, const char *path,
		      struct xend_vif_addr *va)
{
	const char *ip = NULL;
	uint32_t plen = 0;
	bool ns = false;

	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "'%s' must be an object", path);
	if (ctl_get_string(req, o, path, "ip", true, 64, &ip) ||
	    ctl_get_u32(req, o, path, "plen", true, 128, &plen) ||
	    ctl_get_bool(req, o, path, "ns", false, &ns))
		return -1;
	if (xend_addr_parse(ip, &va->a))
		return ctl_fail(req, "'%sip': bad address '%s'", path, ip);
	if (plen > va->a.plen)
		return ctl_fail(req, "'%splen' out of range", path);
	va->a.plen = plen;
	va->ns = ns;
	return 0;
}

static int copy_name(struct ctl_req *req, json_object *o, const char *path,
		     const char *key, char *out, size_t size)
{
	const char *s = NULL;

	if (ctl_get_string(req, o, path, key, true, size - 1, &s))
		return -1;
	if (!*s)
		return ctl_fail(req, "'%s%s' is empty", path, key);
	strcpy(out, s);
	return 0;
}

static int parse_vif(struct ctl_req *req, json_object *o, unsigned i,
		     struct xend_vif *v)
{
	json_object *addrs = NULL;
	const char *mac = NULL;
	char path[64], apath[96];

	snprintf(path, sizeof(path), "vifs[%u].", i);
	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "'vifs[%u]' must be an object", i);
	v->port = -1;
	if (ctl_get_u32(req, o, path, "vif", true, XEND_VIFS_MAX - 1, &v->idx) ||
	    copy_name(req, o, path, "ifname", v->ifname, sizeof(v->ifname)) ||
	    copy_name(req, o, path, "nsifname", v->nsifname,
		      sizeof(v->nsifname)) ||
	    ctl_get_string(req, o, path, "mac", true, 17, &mac) ||
	    ctl_get_typed(req, o, path, "addrs", true, json_type_array, &addrs) ||
	    parse_limits(req, o, path, &v->lim))
		return -1;
	if (v->idx != i)
		return ctl_fail(req, "'%svif' is %u, expected %u", path, v->idx, i);
	if (vs_mac_parse(mac, v->mac) || (v->mac[0] & 1))
		return ctl_fail(req, "'%smac': bad MAC '%s'", path, mac);
	if (json_object_array_length(addrs) > XEND_VIF_ADDRS_MAX)
		return ctl_fail(req, "'%saddrs': too many", path);
	for (size_t k = 0; k < json_object_array_length(addrs); k++) {
		snprintf(apath, sizeof(apath), "%saddrs[%zu].", path, k);
		if (parse_addr(req, json_object_array_get_idx(addrs, k), apath,
			       &v->addrs[v->naddrs++]))
			return -1;
	}
	return 0;
}

static int parse_vbds(struct ctl_req *req, json_object *o,
		      struct xend_domain *d)
{
	json_object *arr = NULL;
	char path[32];

	if (ctl_get_typed(req, o, "", "vbds", false, json_type_array, &arr))
		return -1;
	if (arr && json_object_array_length(arr) > XEND_VBDS_MAX)
		return ctl_fail(req, "'vbds': too many");
	for (unsigned i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *b = json_object_array_get_idx(arr, i);
		struct xend_vbd *v = &d->vbds[d->nvbds];

		snprintf(path, sizeof(path), "vbds[%u].", i);
		if (!json_object_is_type(b, json_type_object))
			return ctl_fail(req, "'vbds[%u]' must be an object", i);
		if (copy_name(req, b, path, "uname", v->uname, sizeof(v->uname)) ||
		    copy_name(req, b, path, "dev", v->dev, sizeof(v->dev)) ||
		    copy_name(req, b, path, "mode", v->mode, sizeof(v->mode)))
			return -1;
		d->nvbds++;
	}
	return 0;
}

static int parse_domain(struct ctl_req *req, json_object *o,
			struct xend_domain *d)
{
	json_object *vifs = NULL, *cfg = NULL;
	const char *builder = NULL, *gw = NULL;

	if (!json_object_is_type(o, json_type_object))
		return ctl_fail(req, "a domain record must be an object");
	if (ctl_get_u32(req, o, "", "dom", true, XEND_DOMS_MAX, &d->id) ||
	    copy_name(req, o, "", "name", d->name, sizeof(d->name)) ||
	    ctl_get_string(req, o, "", "builder", true, 16, &builder) ||
	    copy_name(req, o, "", "netns", d->nsname, sizeof(d->nsname)) ||
	    ctl_get_uint(req, o, "", "mem_kb", false, UINT64_MAX, &d->mem_kb) ||
	    ctl_get_u32(req, o, "", "vcpus", false, UINT32_MAX, &d->vcpus) ||
	    ctl_get_string(req, o, "", "gateway", false, 64, &gw) ||
	    ctl_get_typed(req, o, "", "config", false, json_type_object, &cfg) ||
	    ctl_get_typed(req, o, "", "vifs", true, json_type_array, &vifs))
		return -1;
	if (d->id < 1)
		return ctl_fail(req, "'dom' must be at least 1");
	if (strcmp(builder, "netns") && strcmp(builder, "qemu"))
		return ctl_fail(req, "'builder': unknown builder '%s'", builder);
	d->builder = strcmp(builder, "netns") ? XEND_BUILDER_QEMU :
						XEND_BUILDER_NETNS;
	d->has_gateway = gw && inet_pton(AF_INET, gw, &d->gateway) == 1;
	d->config = cfg ? json_object_get(cfg) : NULL;
	if (json_object_array_length(vifs) > XEND_VIFS_MAX)
		return ctl_fail(req, "'vifs': too many");
	for (unsigned i = 0; i < json_object_array_length(vifs); i++) {
		if (parse_vif(req, json_object_array_get_idx(vifs, i), i,
			      &d->vifs[i]))
			return -1;
		d->nvifs++;
	}
	return parse_vbds(req, o, d);
}

/* xend_state_domain_parse() - see state.h. */
struct xend_domain *xend_state_domain_parse(json_object *o, char *err,
					    size_t errlen)
{
	struct ctl_req req = { 0 };
	struct xend_domain *d = xend_domain_new();

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_domain(&req, o, d)) {
		snprintf(err, errlen, "%s", req.error);
		xend_domain_free(d);
		return NULL;
	}
	return d;
}

/* Read @path into a NUL-terminated buffer; NULL with *err = -errno. */
static char *read_file(const char *path, int *err)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		*err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > STATE_FILE_MAX) {
		*err = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		*err = -ENOMEM;
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		*err = -errno;
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Rename a state file that cannot be used out of the way. */
static void set_aside(const char *path, const char *why)
{
	char bad[PATH_MAX + 32], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S",
		 gmtime_r(&now, &tm));
	snprintf(bad, sizeof(bad), "%s.bad-%s", path, stamp);
	if (rename(path, bad))
		log_err("state: %s is unusable (%s) and cannot be renamed: %s",
			path, why, strerror(errno));
	else
		log_err("state: %s is unusable (%s); kept as %s", path, why,
			bad);
}

/* Parse the file's top level; the "domains" array or NULL with @why. */
static json_object *parse_top(json_object *top, struct xend *x,
			      struct ctl_req *req)
{
	json_object *doms = NULL, *d0 = NULL;
	uint32_t version = 0;

	if (!json_object_is_type(top, json_type_object)) {
		ctl_fail(req, "not a JSON object");
		return NULL;
	}
	if (ctl_get_u32(req, top, "", "version", true, UINT32_MAX, &version) ||
	    ctl_get_typed(req, top, "", "domains", true, json_type_array, &doms) ||
	    ctl_get_typed(req, top, "", "dom0", false, json_type_object, &d0))
		return NULL;
	if (version != XEND_STATE_VERSION) {
		ctl_fail(req, "unknown version %u", version);
		return NULL;
	}
	if (d0) {
		struct xend_limits l = { 0 };

		if (parse_limits(req, d0, "dom0.", &l))
			return NULL;
		x->dom0_lim = l;
		x->dom0_lim_set = true;
	}
	return doms;
}

/* Restore record @i; false if the record itself is damaged. */
static bool restore_one(struct xend *x, json_object *rec, unsigned i)
{
	char err[CTL_ERROR_MAX];
	struct xend_domain *d;
	int ret;

	d = xend_state_domain_parse(rec, err, sizeof(err));
	if (!d) {
		log_err("state: domain record %u dropped: %s", i, err);
		return false;
	}
	ret = xend_domain_restore(x, d);
	if (ret == -ENOENT)
		log_warn("state: domain %u (%s) dropped: its namespace %s is "
			 "gone", d->id, d->name, d->nsname);
	else if (ret)
		log_warn("state: domain %u (%s) dropped: %s", d->id, d->name,
			 strerror(-ret));
	else
		log_info("state: domain %u (%s) restored", d->id, d->name);
	if (ret)
		xend_domain_free(d);
	return true;
}

/* xend_state_load() - see state.h. */
int xend_state_load(struct xend *x)
{
	struct ctl_req req = { 0 };
	json_object *top, *doms;
	char path[PATH_MAX];
	int err = 0, n = 0;
	bool damaged = false;
	char *text;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", x->state_dir,
			     XEND_STATE_FILE) >= sizeof(path))
		return 0;
	text = read_file(path, &err);
	if (!text) {
		if (err != -ENOENT)
			set_aside(path, strerror(-err));
		return 0;
	}
	top = json_tokener_parse(text);
	free(text);
	doms = top ? parse_top(top, x, &req) : NULL;
	if (!doms) {
		set_aside(path, top ? req.error : "not valid JSON");
		json_object_put(top);
		x->dom0_lim_set = false;
		return 0;
	}
	for (unsigned i = 0; i < json_object_array_length(doms); i++)
		if (!restore_one(x, json_object_array_get_idx(doms, i), i))
			damaged = true;
	json_object_put(top);
	if (damaged)
		set_aside(path, "damaged domain records");
	if (xend_dom0_limits_apply(x))
		log_warn("state: cannot apply dom0's limits");
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		n += x->doms[i] != NULL;
	xend_state_save(x);
	return n;
}

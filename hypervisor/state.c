// SPDX-License-Identifier: GPL-2.0-or-later
/* state.c - xend's persisted state: STATE_DIR/state.json (see state.h)
 *
 * The file, version 1:
 *
 *   {"version": 1,
 *    "dom0": {"limits": {...}},                      (only once set)
 *    "nat": {"backend": "nft", "uplink": "eth0",
 *            "port_base": 2200},                      (only when enabled)
 *    "domains": [{"dom": 1, "name": "dom1", "builder": "netns",
 *                 "state": "running",                (or "building")
 *                 "netns": "xeno-dom1", "mem_kb": 65536, "vcpus": 1,
 *                 "gateway": "169.254.1.0",          (or null)
 *                 "config": {... as given to create ...},
 *                 "vifs": [{"vif": 0, "ifname": "xv1.0", "nsifname": "eth0",
 *                           "mac": "aa:00:00:..",
 *                           "addrs": [{"ip": "169.254.1.1", "plen": 16,
 *                                      "ns": true}, ...],
 *                           "limits": {"bytes": 0, "usecs": 0, ...},
 *                           "dhcp_server": true}],   (only when set)
 *                 "vbds": [{"uname": "phy:cdrom", "dev": "hdd",
 *                           "mode": "r"}]}]}
 *
 * A record is encoded and checked by record.c, the same code that checks
 * a create request, so a record can hold nothing create would refuse, and
 * its generated names must be the ones xend generates.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "state.h"

#define STATE_FILE_MAX	(16 * 1024 * 1024)
#define STATE_PREV	".prev"

/* ---- writing ---- */

static json_object *state_json(struct xend_domain *const *doms,
			       const struct xend_limits *dom0_lim,
			       const struct nat_config *nat)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();

	json_object_object_add(o, "version",
			       json_object_new_int(XEND_STATE_VERSION));
	if (dom0_lim) {
		json_object *d0 = json_object_new_object();
		json_object *lim = json_object_new_object();

		rec_limits_json(lim, dom0_lim);
		json_object_object_add(d0, "limits", lim);
		json_object_object_add(o, "dom0", d0);
	}
	if (nat)
		json_object_object_add(o, "nat", rec_nat_json(nat));
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++)
		if (doms[i])
			json_object_array_add(arr, rec_state_json(doms[i]));
	json_object_object_add(o, "domains", arr);
	return o;
}

/* xend_state_write() - see state.h. */
int xend_state_write(const char *dir, struct xend_domain *const *doms,
		     const struct xend_limits *dom0_lim,
		     const struct nat_config *nat)
{
	char path[PATH_MAX], prev[PATH_MAX];
	json_object *o;
	const char *text;
	char *buf;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			     XEND_STATE_FILE) >= sizeof(path) ||
	    (size_t)snprintf(prev, sizeof(prev), "%s" STATE_PREV, path) >=
	    sizeof(prev))
		return -ENAMETOOLONG;
	o = state_json(doms, dom0_lim, nat);
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
	ret = xend_file_write_atomic(path, buf, prev);
	free(buf);
	if (ret)
		log_err("state: cannot write %s: %s", path, strerror(-ret));
	return ret;
}

/* ---- reading ---- */

/* xend_state_clear() - see state.h. */
void xend_state_clear(struct xend_state *s)
{
	for (unsigned i = 0; i < s->n; i++)
		rec_domain_free(s->doms[i]);
	memset(s, 0, sizeof(*s));
}

/* Parse the file's top level; the "domains" array or NULL with req's
 * error set. */
static json_object *parse_top(json_object *top, struct xend_state *out,
			      struct ctl_req *req)
{
	json_object *doms = NULL, *d0 = NULL, *lim = NULL, *nat = NULL;
	uint64_t version = 0;

	if (!json_object_is_type(top, json_type_object)) {
		ctl_fail(req, "not a JSON object");
		return NULL;
	}
	if (rec_get_range(req, top, "", "version", true, XEND_STATE_VERSION,
			  XEND_STATE_VERSION, &version) ||
	    ctl_get_typed(req, top, "", "domains", true, json_type_array, &doms) ||
	    ctl_get_typed(req, top, "", "dom0", false, json_type_object, &d0) ||
	    ctl_get_typed(req, top, "", "nat", false, json_type_object, &nat))
		return NULL;
	if (nat && rec_nat_parse(req, nat, &out->nat))
		return NULL;
	out->nat_on = nat != NULL;
	if (d0 && (ctl_get_typed(req, d0, "dom0.", "limits", false,
				 json_type_object, &lim) ||
		   (lim && rec_limits_parse(req, lim, "dom0.limits.",
					    &out->dom0_lim))))
		return NULL;
	out->dom0_lim_set = lim != NULL;
	if (json_object_array_length(doms) > XEND_DOMS_MAX) {
		ctl_fail(req, "more than %d domains", XEND_DOMS_MAX);
		return NULL;
	}
	return doms;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || !s[i])
			return false;
	return true;
}

/* xend_state_parse() - see state.h. */
int xend_state_parse(const char *text, size_t len, struct xend_state *out,
		     char *why, size_t whylen)
{
	struct json_tokener *tok = json_tokener_new();
	struct ctl_req req = { 0 };
	char err[CTL_ERROR_MAX];
	json_object *top = NULL, *doms;

	memset(out, 0, sizeof(*out));
	if (tok && len <= STATE_FILE_MAX && len <= INT32_MAX)
		top = json_tokener_parse_ex(tok, text, (int)len);
	if (top && tok && !blank(text + json_tokener_get_parse_end(tok),
				 len - json_tokener_get_parse_end(tok))) {
		json_object_put(top);	/* trailing bytes: damaged */
		top = NULL;
	}
	json_tokener_free(tok);
	doms = top ? parse_top(top, out, &req) : NULL;
	if (!doms) {
		snprintf(why, whylen, "%s", top ? req.error : "not valid JSON");
		json_object_put(top);
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	for (unsigned i = 0; i < json_object_array_length(doms); i++) {
		struct xend_domain *d = rec_state_parse(
			json_object_array_get_idx(doms, i), err, sizeof(err));

		if (!d) {
			log_err("state: domain record %u dropped: %s", i, err);
			out->damaged = true;
			continue;
		}
		out->doms[out->n++] = d;
	}
	json_object_put(top);
	return 0;
}

/* Read @path into a NUL-terminated buffer; NULL with *err = -errno. */
static char *read_file(const char *path, size_t *len, int *err)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
	*len = (size_t)n;
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

/* Read one file; 0, -ENOENT, or -EINVAL after setting it aside. */
static int read_one(const char *path, struct xend_state *out)
{
	char why[CTL_ERROR_MAX];
	size_t len = 0;
	int err = 0;
	char *text = read_file(path, &len, &err);

	if (!text) {
		if (err == -ENOENT)
			return err;
		set_aside(path, strerror(-err));
		return -EINVAL;
	}
	err = xend_state_parse(text, len, out, why, sizeof(why));
	free(text);
	if (err)
		set_aside(path, why);
	return err;
}

/* xend_state_read() - see state.h. */
void xend_state_read(const char *dir, struct xend_state *out)
{
	char path[PATH_MAX], prev[PATH_MAX];
	int ret;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			     XEND_STATE_FILE) >= sizeof(path) ||
	    (size_t)snprintf(prev, sizeof(prev), "%s" STATE_PREV, path) >=
	    sizeof(prev))
		return;
	ret = read_one(path, out);
	if (ret != -EINVAL)
		return;
	log_warn("state: trying the previous state, %s", prev);
	if (read_one(prev, out) == 0)
		log_warn("state: using %s", prev);
	out->damaged = true;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* config_domain.c - the keys of a domain config file, their checks, and
 * what xc_dom_create makes of the result (JSON, the -n block)
 *
 * Each key has a setter in keys[]; a key not in the table is an error (a
 * typo must not silently give a default). Checks that involve several
 * keys run after all of them are set (finish()).
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* What a setter needs: the file (for error positions) and the domain. */
struct conv {
	const char *fname;
	struct config_domain *d;
	char *err;
	size_t errlen;
};

/* config_errf() always returns -EINVAL; the comma says so to analysers */
#define ITEM_ERR(c, it, ...) \
	(config_errf((c)->err, (c)->errlen, (c)->fname, (it)->line, \
		     (it)->col, __VA_ARGS__), -EINVAL)

/* ---- value checks ---- */

bool config_check_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

char config_parse_mode(const char *s)
{
	if (!strcmp(s, "r") || !strcmp(s, "ro"))
		return 'r';
	if (!strcmp(s, "w") || !strcmp(s, "rw"))
		return 'w';
	return 0;
}

bool config_check_uname(const char *s)
{
	const char *colon = strchr(s, ':');
	const char *p;

	if (!colon || colon == s || !colon[1])
		return false;
	for (p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == ',')
			return false;
	return true;
}

int config_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool check_netmask(const char *s)
{
	struct in_addr a;
	uint32_t m;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	m = ntohl(a.s_addr);
	return (m & (~m >> 1)) == 0;	/* ones, then only zeros */
}

/* ---- helpers for setters ---- */

static int want_scalar(struct conv *c, const struct config_entry *e)
{
	if (e->is_list)
		return config_errf(c->err, c->errlen, c->fname, e->vline,
				   e->vcol, "'%s' takes a single value, not "
				   "a list", e->key);
	return 0;
}

static int set_str(struct conv *c, const struct config_entry *e, char **dst)
{
	int ret = want_scalar(c, e);

	if (ret)
		return ret;
	free(*dst);
	*dst = strdup(e->items[0].s);
	return *dst ? 0 : -ENOMEM;
}

static int set_long(struct conv *c, const struct config_entry *e, long *dst,
		    long min, long max, const char *unit)
{
	const struct config_item *it;
	char *end;
	long v;
	int ret = want_scalar(c, e);

	if (ret)
		return ret;
	it = &e->items[0];	/* want_scalar() made sure there is one */
	errno = 0;
	v = strtol(it->s, &end, 10);
	if (!it->s[0] || *end || errno || isspace((unsigned char)it->s[0]))
		return ITEM_ERR(c, it, "'%s' must be an integer%s, not '%s'",
				e->key, unit, it->s);
	if (v < min || v > max)
		return ITEM_ERR(c, it, "'%s' must be between %ld and %ld%s, "
				"not %ld", e->key, min, max, unit, v);
	*dst = v;
	return 0;
}

static int set_choice(struct conv *c, const struct config_entry *e,
		      char **dst, const char *const *choices)
{
	const struct config_item *it;
	char list[128] = "";
	size_t i;
	int ret = want_scalar(c, e);

	if (ret)
		return ret;
	it = &e->items[0];	/* want_scalar() made sure there is one */
	for (i = 0; choices[i]; i++) {
		if (!strcmp(it->s, choices[i]))
			return set_str(c, e, dst);
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s'%s'", i ? (choices[i + 1] ? ", " : " or ") : "",
			 choices[i]);
	}
	return ITEM_ERR(c, it, "'%s' must be %s, not '%s'", e->key, list,
			it->s);
}

static int push_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strndup(s, len);
	if (!nv[*n])
		return -ENOMEM;
	++*n;
	return 0;
}

/* Add the addresses of @s, separated by @seps, to @v after checking each. */
static int add_ips(struct conv *c, const struct config_item *it,
		   const char *s, const char *seps, char ***v, size_t *n)
{
	char ip[INET6_ADDRSTRLEN + 8];
	size_t len;

	for (;;) {
		s += strspn(s, seps);
		len = strcspn(s, seps);
		if (!len)
			return 0;
		snprintf(ip, sizeof(ip), "%.*s", (int)len, s);
		if (len >= sizeof(ip) || !config_check_ip(ip))
			return ITEM_ERR(c, it, "bad IP address '%.*s'",
					(int)len, s);
		if (push_str(v, n, s, len))
			return -ENOMEM;
		s += len;
	}
}

/* ---- setters ---- */

static int set_name(struct conv *c, const struct config_entry *e)
{
	const struct config_item *it;
	const char *p;
	int ret = want_scalar(c, e);

	if (ret)
		return ret;
	it = &e->items[0];	/* want_scalar() made sure there is one */
	if (!it->s[0])
		return ITEM_ERR(c, it, "'name' must not be empty");
	if (strlen(it->s) > CONFIG_NAME_MAX)
		return ITEM_ERR(c, it, "'name' is longer than %d bytes",
				CONFIG_NAME_MAX);
	for (p = it->s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.+-", *p))
			return ITEM_ERR(c, it, "'name' may hold letters, "
					"digits and '_.+-' only, not '%s'",
					it->s);
	return set_str(c, e, &c->d->name);
}

static int set_builder(struct conv *c, const struct config_entry *e)
{
	static const char *const b[] = { "netns", "qemu", "external",
					 NULL };

	return set_choice(c, e, &c->d->builder, b);
}

static int set_accel(struct conv *c, const struct config_entry *e)
{
	static const char *const a[] = { "auto", "kvm", "tcg", NULL };

	return set_choice(c, e, &c->d->accel, a);
}

static int set_memory(struct conv *c, const struct config_entry *e)
{
	return set_long(c, e, &c->d->memory, 1, CONFIG_MEMORY_MAX, " (MB)");
}

static int set_vcpus(struct conv *c, const struct config_entry *e)
{
	return set_long(c, e, &c->d->vcpus, 1, CONFIG_VCPUS_MAX, "");
}

static int set_kernel(struct conv *c, const struct config_entry *e)
{
	return set_str(c, e, &c->d->kernel);
}

static int set_ramdisk(struct conv *c, const struct config_entry *e)
{
	return set_str(c, e, &c->d->ramdisk);
}

static int set_cmdline(struct conv *c, const struct config_entry *e)
{
	return set_str(c, e, &c->d->cmdline);
}

/* init = "command": a netns domain's console process */
static int set_init(struct conv *c, const struct config_entry *e)
{
	return set_str(c, e, &c->d->init);
}

/* ip = "a,b" or "a b" or [ "a", "b" ] (items may hold several too) */
static int set_ip(struct conv *c, const struct config_entry *e)
{
	size_t i;
	int ret;

	for (i = 0; i < e->n; i++) {
		ret = add_ips(c, &e->items[i], e->items[i].s, ", \t",
			      &c->d->ip, &c->d->n_ip);
		if (ret)
			return ret;
	}
	return 0;
}

static int set_netmask(struct conv *c, const struct config_entry *e)
{
	const struct config_item *it;
	int ret = want_scalar(c, e);

	if (ret)
		return ret;
	it = &e->items[0];	/* want_scalar() made sure there is one */
	if (it->s[0] && !check_netmask(it->s))
		return ITEM_ERR(c, it, "bad netmask '%s' (expected a dotted "
				"IPv4 mask such as 255.255.255.0)", it->s);
	return set_str(c, e, &c->d->netmask);
}

static int set_gateway(struct conv *c, const struct config_entry *e)
{
	const struct config_item *it;
	struct in_addr a;
	int ret = want_scalar(c, e);

	if (ret)
		return ret;
	it = &e->items[0];	/* want_scalar() made sure there is one */
	if (it->s[0] && inet_pton(AF_INET, it->s, &a) != 1)
		return ITEM_ERR(c, it, "bad gateway '%s' (expected an IPv4 "
				"address)", it->s);
	return set_str(c, e, &c->d->gateway);
}

/* One `name=value` of a vif string, already cut out (@s, @len). */
static int vif_setting(struct conv *c, const struct config_item *it,
		       struct config_vif *vif, const char *s, size_t len)
{
	char buf[128];
	uint8_t mac[XENO_MAC_LEN];
	char *val, *slash;
	uint64_t b, u;

	if (len >= sizeof(buf))
		return ITEM_ERR(c, it, "vif setting too long: '%.*s'",
				(int)len, s);
	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	val = strchr(buf, '=');
	if (!val)
		return ITEM_ERR(c, it, "bad vif setting '%s' (expected "
				"mac=, ip=, rate=, dhcp_server=, backend=, "
				"socket= or offload=)", buf);
	*val++ = '\0';
	if (!strcmp(buf, "ip"))
		return add_ips(c, it, val, " \t", &vif->ip, &vif->n_ip);
	if (!strcmp(buf, "mac")) {
		if (vs_mac_parse(val, mac))
			return ITEM_ERR(c, it, "bad MAC address '%s'", val);
		if (mac[0] & 1)
			return ITEM_ERR(c, it, "MAC address '%s' is multicast"
					": a vif needs a unicast MAC", val);
		if (!xeno_mac_unicast(mac))
			return ITEM_ERR(c, it, "MAC address '%s' is all "
					"zeros", val);
		vs_mac_format(mac, vif->mac);
		return 0;
	}
	if (!strcmp(buf, "rate")) {
		slash = strchr(val, '/');
		if (slash)
			*slash = '\0';
		if (!slash || config_parse_u64(val, &b) ||
		    config_parse_u64(slash + 1, &u))
			return ITEM_ERR(c, it, "bad rate '%s%s%s' (expected "
					"BYTES/USECS, e.g. rate=125000/100000)",
					val, slash ? "/" : "",
					slash ? slash + 1 : "");
		if (b > XEND_LIMIT_BYTES_MAX || u > XEND_LIMIT_USECS_MAX)
			return ITEM_ERR(c, it, "rate '%s/%s' out of range (at "
					"most %llu bytes every %llu us)", val,
					slash + 1,
					(unsigned long long)XEND_LIMIT_BYTES_MAX,
					(unsigned long long)XEND_LIMIT_USECS_MAX);
		vif->bytes = b;
		vif->usecs = u;
		vif->has_rate = true;
		return 0;
	}
	if (!strcmp(buf, "dhcp_server")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return ITEM_ERR(c, it, "bad dhcp_server '%s' (expected "
					"yes or no)", val);
		vif->dhcp_server = !strcmp(val, "yes");
		return 0;
	}
	if (!strcmp(buf, "backend")) {
		if (val[0] && strcmp(val, "tap") && strcmp(val, "vhost-user"))
			return ITEM_ERR(c, it, "bad backend '%s' (expected tap "
					"or vhost-user)", val);
		snprintf(vif->backend, sizeof(vif->backend), "%s", val);
		return 0;
	}
	if (!strcmp(buf, "socket")) {
		if (val[0] != '/' || strlen(val) >= sizeof(vif->socket))
			return ITEM_ERR(c, it, "bad socket '%s' (expected an "
					"absolute path of at most %zu bytes)",
					val, sizeof(vif->socket) - 1);
		snprintf(vif->socket, sizeof(vif->socket), "%s", val);
		return 0;
	}
	if (!strcmp(buf, "offload")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return ITEM_ERR(c, it, "bad offload '%s' (expected yes "
					"or no)", val);
		vif->no_offload = !strcmp(val, "no");
		return 0;
	}
	return ITEM_ERR(c, it, "unknown vif setting '%s' (expected mac, ip, "
			"rate, dhcp_server, backend, socket or offload)", buf);
}

static int parse_vif(struct conv *c, const struct config_item *it,
		     struct config_vif *vif)
{
	const char *s = it->s, *e;
	int ret;

	for (;;) {
		s += strspn(s, " \t,");
		if (!*s)
			return 0;
		e = s + strcspn(s, ",");
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		ret = vif_setting(c, it, vif, s, (size_t)(e - s));
		if (ret)
			return ret;
		s = e;
		s += strcspn(s, ",");
	}
}

static int set_vif(struct conv *c, const struct config_entry *e)
{
	struct config_domain *d = c->d;
	size_t i, k;
	int ret;

	d->has_vifs = true;
	if (e->n < 1 || e->n > CONFIG_VIFS_MAX)
		return config_errf(c->err, c->errlen, c->fname, e->vline,
				   e->vcol, "'vif' must list 1 to %d vifs (vif "
				   "0 carries the domain's link-local address)",
				   CONFIG_VIFS_MAX);
	d->vifs = calloc(e->n, sizeof(*d->vifs));
	if (!d->vifs)
		return -ENOMEM;
	for (i = 0; i < e->n; i++) {
		d->n_vifs++;
		ret = parse_vif(c, &e->items[i], &d->vifs[i]);
		if (ret)
			return ret;
		for (k = 0; k < i && d->vifs[i].mac[0]; k++)
			if (!strcmp(d->vifs[k].mac, d->vifs[i].mac))
				return ITEM_ERR(c, &e->items[i], "vif %zu has "
						"the MAC %s of vif %zu", i,
						d->vifs[i].mac, k);
	}
	return 0;
}

static int parse_vbd(struct conv *c, const struct config_item *it,
		     struct config_vbd *vbd)
{
	char *f[4] = { NULL }, *copy, *p, *sp;
	size_t n = 0;

	copy = strdup(it->s);
	if (!copy)
		return -ENOMEM;
	for (p = strtok_r(copy, ",", &sp); p && n < 4;
	     p = strtok_r(NULL, ",", &sp)) {
		while (isspace((unsigned char)*p))
			p++;
		for (char *e = p + strlen(p); e > p && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		f[n++] = p;
	}
	if (n != 3 || !config_check_uname(f[0]) || !f[1][0] ||
	    !config_parse_mode(f[2])) {
		free(copy);
		return ITEM_ERR(c, it, "bad disk '%s' (expected 'uname,dev,"
				"mode' with mode r or w, e.g. "
				"'phy:cdrom,hdd,r')", it->s);
	}
	vbd->uname = strdup(f[0]);
	vbd->dev = strdup(f[1]);
	vbd->mode = config_parse_mode(f[2]);
	free(copy);
	return vbd->uname && vbd->dev ? 0 : -ENOMEM;
}

/* disk = [ "phy:cdrom,hdd,r", ... ]; vbd is another name for it */
static int set_disk(struct conv *c, const struct config_entry *e)
{
	struct config_domain *d = c->d;
	size_t i, k;
	int ret;

	if (d->vbds)
		return config_errf(c->err, c->errlen, c->fname, e->line, e->col,
				   "'disk' and 'vbd' are the same key: give "
				   "only one");
	d->vbds = calloc(e->n ? e->n : 1, sizeof(*d->vbds));
	if (!d->vbds)
		return -ENOMEM;
	for (i = 0; i < e->n; i++) {
		d->n_vbds++;
		ret = parse_vbd(c, &e->items[i], &d->vbds[i]);
		if (ret)
			return ret;
		for (k = 0; k < i; k++)
			if (!strcmp(d->vbds[k].dev, d->vbds[i].dev))
				return ITEM_ERR(c, &e->items[i], "device '%s' "
						"is given twice",
						d->vbds[i].dev);
	}
	return 0;
}

static const struct key {
	const char *name;
	int (*set)(struct conv *c, const struct config_entry *e);
} keys[] = {
	{ "name",	set_name },
	{ "builder",	set_builder },
	{ "memory",	set_memory },
	{ "vcpus",	set_vcpus },
	{ "kernel",	set_kernel },
	{ "ramdisk",	set_ramdisk },
	{ "cmdline",	set_cmdline },
	{ "init",	set_init },
	{ "ip",		set_ip },
	{ "netmask",	set_netmask },
	{ "gateway",	set_gateway },
	{ "vif",	set_vif },
	{ "disk",	set_disk },
	{ "vbd",	set_disk },
	{ "accel",	set_accel },
};

#define N_KEYS	(sizeof(keys) / sizeof(keys[0]))

/* Edit distance of two short words, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, tmp;
	size_t row[32];

	if (la >= 32 || lb >= 32)
		return 32;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = a[i - 1] == b[j - 1] ? prev :
				 1 + (prev < row[j] ?
				      (prev < row[j - 1] ? prev : row[j - 1]) :
				      (row[j] < row[j - 1] ? row[j] : row[j - 1]));
			prev = tmp;
		}
	}
	return row[lb];
}

static int unknown_key(struct conv *c, const struct config_entry *e)
{
	const char *best = NULL;
	size_t i, d, bd = 3;

	for (i = 0; i < N_KEYS; i++) {
		d = distance(e->key, keys[i].name);
		if (d < bd) {
			bd = d;
			best = keys[i].name;
		}
	}
	if (best)
		return config_errf(c->err, c->errlen, c->fname, e->line, e->col,
				   "unknown key '%s' (did you mean '%s'?)",
				   e->key, best);
	return config_errf(c->err, c->errlen, c->fname, e->line, e->col,
			   "unknown key '%s'", e->key);
}

static int set_default(char **dst, const char *s)
{
	if (*dst)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* What is left, xend's rules on the request as it will be sent: the
 * same code xend runs, so the two can never disagree. */
static int xend_check(struct conv *c)
{
	char msg[CONFIG_ERR_MAX];
	json_object *cfg = config_domain_to_json(c->d);
	int ret;

	if (!cfg)
		return -ENOMEM;
	ret = rec_config_check(cfg, msg, sizeof(msg));
	json_object_put(cfg);
	if (ret == -EINVAL)
		return config_errf(c->err, c->errlen, c->fname, 0, 0, "%s",
				   msg);
	return ret;
}

/* Defaults for what the file left out, and checks across keys. */
static int finish(struct conv *c)
{
	struct config_domain *d = c->d;

	if (!d->name)
		return config_errf(c->err, c->errlen, c->fname, 0, 0,
				   "missing key 'name' (the domain's name)");
	if (set_default(&d->builder, "qemu") || set_default(&d->accel, "auto") ||
	    set_default(&d->kernel, "") || set_default(&d->ramdisk, "") ||
	    set_default(&d->cmdline, "") || set_default(&d->netmask, "") ||
	    set_default(&d->gateway, ""))
		return -ENOMEM;
	if (!d->memory)
		d->memory = 64;
	if (!d->vcpus)
		d->vcpus = 1;
	if (!strcmp(d->builder, "qemu") && !d->kernel[0])
		return config_errf(c->err, c->errlen, c->fname, 0, 0,
				   "the qemu builder needs a 'kernel'");
	return xend_check(c);
}

int config_parse(const char *fname, const char *text, size_t len,
		 struct config_vars *vars, struct config_domain *out,
		 char *err, size_t errlen)
{
	struct conv c = { fname, out, err, errlen };
	struct config_file f;
	size_t i, k;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = config_syntax(fname, text, len, vars, NULL, &f, err, errlen);
	for (i = 0; !ret && i < f.n; i++) {
		for (k = 0; k < N_KEYS; k++)
			if (!strcmp(f.e[i].key, keys[k].name))
				break;
		ret = k < N_KEYS ? keys[k].set(&c, &f.e[i]) :
				   unknown_key(&c, &f.e[i]);
	}
	if (!ret)
		ret = finish(&c);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", fname);
	config_file_free(&f);
	return ret;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_domain_free(struct config_domain *d)
{
	size_t i;

	if (!d)
		return;
	free(d->name);
	free(d->builder);
	free(d->kernel);
	free(d->ramdisk);
	free(d->cmdline);
	free(d->init);
	free_strv(d->ip, d->n_ip);
	free(d->netmask);
	free(d->gateway);
	for (i = 0; i < d->n_vifs; i++)
		free_strv(d->vifs[i].ip, d->vifs[i].n_ip);
	free(d->vifs);
	for (i = 0; i < d->n_vbds; i++) {
		free(d->vbds[i].uname);
		free(d->vbds[i].dev);
	}
	free(d->vbds);
	free(d->accel);
	memset(d, 0, sizeof(*d));
}

/* ---- output ---- */

static json_object *strv_json(char **v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *vifs_json(const struct config_domain *d)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; a && i < d->n_vifs; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "mac",
				       json_object_new_string(d->vifs[i].mac));
		json_object_object_add(o, "ip", strv_json(d->vifs[i].ip,
							  d->vifs[i].n_ip));
		json_object_object_add(o, "bytes",
			json_object_new_int64((int64_t)d->vifs[i].bytes));
		json_object_object_add(o, "usecs",
			json_object_new_int64((int64_t)d->vifs[i].usecs));
		if (d->vifs[i].dhcp_server)
			json_object_object_add(o, "dhcp_server",
					       json_object_new_boolean(true));
		if (d->vifs[i].backend[0])
			json_object_object_add(o, "backend",
				json_object_new_string(d->vifs[i].backend));
		if (d->vifs[i].socket[0])
			json_object_object_add(o, "socket",
				json_object_new_string(d->vifs[i].socket));
		if (d->vifs[i].no_offload)
			json_object_object_add(o, "offload",
					       json_object_new_boolean(false));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *vbds_json(const struct config_domain *d)
{
	json_object *a = json_object_new_array(), *o;
	char mode[2] = "";
	size_t i;

	for (i = 0; a && i < d->n_vbds; i++) {
		o = json_object_new_object();
		mode[0] = d->vbds[i].mode;
		json_object_object_add(o, "uname",
				       json_object_new_string(d->vbds[i].uname));
		json_object_object_add(o, "dev",
				       json_object_new_string(d->vbds[i].dev));
		json_object_object_add(o, "mode", json_object_new_string(mode));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *config_domain_to_json(const struct config_domain *d)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "builder",
			       json_object_new_string(d->builder));
	json_object_object_add(o, "memory", json_object_new_int64(d->memory));
	json_object_object_add(o, "vcpus", json_object_new_int64(d->vcpus));
	json_object_object_add(o, "kernel", json_object_new_string(d->kernel));
	json_object_object_add(o, "ramdisk",
			       json_object_new_string(d->ramdisk));
	json_object_object_add(o, "cmdline",
			       json_object_new_string(d->cmdline));
	if (d->init && d->init[0])
		json_object_object_add(o, "init",
				       json_object_new_string(d->init));
	json_object_object_add(o, "ip", strv_json(d->ip, d->n_ip));
	/* not in the protocol's table yet: sent only when given */
	if (d->netmask[0])
		json_object_object_add(o, "netmask",
				       json_object_new_string(d->netmask));
	if (d->gateway[0])
		json_object_object_add(o, "gateway",
				       json_object_new_string(d->gateway));
	if (d->has_vifs)
		json_object_object_add(o, "vifs", vifs_json(d));
	json_object_object_add(o, "vbds", vbds_json(d));
	json_object_object_add(o, "accel", json_object_new_string(d->accel));
	return o;
}

char *config_vif_format(const struct config_vif *vif, char *buf, size_t len)
{
	size_t n, i;

	n = (size_t)snprintf(buf, len, "mac=%s, ip=",
			     vif->mac[0] ? vif->mac : "auto");
	for (i = 0; i < vif->n_ip && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "",
				      vif->ip[i]);
	if (n >= len)
		return buf;
	if (vif->has_rate && vif->usecs)
		n += (size_t)snprintf(buf + n, len - n, ", rate=%llu/%llu",
				      (unsigned long long)vif->bytes,
				      (unsigned long long)vif->usecs);
	else
		n += (size_t)snprintf(buf + n, len - n, ", rate=unlimited");
	if (vif->dhcp_server && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", dhcp_server=yes");
	if (vif->backend[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", backend=%s",
				      vif->backend);
	if (vif->socket[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", socket=%s",
				      vif->socket);
	if (vif->no_offload && n < len)
		snprintf(buf + n, len - n, ", offload=no");
	return buf;
}

static void print_joined(FILE *f, const char *label, char **v, size_t n)
{
	size_t i;

	fprintf(f, "%-19s: \"", label);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", v[i]);
	fputs("\"\n", f);
}

void config_print_dry_run(FILE *f, const char *shown,
			  const struct config_domain *d)
{
	struct config_vif vif0 = { .ip = d->ip, .n_ip = d->n_ip };
	char buf[1024];
	size_t i;

	fprintf(f, "Parsing config file '%s'\n\n", shown);
	fprintf(f, "%-19s: \"%s\"\n", "VM image", d->kernel);
	fprintf(f, "%-19s: \"%s\"\n", "VM ramdisk", d->ramdisk);
	fprintf(f, "%-19s: \"%ld\"\n", "VM memory (MB)", d->memory);
	print_joined(f, "VM IP address(es)", d->ip, d->n_ip);
	fprintf(f, "%-19s: \"", "VM block device(s)");
	for (i = 0; i < d->n_vbds; i++)
		fprintf(f, "%s%s,%s,%c", i ? " " : "", d->vbds[i].uname,
			d->vbds[i].dev, d->vbds[i].mode);
	fputs("\"\n", f);
	fprintf(f, "%-19s: \"%s\"\n", "VM cmdline", d->cmdline);
	fprintf(f, "%-19s: \"%s\"\n", "VM name", d->name);
	fprintf(f, "%-19s: \"%s\"\n", "VM builder", d->builder);
	fprintf(f, "%-19s: \"%ld\"\n", "VM vcpus", d->vcpus);
	fprintf(f, "%-19s: \"%s\"\n", "VM accel", d->accel);
	if (d->netmask[0])
		fprintf(f, "%-19s: \"%s\"\n", "VM netmask", d->netmask);
	if (d->gateway[0])
		fprintf(f, "%-19s: \"%s\"\n", "VM gateway", d->gateway);
	if (!d->has_vifs) {
		fprintf(f, "%-19s: \"%s\"\n", "VM vif 0",
			config_vif_format(&vif0, buf, sizeof(buf)));
		return;
	}
	for (i = 0; i < d->n_vifs; i++) {
		struct config_vif v = d->vifs[i];
		char label[32], **ips = NULL;

		/* the top-level ip list goes to vif 0 as well */
		if (i == 0 && d->n_ip) {
			ips = calloc(d->n_ip + v.n_ip, sizeof(*ips));
			if (ips) {
				memcpy(ips, d->ip, d->n_ip * sizeof(*ips));
				if (v.n_ip)
					memcpy(ips + d->n_ip, v.ip,
					       v.n_ip * sizeof(*ips));
				v.ip = ips;
				v.n_ip += d->n_ip;
			}
		}
		snprintf(label, sizeof(label), "VM vif %zu", i);
		fprintf(f, "%-19s: \"%s\"\n", label,
			config_vif_format(&v, buf, sizeof(buf)));
		free(ips);
	}
}

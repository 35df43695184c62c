/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h - domain config files: syntax, -D variables, keys, validation
 *
 * A config file is a list of `key = value` lines (docs/config-format.md).
 * A value is a "double-quoted" or 'single-quoted' string, a bare word or
 * integer, or a list `[ a, b, ... ]` that may span lines; `#` starts a
 * comment. `${var}` and `${var:-default}` inside strings and bare values
 * are replaced by the -D variables before anything else looks at the
 * value: `${var}` with no value is an error (the variable is required),
 * `${var:-default}` takes the default when the variable is unset or empty.
 *
 * config_parse() turns a file into a struct config_domain, checking every
 * key (unknown keys are errors) and every value. Errors are one line,
 * "file:line:col: what was expected", written to the caller's buffer.
 * config_list_vars() lists the variables a file uses, for `-h`.
 */
#ifndef XENO_CONFIG_H
#define XENO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "record.h"

/* The bounds are xend's own (record.h): the tool and the daemon apply one
 * set of rules, and config_parse() finally runs xend's check of the
 * request itself (rec_config_check()). */
#define CONFIG_ERR_MAX		512	/* size for error buffers */
#define CONFIG_NAME_MAX		XEND_NAME_MAX	/* bytes in a domain name */
#define CONFIG_MEMORY_MAX	XEND_MEMORY_MB_MAX	/* MB */
#define CONFIG_VCPUS_MAX	XEND_VCPUS_MAX
#define CONFIG_VIFS_MAX		XEND_VIFS_MAX
#define CONFIG_FILE_MAX		(1 << 20)	/* bytes in a config file */

/* ---- -D variables ---- */

struct config_vars;

/* config_vars_new() - an empty variable set; NULL if out of memory. */
struct config_vars *config_vars_new(void);

/* config_vars_free() - free @v and its strings. Accepts NULL. */
void config_vars_free(struct config_vars *v);

/* config_vars_set() - set @name to a copy of @value, replacing an earlier
 * value. -EINVAL if @name is not [A-Za-z_][A-Za-z0-9_]*, -ENOMEM. */
int config_vars_set(struct config_vars *v, const char *name,
		    const char *value);

/* config_vars_parse() - apply one -D argument: `name=value`, or several
 * separated by ':'. A ':' separates assignments only when a `name=`
 * follows it, so values such as IPv6 addresses keep their colons
 * ("ip=fe80::1:mem=72" sets ip=fe80::1 and mem=72). Returns 0, or -EINVAL
 * with a message in @err (@errlen bytes), or -ENOMEM. */
int config_vars_parse(struct config_vars *v, const char *arg,
		      char *err, size_t errlen);

/* config_vars_get() - the value of @name, or NULL when unset. */
const char *config_vars_get(const struct config_vars *v, const char *name);

/* config_vars_unused() - the @i-th variable (in the order first set) that
 * no config_parse() call has used, or NULL past the last one. */
const char *config_vars_unused(const struct config_vars *v, size_t i);

/* ---- variables a file uses (for -h) ---- */

struct config_var_use {
	char *name;
	char *def;		/* default text; NULL when required */
	char *doc;		/* trailing comment of the first line using it */
	unsigned line;		/* first use */
};

struct config_var_list {
	struct config_var_use *v;
	size_t n;
};

/* config_list_vars() - fill @out with each variable @text uses, in order
 * of first use. A variable is required (def == NULL) if any use of it has
 * no default; otherwise def is the first default seen. @fname names the
 * file in errors. Only the syntax is checked, not the keys. Returns 0,
 * -EINVAL with a message in @err, or -ENOMEM. Free @out with
 * config_var_list_free() in every case. */
int config_list_vars(const char *fname, const char *text, size_t len,
		     struct config_var_list *out, char *err, size_t errlen);

/* config_var_list_free() - free the contents of @l (not @l). */
void config_var_list_free(struct config_var_list *l);

/* ---- the domain a file describes ---- */

struct config_vif {
	char mac[18];		/* "" = default MAC (DESIGN.md §3) */
	char **ip;
	size_t n_ip;
	uint64_t bytes;		/* rate: credit bytes per usecs; 0/0 = none */
	uint64_t usecs;
	bool has_rate;
	bool dhcp_server;	/* dhcp_server=yes: may answer DHCP */
	char backend[16];	/* "tap", "vhost-user"; "" = the builder's */
	char socket[108];	/* builder external: the front end's socket */
	bool no_offload;	/* offload=no: no csum/TSO for the guest */
};

struct config_vbd {
	char *uname;		/* "phy:cdrom" */
	char *dev;		/* "hdd" */
	char mode;		/* 'r' or 'w' */
};

struct config_domain {
	char *name;
	char *builder;		/* "netns" or "qemu" (default) */
	long memory;		/* MB, default 64 */
	long vcpus;		/* default 1 */
	char *kernel, *ramdisk, *cmdline;	/* "" when not given */
	char *init;		/* netns: the console process; NULL if none */
	char **ip;		/* top-level ip: goes to vif 0 */
	size_t n_ip;
	char *netmask, *gateway;	/* "" when not given */
	struct config_vif *vifs;
	size_t n_vifs;
	bool has_vifs;		/* a vif key was given (maybe empty) */
	struct config_vbd *vbds;
	size_t n_vbds;
	char *accel;		/* "auto" (default), "kvm" or "tcg" */
};

/* config_parse() - parse and check @text (@len bytes, from file @fname)
 * into @out, substituting @vars (NULL = none set) and marking the ones
 * used. Returns 0; -EINVAL with "fname:line:col: message" in @err; or
 * -ENOMEM. @out belongs to the caller: config_domain_free() it in every
 * case. */
int config_parse(const char *fname, const char *text, size_t len,
		 struct config_vars *vars, struct config_domain *out,
		 char *err, size_t errlen);

/* config_read_file() - read @path into a NUL-terminated malloc'd buffer
 * (*@text, *@len bytes without the NUL). Returns 0 or -errno with
 * "cannot read PATH: reason" in @err. */
int config_read_file(const char *path, char **text, size_t *len,
		     char *err, size_t errlen);

/* config_domain_free() - free what @d holds and zero it. Accepts NULL. */
void config_domain_free(struct config_domain *d);

/* config_domain_to_json() - the `config` object of a `create` request
 * (docs/control-protocol.md). NULL if out of memory. Caller owns it. */
json_object *config_domain_to_json(const struct config_domain *d);

/* config_vif_format() - @vif as config syntax ("mac=..., ip=a b,
 * rate=B/U"; "mac=auto" for the default MAC, "rate=unlimited") into @buf.
 * Returns @buf. */
char *config_vif_format(const struct config_vif *vif, char *buf,
			size_t len);

/* config_print_dry_run() - the seed's `xc_dom_create -n` block for @d,
 * naming the file @shown, plus the builder, vcpus, accel and vifs. */
void config_print_dry_run(FILE *f, const char *shown,
			  const struct config_domain *d);

/* ---- value checks shared with xc_dom_control ---- */

/* config_check_ip() - true if @s is an IPv4 or IPv6 address. */
bool config_check_ip(const char *s);

/* config_parse_mode() - 'r' for "r"/"ro", 'w' for "w"/"rw", else 0. */
char config_parse_mode(const char *s);

/* config_check_uname() - true if @s looks like "type:target". */
bool config_check_uname(const char *s);

/* config_parse_u64() - strict decimal: all of @s, no sign, no overflow.
 * Returns 0 or -EINVAL. */
int config_parse_u64(const char *s, uint64_t *out);

#endif /* XENO_CONFIG_H */

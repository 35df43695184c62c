/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config_internal.h - the parsed form of a config file, between the
 * syntax (config.c) and the keys (config_domain.c) */
#ifndef XENO_CONFIG_INTERNAL_H
#define XENO_CONFIG_INTERNAL_H

#include <stdarg.h>

#include "config.h"

/* One scalar, after substitution. */
struct config_item {
	char *s;
	bool quoted;		/* written as a string, not a bare word */
	unsigned line, col;	/* where it starts */
};

/* One `key = value` statement. A scalar value is a one-item list with
 * is_list false. */
struct config_entry {
	char *key;
	unsigned line, col;	/* of the key */
	bool is_list;
	unsigned vline, vcol;	/* of the value ('[' for a list) */
	struct config_item *items;
	size_t n;
};

struct config_file {
	const char *fname;
	struct config_entry *e;
	size_t n;
};

/* config_syntax() - parse @text into @out (entries in file order;
 * duplicate keys are errors). With @uses non-NULL, variables are not
 * looked up but recorded into @uses, and take their default or "".
 * Returns 0, -EINVAL (message in @err) or -ENOMEM. Free @out with
 * config_file_free() in every case. */
int config_syntax(const char *fname, const char *text, size_t len,
		  struct config_vars *vars, struct config_var_list *uses,
		  struct config_file *out, char *err, size_t errlen);

/* config_file_free() - free the entries of @f. */
void config_file_free(struct config_file *f);

/* config_errf() - write "fname:line:col: message" into @err. Returns
 * -EINVAL so callers can `return config_errf(...)`. */
int config_errf(char *err, size_t errlen, const char *fname, unsigned line,
		unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* XENO_CONFIG_INTERNAL_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* promtext.h - a writer of the Prometheus text exposition format (0.0.4)
 *
 * A document is a series of metric families. Each family is opened once
 * with prom_family(), which writes its HELP and TYPE lines; its samples
 * follow at once, each written with the family's name and a set of
 * labels. The writer keeps the format's rules so the callers need not:
 *
 *   - a family is listed once: opening a name already used is an error;
 *   - a sample belongs to the family opened last;
 *   - metric and label names are checked against the format's grammar
 *     ([a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*, no "__"
 *     prefix on a label);
 *   - label values are escaped (\\, \" and \n), HELP text too (\\, \n).
 *
 * Errors are sticky: the first one is kept in @err and every later call
 * does nothing, so a writer calls on and checks prom_error() once.
 */
#ifndef XENO_PROMTEXT_H
#define XENO_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define PROM_NAME_MAX		128	/* a metric or label name, NUL excluded */
#define PROM_FAMILIES_MAX	256	/* families in one document */

enum prom_type {
	PROM_COUNTER,
	PROM_GAUGE,
};

/* One label of a sample. */
struct prom_label {
	const char *name;
	const char *value;
};

/* A document being written. Zero it (or prom_init()) before use; the
 * text is at @buf (NUL terminated), @len bytes, owned by the writer
 * until prom_release(). */
struct prom {
	char *buf;
	size_t len, cap;
	int err;			/* 0 or the first -errno */
	char *families[PROM_FAMILIES_MAX];
	unsigned nfamilies;
};

/* prom_init() - an empty document. */
void prom_init(struct prom *p);

/* prom_release() - free the text and the family list; @p is empty
 * again. Accepts an empty one. */
void prom_release(struct prom *p);

/* prom_family() - open family @name of @type with @help: its HELP and
 * TYPE lines. -EINVAL for a bad name, -EEXIST for a family already
 * written, -ENOSPC past PROM_FAMILIES_MAX, -ENOMEM. */
int prom_family(struct prom *p, const char *name, enum prom_type type,
		const char *help);

/* prom_u64() / prom_i64() - a sample of the open family with @n labels
 * and an integer value. prom_micro() writes @v millionths as a decimal
 * (microseconds as seconds). -EINVAL without an open family or with a
 * bad label name, -ENOMEM. */
int prom_u64(struct prom *p, const struct prom_label *labels, unsigned n,
	     uint64_t v);
int prom_i64(struct prom *p, const struct prom_label *labels, unsigned n,
	     int64_t v);
int prom_micro(struct prom *p, const struct prom_label *labels, unsigned n,
	       uint64_t v);

/* prom_error() - 0, or the first error of any call on @p. */
static inline int prom_error(const struct prom *p)
{
	return p->err;
}

#endif /* XENO_PROMTEXT_H */

// SPDX-License-Identifier: GPL-2.0-or-later
/* promtext.c - a writer of the Prometheus text exposition format (see
 * promtext.h)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

static const char *const type_names[] = {
	[PROM_COUNTER] = "counter",
	[PROM_GAUGE] = "gauge",
};

/* prom_init() - see promtext.h. */
void prom_init(struct prom *p)
{
	memset(p, 0, sizeof(*p));
}

/* prom_release() - see promtext.h. */
void prom_release(struct prom *p)
{
	for (unsigned i = 0; i < p->nfamilies; i++)
		free(p->families[i]);
	free(p->buf);
	prom_init(p);
}

static int fail(struct prom *p, int err)
{
	if (!p->err)
		p->err = err;
	return p->err;
}

/* Room for @more bytes and the NUL after them. */
static int reserve(struct prom *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *b;

	if (p->len + more + 1 <= p->cap)
		return 0;
	while (cap < p->len + more + 1)
		cap *= 2;
	b = realloc(p->buf, cap);
	if (!b)
		return fail(p, -ENOMEM);
	p->buf = b;
	p->cap = cap;
	return 0;
}

static void put(struct prom *p, const char *s, size_t n)
{
	if (p->err || reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void put_str(struct prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* @s with '\\' and '\n' escaped, and '"' too when @quote (label values). */
static void put_escaped(struct prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put_str(p, "\\\\");
		else if (*s == '\n')
			put_str(p, "\\n");
		else if (*s == '"' && quote)
			put_str(p, "\\\"");
		else
			put(p, s, 1);
	}
}

static bool name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

/* A metric name (@colon) or a label name. */
static bool valid_name(const char *s, bool colon)
{
	size_t n = s ? strnlen(s, PROM_NAME_MAX + 1) : 0;

	if (!n || n > PROM_NAME_MAX)
		return false;
	if (!colon && !strncmp(s, "__", 2))
		return false;		/* reserved for Prometheus itself */
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], i == 0, colon))
			return false;
	return true;
}

/* prom_family() - see promtext.h. */
int prom_family(struct prom *p, const char *name, enum prom_type type,
		const char *help)
{
	char *copy;

	if (p->err)
		return p->err;
	if (!valid_name(name, true) || type > PROM_GAUGE)
		return fail(p, -EINVAL);
	for (unsigned i = 0; i < p->nfamilies; i++)
		if (!strcmp(p->families[i], name))
			return fail(p, -EEXIST);
	if (p->nfamilies == PROM_FAMILIES_MAX)
		return fail(p, -ENOSPC);
	copy = strdup(name);
	if (!copy)
		return fail(p, -ENOMEM);
	p->families[p->nfamilies++] = copy;
	put_str(p, "# HELP ");
	put_str(p, name);
	put_str(p, " ");
	put_escaped(p, help ? help : "", false);
	put_str(p, "\n# TYPE ");
	put_str(p, name);
	put_str(p, " ");
	put_str(p, type_names[type]);
	put_str(p, "\n");
	return p->err;
}

/* One sample line of the open family: name{labels} value. */
static int sample(struct prom *p, const struct prom_label *labels,
		  unsigned n, const char *value)
{
	if (p->err)
		return p->err;
	if (!p->nfamilies)
		return fail(p, -EINVAL);
	for (unsigned i = 0; i < n; i++)
		if (!valid_name(labels[i].name, false) || !labels[i].value)
			return fail(p, -EINVAL);
	put_str(p, p->families[p->nfamilies - 1]);
	for (unsigned i = 0; i < n; i++) {
		put_str(p, i ? "," : "{");
		put_str(p, labels[i].name);
		put_str(p, "=\"");
		put_escaped(p, labels[i].value, true);
		put_str(p, "\"");
	}
	if (n)
		put_str(p, "}");
	put_str(p, " ");
	put_str(p, value);
	put_str(p, "\n");
	return p->err;
}

/* prom_u64() - see promtext.h. */
int prom_u64(struct prom *p, const struct prom_label *labels, unsigned n,
	     uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return sample(p, labels, n, s);
}

/* prom_i64() - see promtext.h. */
int prom_i64(struct prom *p, const struct prom_label *labels, unsigned n,
	     int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	return sample(p, labels, n, s);
}

/* prom_micro() - see promtext.h. Exact: no binary fraction in between. */
int prom_micro(struct prom *p, const struct prom_label *labels, unsigned n,
	       uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64 ".%06" PRIu64, v / 1000000,
		 v % 1000000);
	return sample(p, labels, n, s);
}

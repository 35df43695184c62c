// SPDX-License-Identifier: GPL-2.0-or-later
/* scenario.c - the scenario file of vs_pcap_run: text to struct scn
 *
 * The text is copied once, split into lines in place and each line cut
 * into blank-separated tokens; every token is checked by a parser of its
 * own (numbers, limits, prefixes, addresses, MACs, names) with explicit
 * bounds, and every array of struct scn is filled only below its size.
 * The first error ends the parse with one message naming the line.
 * Nothing here touches pcap files or the switch: the runner does.
 */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static const char *const kind_names[] = {
	[VS_PORT_DOM0] = "dom0",
	[VS_PORT_WIRE] = "wire",
	[VS_PORT_VIF] = "vif",
};
static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == VS_PORT_VIF + 1,
	      "kind_names[] out of step with enum vs_port_kind");

/* The state of one parse. */
struct parser {
	struct scn *sc;
	const char *dir;		/* for relative in= paths, or NULL */
	char *err;
	size_t errlen;
};

const char *scn_kind_name(enum vs_port_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[kind];
}

/* Write the error of @line (0: the file as a whole); returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->errlen)
		return -EINVAL;
	if (line)
		n = snprintf(ps->err, ps->errlen, "%s:%u: error: ",
			     ps->sc->name, line);
	else
		n = snprintf(ps->err, ps->errlen, "%s: error: ", ps->sc->name);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Tokens ----------------------------------------------------------------*/

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno || *end) ? -EINVAL : 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "BYTES/USECS" or "BYTES/USECS/PACKETS" */
static int parse_limit(const char *s, struct scn_limit *l)
{
	char buf[96], *a, *b, *c, *save = NULL;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return -EINVAL;
	a = strtok_r(buf, "/", &save);
	b = strtok_r(NULL, "/", &save);
	c = strtok_r(NULL, "/", &save);
	/* strtok_r() would pass "/1/2", "1/2/" and "1//2" as "1/2". */
	if (!a || !b || strtok_r(NULL, "/", &save) || strstr(s, "//") ||
	    s[0] == '/' || s[strlen(s) - 1] == '/')
		return -EINVAL;
	l->packets = 0;
	if (parse_u64(a, &l->bytes) || parse_u64(b, &l->usecs) ||
	    (c && parse_u64(c, &l->packets)))
		return -EINVAL;
	l->set = true;
	return 0;
}

/* "ADDR/PLEN" or "ADDR" (a host prefix), IPv4 or IPv6. */
static int parse_prefix(const char *s, struct scn_prefix *pf)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	uint32_t plen;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &pf->v4) == 1) {
		pf->family = AF_INET;
		plen = 32;
	} else if (inet_pton(AF_INET6, buf, &pf->v6) == 1) {
		pf->family = AF_INET6;
		plen = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		uint32_t max = plen;

		if (parse_u32(slash, &plen) || plen > max)
			return -EINVAL;
	}
	pf->plen = plen;
	return 0;
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= SCN_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", s[i]))
			return false;
	return true;
}

/* isolate ---------------------------------------------------------------*/

/* isolate none | isolate PREFIX... */
static int parse_isolate(struct parser *ps, unsigned line, char **save)
{
	struct scn *sc = ps->sc;
	char *tok = strtok_r(NULL, " \t", save);

	if (!tok)
		return fail(ps, line, "'isolate' needs prefixes or 'none'");
	sc->isolate_set = true;
	if (!strcmp(tok, "none")) {
		sc->niso = 0;
		if (strtok_r(NULL, " \t", save))
			return fail(ps, line, "'isolate none' takes nothing after it");
		return 0;
	}
	for (; tok; tok = strtok_r(NULL, " \t", save)) {
		if (sc->niso == VS_ISOLATED_MAX)
			return fail(ps, line, "more than %d isolated prefixes",
				    VS_ISOLATED_MAX);
		if (parse_prefix(tok, &sc->iso[sc->niso]))
			return fail(ps, line, "bad prefix '%s' (want ADDR/LEN, IPv4 or IPv6)",
				    tok);
		sc->niso++;
	}
	return 0;
}

/* port ------------------------------------------------------------------*/

/* ip=A,B,...: add each address to the port's sets. */
static int parse_ips(struct parser *ps, struct scn_port *p, char *v)
{
	char *a, *save = NULL;

	for (a = strtok_r(v, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		struct in_addr a4;
		struct in6_addr a6;

		if (inet_pton(AF_INET, a, &a4) == 1) {
			if (p->n4 == VS_ADDRS_MAX)
				return fail(ps, p->line, "port %s: more than %d IPv4 addresses",
					    p->name, VS_ADDRS_MAX);
			p->a4[p->n4++] = a4;
		} else if (inet_pton(AF_INET6, a, &a6) == 1) {
			if (p->n6 == VS_ADDRS_MAX)
				return fail(ps, p->line, "port %s: more than %d IPv6 addresses",
					    p->name, VS_ADDRS_MAX);
			p->a6[p->n6++] = a6;
		} else {
			return fail(ps, p->line, "port %s: bad address '%s'",
				    p->name, a);
		}
	}
	return 0;
}

static int parse_kind(struct parser *ps, struct scn_port *p, const char *v)
{
	unsigned k;

	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		if (!strcmp(v, kind_names[k])) {
			p->kind = (enum vs_port_kind)k;
			p->has_kind = true;
			return 0;
		}
	}
	return fail(ps, p->line, "port %s: kind must be dom0, wire or vif, not '%s'",
		    p->name, v);
}

static int parse_in(struct parser *ps, struct scn_port *p, const char *v)
{
	int n;

	if (!*v)
		return fail(ps, p->line, "port %s: empty in=", p->name);
	if (v[0] == '/' || !ps->dir)
		n = snprintf(p->in, sizeof(p->in), "%s", v);
	else
		n = snprintf(p->in, sizeof(p->in), "%s/%s", ps->dir, v);
	if (n < 0 || (size_t)n >= sizeof(p->in))
		return fail(ps, p->line, "port %s: in= path too long", p->name);
	return 0;
}

/* One key=value of a port line. */
static int parse_port_key(struct parser *ps, struct scn_port *p, char *k,
			  char *v)
{
	if (!strcmp(k, "kind"))
		return parse_kind(ps, p, v);
	if (!strcmp(k, "dom")) {
		p->has_dom = true;
		return parse_u32(v, &p->domid) ?
		       fail(ps, p->line, "port %s: bad dom '%s'", p->name, v) : 0;
	}
	if (!strcmp(k, "vif")) {
		p->has_vif = true;
		return parse_u32(v, &p->vifidx) ?
		       fail(ps, p->line, "port %s: bad vif '%s'", p->name, v) : 0;
	}
	if (!strcmp(k, "mac")) {
		p->has_mac = true;
		if (vs_mac_parse(v, p->mac) || (p->mac[0] & 1))
			return fail(ps, p->line, "port %s: bad mac '%s' (want a unicast aa:bb:cc:dd:ee:ff)",
				    p->name, v);
		return 0;
	}
	if (!strcmp(k, "ip"))
		return parse_ips(ps, p, v);
	if (!strcmp(k, "in"))
		return parse_in(ps, p, v);
	if (!strcmp(k, "tx_limit") || !strcmp(k, "rx_limit")) {
		struct scn_limit *l = k[0] == 't' ? &p->tx : &p->rx;

		return parse_limit(v, l) ?
		       fail(ps, p->line, "port %s: bad %s '%s' (want BYTES/USECS[/PACKETS])",
			    p->name, k, v) : 0;
	}
	return fail(ps, p->line, "port %s: unknown key '%s' (known: kind dom vif mac ip in tx_limit rx_limit)",
		    p->name, k);
}

/* The keys a port kind needs and refuses. */
static int port_check(struct parser *ps, const struct scn_port *p)
{
	if (!p->has_kind)
		return fail(ps, p->line, "port %s: missing kind=dom0|wire|vif",
			    p->name);
	switch (p->kind) {
	case VS_PORT_VIF:
		if (!p->has_dom || !p->domid)
			return fail(ps, p->line, "port %s: a vif needs dom=N with N >= 1",
				    p->name);
		return 0;
	case VS_PORT_DOM0:
		if ((p->has_dom && p->domid) || (p->has_vif && p->vifidx))
			return fail(ps, p->line, "port %s: dom0 is dom=0 vif=0",
				    p->name);
		return 0;
	case VS_PORT_WIRE:
		if (p->has_dom || p->has_vif || p->has_mac || p->n4 || p->n6)
			return fail(ps, p->line, "port %s: the wire takes no dom, vif, mac or ip",
				    p->name);
		return 0;
	}
	return 0;
}

/* Room for one more port in ports[]; 0 or -ENOMEM. Most scenarios have a
 * handful of ports, so the array grows rather than taking the maximum. */
static int ports_grow(struct parser *ps)
{
	struct scn *sc = ps->sc;
	struct scn_port *n;
	unsigned cap;

	if (sc->nports < sc->cap)
		return 0;
	cap = sc->cap ? sc->cap * 2 : 4;
	if (cap > VS_PORTS_MAX)
		cap = VS_PORTS_MAX;
	n = realloc(sc->ports, cap * sizeof(*n));
	if (!n) {
		fail(ps, 0, "out of memory");
		return -ENOMEM;
	}
	memset(n + sc->cap, 0, (cap - sc->cap) * sizeof(*n));
	sc->ports = n;
	sc->cap = cap;
	return 0;
}

/* port NAME key=value... */
static int parse_port(struct parser *ps, unsigned line, char **save)
{
	char *name = strtok_r(NULL, " \t", save), *tok;
	struct scn *sc = ps->sc;
	struct scn_port *p;
	unsigned i;
	int ret;

	if (!name || strchr(name, '='))
		return fail(ps, line, "'port' needs a name first: port NAME kind=...");
	if (!name_valid(name))
		return fail(ps, line, "bad port name '%s' (1-%d of A-Z a-z 0-9 _ . -)",
			    name, SCN_NAME_MAX - 1);
	for (i = 0; i < sc->nports; i++)
		if (!strcmp(sc->ports[i].name, name))
			return fail(ps, line, "port %s already defined at line %u",
				    name, sc->ports[i].line);
	if (sc->nports == VS_PORTS_MAX)
		return fail(ps, line, "more than %d ports", VS_PORTS_MAX);
	ret = ports_grow(ps);
	if (ret)
		return ret;

	p = &sc->ports[sc->nports++];
	snprintf(p->name, sizeof(p->name), "%s", name);	/* checked */
	p->line = line;
	while ((tok = strtok_r(NULL, " \t", save))) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return fail(ps, line, "port %s: expected key=value, got '%s'",
				    name, tok);
		*eq = '\0';
		ret = parse_port_key(ps, p, tok, eq + 1);
		if (ret)
			return ret;
	}
	return port_check(ps, p);
}

/* The file --------------------------------------------------------------*/

/* One line, NUL-terminated, without its '\n'. */
static int parse_line(struct parser *ps, unsigned line, char *s)
{
	char *save = NULL, *hash, *tok;

	/* '#' starts a comment at the start of a line or after a blank. */
	for (hash = strchr(s, '#'); hash; hash = strchr(hash + 1, '#'))
		if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	/* A '\r' ends the line too (CRLF files). */
	s[strcspn(s, "\r")] = '\0';
	tok = strtok_r(s, " \t", &save);
	if (!tok)
		return 0;
	if (!strcmp(tok, "port"))
		return parse_port(ps, line, &save);
	if (!strcmp(tok, "isolate"))
		return parse_isolate(ps, line, &save);
	return fail(ps, line, "unknown directive '%s' (expected 'port' or 'isolate')",
		    tok);
}

/* Split the NUL-terminated copy @text of @len bytes into lines. */
static int parse_lines(struct parser *ps, char *text, size_t len)
{
	char *s = text, *end = text + len, *nl;
	unsigned line = 0;
	int ret;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		*nl = '\0';
		line++;
		/* The line would end early there: say so rather than drop
		 * what follows. */
		if (strlen(s) != (size_t)(nl - s))
			return fail(ps, line, "NUL byte in the line (not a text file?)");
		ret = parse_line(ps, line, s);
		if (ret)
			return ret;
		s = nl + 1;
	}
	if (!ps->sc->nports)
		return fail(ps, 0, "no ports (want lines like: port NAME kind=vif dom=1 ...)");
	return 0;
}

int scn_parse(const char *buf, size_t len, const char *name, const char *dir,
	      struct scn **out, char *err, size_t errlen)
{
	struct parser ps = { .dir = dir, .err = err, .errlen = errlen };
	char *text = NULL;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	ps.sc = calloc(1, sizeof(*ps.sc));
	if (!ps.sc) {
		if (errlen)
			snprintf(err, errlen, "%s: error: out of memory", name);
		return -ENOMEM;
	}
	snprintf(ps.sc->name, sizeof(ps.sc->name), "%s", name);

	text = malloc(len + 1);
	if (!text) {
		fail(&ps, 0, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (len)
		memcpy(text, buf, len);
	text[len] = '\0';
	ret = parse_lines(&ps, text, len);
out:
	free(text);
	if (ret) {
		scn_free(ps.sc);
		return ret;
	}
	*out = ps.sc;
	return 0;
}

/* Read all of @f into a new buffer *@buf of *@len bytes; 0 or -errno. */
static int read_all(FILE *f, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *b = malloc(cap), *nb;

	if (!b)
		return -ENOMEM;
	while ((got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
		if (!nb) {
			free(b);
			return -ENOMEM;
		}
		b = nb;
		cap *= 2;
	}
	if (ferror(f)) {
		free(b);
		return -EIO;
	}
	*buf = b;
	*len = n;
	return 0;
}

int scn_load(const char *path, struct scn **out, char *err, size_t errlen)
{
	char *dup, *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	dup = strdup(path);
	if (!dup) {
		ret = -ENOMEM;
		goto out;
	}
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		if (errlen)
			snprintf(err, errlen, "%s: error: cannot open scenario: %s",
				 path, strerror(-ret));
		goto out_dup;
	}
	ret = read_all(f, &buf, &len);
	if (!ret)
		ret = scn_parse(buf, len, path, dirname(dup), out, err, errlen);
	free(buf);
	fclose(f);
out_dup:
	free(dup);
out:
	/* fopen() and scn_parse() wrote their errors; these are the rest. */
	if (ret && errlen && !err[0])
		snprintf(err, errlen, "%s: error: %s", path,
			 ret == -ENOMEM ? "out of memory" : "read error");
	return ret;
}

void scn_free(struct scn *sc)
{
	if (!sc)
		return;
	free(sc->ports);
	free(sc);
}

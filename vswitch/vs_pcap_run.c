// SPDX-License-Identifier: GPL-2.0-or-later
/* vs_pcap_run.c - replay pcap files through the switch (scenario runner)
 *
 * Usage: vs_pcap_run -o OUTDIR [--json FILE] SCENARIO
 *
 * The scenario file (docs/pcap-scenarios.md) lists the isolated prefixes
 * and the ports: dom0, the wire and domain vifs, each with its MAC,
 * addresses, limits and an optional input pcap. Every port gets a pcap
 * back end (port_pcap.c); what the switch delivers to port NAME is written
 * to OUTDIR/NAME.pcap, and the switch and port counters to a JSON file.
 *
 * Theory of operation: virtual time. The clock is the timestamp of the
 * input frames. Each step picks the port with the earliest pending event
 * - its next input frame, or the refill time of a port held back for
 * transmit credit - moves the clock there, lets that port's back end read
 * the input frames stamped up to the clock, and polls the port with
 * now = clock. Input files are so interleaved by timestamp (ties go to
 * the port listed first), deferred frames go out at the refill that
 * admits them, and every run of a scenario gives the same output.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "port_pcap.h"
#include "vswitch.h"

#define SC_NAME_MAX	32	/* as struct vs_port's name */
#define SC_ERR_MAX	(PATH_MAX + 512)

struct sc_limit {
	bool set;
	uint64_t bytes, usecs, packets;
};

struct sc_prefix {
	int family;
	unsigned plen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* One "port" line, then the live port built from it. */
struct sc_port {
	char name[SC_NAME_MAX];
	unsigned line;
	bool has_kind, has_dom, has_vif, has_mac;
	enum vs_port_kind kind;
	uint32_t domid, vifidx;
	uint8_t mac[6];
	struct in_addr a4[VS_ADDRS_MAX];
	unsigned n4;
	struct in6_addr a6[VS_ADDRS_MAX];
	unsigned n6;
	char in[PATH_MAX];		/* "" = no input */
	struct sc_limit tx, rx;

	struct port_pcap *pp;
	int port;
};

struct scenario {
	const char *path;
	char dir[PATH_MAX];		/* for relative in= paths */
	bool isolate_set;
	struct sc_prefix iso[VS_ISOLATED_MAX];
	unsigned niso;
	struct sc_port ports[VS_PORTS_MAX];
	unsigned nports;
};

struct runner {
	struct scenario *sc;
	struct vs_switch *sw;
	const char *outdir;
	uint64_t now, start;		/* ns */
};

static const char *const kind_names[] = {
	[VS_PORT_DOM0] = "dom0",
	[VS_PORT_WIRE] = "wire",
	[VS_PORT_VIF] = "vif",
};

static const char *prog = "vs_pcap_run";

/* Report an error at @line of the scenario (0: no line) and return -1. */
static int __attribute__((format(printf, 3, 4)))
sc_error(const struct scenario *sc, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "%s:%u: error: ", sc->path, line);
	else
		fprintf(stderr, "%s: error: ", sc->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Scenario parsing ------------------------------------------------------*/

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
static int parse_limit(const char *s, struct sc_limit *l)
{
	char buf[96], *a, *b, *c, *save = NULL;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return -EINVAL;
	a = strtok_r(buf, "/", &save);
	b = strtok_r(NULL, "/", &save);
	c = strtok_r(NULL, "/", &save);
	if (!a || !b || strtok_r(NULL, "/", &save) || strstr(s, "//"))
		return -EINVAL;
	l->packets = 0;
	if (parse_u64(a, &l->bytes) || parse_u64(b, &l->usecs) ||
	    (c && parse_u64(c, &l->packets)))
		return -EINVAL;
	l->set = true;
	return 0;
}

/* "ADDR/PLEN" or "ADDR" (a host prefix), IPv4 or IPv6. */
static int parse_prefix(const char *s, struct sc_prefix *pf)
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

/* isolate none | isolate PREFIX... */
static int parse_isolate(struct scenario *sc, unsigned line, char **save)
{
	char *tok = strtok_r(NULL, " \t", save);

	if (!tok)
		return sc_error(sc, line, "'isolate' needs prefixes or 'none'");
	sc->isolate_set = true;
	if (!strcmp(tok, "none")) {
		sc->niso = 0;
		if (strtok_r(NULL, " \t", save))
			return sc_error(sc, line, "'isolate none' takes nothing after it");
		return 0;
	}
	for (; tok; tok = strtok_r(NULL, " \t", save)) {
		if (sc->niso == VS_ISOLATED_MAX)
			return sc_error(sc, line, "more than %d isolated prefixes",
					VS_ISOLATED_MAX);
		if (parse_prefix(tok, &sc->iso[sc->niso]))
			return sc_error(sc, line, "bad prefix '%s' (want ADDR/LEN, IPv4 or IPv6)",
					tok);
		sc->niso++;
	}
	return 0;
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= SC_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", s[i]))
			return false;
	return true;
}

/* ip=A,B,...: add each address to the port's sets. */
static int parse_ips(struct scenario *sc, struct sc_port *p, char *v)
{
	char *a, *save = NULL;

	for (a = strtok_r(v, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		struct in_addr a4;
		struct in6_addr a6;

		if (inet_pton(AF_INET, a, &a4) == 1) {
			if (p->n4 == VS_ADDRS_MAX)
				return sc_error(sc, p->line, "port %s: more than %d IPv4 addresses",
						p->name, VS_ADDRS_MAX);
			p->a4[p->n4++] = a4;
		} else if (inet_pton(AF_INET6, a, &a6) == 1) {
			if (p->n6 == VS_ADDRS_MAX)
				return sc_error(sc, p->line, "port %s: more than %d IPv6 addresses",
						p->name, VS_ADDRS_MAX);
			p->a6[p->n6++] = a6;
		} else {
			return sc_error(sc, p->line, "port %s: bad address '%s'",
					p->name, a);
		}
	}
	return 0;
}

static int parse_kind(struct scenario *sc, struct sc_port *p, const char *v)
{
	unsigned k;

	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		if (!strcmp(v, kind_names[k])) {
			p->kind = (enum vs_port_kind)k;
			p->has_kind = true;
			return 0;
		}
	}
	return sc_error(sc, p->line, "port %s: kind must be dom0, wire or vif, not '%s'",
			p->name, v);
}

static int parse_in(struct scenario *sc, struct sc_port *p, const char *v)
{
	int n;

	if (!*v)
		return sc_error(sc, p->line, "port %s: empty in=", p->name);
	if (v[0] == '/')
		n = snprintf(p->in, sizeof(p->in), "%s", v);
	else
		n = snprintf(p->in, sizeof(p->in), "%s/%s", sc->dir, v);
	if (n < 0 || (size_t)n >= sizeof(p->in))
		return sc_error(sc, p->line, "port %s: in= path too long", p->name);
	return 0;
}

/* One key=value of a port line. */
static int parse_port_key(struct scenario *sc, struct sc_port *p, char *k,
			  char *v)
{
	if (!strcmp(k, "kind"))
		return parse_kind(sc, p, v);
	if (!strcmp(k, "dom")) {
		p->has_dom = true;
		return parse_u32(v, &p->domid) ?
		       sc_error(sc, p->line, "port %s: bad dom '%s'", p->name, v) : 0;
	}
	if (!strcmp(k, "vif")) {
		p->has_vif = true;
		return parse_u32(v, &p->vifidx) ?
		       sc_error(sc, p->line, "port %s: bad vif '%s'", p->name, v) : 0;
	}
	if (!strcmp(k, "mac")) {
		p->has_mac = true;
		if (vs_mac_parse(v, p->mac) || (p->mac[0] & 1))
			return sc_error(sc, p->line, "port %s: bad mac '%s' (want a unicast aa:bb:cc:dd:ee:ff)",
					p->name, v);
		return 0;
	}
	if (!strcmp(k, "ip"))
		return parse_ips(sc, p, v);
	if (!strcmp(k, "in"))
		return parse_in(sc, p, v);
	if (!strcmp(k, "tx_limit") || !strcmp(k, "rx_limit")) {
		struct sc_limit *l = k[0] == 't' ? &p->tx : &p->rx;

		return parse_limit(v, l) ?
		       sc_error(sc, p->line, "port %s: bad %s '%s' (want BYTES/USECS[/PACKETS])",
				p->name, k, v) : 0;
	}
	return sc_error(sc, p->line, "port %s: unknown key '%s' (known: kind dom vif mac ip in tx_limit rx_limit)",
			p->name, k);
}

/* The keys a port kind needs and refuses. */
static int port_check(struct scenario *sc, const struct sc_port *p)
{
	if (!p->has_kind)
		return sc_error(sc, p->line, "port %s: missing kind=dom0|wire|vif",
				p->name);
	switch (p->kind) {
	case VS_PORT_VIF:
		if (!p->has_dom || !p->domid)
			return sc_error(sc, p->line, "port %s: a vif needs dom=N with N >= 1",
					p->name);
		return 0;
	case VS_PORT_DOM0:
		if ((p->has_dom && p->domid) || (p->has_vif && p->vifidx))
			return sc_error(sc, p->line, "port %s: dom0 is dom=0 vif=0",
					p->name);
		return 0;
	case VS_PORT_WIRE:
		if (p->has_dom || p->has_vif || p->has_mac || p->n4 || p->n6)
			return sc_error(sc, p->line, "port %s: the wire takes no dom, vif, mac or ip",
					p->name);
		return 0;
	}
	return 0;
}

/* port NAME key=value... */
static int parse_port(struct scenario *sc, unsigned line, char **save)
{
	char *name = strtok_r(NULL, " \t", save), *tok;
	struct sc_port *p;
	unsigned i;

	if (!name || strchr(name, '='))
		return sc_error(sc, line, "'port' needs a name first: port NAME kind=...");
	if (!name_valid(name))
		return sc_error(sc, line, "bad port name '%s' (1-%d of A-Z a-z 0-9 _ . -)",
				name, SC_NAME_MAX - 1);
	for (i = 0; i < sc->nports; i++)
		if (!strcmp(sc->ports[i].name, name))
			return sc_error(sc, line, "port %s already defined at line %u",
					name, sc->ports[i].line);
	if (sc->nports == VS_PORTS_MAX)
		return sc_error(sc, line, "more than %d ports", VS_PORTS_MAX);

	p = &sc->ports[sc->nports++];
	snprintf(p->name, sizeof(p->name), "%s", name);	/* checked */
	p->line = line;
	p->port = -1;
	while ((tok = strtok_r(NULL, " \t", save))) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return sc_error(sc, line, "port %s: expected key=value, got '%s'",
					name, tok);
		*eq = '\0';
		if (parse_port_key(sc, p, tok, eq + 1))
			return -1;
	}
	return port_check(sc, p);
}

static int parse_line(struct scenario *sc, unsigned line, char *s)
{
	char *save = NULL, *hash, *tok;

	/* '#' starts a comment at the start of a line or after a blank. */
	for (hash = strchr(s, '#'); hash; hash = strchr(hash + 1, '#'))
		if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	s[strcspn(s, "\r\n")] = '\0';
	tok = strtok_r(s, " \t", &save);
	if (!tok)
		return 0;
	if (!strcmp(tok, "port"))
		return parse_port(sc, line, &save);
	if (!strcmp(tok, "isolate"))
		return parse_isolate(sc, line, &save);
	return sc_error(sc, line, "unknown directive '%s' (expected 'port' or 'isolate')",
			tok);
}

/* scenario_load() - parse @path into @sc; errors are printed with
 * file:line. Returns 0 or -1. */
static int scenario_load(struct scenario *sc, const char *path)
{
	char *buf = NULL, *dup;
	size_t cap = 0;
	unsigned line = 0;
	int ret = 0;
	FILE *f;

	sc->path = path;
	dup = strdup(path);
	if (!dup)
		return sc_error(sc, 0, "out of memory");
	snprintf(sc->dir, sizeof(sc->dir), "%s", dirname(dup));
	free(dup);

	f = fopen(path, "r");
	if (!f)
		return sc_error(sc, 0, "cannot open scenario: %s", strerror(errno));
	while (!ret && getline(&buf, &cap, f) >= 0)
		ret = parse_line(sc, ++line, buf);
	if (!ret && ferror(f))
		ret = sc_error(sc, 0, "read error");
	free(buf);
	fclose(f);
	if (!ret && !sc->nports)
		ret = sc_error(sc, 0, "no ports (want lines like: port NAME kind=vif dom=1 ...)");
	return ret;
}

/* Building the switch ---------------------------------------------------*/

static const char *owner_of4(const struct scenario *sc, struct in_addr a,
			     const struct sc_port *except)
{
	unsigned i, k;

	for (i = 0; i < sc->nports; i++)
		for (k = 0; k < sc->ports[i].n4; k++)
			if (&sc->ports[i] != except &&
			    sc->ports[i].a4[k].s_addr == a.s_addr)
				return sc->ports[i].name;
	return "another port";
}

static const char *owner_of6(const struct scenario *sc,
			     const struct in6_addr *a,
			     const struct sc_port *except)
{
	unsigned i, k;

	for (i = 0; i < sc->nports; i++)
		for (k = 0; k < sc->ports[i].n6; k++)
			if (&sc->ports[i] != except &&
			    IN6_ARE_ADDR_EQUAL(&sc->ports[i].a6[k], a))
				return sc->ports[i].name;
	return "another port";
}

static int addr_error(struct scenario *sc, const struct sc_port *p, int err,
		      int family, const void *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(family, a, s, sizeof(s));
	if (err == -EEXIST)
		return sc_error(sc, p->line, "port %s: address %s is already port %s's",
				p->name, s, family == AF_INET ?
				owner_of4(sc, *(const struct in_addr *)a, p) :
				owner_of6(sc, a, p));
	return sc_error(sc, p->line, "port %s: address %s cannot be a port's (%s)",
			p->name, s, strerror(-err));
}

static int add_addrs(struct runner *r, struct sc_port *p)
{
	unsigned k;
	int err;

	for (k = 0; k < p->n4; k++) {
		err = vs_addr4_add(r->sw, (unsigned)p->port, p->a4[k]);
		if (err)
			return addr_error(r->sc, p, err, AF_INET, &p->a4[k]);
	}
	for (k = 0; k < p->n6; k++) {
		err = vs_addr6_add(r->sw, (unsigned)p->port, &p->a6[k]);
		if (err)
			return addr_error(r->sc, p, err, AF_INET6, &p->a6[k]);
	}
	return 0;
}

static int port_add_error(struct scenario *sc, const struct sc_port *p,
			  int err)
{
	char mac[18];

	vs_mac_format(p->mac, mac);
	if (err == -EEXIST && p->kind == VS_PORT_VIF)
		return sc_error(sc, p->line, "port %s: dom %u vif %u or mac %s is already used by another port",
				p->name, p->domid, p->vifidx, mac);
	if (err == -EEXIST && p->kind == VS_PORT_DOM0)
		return sc_error(sc, p->line, "port %s: a second dom0 port, or mac %s already used",
				p->name, mac);
	if (err == -EEXIST)
		return sc_error(sc, p->line, "port %s: a second wire port", p->name);
	return sc_error(sc, p->line, "port %s: cannot add port (mac %s): %s",
			p->name, mac, strerror(-err));
}

/* Open the back end of @p and attach it to the switch. */
static int port_build(struct runner *r, struct sc_port *p)
{
	char out[PATH_MAX], err[SC_ERR_MAX];
	struct vs_port_config cfg;
	int n, ret;

	n = snprintf(out, sizeof(out), "%s/%s.pcap", r->outdir, p->name);
	if (n < 0 || (size_t)n >= sizeof(out))
		return sc_error(r->sc, p->line, "port %s: output path too long",
				p->name);
	p->pp = port_pcap_open(p->in[0] ? p->in : NULL, out, &r->now, err,
			       sizeof(err));
	if (!p->pp)
		return sc_error(r->sc, p->line, "port %s: %s", p->name, err);

	if (!p->has_mac && p->kind != VS_PORT_WIRE)
		vs_mac_default(p->name, p->domid, p->vifidx, p->mac);
	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = p->kind;
	memcpy(cfg.mac, p->mac, 6);
	cfg.name = p->name;
	cfg.domid = p->domid;
	cfg.vifidx = p->vifidx;
	cfg.ops = port_pcap_ops(p->pp);
	cfg.ctx = p->pp;
	ret = vs_port_add(r->sw, &cfg);
	if (ret < 0)
		return port_add_error(r->sc, p, ret);
	p->port = ret;
	return add_addrs(r, p);
}

static int limits_set(struct runner *r, struct sc_port *p)
{
	unsigned port = (unsigned)p->port;

	if (p->tx.set && vs_port_set_tx_limit(r->sw, port, p->tx.bytes,
					      p->tx.usecs, p->tx.packets,
					      r->start))
		return sc_error(r->sc, p->line, "port %s: tx_limit out of range (usecs <= 1e9, bytes <= 2^40)",
				p->name);
	if (p->rx.set && vs_port_set_rx_limit(r->sw, port, p->rx.bytes,
					      p->rx.usecs, p->rx.packets,
					      r->start))
		return sc_error(r->sc, p->line, "port %s: rx_limit out of range (usecs <= 1e9, bytes <= 2^40)",
				p->name);
	return 0;
}

/* Build the switch: prefixes, ports, addresses; then the clock starts at
 * the earliest input frame and the limits are set at that time. */
static int switch_build(struct runner *r)
{
	struct scenario *sc = r->sc;
	uint64_t ts;
	unsigned i;

	r->sw = vs_switch_new();
	if (!r->sw)
		return sc_error(sc, 0, "out of memory");
	if (sc->isolate_set) {
		vs_isolated_clear(r->sw);
		for (i = 0; i < sc->niso; i++)
			vs_isolated_add(r->sw, sc->iso[i].family,
					&sc->iso[i].v6, sc->iso[i].plen);
	}
	for (i = 0; i < sc->nports; i++)
		if (port_build(r, &sc->ports[i]))
			return -1;

	r->start = UINT64_MAX;
	for (i = 0; i < sc->nports; i++)
		if (port_pcap_next_ts(sc->ports[i].pp, &ts) && ts < r->start)
			r->start = ts;
	if (r->start == UINT64_MAX)
		r->start = 0;
	r->now = r->start;
	for (i = 0; i < sc->nports; i++)
		if (limits_set(r, &sc->ports[i]))
			return -1;
	return 0;
}

/* The replay ------------------------------------------------------------*/

/* When port @p next needs the switch: the refill that admits its held
 * frames, or its next input frame. False when it is done. */
static bool next_event(const struct runner *r, const struct sc_port *p,
		       uint64_t *t)
{
	if (vs_port_throttled(r->sw, (unsigned)p->port, t))
		return true;
	if (port_pcap_outstanding(p->pp)) {
		*t = r->now;	/* held but no longer throttled: retry now */
		return true;
	}
	return port_pcap_next_ts(p->pp, t);
}

static struct sc_port *earliest(const struct runner *r, uint64_t *when)
{
	struct sc_port *best = NULL;
	uint64_t t;
	unsigned i;

	*when = UINT64_MAX;
	for (i = 0; i < r->sc->nports; i++) {
		struct sc_port *p = &r->sc->ports[i];

		if (next_event(r, p, &t) && t < *when) {
			*when = t;
			best = p;
		}
	}
	return best;
}

/* Replay all input; returns 0, or -1 after reporting a read error. */
static int replay(struct runner *r)
{
	struct sc_port *p;
	uint64_t t;

	while ((p = earliest(r, &t))) {
		int n;

		/* A file whose stamps go backwards does not turn back time. */
		if (t > r->now)
			r->now = t;
		port_pcap_set_horizon(p->pp, r->now);
		n = vs_port_poll(r->sw, (unsigned)p->port, r->now, 0);
		/* A read error ends the input; the frames before it were
		 * switched, but the run is not what the scenario asked for. */
		if (n < 0 || port_pcap_error(p->pp)[0])
			return sc_error(r->sc, p->line, "port %s: %s", p->name,
					port_pcap_error(p->pp));
		if (!n && next_event(r, p, &t) && t <= r->now)
			return sc_error(r->sc, p->line,
					"port %s: no progress at t=%llu ns (switch bug?)",
					p->name, (unsigned long long)r->now);
	}
	return 0;
}

/* Counters --------------------------------------------------------------*/

static void json_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *json_drops(const uint64_t *drops)
{
	struct json_object *o = json_object_new_object();
	unsigned i;

	for (i = 0; i < VS_DROP__MAX; i++)
		json_u64(o, vs_drop_names[i], drops[i]);
	return o;
}

static struct json_object *json_port(const struct runner *r,
				     const struct sc_port *p)
{
	struct json_object *o = json_object_new_object();
	struct port_pcap_counts pc;
	struct vs_port_stats st;
	char mac[18];

	vs_port_stats(r->sw, (unsigned)p->port, &st);
	port_pcap_counts(p->pp, &pc);
	vs_mac_format(p->mac, mac);
	json_object_object_add(o, "kind", json_object_new_string(kind_names[p->kind]));
	json_u64(o, "port", (uint64_t)p->port);
	if (p->kind != VS_PORT_WIRE) {
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_u64(o, "dom", p->domid);
		json_u64(o, "vif", p->vifidx);
	}
	json_u64(o, "in_packets", st.in_packets);
	json_u64(o, "tx_packets", st.tx_packets);
	json_u64(o, "tx_bytes", st.tx_bytes);
	json_u64(o, "rx_packets", st.rx_packets);
	json_u64(o, "rx_bytes", st.rx_bytes);
	json_object_object_add(o, "drops", json_drops(st.drops));
	json_u64(o, "throttled", st.throttled);
	json_u64(o, "pcap_read", pc.read);
	json_u64(o, "pcap_written", pc.written);
	json_u64(o, "pcap_truncated", pc.truncated);
	return o;
}

static struct json_object *json_counters(const struct runner *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *sw = json_object_new_object();
	struct json_object *ports = json_object_new_object();
	struct vs_stats st;
	unsigned i;

	vs_switch_stats(r->sw, &st);
	json_u64(sw, "in_frames", st.in_frames);
	json_u64(sw, "delivered", st.delivered);
	json_object_object_add(sw, "drops", json_drops(st.drops));
	for (i = 0; i < r->sc->nports; i++)
		json_object_object_add(ports, r->sc->ports[i].name,
				       json_port(r, &r->sc->ports[i]));
	json_object_object_add(o, "scenario", json_object_new_string(r->sc->path));
	json_u64(o, "start_ns", r->start);
	json_u64(o, "end_ns", r->now);
	json_object_object_add(o, "switch", sw);
	json_object_object_add(o, "ports", ports);
	return o;
}

/* Write the counters to @path ("-" = stdout); 0 or -1 after a message. */
static int json_write(struct json_object *o, const char *path)
{
	const char *s = json_object_to_json_string_ext(o,
				JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_SPACED);
	bool std = !strcmp(path, "-");
	FILE *f = std ? stdout : fopen(path, "w");
	int bad;

	if (!f) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, path,
			strerror(errno));
		return -1;
	}
	bad = fputs(s, f) < 0 || fputc('\n', f) < 0;
	bad |= std ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "%s: error writing %s\n", prog, path);
		return -1;
	}
	return 0;
}

/* Close every back end, flushing the output pcaps. */
static int ports_close(struct runner *r)
{
	char err[SC_ERR_MAX];
	unsigned i;
	int ret = 0;

	for (i = 0; i < r->sc->nports; i++) {
		struct sc_port *p = &r->sc->ports[i];

		if (r->sw && p->port >= 0)
			vs_port_del(r->sw, (unsigned)p->port);
		if (port_pcap_close(p->pp, err, sizeof(err)))
			ret = sc_error(r->sc, p->line, "port %s: %s in %s/%s.pcap",
				       p->name, err, r->outdir, p->name);
		p->pp = NULL;
		p->port = -1;
	}
	return ret;
}

/* Command line ----------------------------------------------------------*/

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s -o OUTDIR [--json FILE] SCENARIO\n"
		"Replay the input pcaps of a scenario through the xeno switch.\n"
		"\n"
		"  -o, --output OUTDIR  write OUTDIR/PORT.pcap for every port\n"
		"                       (created if missing)\n"
		"  -j, --json FILE      counters as JSON (default OUTDIR/counters.json,\n"
		"                       '-' for stdout)\n"
		"  -h, --help           this help\n"
		"\n"
		"Scenario lines (docs/pcap-scenarios.md):\n"
		"  isolate none | isolate PREFIX...     (default 169.254.0.0/16)\n"
		"  port NAME kind=dom0|wire|vif [dom=N] [vif=N] [mac=MAC]\n"
		"       [ip=ADDR,...] [in=FILE.pcap] [tx_limit=BYTES/USECS[/PACKETS]]\n"
		"       [rx_limit=BYTES/USECS[/PACKETS]]\n", prog);
}

struct options {
	const char *outdir, *json, *scenario;
	char json_default[PATH_MAX];
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->outdir = optarg;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1 || !o->outdir) {
		fprintf(stderr, "%s: %s\n", prog, !o->outdir ?
			"missing -o OUTDIR" : "want exactly one SCENARIO file");
		usage(stderr);
		return -1;
	}
	o->scenario = argv[optind];
	if (!o->json) {
		snprintf(o->json_default, sizeof(o->json_default),
			 "%s/counters.json", o->outdir);
		o->json = o->json_default;
	}
	return 0;
}

static int outdir_make(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir,
			strerror(errno));
		return -1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s is not a directory\n", prog, dir);
		return -1;
	}
	return 0;
}

/* Run one scenario; exit 0 on success, 1 on any error. */
int main(int argc, char **argv)
{
	struct runner r = { 0 };
	struct json_object *counters = NULL;
	struct options o = { 0 };
	int ret = 1;

	if (parse_args(argc, argv, &o))
		return 2;
	r.sc = calloc(1, sizeof(*r.sc));
	if (!r.sc) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	r.outdir = o.outdir;
	if (scenario_load(r.sc, o.scenario) || outdir_make(o.outdir) ||
	    switch_build(&r) || replay(&r))
		goto out;
	counters = json_counters(&r);
	if (ports_close(&r) || json_write(counters, o.json))
		goto out;
	ret = 0;
out:
	json_object_put(counters);
	ports_close(&r);
	vs_switch_free(r.sw);
	free(r.sc);
	return ret;
}

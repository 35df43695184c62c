// SPDX-License-Identifier: GPL-2.0-or-later
/* vs_pcap_run.c - replay pcap files through the switch (scenario runner)
 *
 * Usage: vs_pcap_run -o OUTDIR [--json FILE] SCENARIO
 *
 * The scenario file (docs/pcap-scenarios.md) lists the isolated prefixes
 * and the ports: dom0, the wire and domain vifs, each with its MAC,
 * addresses, limits and an optional input pcap; scenario.c parses it,
 * this file builds and runs the switch it describes. Every port gets a pcap
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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "port_pcap.h"
#include "scenario.h"
#include "vswitch.h"

/* A port of the scenario, live: its back end and switch port. */
struct run_port {
	const struct scn_port *sp;
	struct port_pcap *pp;
	int port;			/* -1 until added */
	uint8_t mac[6];			/* mac= or the default */
};

struct runner {
	struct scn *sc;			/* owned */
	struct run_port ports[VS_PORTS_MAX];	/* as sc->ports */
	unsigned nports;
	struct vs_switch *sw;
	const char *outdir;
	uint64_t now, start;		/* ns */
};

static const char *prog = "vs_pcap_run";

/* Report an error at @line of the scenario (0: no line) and return -1. */
static int __attribute__((format(printf, 3, 4)))
sc_error(const struct scn *sc, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "%s:%u: error: ", sc->name, line);
	else
		fprintf(stderr, "%s: error: ", sc->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Building the switch ---------------------------------------------------*/

static const char *owner_of4(const struct scn *sc, struct in_addr a,
			     const struct scn_port *except)
{
	unsigned i, k;

	for (i = 0; i < sc->nports; i++)
		for (k = 0; k < sc->ports[i].n4; k++)
			if (&sc->ports[i] != except &&
			    sc->ports[i].a4[k].s_addr == a.s_addr)
				return sc->ports[i].name;
	return "another port";
}

static const char *owner_of6(const struct scn *sc, const struct in6_addr *a,
			     const struct scn_port *except)
{
	unsigned i, k;

	for (i = 0; i < sc->nports; i++)
		for (k = 0; k < sc->ports[i].n6; k++)
			if (&sc->ports[i] != except &&
			    IN6_ARE_ADDR_EQUAL(&sc->ports[i].a6[k], a))
				return sc->ports[i].name;
	return "another port";
}

static int addr_error(const struct scn *sc, const struct scn_port *p,
		      int err, int family, const void *a)
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

static int add_addrs(struct runner *r, const struct run_port *rp)
{
	const struct scn_port *p = rp->sp;
	unsigned k;
	int err;

	for (k = 0; k < p->n4; k++) {
		err = vs_addr4_add(r->sw, (unsigned)rp->port, p->a4[k]);
		if (err)
			return addr_error(r->sc, p, err, AF_INET, &p->a4[k]);
	}
	for (k = 0; k < p->n6; k++) {
		err = vs_addr6_add(r->sw, (unsigned)rp->port, &p->a6[k]);
		if (err)
			return addr_error(r->sc, p, err, AF_INET6, &p->a6[k]);
	}
	return 0;
}

static int port_add_error(const struct scn *sc, const struct run_port *rp,
			  int err)
{
	const struct scn_port *p = rp->sp;
	char mac[18];

	vs_mac_format(rp->mac, mac);
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

/* Open the back end of @rp and attach it to the switch. */
static int port_build(struct runner *r, struct run_port *rp)
{
	const struct scn_port *p = rp->sp;
	char out[PATH_MAX], err[SCN_ERR_MAX];
	struct vs_port_config cfg;
	int n, ret;

	n = snprintf(out, sizeof(out), "%s/%s.pcap", r->outdir, p->name);
	if (n < 0 || (size_t)n >= sizeof(out))
		return sc_error(r->sc, p->line, "port %s: output path too long",
				p->name);
	rp->pp = port_pcap_open(p->in[0] ? p->in : NULL, out, &r->now, err,
				sizeof(err));
	if (!rp->pp)
		return sc_error(r->sc, p->line, "port %s: %s", p->name, err);

	memcpy(rp->mac, p->mac, 6);
	if (!p->has_mac && p->kind != VS_PORT_WIRE)
		vs_mac_default(p->name, p->domid, p->vifidx, rp->mac);
	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = p->kind;
	memcpy(cfg.mac, rp->mac, 6);
	cfg.name = p->name;
	cfg.domid = p->domid;
	cfg.vifidx = p->vifidx;
	cfg.ops = port_pcap_ops(rp->pp);
	cfg.ctx = rp->pp;
	ret = vs_port_add(r->sw, &cfg);
	if (ret < 0)
		return port_add_error(r->sc, rp, ret);
	rp->port = ret;
	return add_addrs(r, rp);
}

static int limits_set(struct runner *r, const struct run_port *rp)
{
	const struct scn_port *p = rp->sp;
	unsigned port = (unsigned)rp->port;

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
	const struct scn *sc = r->sc;
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
	for (i = 0; i < r->nports; i++)
		if (port_build(r, &r->ports[i]))
			return -1;

	r->start = UINT64_MAX;
	for (i = 0; i < r->nports; i++)
		if (port_pcap_next_ts(r->ports[i].pp, &ts) && ts < r->start)
			r->start = ts;
	if (r->start == UINT64_MAX)
		r->start = 0;
	r->now = r->start;
	for (i = 0; i < r->nports; i++)
		if (limits_set(r, &r->ports[i]))
			return -1;
	return 0;
}

/* The replay ------------------------------------------------------------*/

/* When port @rp next needs the switch: the refill that admits its held
 * frames, or its next input frame. False when it is done. */
static bool next_event(const struct runner *r, const struct run_port *rp,
		       uint64_t *t)
{
	if (vs_port_throttled(r->sw, (unsigned)rp->port, t))
		return true;
	if (port_pcap_outstanding(rp->pp)) {
		*t = r->now;	/* held but no longer throttled: retry now */
		return true;
	}
	return port_pcap_next_ts(rp->pp, t);
}

static struct run_port *earliest(struct runner *r, uint64_t *when)
{
	struct run_port *best = NULL;
	uint64_t t;
	unsigned i;

	*when = UINT64_MAX;
	for (i = 0; i < r->nports; i++) {
		struct run_port *rp = &r->ports[i];

		if (next_event(r, rp, &t) && t < *when) {
			*when = t;
			best = rp;
		}
	}
	return best;
}

/* Replay all input; returns 0, or -1 after reporting a read error. */
static int replay(struct runner *r)
{
	struct run_port *rp;
	uint64_t t;

	while ((rp = earliest(r, &t))) {
		const struct scn_port *p = rp->sp;
		int n;

		/* A file whose stamps go backwards does not turn back time. */
		if (t > r->now)
			r->now = t;
		port_pcap_set_horizon(rp->pp, r->now);
		n = vs_port_poll(r->sw, (unsigned)rp->port, r->now, 0);
		/* A read error ends the input; the frames before it were
		 * switched, but the run is not what the scenario asked for. */
		if (n < 0 || port_pcap_error(rp->pp)[0])
			return sc_error(r->sc, p->line, "port %s: %s", p->name,
					port_pcap_error(rp->pp));
		if (!n && next_event(r, rp, &t) && t <= r->now)
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
				     const struct run_port *rp)
{
	const struct scn_port *p = rp->sp;
	struct json_object *o = json_object_new_object();
	struct port_pcap_counts pc;
	struct vs_port_stats st;
	char mac[18];

	vs_port_stats(r->sw, (unsigned)rp->port, &st);
	port_pcap_counts(rp->pp, &pc);
	vs_mac_format(rp->mac, mac);
	json_object_object_add(o, "kind",
			       json_object_new_string(scn_kind_name(p->kind)));
	json_u64(o, "port", (uint64_t)rp->port);
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
	for (i = 0; i < r->nports; i++)
		json_object_object_add(ports, r->ports[i].sp->name,
				       json_port(r, &r->ports[i]));
	json_object_object_add(o, "scenario", json_object_new_string(r->sc->name));
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
	char err[SCN_ERR_MAX];
	unsigned i;
	int ret = 0;

	for (i = 0; i < r->nports; i++) {
		struct run_port *rp = &r->ports[i];
		const struct scn_port *p = rp->sp;

		if (r->sw && rp->port >= 0)
			vs_port_del(r->sw, (unsigned)rp->port);
		if (port_pcap_close(rp->pp, err, sizeof(err)))
			ret = sc_error(r->sc, p->line, "port %s: %s in %s/%s.pcap",
				       p->name, err, r->outdir, p->name);
		rp->pp = NULL;
		rp->port = -1;
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

/* Load the scenario into @r, each port not yet built; 0 or -1. */
static int scenario_load(struct runner *r, const char *path)
{
	char err[SCN_ERR_MAX];
	struct scn *sc;
	unsigned i;

	if (scn_load(path, &sc, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	r->sc = sc;
	r->nports = sc->nports;
	for (i = 0; i < sc->nports; i++) {
		r->ports[i].sp = &sc->ports[i];
		r->ports[i].port = -1;
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
	r.outdir = o.outdir;
	if (scenario_load(&r, o.scenario) || outdir_make(o.outdir) ||
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
	scn_free(r.sc);
	return ret;
}

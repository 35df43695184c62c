// SPDX-License-Identifier: GPL-2.0-or-later
/* cli_vif.c - xc_dom_control's vif subcommands: vif_stats, vif_addip,
 * vif_delip, vif_setsched, vif_getsched (vif_capture: cli_capture.c) */

#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "config.h"

#define VIF_MAX		1023
#define RATE_MAX	(INT64_C(1) << 40)

/* Check DOM VIF and start a request carrying them. */
static int dom_vif(struct cli *c, char **argv, const char *cmd,
		   json_object **req)
{
	int64_t dom, vif;
	int ret;

	*req = NULL;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (!ret)
		ret = cli_arg_int(c, "vif", argv[1], 0, VIF_MAX, &vif);
	if (ret)
		return ret;
	*req = cli_request(cmd);
	if (*req) {
		cli_add_int(*req, "dom", dom);
		cli_add_int(*req, "vif", vif);
	}
	return CLI_OK;
}

/* cli_print_vif_stats() - counters of a `vif_stats` reply, one per line:
 * the seed's four, the drops by reason, throttle events and credit. */
void cli_print_vif_stats(FILE *f, json_object *reply)
{
	static const char *const first[] = {
		"tx_bytes", "tx_packets", "rx_bytes", "rx_packets",
	};
	json_object *st, *drops, *vh, *caps;
	size_t i;

	if (!json_object_object_get_ex(reply, "stats", &st))
		return;
	for (i = 0; i < 4; i++)
		fprintf(f, "%s: %" PRId64 "\n", first[i],
			cli_jint(st, first[i]));
	if (json_object_object_get_ex(st, "drops", &drops) &&
	    json_object_is_type(drops, json_type_object)) {
		json_object_object_foreach(drops, reason, v)
			fprintf(f, "drop_%s: %" PRId64 "\n", reason,
				json_object_get_int64(v));
	}
	fprintf(f, "throttled: %" PRId64 "\n", cli_jint(st, "throttled"));
	fprintf(f, "credit_remaining: %" PRId64 "\n",
		cli_jint(st, "credit_remaining"));
	if (json_object_object_get_ex(st, "state", NULL))
		fprintf(f, "state: %s\n", cli_jstr(st, "state"));
	if (json_object_object_get_ex(st, "error", NULL))
		fprintf(f, "error: %s\n", cli_jstr(st, "error"));
	if (json_object_object_get_ex(st, "backend", NULL))
		fprintf(f, "backend: %s\n", cli_jstr(st, "backend"));
	if (json_object_object_get_ex(st, "dp_thread", NULL))
		fprintf(f, "dp_thread: %" PRId64 "\n", cli_jint(st, "dp_thread"));
	if (json_object_object_get_ex(st, "tap_tx_dropped", NULL))
		fprintf(f, "tap_tx_dropped: %" PRId64 "\n",
			cli_jint(st, "tap_tx_dropped"));
	if (json_object_object_get_ex(st, "fastpath", NULL))
		fprintf(f, "fastpath: %s\n",
			cli_jbool(st, "fastpath") ? "yes" : "no");
	if (json_object_object_get_ex(st, "captures", &caps) &&
	    json_object_is_type(caps, json_type_array)) {
		for (i = 0; i < json_object_array_length(caps); i++) {
			json_object *c = json_object_array_get_idx(caps, i);

			fprintf(f, "capture_%" PRId64 ": frames %" PRId64
				", lost %" PRId64 ", written %" PRId64 "\n",
				cli_jint(c, "id"), cli_jint(c, "frames"),
				cli_jint(c, "lost"), cli_jint(c, "written"));
		}
	}
	if (json_object_object_get_ex(st, "vhost", &vh) &&
	    json_object_is_type(vh, json_type_object)) {
		json_object_object_foreach(vh, key, v)
			fprintf(f, "vhost_%s: %s\n", key,
				json_object_get_string(v));
	}
}

/* Print the switch-wide part of a `switch_stats` reply and return the sum
 * of its drops. */
static int64_t print_totals(FILE *f, json_object *reply)
{
	json_object *drops;
	int64_t sum = 0;

	fprintf(f, "in_frames: %" PRId64 "\ndelivered: %" PRId64 "\n",
		cli_jint(reply, "in_frames"), cli_jint(reply, "delivered"));
	if (json_object_object_get_ex(reply, "drops", &drops) &&
	    json_object_is_type(drops, json_type_object)) {
		json_object_object_foreach(drops, reason, v) {
			fprintf(f, "drop_%s: %" PRId64 "\n", reason,
				json_object_get_int64(v));
			sum += json_object_get_int64(v);
		}
	}
	return sum;
}

/* cli_print_switch_stats() - totals, the accounting invariant, and one
 * line per port (the domain's view: tx into the switch, rx out of it). */
void cli_print_switch_stats(FILE *f, json_object *reply)
{
	int64_t drops = print_totals(f, reply), in, dl;
	json_object *ports, *st;
	size_t i, n;

	in = cli_jint(reply, "in_frames");
	dl = cli_jint(reply, "delivered");
	fprintf(f, "invariant: in_frames %s delivered + drops (%" PRId64
		" %s %" PRId64 " + %" PRId64 ")\n", in == dl + drops ? "==" :
		"!=", in, in == dl + drops ? "=" : "!=", dl, drops);
	if (json_object_object_get_ex(reply, "dp_threads", NULL))
		fprintf(f, "dp_threads: %" PRId64 "\n",
			cli_jint(reply, "dp_threads"));
	if (json_object_object_get_ex(reply, "fastpath_flows", NULL))
		fprintf(f, "fastpath_flows: %" PRId64 "\n",
			cli_jint(reply, "fastpath_flows"));
	if (!json_object_object_get_ex(reply, "ports", &ports) ||
	    !json_object_is_type(ports, json_type_array))
		return;
	fprintf(f, "\n%-4s %-10s %-5s %12s %12s %12s %12s %10s\n", "Port",
		"Name", "Kind", "tx_packets", "tx_bytes", "rx_packets",
		"rx_bytes", "throttled");
	n = json_object_array_length(ports);
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(ports, i);

		if (!json_object_object_get_ex(p, "stats", &st))
			continue;
		fprintf(f, "%-4" PRId64 " %-10s %-5s %12" PRId64 " %12" PRId64
			" %12" PRId64 " %12" PRId64 " %10" PRId64 "\n",
			cli_jint(p, "port"), cli_jstr(p, "name"),
			cli_jstr(p, "kind"), cli_jint(st, "tx_packets"),
			cli_jint(st, "tx_bytes"), cli_jint(st, "rx_packets"),
			cli_jint(st, "rx_bytes"), cli_jint(st, "throttled"));
	}
}

/* cli_switch_stats() - `switch_stats`: the whole switch's counters. */
int cli_switch_stats(struct cli *c, int argc, char **argv)
{
	json_object *reply;
	int ret;

	(void)argc;
	(void)argv;
	ret = cli_call(c, cli_request("switch_stats"), &reply);
	if (!ret && !c->json)
		cli_print_switch_stats(c->out, reply);
	json_object_put(reply);
	return ret;
}

/* cli_vif_stats() - `vif_stats DOM VIF`. */
int cli_vif_stats(struct cli *c, int argc, char **argv)
{
	json_object *req, *reply;
	int ret;

	(void)argc;
	ret = dom_vif(c, argv, "vif_stats", &req);
	if (ret)
		return ret;
	ret = cli_call(c, req, &reply);
	if (!ret && !c->json)
		cli_print_vif_stats(c->out, reply);
	json_object_put(reply);
	return ret;
}

static int addr(struct cli *c, char **argv)
{
	json_object *req;
	int ret;

	if (!config_check_ip(argv[2]))
		return cli_usage_err(c, "bad IP address '%s'", argv[2]);
	ret = dom_vif(c, argv, c->cmd, &req);
	if (ret)
		return ret;
	if (req)
		json_object_object_add(req, "ip",
				       json_object_new_string(argv[2]));
	return cli_simple(c, req);
}

/* cli_vif_addip() - `vif_addip DOM VIF IP`: route IP (v4 or v6) to the
 * vif and let it send from it. */
int cli_vif_addip(struct cli *c, int argc, char **argv)
{
	(void)argc;
	return addr(c, argv);
}

/* cli_vif_delip() - `vif_delip DOM VIF IP`: the reverse of vif_addip. */
int cli_vif_delip(struct cli *c, int argc, char **argv)
{
	(void)argc;
	return addr(c, argv);
}

/* Parse "BYTES/USECS[/PACKETS]" of --rx into @v (packets 0 if absent). */
static int rx_rate(struct cli *c, const char *s, uint64_t v[3])
{
	char buf[96], *p, *q;

	v[2] = 0;
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	p = strchr(buf, '/');
	if (!p)
		goto bad;
	*p++ = '\0';
	q = strchr(p, '/');
	if (q)
		*q++ = '\0';
	if (config_parse_u64(buf, &v[0]) || config_parse_u64(p, &v[1]) ||
	    (q && config_parse_u64(q, &v[2])) || v[0] > (uint64_t)RATE_MAX ||
	    v[1] > (uint64_t)RATE_MAX || v[2] > (uint64_t)RATE_MAX)
		goto bad;
	return CLI_OK;
bad:
	return cli_usage_err(c, "bad --rx '%s' (expected BYTES/USECS or "
			     "BYTES/USECS/PACKETS)", s);
}

/* cli_vif_setsched() - `vif_setsched DOM VIF BYTES USECS [PACKETS]
 * [--rx BYTES/USECS[/PACKETS]]`: BYTES of transmit credit every USECS
 * (0 usecs = unlimited), optionally PACKETS per period; --rx limits the
 * receive direction. */
int cli_vif_setsched(struct cli *c, int argc, char **argv)
{
	static const char *const names[] = { "bytes", "usecs", "packets" };
	json_object *req = NULL;
	uint64_t rx[3] = { 0, 0, 0 };
	int64_t v[3] = { 0, 0, 0 };
	int ret, i;

	ret = dom_vif(c, argv, "vif_setsched", &req);
	for (i = 0; !ret && i < argc - 2 && i < 3; i++)	/* max 5 args */
		ret = cli_arg_int(c, names[i], argv[i + 2], 0, RATE_MAX, &v[i]);
	if (!ret && c->opt)
		ret = rx_rate(c, c->opt, rx);
	if (ret) {
		json_object_put(req);
		return ret;
	}
	/* packets is always sent (0 = no packet limit) so that the command
	 * defines the whole transmit limit; --rx leaves the receive limit
	 * alone when absent */
	for (i = 0; req && i < 3; i++)
		cli_add_int(req, names[i], v[i]);
	if (req && c->opt) {
		cli_add_int(req, "rx_bytes", (int64_t)rx[0]);
		cli_add_int(req, "rx_usecs", (int64_t)rx[1]);
		cli_add_int(req, "rx_packets", (int64_t)rx[2]);
	}
	return cli_simple(c, req);
}

/* cli_print_vif_sched() - a `vif_getsched` reply: credit_bytes and
 * credit_usecs, then the packet and receive limits that are set. */
void cli_print_vif_sched(FILE *f, json_object *r)
{
	fprintf(f, "credit_bytes: %" PRId64 "\n", cli_jint(r, "credit_bytes"));
	fprintf(f, "credit_usecs: %" PRId64 "\n", cli_jint(r, "credit_usecs"));
	if (cli_jint(r, "packets"))
		fprintf(f, "packets: %" PRId64 "\n", cli_jint(r, "packets"));
	if (cli_jint(r, "rx_bytes") || cli_jint(r, "rx_usecs")) {
		fprintf(f, "rx_bytes: %" PRId64 "\n", cli_jint(r, "rx_bytes"));
		fprintf(f, "rx_usecs: %" PRId64 "\n", cli_jint(r, "rx_usecs"));
	}
	if (cli_jint(r, "rx_packets"))
		fprintf(f, "rx_packets: %" PRId64 "\n",
			cli_jint(r, "rx_packets"));
}

/* cli_vif_getsched() - `vif_getsched DOM VIF`. */
int cli_vif_getsched(struct cli *c, int argc, char **argv)
{
	json_object *req, *reply;
	int ret;

	(void)argc;
	ret = dom_vif(c, argv, "vif_getsched", &req);
	if (ret)
		return ret;
	ret = cli_call(c, req, &reply);
	if (!ret && !c->json)
		cli_print_vif_sched(c->out, reply);
	json_object_put(reply);
	return ret;
}

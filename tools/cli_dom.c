// SPDX-License-Identifier: GPL-2.0-or-later
/* cli_dom.c - xc_dom_control's domain and CPU scheduler subcommands:
 * stop, start, shutdown, destroy, pincpu, save, restore, list,
 * cpu_bvtset, cpu_bvtslice */

#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* stop, start, shutdown, destroy: {"cmd": name, "dom": N} */
static int dom_only(struct cli *c, char **argv)
{
	json_object *req;
	int64_t dom;
	int ret;

	ret = cli_arg_dom(c, argv[0], &dom);
	if (ret)
		return ret;
	req = cli_request(c->cmd);
	if (req)
		cli_add_int(req, "dom", dom);
	return cli_simple(c, req);
}

/* cli_stop() - `stop DOM`: pause a domain. */
int cli_stop(struct cli *c, int argc, char **argv)
{
	(void)argc;
	return dom_only(c, argv);
}

/* cli_start() - `start DOM`: un-pause a domain. */
int cli_start(struct cli *c, int argc, char **argv)
{
	(void)argc;
	return dom_only(c, argv);
}

/* cli_shutdown() - `shutdown DOM [TIMEOUT]`: ask a domain to shut down,
 * destroying it after TIMEOUT seconds (xend's default when absent). */
int cli_shutdown(struct cli *c, int argc, char **argv)
{
	json_object *req;
	int64_t dom, secs = -1;
	int ret;

	ret = cli_arg_dom(c, argv[0], &dom);
	if (!ret && argc > 1)
		ret = cli_arg_int(c, "timeout", argv[1], 0, 3600, &secs);
	if (ret)
		return ret;
	req = cli_request(c->cmd);
	if (req) {
		cli_add_int(req, "dom", dom);
		if (secs >= 0)
			cli_add_int(req, "timeout", secs);
	}
	return cli_simple(c, req);
}

/* cli_destroy() - `destroy DOM`: terminate a domain at once. */
int cli_destroy(struct cli *c, int argc, char **argv)
{
	(void)argc;
	return dom_only(c, argv);
}

/* cli_pincpu() - `pincpu DOM CPU`; CPU -1 lets the domain run anywhere. */
int cli_pincpu(struct cli *c, int argc, char **argv)
{
	json_object *req;
	int64_t dom, cpu;
	int ret;

	(void)argc;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (!ret)
		ret = cli_arg_int(c, "cpu", argv[1], -1, 4095, &cpu);
	if (ret)
		return ret;
	req = cli_request("pincpu");
	if (req) {
		cli_add_int(req, "dom", dom);
		cli_add_int(req, "cpu", cpu);
	}
	return cli_simple(c, req);
}

/* cli_save() - `save DOM FILE`: suspend a domain to FILE (made absolute,
 * as xend runs elsewhere). */
int cli_save(struct cli *c, int argc, char **argv)
{
	json_object *req;
	char *path = NULL;
	int64_t dom;
	int ret;

	(void)argc;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (!ret)
		ret = cli_arg_path(c, argv[1], &path);
	if (ret)
		return ret;
	req = cli_request("save");
	if (req) {
		cli_add_int(req, "dom", dom);
		json_object_object_add(req, "file",
				       json_object_new_string(path));
	}
	free(path);
	return cli_simple(c, req);
}

/* cli_restore() - `restore FILE`: resume a saved domain; prints its id. */
int cli_restore(struct cli *c, int argc, char **argv)
{
	json_object *req, *reply;
	char *path = NULL;
	int ret;

	(void)argc;
	ret = cli_arg_path(c, argv[0], &path);
	if (ret)
		return ret;
	req = cli_request("restore");
	if (req)
		json_object_object_add(req, "file",
				       json_object_new_string(path));
	free(path);
	ret = cli_call(c, req, &reply);
	if (!ret && !c->json)
		fprintf(c->out, "Domain %lld restored\n",
			(long long)cli_jint(reply, "dom"));
	json_object_put(reply);
	return ret;
}

/* Under the table: each vif that is not up, and why. */
static void print_vif_trouble(FILE *f, json_object *doms)
{
	size_t n = json_object_array_length(doms);

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(doms, i), *vifs;

		if (!json_object_object_get_ex(d, "vifs", &vifs) ||
		    !json_object_is_type(vifs, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(vifs); k++) {
			json_object *v = json_object_array_get_idx(vifs, k);
			const char *st = cli_jstr(v, "state");

			if (!*st || !strcmp(st, "up"))
				continue;
			fprintf(f, "vif %lld.%lld %s: %s\n",
				(long long)cli_jint(d, "dom"),
				(long long)cli_jint(v, "vif"), st,
				cli_jstr(v, "error"));
		}
	}
}

/* cli_print_list() - the seed's `list` table from a `list` reply, then a
 * line for each vif that is degraded or failed. */
void cli_print_list(FILE *f, json_object *reply)
{
	json_object *doms, *d;
	size_t i, n;
	char state[3];

	fprintf(f, "Dom  Name             Mem(kb)  CPU  State  Time(s)\n");
	if (!json_object_object_get_ex(reply, "domains", &doms) ||
	    !json_object_is_type(doms, json_type_array))
		return;
	n = json_object_array_length(doms);
	for (i = 0; i < n; i++) {
		d = json_object_array_get_idx(doms, i);
		state[0] = cli_jbool(d, "running") ? 'r' : '-';
		state[1] = cli_jbool(d, "stopped") ? 's' : '-';
		state[2] = '\0';
		fprintf(f, "%-4lld %-16s %7lld %3lld %5s %8lld\n",
			(long long)cli_jint(d, "dom"), cli_jstr(d, "name"),
			(long long)cli_jint(d, "mem_kb"),
			(long long)cli_jint(d, "cpu"), state,
			(long long)cli_jint(d, "time_s"));
	}
	print_vif_trouble(f, doms);
}

/* cli_list() - `list`: one row per domain. */
int cli_list(struct cli *c, int argc, char **argv)
{
	json_object *reply;
	int ret;

	(void)argc;
	(void)argv;
	ret = cli_call(c, cli_request("list"), &reply);
	if (!ret && !c->json)
		cli_print_list(c->out, reply);
	json_object_put(reply);
	return ret;
}

/* cli_cpu_bvtset() - `cpu_bvtset DOM MCUADV WARP WARPL WARPU`. */
int cli_cpu_bvtset(struct cli *c, int argc, char **argv)
{
	static const char *const names[] = {
		"mcuadv", "warp", "warpl", "warpu",
	};
	json_object *req;
	int64_t dom, v[4];
	int ret, i;

	(void)argc;
	ret = cli_arg_dom(c, argv[0], &dom);
	for (i = 0; !ret && i < 4; i++)
		ret = cli_arg_int(c, names[i], argv[i + 1], 0, INT64_MAX, &v[i]);
	if (ret)
		return ret;
	req = cli_request("cpu_bvtset");
	if (req) {
		cli_add_int(req, "dom", dom);
		for (i = 0; i < 4; i++)
			cli_add_int(req, names[i], v[i]);
	}
	return cli_simple(c, req);
}

/* cli_cpu_bvtslice() - `cpu_bvtslice SLICE`: the default scheduler slice. */
int cli_cpu_bvtslice(struct cli *c, int argc, char **argv)
{
	json_object *req;
	int64_t slice;
	int ret;

	(void)argc;
	ret = cli_arg_int(c, "slice", argv[0], 0, INT64_MAX, &slice);
	if (ret)
		return ret;
	req = cli_request("cpu_bvtslice");
	if (req)
		cli_add_int(req, "slice", slice);
	return cli_simple(c, req);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* cli_vbd.c - xc_dom_control's block device subcommands: listvbds,
 * vbd_add, vbd_remove */

#include "cli.h"
#include "config.h"

/* cli_print_vbds() - the seed's `listvbds` table from its reply. */
void cli_print_vbds(FILE *f, json_object *reply)
{
	json_object *vbds, *v;
	size_t i, n;

	fprintf(f, "Dom   Dev   Perm   Size(MB)\n");
	if (!json_object_object_get_ex(reply, "vbds", &vbds) ||
	    !json_object_is_type(vbds, json_type_array))
		return;
	n = json_object_array_length(vbds);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(vbds, i);
		fprintf(f, "%-5lld %-5s %-6s %8lld\n",
			(long long)cli_jint(v, "dom"), cli_jstr(v, "dev"),
			cli_jstr(v, "mode"), (long long)cli_jint(v, "size_mb"));
	}
}

/* cli_listvbds() - `listvbds`: every domain's virtual block devices. */
int cli_listvbds(struct cli *c, int argc, char **argv)
{
	json_object *reply;
	int ret;

	(void)argc;
	(void)argv;
	ret = cli_call(c, cli_request("listvbds"), &reply);
	if (!ret && !c->json)
		cli_print_vbds(c->out, reply);
	json_object_put(reply);
	return ret;
}

/* cli_vbd_add() - `vbd_add DOM UNAME DEV MODE`: give the domain UNAME
 * ("phy:sda3") as DEV, read-only (r, ro) or read-write (w, rw). */
int cli_vbd_add(struct cli *c, int argc, char **argv)
{
	json_object *req;
	char mode[2] = "";
	int64_t dom;
	int ret;

	(void)argc;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (ret)
		return ret;
	if (!config_check_uname(argv[1]))
		return cli_usage_err(c, "bad uname '%s' (expected TYPE:TARGET, "
				     "e.g. phy:sda3)", argv[1]);
	if (!argv[2][0])
		return cli_usage_err(c, "bad dev ''");
	mode[0] = config_parse_mode(argv[3]);
	if (!mode[0])
		return cli_usage_err(c, "bad mode '%s' (expected r or w)",
				     argv[3]);
	req = cli_request("vbd_add");
	if (req) {
		cli_add_int(req, "dom", dom);
		json_object_object_add(req, "uname",
				       json_object_new_string(argv[1]));
		json_object_object_add(req, "dev",
				       json_object_new_string(argv[2]));
		json_object_object_add(req, "mode",
				       json_object_new_string(mode));
	}
	return cli_simple(c, req);
}

/* cli_vbd_remove() - `vbd_remove DOM DEV`. */
int cli_vbd_remove(struct cli *c, int argc, char **argv)
{
	json_object *req;
	int64_t dom;
	int ret;

	(void)argc;
	ret = cli_arg_dom(c, argv[0], &dom);
	if (ret)
		return ret;
	if (!argv[1][0])
		return cli_usage_err(c, "bad dev ''");
	req = cli_request("vbd_remove");
	if (req) {
		cli_add_int(req, "dom", dom);
		json_object_object_add(req, "dev",
				       json_object_new_string(argv[1]));
	}
	return cli_simple(c, req);
}

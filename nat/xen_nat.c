// SPDX-License-Identifier: GPL-2.0-or-later
/* xen_nat.c - dom0's NAT and the domains' ssh redirects, through xend
 *
 *   xen_nat [--socket PATH] enable [--uplink IF] [--backend nft|iptables]
 *                                  [--port-base N]
 *   xen_nat [--socket PATH] disable
 *   xen_nat [--socket PATH] status [--json]
 *
 * xend owns the NAT state (it adds and removes each domain's redirect as
 * domains come and go, and re-makes the rules when it starts): this is a
 * thin client of its nat_enable, nat_disable and nat_status commands.
 * Exit status: 0 done, 1 xend refused or could not be reached, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "nat.h"

#define PROG		"xen_nat"
#define EXIT_ERR	1
#define EXIT_USAGE	2

struct opts {
	const char *socket;
	const char *uplink;
	const char *backend;
	long port_base;		/* -1: xend's default */
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [--socket PATH] enable [--uplink IF] [--backend nft|iptables]\n"
"                                [--port-base N]\n"
"       " PROG " [--socket PATH] disable\n"
"       " PROG " [--socket PATH] status [--json]\n"
"dom0's NAT for the domains and their ssh redirects (xend keeps them).\n"
"\n"
"  enable          masquerade 169.254.0.0/16 out of the uplink, and send\n"
"                  TCP port N+PORT_BASE on it to domain N's ssh\n"
"  disable         remove every rule xeno added, nothing else\n"
"  status          rules, uplink, back end, one line per redirect\n"
"\n"
"  --uplink IF     the uplink (default: the default route's interface)\n"
"  --backend B     nft (default) or iptables (legacy)\n"
"  --port-base N   domain N's ssh is port N+PORT_BASE (default 2200)\n"
"  --json          print xend's reply as JSON\n"
"  --socket PATH   xend's control socket (default $XENO_SOCKET or\n"
"                  /run/xeno/xend.sock)\n"
"  -h, --help      this help\n");
}

static int parse(int argc, char **argv, struct opts *o, const char **cmd)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "uplink", required_argument, NULL, 'u' },
		{ "backend", required_argument, NULL, 'b' },
		{ "port-base", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'u': o->uplink = optarg; break;
		case 'b': o->backend = optarg; break;
		case 'j': o->json = true; break;
		case 'p':
			errno = 0;
			o->port_base = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || o->port_base < 1 ||
			    o->port_base > 65535 - NAT_REDIRECTS_MAX) {
				fprintf(stderr, PROG ": bad port base '%s' "
					"(1..%d, so that every domain's port "
					"fits)\n", optarg,
					65535 - NAT_REDIRECTS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	*cmd = argv[optind];
	if (strcmp(*cmd, "enable") && strcmp(*cmd, "disable") &&
	    strcmp(*cmd, "status")) {
		fprintf(stderr, PROG ": unknown command '%s'\n", *cmd);
		return EXIT_USAGE;
	}
	if (strcmp(*cmd, "enable") && (o->uplink || o->backend ||
				       o->port_base >= 0)) {
		fprintf(stderr, PROG ": --uplink, --backend and --port-base "
			"go with enable\n");
		return EXIT_USAGE;
	}
	return 0;
}

static void print_lines(const char *title, json_object *reply,
			const char *key)
{
	json_object *arr = NULL;

	if (!json_object_object_get_ex(reply, key, &arr) ||
	    !json_object_array_length(arr))
		return;
	printf("%s\n", title);
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		printf("  %s\n", json_object_get_string(
			json_object_array_get_idx(arr, i)));
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : "";
}

static void print_status(json_object *reply)
{
	json_object *arr = NULL, *on = NULL;

	json_object_object_get_ex(reply, "enabled", &on);
	if (!json_object_get_boolean(on)) {
		printf("NAT: disabled\n");
		return;
	}
	printf("NAT: enabled\nback end: %s\nuplink: %s\nport base: %s\n",
	       jstr(reply, "backend"), jstr(reply, "uplink"),
	       jstr(reply, "port_base"));
	printf("redirects:\n");
	json_object_object_get_ex(reply, "redirects", &arr);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *r = json_object_array_get_idx(arr, i);

		printf("  %s -> domain %s (%s) -> %s:22\n", jstr(r, "port"),
		       jstr(r, "dom"), jstr(r, "name"), jstr(r, "addr"));
	}
	print_lines("what blocks forwarding (and how to allow it):", reply,
		    "blockers");
	printf("rules:\n%s", jstr(reply, "rules"));
}

static json_object *request(const struct opts *o, const char *cmd)
{
	json_object *req = json_object_new_object();
	char name[32];

	snprintf(name, sizeof(name), "nat_%s", cmd);
	json_object_object_add(req, "cmd", json_object_new_string(name));
	if (o->uplink)
		json_object_object_add(req, "uplink",
				       json_object_new_string(o->uplink));
	if (o->backend)
		json_object_object_add(req, "backend",
				       json_object_new_string(o->backend));
	if (o->port_base >= 0)
		json_object_object_add(req, "port_base",
				       json_object_new_int((int)o->port_base));
	return req;
}

int main(int argc, char **argv)
{
	struct opts o = { .port_base = -1 };
	const char *cmd = NULL, *error, *path;
	json_object *req, *reply = NULL;
	char err[512];
	int ret = parse(argc, argv, &o, &cmd);

	if (ret)
		return ret;
	path = client_socket_path(o.socket);
	req = request(&o, cmd);
	ret = client_call(path, req, client_timeout_ms(), &reply, err,
			  sizeof(err));
	json_object_put(req);
	if (ret) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_ERR;
	}
	if (!client_reply_ok(reply, &error)) {
		fprintf(stderr, PROG ": %s\n", error);
		json_object_put(reply);
		return EXIT_ERR;
	}
	if (o.json)
		printf("%s\n", json_object_to_json_string_ext(reply,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (!strcmp(cmd, "status"))
		print_status(reply);
	else if (!strcmp(cmd, "enable")) {
		printf("NAT enabled\n");
		print_lines("what blocks forwarding (and how to allow it):",
			    reply, "blockers");
		print_lines("ports a dom0 service listens on too (the "
			    "redirect takes them from the uplink):", reply,
			    "ports_in_use");
	}
	json_object_put(reply);
	return 0;
}

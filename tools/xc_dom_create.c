// SPDX-License-Identifier: GPL-2.0-or-later
/* xc_dom_create.c - create and start a domain from a config file
 *
 *   xc_dom_create [-f file] [-D var=value[:var=value]] [-n] [-h]
 *                 [--socket PATH] [--json]
 *
 * Reads the config file (default XENO_SYSCONFDIR/xc/defaults, or
 * $XENO_DEFAULTS for a build-tree run) after setting the -D variables,
 * checks it (config.c) and sends xend one `create` request. -n prints the
 * seed's dry-run block instead; -h lists the file's variables.
 *
 * The seed built a QEMU-style kernel command line
 * (`ip=<addr>:169.254.1.0:<gw>:<mask>::eth0:off ... LOCALIP=169.254.1.N`)
 * when the file gave none; N is the domain id, which only xend knows once
 * it has created the domain, so cmdline is sent exactly as the file says
 * and completing it is the QEMU builder's job.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "config.h"

#define PROG		"xc_dom_create"

#ifndef XENO_SYSCONFDIR
#define XENO_SYSCONFDIR	"/etc"
#endif
#define CONFIG_DIR	XENO_SYSCONFDIR "/xc"
#define DEFAULTS	CONFIG_DIR "/defaults"

enum { EXIT_ERR = 1, EXIT_USAGE = 2 };

struct opts {
	const char *file;	/* -f, or NULL */
	const char *socket;
	bool dry_run, help, json;
	struct config_vars *vars;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [-f FILE] [-D VAR=VALUE[:VAR=VALUE...]] [-n] [-h]\n"
"                     [--socket PATH] [--json]\n"
"\n"
"Create and start a new domain. Reads a domain config file, having set\n"
"the -D variables in it, and asks xend to build and start the domain.\n"
"\n"
"Arguments to control the parsing of the config file:\n"
"  -f FILE         use FILE instead of the defaults file; a name without\n"
"                  '/' is also looked for in " CONFIG_DIR "\n"
"                  Default: " DEFAULTS " ($XENO_DEFAULTS)\n"
"  -D VAR=VALUE    set variable VAR=VALUE before parsing the config file;\n"
"                  several may be given, separated by ':', e.g.\n"
"                  -D ip=10.0.0.5,10.0.0.6:mem=72\n"
"  -h, --help      print this help, including the config file's variables\n"
"  -n, --dry-run   dry run only: print what the domain would be, don't\n"
"                  create it (with --json: the request xend would get)\n"
"  --socket PATH   xend's control socket (default: $XENO_SOCKET, else\n"
"                  " CLIENT_SOCKET_DEFAULT ")\n"
"  --json          print xend's reply as one line of JSON\n"
"\n"
"Exit status: 0 on success, 1 if the config file is wrong or xend\n"
"reports an error or cannot be reached, 2 on a usage error.\n");
}

/* The file to read, and the name the dry run shows for it (the seed
 * printed 'defaults' for /etc/xc/defaults). */
static void pick_file(const struct opts *o, const char **path,
		      const char **shown, char *buf, size_t len)
{
	const char *env = getenv("XENO_DEFAULTS");
	const char *slash;

	if (o->file) {
		*path = *shown = o->file;
		if (!strchr(o->file, '/') && access(o->file, F_OK) < 0) {
			snprintf(buf, len, "%s/%s", CONFIG_DIR, o->file);
			if (access(buf, F_OK) == 0)
				*path = buf;
		}
		return;
	}
	*path = env && *env ? env : DEFAULTS;
	slash = strrchr(*path, '/');
	*shown = slash ? slash + 1 : *path;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	char err[CONFIG_ERR_MAX];
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:D:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'h': o->help = true; break;
		case 'S': o->socket = optarg; break;
		case 'J': o->json = true; break;
		case 'D':
			ret = config_vars_parse(o->vars, optarg, err,
						sizeof(err));
			if (ret) {
				fprintf(stderr, PROG ": %s\n", ret == -ENOMEM ?
					"out of memory" : err);
				return -1;
			}
			break;
		case ':':
			fprintf(stderr, PROG ": option '%s' needs a value\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, PROG ": unknown option '%s'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

static void print_var(const struct config_var_use *v)
{
	printf("  %s --%s%s", v->name, v->doc ? " " : "", v->doc ? v->doc : "");
	if (v->def)
		printf(" (default \"%s\")", v->def);
	else
		printf(" (required)");
	printf("\n");
}

/* -h: the variables @path uses, required ones first, as the seed did. */
static void list_vars(const char *path)
{
	struct config_var_list l = { NULL, 0 };
	char err[CONFIG_ERR_MAX];
	char *text = NULL;
	size_t len, i, n_req = 0;

	printf("\n");
	if (config_read_file(path, &text, &len, err, sizeof(err)) ||
	    config_list_vars(path, text, len, &l, err, sizeof(err))) {
		fprintf(stderr, PROG ": cannot list the variables: %s\n", err);
		goto out;
	}
	for (i = 0; i < l.n; i++)
		n_req += !l.v[i].def;
	if (!l.n)
		printf("The config file %s uses no variables.\n", path);
	if (n_req)
		printf("The config file %s requires the following vars to be "
		       "defined:\n", path);
	for (i = 0; i < l.n; i++)
		if (!l.v[i].def)
			print_var(&l.v[i]);
	if (l.n > n_req)
		printf("The following variables may be optionally defined:\n");
	for (i = 0; i < l.n; i++)
		if (l.v[i].def)
			print_var(&l.v[i]);
out:
	config_var_list_free(&l);
	free(text);
}

static void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Send the create request; print the new domain's id. */
static int create(const struct opts *o, json_object *req)
{
	char err[CLIENT_ERR_MAX];
	const char *path = client_socket_path(o->socket), *msg;
	json_object *reply = NULL, *dom;
	int ret;

	ret = client_call(path, req, client_timeout_ms(), &reply, err,
			  sizeof(err));
	if (ret) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_ERR;
	}
	if (o->json)
		print_json(reply);
	ret = EXIT_SUCCESS;
	if (!client_reply_ok(reply, &msg)) {
		fprintf(stderr, PROG ": %s\n", msg);
		ret = EXIT_ERR;
	} else if (!o->json) {
		json_object_object_get_ex(reply, "dom", &dom);
		printf("Domain %lld created\n", (long long)json_object_get_int64(dom));
	}
	json_object_put(reply);
	return ret;
}

/* Read and check the file, then dry-run or create. */
static int run(const struct opts *o, const char *path, const char *shown)
{
	struct config_domain d;
	char err[CONFIG_ERR_MAX];
	json_object *req = NULL;
	const char *unused;
	char *text = NULL;
	size_t len, i;
	int ret = EXIT_ERR;

	memset(&d, 0, sizeof(d));
	if (config_read_file(path, &text, &len, err, sizeof(err)) ||
	    config_parse(path, text, len, o->vars, &d, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	for (i = 0; (unused = config_vars_unused(o->vars, i)); i++)
		fprintf(stderr, PROG ": warning: variable '%s' is not used by "
			"%s\n", unused, path);
	req = json_object_new_object();
	if (!req)
		goto out;
	json_object_object_add(req, "cmd", json_object_new_string("create"));
	json_object_object_add(req, "config", config_domain_to_json(&d));
	if (o->dry_run && o->json)
		print_json(req);
	else if (o->dry_run)
		config_print_dry_run(stdout, shown, &d);
	ret = o->dry_run ? EXIT_SUCCESS : create(o, req);
out:
	json_object_put(req);
	config_domain_free(&d);
	free(text);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { .vars = config_vars_new() };
	const char *path, *shown;
	char buf[4096];
	int ret;

	if (!o.vars) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_ERR;
	}
	if (parse_opts(argc, argv, &o)) {
		fprintf(stderr, "Try '" PROG " -h' for more information.\n");
		config_vars_free(o.vars);
		return EXIT_USAGE;
	}
	pick_file(&o, &path, &shown, buf, sizeof(buf));
	if (o.help) {
		usage(stdout);
		list_vars(path);
		ret = EXIT_SUCCESS;
	} else {
		ret = run(&o, path, shown);
	}
	config_vars_free(o.vars);
	return ret;
}

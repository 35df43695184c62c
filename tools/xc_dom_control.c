// SPDX-License-Identifier: GPL-2.0-or-later
/* xc_dom_control.c - control running domains through xend
 *
 *   xc_dom_control [--socket PATH] [--json] <command> [args]
 *
 * The subcommands and their argument names are the seed's
 * (SEED-NOTES.md §3), plus vif_delip, switch_stats and the receive and packet limits of
 * vif_setsched. One table below drives parsing, dispatch and the usage
 * text; the handlers are in cli_dom.c, cli_vif.c and cli_vbd.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

#define PROG		"xc_dom_control"
#define ARGS_MAX	8
#define USAGE_COL	34	/* width of "name args" in the usage text */

static const struct cli_cmd cmds[] = {
	{ "stop", "[dom]", "pause a domain", 1, 1, NULL, cli_stop },
	{ "start", "[dom]", "un-pause a domain", 1, 1, NULL, cli_start },
	{ "shutdown", "[dom] [timeout]", "request a domain to shutdown;\n"
	  "destroy it after timeout s (30)", 1, 2, NULL, cli_shutdown },
	{ "destroy", "[dom]", "immediately terminate a domain", 1, 1, NULL,
	  cli_destroy },
	{ "pincpu", "[dom] [cpu]", "pin a domain to the specified CPU", 2, 2,
	  NULL, cli_pincpu },
	{ "save", "[dom] [file]", "suspend a domain's memory to file", 2, 2,
	  NULL, cli_save },
	{ "restore", "[file]", "resume a domain from a file", 1, 1, NULL,
	  cli_restore },
	{ "list", "", "print info about all domains", 0, 0, NULL, cli_list },
	{ "listvbds", "", "print info about all virtual block devs", 0, 0,
	  NULL, cli_listvbds },
	{ "cpu_bvtset", "[dom] [mcuadv] [warp] [warpl] [warpu]",
	  "set scheduling parameters for domain", 5, 5, NULL,
	  cli_cpu_bvtset },
	{ "cpu_bvtslice", "[slice]", "default scheduler slice", 1, 1, NULL,
	  cli_cpu_bvtslice },
	{ "vif_stats", "[dom] [vif]", "get stats for a given network vif",
	  2, 2, NULL, cli_vif_stats },
	{ "vif_addip", "[dom] [vif] [ip]", "add an IP address to a given vif",
	  3, 3, NULL, cli_vif_addip },
	{ "vif_delip", "[dom] [vif] [ip]",
	  "remove an IP address from a given vif", 3, 3, NULL, cli_vif_delip },
	{ "vif_setsched",
	  "[dom] [vif] [bytes] [usecs] [packets] [--rx bytes/usecs]",
	  "rate limit vif bandwidth: bytes every\n"
	  "usecs (0 = unlimited), at most packets\n"
	  "per period; --rx bytes/usecs[/packets]\n"
	  "limits what the vif receives", 4, 5, "--rx", cli_vif_setsched },
	{ "vif_getsched", "[dom] [vif]", "print vif's scheduling parameters",
	  2, 2, NULL, cli_vif_getsched },
	{ "switch_stats", "", "print the switch's counters: totals,\n"
	  "drops by reason, every port", 0, 0, NULL, cli_switch_stats },
	{ "vbd_add", "[dom] [uname] [dev] [mode]",
	  "make disk/partition uname available to\n"
	  "domain as dev (mode r or w), e.g.\n"
	  "'vbd_add 1 phy:sda3 hda1 w'", 4, 4, NULL,
	  cli_vbd_add },
	{ "vbd_remove", "[dom] [dev]",
	  "remove disk or partition attached\nas 'dev'", 2, 2, NULL,
	  cli_vbd_remove },
	{ "vif_capture", "[dom] [vif] [file|-] [--drops] [--snaplen n]",
	  "write what the vif sends and receives\n"
	  "(after policy) to file, or to stdout\n"
	  "with -, as pcapng until Ctrl-C;\n"
	  "--drops adds the frames the switch\n"
	  "dropped, with the reason in a comment;\n"
	  "'vif_capture [dom] [vif] --stop' ends\n"
	  "the vif's captures", 2, 3, "--snaplen", cli_vif_capture,
	  "--drops", "--stop" },
	{ "console", "[dom] [--history]",
	  "attach to a domain's console (Ctrl-]\n"
	  "detaches); --history prints its\npast output and exits", 1, 1,
	  NULL, cli_console, "--history" },
};

#define N_CMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	char head[128];
	const char *h, *nl;
	size_t i;

	fprintf(f, "Usage: " PROG " [--socket PATH] [--json] <command> "
		"[args]\n\nCommands:\n");
	for (i = 0; i < N_CMDS; i++) {
		snprintf(head, sizeof(head), "%s%s%s", cmds[i].name,
			 cmds[i].args[0] ? " " : "", cmds[i].args);
		if (strlen(head) > USAGE_COL)
			fprintf(f, "  %s\n%*s", head, USAGE_COL + 4, "");
		else
			fprintf(f, "  %-*s  ", USAGE_COL, head);
		for (h = cmds[i].help; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(f, "%s%.*s\n%*s", h == cmds[i].help ? "-- " : "",
				(int)(nl - h), h, USAGE_COL + 7, "");
		fprintf(f, "%s%s\n", h == cmds[i].help ? "-- " : "", h);
	}
	fprintf(f,
"\nOptions, before or after the command:\n"
"  --socket PATH   xend's control socket (default: $XENO_SOCKET, else\n"
"                  " CLIENT_SOCKET_DEFAULT ")\n"
"  --json          print xend's reply as one line of JSON\n"
"  -h, --help      print this help\n"
"\nExit status: 0 on success, 1 if xend reports an error or cannot be\n"
"reached, 2 on a usage error.\n");
}

static const struct cli_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* An option takes the next argument, or the text after "=" in @arg. */
static int opt_value(char **argv, int argc, int *i, const char *name,
		     const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, PROG ": option %s needs a value\n", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

static bool is_option(const char *s)
{
	/* "-1" is an argument (pincpu's CPU), not an option */
	return s && s[0] == '-' && s[1] && !(s[1] >= '0' && s[1] <= '9');
}

/* The subcommand: the first argument that is neither an option nor the
 * value of --socket. */
static const char *cmd_name(int argc, char **argv)
{
	const char *v;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		r = opt_value(argv, argc, &i, "--socket", &v);
		if (r < 0)
			return NULL;
		if (!r && !is_option(argv[i]))
			return argv[i];
	}
	return NULL;
}

/* Sort argv into options (into @c) and positional arguments (into @pos,
 * the subcommand first). Returns -1 (usage error), 0, or 1 for --help. */
static int parse_args(int argc, char **argv, const struct cli_cmd *cmd,
		      struct cli *c, char **pos, int *npos)
{
	bool dashdash = false;
	int i, r;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		if (!dashdash && is_option(argv[i])) {
			if (!strcmp(argv[i], "--")) {
				dashdash = true;
				continue;
			}
			if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
				return 1;
			if (!strcmp(argv[i], "--json")) {
				c->json = true;
				continue;
			}
			if (cmd && cmd->flag && !strcmp(argv[i], cmd->flag)) {
				c->flag = true;
				continue;
			}
			if (cmd && cmd->flag2 && !strcmp(argv[i], cmd->flag2)) {
				c->flag2 = true;
				continue;
			}
			r = opt_value(argv, argc, &i, "--socket", &c->socket);
			if (!r && cmd && cmd->opt)
				r = opt_value(argv, argc, &i, cmd->opt, &c->opt);
			if (r < 0)
				return -1;
			if (r)
				continue;
			fprintf(stderr, PROG ": %s%sunknown option '%s'\n",
				cmd ? cmd->name : "", cmd ? ": " : "", argv[i]);
			return -1;
		}
		if (*npos == ARGS_MAX) {
			fprintf(stderr, PROG ": too many arguments\n");
			return -1;
		}
		pos[(*npos)++] = argv[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { .prog = PROG, .out = stdout };
	const struct cli_cmd *cmd = NULL;
	const char *name = cmd_name(argc, argv);
	char *pos[ARGS_MAX] = { NULL };
	int npos, r;

	if (name)
		cmd = find_cmd(name);
	r = parse_args(argc, argv, cmd, &c, pos, &npos);
	if (r > 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (r < 0)
		return CLI_USAGE;
	if (!name) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!cmd) {
		fprintf(stderr, PROG ": unknown command '%s' (see "
			PROG " --help)\n", name);
		return CLI_USAGE;
	}
	c.cmd = cmd->name;
	if (npos - 1 < cmd->min || npos - 1 > cmd->max) {
		if (cmd->min == cmd->max)
			fprintf(stderr, PROG ": %s: expected %d argument%s, "
				"got %d\n", cmd->name, cmd->min,
				cmd->min == 1 ? "" : "s", npos - 1);
		else
			fprintf(stderr, PROG ": %s: expected %d to %d "
				"arguments, got %d\n", cmd->name, cmd->min,
				cmd->max, npos - 1);
		fprintf(stderr, "Usage: " PROG " %s%s%s\n", cmd->name,
			cmd->args[0] ? " " : "", cmd->args);
		return CLI_USAGE;
	}
	return cmd->run(&c, npos - 1, pos + 1);
}

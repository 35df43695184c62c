/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h - xc_dom_control's subcommands and what they share
 *
 * xc_dom_control.c holds the dispatch table (struct cli_cmd) and main();
 * the handlers live by family in cli_dom.c (domains and the CPU
 * scheduler), cli_vif.c (vifs), cli_capture.c (vif captures), cli_vbd.c
 * (block devices) and cli_console.c. A handler
 * gets its positional arguments, already counted against the table's
 * min/max, checks them, sends one request through cli_call() and prints
 * the reply, or xend's JSON when --json is given.
 *
 * Exit codes: CLI_OK, CLI_ERR when xend reports an error or cannot be
 * reached, CLI_USAGE for a bad command line.
 */
#ifndef XENO_CLI_H
#define XENO_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

enum { CLI_OK = 0, CLI_ERR = 1, CLI_USAGE = 2 };

/* What the command line asked for, besides the positional arguments. */
struct cli {
	const char *prog;	/* for messages: "xc_dom_control" */
	const char *cmd;	/* the subcommand's name */
	const char *socket;	/* --socket PATH, or NULL */
	const char *opt;	/* the value of the subcommand's option */
	bool flag;		/* the subcommand's flag was given */
	bool flag2;		/* its second flag was given */
	bool json;		/* --json: print xend's reply */
	FILE *out;		/* stdout; tests may point it elsewhere */
};

struct cli_cmd {
	const char *name;
	const char *args;	/* usage, with the seed's argument names */
	const char *help;	/* what it does, for the usage text */
	int min, max;		/* positional arguments */
	const char *opt;	/* one option taking a value ("--rx"), or NULL */
	int (*run)(struct cli *c, int argc, char **argv);
	const char *flag;	/* one option without value ("--history") */
	const char *flag2;	/* a second one, or NULL */
};

/* cli_usage_err() - print "prog: cmd: message" to stderr; returns
 * CLI_USAGE. */
int cli_usage_err(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cli_arg_dom() - parse a domain id (0 = dom0) into *@dom, or print
 * "bad domain id 'x'" and return CLI_USAGE. */
int cli_arg_dom(const struct cli *c, const char *s, int64_t *dom);

/* cli_arg_int() - parse a decimal integer in [@min, @max] into *@v, or
 * print "bad WHAT 'x'" and return CLI_USAGE. */
int cli_arg_int(const struct cli *c, const char *what, const char *s,
		int64_t min, int64_t max, int64_t *v);

/* cli_arg_path() - an absolute version of @s (xend does not share our
 * working directory), malloc'd into *@path; CLI_USAGE/CLI_ERR on error. */
int cli_arg_path(const struct cli *c, const char *s, char **path);

/* cli_request() - a new request object {"cmd": @cmd}; owned by caller. */
json_object *cli_request(const char *cmd);

/* cli_add_int() - add the integer @v as @key to @o. */
void cli_add_int(json_object *o, const char *key, int64_t v);

/* cli_call() - send @req (consumed) to xend and take the reply. On "ok":
 * true, stores it in *@reply (the caller puts it; NULL allowed when the
 * caller does not need it), prints it when --json, and returns CLI_OK.
 * Otherwise prints the error (the reply on stdout too, with --json) and
 * returns CLI_ERR. */
int cli_call(const struct cli *c, json_object *req, json_object **reply);

/* cli_simple() - send @req and print nothing but errors (or the reply
 * with --json): the shape of most subcommands. */
int cli_simple(const struct cli *c, json_object *req);

/* cli_jint() - the integer @key of @o, 0 when absent. */
int64_t cli_jint(json_object *o, const char *key);

/* cli_jstr() - the string @key of @o, "" when absent. */
const char *cli_jstr(json_object *o, const char *key);

/* cli_jbool() - the boolean @key of @o, false when absent. */
bool cli_jbool(json_object *o, const char *key);

/* Printers of replies, used by the handlers and by the unit tests. */
void cli_print_list(FILE *f, json_object *reply);
void cli_print_vbds(FILE *f, json_object *reply);
void cli_print_vif_stats(FILE *f, json_object *reply);

/* cli_print_switch_stats() - print a `switch_stats` reply. */
void cli_print_switch_stats(FILE *f, json_object *reply);
void cli_print_vif_sched(FILE *f, json_object *reply);

/* Handlers (cli_dom.c, cli_vif.c, cli_vbd.c). */
int cli_stop(struct cli *c, int argc, char **argv);
int cli_start(struct cli *c, int argc, char **argv);
int cli_shutdown(struct cli *c, int argc, char **argv);
int cli_destroy(struct cli *c, int argc, char **argv);
int cli_pincpu(struct cli *c, int argc, char **argv);
int cli_save(struct cli *c, int argc, char **argv);
int cli_restore(struct cli *c, int argc, char **argv);
int cli_list(struct cli *c, int argc, char **argv);
int cli_cpu_bvtset(struct cli *c, int argc, char **argv);
int cli_cpu_bvtslice(struct cli *c, int argc, char **argv);
int cli_vif_stats(struct cli *c, int argc, char **argv);
int cli_switch_stats(struct cli *c, int argc, char **argv);
int cli_vif_addip(struct cli *c, int argc, char **argv);
int cli_vif_delip(struct cli *c, int argc, char **argv);
int cli_vif_setsched(struct cli *c, int argc, char **argv);
int cli_vif_getsched(struct cli *c, int argc, char **argv);
int cli_listvbds(struct cli *c, int argc, char **argv);
int cli_vbd_add(struct cli *c, int argc, char **argv);
int cli_vbd_remove(struct cli *c, int argc, char **argv);
int cli_console(struct cli *c, int argc, char **argv);
int cli_vif_capture(struct cli *c, int argc, char **argv);

#endif /* XENO_CLI_H */

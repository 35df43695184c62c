// SPDX-License-Identifier: GPL-2.0-or-later
/* cli.c - what xc_dom_control's subcommands share: argument checks, the
 * call to xend, reading replies */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"

int cli_usage_err(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", c->prog, c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

int cli_arg_int(const struct cli *c, const char *what, const char *s,
		int64_t min, int64_t max, int64_t *v)
{
	long long n;
	char *end;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (!*s || *end || errno || s[0] == ' ' || s[0] == '+' ||
	    n < min || n > max)
		return cli_usage_err(c, "bad %s '%s'", what, s);
	*v = n;
	return CLI_OK;
}

int cli_arg_dom(const struct cli *c, const char *s, int64_t *dom)
{
	return cli_arg_int(c, "domain id", s, 0, INT32_MAX, dom);
}

int cli_arg_path(const struct cli *c, const char *s, char **path)
{
	char *cwd;

	if (!*s)
		return cli_usage_err(c, "bad file ''");
	if (s[0] == '/') {
		*path = strdup(s);
		return *path ? CLI_OK : CLI_ERR;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd) {
		fprintf(stderr, "%s: %s: cannot get the working directory: "
			"%s\n", c->prog, c->cmd, strerror(errno));
		return CLI_ERR;
	}
	if (asprintf(path, "%s/%s", cwd, s) < 0)
		*path = NULL;
	free(cwd);
	return *path ? CLI_OK : CLI_ERR;
}

json_object *cli_request(const char *cmd)
{
	json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

void cli_add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void print_json(FILE *f, json_object *o)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cli_call(const struct cli *c, json_object *req, json_object **reply)
{
	char err[CLIENT_ERR_MAX];
	json_object *r = NULL;
	const char *msg;
	int ret;

	if (reply)
		*reply = NULL;
	if (!req) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		return CLI_ERR;
	}
	ret = client_call(client_socket_path(c->socket), req,
			  client_timeout_ms(), &r, err, sizeof(err));
	json_object_put(req);
	if (ret) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		return CLI_ERR;
	}
	if (c->json)
		print_json(c->out, r);
	if (!client_reply_ok(r, &msg)) {
		fprintf(stderr, "%s: %s\n", c->prog, msg);
		json_object_put(r);
		return CLI_ERR;
	}
	if (reply)
		*reply = r;
	else
		json_object_put(r);
	return CLI_OK;
}

int cli_simple(const struct cli *c, json_object *req)
{
	return cli_call(c, req, NULL);
}

int64_t cli_jint(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

const char *cli_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

bool cli_jbool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* test_cmds.c - xend's command table and dispatcher, over a builder that
 * builds nothing: every malformed request gets an error and changes
 * nothing; mutating commands, and only they, write the state file */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "builder.h"
#include "cmd.h"
#include "dataplane.h"
#include "domain.h"
#include "state.h"

static struct xend x;
static char dir[] = "/tmp/xeno-test-cmds-XXXXXX";
static int built, torn;

static int fake_build(struct xend *xe, struct xend_domain *d,
		      struct ctl_req *req)
{
	(void)xe;
	(void)req;
	for (unsigned i = 0; i < d->nvifs; i++)
		d->vifs[i].state = XEND_VIF_UP;
	built++;
	return 0;
}

static void fake_teardown(struct xend *xe, struct xend_domain *d)
{
	(void)xe;
	(void)d;
	torn++;
}

static const struct xend_builder fake = {
	.name = "fake", .build = fake_build, .teardown = fake_teardown,
};

/* Dispatch @line; the reply parsed into *@reply (caller puts it). */
static json_object *call(const char *line)
{
	char *r = xend_cmd_dispatch(&x, line, strlen(line));
	json_object *o;

	assert_non_null(r);
	o = json_tokener_parse(r);
	assert_non_null(o);
	free(r);
	return o;
}

static bool ok(json_object *o)
{
	return json_object_get_boolean(json_object_object_get(o, "ok"));
}

/* @line must fail with an error containing @part. */
static void fails(const char *line, const char *part)
{
	json_object *o = call(line);
	const char *e = json_object_get_string(json_object_object_get(o, "error"));

	if (ok(o) || !e || !strstr(e, part))
		fail_msg("%s -> %s (wanted an error with '%s')", line,
			 json_object_to_json_string(o), part);
	json_object_put(o);
}

static bool state_exists(void)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	return stat(path, &st) == 0;
}

static void state_remove(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	x.state_dir = dir;
	x.console_dir = dir;
	x.dp = xend_dp_new(1);
	assert_non_null(x.dp);
	xend_builder_set(XEND_BUILDER_NETNS, &fake);
	xend_log_setup(false, XEND_LOG_ERR);
	return 0;
}

static int teardown(void **state)
{
	/* the state files, and the console logs of the domains made */
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	(void)state;
	xend_doms_detach_all(&x);
	xend_dp_free(x.dp);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

/* Every command of the server's table has a family and flags, and every
 * family's command is served. */
static void test_table(void **state)
{
	unsigned n = 0, m = 0;
	const struct xend_cmd *const fam[] = { xend_cmds_dom, xend_cmds_vif,
					       xend_cmds_vbd, xend_cmds_nat };

	(void)state;
	for (const struct ctl_cmd *c = xend_cmd_table(); c->name; c++, n++) {
		bool found = false;

		for (unsigned f = 0; f < 4; f++)
			for (const struct xend_cmd *k = fam[f]; k->name; k++)
				found |= !strcmp(k->name, c->name);
		if (!found)
			fail_msg("%s has no family", c->name);
	}
	for (unsigned f = 0; f < 4; f++)
		for (const struct xend_cmd *k = fam[f]; k->name; k++)
			m++;
	assert_int_equal(n, m);
	assert_true(xend_cmd_flags("create") & XEND_CMD_MUTATES);
	assert_true(xend_cmd_flags("vif_setsched") & XEND_CMD_MUTATES);
	assert_false(xend_cmd_flags("list") & XEND_CMD_MUTATES);
	assert_false(xend_cmd_flags("switch_stats") & XEND_CMD_MUTATES);
}

static void test_malformed(void **state)
{
	(void)state;
	fails("", "");
	fails("nonsense", "");
	fails("[1,2]", "");
	fails("{}", "cmd");
	fails("{\"cmd\":5}", "cmd");
	fails("{\"cmd\":\"fly\"}", "fly");
	fails("{\"cmd\":\"create\"}", "config");
	fails("{\"cmd\":\"create\",\"config\":[]}", "config");
	fails("{\"cmd\":\"create\",\"config\":{}}", "config.name");
	fails("{\"cmd\":\"destroy\"}", "dom");
	fails("{\"cmd\":\"destroy\",\"dom\":\"1\"}", "dom");
	fails("{\"cmd\":\"destroy\",\"dom\":-1}", "dom");
	fails("{\"cmd\":\"destroy\",\"dom\":0}", "Domain-0");
	fails("{\"cmd\":\"destroy\",\"dom\":77}", "unknown domain 77");
	fails("{\"cmd\":\"destroy\",\"dom\":4294967296}", "dom");
	fails("{\"cmd\":\"vif_stats\",\"dom\":1}", "unknown domain 1");
	fails("{\"cmd\":\"vif_addip\",\"dom\":0,\"vif\":0,\"ip\":\"1.2.3.4\"}",
	      "Domain-0");
	fails("{\"cmd\":\"vif_setsched\",\"dom\":0,\"vif\":0}", "no vif");
	fails("{\"cmd\":\"pincpu\",\"dom\":1,\"cpu\":0}", "unknown domain");
	fails("{\"cmd\":\"save\",\"dom\":1}", "unknown domain");
	fails("{\"cmd\":\"restore\"}", "file");
	fails("{\"cmd\":\"restore\",\"file\":7}", "file");
	fails("{\"cmd\":\"vbd_add\",\"dom\":1,\"uname\":\"x\",\"dev\":\"h\","
	      "\"mode\":\"r\"}", "is not phy:DEVICE or file:PATH");
	fails("{\"cmd\":\"vbd_add\",\"dom\":1,\"uname\":\"phy:x\",\"dev\":\"h\","
	      "\"mode\":\"q\"}", "'r' or 'w'");
	fails("{\"cmd\":\"cpu_bvtslice\"}", "slice");
	fails("{\"cmd\":\"cpu_bvtset\",\"dom\":0,\"mcuadv\":1}", "warp");
	assert_false(state_exists());	/* nothing changed, nothing saved */
}

/* The dispatcher saves after a mutating command that succeeded, and
 * only then; a failed create leaves no trace. */
static void test_saves(void **state)
{
	char line[128];
	json_object *o;
	int id;

	(void)state;
	state_remove();
	o = call("{\"cmd\":\"list\"}");
	assert_true(ok(o));
	json_object_put(o);
	assert_false(state_exists());
	fails("{\"cmd\":\"create\",\"config\":{\"name\":\"a\","
	      "\"builder\":\"netns\",\"ip\":[\"169.254.1.0\"]}}",
	      "169.254.1.0 is Domain-0's address");
	assert_false(state_exists());
	o = call("{\"cmd\":\"create\",\"config\":{\"name\":\"a\","
		 "\"builder\":\"netns\"}}");
	assert_true(ok(o));
	/* the lowest id whose namespace name is free on this machine */
	id = json_object_get_int(json_object_object_get(o, "dom"));
	json_object_put(o);
	assert_true(id >= 1 && id <= XEND_DOMS_MAX);
	snprintf(line, sizeof(line), "{\"cmd\":\"vif_addip\",\"dom\":%d,"
		 "\"vif\":0,\"ip\":\"10.0.0.1\"}", id);
	assert_true(state_exists());
	assert_int_equal(built, 1);
	state_remove();
	fails("{\"cmd\":\"create\",\"config\":{\"name\":\"a\","
	      "\"builder\":\"netns\"}}", "a domain named 'a' exists");
	fails(line, "not attached");
	assert_false(state_exists());
	snprintf(line, sizeof(line), "{\"cmd\":\"destroy\",\"dom\":%d}", id);
	o = call(line);
	assert_true(ok(o));
	json_object_put(o);
	assert_int_equal(torn, 1);
	assert_true(state_exists());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_saves),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_control.c - libFuzzer target over xend's control lines
 *
 * The input is a series of request lines, dispatched in order to xend's
 * real command table and handlers, over a real data plane (no ports) and
 * a builder that builds nothing, so `create` and then `vif_*`, `destroy`,
 * ... on what it made are reached too. Every line must get exactly one
 * reply, a JSON object with "ok", and an error message when not ok; no
 * crash, leak or out-of-bounds access. The domain table is emptied after
 * each input so inputs do not depend on each other.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "cmd.h"
#include "dataplane.h"
#include "domain.h"
#include "fuzz.h"

static struct xend x;

static int build(struct xend *xe, struct xend_domain *d, struct ctl_req *req)
{
	(void)xe;
	(void)req;
	for (unsigned i = 0; i < d->nvifs; i++)
		d->vifs[i].state = XEND_VIF_UP;
	return 0;
}

static void teardown(struct xend *xe, struct xend_domain *d)
{
	(void)xe;
	(void)d;
}

static const struct xend_builder nothing = {
	.name = "nothing", .build = build, .teardown = teardown,
};

static char dir[] = "/dev/shm/xeno-fuzz-control-XXXXXX";

/* At exit: the state files the dispatcher wrote, and their directory. */
static void cleanup(void)
{
	static const char *const files[] = { "state.json", "state.json.prev",
					     "state.json.tmp" };
	char path[128];

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void setup(void)
{
	xend_log_setup(false, XEND_LOG_ERR);
	CHECK(mkdtemp(dir));
	atexit(cleanup);
	x.state_dir = dir;
	x.console_dir = dir;
	x.dp = xend_dp_new(1);
	CHECK(x.dp);
	xend_builder_set(XEND_BUILDER_NETNS, &nothing);
	xend_builder_set(XEND_BUILDER_QEMU, &nothing);
}

static void one_line(const char *line, size_t len)
{
	char *reply = xend_cmd_dispatch(&x, line, len);
	json_object *o, *ok = NULL, *err = NULL;
	size_t n;

	CHECK(reply);
	n = strlen(reply);
	CHECK(n && reply[n - 1] == '\n' && !memchr(reply, '\n', n - 1));
	o = json_tokener_parse(reply);
	CHECK(o && json_object_is_type(o, json_type_object));
	CHECK(json_object_object_get_ex(o, "ok", &ok));
	if (!json_object_get_boolean(ok))
		CHECK(json_object_object_get_ex(o, "error", &err) &&
		      json_object_get_string_len(err) > 0);
	json_object_put(o);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!x.dp)
		setup();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one_line(p, len);
		p += len + 1;
	}
	xend_doms_detach_all(&x);
	x.dom0_lim_set = false;
	return 0;
}

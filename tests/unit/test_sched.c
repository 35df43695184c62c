// SPDX-License-Identifier: GPL-2.0-or-later
/* test_sched.c - domains' CPU scheduling (hypervisor/dom_sched.h): the BVT
 * mapping, range checks, CPU lists, and the cgroup files written, on a
 * temporary directory tree laid out as a cgroup v1 or v2 hierarchy;
 * sched.json round trips
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dom_sched.h"

#define MS	1000000ULL

/* A temporary cgroup root and state directory. */
struct bed {
	char root[64];
	char state[128];
	struct ctl_req req;
};

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state, int version)
{
	struct bed *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	snprintf(b->root, sizeof(b->root), "/tmp/test_sched.XXXXXX");
	assert_non_null(mkdtemp(b->root));
	snprintf(b->state, sizeof(b->state), "%s/state", b->root);
	assert_int_equal(mkdir(b->state, 0700), 0);
	xend_sched_forget();
	assert_int_equal(xend_sched_set_cgroot(b->root, version), 0);
	b->req.reply = json_object_new_object();
	*state = b;
	return 0;
}

static int setup_v1(void **state)
{
	return setup(state, 1);
}

static int setup_v2(void **state)
{
	return setup(state, 2);
}

static int teardown(void **state)
{
	struct bed *b = *state;

	nftw(b->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	json_object_put(b->req.reply);
	xend_sched_forget();
	xend_sched_set_cgroot(NULL, 0);
	free(b);
	return 0;
}

/* The content of @dir/@file, or "" if it cannot be read. */
static const char *slurp(const char *dir, const char *file)
{
	static char buf[4096];
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void put(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int64_t reply_int(struct bed *b, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(b->req.reply, key, &v));
	return json_object_get_int64(v);
}

/* The mapping ------------------------------------------------------------*/

static void test_weights(void **state)
{
	(void)state;
	/* v1: 10240 / MCUADV, MCUADV 10 is the default 1024 */
	assert_int_equal(xend_sched_weight(1, 1), 10240);
	assert_int_equal(xend_sched_weight(1, 2), 5120);
	assert_int_equal(xend_sched_weight(1, 10), 1024);
	assert_int_equal(xend_sched_weight(1, 3), 3413);
	assert_int_equal(xend_sched_weight(1, 5120), 2);
	assert_int_equal(xend_sched_weight(1, 9000), 2);	/* clamped */
	assert_int_equal(xend_sched_weight(1, XEND_SCHED_MCUADV_MAX), 2);
	/* v2: 1000 / MCUADV, MCUADV 10 is the default 100 */
	assert_int_equal(xend_sched_weight(2, 1), 1000);
	assert_int_equal(xend_sched_weight(2, 2), 500);
	assert_int_equal(xend_sched_weight(2, 10), 100);
	assert_int_equal(xend_sched_weight(2, 3000), 1);	/* clamped */
	/* 1 vs 2 is 2:1 in both */
	for (int v = 1; v <= 2; v++)
		assert_int_equal(xend_sched_weight(v, 1),
				 2 * xend_sched_weight(v, 2));
}

static void test_slices(void **state)
{
	(void)state;
	assert_int_equal(xend_sched_slice_ns(0, 0), 0);	/* kernel's */
	assert_int_equal(xend_sched_slice_ns(0, 2), 1 * MS);	/* 3 - 2 */
	assert_int_equal(xend_sched_slice_ns(5 * MS, 0), 5 * MS);
	assert_int_equal(xend_sched_slice_ns(5 * MS, 2), 3 * MS);
	assert_int_equal(xend_sched_slice_ns(5 * MS, 5), MS / 10);
	assert_int_equal(xend_sched_slice_ns(5 * MS, 1000), MS / 10);
}

static void test_bvt_check(void **state)
{
	struct ctl_req req = { 0 };
	uint32_t ok[] = { 1, 0, 0, 0 };
	uint32_t bad[][XEND_BVT_N] = {
		{ 0, 0, 0, 0 },
		{ XEND_SCHED_MCUADV_MAX + 1, 0, 0, 0 },
		{ 1, XEND_SCHED_WARP_MAX + 1, 0, 0 },
		{ 1, 0, XEND_SCHED_WARPLU_MAX + 1, 0 },
		{ 1, 0, 0, UINT32_MAX },
	};
	const char *field[] = { "mcuadv", "mcuadv", "warp", "warpl", "warpu" };

	(void)state;
	assert_int_equal(xend_sched_bvt_check(ok, &req), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), "'%s'", field[i]);
		assert_int_equal(xend_sched_bvt_check(bad[i], &req), -1);
		assert_non_null(strstr(req.error, want));
	}
}

static void test_cpulist(void **state)
{
	(void)state;
	assert_true(xend_sched_cpulist_has("0-3,5\n", 5));
	assert_true(xend_sched_cpulist_has("0-3,5", 0));
	assert_true(xend_sched_cpulist_has("0-3,5", 3));
	assert_false(xend_sched_cpulist_has("0-3,5", 4));
	assert_false(xend_sched_cpulist_has("0-3,5", 6));
	assert_true(xend_sched_cpulist_has("0", 0));
	assert_false(xend_sched_cpulist_has("", 0));
	assert_false(xend_sched_cpulist_has("x", 0));
	assert_false(xend_sched_cpulist_has("3-1", 2));
	assert_false(xend_sched_cpulist_has("0;1", 1));
}

/* cgroups on a temporary tree ---------------------------------------------*/

static void test_v1_tree(void **state)
{
	struct bed *b = *state;
	uint32_t bvt[] = { 2, 0, 0, 0 };
	pid_t pids[] = { 4242, 4343 };
	struct xend_sched_tasks t = { .pids = pids, .npids = 2 };
	char dom[PATH_MAX], parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s/xeno", b->root);
	snprintf(dom, sizeof(dom), "%s/xeno/dom3", b->root);
	assert_int_equal(xend_sched_cg_create(3), 0);
	assert_int_equal(xend_sched_cg_create(3), 0);	/* idempotent */
	assert_true(is_dir(dom));
	assert_string_equal(slurp(parent, "cgroup.subtree_control"), "");

	assert_int_equal(xend_sched_attach(3, 4141), 0);
	assert_int_equal(xend_sched_set_bvt(3, bvt, &t, &b->req), 0);
	assert_string_equal(slurp(dom, "cgroup.procs"), "4141\n4242\n4343\n");
	assert_string_equal(slurp(dom, "cpu.shares"), "5120\n");
	assert_int_equal(reply_int(b, "weight"), 5120);
	assert_int_equal(reply_int(b, "slice_ns"), 0);

	/* leftovers go to the root, then the cgroup goes; twice is fine */
	assert_int_equal(xend_sched_cg_remove(3), 0);
	assert_false(is_dir(dom));
	assert_string_equal(slurp(b->root, "cgroup.procs"),
			    "4141\n4242\n4343\n");
	assert_int_equal(xend_sched_cg_remove(3), 0);
}

static void test_v2_tree(void **state)
{
	struct bed *b = *state;
	uint32_t bvt[] = { 1, 0, 7, 9 };
	struct xend_sched_tasks t = { 0 };
	char dom[PATH_MAX], parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s/xeno", b->root);
	snprintf(dom, sizeof(dom), "%s/xeno/dom5", b->root);
	assert_int_equal(xend_sched_set_bvt(5, bvt, &t, &b->req), 0);
	assert_string_equal(slurp(b->root, "cgroup.subtree_control"),
			    "+cpu\n");
	assert_string_equal(slurp(parent, "cgroup.subtree_control"),
			    "+cpu\n");
	assert_string_equal(slurp(dom, "cpu.weight"), "1000\n");
	assert_string_equal(slurp(dom, "cpu.shares"), "");

	/* a root that has cpu already is left alone */
	put(b->root, "cgroup.subtree_control", "cpu memory\n");
	bvt[0] = 4;
	assert_int_equal(xend_sched_set_bvt(5, bvt, &t, &b->req), 0);
	assert_string_equal(slurp(b->root, "cgroup.subtree_control"),
			    "cpu memory\n");
	assert_string_equal(slurp(dom, "cpu.weight"), "250\n");
	xend_sched_dom_del(5);
	assert_false(is_dir(dom));
}

static void test_bad_input(void **state)
{
	struct bed *b = *state;
	uint32_t bvt[] = { 0, 0, 0, 0 };
	struct xend_sched_tasks t = { 0 };
	char dom[PATH_MAX];

	snprintf(dom, sizeof(dom), "%s/xeno/dom2", b->root);
	assert_int_equal(xend_sched_set_bvt(2, bvt, &t, &b->req), -1);
	assert_non_null(strstr(b->req.error, "mcuadv"));
	assert_false(is_dir(dom));		/* nothing made */
	assert_false(xend_sched_dom_bvt(2, bvt));	/* nothing recorded */
	assert_int_equal(bvt[XEND_BVT_MCUADV], XEND_SCHED_MCUADV_DEFAULT);

	bvt[0] = 1;
	assert_int_equal(xend_sched_set_bvt(0, bvt, &t, &b->req), -1);
	assert_non_null(strstr(b->req.error, "Domain-0"));
	assert_int_equal(xend_sched_set_cpu(2, 4000, &t, &b->req), -1);
	assert_non_null(strstr(b->req.error, "not online"));
	assert_int_equal(xend_sched_set_cpu(2, -2, &t, &b->req), -1);
	assert_int_equal(xend_sched_dom_cpu(2), -1);
	assert_int_equal(xend_sched_set_slice(50, &b->req), -1);
	assert_non_null(strstr(b->req.error, "'slice'"));
	assert_int_equal(xend_sched_set_slice(XEND_SCHED_SLICE_MAX_NS + 1,
					      &b->req), -1);
	assert_int_equal(xend_sched_slice(), 0);

	/* positive controls */
	assert_int_equal(xend_sched_set_bvt(2, bvt, &t, &b->req), 0);
	assert_int_equal(xend_sched_set_cpu(2, 0, &t, &b->req), 0);
	assert_int_equal(xend_sched_dom_cpu(2), 0);
	assert_int_equal(xend_sched_set_slice(2 * MS, &b->req), 0);
}

/* No cpu controller at all: cpu_bvtset says so; pincpu still works. */
static void test_no_controller(void **state)
{
	struct bed *b = *state;
	uint32_t bvt[] = { 1, 0, 0, 0 };
	struct xend_sched_tasks t = { 0 };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/nothere/deeper", b->root);
	assert_int_equal(xend_sched_set_cgroot(path, 1), 0);
	assert_int_equal(xend_sched_set_bvt(2, bvt, &t, &b->req), -1);
	assert_non_null(strstr(b->req.error, "cgroup"));
	assert_int_equal(xend_sched_set_cpu(2, 0, &t, &b->req), 0);
	assert_int_equal(xend_sched_set_cgroot(b->root, 7), -EINVAL);
}

/* sched.json --------------------------------------------------------------*/

static void test_persist(void **state)
{
	struct bed *b = *state;
	uint32_t bvt[] = { 3, 2, 40, 50 }, got[XEND_BVT_N];
	struct xend_sched_tasks t = { 0 };
	char path[PATH_MAX];

	assert_int_equal(xend_sched_load(b->state), 0);	/* no file yet */
	assert_int_equal(xend_sched_cg_path(4, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/xeno-"));	/* not the default */
	assert_int_equal(xend_sched_set_bvt(4, bvt, &t, &b->req), 0);
	assert_int_equal(xend_sched_set_cpu(4, 0, &t, &b->req), 0);
	assert_int_equal(xend_sched_set_slice(5 * MS, &b->req), 0);
	assert_true(strstr(slurp(b->state, XEND_SCHED_FILE), "\"warpu\":50"));

	xend_sched_forget();
	assert_false(xend_sched_dom_bvt(4, got));
	assert_int_equal(xend_sched_load(b->state), 0);
	assert_true(xend_sched_dom_bvt(4, got));
	assert_memory_equal(got, bvt, sizeof(bvt));
	assert_int_equal(xend_sched_dom_cpu(4), 0);
	assert_int_equal(xend_sched_slice(), 5 * MS);

	/* a new domain of that id starts afresh, on disk too */
	assert_int_equal(xend_sched_dom_new(4), 0);
	assert_false(xend_sched_dom_bvt(4, got));
	xend_sched_forget();
	assert_int_equal(xend_sched_load(b->state), 0);
	assert_int_equal(xend_sched_dom_cpu(4), -1);
	assert_int_equal(xend_sched_slice(), 5 * MS);
}

static void test_persist_damaged(void **state)
{
	struct bed *b = *state;
	uint32_t got[XEND_BVT_N];

	put(b->state, XEND_SCHED_FILE, "{\"version\": 1, \"slice_ns\": 0, "
	    "\"domains\": [{\"dom\": 1, \"mcuadv\": 0, \"warp\": 0, "
	    "\"warpl\": 0, \"warpu\": 0, \"cpu\": -1}, {\"dom\": 2, "
	    "\"mcuadv\": 7, \"warp\": 0, \"warpl\": 0, \"warpu\": 0, "
	    "\"cpu\": 1}]}");
	assert_int_equal(xend_sched_load(b->state), -EINVAL);
	assert_false(xend_sched_dom_bvt(1, got));	/* MCUADV 0: dropped */
	assert_true(xend_sched_dom_bvt(2, got));	/* the other stays */
	assert_int_equal(got[XEND_BVT_MCUADV], 7);

	xend_sched_forget();
	put(b->state, XEND_SCHED_FILE, "{\"version\": 9}");
	assert_int_equal(xend_sched_load(b->state), -EINVAL);
	xend_sched_forget();
	put(b->state, XEND_SCHED_FILE, "not json");
	assert_int_equal(xend_sched_load(b->state), -EINVAL);
	assert_false(xend_sched_dom_bvt(2, got));
}

/* Threads: this test's own thread ----------------------------------------*/

static void test_threads(void **state)
{
	pid_t self = gettid();
	cpu_set_t set;
	bool honoured;

	(void)state;
	assert_int_equal(xend_sched_pin_threads(&self, 1, 0), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_true(CPU_ISSET(0, &set));
	assert_int_equal(xend_sched_pin_threads(&self, 1, 4000), -EINVAL);
	assert_int_equal(xend_sched_pin_threads(&self, 1, -1), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(CPU_COUNT(&set), sysconf(_SC_NPROCESSORS_ONLN));

	/* set either way; whether the kernel keeps it depends on it */
	assert_int_equal(xend_sched_slice_threads(&self, 1, 2 * MS, &honoured),
			 1);
	print_message("custom slice %s by this kernel\n",
		      honoured ? "kept" : "ignored");
	assert_int_equal(xend_sched_slice_threads(&self, 1, 0, &honoured), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_bvt_check),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test_setup_teardown(test_v1_tree, setup_v1,
						teardown),
		cmocka_unit_test_setup_teardown(test_v2_tree, setup_v2,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup_v1,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_controller, setup_v1,
						teardown),
		cmocka_unit_test_setup_teardown(test_persist, setup_v2,
						teardown),
		cmocka_unit_test_setup_teardown(test_persist_damaged,
						setup_v1, teardown),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* test_record.c - xend's records: create parsing, the state codec (round
 * trip, bounds, hostile records) and the state file as a whole */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "record.h"
#include "state.h"

static char err[CTL_ERROR_MAX];

/* Parse a create config (JSON text) as domain @id; 0 or -1 (err set). */
static int config(uint32_t id, const char *json, struct xend_domain **out)
{
	struct ctl_req req = { 0 };
	json_object *cfg = json_tokener_parse(json);
	struct xend_domain *d = rec_domain_new();
	int ret;

	assert_non_null(cfg);
	assert_non_null(d);
	d->id = id;
	ret = rec_config_parse(&req, cfg, d);
	snprintf(err, sizeof(err), "%s", req.error);
	json_object_put(cfg);
	if (ret || !out)
		rec_domain_free(d);
	else
		*out = d;
	return ret;
}

/* A config that must parse: the record (never NULL). */
static struct xend_domain *good(uint32_t id, const char *json)
{
	struct xend_domain *d = NULL;

	if (config(id, json, &d) || !d) {
		print_error("config %s: %s\n", json, err);
		abort();
	}
	return d;
}

static void config_fails(const char *json, const char *msg)
{
	assert_int_equal(config(3, json, NULL), -1);
	assert_string_equal(err, msg);
}

#define NS "\"name\":\"d\",\"builder\":\"netns\""

static void test_config_defaults(void **state)
{
	struct xend_domain *d = NULL;
	char s[INET6_ADDRSTRLEN];

	(void)state;
	d = good(7, "{" NS "}");
	assert_string_equal(d->name, "d");
	assert_int_equal(d->builder, XEND_BUILDER_NETNS);
	assert_int_equal(d->mem_kb, 64 * 1024);
	assert_int_equal(d->vcpus, 1);
	assert_string_equal(d->nsname, "xeno-dom7");
	assert_int_equal(d->nvifs, 1);
	assert_string_equal(d->vifs[0].ifname, "xv7.0");
	assert_string_equal(d->vifs[0].nsifname, "eth0");
	assert_int_equal(d->vifs[0].naddrs, 1);
	xend_addr_format(&d->vifs[0].addrs[0].a, s);
	assert_string_equal(s, "169.254.1.7");
	assert_int_equal(d->vifs[0].addrs[0].a.plen, 16);
	assert_true(d->has_gateway);
	rec_domain_free(d);
}

/* The bounds are one set, and the messages give the real range. */
static void test_config_bounds(void **state)
{
	(void)state;
	assert_int_equal(config(1, "{" NS ",\"vcpus\":64,\"memory\":1048576}",
				NULL), 0);
	config_fails("{" NS ",\"vcpus\":100}",
		     "field 'config.vcpus' must be 1..64");
	config_fails("{" NS ",\"vcpus\":0}",
		     "field 'config.vcpus' must be 1..64");
	config_fails("{" NS ",\"memory\":0}",
		     "field 'config.memory' must be 1..1048576");
	config_fails("{" NS ",\"vifs\":[]}",
		     "field 'config.vifs' must hold 1 to 8 vifs (vif 0 carries "
		     "the domain's link-local address)");
	config_fails("{" NS ",\"vifs\":[{},{},{},{},{},{},{},{},{}]}",
		     "field 'config.vifs' must hold 1 to 8 vifs (vif 0 carries "
		     "the domain's link-local address)");
	assert_int_equal(config(1, "{" NS ",\"vifs\":[{\"bytes\":1099511627776,"
				"\"usecs\":1000000000,\"packets\":4294967295}]}",
				NULL), 0);
	config_fails("{" NS ",\"vifs\":[{\"bytes\":1099511627777}]}",
		     "field 'config.vifs[0].bytes' must be 0..1099511627776");
	config_fails("{" NS ",\"vifs\":[{\"usecs\":-1}]}",
		     "field 'config.vifs[0].usecs' must be 0..1000000000");
	config_fails("{" NS ",\"vifs\":[{\"rx_packets\":4294967296}]}",
		     "field 'config.vifs[0].rx_packets' must be 0..4294967295");
	config_fails("{\"name\":\"v@5\",\"builder\":\"netns\"}",
		     "field 'config.name': 'v@5' is not a valid domain name (1 "
		     "to 63 letters, digits and '_.+-'; not Domain-0)");
	config_fails("{\"name\":\"Domain-0\",\"builder\":\"netns\"}",
		     "field 'config.name': 'Domain-0' is not a valid domain "
		     "name (1 to 63 letters, digits and '_.+-'; not Domain-0)");
	config_fails("{\"name\":\"d\",\"builder\":\"xen\"}",
		     "field 'config.builder' must be 'netns', 'qemu' or "
		     "'external'");
}

/* 169.254.1.N belongs to domain N: no other domain may claim it. */
static void test_config_linklocal(void **state)
{
	struct xend_domain *d = NULL;

	(void)state;
	config_fails("{" NS ",\"ip\":[\"169.254.1.2\"]}",
		     "field 'config.ip[0]': 169.254.1.2 is reserved for domain "
		     "2's first vif");
	config_fails("{" NS ",\"vifs\":[{},{\"ip\":[\"169.254.1.0\"]}]}",
		     "field 'config.vifs[1].ip[0]': 169.254.1.0 is Domain-0's "
		     "address");
	/* its own, and the rest of 169.254/16, are fine */
	d = good(3, "{" NS ",\"ip\":[\"169.254.1.3\","
				"\"169.254.7.7\"]}");
	assert_int_equal(d->vifs[0].naddrs, 2);
	rec_domain_free(d);
	config_fails("{" NS ",\"ip\":[\"127.0.0.5\"]}",
		     "field 'config.ip[0]': '127.0.0.5' is not a unicast IPv4 "
		     "or IPv6 address");
	config_fails("{" NS ",\"ip\":[\"ff02::1\"]}",
		     "field 'config.ip[0]': 'ff02::1' is not a unicast IPv4 or "
		     "IPv6 address");
}

static void test_config_vifs(void **state)
{
	struct xend_domain *d = NULL;

	(void)state;
	d = good(2, "{" NS ",\"netmask\":\"255.255.255.0\","
				"\"vifs\":[{\"mac\":\"02:00:00:00:00:01\","
				"\"ip\":[\"10.0.0.2\"],\"bytes\":1000,"
				"\"usecs\":1000,\"dhcp_server\":true},"
				"{\"mac\":\"\"}]}");
	assert_int_equal(d->nvifs, 2);
	assert_int_equal(d->vifs[0].addrs[1].a.plen, 24);
	assert_true(d->vifs[0].dhcp_server);
	assert_false(d->vifs[1].dhcp_server);
	assert_int_equal(d->vifs[0].lim.bytes, 1000);
	assert_int_equal(d->vifs[0].mac[5], 1);
	assert_int_equal(d->vifs[1].mac[0], 0xaa);	/* default MAC */
	rec_domain_free(d);
	config_fails("{" NS ",\"vifs\":[{\"mac\":\"02:00:00:00:00:01\"},"
		     "{\"mac\":\"02:00:00:00:00:01\"}]}",
		     "field 'config.vifs[1].mac': vif 0 already has MAC "
		     "02:00:00:00:00:01");
	config_fails("{" NS ",\"vifs\":[{\"mac\":\"01:00:00:00:00:01\"}]}",
		     "field 'config.vifs[0].mac': '01:00:00:00:00:01' is not a "
		     "unicast MAC address");
	config_fails("{" NS ",\"vifs\":[{\"backend\":\"vhost-user\"}]}",
		     "field 'config.vifs[0].backend': a netns domain's vifs "
		     "are TAPs");
	config_fails("{" NS ",\"vifs\":[{\"socket\":\"/tmp/a.sock\"}]}",
		     "field 'config.vifs[0].socket' is for builder 'external' "
		     "only (xend names a QEMU domain's sockets)");
	config_fails("{" NS ",\"vifs\":[{\"offload\":false}]}",
		     "field 'config.vifs[0].offload' is for QEMU domains only");
	config_fails("{\"name\":\"e\",\"builder\":\"external\","
		     "\"vifs\":[{}]}",
		     "field 'config.vifs[0].socket' must be the absolute path "
		     "of the front end's vhost-user socket");
	config_fails("{\"name\":\"e\",\"builder\":\"external\","
		     "\"vifs\":[{\"backend\":\"tap\",\"socket\":\"/a\"}]}",
		     "field 'config.vifs[0].backend': an external domain's "
		     "vifs are vhost-user");
	config_fails("{" NS ",\"vifs\":[{\"backend\":\"macvtap\"}]}",
		     "field 'config.vifs[0].backend' must be 'tap' or "
		     "'vhost-user'");
	config_fails("{" NS ",\"vifs\":[{\"dhcp_server\":1}]}",
		     "field 'config.vifs[0].dhcp_server' must be a boolean, not an "
		     "integer");
	config_fails("{" NS ",\"vbds\":[{\"uname\":\"phy:a\",\"dev\":\"hda\","
		     "\"mode\":\"r\"},{\"uname\":\"phy:b\",\"dev\":\"hda\","
		     "\"mode\":\"w\"}]}",
		     "field 'config.vbds[1].dev': device 'hda' is given twice");
}

/* xc_dom_create's entry point says exactly what xend would say. */
static void test_config_check(void **state)
{
	json_object *cfg = json_tokener_parse("{" NS ",\"vcpus\":100}");

	(void)state;
	assert_int_equal(rec_config_check(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "field 'config.vcpus' must be 1..64");
	json_object_put(cfg);
	cfg = json_tokener_parse("{" NS "}");
	assert_int_equal(rec_config_check(cfg, err, sizeof(err)), 0);
	json_object_put(cfg);
}

/* A record survives the state file unchanged. */
static void test_state_round_trip(void **state)
{
	struct xend_domain *d = NULL, *back;
	struct xend_addr a;
	json_object *o;
	char *t1, *t2;

	(void)state;
	d = good(5, "{" NS ",\"ip\":[\"10.1.2.3\",\"fd00::5\"],"
				"\"vifs\":[{\"bytes\":5,\"usecs\":7,"
				"\"packets\":3,\"dhcp_server\":true},{}],"
				"\"vbds\":[{\"uname\":\"phy:cdrom\","
				"\"dev\":\"hdd\",\"mode\":\"r\"}]}");
	assert_int_equal(xend_addr_parse("10.9.9.9", &a), 0);
	rec_vif_add_addr(&d->vifs[1], &a, false);	/* as vif_addip */
	d->config = json_object_new_object();
	o = rec_state_json(d);
	t1 = strdup(json_object_to_json_string(o));
	back = rec_state_parse(o, err, sizeof(err));
	assert_non_null(back);
	json_object_put(o);
	o = rec_state_json(back);
	t2 = strdup(json_object_to_json_string(o));
	assert_string_equal(t1, t2);
	assert_int_equal(back->vifs[0].lim.packets, 3);
	assert_true(back->vifs[0].dhcp_server);
	assert_false(back->vifs[1].addrs[1].ns);
	assert_int_equal(back->state, XEND_DOM_RUNNING);
	json_object_put(o);
	free(t1);
	free(t2);
	rec_domain_free(back);
	rec_domain_free(d);
}

/* A state record with one field replaced by @val (JSON) must fail with
 * @msg. @path is "key" or "vifs0.key". */
static void state_fails(const char *path, const char *val, const char *msg)
{
	struct xend_domain *d = NULL;
	json_object *o, *target, *v = json_tokener_parse(val);
	const char *key = path;

	d = good(4, "{" NS ",\"vifs\":[{},{}]}");
	o = rec_state_json(d);
	rec_domain_free(d);
	target = o;
	if (!strncmp(path, "vifs0.", 6)) {
		target = json_object_array_get_idx(
			json_object_object_get(o, "vifs"), 0);
		key = path + 6;
	}
	json_object_object_add(target, key, v);
	d = rec_state_parse(o, err, sizeof(err));
	json_object_put(o);
	if (d)
		fail_msg("%s = %s was accepted", path, val);
	assert_string_equal(err, msg);
}

/* What create would refuse, the state file may not hold; and the names
 * are xend's own, so a tampered record cannot point xend at a foreign
 * namespace or interface. */
static void test_state_hostile(void **state)
{
	(void)state;
	state_fails("netns", "\"init-ns\"",
		    "field 'netns' is 'init-ns'; xend names it 'xeno-dom4'");
	state_fails("netns", "\"../../proc/1/ns/net\"",
		    "field 'netns' is '../../proc/1/ns/net'; xend names it "
		    "'xeno-dom4'");
	state_fails("vifs0.ifname", "\"eth0\"",
		    "field 'vifs[0].ifname' is 'eth0'; xend names it 'xv4.0'");
	state_fails("vifs0.nsifname", "\"lo\"",
		    "field 'vifs[0].nsifname' is 'lo'; xend names it 'eth0'");
	state_fails("dom", "0", "field 'dom' must be 1..254");
	state_fails("dom", "255", "field 'dom' must be 1..254");
	state_fails("name", "\"a/b\"",
		    "field 'name': 'a/b' is not a valid domain name (1 to 63 "
		    "letters, digits and '_.+-'; not Domain-0)");
	state_fails("vcpus", "1000", "field 'vcpus' must be 1..64");
	state_fails("mem_kb", "18446744073709551615",
		    "field 'mem_kb' must be 1024..1073741824");
	state_fails("state", "\"zombie\"",
		    "field 'state' must be 'running' or 'building'");
	state_fails("vifs0.limits", "{\"bytes\":18446744073709551615}",
		    "field 'vifs[0].limits.bytes' must be 0..1099511627776");
	state_fails("vifs0.mac", "\"ff:ff:ff:ff:ff:ff\"",
		    "field 'vifs[0].mac': 'ff:ff:ff:ff:ff:ff' is not a unicast "
		    "MAC address");
	state_fails("vifs0.vif", "1", "field 'vifs[0].vif' must be 0..0");
	state_fails("vifs", "[]", "field 'vifs' must hold 1 to 8 vifs");
	state_fails("vifs0.addrs", "[{\"ip\":\"224.0.0.1\",\"plen\":32}]",
		    "field 'vifs[0].addrs[0].ip': '224.0.0.1' is not a unicast "
		    "IPv4 or IPv6 address");
	state_fails("vifs0.addrs", "[{\"ip\":\"10.0.0.1\",\"plen\":33}]",
		    "field 'vifs[0].addrs[0].plen' out of range");
	state_fails("vifs0.addrs", "[{\"ip\":\"10.0.0.1\",\"plen\":8},"
		    "{\"ip\":\"10.0.0.1\",\"plen\":8}]",
		    "field 'vifs[0].addrs[1].ip': 10.0.0.1 is listed twice");
}

/* An address an older xend let vif_addip take (another domain's
 * 169.254.1.M) is dropped from the record, the domain is kept. */
static void test_state_reserved_dropped(void **state)
{
	struct xend_domain *d = NULL;
	json_object *o, *addrs;

	(void)state;
	d = good(4, "{" NS "}");
	o = rec_state_json(d);
	rec_domain_free(d);
	addrs = json_object_object_get(json_object_array_get_idx(
		json_object_object_get(o, "vifs"), 0), "addrs");
	json_object_array_add(addrs, json_tokener_parse(
		"{\"ip\":\"169.254.1.2\",\"plen\":32}"));
	d = rec_state_parse(o, err, sizeof(err));
	json_object_put(o);
	assert_non_null(d);
	assert_int_equal(d->vifs[0].naddrs, 1);
	rec_domain_free(d);
}

/* The file as a whole: unusable files are refused with a reason, a
 * damaged record only costs that record. */
static void test_state_file(void **state)
{
	static const char bad_limits[] = "{\"version\":1,\"domains\":[],"
					 "\"dom0\":{\"limits\":{\"usecs\":-4}}}";
	static const char *const bad[] = {
		"", "{", "[]", "{\"version\":2,\"domains\":[]}",
		"{\"version\":1}", "{\"version\":1,\"domains\":{}}",
		"{\"version\":1,\"domains\":[]} trailing", bad_limits,
	};
	struct xend_domain *d = NULL;
	struct xend_state st;
	json_object *top, *arr;
	const char *text;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xend_state_parse(bad[i], strlen(bad[i]), &st,
						  err, sizeof(err)), -EINVAL);
		assert_int_equal(st.n, 0);
	}
	d = good(9, "{" NS "}");
	top = json_tokener_parse("{\"version\":1,\"dom0\":{\"limits\":"
				 "{\"bytes\":9,\"usecs\":10}}}");
	arr = json_object_new_array();
	json_object_array_add(arr, json_tokener_parse("{\"dom\":\"x\"}"));
	json_object_array_add(arr, rec_state_json(d));
	json_object_array_add(arr, json_object_new_int(5));
	json_object_object_add(top, "domains", arr);
	rec_domain_free(d);
	text = json_object_to_json_string(top);
	assert_int_equal(xend_state_parse(text, strlen(text), &st, err,
					  sizeof(err)), 0);
	assert_int_equal(st.n, 1);
	assert_true(st.damaged);
	assert_int_equal(st.doms[0]->id, 9);
	assert_true(st.dom0_lim_set);
	assert_int_equal(st.dom0_lim.bytes, 9);
	xend_state_clear(&st);
	json_object_put(top);
}

/* Remove what xend_state_write() and xend_state_read() leave in @dir. */
static void remove_state(const char *dir)
{
	char path[PATH_MAX + 256];
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

/* Writing and reading back through the file system keeps the previous
 * file, and falls back to it when the current one is damaged. */
static void test_state_prev(void **state)
{
	char dir[] = "/tmp/xeno-test-state-XXXXXX", path[128];
	struct xend_domain *doms[XEND_DOMS_MAX + 1] = { 0 };
	struct xend_state st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	doms[1] = good(1, "{" NS "}");
	assert_int_equal(xend_state_write(dir, doms, NULL, NULL), 0);
	doms[2] = good(2, "{\"name\":\"e\",\"builder\":\"netns\"}");
	assert_int_equal(xend_state_write(dir, doms, NULL, NULL), 0);
	xend_state_read(dir, &st);
	assert_int_equal(st.n, 2);
	assert_false(st.damaged);
	xend_state_clear(&st);
	/* damage the current file: the previous one (domain 1) is used */
	snprintf(path, sizeof(path), "%s/state.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"domains\":[", f);
	fclose(f);
	xend_state_read(dir, &st);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.doms[0]->id, 1);
	assert_true(st.damaged);
	xend_state_clear(&st);
	rec_domain_free(doms[1]);
	rec_domain_free(doms[2]);
	remove_state(dir);
}

static void test_names(void **state)
{
	struct xend_addr a;

	(void)state;
	assert_true(rec_valid_name("a.b-c_d+1"));
	assert_false(rec_valid_name(""));
	assert_false(rec_valid_name("v@5"));
	assert_false(rec_valid_name("a b"));
	assert_int_equal(xend_addr_parse("169.254.1.9", &a), 0);
	assert_true(rec_addr_usable(&a, 9));
	assert_false(rec_addr_usable(&a, 8));
	assert_int_equal(xend_addr_parse("169.254.1.255", &a), 0);
	assert_true(rec_addr_usable(&a, 8));
	assert_int_equal(xend_addr_parse("127.0.0.1", &a), 0);
	assert_false(rec_addr_usable(&a, 1));
	assert_int_equal(xend_addr_parse("::1", &a), 0);
	assert_false(rec_addr_usable(&a, 1));
	assert_int_equal(xeno_ll_owner(0xa9fe0105u), 5);
	assert_int_equal(xeno_ll_owner(0xa9fe0205u), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_bounds),
		cmocka_unit_test(test_config_linklocal),
		cmocka_unit_test(test_config_vifs),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_hostile),
		cmocka_unit_test(test_state_reserved_dropped),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_state_prev),
		cmocka_unit_test(test_names),
	};

	xend_log_setup(false, XEND_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

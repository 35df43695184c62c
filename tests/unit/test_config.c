// SPDX-License-Identifier: GPL-2.0-or-later
/* test_config.c - the domain config file: syntax, substitution, -D
 * variables, keys and their checks, and what xc_dom_create prints */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* The file most tests start from: name and builder are all it needs. */
#define BASE "name = \"d\"\nbuilder = \"netns\"\n"

static char err[CONFIG_ERR_MAX];
static struct config_domain dom;

/* Parse @text with the -D arguments in @dargs (NULL-terminated). */
static int parse_v(const char *text, const char *const *dargs)
{
	struct config_vars *v = config_vars_new();
	int ret;

	assert_non_null(v);
	for (; dargs && *dargs; dargs++)
		assert_int_equal(config_vars_parse(v, *dargs, err,
						   sizeof(err)), 0);
	config_domain_free(&dom);
	err[0] = '\0';
	ret = config_parse("t.cfg", text, strlen(text), v, &dom, err,
			   sizeof(err));
	config_vars_free(v);
	return ret;
}

static int parse(const char *text)
{
	return parse_v(text, NULL);
}

/* Assert that @text fails with exactly @msg. */
static void fails(const char *text, const char *msg)
{
	assert_int_equal(parse(text), -22);
	assert_string_equal(err, msg);
}

static int teardown(void **state)
{
	(void)state;
	config_domain_free(&dom);
	return 0;
}

/* ---- syntax ---- */

static void test_minimal_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE), 0);
	assert_string_equal(dom.name, "d");
	assert_string_equal(dom.builder, "netns");
	assert_int_equal(dom.memory, 64);
	assert_int_equal(dom.vcpus, 1);
	assert_string_equal(dom.accel, "auto");
	assert_string_equal(dom.kernel, "");
	assert_string_equal(dom.cmdline, "");
	assert_int_equal(dom.n_ip, 0);
	assert_false(dom.has_vifs);
	assert_int_equal(dom.n_vbds, 0);
}

static void test_every_key(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"name = 'web1'\n"
		"builder = qemu\n"
		"memory = 128\n"
		"vcpus = 2\n"
		"kernel = \"/boot/vmlinuz\"\n"
		"ramdisk = '/boot/initrd.img'\n"
		"cmdline = \"console=ttyS0 4\"\n"
		"ip = [ \"10.0.0.5\", '10.0.0.6' ]\n"
		"netmask = \"255.255.255.0\"\n"
		"gateway = \"10.0.0.1\"\n"
		"vif = [ \"mac=AA:00:00:00:00:01, ip=10.0.0.7 fe80::7, "
		"rate=125000/100000\", \"\" ]\n"
		"disk = [ \"phy:cdrom,hdd,r\", \"file:/img,hda, rw\" ]\n"
		"accel = \"tcg\"\n"), 0);
	assert_string_equal(dom.name, "web1");
	assert_string_equal(dom.builder, "qemu");
	assert_int_equal(dom.memory, 128);
	assert_int_equal(dom.vcpus, 2);
	assert_string_equal(dom.kernel, "/boot/vmlinuz");
	assert_string_equal(dom.ramdisk, "/boot/initrd.img");
	assert_string_equal(dom.cmdline, "console=ttyS0 4");
	assert_int_equal(dom.n_ip, 2);
	assert_string_equal(dom.ip[1], "10.0.0.6");
	assert_string_equal(dom.netmask, "255.255.255.0");
	assert_string_equal(dom.gateway, "10.0.0.1");
	assert_true(dom.has_vifs);
	assert_int_equal(dom.n_vifs, 2);
	assert_string_equal(dom.vifs[0].mac, "aa:00:00:00:00:01");
	assert_int_equal(dom.vifs[0].n_ip, 2);
	assert_string_equal(dom.vifs[0].ip[1], "fe80::7");
	assert_true(dom.vifs[0].has_rate);
	assert_int_equal(dom.vifs[0].bytes, 125000);
	assert_int_equal(dom.vifs[0].usecs, 100000);
	assert_string_equal(dom.vifs[1].mac, "");
	assert_false(dom.vifs[1].has_rate);
	assert_int_equal(dom.n_vbds, 2);
	assert_string_equal(dom.vbds[0].uname, "phy:cdrom");
	assert_string_equal(dom.vbds[0].dev, "hdd");
	assert_int_equal(dom.vbds[0].mode, 'r');
	assert_string_equal(dom.vbds[1].uname, "file:/img");
	assert_int_equal(dom.vbds[1].mode, 'w');
	assert_string_equal(dom.accel, "tcg");
}

static void test_comments_blank_lines_semicolons_crlf(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"# a comment\n\n   \t\n"
		"name = \"d\"\r\n"
		"kernel = \"a#b\"   # '#' in a string is text\r\n"
		"builder = netns;  # a ';' may end a statement\n"
		"memory=32;\n"
		"   # indented comment\n"
		"cmdline = 'x'"), 0);	/* no newline at the end */
	assert_string_equal(dom.kernel, "a#b");
	assert_int_equal(dom.memory, 32);
	assert_string_equal(dom.cmdline, "x");
}

static void test_list_spans_lines(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE
		"ip = [\n"
		"  \"10.0.0.1\",   # first\n"
		"\n"
		"  10.0.0.2,\n"
		"  # a comment line inside\n"
		"  '10.0.0.3',\n"	/* trailing comma */
		"]\n"
		"disk = []\n"), 0);
	assert_int_equal(dom.n_ip, 3);
	assert_string_equal(dom.ip[0], "10.0.0.1");
	assert_string_equal(dom.ip[1], "10.0.0.2");
	assert_string_equal(dom.ip[2], "10.0.0.3");
	assert_int_equal(dom.n_vbds, 0);
}

static void test_escapes(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE
		"cmdline = \"a\\\"b\\\\c\\td\\ne\\$f\\'g\"\n"
		"kernel = 'it\\'s'\n"), 0);
	assert_string_equal(dom.cmdline, "a\"b\\c\td\ne$f'g");
	assert_string_equal(dom.kernel, "it's");
	fails(BASE "cmdline = \"a\\qb\"\n",
	      "t.cfg:3:13: unknown escape '\\q' (use '\\\\' for a backslash)");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	fails(BASE "memory 64\n", "t.cfg:3:8: expected '=' after 'memory'");
	fails(BASE "memory =\n",
	      "t.cfg:3:9: expected a value for 'memory' (a string, an integer "
	      "or a [list])");
	fails(BASE "kernel = \"/boot\n",
	      "t.cfg:3:10: unterminated string (expected a closing \" on the "
	      "same line)");
	fails(BASE "kernel = '/boot\n",
	      "t.cfg:3:10: unterminated string (expected a closing ' on the "
	      "same line)");
	fails(BASE "ip = [ \"10.0.0.1\",\n  \"10.0.0.2\"\n",
	      "t.cfg:3:6: unterminated list (expected ']')");
	fails(BASE "ip = [ [ \"10.0.0.1\" ] ]\n",
	      "t.cfg:3:8: nested lists are not supported");
	fails(BASE "ip = [ \"10.0.0.1\" \"10.0.0.2\" ]\n",
	      "t.cfg:3:19: expected ',' or ']' after a list item");
	fails(BASE "ip = [ , ]\n", "t.cfg:3:8: expected a list item or ']'");
	fails(BASE "memory = 64 65\n",
	      "t.cfg:3:13: expected the end of the line after the value of "
	      "'memory'");
	fails(BASE "kernel = \"a\" \"b\"\n",
	      "t.cfg:3:14: expected the end of the line after the value of "
	      "'kernel'");
	fails(BASE "  9lives = 1\n",
	      "t.cfg:3:3: expected a key name such as 'memory'");
	fails(BASE "= 1\n", "t.cfg:3:1: expected a key name such as 'memory'");
	fails(BASE "memory = 1\nmemory = 2\n",
	      "t.cfg:4:1: duplicate key 'memory' (first set at line 3)");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "name = \"d\"\nbuilder = \"ne\0tns\"\n";

	(void)state;
	assert_int_equal(config_parse("t.cfg", text, sizeof(text) - 1, NULL,
				      &dom, err, sizeof(err)), -22);
	assert_string_equal(err, "t.cfg:2:14: NUL byte in a config file");
}

/* ---- substitution ---- */

static void test_subst_everywhere(void **state)
{
	static const char *const d[] = { "a=x", "b=10", NULL };

	(void)state;
	assert_int_equal(parse_v(BASE
		"cmdline = \"[${a}] ${a}${a} ${b}\"\n"
		"kernel = '/boot/${a}'\n"
		"memory = ${b}\n"
		"ramdisk = pre${a}post\n"
		"ip = [ \"10.0.0.${b}\", 10.0.1.${b} ]\n", d), 0);
	assert_string_equal(dom.cmdline, "[x] xx 10");
	assert_string_equal(dom.kernel, "/boot/x");
	assert_int_equal(dom.memory, 10);
	assert_string_equal(dom.ramdisk, "prexpost");
	assert_string_equal(dom.ip[0], "10.0.0.10");
	assert_string_equal(dom.ip[1], "10.0.1.10");
}

static void test_subst_dollars(void **state)
{
	static const char *const d[] = { "a=x", NULL };

	(void)state;
	assert_int_equal(parse_v(BASE "cmdline = \"$$a $${a} $a $ ${a}$\"\n",
				 d), 0);
	assert_string_equal(dom.cmdline, "$a ${a} $a $ x$");
}

static void test_subst_default(void **state)
{
	static const char *const set[] = { "mem=72", NULL };
	static const char *const empty[] = { "mem=", NULL };
	static const char *const sp[] = { "k=", NULL };

	(void)state;
	/* unset: the default */
	assert_int_equal(parse(BASE "memory = ${mem:-64}\n"), 0);
	assert_int_equal(dom.memory, 64);
	/* set: the value */
	assert_int_equal(parse_v(BASE "memory = ${mem:-64}\n", set), 0);
	assert_int_equal(dom.memory, 72);
	/* set but empty: the default, as in the shell */
	assert_int_equal(parse_v(BASE "memory = ${mem:-64}\n", empty), 0);
	assert_int_equal(dom.memory, 64);
	/* an empty default; a default with spaces, commas and quotes */
	assert_int_equal(parse(BASE "netmask = \"${nm:-}\"\n"
			       "cmdline = ${c:-a b, \"c\"}\n"), 0);
	assert_string_equal(dom.netmask, "");
	assert_string_equal(dom.cmdline, "a b, \"c\"");
	/* ${k} set to "" is a value, not a missing variable */
	assert_int_equal(parse_v(BASE "kernel = \"${k}\"\n", sp), 0);
	assert_string_equal(dom.kernel, "");
}

static void test_subst_required(void **state)
{
	static const char *const d[] = { "ip=10.0.0.5", NULL };

	(void)state;
	fails(BASE "ip = \"${ip}\"\n",
	      "t.cfg:3:7: variable 'ip' is required: set it with -D ip=...");
	fails(BASE "memory = ${mem}\n",
	      "t.cfg:3:10: variable 'mem' is required: set it with -D mem=...");
	assert_int_equal(parse_v(BASE "ip = \"${ip}\"\n", d), 0);
	assert_string_equal(dom.ip[0], "10.0.0.5");
}

static void test_subst_errors(void **state)
{
	(void)state;
	fails(BASE "kernel = \"${}\"\n",
	      "t.cfg:3:13: expected a variable name after '${'");
	fails(BASE "kernel = \"${1a}\"\n",
	      "t.cfg:3:13: expected a variable name after '${'");
	fails(BASE "kernel = \"${a b}\"\n",
	      "t.cfg:3:14: expected '}' or ':-default' after '${a'");
	fails(BASE "kernel = ${a:-x\n",
	      "t.cfg:3:16: unterminated '${' (expected '}')");
	fails(BASE "kernel = ${a\n",
	      "t.cfg:3:13: expected '}' or ':-default' after '${a'");
}

static void test_vars_unused(void **state)
{
	static const char text[] = BASE "ip = \"${ip}\"\nmemory = ${mem:-64}\n";
	struct config_vars *v = config_vars_new();

	(void)state;
	assert_int_equal(config_vars_parse(v, "ip=10.0.0.1:mem=72:typo=1",
					   err, sizeof(err)), 0);
	assert_null(config_vars_unused(v, 3));
	assert_int_equal(config_parse("t.cfg", text, strlen(text), v, &dom,
				      err, sizeof(err)), 0);
	assert_string_equal(config_vars_unused(v, 0), "typo");
	assert_null(config_vars_unused(v, 1));
	config_vars_free(v);
}

/* ---- -D ---- */

static void test_vars_parse(void **state)
{
	struct config_vars *v = config_vars_new();

	(void)state;
	assert_int_equal(config_vars_parse(v, "ip=10.0.0.1,10.0.0.2", err,
					   sizeof(err)), 0);
	assert_string_equal(config_vars_get(v, "ip"), "10.0.0.1,10.0.0.2");
	assert_int_equal(config_vars_parse(v, "vmid=3:ip=:mem=72", err,
					   sizeof(err)), 0);
	assert_string_equal(config_vars_get(v, "vmid"), "3");
	assert_string_equal(config_vars_get(v, "ip"), "");	/* replaced */
	assert_string_equal(config_vars_get(v, "mem"), "72");
	/* a ':' splits only before `name=`: IPv6 and MACs keep theirs */
	assert_int_equal(config_vars_parse(v, "ip=fe80::1:2:mem=80", err,
					   sizeof(err)), 0);
	assert_string_equal(config_vars_get(v, "ip"), "fe80::1:2");
	assert_string_equal(config_vars_get(v, "mem"), "80");
	assert_int_equal(config_vars_parse(v, "x=a=b:c", err, sizeof(err)), 0);
	assert_string_equal(config_vars_get(v, "x"), "a=b:c");
	assert_null(config_vars_get(v, "nope"));

	assert_int_equal(config_vars_parse(v, "", err, sizeof(err)), -22);
	assert_string_equal(err, "bad -D argument '': expected "
			    "VAR=VALUE[:VAR=VALUE...]");
	assert_int_equal(config_vars_parse(v, "ip", err, sizeof(err)), -22);
	assert_int_equal(config_vars_parse(v, "=1", err, sizeof(err)), -22);
	assert_int_equal(config_vars_parse(v, "1x=1", err, sizeof(err)), -22);
	assert_int_equal(config_vars_parse(v, "a=1:", err, sizeof(err)), 0);
	assert_string_equal(config_vars_get(v, "a"), "1:");
	assert_int_equal(config_vars_set(v, "bad-name", "1"), -22);
	config_vars_free(v);
}

/* ---- keys ---- */

static void test_unknown_keys(void **state)
{
	(void)state;
	fails(BASE "memroy = 64\n",
	      "t.cfg:3:1: unknown key 'memroy' (did you mean 'memory'?)");
	fails(BASE "disks = []\n",
	      "t.cfg:3:1: unknown key 'disks' (did you mean 'disk'?)");
	fails(BASE "bootloader = 1\n", "t.cfg:3:1: unknown key 'bootloader'");
}

static void test_scalar_keys_refuse_lists(void **state)
{
	(void)state;
	fails(BASE "memory = [ 64 ]\n",
	      "t.cfg:3:10: 'memory' takes a single value, not a list");
	fails("name = [ 'a' ]\n",
	      "t.cfg:1:8: 'name' takes a single value, not a list");
}

static void test_memory_vcpus(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "memory = 1\nvcpus = 1\n"), 0);
	assert_int_equal(dom.memory, 1);
	assert_int_equal(parse(BASE "memory = \"1048576\"\nvcpus = 64\n"), 0);
	assert_int_equal(dom.memory, 1048576);
	assert_int_equal(dom.vcpus, 64);
	/* xend's bounds: xc_dom_create used to take 255 vcpus */
	fails(BASE "vcpus = 100\n",
	      "t.cfg:3:9: 'vcpus' must be between 1 and 64, not 100");
	fails(BASE "memory = 0\n",
	      "t.cfg:3:10: 'memory' must be between 1 and 1048576 (MB), not 0");
	fails(BASE "memory = -5\n",
	      "t.cfg:3:10: 'memory' must be between 1 and 1048576 (MB), not -5");
	fails(BASE "memory = 64M\n",
	      "t.cfg:3:10: 'memory' must be an integer (MB), not '64M'");
	fails(BASE "memory = \"\"\n",
	      "t.cfg:3:10: 'memory' must be an integer (MB), not ''");
	fails(BASE "memory = 99999999999999999999\n",
	      "t.cfg:3:10: 'memory' must be an integer (MB), not "
	      "'99999999999999999999'");
	fails(BASE "vcpus = 0\n",
	      "t.cfg:3:9: 'vcpus' must be between 1 and 64, not 0");
}

static void test_choices(void **state)
{
	(void)state;
	assert_int_equal(parse("name = d\nbuilder = qemu\nkernel = /k\n"
			       "accel = kvm\n"), 0);
	assert_string_equal(dom.builder, "qemu");
	assert_string_equal(dom.accel, "kvm");
	fails("name = d\nbuilder = xen\n",
	      "t.cfg:2:11: 'builder' must be 'netns', 'qemu' or 'external', not 'xen'");
	fails(BASE "accel = hvf\n",
	      "t.cfg:3:9: 'accel' must be 'auto', 'kvm' or 'tcg', not 'hvf'");
}

static void test_name_and_required_keys(void **state)
{
	(void)state;
	assert_int_equal(parse("name = a.b-c_d+1\nbuilder = netns\n"), 0);
	fails("builder = netns\n",
	      "t.cfg: missing key 'name' (the domain's name)");
	fails("name = \"\"\nbuilder = netns\n",
	      "t.cfg:1:8: 'name' must not be empty");
	fails("name = \"a b\"\nbuilder = netns\n",
	      "t.cfg:1:8: 'name' may hold letters, digits and '_.+-' only, "
	      "not 'a b'");
	fails("name = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaa\nbuilder = netns\n",
	      "t.cfg:1:8: 'name' is longer than 63 bytes");
	/* qemu is the default builder, and it needs a kernel */
	fails("name = d\n", "t.cfg: the qemu builder needs a 'kernel'");
	assert_int_equal(parse("name = d\nkernel = /boot/vmlinuz\n"), 0);
	assert_string_equal(dom.builder, "qemu");
}

static void test_ip_forms(void **state)
{
	static const char *const d[] = { "ip=10.0.0.1,10.0.0.2", NULL };

	(void)state;
	/* the seed's comma-separated -D ip=a,b in a string */
	assert_int_equal(parse_v(BASE "ip = \"${ip}\"\n", d), 0);
	assert_int_equal(dom.n_ip, 2);
	assert_string_equal(dom.ip[1], "10.0.0.2");
	/* spaces; list items holding several; IPv6 */
	assert_int_equal(parse(BASE "ip = [ \"10.0.0.1 10.0.0.2\", "
			       "\"2001:db8::1,10.0.0.3\" ]\n"), 0);
	assert_int_equal(dom.n_ip, 4);
	assert_string_equal(dom.ip[2], "2001:db8::1");
	/* empty: no addresses */
	assert_int_equal(parse(BASE "ip = \"\"\n"), 0);
	assert_int_equal(dom.n_ip, 0);
	fails(BASE "ip = \"10.0.0.300\"\n",
	      "t.cfg:3:6: bad IP address '10.0.0.300'");
	fails(BASE "ip = [ \"10.0.0.1\",\n  \"10.0.0.1,host.example\" ]\n",
	      "t.cfg:4:3: bad IP address 'host.example'");
}

static void test_netmask_gateway(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "netmask = 255.255.0.0\n"
			       "gateway = 10.0.0.1\n"), 0);
	assert_string_equal(dom.netmask, "255.255.0.0");
	assert_int_equal(parse(BASE "netmask = \"\"\ngateway = ''\n"), 0);
	assert_string_equal(dom.gateway, "");
	fails(BASE "netmask = 255.0.255.0\n",
	      "t.cfg:3:11: bad netmask '255.0.255.0' (expected a dotted IPv4 "
	      "mask such as 255.255.255.0)");
	fails(BASE "netmask = 24\n",
	      "t.cfg:3:11: bad netmask '24' (expected a dotted IPv4 mask such "
	      "as 255.255.255.0)");
	fails(BASE "gateway = fe80::1\n",
	      "t.cfg:3:11: bad gateway 'fe80::1' (expected an IPv4 address)");
}

static void test_vifs(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "vif = \"ip=10.0.0.9, mac=02:00:00:00:00:"
			       "0a,\"\n"), 0);	/* a string: one vif */
	assert_int_equal(dom.n_vifs, 1);
	assert_string_equal(dom.vifs[0].mac, "02:00:00:00:00:0a");
	assert_string_equal(dom.vifs[0].ip[0], "10.0.0.9");
	/* xend needs vif 0 for the link-local address: said here too */
	fails(BASE "vif = []\n",
	      "t.cfg:3:7: 'vif' must list 1 to 8 vifs (vif 0 carries the "
	      "domain's link-local address)");
	fails(BASE "vif = [ 'rate=1099511627777/1' ]\n",
	      "t.cfg:3:9: rate '1099511627777/1' out of range (at most "
	      "1099511627776 bytes every 1000000000 us)");
	/* the rest of xend's rules, worded as xend words them */
	fails(BASE "vif = [ 'ip=169.254.1.7' ]\n",
	      "t.cfg: field 'config.vifs[0].ip[0]': 169.254.1.7 is reserved "
	      "for domain 7's first vif");
	fails(BASE "vif = [ 'mac=02:00:00:00:00:01', 'mac=02:00:00:00:00:01' ]\n",
	      "t.cfg:3:34: vif 1 has the MAC 02:00:00:00:00:01 of vif 0");
	assert_int_equal(parse(BASE "vif = [ 'rate=0/0' ]\n"), 0);
	assert_true(dom.vifs[0].has_rate);
	assert_false(dom.vifs[0].dhcp_server);
	assert_int_equal(parse(BASE "vif = [ 'dhcp_server=yes' ]\n"), 0);
	assert_true(dom.vifs[0].dhcp_server);
	fails(BASE "vif = [ \"dhcp_server=maybe\" ]\n",
	      "t.cfg:3:9: bad dhcp_server 'maybe' (expected yes or no)");

	fails(BASE "vif = [ \"mac=01:00:00:00:00:01\" ]\n",
	      "t.cfg:3:9: MAC address '01:00:00:00:00:01' is multicast: a vif "
	      "needs a unicast MAC");
	fails(BASE "vif = [ \"mac=00:00:00:00:00:00\" ]\n",
	      "t.cfg:3:9: MAC address '00:00:00:00:00:00' is all zeros");
	fails(BASE "vif = [ \"mac=aa:00:00:00:00\" ]\n",
	      "t.cfg:3:9: bad MAC address 'aa:00:00:00:00'");
	fails(BASE "vif = [ \"mac=aa:00:00:00:00:0g\" ]\n",
	      "t.cfg:3:9: bad MAC address 'aa:00:00:00:00:0g'");
	fails(BASE "vif = [ \"mac=aa:00:00:00:00:01:02\" ]\n",
	      "t.cfg:3:9: bad MAC address 'aa:00:00:00:00:01:02'");
	fails(BASE "vif = [ \"bridge=br0\" ]\n",
	      "t.cfg:3:9: unknown vif setting 'bridge' (expected mac, ip, "
	      "rate, dhcp_server, backend, socket or offload)");
	fails(BASE "vif = [ \"backend=macvtap\" ]\n",
	      "t.cfg:3:9: bad backend 'macvtap' (expected tap or vhost-user)");
	fails(BASE "vif = [ \"socket=rel.sock\" ]\n",
	      "t.cfg:3:9: bad socket 'rel.sock' (expected an absolute path of "
	      "at most 107 bytes)");
	fails(BASE "vif = [ \"10.0.0.1\" ]\n",
	      "t.cfg:3:9: bad vif setting '10.0.0.1' (expected mac=, ip=, "
	      "rate=, dhcp_server=, backend=, socket= or offload=)");
	fails(BASE "vif = [ \"rate=100\" ]\n",
	      "t.cfg:3:9: bad rate '100' (expected BYTES/USECS, e.g. "
	      "rate=125000/100000)");
	fails(BASE "vif = [ \"rate=1/-2\" ]\n",
	      "t.cfg:3:9: bad rate '1/-2' (expected BYTES/USECS, e.g. "
	      "rate=125000/100000)");
	fails(BASE "vif = [ \"ip=10.0.0.1 10.0.0.256\" ]\n",
	      "t.cfg:3:9: bad IP address '10.0.0.256'");
	fails(BASE "vif = [ 'mac=aa:00:00:00:00:01', 'mac=AA:00:00:00:00:01' ]\n",
	      "t.cfg:3:34: vif 1 has the MAC aa:00:00:00:00:01 of vif 0");
}

static void test_disks(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "vbd = \"phy:sda3,hda1,ro\"\n"), 0);
	assert_int_equal(dom.n_vbds, 1);
	assert_int_equal(dom.vbds[0].mode, 'r');
	assert_int_equal(parse(BASE "disk = [ ' phy:sda3 , hda1 , w ' ]\n"), 0);
	assert_string_equal(dom.vbds[0].uname, "phy:sda3");
	assert_string_equal(dom.vbds[0].dev, "hda1");
	assert_int_equal(dom.vbds[0].mode, 'w');
	fails(BASE "disk = [ \"phy:cdrom,hdd,x\" ]\n",
	      "t.cfg:3:10: bad disk 'phy:cdrom,hdd,x' (expected 'uname,dev,"
	      "mode' with mode r or w, e.g. 'phy:cdrom,hdd,r')");
	fails(BASE "disk = [ \"phy:cdrom,hdd\" ]\n",
	      "t.cfg:3:10: bad disk 'phy:cdrom,hdd' (expected 'uname,dev,"
	      "mode' with mode r or w, e.g. 'phy:cdrom,hdd,r')");
	fails(BASE "disk = [ \"cdrom,hdd,r\" ]\n",
	      "t.cfg:3:10: bad disk 'cdrom,hdd,r' (expected 'uname,dev,"
	      "mode' with mode r or w, e.g. 'phy:cdrom,hdd,r')");
	fails(BASE "disk = [ \"phy:a,hdd,r,x\" ]\n",
	      "t.cfg:3:10: bad disk 'phy:a,hdd,r,x' (expected 'uname,dev,"
	      "mode' with mode r or w, e.g. 'phy:cdrom,hdd,r')");
	fails(BASE "disk = [ 'phy:a,hdd,r', 'phy:b,hdd,w' ]\n",
	      "t.cfg:3:25: device 'hdd' is given twice");
	fails(BASE "disk = []\nvbd = []\n",
	      "t.cfg:4:1: 'disk' and 'vbd' are the same key: give only one");
}

/* ---- variables of a file, for -h ---- */

static void test_list_vars(void **state)
{
	static const char text[] =
		"name = \"${name:-xenolinux}\"   # Domain name\n"
		"ip = \"${ip}\"                  # IP address(es)\n"
		"memory = ${mem:-64}\n"
		"cmdline = \"${ip:-none} ${x:-} ${mem:-32}\"  # not first\n"
		"kernel = ${k:-/boot/a} # Kernel\n";
	struct config_var_list l;

	(void)state;
	assert_int_equal(config_list_vars("t.cfg", text, strlen(text), &l,
					  err, sizeof(err)), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].name, "name");
	assert_string_equal(l.v[0].def, "xenolinux");
	assert_string_equal(l.v[0].doc, "Domain name");
	assert_string_equal(l.v[1].name, "ip");
	assert_null(l.v[1].def);	/* required, though a later use has a default */
	assert_string_equal(l.v[1].doc, "IP address(es)");
	assert_int_equal(l.v[1].line, 2);
	assert_string_equal(l.v[2].name, "mem");
	assert_string_equal(l.v[2].def, "64");	/* the first default */
	assert_string_equal(l.v[2].doc, "not first");
	assert_string_equal(l.v[3].name, "x");
	assert_string_equal(l.v[3].def, "");
	assert_string_equal(l.v[4].doc, "Kernel");
	config_var_list_free(&l);

	/* keys are not checked, the syntax is */
	assert_int_equal(config_list_vars("t.cfg", "bogus = ${a}\n", 13, &l,
					  err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	config_var_list_free(&l);
	assert_int_equal(config_list_vars("t.cfg", "a = \"${b\n", 9, &l, err,
					  sizeof(err)), -22);
	assert_string_equal(err, "t.cfg:1:9: expected '}' or ':-default' "
			    "after '${b'");
	config_var_list_free(&l);
}

/* The shipped defaults file parses, needs ip, and lists its variables. */
static void test_shipped_defaults(void **state)
{
	static const char *const d[] = { "ip=10.0.0.5,10.0.0.6:mem=100", NULL };
	struct config_var_list l;
	char *text;
	size_t len;

	(void)state;
	if (config_read_file("etc/xc/defaults", &text, &len, err,
			     sizeof(err))) {
		skip();
		return;
	}
	assert_int_equal(parse_v(text, NULL), -22);
	assert_non_null(strstr(err, "variable 'ip' is required"));
	assert_int_equal(parse_v(text, d), 0);
	assert_string_equal(dom.builder, "qemu");
	assert_int_equal(dom.memory, 100);
	assert_int_equal(dom.n_ip, 2);
	assert_int_equal(dom.n_vbds, 0);
	assert_string_equal(dom.kernel, "@GUESTDIR@/vmlinuz");
	assert_int_equal(config_list_vars("defaults", text, len, &l, err,
					  sizeof(err)), 0);
	assert_true(l.n >= 4);
	config_var_list_free(&l);
	free(text);
}

/* ---- output ---- */

static void test_json(void **state)
{
	json_object *o, *v;

	(void)state;
	assert_int_equal(parse(BASE "ip = 10.0.0.1\nmemory = 72\n"
			       "disk = [ 'phy:cdrom,hdd,ro' ]\n"), 0);
	o = config_domain_to_json(&dom);
	assert_string_equal(json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		"{\"name\":\"d\",\"builder\":\"netns\",\"memory\":72,"
		"\"vcpus\":1,\"kernel\":\"\",\"ramdisk\":\"\",\"cmdline\":\"\","
		"\"ip\":[\"10.0.0.1\"],\"vbds\":[{\"uname\":\"phy:cdrom\","
		"\"dev\":\"hdd\",\"mode\":\"r\"}],\"accel\":\"auto\"}");
	json_object_put(o);

	/* vifs only when given; netmask and gateway only when set */
	assert_int_equal(parse(BASE "vif = [ 'rate=10/20' ]\n"
			       "gateway = 10.0.0.1\n"), 0);
	o = config_domain_to_json(&dom);
	assert_true(json_object_object_get_ex(o, "vifs", &v));
	assert_string_equal(json_object_to_json_string_ext(v,
		JSON_C_TO_STRING_PLAIN),
		"[{\"mac\":\"\",\"ip\":[],\"bytes\":10,\"usecs\":20}]");
	assert_true(json_object_object_get_ex(o, "gateway", NULL));
	assert_false(json_object_object_get_ex(o, "netmask", NULL));
	json_object_put(o);
}

static char *dry_run(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	config_print_dry_run(f, "defaults", &dom);
	fclose(f);
	return buf;
}

static void test_dry_run(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(parse("name = xenolinux\nbuilder = netns\n"
			       "kernel = /boot/xenolinux.gz\n"
			       "ramdisk = /boot/initrd.gz\nmemory = 100\n"
			       "ip = '169.254.1.1,10.0.0.5'\n"
			       "disk = [ 'phy:cdrom,hdd,r' ]\n"
			       "cmdline = 'root=/dev/ram0 rw init=/linuxrc 4'\n"),
			 0);
	out = dry_run();
	assert_string_equal(out,
		"Parsing config file 'defaults'\n"
		"\n"
		"VM image           : \"/boot/xenolinux.gz\"\n"
		"VM ramdisk         : \"/boot/initrd.gz\"\n"
		"VM memory (MB)     : \"100\"\n"
		"VM IP address(es)  : \"169.254.1.1,10.0.0.5\"\n"
		"VM block device(s) : \"phy:cdrom,hdd,r\"\n"
		"VM cmdline         : \"root=/dev/ram0 rw init=/linuxrc 4\"\n"
		"VM name            : \"xenolinux\"\n"
		"VM builder         : \"netns\"\n"
		"VM vcpus           : \"1\"\n"
		"VM accel           : \"auto\"\n"
		"VM vif 0           : \"mac=auto, ip=169.254.1.1 10.0.0.5, "
		"rate=unlimited\"\n");
	free(out);

	/* explicit vifs: the top-level ip joins vif 0 */
	assert_int_equal(parse(BASE "ip = 10.0.0.1\n"
			       "netmask = 255.0.0.0\n"
			       "vif = [ 'ip=10.0.0.2', "
			       "'mac=aa:00:00:00:00:02, rate=1000/10' ]\n"), 0);
	out = dry_run();
	assert_non_null(strstr(out, "VM netmask         : \"255.0.0.0\"\n"));
	assert_non_null(strstr(out, "VM vif 0           : \"mac=auto, "
			       "ip=10.0.0.1 10.0.0.2, rate=unlimited\"\n"));
	assert_non_null(strstr(out, "VM vif 1           : \"mac=aa:00:00:00:"
			       "00:02, ip=, rate=1000/10\"\n"));
	free(out);
}

static void test_read_file(void **state)
{
	char *text = (char *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(config_read_file("/nonexistent/xc", &text, &len, err,
					  sizeof(err)), -2);
	assert_string_equal(err, "cannot read /nonexistent/xc: No such file "
			    "or directory");
	assert_null(text);
	assert_int_equal(config_read_file("/", &text, &len, err,
					  sizeof(err)), -21);
}

static void test_value_checks(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(config_check_ip("10.0.0.1"));
	assert_true(config_check_ip("::1"));
	assert_false(config_check_ip("10.0.0.300"));
	assert_false(config_check_ip(""));
	assert_int_equal(config_parse_mode("r"), 'r');
	assert_int_equal(config_parse_mode("rw"), 'w');
	assert_int_equal(config_parse_mode("rx"), 0);
	assert_true(config_check_uname("phy:sda3"));
	assert_false(config_check_uname("phy:"));
	assert_false(config_check_uname(":sda"));
	assert_false(config_check_uname("sda"));
	assert_int_equal(config_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(config_parse_u64("18446744073709551616", &v), -22);
	assert_int_equal(config_parse_u64("-1", &v), -22);
	assert_int_equal(config_parse_u64("+1", &v), -22);
	assert_int_equal(config_parse_u64("1 ", &v), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_minimal_defaults, teardown),
		cmocka_unit_test_teardown(test_every_key, teardown),
		cmocka_unit_test_teardown(test_comments_blank_lines_semicolons_crlf,
					  teardown),
		cmocka_unit_test_teardown(test_list_spans_lines, teardown),
		cmocka_unit_test_teardown(test_escapes, teardown),
		cmocka_unit_test_teardown(test_syntax_errors, teardown),
		cmocka_unit_test_teardown(test_nul_byte, teardown),
		cmocka_unit_test_teardown(test_subst_everywhere, teardown),
		cmocka_unit_test_teardown(test_subst_dollars, teardown),
		cmocka_unit_test_teardown(test_subst_default, teardown),
		cmocka_unit_test_teardown(test_subst_required, teardown),
		cmocka_unit_test_teardown(test_subst_errors, teardown),
		cmocka_unit_test_teardown(test_vars_unused, teardown),
		cmocka_unit_test(test_vars_parse),
		cmocka_unit_test_teardown(test_unknown_keys, teardown),
		cmocka_unit_test_teardown(test_scalar_keys_refuse_lists,
					  teardown),
		cmocka_unit_test_teardown(test_memory_vcpus, teardown),
		cmocka_unit_test_teardown(test_choices, teardown),
		cmocka_unit_test_teardown(test_name_and_required_keys, teardown),
		cmocka_unit_test_teardown(test_ip_forms, teardown),
		cmocka_unit_test_teardown(test_netmask_gateway, teardown),
		cmocka_unit_test_teardown(test_vifs, teardown),
		cmocka_unit_test_teardown(test_disks, teardown),
		cmocka_unit_test(test_list_vars),
		cmocka_unit_test_teardown(test_shipped_defaults, teardown),
		cmocka_unit_test_teardown(test_json, teardown),
		cmocka_unit_test_teardown(test_dry_run, teardown),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_value_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

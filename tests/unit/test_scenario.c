// SPDX-License-Identifier: GPL-2.0-or-later
/* test_scenario.c - unit tests of the scenario parser (scenario.c)
 *
 * A good file turns into the expected struct scn; every malformed line
 * gets one error line naming it ("t:LINE: error: ...") and no scenario.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scenario.h"

/* Parse @text (named "t", in= relative to @dir) from a heap copy of its
 * exact length, so ASan catches a read past the end. */
static int parse_dir(const char *text, const char *dir, struct scn **sc,
		     char *err, size_t errlen)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);	/* the parser gets @len bytes only */
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len + 1);
	ret = scn_parse(copy, len, "t", dir, sc, err, errlen);
	free(copy);
	return ret;
}

static struct scn *parse_ok(const char *text)
{
	char err[SCN_ERR_MAX];
	struct scn *sc;
	int ret = parse_dir(text, "/d", &sc, err, sizeof(err));

	if (ret)
		fail_msg("unexpected error: %s", err);
	assert_non_null(sc);
	return sc;
}

/* @text must fail at @line (0: the file as a whole) with @msg in the
 * error, in one line. */
static void parse_bad(const char *text, unsigned line, const char *msg)
{
	char err[SCN_ERR_MAX], where[32];
	struct scn *sc = (struct scn *)1;
	int ret = parse_dir(text, "/d", &sc, err, sizeof(err));

	if (line)
		snprintf(where, sizeof(where), "t:%u: error: ", line);
	else
		snprintf(where, sizeof(where), "t: error: ");
	if (ret != -EINVAL || strncmp(err, where, strlen(where)) ||
	    !strstr(err, msg) || strchr(err, '\n'))
		fail_msg("input:\n%s\nwant '%s...%s', got %d '%s'", text,
			 where, msg, ret, err);
	assert_null(sc);
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* The example of docs/pcap-scenarios.md, and then some. */
static void test_good_file(void **state)
{
	static const uint8_t dom0_mac[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t vif1_mac[6] = { 0xaa, 0, 0, 0, 0, 1 };
	struct in6_addr v6;
	const struct scn_port *p;
	struct scn *sc;

	(void)state;
	sc = parse_ok(
		"# dom0 and a domain ARP for link-local addresses\n"
		"isolate 169.254.0.0/16\n"
		"isolate fd00::/8 10.1.2.3\t# a host prefix\n"
		"\n"
		"port dom0 kind=dom0 mac=02:00:00:00:00:01 ip=169.254.1.0,192.168.0.1 in=dom0.pcap\n"
		"  port wire kind=wire in=/abs/wire.pcap   \n"
		"port vif1 kind=vif dom=1 vif=0 mac=aa:00:00:00:00:01 ip=169.254.1.1,10.0.0.5 in=vif1.pcap tx_limit=125000/100000\n"
		"port vif2 kind=vif dom=2 vif=7 ip=169.254.1.2,2001:db8::2 ip=10.0.0.6 rx_limit=1500/1000/10\n"
		"port a kind=vif dom=4294967295 in=x#y.pcap");

	assert_true(sc->isolate_set);
	assert_int_equal(sc->niso, 3);
	assert_int_equal(sc->iso[0].family, AF_INET);
	assert_int_equal(sc->iso[0].plen, 16);
	assert_int_equal(sc->iso[0].v4.s_addr, ip4("169.254.0.0").s_addr);
	assert_int_equal(sc->iso[1].family, AF_INET6);
	assert_int_equal(sc->iso[1].plen, 8);
	v6 = ip6("fd00::");
	assert_memory_equal(&sc->iso[1].v6, &v6, sizeof(v6));
	assert_int_equal(sc->iso[2].plen, 32);
	assert_string_equal(sc->name, "t");

	assert_int_equal(sc->nports, 5);
	p = &sc->ports[0];
	assert_string_equal(p->name, "dom0");
	assert_int_equal(p->line, 5);
	assert_true(p->has_kind && p->has_mac && !p->has_dom && !p->has_vif);
	assert_int_equal(p->kind, VS_PORT_DOM0);
	assert_memory_equal(p->mac, dom0_mac, 6);
	assert_int_equal(p->n4, 2);
	assert_int_equal(p->n6, 0);
	assert_int_equal(p->a4[0].s_addr, ip4("169.254.1.0").s_addr);
	assert_int_equal(p->a4[1].s_addr, ip4("192.168.0.1").s_addr);
	assert_string_equal(p->in, "/d/dom0.pcap");
	assert_false(p->tx.set || p->rx.set);

	p = &sc->ports[1];
	assert_string_equal(p->name, "wire");
	assert_int_equal(p->line, 6);
	assert_int_equal(p->kind, VS_PORT_WIRE);
	assert_false(p->has_mac);
	assert_string_equal(p->in, "/abs/wire.pcap");

	p = &sc->ports[2];
	assert_int_equal(p->kind, VS_PORT_VIF);
	assert_true(p->has_dom && p->has_vif);
	assert_int_equal(p->domid, 1);
	assert_int_equal(p->vifidx, 0);
	assert_memory_equal(p->mac, vif1_mac, 6);
	assert_true(p->tx.set && !p->rx.set);
	assert_int_equal(p->tx.bytes, 125000);
	assert_int_equal(p->tx.usecs, 100000);
	assert_int_equal(p->tx.packets, 0);

	p = &sc->ports[3];
	assert_int_equal(p->domid, 2);
	assert_int_equal(p->vifidx, 7);
	assert_false(p->has_mac);
	assert_int_equal(p->n4, 2);	/* ip= may be repeated */
	assert_int_equal(p->a4[1].s_addr, ip4("10.0.0.6").s_addr);
	assert_int_equal(p->n6, 1);
	v6 = ip6("2001:db8::2");
	assert_memory_equal(&p->a6[0], &v6, sizeof(v6));
	assert_string_equal(p->in, "");
	assert_true(p->rx.set && !p->tx.set);
	assert_int_equal(p->rx.bytes, 1500);
	assert_int_equal(p->rx.usecs, 1000);
	assert_int_equal(p->rx.packets, 10);

	/* '#' inside a token is not a comment; the last line has no '\n' */
	p = &sc->ports[4];
	assert_string_equal(p->name, "a");
	assert_int_equal(p->domid, UINT32_MAX);
	assert_string_equal(p->in, "/d/x#y.pcap");
	scn_free(sc);
}

static void test_defaults_and_forms(void **state)
{
	char err[SCN_ERR_MAX];
	struct scn *sc;

	(void)state;
	/* No isolate line: the switch's default stays. */
	sc = parse_ok("port w kind=wire\n");
	assert_false(sc->isolate_set);
	assert_int_equal(sc->niso, 0);
	scn_free(sc);

	/* isolate none, then a line that adds to it */
	sc = parse_ok("isolate none\nport w kind=wire\n");
	assert_true(sc->isolate_set);
	assert_int_equal(sc->niso, 0);
	scn_free(sc);
	sc = parse_ok("isolate 10.0.0.0/8\nisolate none\nisolate ::/0\n"
		      "port w kind=wire\n");
	assert_int_equal(sc->niso, 1);
	assert_int_equal(sc->iso[0].family, AF_INET6);
	assert_int_equal(sc->iso[0].plen, 0);
	scn_free(sc);

	/* CRLF, blanks and tabs; dom0 may say dom=0 vif=0 */
	sc = parse_ok("port d\tkind=dom0  dom=0 vif=0\r\n\r\n"
		      "port v kind=vif dom=3 tx_limit=0/0 # unlimited\r\n");
	assert_int_equal(sc->nports, 2);
	assert_int_equal(sc->ports[0].kind, VS_PORT_DOM0);
	assert_true(sc->ports[1].tx.set);
	assert_int_equal(sc->ports[1].tx.bytes, 0);
	scn_free(sc);

	/* Without a directory, in= stays as written. */
	assert_int_equal(parse_dir("port v kind=vif dom=1 in=a/b.pcap", NULL,
				   &sc, err, sizeof(err)), 0);
	assert_string_equal(sc->ports[0].in, "a/b.pcap");
	scn_free(sc);

	/* The most of everything is accepted. */
	sc = parse_ok("isolate 1.0.0.0/8 2.0.0.0/8 3.0.0.0/8 4.0.0.0/8 "
		      "5.0.0.0/8 6.0.0.0/8 7.0.0.0/8 8.0.0.0/8\n"
		      "port w kind=wire\n");
	assert_int_equal(sc->niso, VS_ISOLATED_MAX);
	scn_free(sc);
	scn_free(NULL);
}

struct bad {
	const char *line;	/* the bad line; it goes at line 3 */
	const char *msg;
};

static const struct bad bad_lines[] = {
	{ "bridge br0", "unknown directive 'bridge'" },
	{ "Port v kind=wire", "unknown directive 'Port'" },
	{ "isolate", "'isolate' needs prefixes or 'none'" },
	{ "isolate # nothing", "'isolate' needs" },
	{ "isolate none 10.0.0.0/8", "'isolate none' takes nothing" },
	{ "isolate 169.254.0.0/33", "bad prefix '169.254.0.0/33'" },
	{ "isolate fd00::/129", "bad prefix" },
	{ "isolate 10.0.0.0/", "bad prefix" },
	{ "isolate 10.0.0.0/x", "bad prefix" },
	{ "isolate 10.0.0.0/+8", "bad prefix" },
	{ "isolate 10.0.0.0/8/8", "bad prefix" },
	{ "isolate 10.0.0", "bad prefix" },
	{ "isolate 1.0.0.0/8 2.0.0.0/8 3.0.0.0/8 4.0.0.0/8 5.0.0.0/8 "
	  "6.0.0.0/8 7.0.0.0/8 8.0.0.0/8 9.0.0.0/8",
	  "more than 8 isolated prefixes" },
	{ "port", "'port' needs a name first" },
	{ "port kind=wire", "'port' needs a name first" },
	{ "port bad/name kind=wire", "bad port name 'bad/name'" },
	{ "port .x kind=wire", "bad port name" },
	{ "port a#b kind=wire", "bad port name 'a#b'" },
	{ "port -x kind=wire", "bad port name" },
	{ "port aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa kind=wire", "bad port name" },
	{ "port g kind=wire", "port g already defined at line 2" },
	{ "port v kind=vif dom=1 junk", "port v: expected key=value, got 'junk'" },
	{ "port v kind=vif dom=1 foo=bar", "port v: unknown key 'foo'" },
	{ "port v kind=vif dom=1 =1", "unknown key ''" },
	{ "port v kind=router dom=1", "kind must be dom0, wire or vif, not 'router'" },
	{ "port v kind= dom=1", "kind must be" },
	{ "port v kind=vif dom=x", "port v: bad dom 'x'" },
	{ "port v kind=vif dom=-1", "bad dom '-1'" },
	{ "port v kind=vif dom=4294967296", "bad dom" },
	{ "port v kind=vif dom=99999999999999999999999", "bad dom" },
	{ "port v kind=vif dom=1 vif=", "bad vif ''" },
	{ "port v kind=vif dom=1 vif=1x", "bad vif" },
	{ "port v kind=vif dom=1 mac=zz:00:00:00:00:01", "bad mac" },
	{ "port v kind=vif dom=1 mac=01:00:00:00:00:01", "bad mac" },
	{ "port v kind=vif dom=1 mac=aa:00:00:00:00", "bad mac" },
	{ "port v kind=vif dom=1 mac=aa:00:00:00:00:011", "bad mac" },
	{ "port v kind=vif dom=1 ip=10.0.0.300", "port v: bad address '10.0.0.300'" },
	{ "port v kind=vif dom=1 ip=10.0.0.1,,x", "bad address 'x'" },
	{ "port v kind=vif dom=1 ip=10.0.0.0/24", "bad address" },
	{ "port v kind=vif dom=1 in=", "port v: empty in=" },
	{ "port v kind=vif dom=1 tx_limit=100", "bad tx_limit '100'" },
	{ "port v kind=vif dom=1 tx_limit=1//2", "bad tx_limit" },
	{ "port v kind=vif dom=1 tx_limit=/1/2", "bad tx_limit" },
	{ "port v kind=vif dom=1 tx_limit=1/2/3/4", "bad tx_limit" },
	{ "port v kind=vif dom=1 tx_limit=1/2/", "bad tx_limit" },
	{ "port v kind=vif dom=1 rx_limit=1/x", "bad rx_limit '1/x'" },
	{ "port v kind=vif dom=1 rx_limit=18446744073709551616/1", "bad rx_limit" },
	{ "port v dom=1", "port v: missing kind=dom0|wire|vif" },
	{ "port v kind=vif", "port v: a vif needs dom=N with N >= 1" },
	{ "port v kind=vif dom=0", "a vif needs dom=N" },
	{ "port v kind=dom0 dom=1", "port v: dom0 is dom=0 vif=0" },
	{ "port v kind=dom0 vif=2", "dom0 is dom=0 vif=0" },
	{ "port v kind=wire dom=0", "port v: the wire takes no dom, vif, mac or ip" },
	{ "port v kind=wire vif=0", "the wire takes no" },
	{ "port v kind=wire mac=02:00:00:00:00:01", "the wire takes no" },
	{ "port v kind=wire ip=fe80::1", "the wire takes no" },
};

/* Every bad line, as line 3 after a comment and a good port. */
static void test_bad_lines(void **state)
{
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		snprintf(text, sizeof(text), "# ok\nport g kind=wire\n%s\nport z kind=vif dom=9\n",
			 bad_lines[i].line);
		parse_bad(text, 3, bad_lines[i].msg);
		/* and as the only line, without a '\n' */
		if (!strstr(bad_lines[i].msg, "already defined"))
			parse_bad(bad_lines[i].line, 1, bad_lines[i].msg);
	}
}

/* Limits that need long lines: ports, addresses, path length. */
static void test_bad_counts(void **state)
{
	size_t cap = 2 * 1024 * 1024, n = 0;
	char *text = malloc(cap);
	unsigned i;

	(void)state;
	assert_non_null(text);

	for (i = 0; i < VS_PORTS_MAX + 1; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "port v%u kind=vif dom=%u\n", i, i + 1);
	parse_bad(text, VS_PORTS_MAX + 1, "more than 256 ports");
	/* one fewer is fine */
	text[n - strlen("port v256 kind=vif dom=257\n")] = '\0';
	scn_free(parse_ok(text));

	n = (size_t)snprintf(text, cap, "\nport v kind=vif dom=1 ip=10.0.0.0");
	for (i = 1; i <= VS_ADDRS_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, ",10.0.0.%u", i);
	parse_bad(text, 2, "port v: more than 64 IPv4 addresses");

	n = (size_t)snprintf(text, cap, "\nport v kind=vif dom=1 ip=fd::0");
	for (i = 1; i <= VS_ADDRS_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, " ip=fd::%x", i);
	parse_bad(text, 2, "port v: more than 64 IPv6 addresses");

	n = (size_t)snprintf(text, cap, "port v kind=vif dom=1 in=");
	memset(text + n, 'a', PATH_MAX);
	text[n + PATH_MAX] = '\0';
	parse_bad(text, 1, "port v: in= path too long");
	free(text);
}

static void test_file_errors(void **state)
{
	static const char nul[] = "port a kind=wire\nport b\0 kind=vif\n";
	char err[SCN_ERR_MAX], small[12];
	struct scn *sc;

	(void)state;
	parse_bad("", 0, "no ports");
	parse_bad("# nothing\n\n  \t\n", 0, "no ports");
	parse_bad("isolate none\n", 0, "no ports");

	/* A NUL byte is an error, not the end of the line or the file. */
	assert_int_equal(scn_parse(nul, sizeof(nul) - 1, "t", NULL, &sc, err,
				   sizeof(err)), -EINVAL);
	assert_null(sc);
	assert_string_equal(err, "t:2: error: NUL byte in the line (not a text file?)");

	/* The first error wins. */
	parse_bad("port a kind=x\nport b kind=y\n", 1, "not 'x'");

	/* A small error buffer is cut short, no buffer at all is fine. */
	assert_int_equal(parse_dir("bridge", NULL, &sc, small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "t:1: error:");
	assert_int_equal(parse_dir("bridge", NULL, &sc, NULL, 0), -EINVAL);
	assert_null(sc);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/test_scenario.XXXXXX", path[64], err[SCN_ERR_MAX];
	struct scn *sc;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.txt", dir);

	assert_int_equal(scn_load(path, &sc, err, sizeof(err)), -ENOENT);
	assert_null(sc);
	assert_non_null(strstr(err, "/s.txt: error: cannot open scenario: "));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("port v kind=vif dom=1 in=v.pcap\nport w kind=wire in=/w.pcap\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(scn_load(path, &sc, err, sizeof(err)), 0);
	assert_string_equal(sc->name, path);
	assert_string_equal(sc->ports[0].in, strcat(strcpy(err, dir), "/v.pcap"));
	assert_string_equal(sc->ports[1].in, "/w.pcap");
	scn_free(sc);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("port v kind=vif dom=1\nport v kind=vif dom=2\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(scn_load(path, &sc, err, sizeof(err)), -EINVAL);
	assert_null(sc);
	assert_non_null(strstr(err, "/s.txt:2: error: port v already defined at line 1"));

	/* a directory opens but does not read */
	assert_int_equal(scn_load(dir, &sc, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, ": error: read error"));

	unlink(path);
	rmdir(dir);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(scn_kind_name(VS_PORT_DOM0), "dom0");
	assert_string_equal(scn_kind_name(VS_PORT_WIRE), "wire");
	assert_string_equal(scn_kind_name(VS_PORT_VIF), "vif");
	assert_string_equal(scn_kind_name((enum vs_port_kind)7), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults_and_forms),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

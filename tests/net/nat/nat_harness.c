// SPDX-License-Identifier: GPL-2.0-or-later
/* nat_harness.c - nat/nat.h from the command line, for test_nat_backends.py
 *
 * Usage: nat_harness BACKEND COMMAND [ARGS...]   (BACKEND: nft | iptables)
 *
 *   check UPLINK PORT_BASE           nat_check()
 *   apply UPLINK PORT_BASE [DOM=ADDR...]
 *                                    nat_apply(), domain DOM's redirect on
 *                                    PORT_BASE + DOM to ADDR:22
 *   add UPLINK PORT_BASE DOM ADDR    nat_redirect_add()
 *   del UPLINK PORT_BASE DOM         nat_redirect_del()
 *   remove                           nat_remove()
 *   present                          nat_present(): "yes" or "no"
 *   text                             nat_rules_text()
 *   blockers UPLINK                  nat_forward_blockers()
 *   port PORT                        nat_port_in_use(): "yes" or "no"
 *   uplink                           nat_default_uplink()
 *
 * Prints the result on stdout and exits 0, or prints "err MESSAGE" and
 * exits 1. It runs in whatever network namespace it is started in.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"

struct args {
	struct nat_config c;
	char err[NAT_ERR_MAX];
	int argc;
	char **argv;	/* after COMMAND */
};

static int fail(struct args *a, int ret)
{
	printf("err %s (%d)\n", a->err, ret);
	return 1;
}

static int config(struct args *a, int need)
{
	if (a->argc < need) {
		snprintf(a->err, sizeof(a->err), "missing arguments");
		return -1;
	}
	snprintf(a->c.uplink, sizeof(a->c.uplink), "%s", a->argv[0]);
	if (need > 1)
		a->c.port_base = (uint16_t)strtoul(a->argv[1], NULL, 10);
	if (need > 1 && strtoul(a->argv[1], NULL, 10) > 65535) {
		snprintf(a->err, sizeof(a->err), "port base out of range");
		return -1;
	}
	return 0;
}

static int redirect(struct args *a, const char *dom, const char *addr,
		    struct nat_redirect *r)
{
	r->dom = (uint32_t)strtoul(dom, NULL, 10);
	r->port = (uint16_t)(a->c.port_base + r->dom);
	if (addr && inet_pton(AF_INET, addr, &r->addr) != 1) {
		snprintf(a->err, sizeof(a->err), "bad address %s", addr);
		return -1;
	}
	return 0;
}

static int cmd_apply(struct args *a)
{
	struct nat_redirect r[NAT_REDIRECTS_MAX];
	unsigned n = 0;
	char *eq;
	int i, ret;

	if (config(a, 2))
		return fail(a, -1);
	for (i = 2; i < a->argc && n < NAT_REDIRECTS_MAX; i++, n++) {
		eq = strchr(a->argv[i], '=');
		if (!eq)
			return fail(a, -1);
		*eq = '\0';
		if (redirect(a, a->argv[i], eq + 1, &r[n]))
			return fail(a, -1);
	}
	ret = nat_apply(&a->c, r, n, a->err, sizeof(a->err));
	return ret ? fail(a, ret) : (puts("ok"), 0);
}

static int cmd_redirect(struct args *a, bool add)
{
	struct nat_redirect r = { 0 };
	int ret;

	if (config(a, add ? 4 : 3) ||
	    redirect(a, a->argv[2], add ? a->argv[3] : NULL, &r))
		return fail(a, -1);
	ret = add ? nat_redirect_add(&a->c, &r, a->err, sizeof(a->err))
		  : nat_redirect_del(&a->c, &r, a->err, sizeof(a->err));
	return ret ? fail(a, ret) : (puts("ok"), 0);
}

static int cmd_text(struct args *a)
{
	char *t = nat_rules_text(a->c.backend, a->err, sizeof(a->err));

	if (!t)
		return fail(a, -1);
	fputs(t, stdout);
	free(t);
	return 0;
}

static int cmd_blockers(struct args *a)
{
	char out[4096];
	int n;

	if (config(a, 1))
		return fail(a, -1);
	n = nat_forward_blockers(&a->c, out, sizeof(out));
	printf("%d\n%s", n, out);
	return 0;
}

static int cmd_simple(struct args *a, const char *cmd)
{
	char ifname[IFNAMSIZ];
	int ret;

	if (!strcmp(cmd, "check")) {
		if (config(a, 2))
			return fail(a, -1);
		ret = nat_check(&a->c, a->err, sizeof(a->err));
	} else if (!strcmp(cmd, "remove")) {
		ret = nat_remove(a->c.backend, a->err, sizeof(a->err));
	} else if (!strcmp(cmd, "uplink")) {
		ret = nat_default_uplink(ifname, a->err, sizeof(a->err));
		if (!ret)
			printf("%s\n", ifname);
		return ret ? fail(a, ret) : 0;
	} else {
		snprintf(a->err, sizeof(a->err), "unknown command %s", cmd);
		return fail(a, -1);
	}
	return ret ? fail(a, ret) : (puts("ok"), 0);
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const char *cmd;

	if (argc < 3 || nat_backend_parse(argv[1], &a.c.backend)) {
		fprintf(stderr, "usage: nat_harness nft|iptables COMMAND ...\n");
		return 2;
	}
	cmd = argv[2];
	a.argc = argc - 3;
	a.argv = argv + 3;
	if (!strcmp(cmd, "apply"))
		return cmd_apply(&a);
	if (!strcmp(cmd, "add") || !strcmp(cmd, "del"))
		return cmd_redirect(&a, cmd[0] == 'a');
	if (!strcmp(cmd, "text"))
		return cmd_text(&a);
	if (!strcmp(cmd, "blockers"))
		return cmd_blockers(&a);
	if (!strcmp(cmd, "present")) {
		puts(nat_present(a.c.backend) ? "yes" : "no");
		return 0;
	}
	if (!strcmp(cmd, "port") && a.argc == 1) {
		puts(nat_port_in_use((uint16_t)strtoul(a.argv[0], NULL, 10))
		     ? "yes" : "no");
		return 0;
	}
	return cmd_simple(&a, cmd);
}

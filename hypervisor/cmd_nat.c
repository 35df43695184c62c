// SPDX-License-Identifier: GPL-2.0-or-later
/* cmd_nat.c - NAT commands: nat_enable, nat_disable, nat_status
 *
 * xen_nat(8) is their client. Enabling checks everything first (uplink,
 * back end, ports) and changes nothing on a bad request; the rules then
 * hold every domain's redirect, and xnat.c keeps them in step as domains
 * come and go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xnat.h"

static void add_blockers(json_object *reply, const struct nat_config *c)
{
	char text[2048], *line, *save = NULL;
	json_object *arr = json_object_new_array();

	if (nat_forward_blockers(c, text, sizeof(text)) > 0)
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			json_object_array_add(arr, json_object_new_string(line));
	json_object_object_add(reply, "blockers", arr);
}

/* Ports of the domains that a host service listens on too. */
static void add_conflicts(struct xend *x, json_object *reply)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		unsigned port = xend_nat_port(x, i);

		if (x->doms[i] && nat_port_in_use((uint16_t)port))
			json_object_array_add(arr, json_object_new_int((int)port));
	}
	json_object_object_add(reply, "ports_in_use", arr);
}

static int cmd_nat_enable(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	struct nat_config c = { .backend = NAT_BACKEND_NFT,
				.port_base = NAT_PORT_BASE_DEFAULT };
	const char *uplink = NULL, *backend = NULL;
	char err[NAT_ERR_MAX];
	uint64_t base = NAT_PORT_BASE_DEFAULT;

	if (ctl_get_string(req, req->msg, "", "uplink", false, IFNAMSIZ - 1,
			   &uplink) ||
	    ctl_get_string(req, req->msg, "", "backend", false, 16, &backend) ||
	    rec_get_range(req, req->msg, "", "port_base", false, 1,
			  65535 - NAT_REDIRECTS_MAX, &base))
		return -1;
	if (x->nat_on)
		return ctl_fail(req, "NAT is already enabled (%s on %s; "
				"xen_nat disable first)",
				nat_backend_name(x->nat.backend), x->nat.uplink);
	if (backend && nat_backend_parse(backend, &c.backend))
		return ctl_fail(req, "field 'backend' must be 'nft' or "
				"'iptables'");
	c.port_base = (uint16_t)base;
	if (uplink && *uplink)
		snprintf(c.uplink, sizeof(c.uplink), "%s", uplink);
	else if (nat_default_uplink(c.uplink, err, sizeof(err)))
		return ctl_fail(req, "%s (name one with --uplink)", err);
	if (nat_check(&c, err, sizeof(err)))
		return ctl_fail(req, "%s", err);
	x->nat = c;
	x->nat_on = true;
	if (xend_nat_sync(x)) {
		x->nat_on = false;
		nat_remove(c.backend, err, sizeof(err));
		return ctl_fail(req, "cannot set up NAT: see xend's log");
	}
	add_blockers(req->reply, &c);
	add_conflicts(x, req->reply);
	log_info("nat: enabled (%s on %s, ports %u+N)", nat_backend_name(c.backend),
		 c.uplink, c.port_base);
	return 0;
}

static int cmd_nat_disable(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	char err[NAT_ERR_MAX];

	if (!x->nat_on)
		return ctl_fail(req, "NAT is not enabled");
	if (nat_remove(x->nat.backend, err, sizeof(err)))
		return ctl_fail(req, "%s", err);
	x->nat_on = false;
	log_info("nat: disabled");
	return 0;
}

static int cmd_nat_status(void *ctx, struct ctl_req *req)
{
	struct xend *x = ctx;
	json_object *arr = json_object_new_array();
	char err[NAT_ERR_MAX], s[INET_ADDRSTRLEN];
	char *rules;

	json_object_object_add(req->reply, "enabled",
			       json_object_new_boolean(x->nat_on));
	json_object_object_add(req->reply, "redirects", arr);
	if (!x->nat_on)
		return 0;
	json_object_object_add(req->reply, "backend", json_object_new_string(
		nat_backend_name(x->nat.backend)));
	json_object_object_add(req->reply, "uplink",
			       json_object_new_string(x->nat.uplink));
	json_object_object_add(req->reply, "port_base",
			       json_object_new_int(x->nat.port_base));
	for (unsigned i = 1; i <= XEND_DOMS_MAX; i++) {
		json_object *o;
		struct in_addr a = { htonl(xeno_ll_dom(i)) };

		if (!x->doms[i])
			continue;
		o = json_object_new_object();
		inet_ntop(AF_INET, &a, s, sizeof(s));
		json_object_object_add(o, "port", json_object_new_int(
			(int)xend_nat_port(x, i)));
		json_object_object_add(o, "dom", json_object_new_int64(i));
		json_object_object_add(o, "name",
				       json_object_new_string(x->doms[i]->name));
		json_object_object_add(o, "addr", json_object_new_string(s));
		json_object_array_add(arr, o);
	}
	rules = nat_rules_text(x->nat.backend, err, sizeof(err));
	json_object_object_add(req->reply, "rules",
			       json_object_new_string(rules ? rules : err));
	free(rules);
	add_blockers(req->reply, &x->nat);
	return 0;
}

/* xend_cmds_nat - see cmd.h. */
const struct xend_cmd xend_cmds_nat[] = {
	{ "nat_enable",		cmd_nat_enable,		XEND_CMD_MUTATES },
	{ "nat_disable",	cmd_nat_disable,	XEND_CMD_MUTATES },
	{ "nat_status",		cmd_nat_status,		0 },
	{ NULL,			NULL,			0 },
};

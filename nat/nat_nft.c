// SPDX-License-Identifier: GPL-2.0-or-later
/* nat_nft.c - the nftables back end: everything in `table ip xeno`
 *
 * nat_apply() sends one buffer, so one transaction: the table is added (in
 * case it is not there), deleted, and made again whole -- the host never
 * sees xeno's rules half made, and nothing outside the table is touched:
 *
 *   table ip xeno {
 *     map redirects { type inet_service : ipv4_addr . inet_service }
 *     chain prerouting   nat, dstnat: from the uplink, DNAT by the map
 *     chain output       nat, dstnat: dom0's own connections to any of
 *                        its addresses but loopback (fib daddr type
 *                        local), DNAT by the map -- so `ssh -p 2201
 *                        <uplink address>` works on dom0 as on the LAN
 *     chain postrouting  nat, srcnat: out of the uplink, 169.254.1.0
 *                        returns, the rest of 169.254.0.0/16 masquerades
 *     chain forward      filter: 169.254.0.0/16 out of the uplink; in
 *                        from the uplink to 169.254.0.0/16 only replies
 *                        and DNAT'ed ssh, the rest dropped
 *   }
 *
 * A redirect is the map element `PORT : ADDR . 22`, added and deleted
 * alone. Errors are libnftables' own message, first line.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat_internal.h"

#define TABLE		"ip xeno"
#define RULESET_MAX	(32 * 1024)	/* 254 elements at ~40 bytes */

/* A context whose output and errors go to buffers, not the terminal. */
static struct nft_ctx *ctx_open(char *err, size_t errlen)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!nft) {
		nat_err(err, errlen, -ENOMEM, "nftables: no context");
		return NULL;
	}
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		nft_ctx_free(nft);
		nat_err(err, errlen, -ENOMEM, "nftables: no buffers");
		return NULL;
	}
	return nft;
}

/* Run @cmd; on failure put what nft said (its first line) after @what. */
static int run(struct nft_ctx *nft, const char *cmd, const char *what,
	       char *err, size_t errlen)
{
	const char *e;
	size_t len;

	if (!nft_run_cmd_from_buffer(nft, cmd))
		return 0;
	e = nft_ctx_get_error_buffer(nft);
	if (!e || !*e)
		e = "failed";
	len = strcspn(e, "\n");
	return nat_err(err, errlen, -EIO, "nft: %s: %.*s", what, (int)len, e);
}

/* Run @cmd in a context of its own. */
static int run1(const char *cmd, const char *what, char *err, size_t errlen)
{
	struct nft_ctx *nft = ctx_open(err, errlen);
	int ret;

	if (!nft)
		return -ENOMEM;
	ret = run(nft, cmd, what, err, errlen);
	nft_ctx_free(nft);
	return ret;
}

/* nat_nft_usable() - libnftables opens and the kernel answers. */
int nat_nft_usable(char *err, size_t errlen)
{
	return run1("list tables", "nftables not usable", err, errlen);
}

static bool put_element(char *buf, size_t size, const struct nat_redirect *r,
			bool first)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &r->addr, a, sizeof(a));
	return nat_append(buf, size, "%s%u : %s . %u", first ? "" : ", ",
			  r->port, a, NAT_SSH_PORT);
}

static bool put_map(char *buf, size_t size, const struct nat_redirect *r,
		    unsigned n)
{
	bool ok = nat_append(buf, size,
			     "\tmap redirects {\n"
			     "\t\ttype inet_service : ipv4_addr . inet_service\n");
	unsigned i;

	if (n)
		ok = ok && nat_append(buf, size, "\t\telements = { ");
	for (i = 0; i < n; i++)
		ok = ok && put_element(buf, size, &r[i], i == 0);
	if (n)
		ok = ok && nat_append(buf, size, " }\n");
	return ok && nat_append(buf, size, "\t}\n");
}

static bool put_chains(char *buf, size_t size, const char *up)
{
	const char *ll = NAT_LL_NET "/16";

	return nat_append(buf, size,
		"\tchain prerouting {\n"
		"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		"\t\tiifname \"%s\" dnat ip to tcp dport map @redirects\n"
		"\t}\n"
		"\tchain output {\n"
		"\t\ttype nat hook output priority -100; policy accept;\n"
		"\t\tip daddr != 127.0.0.0/8 fib daddr type local "
		"dnat ip to tcp dport map @redirects\n"
		"\t}\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\toifname \"%s\" ip saddr %s return\n"
		"\t\toifname \"%s\" ip saddr %s masquerade\n"
		"\t}\n", up, up, NAT_DOM0_ADDR, up, ll) &&
	       nat_append(buf, size,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\toifname \"%s\" ip saddr %s accept\n"
		"\t\tiifname \"%s\" ip daddr %s ct state established,related "
		"accept\n"
		"\t\tiifname \"%s\" ip daddr %s tcp dport %u ct status dnat "
		"accept\n"
		"\t\tiifname \"%s\" ip daddr %s drop\n"
		"\t}\n", up, ll, up, ll, up, ll, NAT_SSH_PORT, up, ll);
}

/* nat_nft_apply() - the whole table, replaced in one transaction. */
int nat_nft_apply(const struct nat_config *c, const struct nat_redirect *r,
		  unsigned n, char *err, size_t errlen)
{
	char *buf = calloc(1, RULESET_MAX);
	bool ok;
	int ret;

	if (!buf)
		return nat_err(err, errlen, -ENOMEM, "nft: out of memory");
	ok = nat_append(buf, RULESET_MAX, "add table " TABLE "\n"
			"delete table " TABLE "\n"
			"table " TABLE " {\n") &&
	     put_map(buf, RULESET_MAX, r, n) &&
	     put_chains(buf, RULESET_MAX, c->uplink) &&
	     nat_append(buf, RULESET_MAX, "}\n");
	if (!ok)
		ret = nat_err(err, errlen, -E2BIG, "nft: ruleset too long");
	else
		ret = run1(buf, "cannot make table " TABLE, err, errlen);
	free(buf);
	return ret;
}

/* nat_nft_redirect_add() - one element; one already there with another
 * address is replaced (delete and add, one transaction). */
int nat_nft_redirect_add(const struct nat_redirect *r, char *err,
			 size_t errlen)
{
	char el[64] = "", cmd[256];

	put_element(el, sizeof(el), r, true);
	if (!nat_nft_present())
		return nat_err(err, errlen, -ENOENT, "nft: no table " TABLE
			       ": apply xeno's rules first");
	snprintf(cmd, sizeof(cmd), "add element " TABLE " redirects { %s }\n",
		 el);
	if (!run1(cmd, "", NULL, 0))
		return 0;
	snprintf(cmd, sizeof(cmd),
		 "delete element " TABLE " redirects { %u }\n"
		 "add element " TABLE " redirects { %s }\n", r->port, el);
	return run1(cmd, "cannot add redirect", err, errlen);
}

/* nat_nft_redirect_del() - one element; one not there (or no table) is
 * not an error. */
int nat_nft_redirect_del(const struct nat_redirect *r, char *err,
			 size_t errlen)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "delete element " TABLE " redirects { %u }",
		 r->port);
	if (!run1(cmd, "", NULL, 0))
		return 0;
	snprintf(cmd, sizeof(cmd), "get element " TABLE " redirects { %u }",
		 r->port);
	if (run1(cmd, "", NULL, 0))
		return 0;	/* not there: nothing to do */
	snprintf(cmd, sizeof(cmd), "delete element " TABLE " redirects { %u }",
		 r->port);
	return run1(cmd, "cannot delete redirect", err, errlen);
}

/* nat_nft_remove() - the table, if it is there. */
int nat_nft_remove(char *err, size_t errlen)
{
	return run1("add table " TABLE "\ndelete table " TABLE "\n",
		    "cannot delete table " TABLE, err, errlen);
}

/* nat_nft_present() - is `table ip xeno` there? */
bool nat_nft_present(void)
{
	return !run1("list table " TABLE, "", NULL, 0);
}

/* nat_nft_rules_text() - `nft list table ip xeno`. */
char *nat_nft_rules_text(char *err, size_t errlen)
{
	struct nft_ctx *nft = ctx_open(err, errlen);
	char *text = NULL;

	if (!nft)
		return NULL;
	if (!run(nft, "list table " TABLE, "cannot list " TABLE, err, errlen)) {
		text = strdup(nft_ctx_get_output_buffer(nft));
		if (!text)
			nat_err(err, errlen, -ENOMEM, "nft: out of memory");
	}
	nft_ctx_free(nft);
	return text;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One `{"chain": {...}}` of `list ruleset`: a base chain of hook forward in
 * an ip or inet table other than xeno's, with policy drop? One line about
 * it into @out. */
static int chain_blocks(struct json_object *item, const char *up, char *out,
			size_t size)
{
	const char *fam, *table, *name, *hook, *policy;
	struct json_object *ch;

	if (!json_object_object_get_ex(item, "chain", &ch))
		return 0;
	fam = jstr(ch, "family");
	table = jstr(ch, "table");
	name = jstr(ch, "name");
	hook = jstr(ch, "hook");
	policy = jstr(ch, "policy");
	if (!fam || !table || !name || !hook || !policy ||
	    strcmp(hook, "forward") || strcmp(policy, "drop") ||
	    (strcmp(fam, "ip") && strcmp(fam, "inet")) ||
	    (!strcmp(fam, "ip") && !strcmp(table, "xeno")))
		return 0;
	nat_append(out, size,
		   "nft chain %s %s %s (hook forward) has policy drop; allow "
		   "the domains with: nft 'insert rule %s %s %s oifname \"%s\" "
		   "ip saddr %s/16 accept; insert rule %s %s %s iifname \"%s\" "
		   "ip daddr %s/16 ct state established,related accept; insert "
		   "rule %s %s %s iifname \"%s\" ip daddr %s/16 ct status dnat "
		   "accept'\n", fam, table, name, fam, table, name, up,
		   NAT_LL_NET, fam, table, name, up, NAT_LL_NET, fam, table,
		   name, up, NAT_LL_NET);
	return 1;
}

/* nat_nft_blockers() - nft forward chains with policy drop, appended to
 * @out; the number of lines. Chains that drop by a rule rather than by
 * policy are not looked for. */
int nat_nft_blockers(const struct nat_config *c, char *out, size_t size)
{
	struct json_object *root = NULL, *arr;
	struct nft_ctx *nft = ctx_open(NULL, 0);
	int n = 0;
	size_t i;

	if (!nft)
		return 0;
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (!run(nft, "list ruleset", "", NULL, 0))
		root = json_tokener_parse(nft_ctx_get_output_buffer(nft));
	if (root && json_object_object_get_ex(root, "nftables", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		for (i = 0; i < json_object_array_length(arr); i++)
			n += chain_blocks(json_object_array_get_idx(arr, i),
					  c->uplink, out, size);
	}
	json_object_put(root);
	nft_ctx_free(nft);
	return n;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* nat_ipt.c - the legacy iptables back end: XENO_* chains, through libiptc
 *
 * xeno's rules live in chains of its own; each built-in chain gets one
 * jump, inserted as its first rule only when it has none yet:
 *
 *   nat     PREROUTING  -> XENO_PREROUTING   -i UPLINK -j XENO_REDIRECTS
 *           OUTPUT      -> XENO_OUTPUT       ! -d 127.0.0.0/8 -m addrtype
 *                          --dst-type LOCAL -j XENO_REDIRECTS (dom0's own
 *                          connections to any of its addresses)
 *                          XENO_REDIRECTS    -p tcp --dport PORT -j DNAT
 *                          --to-destination ADDR:22, one per domain
 *           POSTROUTING -> XENO_POSTROUTING  169.254.1.0 RETURN, the rest
 *                          of 169.254.0.0/16 MASQUERADE, out the uplink
 *   filter  FORWARD     -> XENO_FORWARD      169.254.0.0/16 out; in to it
 *                          only replies and DNAT'ed ssh, the rest DROP
 *
 * XENO_REDIRECTS, reached from both nat chains, plays the nft map's part:
 * a domain coming or going is one rule there. nat_apply() flushes and
 * refills the chains and commits each table once (iptc_commit() replaces
 * the table in the kernel whole). Rules are built as struct ipt_entry
 * with their matches and target, as iptables does; only the matches and
 * targets above are decoded for nat_rules_text().
 *
 * A legacy table that is not there yet is made by the kernel when it is
 * first opened: nat_present() and the blocker check look at
 * /proc/net/ip_tables_names first so that they never make one.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat_internal.h"

#define TABLES_FILE	"/proc/net/ip_tables_names"
#define RULE_MAX	512
#define TEXT_MAX	(64 * 1024)

#define CH_PRE		"XENO_PREROUTING"
#define CH_OUT		"XENO_OUTPUT"
#define CH_POST		"XENO_POSTROUTING"
#define CH_REDIR	"XENO_REDIRECTS"
#define CH_FWD		"XENO_FORWARD"

/* Chain names as libiptc takes them: whole xt_chainlabel arrays. */
struct chain_def {
	const char *table;
	xt_chainlabel name, from;	/* from: its built-in, "" if none */
};

static const struct chain_def chain_defs[] = {
	{ "nat", CH_PRE, "PREROUTING" },
	{ "nat", CH_OUT, "OUTPUT" },
	{ "nat", CH_POST, "POSTROUTING" },
	{ "nat", CH_REDIR, "" },
	{ "filter", CH_FWD, "FORWARD" },
};
enum { DEF_PRE, DEF_OUT, DEF_POST, DEF_REDIR, DEF_FWD };
#define LABEL(i)	(chain_defs[DEF_##i].name)
#define N_CHAINS	(sizeof(chain_defs) / sizeof(chain_defs[0]))

static const char *const tables[] = { "nat", "filter" };

/* One rule under construction: the entry, then its matches, then the
 * target, each XT_ALIGN'ed, as the kernel takes them. */
struct rule {
	union {
		struct ipt_entry e;
		unsigned char b[RULE_MAX];
	} u;
	size_t len;
};

/* ---------------------------------------------------------- building */

static void rule_init(struct rule *r)
{
	memset(r, 0, sizeof(*r));
	r->len = sizeof(struct ipt_entry);
}

static void rule_iface(char name[IFNAMSIZ], unsigned char mask[IFNAMSIZ],
		       const char *ifname)
{
	size_t len = strlen(ifname);

	memcpy(name, ifname, len + 1);
	memset(mask, 0xff, len + 1);	/* exact name, as iptables -i does */
}

static void rule_addr(struct in_addr *a, struct in_addr *m, const char *s,
		      unsigned prefix)
{
	inet_pton(AF_INET, s, a);
	m->s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
}

static void rule_match(struct rule *r, const char *name, uint8_t rev,
		       const void *data, size_t len)
{
	struct xt_entry_match *m = (void *)(r->u.b + r->len);
	size_t size = XT_ALIGN(sizeof(*m) + len);

	m->u.match_size = (uint16_t)size;
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = rev;
	memcpy(m->data, data, len);
	r->len += size;
}

static void rule_tcp_dport(struct rule *r, uint16_t port)
{
	struct xt_tcp tcp = { .spts = { 0, 0xffff }, .dpts = { port, port } };

	r->u.e.ip.proto = IPPROTO_TCP;
	rule_match(r, "tcp", 0, &tcp, sizeof(tcp));
}

static void rule_ctstate(struct rule *r, uint16_t states)
{
	struct xt_conntrack_mtinfo3 ct = {
		.match_flags = XT_CONNTRACK_STATE, .state_mask = states,
	};

	rule_match(r, "conntrack", 3, &ct, sizeof(ct));
}

/* The target: a standard one (ACCEPT, DROP, RETURN, a chain) when @data
 * is NULL -- libiptc maps the name -- else a module's. */
static const struct ipt_entry *rule_target(struct rule *r, const char *name,
					   uint8_t rev, const void *data,
					   size_t len)
{
	struct xt_entry_target *t = (void *)(r->u.b + r->len);
	size_t size = data ? XT_ALIGN(sizeof(*t) + len)
			   : XT_ALIGN(sizeof(struct xt_standard_target));

	t->u.target_size = (uint16_t)size;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	t->u.user.revision = rev;
	if (data)
		memcpy(t->data, data, len);
	r->u.e.target_offset = (uint16_t)r->len;
	r->u.e.next_offset = (uint16_t)(r->len + size);
	return &r->u.e;
}

/* A standard target: ACCEPT, DROP, RETURN or a jump to a chain. */
static const struct ipt_entry *rule_jump(struct rule *r, const char *name)
{
	return rule_target(r, name, 0, NULL, 0);
}

/* DNAT revision 2 (struct nf_nat_range2), the one iptables 1.8 writes and
 * iptables-save prints. */
static const struct ipt_entry *rule_dnat(struct rule *r, struct in_addr to)
{
	struct nf_nat_range2 nr = {
		.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED,
	};

	nr.min_addr.in = nr.max_addr.in = to;
	nr.min_proto.tcp.port = nr.max_proto.tcp.port = htons(NAT_SSH_PORT);
	return rule_target(r, "DNAT", 2, &nr, sizeof(nr));
}

static const struct ipt_entry *rule_masquerade(struct rule *r)
{
	struct nf_nat_ipv4_multi_range_compat mr = { .rangesize = 1 };

	return rule_target(r, "MASQUERADE", 0, &mr, sizeof(mr));
}

/* ---------------------------------------------------------- handles */

static int ipt_fail(char *err, size_t errlen, const char *what,
		    const char *table)
{
	int e = errno ? errno : EIO;

	return nat_err(err, errlen, -e, "iptables (legacy) %s %s: %s", table,
		       what, iptc_strerror(e));
}

static struct xtc_handle *ipt_open(const char *table, char *err,
				   size_t errlen)
{
	struct xtc_handle *h = iptc_init(table);

	if (!h)
		ipt_fail(err, errlen, "table cannot be opened", table);
	return h;
}

/* Does the kernel have legacy table @table already (without making it)? */
static bool table_exists(const char *table)
{
	char line[64];
	bool found = false;
	FILE *f = fopen(TABLES_FILE, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(line, table);
	}
	fclose(f);
	return found;
}

/* nat_ipt_usable() - libiptc opens the nat and filter tables. */
int nat_ipt_usable(char *err, size_t errlen)
{
	struct xtc_handle *h;
	unsigned i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		h = ipt_open(tables[i], err, errlen);
		if (!h)
			return -ENOPROTOOPT;
		iptc_free(h);
	}
	return 0;
}

/* The number in @chain of the first rule whose target is @target, or -1. */
static int find_target(const xt_chainlabel chain, const char *target,
		       struct xtc_handle *h)
{
	const struct ipt_entry *e;
	int i = 0;

	for (e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h), i++)
		if (!strcmp(iptc_get_target(e, h), target))
			return i;
	return -1;
}

/* The match called @name in @e, or NULL. */
static const struct xt_entry_match *find_match(const struct ipt_entry *e,
					       const char *name)
{
	const struct xt_entry_match *m;
	size_t off;

	for (off = sizeof(*e); off < e->target_offset;
	     off += m->u.match_size) {
		m = (const void *)((const unsigned char *)e + off);
		if (!m->u.match_size)
			break;
		if (!strcmp(m->u.user.name, name))
			return m;
	}
	return NULL;
}

/* The number in XENO_REDIRECTS of @port's rule, or -1. */
static int find_redirect(uint16_t port, struct xtc_handle *h)
{
	const struct xt_entry_match *m;
	const struct ipt_entry *e;
	const struct xt_tcp *tcp;
	int i = 0;

	for (e = iptc_first_rule(LABEL(REDIR), h); e; e = iptc_next_rule(e, h),
	     i++) {
		m = find_match(e, "tcp");
		tcp = m ? (const void *)m->data : NULL;
		if (tcp && tcp->dpts[0] == port && tcp->dpts[1] == port)
			return i;
	}
	return -1;
}

/* ---------------------------------------------------------- apply */

/* Our chains of @table there and empty, each with its one jump. */
static int chains_ready(const char *table, struct xtc_handle *h, char *err,
			size_t errlen)
{
	struct rule r;
	unsigned i;

	for (i = 0; i < N_CHAINS; i++) {
		const struct chain_def *d = &chain_defs[i];

		if (strcmp(d->table, table))
			continue;
		if (iptc_is_chain(d->name, h) ? !iptc_flush_entries(d->name, h)
					      : !iptc_create_chain(d->name, h))
			return ipt_fail(err, errlen, d->name, table);
	}
	for (i = 0; i < N_CHAINS; i++) {
		const struct chain_def *d = &chain_defs[i];

		if (strcmp(d->table, table) || !d->from[0] ||
		    find_target(d->from, d->name, h) >= 0)
			continue;
		rule_init(&r);
		if (!iptc_insert_entry(d->from, rule_jump(&r, d->name), 0, h))
			return ipt_fail(err, errlen, d->from, table);
	}
	return 0;
}

static int append(const xt_chainlabel chain, const struct ipt_entry *e,
		  struct xtc_handle *h, char *err, size_t errlen)
{
	int e2;

	if (iptc_append_entry(chain, e, h))
		return 0;
	e2 = errno ? errno : EIO;
	return nat_err(err, errlen, -e2, "iptables (legacy): cannot add a "
		       "rule to %s: %s", chain, iptc_strerror(e2));
}

static int add_redirect(const struct nat_redirect *rd, struct xtc_handle *h,
			char *err, size_t errlen)
{
	struct rule r;

	rule_init(&r);
	rule_tcp_dport(&r, rd->port);
	return append(LABEL(REDIR), rule_dnat(&r, rd->addr), h, err, errlen);
}

static int nat_rules(const struct nat_config *c, const struct nat_redirect *rd,
		     unsigned n, struct xtc_handle *h, char *err,
		     size_t errlen)
{
	struct xt_addrtype_info_v1 at = { .dest = XT_ADDRTYPE_LOCAL };
	struct rule r;
	unsigned i;
	int ret;

	rule_init(&r);
	rule_iface(r.u.e.ip.iniface, r.u.e.ip.iniface_mask, c->uplink);
	ret = append(LABEL(PRE), rule_jump(&r, CH_REDIR), h, err, errlen);
	rule_init(&r);
	rule_addr(&r.u.e.ip.dst, &r.u.e.ip.dmsk, "127.0.0.0", 8);
	r.u.e.ip.invflags = IPT_INV_DSTIP;
	rule_match(&r, "addrtype", 1, &at, sizeof(at));
	ret = ret ?: append(LABEL(OUT), rule_jump(&r, CH_REDIR), h, err,
			    errlen);
	for (i = 0; i < n && !ret; i++)
		ret = add_redirect(&rd[i], h, err, errlen);
	rule_init(&r);
	rule_addr(&r.u.e.ip.src, &r.u.e.ip.smsk, NAT_DOM0_ADDR, 32);
	rule_iface(r.u.e.ip.outiface, r.u.e.ip.outiface_mask, c->uplink);
	ret = ret ?: append(LABEL(POST), rule_jump(&r, "RETURN"), h,
			    err, errlen);
	rule_init(&r);
	rule_addr(&r.u.e.ip.src, &r.u.e.ip.smsk, NAT_LL_NET, NAT_LL_PREFIX);
	rule_iface(r.u.e.ip.outiface, r.u.e.ip.outiface_mask, c->uplink);
	return ret ?: append(LABEL(POST), rule_masquerade(&r), h, err, errlen);
}

/* A rule of XENO_FORWARD for traffic in from the uplink to 169.254/16. */
static void rule_inbound(struct rule *r, const char *uplink)
{
	rule_init(r);
	rule_addr(&r->u.e.ip.dst, &r->u.e.ip.dmsk, NAT_LL_NET, NAT_LL_PREFIX);
	rule_iface(r->u.e.ip.iniface, r->u.e.ip.iniface_mask, uplink);
}

static int filter_rules(const struct nat_config *c, struct xtc_handle *h,
			char *err, size_t errlen)
{
	struct rule r;
	int ret;

	rule_init(&r);
	rule_addr(&r.u.e.ip.src, &r.u.e.ip.smsk, NAT_LL_NET, NAT_LL_PREFIX);
	rule_iface(r.u.e.ip.outiface, r.u.e.ip.outiface_mask, c->uplink);
	ret = append(LABEL(FWD), rule_jump(&r, "ACCEPT"), h, err, errlen);
	rule_inbound(&r, c->uplink);
	rule_ctstate(&r, XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
			 XT_CONNTRACK_STATE_BIT(IP_CT_RELATED));
	ret = ret ?: append(LABEL(FWD), rule_jump(&r, "ACCEPT"), h, err,
			    errlen);
	rule_inbound(&r, c->uplink);
	rule_tcp_dport(&r, NAT_SSH_PORT);
	rule_ctstate(&r, XT_CONNTRACK_STATE_DNAT);
	ret = ret ?: append(LABEL(FWD), rule_jump(&r, "ACCEPT"), h, err,
			    errlen);
	rule_inbound(&r, c->uplink);
	return ret ?: append(LABEL(FWD), rule_jump(&r, "DROP"), h, err,
			     errlen);
}

/* nat_ipt_apply() - both tables built in memory first, then committed,
 * nat and then filter, so a rule the kernel would refuse at build time
 * changes nothing. */
int nat_ipt_apply(const struct nat_config *c, const struct nat_redirect *r,
		  unsigned n, char *err, size_t errlen)
{
	struct xtc_handle *nat = NULL, *filter = NULL;
	int ret = -ENOPROTOOPT;

	nat = ipt_open("nat", err, errlen);
	filter = nat ? ipt_open("filter", err, errlen) : NULL;
	if (!filter)
		goto out;
	ret = chains_ready("nat", nat, err, errlen);
	ret = ret ?: chains_ready("filter", filter, err, errlen);
	ret = ret ?: nat_rules(c, r, n, nat, err, errlen);
	ret = ret ?: filter_rules(c, filter, err, errlen);
	if (!ret && !iptc_commit(nat))
		ret = ipt_fail(err, errlen, "commit", "nat");
	if (!ret && !iptc_commit(filter))
		ret = ipt_fail(err, errlen, "commit", "filter");
out:
	if (filter)
		iptc_free(filter);
	if (nat)
		iptc_free(nat);
	return ret;
}

/* ---------------------------------------------------------- redirects */

/* nat_ipt_redirect_add() - @r's rule in XENO_REDIRECTS, replacing the
 * port's old one. */
int nat_ipt_redirect_add(const struct nat_redirect *r, char *err,
			 size_t errlen)
{
	struct xtc_handle *h = NULL;
	int i, ret = -ENOENT;

	if (table_exists("nat"))
		h = ipt_open("nat", err, errlen);
	if (!h || !iptc_is_chain(LABEL(REDIR), h)) {
		nat_err(err, errlen, ret, "iptables (legacy): no chain "
			CH_REDIR ": apply xeno's rules first");
		goto out;
	}
	ret = 0;
	while (!ret && (i = find_redirect(r->port, h)) >= 0)
		if (!iptc_delete_num_entry(LABEL(REDIR), (unsigned)i, h))
			ret = ipt_fail(err, errlen, CH_REDIR, "nat");
	ret = ret ?: add_redirect(r, h, err, errlen);
	if (!ret && !iptc_commit(h))
		ret = ipt_fail(err, errlen, "commit", "nat");
out:
	if (h)
		iptc_free(h);
	return ret;
}

/* nat_ipt_redirect_del() - @r's port's rule, if there is one. */
int nat_ipt_redirect_del(const struct nat_redirect *r, char *err,
			 size_t errlen)
{
	struct xtc_handle *h;
	int i, ret = 0;
	bool changed = false;

	if (!table_exists("nat"))
		return 0;
	h = ipt_open("nat", err, errlen);
	if (!h)
		return -ENOPROTOOPT;
	while (!ret && iptc_is_chain(LABEL(REDIR), h) &&
	       (i = find_redirect(r->port, h)) >= 0) {
		if (!iptc_delete_num_entry(LABEL(REDIR), (unsigned)i, h))
			ret = ipt_fail(err, errlen, CH_REDIR, "nat");
		changed = true;
	}
	if (!ret && changed && !iptc_commit(h))
		ret = ipt_fail(err, errlen, "commit", "nat");
	iptc_free(h);
	return ret;
}

/* ---------------------------------------------------------- remove */

/* Take the jumps to our chains of @table out of the built-ins, then the
 * chains; *@changed when there was anything. */
static int remove_table(const char *table, struct xtc_handle *h,
			bool *changed, char *err, size_t errlen)
{
	unsigned i;
	int k;

	for (i = 0; i < N_CHAINS; i++) {
		const struct chain_def *d = &chain_defs[i];

		if (strcmp(d->table, table) || !d->from[0])
			continue;
		while ((k = find_target(d->from, d->name, h)) >= 0) {
			if (!iptc_delete_num_entry(d->from, (unsigned)k, h))
				return ipt_fail(err, errlen, d->from, table);
			*changed = true;
		}
	}
	for (i = 0; i < N_CHAINS; i++)
		if (!strcmp(chain_defs[i].table, table) &&
		    iptc_is_chain(chain_defs[i].name, h) &&
		    !iptc_flush_entries(chain_defs[i].name, h))
			return ipt_fail(err, errlen, chain_defs[i].name, table);
	for (i = 0; i < N_CHAINS; i++) {
		if (strcmp(chain_defs[i].table, table) ||
		    !iptc_is_chain(chain_defs[i].name, h))
			continue;
		if (!iptc_delete_chain(chain_defs[i].name, h))
			return ipt_fail(err, errlen, chain_defs[i].name, table);
		*changed = true;
	}
	return 0;
}

/* nat_ipt_remove() - the jumps and XENO_* chains, table by table. */
int nat_ipt_remove(char *err, size_t errlen)
{
	struct xtc_handle *h;
	bool changed;
	unsigned i;
	int ret = 0;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && !ret; i++) {
		if (!table_exists(tables[i]))
			continue;
		h = ipt_open(tables[i], err, errlen);
		if (!h)
			return -ENOPROTOOPT;
		changed = false;
		ret = remove_table(tables[i], h, &changed, err, errlen);
		if (!ret && changed && !iptc_commit(h))
			ret = ipt_fail(err, errlen, "commit", tables[i]);
		iptc_free(h);
	}
	return ret;
}

/* nat_ipt_present() - any XENO_* chain in the legacy nat or filter table. */
bool nat_ipt_present(void)
{
	struct xtc_handle *h;
	bool found = false;
	unsigned i;

	for (i = 0; i < N_CHAINS && !found; i++) {
		if (!table_exists(chain_defs[i].table))
			continue;
		h = iptc_init(chain_defs[i].table);
		found = h && iptc_is_chain(chain_defs[i].name, h);
		if (h)
			iptc_free(h);
	}
	return found;
}

/* ---------------------------------------------------------- listing */

static void put_addr(char *buf, size_t size, const char *opt, bool inv,
		     struct in_addr a, struct in_addr m)
{
	char s[INET_ADDRSTRLEN];

	if (!m.s_addr && !inv)
		return;
	inet_ntop(AF_INET, &a, s, sizeof(s));
	nat_append(buf, size, "%s %s %s/%d", inv ? " !" : "", opt, s,
		   __builtin_popcount(m.s_addr));
}

static void put_match(char *buf, size_t size, const struct xt_entry_match *m)
{
	const struct xt_conntrack_mtinfo3 *ct = (const void *)m->data;
	const struct xt_addrtype_info_v1 *at = (const void *)m->data;
	const struct xt_tcp *tcp = (const void *)m->data;
	const char *name = m->u.user.name;

	nat_append(buf, size, " -m %s", name);
	if (!strcmp(name, "tcp") && tcp->dpts[0] == tcp->dpts[1])
		nat_append(buf, size, " --dport %u", tcp->dpts[0]);
	else if (!strcmp(name, "addrtype") && at->dest == XT_ADDRTYPE_LOCAL)
		nat_append(buf, size, " --dst-type LOCAL");
	else if (!strcmp(name, "conntrack")) {
		nat_append(buf, size, " --ctstate ");
		if (ct->state_mask & XT_CONNTRACK_STATE_BIT(IP_CT_RELATED))
			nat_append(buf, size, "RELATED%s", ct->state_mask &
				   XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED)
				   ? "," : "");
		if (ct->state_mask & XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED))
			nat_append(buf, size, "ESTABLISHED");
		if (ct->state_mask & XT_CONNTRACK_STATE_DNAT)
			nat_append(buf, size, "DNAT");
	}
}

static void put_target(char *buf, size_t size, const struct ipt_entry *e,
		       struct xtc_handle *h)
{
	const struct xt_entry_target *t = (const void *)
		((const unsigned char *)e + e->target_offset);
	const struct nf_nat_range2 *nr = (const void *)t->data;
	const char *name = iptc_get_target(e, h);
	char a[INET_ADDRSTRLEN];

	nat_append(buf, size, " -j %s", name);
	if (strcmp(name, "DNAT"))
		return;
	if (t->u.user.revision != 2)
		return;
	inet_ntop(AF_INET, &nr->min_addr.in, a, sizeof(a));
	nat_append(buf, size, " --to-destination %s:%u", a,
		   ntohs(nr->min_proto.tcp.port));
}

/* One rule as iptables-save prints it (for the matches and targets xeno
 * uses). */
static void put_rule(char *buf, size_t size, const char *chain,
		     const struct ipt_entry *e, struct xtc_handle *h)
{
	const struct xt_entry_match *m;
	size_t off;

	nat_append(buf, size, "-A %s", chain);
	put_addr(buf, size, "-s", e->ip.invflags & IPT_INV_SRCIP, e->ip.src,
		 e->ip.smsk);
	put_addr(buf, size, "-d", e->ip.invflags & IPT_INV_DSTIP, e->ip.dst,
		 e->ip.dmsk);
	if (e->ip.iniface[0])
		nat_append(buf, size, " -i %s", e->ip.iniface);
	if (e->ip.outiface[0])
		nat_append(buf, size, " -o %s", e->ip.outiface);
	if (e->ip.proto == IPPROTO_TCP)
		nat_append(buf, size, " -p tcp");
	for (off = sizeof(*e); off < e->target_offset;
	     off += m->u.match_size) {
		m = (const void *)((const unsigned char *)e + off);
		if (!m->u.match_size)
			break;
		put_match(buf, size, m);
	}
	put_target(buf, size, e, h);
	nat_append(buf, size, "\n");
}

static void put_table(char *buf, size_t size, const char *table,
		      struct xtc_handle *h)
{
	const struct ipt_entry *e;
	unsigned i;

	nat_append(buf, size, "*%s\n", table);
	for (i = 0; i < N_CHAINS; i++)
		if (!strcmp(chain_defs[i].table, table) &&
		    iptc_is_chain(chain_defs[i].name, h))
			nat_append(buf, size, ":%s - [0:0]\n",
				   chain_defs[i].name);
	for (i = 0; i < N_CHAINS; i++) {
		const struct chain_def *d = &chain_defs[i];

		if (strcmp(d->table, table) || !iptc_is_chain(d->name, h))
			continue;
		if (d->from[0] && find_target(d->from, d->name, h) >= 0)
			nat_append(buf, size, "-A %s -j %s\n", d->from,
				   d->name);
		for (e = iptc_first_rule(d->name, h); e;
		     e = iptc_next_rule(e, h))
			put_rule(buf, size, d->name, e, h);
	}
	nat_append(buf, size, "COMMIT\n");
}

/* nat_ipt_rules_text() - our chains, their rules and the jumps to them,
 * in iptables-save's form. */
char *nat_ipt_rules_text(char *err, size_t errlen)
{
	char *buf = calloc(1, TEXT_MAX);
	struct xtc_handle *h;
	unsigned i;

	if (!buf) {
		nat_err(err, errlen, -ENOMEM, "iptables: out of memory");
		return NULL;
	}
	if (!nat_ipt_present()) {
		nat_err(err, errlen, -ENOENT,
			"iptables (legacy): no XENO_* chains");
		free(buf);
		return NULL;
	}
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (!table_exists(tables[i]))
			continue;
		h = iptc_init(tables[i]);
		if (!h)
			continue;
		put_table(buf, TEXT_MAX, tables[i], h);
		iptc_free(h);
	}
	return buf;
}

/* nat_ipt_blockers() - the legacy filter FORWARD policy DROP, appended to
 * @out; 1 or 0. */
int nat_ipt_blockers(const struct nat_config *c, char *out, size_t size)
{
	struct xt_counters cnt;
	struct xtc_handle *h;
	const char *policy;
	int n = 0;

	if (!table_exists("filter"))
		return 0;
	h = iptc_init("filter");
	if (!h)
		return 0;
	policy = iptc_get_policy("FORWARD", &cnt, h);
	if (policy && !strcmp(policy, "DROP")) {
		nat_append(out, size,
			   "iptables (legacy) filter FORWARD has policy DROP; "
			   "allow the domains with: iptables-legacy -I FORWARD "
			   "-o %s -s %s/16 -j ACCEPT && iptables-legacy -I "
			   "FORWARD -i %s -d %s/16 -m conntrack --ctstate "
			   "ESTABLISHED,RELATED,DNAT -j ACCEPT\n", c->uplink,
			   NAT_LL_NET, c->uplink, NAT_LL_NET);
		n = 1;
	}
	iptc_free(h);
	return n;
}

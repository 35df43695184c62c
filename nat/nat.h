/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nat.h - dom0's NAT and the per-domain ssh redirects, two back ends
 *
 * The seed's xen_nat_enable rules (DESIGN.md §10, SEED-NOTES.md §5), kept
 * in xeno's own table (nftables: `table ip xeno`) or chains (legacy
 * iptables: XENO_* chains in the nat and filter tables, one jump each from
 * the built-in chains), so the host's own firewall is never flushed,
 * changed or reordered, and `nat_remove()` takes away exactly what xeno
 * added:
 *
 *   forward  169.254.0.0/16 out of the uplink, and new connections in
 *            from the uplink only to the redirects (plus replies)
 *   nat      MASQUERADE 169.254.0.0/16 out of the uplink, except
 *            169.254.1.0 (dom0's own link-local traffic)
 *   nat      DNAT tcp PORT_BASE+N -> 169.254.1.N:22 arriving on the uplink
 *            and from dom0 itself (OUTPUT)
 *   sysctl   net.ipv4.ip_forward = 1
 *
 * nftables: the redirects are the elements of one map (port -> address),
 * so a domain coming or going is one element change; nat_apply() replaces
 * the whole table in one transaction. iptables: one iptc_commit() per
 * table, rules checked before they are inserted.
 *
 * Every function reports a failure as -errno with a one-line message in
 * @err (NAT_ERR_MAX bytes) saying what and why, and leaves the host's
 * rules as they were.
 */
#ifndef XENO_NAT_H
#define XENO_NAT_H

#include <json-c/json.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAT_ERR_MAX		512
#define NAT_PORT_BASE_DEFAULT	2200
#define NAT_REDIRECTS_MAX	254	/* one per domain id */

enum nat_backend {
	NAT_BACKEND_NFT,
	NAT_BACKEND_IPTABLES,
};

struct nat_config {
	enum nat_backend backend;
	char uplink[IFNAMSIZ];
	uint16_t port_base;		/* domain N's ssh: port_base + N */
};

/* One domain's ssh redirect: uplink TCP @port -> @addr:22. */
struct nat_redirect {
	uint32_t dom;
	uint16_t port;
	struct in_addr addr;
};

/* nat_backend_parse() - "nft" or "iptables"; -EINVAL otherwise. */
int nat_backend_parse(const char *s, enum nat_backend *out);

/* nat_backend_name() - "nft" or "iptables". */
const char *nat_backend_name(enum nat_backend b);

/* nat_default_uplink() - the interface of the IPv4 default route into
 * @ifname. 0, or -ENOENT with @err set when there is none. */
int nat_default_uplink(char ifname[IFNAMSIZ], char *err, size_t errlen);

/* nat_check() - can @c work here: the uplink exists, the back end is
 * usable (the library opens, the kernel has the tables), no other back
 * end holds xeno's rules, port_base + 1 .. port_base + NAT_REDIRECTS_MAX
 * fit in 1..65535. 0, or -errno with @err naming the problem. */
int nat_check(const struct nat_config *c, char *err, size_t errlen);

/* nat_apply() - make xeno's rules exactly @c with redirects @r (@n of
 * them), replacing whatever xeno had (an xend start or an enable), in one
 * transaction per table; ip_forward on. 0 or -errno. */
int nat_apply(const struct nat_config *c, const struct nat_redirect *r,
	      unsigned n, char *err, size_t errlen);

/* nat_redirect_add() / nat_redirect_del() - one domain's redirect (nft:
 * one map element). Adding one that is there, or deleting one that is
 * not, is not an error. 0 or -errno. */
int nat_redirect_add(const struct nat_config *c, const struct nat_redirect *r,
		     char *err, size_t errlen);
int nat_redirect_del(const struct nat_config *c, const struct nat_redirect *r,
		     char *err, size_t errlen);

/* nat_remove() - take away every rule, chain and table xeno added on back
 * end @b (ip_forward is left as it is). Nothing there is not an error.
 * 0 or -errno. */
int nat_remove(enum nat_backend b, char *err, size_t errlen);

/* nat_present() - does back end @b hold xeno's rules now? */
bool nat_present(enum nat_backend b);

/* nat_rules_text() - xeno's rules as the back end lists them (nft list
 * table ip xeno / the XENO_* chains as iptables-save prints them), for
 * status. malloc'd; NULL with @err set. */
char *nat_rules_text(enum nat_backend b, char *err, size_t errlen);

/* nat_forward_blockers() - what on this host would drop the domains'
 * forwarded traffic despite xeno's rules (a FORWARD policy DROP on the
 * legacy filter table or in an nft forward chain of another table, as
 * Docker sets) and how to allow it, one line each, into @out (empty when
 * nothing blocks). Returns the number of lines. */
int nat_forward_blockers(const struct nat_config *c, char *out, size_t size);

/* nat_port_in_use() - is a host service listening on TCP @port (the
 * redirect would shadow it)? */
bool nat_port_in_use(uint16_t port);

#endif /* XENO_NAT_H */

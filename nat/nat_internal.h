/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nat_internal.h - what nat.c shares with the two back ends
 *
 * nat.c checks the input (uplink, ports, addresses) and dispatches;
 * nat_nft.c and nat_ipt.c only turn checked input into rules. Each back
 * end function follows nat.h's conventions: 0 or -errno with a one-line
 * message in @err.
 */
#ifndef XENO_NAT_INTERNAL_H
#define XENO_NAT_INTERNAL_H

#include <stdarg.h>

#include "nat.h"

/* The link-local plan (DESIGN.md §10, SEED-NOTES.md §5). */
#define NAT_LL_NET	"169.254.0.0"
#define NAT_LL_PREFIX	16
#define NAT_DOM0_ADDR	"169.254.1.0"	/* dom0's own: never masqueraded */
#define NAT_SSH_PORT	22

/* nat_err() - snprintf into @err (may be NULL); returns @ret. */
int nat_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* nat_append() - snprintf at the end of the NUL-terminated @buf of @size;
 * false when it did not fit (the text is then cut). */
bool nat_append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* nftables: `table ip xeno` (nat_nft.c) */
int nat_nft_usable(char *err, size_t errlen);
int nat_nft_apply(const struct nat_config *c, const struct nat_redirect *r,
		  unsigned n, char *err, size_t errlen);
int nat_nft_redirect_add(const struct nat_redirect *r, char *err,
			 size_t errlen);
int nat_nft_redirect_del(const struct nat_redirect *r, char *err,
			 size_t errlen);
int nat_nft_remove(char *err, size_t errlen);
bool nat_nft_present(void);
char *nat_nft_rules_text(char *err, size_t errlen);
int nat_nft_blockers(const struct nat_config *c, char *out, size_t size);

/* legacy iptables: XENO_* chains (nat_ipt.c) */
int nat_ipt_usable(char *err, size_t errlen);
int nat_ipt_apply(const struct nat_config *c, const struct nat_redirect *r,
		  unsigned n, char *err, size_t errlen);
int nat_ipt_redirect_add(const struct nat_redirect *r, char *err,
			 size_t errlen);
int nat_ipt_redirect_del(const struct nat_redirect *r, char *err,
			 size_t errlen);
int nat_ipt_remove(char *err, size_t errlen);
bool nat_ipt_present(void);
char *nat_ipt_rules_text(char *err, size_t errlen);
int nat_ipt_blockers(const struct nat_config *c, char *out, size_t size);

#endif /* XENO_NAT_INTERNAL_H */

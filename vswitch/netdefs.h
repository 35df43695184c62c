/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netdefs.h - xeno's address plan and the address checks, in one place
 *
 * The link-local plan (DESIGN.md §3, §9):
 *
 *   169.254.0.0/16      the isolated segment: never on the wire
 *   169.254.1.0         dom0 (vif0.0, the seed's eth0:xen alias), every
 *                       domain's default gateway
 *   169.254.1.N         domain N's first vif (1 <= N <= 254); reserved for
 *                       domain N, whether it exists or not
 *   169.254.254.255:N   the source of domain N's console datagrams, sent to
 *                       169.254.1.0:666
 *
 * Every file that needs one of these numbers takes it from here; the
 * address checks below are the only ones xeno has, so xend, the tools and
 * the switch agree on what a usable unicast address is.
 */
#ifndef XENO_NETDEFS_H
#define XENO_NETDEFS_H

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define XENO_LL_NET		0xa9fe0000u	/* 169.254.0.0 */
#define XENO_LL_PLEN		16
#define XENO_LL_DOMS		0xa9fe0100u	/* 169.254.1.0: dom0 */
#define XENO_LL_DOM_MAX		254		/* 169.254.1.254 */
#define XENO_CONSOLE_SRC	0xa9fefeffu	/* 169.254.254.255 */
#define XENO_CONSOLE_PORT	666

#define XENO_MAC_LEN		ETH_ALEN	/* 6 */
#define XENO_MAC_STRLEN		18		/* "aa:bb:cc:dd:ee:ff" + NUL */

/* xeno_ll_dom() - domain @id's link-local address (host order); @id 0 is
 * dom0's. */
static inline uint32_t xeno_ll_dom(uint32_t id)
{
	return XENO_LL_DOMS | (id & 0xff);
}

/* xeno_ll_owner() - the domain that 169.254.1.N address @host (host byte
 * order) is reserved for: N (0 = dom0), or -1 if @host is not in
 * 169.254.1.0/24 or is its broadcast address. */
static inline int xeno_ll_owner(uint32_t host)
{
	if ((host & 0xffffff00u) != XENO_LL_DOMS || (host & 0xff) == 0xff)
		return -1;
	return (int)(host & 0xff);
}

/* xeno_ip4_unicast() - true if @host (host byte order) can be a vif's or
 * dom0's own address: not 0.0.0.0/8, 127/8, multicast, 240/4 or the
 * limited broadcast. */
static inline bool xeno_ip4_unicast(uint32_t host)
{
	return (host >> 24) != 0 && (host >> 24) != 127 && (host >> 28) < 0xe;
}

/* xeno_ip6_unicast() - the same for IPv6: not ::, ::1 or multicast. */
static inline bool xeno_ip6_unicast(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_MULTICAST(a);
}

/* xeno_mac_unicast() - true if @mac is neither multicast nor all zeros. */
static inline bool xeno_mac_unicast(const uint8_t mac[XENO_MAC_LEN])
{
	return !(mac[0] & 1) &&
	       (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

#endif /* XENO_NETDEFS_H */

// SPDX-License-Identifier: GPL-2.0-or-later
/* table.c - MAC, IPv4 and IPv6 owner tables of the switch
 *
 * Open addressing with linear probing. The tables are derived state: they
 * are rebuilt from the port table after every control change, so there is
 * no deletion logic and the fast path only reads them.
 */

#include <string.h>

#include "vswitch_internal.h"

static inline unsigned hash64(uint64_t k, unsigned size)
{
	k *= 0x9e3779b97f4a7c15ULL;
	return (unsigned)(k >> 40) & (size - 1);
}

static unsigned hash6(const struct in6_addr *a, unsigned size)
{
	uint64_t hi, lo;

	memcpy(&hi, a->s6_addr, 8);
	memcpy(&lo, a->s6_addr + 8, 8);
	return hash64(hi ^ (lo * 0xff51afd7ed558ccdULL), size);
}

static void put_mac(struct vs_tables *t, const uint8_t *mac, uint16_t port)
{
	uint64_t key = mac_key(mac) | 1ULL << 63;
	unsigned i = hash64(key, TBL_MAC_SIZE);

	while (t->mac[i].key && t->mac[i].key != key)
		i = (i + 1) & (TBL_MAC_SIZE - 1);
	t->mac[i].key = key;
	t->mac[i].port = port;
}

static void put_ip4(struct vs_tables *t, struct in_addr a, uint16_t port)
{
	unsigned i = hash64(a.s_addr, TBL_IP_SIZE);

	while (t->ip4[i].addr && t->ip4[i].addr != a.s_addr)
		i = (i + 1) & (TBL_IP_SIZE - 1);
	t->ip4[i].addr = a.s_addr;
	t->ip4[i].port = port;
}

static void put_ip6(struct vs_tables *t, const struct in6_addr *a,
		    uint16_t port)
{
	unsigned i = hash6(a, TBL_IP_SIZE);

	while (!IN6_IS_ADDR_UNSPECIFIED(&t->ip6[i].addr) &&
	       !IN6_ARE_ADDR_EQUAL(&t->ip6[i].addr, a))
		i = (i + 1) & (TBL_IP_SIZE - 1);
	t->ip6[i].addr = *a;
	t->ip6[i].port = port;
}

/**
 * vs_tables_rebuild() - derive the lookup tables from the port table
 * @sw:		switch
 *
 * Address uniqueness across ports is enforced when addresses are added, so
 * every key goes in once.
 */
void vs_tables_rebuild(struct vs_switch *sw)
{
	struct vs_tables *t = &sw->tbl;
	unsigned i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < sw->nactive; i++) {
		const struct vs_port *p = &sw->ports[sw->active[i]];
		uint16_t no = sw->active[i];

		if (p->kind != VS_PORT_WIRE)
			put_mac(t, p->mac, no);
		for (j = 0; j < p->n4; j++)
			put_ip4(t, p->a4[j], no);
		for (j = 0; j < p->n6; j++)
			put_ip6(t, &p->a6[j], no);
	}
}

/* vs_lookup_mac() - port owning @mac, or -1. */
int vs_lookup_mac(const struct vs_switch *sw, const uint8_t *mac)
{
	uint64_t key = mac_key(mac) | 1ULL << 63;
	unsigned i = hash64(key, TBL_MAC_SIZE);

	for (;;) {
		const struct tbl_mac_ent *e = &sw->tbl.mac[i];

		if (e->key == key)
			return e->port;
		if (!e->key)
			return -1;
		i = (i + 1) & (TBL_MAC_SIZE - 1);
	}
}

/* vs_lookup_ip4() - port owning IPv4 address @a, or -1. */
int vs_lookup_ip4(const struct vs_switch *sw, struct in_addr a)
{
	unsigned i = hash64(a.s_addr, TBL_IP_SIZE);

	if (!a.s_addr)
		return -1;
	for (;;) {
		const struct tbl_ip4_ent *e = &sw->tbl.ip4[i];

		if (e->addr == a.s_addr)
			return e->port;
		if (!e->addr)
			return -1;
		i = (i + 1) & (TBL_IP_SIZE - 1);
	}
}

/* vs_lookup_ip6() - port owning IPv6 address @a, or -1. */
int vs_lookup_ip6(const struct vs_switch *sw, const struct in6_addr *a)
{
	unsigned i = hash6(a, TBL_IP_SIZE);

	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return -1;
	for (;;) {
		const struct tbl_ip6_ent *e = &sw->tbl.ip6[i];

		if (IN6_ARE_ADDR_EQUAL(&e->addr, a))
			return e->port;
		if (IN6_IS_ADDR_UNSPECIFIED(&e->addr))
			return -1;
		i = (i + 1) & (TBL_IP_SIZE - 1);
	}
}

/* vs_table_add_ip4()/vs_table_add_ip6() - enter one new address without a
 * rebuild (adding is the common change; removals rebuild). */
void vs_table_add_ip4(struct vs_switch *sw, struct in_addr a, uint16_t port)
{
	put_ip4(&sw->tbl, a, port);
}

void vs_table_add_ip6(struct vs_switch *sw, const struct in6_addr *a,
		      uint16_t port)
{
	put_ip6(&sw->tbl, a, port);
}

/* vs_table_add_mac() - enter a new port's MAC without a rebuild. */
void vs_table_add_mac(struct vs_switch *sw, const uint8_t *mac, uint16_t port)
{
	put_mac(&sw->tbl, mac, port);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* test_policy.c - every drop reason of the ingress policy (DESIGN.md §4),
 * each with a positive control
 *
 * Each negative test sends one frame and checks that it was dropped, that
 * the reason's switch counter and the charged port's counter went up by
 * exactly one, that no other counter moved and that no port received
 * anything (tb_send_drop()). Each positive control sends the nearest
 * legitimate frame and checks exactly who received it (tb_send_deliver()).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fakeport.h"
#include "parse.h"

/* 1. spoof_mac -----------------------------------------------------------*/

static void test_spoof_mac(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* a vif using another vif's MAC, and a made-up one */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[3], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_MAC);
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_EVIL, tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_MAC);
	/* spoof_mac comes first: even an unknown ethertype says spoof_mac */
	len = fb_eth(f, FP_MAC_BCAST, FP_MAC_EVIL, 0x88cc, 46);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_MAC);

	/* positive control: the vif's own MAC */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
}

static void test_spoof_mac_from_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* nobody outside may use a local vif's MAC, or dom0's */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], fp_ip4("192.0.2.1"),
			tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_MAC);
	len = fb_dgram4(f, tb->vif_mac[2], tb->dom0_mac, fp_ip4("192.0.2.1"),
			tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_MAC);

	/* positive control: a foreign MAC from the wire */
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
}

/* 2. bad_ethertype -------------------------------------------------------*/

static void test_bad_ethertype(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	len = fb_eth(f, FP_MAC_BCAST, tb->vif_mac[1], 0x88cc, 46);	/* LLDP */
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_BAD_ETHERTYPE);
	len = fb_eth(f, tb->vif_mac[2], tb->vif_mac[1], 0x8035, 46); /* RARP */
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_BAD_ETHERTYPE);

	/* a VLAN tag around a frame that would pass untagged */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	len = fb_vlan(f, len, 42);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_BAD_ETHERTYPE);
	len = fb_vlan(f, len, 0);	/* QinQ-ish double tag, priority tag */
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_BAD_ETHERTYPE);

	/* positive control: the same frame untagged */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
}

/* 3. malformed -----------------------------------------------------------*/

static void test_malformed(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len, full;

	/* truncated IPv4 (total length says more) */
	full = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			 tb->vif_ip[2]);
	tb_send_drop(tb, VIF(1), f, full - 1, VIF(1), VS_DROP_MALFORMED);
	/* bad IHL */
	f[14] = 0x44;
	tb_send_drop(tb, VIF(1), f, full, VIF(1), VS_DROP_MALFORMED);
	f[14] = 0x45;
	/* total length below the header */
	f[16] = 0;
	f[17] = 12;
	tb_send_drop(tb, VIF(1), f, full, VIF(1), VS_DROP_MALFORMED);
	/* runt */
	tb_send_drop(tb, VIF(1), f, 13, VIF(1), VS_DROP_MALFORMED);
	/* ARP with a hardware size of 8 */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1], tb->vif_ll[2]);
	f[18] = 8;
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_MALFORMED);
	/* truncated ARP */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1], tb->vif_ll[2]);
	tb_send_drop(tb, VIF(1), f, len - 1, VIF(1), VS_DROP_MALFORMED);
	/* truncated NS target */
	(void)fb_ns(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ip6[2],
		    NULL);
	f[19] = 10;
	tb_send_drop(tb, VIF(1), f, 54 + 10, VIF(1), VS_DROP_MALFORMED);

	/* positive controls: the same frames whole */
	full = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			 tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, full, FVIF(2), NULL);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1], tb->vif_ll[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
}

static void test_malformed_dom0_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t full;

	/* dom0 is privileged, but isolation needs a parseable frame */
	full = fb_dgram4(f, tb->vif_mac[2], tb->dom0_mac, tb->dom0_ll,
			 tb->vif_ll[2]);
	tb_send_drop(tb, DOM0, f, full - 5, DOM0, VS_DROP_MALFORMED);
	tb_send_deliver(tb, DOM0, f, full, FVIF(2), NULL);

	full = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("192.0.2.1"),
			 tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, full - 5, WIRE, VS_DROP_MALFORMED);
	tb_send_deliver(tb, WIRE, f, full, FVIF(2), NULL);
}

/* 4. spoof_arp -----------------------------------------------------------*/

static void test_spoof_arp(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in_addr any = { 0 };
	uint32_t len;

	/* sender IP of another vif */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[2], tb->vif_ll[3]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);
	/* sender IP of dom0 (ARP cache poisoning of the gateway) */
	len = fb_arp_reply(f, tb->vif_mac[2], tb->vif_mac[1], tb->dom0_ll,
			   tb->vif_ll[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);
	/* sender IP nobody has */
	len = fb_arp_req(f, tb->vif_mac[1], fp_ip4("10.0.0.99"), tb->vif_ip[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);
	/* sender MAC not the vif's (the Ethernet source is right) */
	len = fb_arp(f, FP_MAC_BCAST, tb->vif_mac[1], 1, tb->vif_mac[2],
		     tb->vif_ll[1], FP_MAC_ZERO, tb->vif_ll[3]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);
	/* a probe, but with a foreign sender MAC */
	len = fb_arp(f, FP_MAC_BCAST, tb->vif_mac[1], 1, FP_MAC_EVIL, any,
		     FP_MAC_ZERO, tb->vif_ll[3]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);

	/* only a request (a probe) may come from 0.0.0.0, not a reply */
	len = fb_arp_reply(f, tb->vif_mac[2], tb->vif_mac[1], any,
			   tb->vif_ll[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);
	len = fb_arp(f, FP_MAC_BCAST, tb->vif_mac[1], 2, tb->vif_mac[1], any,
		     FP_MAC_ZERO, tb->vif_ll[3]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ARP);

	/* positive controls: own sender, ARP probe with 0.0.0.0, reply */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1], tb->vif_ll[3]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(3), NULL);
	len = fb_arp_req(f, tb->vif_mac[1], any, tb->vif_ll[3]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(3), NULL);
	len = fb_arp_req(f, tb->vif_mac[1], any, tb->vif_ip[1]);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
	len = fb_arp_reply(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ll[1],
			   tb->vif_ll[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
}

static void test_dom0_privileged(void **state)
{
	struct testbed *tb = *state;
	struct in6_addr ll = fp_ip6("fe80::1");
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* dom0 may speak for any address, send RAs, use another MAC */
	len = fb_arp_reply(f, tb->vif_mac[2], tb->dom0_mac, fp_ip4("10.0.0.77"),
			   tb->vif_ip[2]);
	tb_send_deliver(tb, DOM0, f, len, FVIF(2), NULL);
	len = fb_udp4(f, tb->vif_mac[2], tb->dom0_mac, fp_ip4("198.51.100.1"),
		      tb->vif_ip[2], 53, 2000, 32);
	tb_send_deliver(tb, DOM0, f, len, FVIF(2), NULL);
	len = fb_ra(f, tb->dom0_mac, &ll);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	len = fb_udp4(f, tb->vif_mac[3], FP_MAC_GW, fp_ip4("198.51.100.1"),
		      tb->vif_ip[3], 53, 2000, 32);
	tb_send_deliver(tb, DOM0, f, len, FVIF(3), NULL);
	len = fb_eth(f, FP_MAC_BCAST, tb->dom0_mac, 0x88cc, 46);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
}

/* 5. spoof_ip (IPv4) -----------------------------------------------------*/

static void test_spoof_ip4(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in_addr any = { 0 };
	uint32_t len;

	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[2],
			tb->vif_ip[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	len = fb_icmp4(f, tb->dom0_mac, tb->vif_mac[1], tb->dom0_ip,
		       tb->dom0_ip);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], fp_ip4("8.8.8.8"),
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	/* 0.0.0.0 outside the DHCP client exception */
	len = fb_icmp4(f, FP_MAC_BCAST, tb->vif_mac[1], any, fp_ip4("255.255.255.255"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], any,
		      fp_ip4("255.255.255.255"), 67, 68, 240);	/* server side */
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], any,
		      fp_ip4("255.255.255.255"), 68, 68, 240);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	len = fb_ip4(f, FP_MAC_BCAST, tb->vif_mac[1], any,
		     fp_ip4("255.255.255.255"), IPPROTO_TCP, 20);
	f[34] = 0;
	f[35] = 68;
	f[37] = 67;				/* TCP 68 -> 67: not DHCP */
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);

	/* positive controls: own address (unicast and broadcast) */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_dgram4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("10.0.0.255"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
}

static void test_dhcp_client_to_dom0_only(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len = fb_dhcp(f, tb->vif_mac[1]);

	/* A broadcast DHCPDISCOVER from 0.0.0.0 is let through, but only
	 * dom0 hears it: not the other vifs, not the wire. */
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	/* ... and it is still subject to the MAC check */
	len = fb_dhcp(f, tb->vif_mac[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_MAC);
}

/* 6. spoof_ip (IPv6), ra_guard, spoof_nd ---------------------------------*/

static void test_spoof_ip6(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], bcast6[6];
	struct in6_addr all = fp_ip6("ff02::1"), any, other_ll, x;
	uint32_t len;

	memset(&any, 0, sizeof(any));
	fp_mcast6_mac(&all, bcast6);
	/* another vif's global address */
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[2],
		      &tb->vif_ip6[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	/* the EUI-64 link-local address of another MAC */
	fp_eui64_ll6(FP_MAC_EVIL, &other_ll);
	len = fb_udp6(f, bcast6, tb->vif_mac[1], &other_ll, &all);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	/* another vif's link-local address */
	len = fb_udp6(f, bcast6, tb->vif_mac[1], &tb->vif_ll6[2], &all);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	/* an address in the vif's own /64 it does not have */
	x = fp_ip6("2001:db8::1:1");
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &x, &tb->vif_ip6[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	/* :: outside DAD: UDP, an NA, an RS */
	len = fb_udp6(f, bcast6, tb->vif_mac[1], &any, &all);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	len = fb_na(f, tb->vif_mac[1], &any, &tb->vif_ip6[1], NULL);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	/* an RA from a foreign source: the source check comes first */
	len = fb_ra(f, tb->vif_mac[1], &other_ll);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);

	/* positive controls: own global, EUI-64 fe80::, :: for DAD */
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		      &tb->vif_ip6[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_udp6(f, bcast6, tb->vif_mac[1], &tb->vif_ll6[1], &all);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_ns(f, tb->vif_mac[1], &any, &tb->vif_ip6[1], NULL);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_icmp6(f, bcast6, tb->vif_mac[1], &any, &all,
		       ICMP6_MLD2_REPORT_, (const uint8_t[4]){ 0 }, 4);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	/* an address added at run time becomes a valid source */
	assert_int_equal(vs_addr6_add(SW, VIF(1), &x), 0);
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &x, &tb->vif_ip6[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
}

static void test_ra_guard(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in6_addr t = fp_ip6("fe80::99"), dst = fp_ip6("2001:db8::2:2");
	uint32_t len;

	/* RA and Redirect from a domain, from its own legitimate sources */
	len = fb_ra(f, tb->vif_mac[1], &tb->vif_ll6[1]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	len = fb_ra(f, tb->vif_mac[1], &tb->vif_ip6[1]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	len = fb_redirect(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ll6[1],
			  &tb->vif_ll6[2], &t, &dst);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	/* an RA behind extension headers (first fragment) is still an RA */
	len = fb_ra(f, tb->vif_mac[1], &tb->vif_ll6[1]);
	{
		uint32_t plen = len - 54;

		memmove(f + 62, f + 54, plen);
		memset(f + 54, 0, 8);
		f[54] = 58;		/* next: ICMPv6 */
		f[57] = 1;		/* M=1, offset 0 */
		f[20] = 44;		/* fragment header */
		plen += 8;
		f[18] = (uint8_t)(plen >> 8);
		f[19] = (uint8_t)plen;
		len += 8;
	}
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);

	/* positive controls: an RS from the vif, and an RA from dom0 */
	len = fb_rs(f, tb->vif_mac[1], &tb->vif_ll6[1]);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_ra(f, tb->dom0_mac, &t);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	len = fb_redirect(f, tb->vif_mac[2], tb->dom0_mac, &t,
			  &tb->vif_ll6[2], &t, &dst);
	tb_send_deliver(tb, DOM0, f, len, FVIF(2), NULL);
}

static void test_spoof_nd(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in6_addr any;
	uint32_t len;

	memset(&any, 0, sizeof(any));
	/* NA for a target the vif does not own (another vif's) */
	len = fb_na(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ip6[2],
		    tb->vif_mac[1]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);
	len = fb_na(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->dom0_ip6, NULL);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);
	/* NA for its own target, but a target lladdr that is not its MAC */
	len = fb_na(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ip6[1],
		    tb->vif_mac[2]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);
	/* NS with a source lladdr that is not its MAC */
	len = fb_ns(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ip6[2],
		    FP_MAC_EVIL);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);
	/* DAD NS (from ::) for a target it does not own */
	len = fb_ns(f, tb->vif_mac[1], &any, &tb->vif_ip6[2], NULL);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);
	len = fb_ns(f, tb->vif_mac[1], &any, &tb->vif_ll6[2], NULL);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);

	/* positive controls */
	len = fb_na(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ip6[1],
		    tb->vif_mac[1]);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_na(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ll6[1],
		    NULL);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	/* an NS may ask for anyone's address */
	len = fb_ns(f, tb->vif_mac[1], &tb->vif_ll6[1], &tb->vif_ip6[2],
		    tb->vif_mac[1]);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	/* DAD for its own addresses */
	len = fb_ns(f, tb->vif_mac[1], &any, &tb->vif_ip6[1], NULL);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_ns(f, tb->vif_mac[1], &any, &tb->vif_ll6[1], NULL);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	/* dom0 may answer for anything */
	len = fb_na(f, tb->dom0_mac, &tb->dom0_ip6, &tb->vif_ip6[2],
		    FP_MAC_EVIL);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
}

/* RA guard finds an RA or Redirect behind any extension header of known
 * length (AH included), and drops from a domain what it cannot rule out:
 * an unknown next header, or a first fragment without the upper layer. */
static void test_ra_guard_ext(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], mac6[6];
	struct in6_addr t = fp_ip6("fe80::99"), dst = fp_ip6("2001:db8::2:2"),
			all = fp_ip6("ff02::1");
	uint32_t len;

	fp_mcast6_mac(&all, mac6);
	/* RA behind AH, behind Hop-by-Hop + AH + fragment, behind Mobility */
	len = fb_ra(f, tb->vif_mac[1], &tb->vif_ll6[1]);
	len = fb_ip6_ext(f, len, IPPROTO_AH, 24, 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	len = fb_ip6_ext(f, len, IPPROTO_FRAGMENT, 8, 1);
	len = fb_ip6_ext(f, len, IPPROTO_HOPOPTS, 8, 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	len = fb_ra(f, tb->vif_mac[1], &tb->vif_ll6[1]);
	len = fb_ip6_ext(f, len, IPPROTO_MH, 16, 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	/* Redirect behind AH + Destination Options */
	len = fb_redirect(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ll6[1],
			  &tb->vif_ll6[2], &t, &dst);
	len = fb_ip6_ext(f, len, IPPROTO_AH, 12, 0);
	len = fb_ip6_ext(f, len, IPPROTO_DSTOPTS, 8, 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	/* an unknown next header (200) */
	len = fb_ip6(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all, 200, 64);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);
	/* a first fragment that stops before the ICMPv6 header */
	len = fb_ip6(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all,
		     IPPROTO_ICMPV6, 0);
	len = fb_ip6_ext(f, len, IPPROTO_DSTOPTS, 8, 0);
	len = fb_ip6_ext(f, len, IPPROTO_FRAGMENT, 8, 1);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_RA_GUARD);

	/* positive controls: the nearest legitimate frames pass. UDP and an
	 * echo request behind AH, ESP, a whole first fragment of UDP, a
	 * later fragment (its first fragment carries the header) */
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		      &tb->vif_ip6[2]);
	len = fb_ip6_ext(f, len, IPPROTO_AH, 24, 0);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_icmp6(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all, 128,
		       (const uint8_t[4]){ 0, 1, 0, 1 }, 4);
	len = fb_ip6_ext(f, len, IPPROTO_AH, 24, 0);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_ip6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		     &tb->vif_ip6[2], IPPROTO_ESP, 64);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_udp6(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ip6[1],
		      &tb->vif_ip6[2]);
	len = fb_ip6_ext(f, len, IPPROTO_FRAGMENT, 8, 1);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_ip6(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all,
		     IPPROTO_ICMPV6, 64);
	len = fb_ip6_ext(f, len, IPPROTO_FRAGMENT, 8, 0x0100);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	/* dom0 may send all of it */
	len = fb_ra(f, tb->dom0_mac, &t);
	len = fb_ip6_ext(f, len, IPPROTO_AH, 24, 0);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	len = fb_ip6(f, mac6, tb->dom0_mac, &t, &all, 200, 64);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
}

/* A Router Solicitation's source link-layer option must be the vif's. */
static void test_spoof_nd_rs(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], body[12] = { 0, 0, 0, 0, 1, 1 }, mac6[6];
	struct in6_addr all_r = fp_ip6("ff02::2");
	uint32_t len;

	fp_mcast6_mac(&all_r, mac6);
	memcpy(body + 6, tb->vif_mac[2], 6);
	len = fb_icmp6(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all_r,
		       ICMP6_ROUTER_SOLICIT_, body, sizeof(body));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);
	memcpy(body + 6, FP_MAC_EVIL, 6);
	len = fb_icmp6(f, mac6, tb->vif_mac[1], &tb->vif_ip6[1], &all_r,
		       ICMP6_ROUTER_SOLICIT_, body, sizeof(body));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_ND);

	/* positive controls: its own MAC in the option, and no option */
	memcpy(body + 6, tb->vif_mac[1], 6);
	len = fb_icmp6(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all_r,
		       ICMP6_ROUTER_SOLICIT_, body, sizeof(body));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = fb_rs(f, tb->vif_mac[1], &tb->vif_ll6[1]);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
}

/* 7. dhcp_guard ------------------------------------------------------------*/

/* UDP over IPv6 from @sport to @dport */
static uint32_t udp6_ports(uint8_t *f, const uint8_t dst[6],
			   const uint8_t src[6], const struct in6_addr *s,
			   const struct in6_addr *d, uint16_t sport,
			   uint16_t dport)
{
	uint32_t len = fb_udp6(f, dst, src, s, d);

	f[54] = (uint8_t)(sport >> 8);
	f[55] = (uint8_t)sport;
	f[56] = (uint8_t)(dport >> 8);
	f[57] = (uint8_t)dport;
	return len;
}

static void test_dhcp_guard(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], mac6[6];
	struct in_addr bcast = fp_ip4("255.255.255.255");
	struct in6_addr all = fp_ip6("ff02::1:2");
	uint32_t len;

	fp_mcast6_mac(&all, mac6);
	/* a DHCPOFFER from the vif's own address, broadcast and unicast */
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1], bcast,
		      67, 68, 240);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_DHCP_GUARD);
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ll[1],
		      tb->vif_ll[2], 67, 68, 240);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_DHCP_GUARD);
	/* a DHCPv6 ADVERTISE/REPLY, plain and behind extension headers */
	len = udp6_ports(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ll6[1],
			 &tb->vif_ll6[2], 547, 546);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_DHCP_GUARD);
	len = fb_ip6_ext(f, len, IPPROTO_AH, 24, 0);
	len = fb_ip6_ext(f, len, IPPROTO_FRAGMENT, 8, 1);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_DHCP_GUARD);
	/* a tiny first fragment cannot hide the ports: malformed */
	len = fb_ip4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1], bcast,
		     IPPROTO_UDP, 4);
	f[20] = 0x20;			/* MF, offset 0 */
	f[34] = 0;
	f[35] = 67;
	f[37] = 68;
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_MALFORMED);
	/* the source checks come first */
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[2], bcast,
		      67, 68, 240);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);

	/* positive controls: client messages, a relay's 67 -> 67, DHCPv6
	 * client 546 -> 547 */
	len = fb_udp4(f, tb->dom0_mac, tb->vif_mac[1], tb->vif_ip[1],
		      tb->dom0_ip, 68, 67, 240);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_udp4(f, tb->dom0_mac, tb->vif_mac[1], tb->vif_ip[1],
		      tb->dom0_ip, 67, 67, 240);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = udp6_ports(f, mac6, tb->vif_mac[1], &tb->vif_ll6[1], &all,
			 546, 547);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	/* ... a trusted vif may serve, until the mark is taken off */
	assert_int_equal(vs_port_set_dhcp_trusted(SW, VIF(1), true), 0);
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1], bcast,
		      67, 68, 240);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
	len = udp6_ports(f, tb->vif_mac[2], tb->vif_mac[1], &tb->vif_ll6[1],
			 &tb->vif_ll6[2], 547, 546);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	/* ... another vif is still not trusted */
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[2], tb->vif_ip[2], bcast,
		      67, 68, 240);
	tb_send_drop(tb, VIF(2), f, len, VIF(2), VS_DROP_DHCP_GUARD);
	assert_int_equal(vs_port_set_dhcp_trusted(SW, VIF(1), false), 0);
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1], bcast,
		      67, 68, 240);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_DHCP_GUARD);
	/* dom0 and the wire are not subject to it */
	len = fb_udp4(f, FP_MAC_BCAST, tb->dom0_mac, tb->dom0_ip, bcast, 67,
		      68, 240);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	len = fb_udp4(f, FP_MAC_BCAST, FP_MAC_GW, fp_ip4("192.0.2.1"), bcast,
		      67, 68, 240);
	tb_send_deliver(tb, WIRE, f, len, FDOM0, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	len = udp6_ports(f, tb->vif_mac[2], tb->dom0_mac, &tb->dom0_ip6,
			 &tb->vif_ll6[2], 547, 546);
	tb_send_deliver(tb, DOM0, f, len, FVIF(2), NULL);
	assert_int_equal(vs_port_set_dhcp_trusted(SW, 250, true), -ENOENT);
}

/* The flag can be given when the port is added. */
static void test_dhcp_trusted_config(void **state)
{
	struct testbed *tb = *state;
	struct fakeport fp;
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF, .mac = { 0xaa, 0, 0, 0, 0, 9 },
		.name = "vif9.0", .domid = 9, .frame_max = FP_FRAME_BUF,
		.dhcp_trusted = true, .ops = &fp_ops, .ctx = &fp,
	};
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;
	int p;

	fp_init(&fp, "vif9.0");
	p = vs_port_add(SW, &cfg);
	assert_true(p >= 0);
	assert_int_equal(vs_addr4_add(SW, (unsigned)p, fp_ip4("10.0.0.9")), 0);
	len = fb_udp4(f, tb->vif_mac[2], cfg.mac, fp_ip4("10.0.0.9"),
		      tb->vif_ip[2], 67, 68, 240);
	tb_send_deliver(tb, p, f, len, FVIF(2), NULL);
	assert_int_equal(vs_port_set_dhcp_trusted(SW, (unsigned)p, false), 0);
	tb_send_drop(tb, p, f, len, p, VS_DROP_DHCP_GUARD);
	assert_int_equal(vs_port_del(SW, (unsigned)p), 0);
	fp_free(&fp);
}

/* Isolation --------------------------------------------------------------*/

static void test_isolated_from_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* link-local source, link-local destination, ARP for / from one */
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("169.254.7.7"),
			tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ll[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("192.0.2.1"), tb->vif_ll[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("169.254.200.1"), tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("169.254.200.1"), tb->dom0_ll);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);

	/* positive controls: the same, routable */
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("192.0.2.1"), tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("192.0.2.1"),
			 fp_ip4("192.0.2.2"));
	tb_send_deliver(tb, WIRE, f, len, FDOM0, NULL);
}

static void test_isolated_to_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* vif: link-local unicast to a MAC out on the wire */
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ll[1],
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("169.254.9.9"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);
	/* vif: ARP request for an unowned link-local address */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1],
			 fp_ip4("169.254.9.9"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);
	/* dom0 too: isolation applies to the privileged port */
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ll,
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	len = fb_arp_req(f, tb->dom0_mac, tb->dom0_ll, fp_ip4("169.254.9.9"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	len = fb_arp_reply(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ll,
			   fp_ip4("169.254.9.9"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);

	/* positive controls: routable addresses go out on the wire, and
	 * link-local ones reach local ports */
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("192.0.2.1"));
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("192.0.2.1"));
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	len = fb_dgram4(f, tb->dom0_mac, tb->vif_mac[1], tb->vif_ll[1],
			tb->dom0_ll);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
}

/* A VLAN tag does not hide a link-local frame from the isolation rules:
 * dom0 and the wire may send tagged frames, but what they carry counts. */
static void test_isolated_vlan(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ll,
			fp_ip4("192.0.2.1"));
	len = fb_vlan(f, len, 7);
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ll[1]);
	len = fb_vlan(f, len, 7);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);

	/* positive controls: tagged routable frames pass */
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("192.0.2.1"));
	len = fb_vlan(f, len, 7);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[1]);
	len = fb_vlan(f, len, 7);
	tb_send_deliver(tb, WIRE, f, len, FVIF(1), NULL);
}

/* However many tags are stacked, isolation is judged on what the inner
 * frame carries; a stack that cannot be classified never leaves. */
static void test_isolated_vlan_stack(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len, full;
	unsigned i;

	/* three tags, and five of mixed TPIDs, around a link-local frame */
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ll,
			fp_ip4("192.0.2.1"));
	for (i = 0; i < 3; i++)
		len = fb_vlan(f, len, (uint16_t)(7 + i));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	len = fb_vlan(f, fb_vlan(f, len, 1), 2);
	f[16] = 0x88;			/* 2nd tag 802.1ad, 4th 0x9100 */
	f[17] = 0xa8;
	f[24] = 0x91;
	f[25] = 0x00;
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	len = fb_arp_req(f, tb->dom0_mac, tb->dom0_ll, fp_ip4("169.254.9.9"));
	for (i = 0; i < 3; i++)
		len = fb_vlan(f, len, 7);
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ll[1]);
	for (i = 0; i < 3; i++)
		len = fb_vlan(f, len, 7);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);
	/* cut inside the tag stack or the inner header: malformed, from
	 * dom0 and the wire alike (never sent to the wire unclassified) */
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("192.0.2.1"));
	for (i = 0; i < 3; i++)
		len = fb_vlan(f, len, 7);
	full = len;
	tb_send_drop(tb, DOM0, f, 14 + 6, DOM0, VS_DROP_MALFORMED);
	tb_send_drop(tb, DOM0, f, 14 + 12 + 10, DOM0, VS_DROP_MALFORMED);
	tb_send_drop(tb, WIRE, f, 14 + 6, WIRE, VS_DROP_MALFORMED);
	/* a domain may not send tagged frames at all */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	for (i = 0; i < 3; i++)
		len = fb_vlan(f, len, 7);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_BAD_ETHERTYPE);

	/* positive controls: stacked routable frames pass, both ways */
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("192.0.2.1"));
	for (i = 0; i < 3; i++)
		len = fb_vlan(f, len, 7);
	assert_int_equal(len, full);
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[1]);
	for (i = 0; i < 5; i++)
		len = fb_vlan(f, len, 7);
	tb_send_deliver(tb, WIRE, f, len, FVIF(1), NULL);
}

/* The LAN may not impersonate a domain: its addresses as source IP, ARP
 * sender or NA target from the wire are spoofs. dom0's are not checked. */
static void test_spoof_from_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], gw6[6] = { 0x02, 0x66, 0, 0, 0, 1 };
	struct in6_addr out = fp_ip6("2001:db8:beef::1");
	uint32_t len;

	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_IP);
	len = fb_dgram4(f, FP_MAC_BCAST, FP_MAC_GW, tb->vif_ip[3],
			fp_ip4("10.0.0.255"));
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_IP);
	len = fb_arp_req(f, FP_MAC_GW, tb->vif_ip[1], tb->vif_ip[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_ARP);
	len = fb_arp_reply(f, tb->dom0_mac, FP_MAC_GW, tb->vif_ip[1],
			   tb->dom0_ip);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_ARP);
	len = fb_udp6(f, tb->vif_mac[2], gw6, &tb->vif_ip6[1], &tb->vif_ip6[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_IP);
	len = fb_udp6(f, tb->vif_mac[2], gw6, &tb->vif_ll6[1], &tb->vif_ll6[2]);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_IP);
	fp_eui64_ll6(gw6, &out);
	len = fb_na(f, gw6, &out, &tb->vif_ip6[1], gw6);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_ND);
	len = fb_na(f, gw6, &out, &tb->vif_ll6[2], gw6);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_SPOOF_ND);

	/* positive controls: an unowned LAN address, dom0's addresses (the
	 * LAN may legitimately share them), the LAN host's own NA and a
	 * DAD probe for a vif's address (the vif defends it) */
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("10.0.0.77"),
			tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, tb->dom0_ip,
			tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_arp_req(f, FP_MAC_GW, tb->dom0_ip, tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("10.0.0.77"), tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_udp6(f, tb->vif_mac[2], gw6, &tb->dom0_ip6, &tb->vif_ip6[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_udp6(f, tb->vif_mac[2], gw6, &out, &tb->vif_ip6[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_na(f, gw6, &out, &out, gw6);
	tb_send_deliver(tb, WIRE, f, len, FDOM0, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	{
		struct in6_addr any;

		memset(&any, 0, sizeof(any));
		len = fb_ns(f, gw6, &any, &tb->vif_ip6[1], NULL);
		tb_send_deliver(tb, WIRE, f, len, FDOM0, FVIF(1), FVIF(2),
				FVIF(3), NULL);
	}
}

/* MACs are exactly six colon-separated pairs of hex digits. */
static void test_mac_parse(void **state)
{
	static const char *const bad[] = {
		"aa:-1:00:00:00:01", "aa: 1:00:00:00:01", "aa:+1:00:00:00:01",
		"aa:0x:00:00:00:01", "aa:00:00:00:00", "aa:00:00:00:00:01:",
		"aa-00-00-00-00-01", "", "gg:00:00:00:00:01",
	};
	uint8_t mac[6];
	char out[18];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vs_mac_parse(bad[i], mac), -EINVAL);
	assert_int_equal(vs_mac_parse("AA:00:0b:12:34:fe", mac), 0);
	vs_mac_format(mac, out);
	assert_string_equal(out, "aa:00:0b:12:34:fe");
}

static void test_isolated_flood_only_wire(void **state)
{
	/* dom0 and the wire only: an isolated broadcast from dom0 has
	 * nowhere to go but the wire */
	struct testbed *tb = tb_new(0, true);
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	(void)state;
	len = fb_dgram4(f, FP_MAC_BCAST, tb->dom0_mac, tb->dom0_ll,
			fp_ip4("169.254.255.255"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_ISOLATED_TO_WIRE);
	/* positive control: a routable broadcast goes out */
	len = fb_dgram4(f, FP_MAC_BCAST, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("10.0.0.255"));
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	tb_free(tb);
}

static void test_isolated_prefixes(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], gw6[6] = { 0x02, 0x66, 0, 0, 0, 1 };
	struct in6_addr pfx = fp_ip6("2001:db8:dead::"), a = fp_ip6("2001:db8:dead::1"),
			out = fp_ip6("2001:db8:beef::1"), ula = fp_ip6("fd00:1:2::5");
	struct in_addr v4 = fp_ip4("10.0.0.0");
	unsigned i;
	uint32_t len;

	/* a /48 in the middle of the vif's /64 neighbourhood */
	assert_int_equal(vs_addr6_add(SW, VIF(1), &a), 0);
	len = fb_udp6(f, gw6, tb->vif_mac[1], &a, &out);
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	assert_int_equal(vs_isolated_add(SW, AF_INET6, &pfx, 48), 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);
	/* destination inside it, from the wire */
	len = fb_udp6(f, tb->vif_mac[1], gw6, &out, &a);
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_ISOLATED_FROM_WIRE);
	/* a neighbour just outside the /48 is not isolated */
	len = fb_udp6(f, gw6, tb->vif_mac[1], &tb->vif_ip6[1], &out);
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	/* ... nor ULA, until a non-octet-aligned prefix covers it */
	len = fb_udp6(f, gw6, tb->vif_mac[1], &tb->vif_ip6[1], &ula);
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	pfx = fp_ip6("fc00::");
	assert_int_equal(vs_isolated_add(SW, AF_INET6, &pfx, 7), 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);
	/* host bits in the prefix are ignored */
	pfx = fp_ip6("2001:db8:0:0:ffff::");
	len = fb_udp6(f, gw6, tb->vif_mac[1], &tb->vif_ip6[1], &out);
	assert_int_equal(vs_isolated_add(SW, AF_INET6, &pfx, 64), 0);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);

	/* clearing lifts 169.254/16 too; IPv4 prefixes are configurable */
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ll[1],
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);
	vs_isolated_clear(SW);
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	assert_int_equal(vs_isolated_add(SW, AF_INET, &v4, 24), 0);
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_ISOLATED_TO_WIRE);

	/* argument checks */
	assert_int_equal(vs_isolated_add(SW, AF_INET, &v4, 33), -EINVAL);
	assert_int_equal(vs_isolated_add(SW, AF_INET6, &pfx, 129), -EINVAL);
	assert_int_equal(vs_isolated_add(SW, AF_UNIX, &v4, 8), -EINVAL);
	vs_isolated_clear(SW);
	for (i = 0; i < VS_ISOLATED_MAX; i++)
		assert_int_equal(vs_isolated_add(SW, AF_INET, &v4, 8), 0);
	assert_int_equal(vs_isolated_add(SW, AF_INET, &v4, 8), -ENOSPC);
}

/* Routing ----------------------------------------------------------------*/

static void test_no_route(void **state)
{
	struct testbed *tb = *state;	/* no wire */
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* unknown unicast with no wire */
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_NO_ROUTE);
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("192.0.2.1"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_NO_ROUTE);
	/* to itself: never back out of the ingress port */
	len = fb_dgram4(f, tb->vif_mac[1], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[1]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_NO_ROUTE);
	/* positive control: a known MAC */
	len = fb_dgram4(f, tb->vif_mac[3], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[3]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(3), NULL);
}

static void test_no_route_lonely(void **state)
{
	/* dom0 alone: a broadcast has nobody to go to */
	struct testbed *tb = tb_new(0, false);
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	(void)state;
	len = fb_dgram4(f, FP_MAC_BCAST, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("10.0.0.255"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_NO_ROUTE);
	tb_free(tb);

	/* with a wire: unknown unicast from the wire is not sent back */
	tb = tb_new(1, true);
	len = fb_dgram4(f, FP_MAC_EVIL, FP_MAC_GW, fp_ip4("192.0.2.1"),
			fp_ip4("192.0.2.2"));
	tb_send_drop(tb, WIRE, f, len, WIRE, VS_DROP_NO_ROUTE);
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[1]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(1), NULL);
	/* and a vif's unknown unicast does go to the wire */
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("192.0.2.1"));
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	tb_free(tb);
}

/* Destination-side drops -------------------------------------------------*/

static void test_rx_ratelimit(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct tb_snap *s = malloc(sizeof(*s));
	struct vs_port_stats ps;
	uint32_t len;

	assert_non_null(s);
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		      tb->vif_ip[2], 1000, 2000, 100);	/* 142 bytes */
	/* vif2 may receive 200 bytes per second: one frame */
	tb->now = 1000;
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(2), 200, 1000000, 0,
					      tb->now), 0);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	/* the second is over the limit: charged to the receiver */
	tb_send_drop(tb, VIF(1), f, len, VIF(2), VS_DROP_RX_RATELIMIT);
	tb->now += 999999999;
	tb_send_drop(tb, VIF(1), f, len, VIF(2), VS_DROP_RX_RATELIMIT);
	/* positive control: after the refill it passes again */
	tb->now += 1;
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	/* the sender is not limited: others still hear it */
	len = fb_udp4(f, tb->vif_mac[3], tb->vif_mac[1], tb->vif_ip[1],
		      tb->vif_ip[3], 1000, 2000, 100);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(3), NULL);

	/* a broadcast that reaches the others is delivered; only vif2's
	 * counter records what it missed */
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1],
		      fp_ip4("10.0.0.255"), 1000, 2000, 100);
	tb_snap(tb, s);
	assert_int_equal(tb_send(tb, VIF(1), f, len, tb->now), 1);
	assert_int_equal(vs_port_stats(SW, VIF(2), &ps), 0);
	assert_int_equal(ps.drops[VS_DROP_RX_RATELIMIT],
			 s->port[VIF(2)].drops[VS_DROP_RX_RATELIMIT] + 1);
	assert_int_equal(tb->vif[2].nlog, 2);
	assert_int_equal(tb->vif[3].nlog, 2);
	{
		struct vs_stats st;

		vs_switch_stats(SW, &st);
		assert_int_equal(st.delivered, s->sw.delivered + 1);
		assert_int_equal(st.drops[VS_DROP_RX_RATELIMIT],
				 s->sw.drops[VS_DROP_RX_RATELIMIT]);
	}
	tb_expect_invariant(tb);
	free(s);
}

static void test_tx_error(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct vs_frame fr[5];
	struct vs_stats st0, st1;
	struct vs_port_stats ps0, ps1;
	uint32_t len;
	unsigned i;

	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	/* vif2's back end refuses everything: charged to vif2 */
	tb->vif[2].accept = 0;
	tb_send_drop(tb, VIF(1), f, len, VIF(2), VS_DROP_TX_ERROR);
	assert_int_equal(tb->vif[2].tx_refused, 1);
	/* positive control: it recovers */
	tb->vif[2].accept = FP_ACCEPT_ALL;
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);

	/* a refused prefix of a batch: tx returns 2 of 5 */
	for (i = 0; i < 5; i++)
		fr[i] = (struct vs_frame){ .data = f, .len = len, .cap = len };
	tb->vif[2].accept = 2;
	vs_switch_stats(SW, &st0);
	assert_int_equal(vs_port_stats(SW, VIF(2), &ps0), 0);
	assert_int_equal(vs_input(SW, VIF(1), fr, 5, tb->now), 5);
	vs_switch_stats(SW, &st1);
	assert_int_equal(vs_port_stats(SW, VIF(2), &ps1), 0);
	assert_int_equal(st1.delivered - st0.delivered, 2);
	assert_int_equal(st1.drops[VS_DROP_TX_ERROR] -
			 st0.drops[VS_DROP_TX_ERROR], 3);
	assert_int_equal(ps1.drops[VS_DROP_TX_ERROR] -
			 ps0.drops[VS_DROP_TX_ERROR], 3);
	assert_int_equal(ps1.rx_packets - ps0.rx_packets, 2);
	tb_expect_invariant(tb);

	/* a flood where one back end fails is still delivered */
	tb->vif[2].accept = 0;
	len = fb_dgram4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("10.0.0.255"));
	vs_switch_stats(SW, &st0);
	assert_int_equal(tb_send(tb, VIF(1), f, len, tb->now), 1);
	vs_switch_stats(SW, &st1);
	assert_int_equal(st1.delivered - st0.delivered, 1);
	assert_int_equal(st1.drops[VS_DROP_TX_ERROR],
			 st0.drops[VS_DROP_TX_ERROR]);
	/* ... and dropped once when every destination fails */
	tb->dom0.accept = tb->wire.accept = tb->vif[3].accept = 0;
	vs_switch_stats(SW, &st0);
	assert_int_equal(tb_send(tb, VIF(1), f, len, tb->now), 1);
	vs_switch_stats(SW, &st1);
	assert_int_equal(st1.delivered, st0.delivered);
	assert_int_equal(st1.drops[VS_DROP_TX_ERROR] -
			 st0.drops[VS_DROP_TX_ERROR], 1);
	tb_expect_invariant(tb);
}

/* Ordering and credit: ingress drops cost no credit ----------------------*/

static void test_ingress_drop_costs_no_credit(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct credit_info ci;
	uint32_t len;

	assert_int_equal(vs_port_set_tx_limit(SW, VIF(1), 1000, 1000000, 0,
					      0), 0);
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[2],
		      tb->vif_ip[2], 1000, 2000, 500);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.remaining, 1000);
	/* a legitimate frame is charged */
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		      tb->vif_ip[2], 1000, 2000, 500);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	assert_int_equal(vs_port_limits(SW, VIF(1), &ci, NULL), 0);
	assert_int_equal(ci.remaining, 1000 - (int64_t)len);
}

/* Every reason has a name, and every reason is covered above ---------------*/

static void test_drop_names(void **state)
{
	unsigned r;

	(void)state;
	for (r = 0; r < VS_DROP__MAX; r++) {
		assert_non_null(vs_drop_names[r]);
		assert_true(strlen(vs_drop_names[r]) > 0);
	}
	assert_string_equal(vs_drop_names[VS_DROP_SPOOF_MAC], "spoof_mac");
	assert_string_equal(vs_drop_names[VS_DROP_TX_ERROR], "tx_error");
	assert_string_equal(vs_drop_names[VS_DROP_DHCP_GUARD], "dhcp_guard");
	/* if this fails, a reason was added: give it a test here */
	assert_int_equal(VS_DROP__MAX, 13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST(test_spoof_mac),
		TB_TEST(test_spoof_mac_from_wire),
		TB_TEST(test_bad_ethertype),
		TB_TEST(test_malformed),
		TB_TEST(test_malformed_dom0_wire),
		TB_TEST(test_spoof_arp),
		TB_TEST(test_dom0_privileged),
		TB_TEST(test_spoof_ip4),
		TB_TEST(test_dhcp_client_to_dom0_only),
		TB_TEST(test_spoof_ip6),
		TB_TEST(test_ra_guard),
		TB_TEST(test_spoof_nd),
		TB_TEST(test_ra_guard_ext),
		TB_TEST(test_spoof_nd_rs),
		TB_TEST(test_dhcp_guard),
		TB_TEST(test_dhcp_trusted_config),
		TB_TEST(test_spoof_from_wire),
		TB_TEST(test_isolated_from_wire),
		TB_TEST(test_isolated_to_wire),
		TB_TEST(test_isolated_vlan),
		TB_TEST(test_isolated_vlan_stack),
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_isolated_flood_only_wire),
		TB_TEST(test_isolated_prefixes),
		TB_TEST_NOWIRE(test_no_route),
		cmocka_unit_test(test_no_route_lonely),
		TB_TEST(test_rx_ratelimit),
		TB_TEST(test_tx_error),
		TB_TEST(test_ingress_drop_costs_no_credit),
		cmocka_unit_test(test_drop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

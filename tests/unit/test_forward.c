// SPDX-License-Identifier: GPL-2.0-or-later
/* test_forward.c - delivery, flooding, address and port management, and
 * the accounting invariant of the switch (DESIGN.md §4, §6)
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakeport.h"
#include "port_afpacket.h"

/* Unicast ----------------------------------------------------------------*/

static void test_unicast(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* vif to vif, vif to dom0 (link-local: dom0 is local), dom0 to vif */
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_dgram4(f, tb->dom0_mac, tb->vif_mac[1], tb->vif_ll[1],
			tb->dom0_ll);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_dgram4(f, tb->vif_mac[3], tb->dom0_mac, tb->dom0_ll,
			tb->vif_ll[3]);
	tb_send_deliver(tb, DOM0, f, len, FVIF(3), NULL);
	/* dom0 addressed by MAC even for an address it does not own */
	len = fb_dgram4(f, tb->dom0_mac, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("8.8.8.8"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	/* unknown unicast: the wire, from a vif and from dom0 */
	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("8.8.8.8"));
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	len = fb_dgram4(f, FP_MAC_GW, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("8.8.8.8"));
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	/* from the wire to a vif, and to dom0 */
	len = fb_dgram4(f, tb->vif_mac[2], FP_MAC_GW, fp_ip4("8.8.8.8"),
			tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_dgram4(f, tb->dom0_mac, FP_MAC_GW, fp_ip4("8.8.8.8"),
			tb->dom0_ip);
	tb_send_deliver(tb, WIRE, f, len, FDOM0, NULL);
	/* IPv6 unicast */
	len = fb_udp6(f, tb->vif_mac[3], tb->vif_mac[2], &tb->vif_ip6[2],
		      &tb->vif_ip6[3]);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(3), NULL);
}

static void test_unicast_no_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	len = fb_dgram4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("8.8.8.8"));
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_NO_ROUTE);
	len = fb_dgram4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
			tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	/* a flood without a wire reaches everyone else */
	len = fb_dgram4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1],
			fp_ip4("10.0.0.255"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FVIF(2), FVIF(3), NULL);
}

/* One batch, one tx call per destination, order kept. */
static void test_batch(void **state)
{
	struct testbed *tb = *state;
	static uint8_t bufs[VS_BATCH][FP_FRAME_BUF];
	struct vs_frame fr[VS_BATCH];
	unsigned i;

	for (i = 0; i < VS_BATCH; i++) {
		uint32_t len;

		if (i % 2)
			len = fb_udp4(bufs[i], tb->vif_mac[2],
				      tb->vif_mac[1], tb->vif_ip[1],
				      tb->vif_ip[2], 1, 2, 64 + i);
		else
			len = fb_udp4(bufs[i], FP_MAC_BCAST, tb->vif_mac[1],
				      tb->vif_ip[1], fp_ip4("10.0.0.255"), 1, 2,
				      64 + i);
		fp_seq_stamp(bufs[i], len, i + 1);
		fr[i] = (struct vs_frame){ .data = bufs[i], .len = len,
					   .cap = len };
	}
	assert_int_equal(vs_input(SW, VIF(1), fr, VS_BATCH, 0), VS_BATCH);
	assert_int_equal(tb->vif[2].tx_calls, 1);
	assert_int_equal(tb->vif[2].nlog, VS_BATCH);
	assert_int_equal(tb->vif[3].tx_calls, 1);
	assert_int_equal(tb->vif[3].nlog, VS_BATCH / 2);
	assert_int_equal(tb->wire.nlog, VS_BATCH / 2);
	assert_int_equal(tb->vif[1].nlog, 0);
	for (i = 0; i < VS_BATCH; i++)
		assert_int_equal(tb->vif[2].log[i].seq, i + 1);
	for (i = 0; i < VS_BATCH / 2; i++)
		assert_int_equal(tb->vif[3].log[i].seq, 2 * i + 1);
	assert_int_equal(vs_input(SW, VIF(1), fr, VS_BATCH + 1, 0), -EINVAL);
	assert_int_equal(vs_input(SW, 200, fr, 1, 0), -ENOENT);
	assert_int_equal(vs_input(SW, VIF(1), fr, 0, 0), 0);
	tb_expect_invariant(tb);
}

/* ARP --------------------------------------------------------------------*/

static void test_arp_to_owner(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	/* the owner of the target only: a vif ... */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1], tb->vif_ll[2]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], tb->vif_ip[3]);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(3), NULL);
	/* ... or dom0, for each of its addresses */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ll[1], tb->dom0_ll);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], tb->dom0_ip);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	/* from dom0 and from the wire, too */
	len = fb_arp_req(f, tb->dom0_mac, tb->dom0_ll, tb->vif_ll[2]);
	tb_send_deliver(tb, DOM0, f, len, FVIF(2), NULL);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("10.0.0.200"), tb->vif_ip[2]);
	tb_send_deliver(tb, WIRE, f, len, FVIF(2), NULL);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("10.0.0.200"), tb->dom0_ip);
	tb_send_deliver(tb, WIRE, f, len, FDOM0, NULL);
	/* unowned target: the wire and dom0, no vif */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
	len = fb_arp_req(f, tb->dom0_mac, tb->dom0_ip, fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	len = fb_arp_req(f, FP_MAC_GW, fp_ip4("10.0.0.200"),
			 fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, WIRE, f, len, FDOM0, NULL);
	/* replies are unicast by MAC */
	len = fb_arp_reply(f, tb->vif_mac[1], tb->vif_mac[2], tb->vif_ll[2],
			   tb->vif_ll[1]);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(1), NULL);
	len = fb_arp_reply(f, FP_MAC_GW, tb->vif_mac[2], tb->vif_ip[2],
			   fp_ip4("10.0.0.200"));
	tb_send_deliver(tb, VIF(2), f, len, FWIRE, NULL);
}

static void test_arp_unowned_no_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint32_t len;

	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_arp_req(f, tb->dom0_mac, tb->dom0_ip, fp_ip4("10.0.0.99"));
	tb_send_drop(tb, DOM0, f, len, DOM0, VS_DROP_NO_ROUTE);
}

/* "Prevent transmitting link-local ARP packets on the wire": whatever
 * shape a link-local ARP takes, and whoever sends it, the wire never sees
 * it, while a routable ARP in the same run does reach it. */
static void test_ll_arp_never_on_wire(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in_addr any = { 0 }, unowned = fp_ip4("169.254.77.77");
	uint32_t len;
	size_t wire0 = tb->wire.nlog;
	struct {
		int port;
		const uint8_t *mac;
		struct in_addr spa;
	} who[] = {
		{ VIF(1), tb->vif_mac[1], tb->vif_ll[1] },
		{ DOM0, tb->dom0_mac, tb->dom0_ll },
	};
	unsigned w;
	struct vs_stats st;

	for (w = 0; w < 2; w++) {
		const uint8_t *m = who[w].mac;
		struct in_addr spa = who[w].spa;

		/* request for an unowned link-local address */
		len = fb_arp_req(f, m, spa, unowned);
		tb_send(tb, who[w].port, f, len, 0);
		/* probe (0.0.0.0) for one */
		len = fb_arp_req(f, m, any, unowned);
		tb_send(tb, who[w].port, f, len, 0);
		/* gratuitous ARP (request and reply forms) */
		len = fb_arp_req(f, m, spa, spa);
		tb_send(tb, who[w].port, f, len, 0);
		len = fb_arp(f, FP_MAC_BCAST, m, 2, m, spa, FP_MAC_BCAST, spa);
		tb_send(tb, who[w].port, f, len, 0);
		/* unicast reply and request to a MAC out on the wire */
		len = fb_arp_reply(f, FP_MAC_GW, m, spa, fp_ip4("192.0.2.1"));
		tb_send(tb, who[w].port, f, len, 0);
		len = fb_arp(f, FP_MAC_GW, m, 1, m, spa, FP_MAC_ZERO,
			     fp_ip4("192.0.2.1"));
		tb_send(tb, who[w].port, f, len, 0);
		/* routable sender asking for a link-local target */
		len = fb_arp_req(f, m, w ? tb->dom0_ip : tb->vif_ip[1],
				 unowned);
		tb_send(tb, who[w].port, f, len, 0);
		/* to a multicast MAC */
		len = fb_arp(f, (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 1 },
			     m, 1, m, spa, FP_MAC_ZERO, unowned);
		tb_send(tb, who[w].port, f, len, 0);
	}
	assert_int_equal(tb->wire.nlog, wire0);
	/* the gratuitous reply was heard locally (positive control) */
	assert_true(tb->vif[2].nlog > 0);
	vs_switch_stats(SW, &st);
	assert_true(st.drops[VS_DROP_ISOLATED_TO_WIRE] > 0);

	/* positive control: a routable ARP from each does reach the wire */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
	len = fb_arp_req(f, tb->dom0_mac, tb->dom0_ip, fp_ip4("10.0.0.99"));
	tb_send_deliver(tb, DOM0, f, len, FWIRE, NULL);
	assert_int_equal(tb->wire.nlog, wire0 + 2);
	tb_expect_invariant(tb);
}

/* Flooding ---------------------------------------------------------------*/

static void test_flood(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], m6[6];
	struct in6_addr all = fp_ip6("ff02::1"), mld = fp_ip6("ff02::16");
	uint32_t len;
	unsigned i;

	/* broadcast from each vif: everyone but itself */
	for (i = 1; i <= 3; i++) {
		len = fb_dgram4(f, FP_MAC_BCAST, tb->vif_mac[i], tb->vif_ip[i],
				fp_ip4("10.0.0.255"));
		tb_send_deliver(tb, VIF(i), f, len, FDOM0, FWIRE,
				i == 1 ? FVIF(2) : FVIF(1),
				i == 3 ? FVIF(2) : FVIF(3), NULL);
	}
	/* from dom0 and from the wire */
	len = fb_dgram4(f, FP_MAC_BCAST, tb->dom0_mac, tb->dom0_ip,
			fp_ip4("10.0.0.255"));
	tb_send_deliver(tb, DOM0, f, len, FWIRE, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	len = fb_dgram4(f, FP_MAC_BCAST, FP_MAC_GW, fp_ip4("10.0.0.200"),
			fp_ip4("10.0.0.255"));
	tb_send_deliver(tb, WIRE, f, len, FDOM0, FVIF(1), FVIF(2), FVIF(3),
			NULL);
	/* IPv4 and IPv6 multicast */
	len = fb_udp4(f, (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 0xfb },
		      tb->vif_mac[2], tb->vif_ip[2], fp_ip4("224.0.0.251"),
		      5353, 5353, 64);
	tb_send_deliver(tb, VIF(2), f, len, FDOM0, FWIRE, FVIF(1), FVIF(3),
			NULL);
	fp_mcast6_mac(&all, m6);
	len = fb_udp6(f, m6, tb->vif_mac[2], &tb->vif_ll6[2], &all);
	tb_send_deliver(tb, VIF(2), f, len, FDOM0, FWIRE, FVIF(1), FVIF(3),
			NULL);
	fp_mcast6_mac(&mld, m6);
	len = fb_icmp6(f, m6, tb->vif_mac[3], &tb->vif_ll6[3], &mld, 143,
		       (const uint8_t[4]){ 0 }, 4);
	tb_send_deliver(tb, VIF(3), f, len, FDOM0, FWIRE, FVIF(1), FVIF(2),
			NULL);

	/* isolated: every local port, not the wire */
	len = fb_dgram4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ll[1],
			fp_ip4("169.254.255.255"));
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FVIF(2), FVIF(3), NULL);
	len = fb_dgram4(f, FP_MAC_BCAST, tb->dom0_mac, tb->dom0_ll,
			fp_ip4("255.255.255.255"));
	tb_send_deliver(tb, DOM0, f, len, FVIF(1), FVIF(2), FVIF(3), NULL);
	len = fb_udp4(f, (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 0xfb },
		      tb->vif_mac[2], tb->vif_ll[2], fp_ip4("224.0.0.251"),
		      5353, 5353, 64);
	tb_send_deliver(tb, VIF(2), f, len, FDOM0, FVIF(1), FVIF(3), NULL);
}

/* Run time changes -------------------------------------------------------*/

static void test_addr4_runtime(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in_addr a = fp_ip4("10.0.5.1"), out[VS_ADDRS_MAX + 1];
	uint32_t len;
	unsigned i;
	int n;

	/* before: ARP for it is unowned; using it is spoofing */
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], a);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
	len = fb_udp4(f, tb->vif_mac[1], tb->vif_mac[2], a, tb->vif_ip[1],
		      1, 2, 10);
	tb_send_drop(tb, VIF(2), f, len, VIF(2), VS_DROP_SPOOF_IP);

	/* add to vif2 */
	assert_int_equal(vs_addr4_add(SW, VIF(2), a), 0);
	assert_int_equal(vs_addr4_add(SW, VIF(2), a), 0);	/* no-op */
	assert_int_equal(vs_addr4_add(SW, VIF(1), a), -EEXIST);
	assert_int_equal(vs_addr4_add(SW, DOM0, a), -EEXIST);
	assert_int_equal(vs_addr4_add(SW, DOM0, tb->vif_ip[3]), -EEXIST);
	assert_int_equal(vs_addr4_add(SW, VIF(3), tb->dom0_ll), -EEXIST);
	n = vs_addr4_list(SW, VIF(2), out, VS_ADDRS_MAX);
	assert_int_equal(n, 3);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], a);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	len = fb_udp4(f, tb->vif_mac[1], tb->vif_mac[2], a, tb->vif_ip[1],
		      1, 2, 10);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(1), NULL);
	len = fb_arp_reply(f, tb->vif_mac[1], tb->vif_mac[2], a,
			   tb->vif_ip[1]);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(1), NULL);

	/* remove: back to unowned, and now another port may take it */
	assert_int_equal(vs_addr4_del(SW, VIF(2), a), 0);
	assert_int_equal(vs_addr4_del(SW, VIF(2), a), -ENOENT);
	assert_int_equal(vs_addr4_del(SW, VIF(1), tb->vif_ip[2]), -ENOENT);
	len = fb_udp4(f, tb->vif_mac[1], tb->vif_mac[2], a, tb->vif_ip[1],
		      1, 2, 10);
	tb_send_drop(tb, VIF(2), f, len, VIF(2), VS_DROP_SPOOF_IP);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], a);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
	assert_int_equal(vs_addr4_add(SW, DOM0, a), 0);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);

	/* argument checks */
	assert_int_equal(vs_addr4_add(SW, VIF(1), fp_ip4("0.0.0.0")), -EINVAL);
	assert_int_equal(vs_addr4_add(SW, VIF(1), fp_ip4("255.255.255.255")),
			 -EINVAL);
	assert_int_equal(vs_addr4_add(SW, VIF(1), fp_ip4("224.0.0.1")), -EINVAL);
	assert_int_equal(vs_addr4_add(SW, VIF(1), fp_ip4("239.1.2.3")), -EINVAL);
	assert_int_equal(vs_addr4_add(SW, WIRE, fp_ip4("10.9.9.9")), -EINVAL);
	assert_int_equal(vs_addr4_add(SW, 250, fp_ip4("10.9.9.9")), -ENOENT);
	assert_int_equal(vs_addr4_del(SW, 250, fp_ip4("10.9.9.9")), -ENOENT);
	assert_int_equal(vs_addr4_list(SW, 250, out, 1), -ENOENT);
	for (i = 2; i < VS_ADDRS_MAX; i++) {
		char s[32];

		snprintf(s, sizeof(s), "10.1.1.%u", i);
		assert_int_equal(vs_addr4_add(SW, VIF(3), fp_ip4(s)), 0);
	}
	assert_int_equal(vs_addr4_add(SW, VIF(3), fp_ip4("10.1.2.1")), -ENOSPC);
	/* list copies at most max, returns the count */
	memset(out, 0, sizeof(out));
	assert_int_equal(vs_addr4_list(SW, VIF(3), out, 2), VS_ADDRS_MAX);
	assert_int_equal(out[2].s_addr, 0);
	assert_int_equal(vs_addr4_list(SW, VIF(3), out, VS_ADDRS_MAX + 1),
			 VS_ADDRS_MAX);
}

static void test_addr6_runtime(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	struct in6_addr a = fp_ip6("2001:db8:5::1"), m = fp_ip6("ff02::1"), z,
			out[VS_ADDRS_MAX];
	uint32_t len;

	memset(&z, 0, sizeof(z));
	len = fb_udp6(f, tb->vif_mac[1], tb->vif_mac[2], &a, &tb->vif_ip6[1]);
	tb_send_drop(tb, VIF(2), f, len, VIF(2), VS_DROP_SPOOF_IP);
	assert_int_equal(vs_addr6_add(SW, VIF(2), &a), 0);
	assert_int_equal(vs_addr6_add(SW, VIF(2), &a), 0);
	assert_int_equal(vs_addr6_add(SW, VIF(1), &a), -EEXIST);
	assert_int_equal(vs_addr6_add(SW, DOM0, &a), -EEXIST);
	assert_int_equal(vs_addr6_add(SW, VIF(1), &tb->dom0_ip6), -EEXIST);
	assert_int_equal(vs_addr6_list(SW, VIF(2), out, VS_ADDRS_MAX), 2);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(1), NULL);
	/* NA and DAD for the new address are now the vif's to send */
	len = fb_na(f, tb->vif_mac[2], &a, &a, tb->vif_mac[2]);
	tb_send_deliver(tb, VIF(2), f, len, FDOM0, FWIRE, FVIF(1), FVIF(3),
			NULL);
	len = fb_ns(f, tb->vif_mac[2], &z, &a, NULL);
	tb_send_deliver(tb, VIF(2), f, len, FDOM0, FWIRE, FVIF(1), FVIF(3),
			NULL);
	assert_int_equal(vs_addr6_del(SW, VIF(2), &a), 0);
	assert_int_equal(vs_addr6_del(SW, VIF(2), &a), -ENOENT);
	tb_send_drop(tb, VIF(2), f, len, VIF(2), VS_DROP_SPOOF_ND);
	len = fb_udp6(f, tb->vif_mac[1], tb->vif_mac[2], &a, &tb->vif_ip6[1]);
	tb_send_drop(tb, VIF(2), f, len, VIF(2), VS_DROP_SPOOF_IP);
	/* now vif1 may take it */
	assert_int_equal(vs_addr6_add(SW, VIF(1), &a), 0);

	assert_int_equal(vs_addr6_add(SW, VIF(1), &z), -EINVAL);
	assert_int_equal(vs_addr6_add(SW, VIF(1), &m), -EINVAL);
	assert_int_equal(vs_addr6_add(SW, WIRE, &tb->vif_ip6[1]), -EINVAL);
	assert_int_equal(vs_addr6_add(SW, 250, &a), -ENOENT);
	assert_int_equal(vs_addr6_del(SW, 250, &a), -ENOENT);
	assert_int_equal(vs_addr6_list(SW, 250, out, 1), -ENOENT);
}

/* Ports ------------------------------------------------------------------*/

static void test_port_add_errors(void **state)
{
	struct testbed *tb = *state;
	struct fakeport extra;
	struct vs_port_ops no_tx = { .tx = NULL };
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF,
		.mac = { 0xaa, 0, 0, 0, 1, 0 },
		.name = "vif9.0",
		.domid = 9,
		.ops = &fp_ops,
		.ctx = &extra,
	};
	struct vs_port_info info;
	int p;

	fp_init(&extra, "extra");
	cfg.ops = NULL;
	assert_int_equal(vs_port_add(SW, &cfg), -EINVAL);
	cfg.ops = &no_tx;
	assert_int_equal(vs_port_add(SW, &cfg), -EINVAL);
	cfg.ops = &fp_ops;
	cfg.mac[0] = 0x01;			/* multicast */
	assert_int_equal(vs_port_add(SW, &cfg), -EINVAL);
	memset(cfg.mac, 0, 6);			/* zero */
	assert_int_equal(vs_port_add(SW, &cfg), -EINVAL);
	memcpy(cfg.mac, tb->vif_mac[1], 6);	/* in use by a vif */
	assert_int_equal(vs_port_add(SW, &cfg), -EEXIST);
	memcpy(cfg.mac, tb->dom0_mac, 6);	/* in use by dom0 */
	assert_int_equal(vs_port_add(SW, &cfg), -EEXIST);
	memcpy(cfg.mac, (uint8_t[6]){ 0xaa, 0, 0, 0, 1, 0 }, 6);
	cfg.domid = 1;				/* vif1.0 exists */
	assert_int_equal(vs_port_add(SW, &cfg), -EEXIST);
	cfg.kind = VS_PORT_DOM0;		/* a second dom0 */
	cfg.domid = 0;
	assert_int_equal(vs_port_add(SW, &cfg), -EEXIST);
	cfg.kind = VS_PORT_WIRE;		/* a second wire */
	assert_int_equal(vs_port_add(SW, &cfg), -EEXIST);

	/* a good one: vif1.1 */
	cfg.kind = VS_PORT_VIF;
	cfg.domid = 1;
	cfg.vifidx = 1;
	p = vs_port_add(SW, &cfg);
	assert_true(p >= 0);
	assert_int_equal(vs_port_find(SW, 1, 1), p);
	assert_int_equal(vs_port_find(SW, 1, 0), VIF(1));
	assert_int_equal(vs_port_find(SW, 0, 0), DOM0);
	assert_int_equal(vs_port_find(SW, 7, 0), -ENOENT);
	assert_int_equal(vs_port_by_kind(SW, VS_PORT_DOM0), DOM0);
	assert_int_equal(vs_port_by_kind(SW, VS_PORT_WIRE), WIRE);
	assert_int_equal(vs_port_info(SW, (unsigned)p, &info), 0);
	assert_int_equal(info.kind, VS_PORT_VIF);
	assert_memory_equal(info.mac, cfg.mac, 6);
	assert_string_equal(info.name, "vif9.0");
	assert_int_equal(info.domid, 1);
	assert_int_equal(info.vifidx, 1);

	/* MAC changes */
	assert_int_equal(vs_port_set_mac(SW, (unsigned)p, tb->vif_mac[2]),
			 -EEXIST);
	assert_int_equal(vs_port_set_mac(SW, (unsigned)p, FP_MAC_BCAST), -EINVAL);
	assert_int_equal(vs_port_set_mac(SW, 250, FP_MAC_GW), -ENOENT);
	assert_int_equal(vs_port_set_mac(SW, (unsigned)p, cfg.mac), 0);

	/* deletion */
	assert_int_equal(vs_port_del(SW, (unsigned)p), 0);
	assert_int_equal(vs_port_del(SW, (unsigned)p), -ENOENT);
	assert_int_equal(vs_port_del(SW, 250), -ENOENT);
	assert_int_equal(vs_port_del(SW, VS_PORTS_MAX + 5), -ENOENT);
	assert_int_equal(vs_port_info(SW, (unsigned)p, &info), -ENOENT);
	assert_int_equal(vs_port_find(SW, 1, 1), -ENOENT);
	fp_free(&extra);
}

static void test_port_del_runtime(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF];
	uint8_t newmac[6] = { 0x02, 0xd0, 0, 0, 0, 9 };
	struct vs_port_config cfg = {
		.kind = VS_PORT_DOM0, .name = "dom0b", .ops = &fp_ops,
		.ctx = &tb->dom0,
	};
	struct vs_port_stats ps;
	uint32_t len;
	int p;

	/* vif2 leaves: its MAC is unknown (to the wire), its addresses are
	 * free, ARP for them is unowned */
	assert_int_equal(vs_port_del(SW, VIF(2)), 0);
	assert_int_equal(vs_port_stats(SW, VIF(2), &ps), -ENOENT);
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		      tb->vif_ip[2], 1, 2, 10);
	tb_send_deliver(tb, VIF(1), f, len, FWIRE, NULL);
	len = fb_arp_req(f, tb->vif_mac[1], tb->vif_ip[1], tb->vif_ip[2]);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, NULL);
	len = fb_udp4(f, FP_MAC_BCAST, tb->vif_mac[1], tb->vif_ip[1],
		      fp_ip4("10.0.0.255"), 1, 2, 10);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(3), NULL);
	assert_int_equal(vs_addr4_add(SW, VIF(3), tb->vif_ip[2]), 0);
	/* a wire frame from vif2's old MAC is no longer a spoof */
	len = fb_udp4(f, tb->vif_mac[3], tb->vif_mac[2], fp_ip4("192.0.2.1"),
		      tb->vif_ip[3], 1, 2, 10);
	tb_send_deliver(tb, WIRE, f, len, FVIF(3), NULL);

	/* the wire leaves: unknown unicast has no route */
	assert_int_equal(vs_port_del(SW, WIRE), 0);
	assert_int_equal(vs_port_by_kind(SW, VS_PORT_WIRE), -ENOENT);
	len = fb_udp4(f, FP_MAC_GW, tb->vif_mac[1], tb->vif_ip[1],
		      fp_ip4("8.8.8.8"), 1, 2, 10);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_NO_ROUTE);

	/* dom0 is replaced with a new MAC (its TAP was recreated) */
	assert_int_equal(vs_port_del(SW, DOM0), 0);
	assert_int_equal(vs_port_by_kind(SW, VS_PORT_DOM0), -ENOENT);
	/* a DHCP client while dom0 is away: legitimate, but no route */
	len = fb_dhcp(f, tb->vif_mac[1]);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_NO_ROUTE);
	memcpy(cfg.mac, newmac, 6);
	p = vs_port_add(SW, &cfg);
	assert_true(p >= 0);
	tb->p_dom0 = p;
	memcpy(tb->dom0_mac, newmac, 6);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	len = fb_udp4(f, newmac, tb->vif_mac[1], tb->vif_ip[1],
		      fp_ip4("8.8.8.8"), 1, 2, 10);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, NULL);
	tb->p_wire = -1;	/* so teardown does not free it twice */
	fp_free(&tb->wire);
	tb_expect_invariant(tb);
}

/* A vif's MAC changed at run time: the old one is a spoof, the new one
 * (and its EUI-64 link-local address) is the vif's. */
static void test_set_mac_runtime(void **state)
{
	struct testbed *tb = *state;
	uint8_t f[FP_FRAME_BUF], m6[6];
	uint8_t newmac[6] = { 0xaa, 0, 0, 0, 0x10, 0x01 };
	struct in6_addr all = fp_ip6("ff02::1"), ll;
	uint32_t len;

	assert_int_equal(vs_port_set_mac(SW, VIF(1), newmac), 0);
	len = fb_udp4(f, tb->vif_mac[2], tb->vif_mac[1], tb->vif_ip[1],
		      tb->vif_ip[2], 1, 2, 10);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_MAC);
	len = fb_udp4(f, tb->vif_mac[2], newmac, tb->vif_ip[1],
		      tb->vif_ip[2], 1, 2, 10);
	tb_send_deliver(tb, VIF(1), f, len, FVIF(2), NULL);
	/* frames to the new MAC reach it, to the old one go to the wire */
	len = fb_udp4(f, newmac, tb->vif_mac[2], tb->vif_ip[2],
		      tb->vif_ip[1], 1, 2, 10);
	tb_send_deliver(tb, VIF(2), f, len, FVIF(1), NULL);
	len = fb_udp4(f, tb->vif_mac[1], tb->vif_mac[2], tb->vif_ip[2],
		      tb->vif_ip[1], 1, 2, 10);
	tb_send_deliver(tb, VIF(2), f, len, FWIRE, NULL);
	/* the link-local source follows the MAC */
	fp_mcast6_mac(&all, m6);
	len = fb_udp6(f, m6, newmac, &tb->vif_ll6[1], &all);
	tb_send_drop(tb, VIF(1), f, len, VIF(1), VS_DROP_SPOOF_IP);
	fp_eui64_ll6(newmac, &ll);
	len = fb_udp6(f, m6, newmac, &ll, &all);
	tb_send_deliver(tb, VIF(1), f, len, FDOM0, FWIRE, FVIF(2), FVIF(3),
			NULL);
}

static void test_port_table_full(void **state)
{
	struct vs_switch *sw = vs_switch_new();
	struct fakeport fp;
	struct vs_port_config cfg = {
		.kind = VS_PORT_VIF, .ops = &fp_ops, .ctx = &fp,
		.frame_max = 2048,
	};
	unsigned i;
	int p;

	(void)state;
	assert_non_null(sw);
	fp_init(&fp, "many");
	for (i = 0; i < VS_PORTS_MAX; i++) {
		memcpy(cfg.mac, (uint8_t[6]){ 0xaa, 1, 0, 0, (uint8_t)(i >> 8),
					      (uint8_t)i }, 6);
		cfg.domid = i + 1;
		p = vs_port_add(sw, &cfg);
		assert_int_equal(p, (int)i);
	}
	cfg.mac[0] = 0xae;
	cfg.domid = 1000;
	assert_int_equal(vs_port_add(sw, &cfg), -ENOSPC);
	/* a freed slot is reused */
	assert_int_equal(vs_port_del(sw, 17), 0);
	assert_int_equal(vs_port_add(sw, &cfg), 17);
	vs_switch_free(sw);
	vs_switch_free(NULL);
	fp_free(&fp);
}

static void test_mac_helpers(void **state)
{
	uint8_t m[6], m2[6];
	char s[18];

	(void)state;
	assert_int_equal(vs_mac_parse("aa:00:00:12:34:5f", m), 0);
	assert_memory_equal(m, ((uint8_t[6]){ 0xaa, 0, 0, 0x12, 0x34, 0x5f }),
			    6);
	vs_mac_format(m, s);
	assert_string_equal(s, "aa:00:00:12:34:5f");
	assert_int_equal(vs_mac_parse("aa:00:00:12:34", m), -EINVAL);
	assert_int_equal(vs_mac_parse("aa:00:00:12:34:5f:00", m), -EINVAL);
	assert_int_equal(vs_mac_parse("aa:00:00:12:34:zz", m), -EINVAL);
	assert_int_equal(vs_mac_parse("", m), -EINVAL);
	vs_mac_default("web", 3, 0, m);
	vs_mac_default("web", 3, 0, m2);
	assert_memory_equal(m, m2, 6);
	assert_int_equal(m[0], 0xaa);
	assert_int_equal(m[1], 0);
	assert_int_equal(m[2], 0);
	vs_mac_default("web", 3, 1, m2);
	assert_memory_not_equal(m, m2, 6);
	vs_mac_default("web", 4, 0, m2);
	assert_memory_not_equal(m, m2, 6);
}

/* The accounting invariant under a random mixed load ---------------------*/

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* One random frame from @port of @tb into @f; returns its length. */
static uint32_t random_frame(struct testbed *tb, int port, uint8_t *f)
{
	unsigned v = 0;
	const uint8_t *me;
	struct in_addr mine, mine_ll;
	struct in6_addr mine6, all = fp_ip6("ff02::1"), any;
	uint8_t m6[6], *dst;
	uint8_t dsts[5][6];
	uint32_t len;
	unsigned i, k = rnd() % 24;

	memset(&any, 0, sizeof(any));
	if (port == tb->p_dom0) {
		me = tb->dom0_mac;
		mine = tb->dom0_ip;
		mine_ll = tb->dom0_ll;
		mine6 = tb->dom0_ip6;
	} else if (port == tb->p_wire) {
		me = FP_MAC_GW;
		mine = fp_ip4("192.0.2.1");
		mine_ll = fp_ip4("169.254.99.1");
		mine6 = fp_ip6("2001:db8:ffff::1");
	} else {
		for (v = 1; tb->p_vif[v] != port; v++)
			;
		me = tb->vif_mac[v];
		mine = tb->vif_ip[v];
		mine_ll = tb->vif_ll[v];
		mine6 = tb->vif_ip6[v];
	}
	memcpy(dsts[0], tb->dom0_mac, 6);
	for (i = 1; i <= 3; i++)
		memcpy(dsts[i], tb->vif_mac[i], 6);
	memcpy(dsts[4], FP_MAC_GW, 6);
	dst = dsts[rnd() % 5];
	fp_mcast6_mac(&all, m6);

	switch (k) {
	case 0: case 1: case 2:
		len = fb_udp4(f, dst, me, mine, tb->vif_ip[1 + rnd() % 3],
			      1, 2, rnd() % 1400);
		break;
	case 3:
		len = fb_udp4(f, FP_MAC_BCAST, me, rnd() % 2 ? mine : mine_ll,
			      fp_ip4("255.255.255.255"), 1, 2, rnd() % 200);
		break;
	case 4:
		len = fb_arp_req(f, me, mine,
				 rnd() % 2 ? tb->vif_ll[1 + rnd() % 3] :
				 fp_ip4("10.0.0.99"));
		break;
	case 5:
		len = fb_arp_req(f, me, mine_ll, fp_ip4("169.254.50.50"));
		break;
	case 6:
		len = fb_arp_reply(f, dst, me, mine, tb->vif_ip[1]);
		break;
	case 7:
		len = fb_dhcp(f, me);
		break;
	case 8:
		len = fb_udp6(f, dst, me, &mine6, &tb->vif_ip6[1 + rnd() % 3]);
		break;
	case 9:
		len = fb_ns(f, me, rnd() % 2 ? &mine6 : &any,
			    &tb->vif_ip6[1 + rnd() % 3], rnd() % 2 ? me : NULL);
		break;
	case 10:
		len = fb_na(f, me, &mine6, rnd() % 2 ? &mine6 : &tb->vif_ip6[1],
			    me);
		break;
	case 11:
		len = fb_ra(f, me, &mine6);
		break;
	case 12:	/* spoofed MAC */
		len = fb_dgram4(f, dst, tb->vif_mac[1 + rnd() % 3], mine,
				tb->vif_ip[1]);
		break;
	case 13:	/* spoofed IP */
		len = fb_dgram4(f, dst, me, fp_ip4("10.0.0.77"), tb->vif_ip[1]);
		break;
	case 14:	/* VLAN */
		len = fb_vlan(f, fb_udp4(f, dst, me, mine, tb->vif_ip[1], 1,
					 2, 64), 3);
		break;
	case 15:	/* truncated */
		len = fb_udp4(f, dst, me, mine, tb->vif_ip[2], 1, 2, 100);
		len = rnd() % len;
		break;
	case 16:	/* garbage after a valid Ethernet header */
		len = fb_eth(f, dst, me, (uint16_t[]){ 0x0800, 0x86dd, 0x0806,
						       0x1234 }[rnd() % 4],
			     rnd() % 120);
		for (i = 14; i < len; i++)
			f[i] = (uint8_t)rnd();
		break;
	case 17:	/* isolated unicast to the wire side */
		len = fb_dgram4(f, FP_MAC_GW, me, mine_ll, fp_ip4("192.0.2.9"));
		break;
	case 18:	/* big frame */
		len = fb_udp4(f, dst, me, mine, tb->vif_ip[3], 1, 2, 1472);
		break;
	case 19:
		len = fb_udp6(f, m6, me, &mine6, &all);
		break;
	case 20:	/* to itself */
		len = fb_dgram4(f, me, me, mine, mine);
		break;
	case 21:	/* spoofed ARP sender */
		len = fb_arp_req(f, me, fp_ip4("10.0.0.77"), tb->vif_ip[1]);
		break;
	case 22:	/* DHCP server message (dhcp_guard from a vif) */
		len = fb_udp4(f, FP_MAC_BCAST, me, mine,
			      fp_ip4("255.255.255.255"), 67, 68, 240);
		break;
	default:
		len = fb_icmp4(f, dst, me, mine, tb->vif_ip[1 + rnd() % 3]);
		break;
	}
	return len;
}

static void test_accounting_invariant(void **state)
{
	struct testbed *tb = *state;
	static uint8_t bufs[VS_BATCH][FP_FRAME_BUF];
	struct vs_frame fr[VS_BATCH];
	struct fakeport *fps[TB_VIFS + 2];
	int nos[TB_VIFS + 2];
	unsigned np = tb_ports(tb, fps, nos), round, i, j;
	uint64_t now = 0, offered = 0, deferred_rounds = 0;
	struct vs_stats st;
	uint64_t sum_in = 0, sum_route = 0, sum_dst = 0, drops = 0;

	if (!np) {
		fail();
		return;
	}
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < np; i++)
		fps[i]->keep_data = false;
	/* vif2 is tx-limited (frames get deferred), vif3 rx-limited */
	assert_int_equal(vs_port_set_tx_limit(SW, VIF(2), 4000, 1000, 0, 0),
			 0);
	assert_int_equal(vs_port_set_rx_limit(SW, VIF(3), 10000, 1000, 0, 0),
			 0);

	for (round = 0; round < 400; round++) {
		unsigned who = rnd() % np, n = 1 + rnd() % VS_BATCH, done = 0;
		size_t before[TB_VIFS + 2];

		/* back ends fail now and then */
		for (i = 0; i < np; i++) {
			unsigned r = rnd() % 10;

			fps[i]->accept = r == 0 ? 0 : r == 1 ? rnd() % 8 :
					 FP_ACCEPT_ALL;
		}
		for (i = 0; i < n; i++) {
			uint32_t len = random_frame(tb, nos[who], bufs[i]);

			fr[i] = (struct vs_frame){ .data = bufs[i],
						   .len = len, .cap = len };
		}
		offered += n;
		while (done < n) {
			struct vs_stats s0, s1;
			const struct vs_frame *seen[VS_BATCH * (TB_VIFS + 2)];
			unsigned nseen = 0, distinct = 0;
			uint64_t wake;
			int k;

			vs_switch_stats(SW, &s0);
			for (i = 0; i < np; i++)
				before[i] = fps[i]->nlog;
			k = vs_input(SW, (unsigned)nos[who], fr + done,
				     n - done, now);
			assert_true(k >= 0 && (unsigned)k <= n - done);
			vs_switch_stats(SW, &s1);
			assert_int_equal(s1.in_frames - s0.in_frames, k);

			/* never back out of the ingress port; no frame twice
			 * to one port; count frames that reached anyone */
			assert_int_equal(fps[who]->nlog, before[who]);
			for (i = 0; i < np; i++) {
				for (j = before[i]; j < fps[i]->nlog; j++) {
					const struct vs_frame *src =
						fps[i]->log[j].src;
					unsigned q;

					assert_true(src >= fr + done &&
						    src < fr + done + k);
					for (q = 0; q < nseen; q++)
						if (seen[q] == src)
							break;
					if (q == nseen) {
						seen[nseen++] = src;
						distinct++;
					} else {
						/* seen before: not from this
						 * port's own batch */
						size_t z;

						for (z = before[i]; z < j; z++)
							assert_ptr_not_equal(
							  fps[i]->log[z].src,
							  src);
					}
				}
			}
			assert_int_equal(s1.delivered - s0.delivered, distinct);
			tb_expect_invariant(tb);

			done += (unsigned)k;
			if (done < n) {
				deferred_rounds++;
				assert_int_equal(nos[who], VIF(2));
				assert_true(vs_port_throttled(SW, VIF(2),
							      &wake));
				assert_true(wake > now);
				now = wake;
			}
		}
		now += rnd() % 2000000;
		for (i = 0; i < np; i++)
			fp_clear(fps[i]);
	}

	vs_switch_stats(SW, &st);
	assert_int_equal(st.in_frames, offered);
	for (i = 0; i < VS_DROP__MAX; i++)
		drops += st.drops[i];
	assert_int_equal(st.in_frames, st.delivered + drops);
	/* per port: what came in either passed its ingress checks (tx) or
	 * was dropped by them; ingress and routing drops add up to the
	 * switch's; destination drops are at least the switch's */
	for (i = 0; i < np; i++) {
		struct vs_port_stats ps;
		uint64_t ingress = 0;
		unsigned r;

		assert_int_equal(vs_port_stats(SW, (unsigned)nos[i], &ps), 0);
		for (r = 0; r <= VS_DROP_ISOLATED_FROM_WIRE; r++)
			ingress += ps.drops[r];
		assert_int_equal(ps.in_packets, ps.tx_packets + ingress);
		sum_in += ps.in_packets;
		sum_route += ps.drops[VS_DROP_ISOLATED_TO_WIRE] +
			     ps.drops[VS_DROP_NO_ROUTE] + ingress;
		sum_dst += ps.drops[VS_DROP_RX_RATELIMIT] +
			   ps.drops[VS_DROP_TX_ERROR];
	}
	assert_int_equal(sum_in, st.in_frames);
	drops = 0;
	for (i = 0; i <= VS_DROP_NO_ROUTE; i++)
		drops += st.drops[i];
	assert_int_equal(sum_route, drops);
	assert_true(sum_dst >= st.drops[VS_DROP_RX_RATELIMIT] +
			       st.drops[VS_DROP_TX_ERROR]);
	/* the mix really exercised every reason and the deferral path */
	for (i = 0; i < VS_DROP__MAX; i++) {
		if (i == VS_DROP_ISOLATED_FROM_WIRE || i == VS_DROP_NO_ROUTE)
			continue;	/* checked below */
		if (!st.drops[i])
			fail_msg("no %s drop in the mix", vs_drop_names[i]);
	}
	assert_true(st.drops[VS_DROP_ISOLATED_FROM_WIRE] > 0);
	assert_true(st.drops[VS_DROP_NO_ROUTE] > 0);
	assert_true(deferred_rounds > 0);
	assert_true(st.delivered > offered / 4);
	print_message("accounting: %llu frames in, %llu delivered, %llu dropped, "
		      "%llu deferrals\n", (unsigned long long)st.in_frames,
		      (unsigned long long)st.delivered,
		      (unsigned long long)(st.in_frames - st.delivered),
		      (unsigned long long)deferred_rounds);
}

/* The wire back end on a real interface --------------------------------*/

/* A private network namespace with lo up; false (skip) without root. */
static bool netns_lo_up(void)
{
	struct ifreq ifr;
	int fd, ok;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	close(fd);
	return ok;
}

static void lo_send(int fd, const uint8_t *f, uint32_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = (int)if_nametoindex("lo"),
				   .sll_halen = 6 };

	memcpy(sll.sll_addr, f, 6);
	assert_int_equal(sendto(fd, f, len, 0, (struct sockaddr *)&sll,
				sizeof(sll)), (ssize_t)len);
}

/* Poll the wire port until the switch has taken @want more frames (or a
 * second went by). */
static void wire_poll(struct testbed *tb, struct port_afpacket *a, int port,
		      uint64_t want)
{
	struct pollfd pfd = { .fd = port_afpacket_fd(a), .events = POLLIN };
	struct vs_stats st;
	uint64_t start;
	unsigned i;

	vs_switch_stats(SW, &st);
	start = st.in_frames;
	for (i = 0; i < 100 && st.in_frames - start < want; i++) {
		poll(&pfd, 1, 10);
		assert_true(vs_port_poll(SW, (unsigned)port, 0, 0) >= 0);
		vs_switch_stats(SW, &st);
	}
	assert_int_equal(st.in_frames - start, want);
}

/* Linux takes the outer VLAN tag off every frame it receives (into the
 * skb's metadata, TP_STATUS_VLAN_VALID in the ring): the wire back end
 * puts it back, TPID included, so the switch sees and judges the frame
 * as it was on the wire. Over lo in a private namespace. */
static void test_afpacket_vlan(void **state)
{
	struct testbed *tb = *state;	/* no wire: the real one is added */
	struct port_afpacket *a = NULL;
	struct vs_port_config cfg = {
		.kind = VS_PORT_WIRE, .mac = { 0x02, 0xee, 0, 0, 0, 1 },
		.name = "lo", .frame_max = 256, .ops = &port_afpacket_ops,
	};
	struct vs_port_stats ps;
	uint8_t f[FP_FRAME_BUF], q[FP_FRAME_BUF], ll[FP_FRAME_BUF];
	uint32_t len, qlen, lllen;
	int wire, fd;

	if (!netns_lo_up()) {
		print_message("  (skipped: needs root and a network namespace)\n");
		skip();
	}
	assert_int_equal(port_afpacket_open("lo", &a), 0);
	cfg.ctx = a;
	wire = vs_port_add(SW, &cfg);
	assert_true(wire >= 0);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);

	/* one tag (VID 42, PCP 5) and QinQ (802.1ad 100 over 802.1Q 7) */
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[1]);
	len = fb_vlan(f, len, 42);
	f[14] |= 0xa0;
	qlen = fb_dgram4(q, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			 tb->vif_ip[1]);
	qlen = fb_vlan(q, fb_vlan(q, qlen, 7), 100);
	q[12] = 0x88;
	q[13] = 0xa8;
	/* a tagged link-local frame: seen through the tag, dropped */
	lllen = fb_dgram4(ll, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			  tb->vif_ll[1]);
	lllen = fb_vlan(ll, lllen, 42);

	lo_send(fd, f, len);
	lo_send(fd, q, qlen);
	lo_send(fd, ll, lllen);
	wire_poll(tb, a, wire, 3);
	assert_int_equal(tb->vif[1].nlog, 2);
	assert_true(fp_got(&tb->vif[1], 0, f, len));
	assert_true(fp_got(&tb->vif[1], 0, q, qlen));
	assert_int_equal(vs_port_stats(SW, (unsigned)wire, &ps), 0);
	assert_int_equal(ps.drops[VS_DROP_ISOLATED_FROM_WIRE], 1);
	tb_expect_invariant(tb);
	/* positive control: an untagged frame arrives as it was */
	len = fb_dgram4(f, tb->vif_mac[1], FP_MAC_GW, fp_ip4("192.0.2.1"),
			tb->vif_ip[1]);
	lo_send(fd, f, len);
	wire_poll(tb, a, wire, 1);
	assert_int_equal(tb->vif[1].nlog, 3);
	assert_true(fp_got(&tb->vif[1], 2, f, len));

	close(fd);
	assert_int_equal(vs_port_del(SW, (unsigned)wire), 0);
	port_afpacket_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST(test_unicast),
		TB_TEST_NOWIRE(test_unicast_no_wire),
		TB_TEST(test_batch),
		TB_TEST(test_arp_to_owner),
		TB_TEST_NOWIRE(test_arp_unowned_no_wire),
		TB_TEST(test_ll_arp_never_on_wire),
		TB_TEST(test_flood),
		TB_TEST(test_addr4_runtime),
		TB_TEST(test_addr6_runtime),
		TB_TEST(test_port_add_errors),
		TB_TEST(test_port_del_runtime),
		TB_TEST(test_set_mac_runtime),
		cmocka_unit_test(test_port_table_full),
		cmocka_unit_test(test_mac_helpers),
		TB_TEST(test_accounting_invariant),
		TB_TEST_NOWIRE(test_afpacket_vlan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

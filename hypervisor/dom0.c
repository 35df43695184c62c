// SPDX-License-Identifier: GPL-2.0-or-later
/* dom0.c - dom0's port: the TAP vif0.0 and the addresses dom0 owns; see
 * dom0.h
 *
 * Two netlink sockets: .rt for requests (link up, address, dumps) and .ev
 * subscribed to address and link events, which the control loop polls.
 * .ev joins its groups before the first dump, so no change falls between
 * the dump and the events; applying an address twice is harmless. When the
 * kernel overflows .ev (ENOBUFS) events were lost, and the next
 * xend_dom0_process() resynchronises from a fresh dump instead.
 *
 * The switch side of every change runs on the data-plane thread through
 * xend_dp_call(): sync_fn() (a whole set) or addr_fn() (one address).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/rtnl.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "dom0.h"
#include "netdefs.h"
#include "port_tap.h"

#define DOM0_ADDRS_MAX	64		/* per family, for one sync */
#define EV_RCVBUF	(1 << 20)

struct xend_dom0 {
	struct xend_dp *dp;
	char ifname[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];			/* as the switch knows it */
	unsigned port;
	struct nl_sock *rt;		/* requests */
	struct nl_sock *ev;		/* events */
	int ev_type;			/* RTM_* of the message being parsed */
	int ev_err;			/* first error while handling events */
	bool resync;			/* events were lost */
};

/* An address set for sync_fn(), and one change for addr_fn(). */
struct addr_set {
	unsigned port;
	struct in_addr v4[DOM0_ADDRS_MAX];
	unsigned n4;
	struct in6_addr v6[DOM0_ADDRS_MAX];
	unsigned n6;
};

struct addr_op {
	unsigned port;
	bool add;
	int family;
	struct in_addr v4;
	struct in6_addr v6;
};

/* libnl's -NLE_* as -errno. */
static int nlerr(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:			return 0;
	case NLE_EXIST:		return -EEXIST;
	case NLE_NODEV:		return -ENODEV;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_INVAL:		return -EINVAL;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	default:		return -EIO;
	}
}

static void log_addr(const char *what, int family, const void *a, int err)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family, a, buf, sizeof(buf));
	log_warn("dom0: %s %s: %s", what, buf, strerror(-err));
}

/* Data-plane side -------------------------------------------------------*/

static void add_logged(struct vs_switch *sw, unsigned port, int family,
		       const void *a)
{
	int ret = family == AF_INET ?
		vs_addr4_add(sw, port, *(const struct in_addr *)a) :
		vs_addr6_add(sw, port, a);

	/* -EEXIST: a domain owns it (the domain's claim stands);
	 * -ENOSPC: dom0 has VS_ADDRS_MAX of this family already. */
	if (ret)
		log_addr("cannot own", family, a, ret);
}

static void sync4(struct vs_switch *sw, const struct addr_set *s)
{
	struct in_addr cur[VS_ADDRS_MAX];
	int n = vs_addr4_list(sw, s->port, cur, VS_ADDRS_MAX);
	unsigned i, k;

	for (i = 0; n > 0 && i < (unsigned)n && i < VS_ADDRS_MAX; i++) {
		for (k = 0; k < s->n4; k++)
			if (cur[i].s_addr == s->v4[k].s_addr)
				break;
		if (k == s->n4)
			vs_addr4_del(sw, s->port, cur[i]);
	}
	for (k = 0; k < s->n4; k++)
		add_logged(sw, s->port, AF_INET, &s->v4[k]);
}

static void sync6(struct vs_switch *sw, const struct addr_set *s)
{
	struct in6_addr cur[VS_ADDRS_MAX];
	int n = vs_addr6_list(sw, s->port, cur, VS_ADDRS_MAX);
	unsigned i, k;

	for (i = 0; n > 0 && i < (unsigned)n && i < VS_ADDRS_MAX; i++) {
		for (k = 0; k < s->n6; k++)
			if (!memcmp(&cur[i], &s->v6[k], sizeof(cur[i])))
				break;
		if (k == s->n6)
			vs_addr6_del(sw, s->port, &cur[i]);
	}
	for (k = 0; k < s->n6; k++)
		add_logged(sw, s->port, AF_INET6, &s->v6[k]);
}

/* Make dom0's address set exactly @arg (a struct addr_set). */
static int sync_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	(void)now;
	sync4(sw, arg);
	sync6(sw, arg);
	return 0;
}

/* Apply one struct addr_op. */
static int addr_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	const struct addr_op *op = arg;
	const void *a = op->family == AF_INET ? (const void *)&op->v4 :
						 (const void *)&op->v6;

	(void)now;
	if (op->add) {
		add_logged(sw, op->port, op->family, a);
		return 0;
	}
	/* -ENOENT: it was never ours (a domain's, or past the limit). */
	if (op->family == AF_INET)
		vs_addr4_del(sw, op->port, op->v4);
	else
		vs_addr6_del(sw, op->port, &op->v6);
	return 0;
}

struct mac_op {
	unsigned port;
	uint8_t mac[6];
};

static int mac_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	const struct mac_op *op = arg;

	(void)now;
	return vs_port_set_mac(sw, op->port, op->mac);
}

/* Reading addresses from the kernel ------------------------------------*/

static bool is_loopback(struct xend_dom0 *d0, int ifindex)
{
	struct rtnl_link *link;
	bool lo;

	if (rtnl_link_get_kernel(d0->rt, ifindex, NULL, &link) < 0)
		return false;		/* gone already; harmless either way */
	lo = rtnl_link_get_flags(link) & IFF_LOOPBACK;
	rtnl_link_put(link);
	return lo;
}

/* The local address of @obj (a route/addr) into @op, unless it is on the
 * loopback device or not IPv4/IPv6. */
static bool addr_from_obj(struct xend_dom0 *d0, struct nl_object *obj,
			  struct addr_op *op)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct nl_addr *local;
	int family;

	if (strcmp(nl_object_get_type(obj), "route/addr"))
		return false;
	local = rtnl_addr_get_local(ra);
	family = rtnl_addr_get_family(ra);
	if (!local || (family != AF_INET && family != AF_INET6))
		return false;
	if (is_loopback(d0, rtnl_addr_get_ifindex(ra)))
		return false;
	op->port = d0->port;
	op->family = family;
	if (family == AF_INET && nl_addr_get_len(local) == 4)
		memcpy(&op->v4, nl_addr_get_binary_addr(local), 4);
	else if (family == AF_INET6 && nl_addr_get_len(local) == 16)
		memcpy(&op->v6, nl_addr_get_binary_addr(local), 16);
	else
		return false;
	return true;
}

struct collect {
	struct xend_dom0 *d0;
	struct addr_set *set;
};

static void collect_one(struct nl_object *obj, void *arg)
{
	struct collect *c = arg;
	struct addr_set *s = c->set;
	struct addr_op op;

	if (!addr_from_obj(c->d0, obj, &op))
		return;
	if (op.family == AF_INET && s->n4 < DOM0_ADDRS_MAX)
		s->v4[s->n4++] = op.v4;
	else if (op.family == AF_INET6 && s->n6 < DOM0_ADDRS_MAX)
		s->v6[s->n6++] = op.v6;
}

/* Dump every address and make dom0's set match it. */
static int dom0_sync(struct xend_dom0 *d0)
{
	struct addr_set *set = calloc(1, sizeof(*set));
	struct nl_cache *cache = NULL;
	struct collect c = { d0, set };
	int ret;

	if (!set)
		return -ENOMEM;
	ret = nlerr(rtnl_addr_alloc_cache(d0->rt, &cache));
	if (ret)
		goto out;
	set->port = d0->port;
	nl_cache_foreach(cache, collect_one, &c);
	ret = xend_dp_call(d0->dp, sync_fn, set);
	d0->resync = false;
	nl_cache_free(cache);
out:
	free(set);
	return ret;
}

/* Events -----------------------------------------------------------------*/

static void link_changed(struct xend_dom0 *d0, struct nl_object *obj)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct nl_addr *hw = rtnl_link_get_addr(link);
	struct mac_op op = { .port = d0->port };
	int ret;

	if (rtnl_link_get_ifindex(link) != d0->ifindex || !hw ||
	    nl_addr_get_len(hw) != 6)
		return;
	memcpy(op.mac, nl_addr_get_binary_addr(hw), 6);
	if (!memcmp(op.mac, d0->mac, 6))
		return;			/* some other change of the link */
	ret = xend_dp_call(d0->dp, mac_fn, &op);
	if (ret)
		log_warn("dom0: cannot follow %s's MAC: %s",
			 d0->ifname, strerror(-ret));
	else
		memcpy(d0->mac, op.mac, 6);
}

static void event_obj(struct nl_object *obj, void *arg)
{
	struct xend_dom0 *d0 = arg;
	struct addr_op op = { 0 };
	int ret;

	if (d0->ev_type == RTM_NEWLINK) {
		if (!strcmp(nl_object_get_type(obj), "route/link"))
			link_changed(d0, obj);
		return;
	}
	if (!addr_from_obj(d0, obj, &op))
		return;
	op.add = d0->ev_type == RTM_NEWADDR;
	ret = xend_dp_call(d0->dp, addr_fn, &op);
	if (ret && !d0->ev_err)
		d0->ev_err = ret;
}

static int event_msg(struct nl_msg *msg, void *arg)
{
	struct xend_dom0 *d0 = arg;

	d0->ev_type = nlmsg_hdr(msg)->nlmsg_type;
	if (d0->ev_type == RTM_NEWADDR || d0->ev_type == RTM_DELADDR ||
	    d0->ev_type == RTM_NEWLINK)
		nl_msg_parse(msg, event_obj, d0);
	return NL_OK;
}

int xend_dom0_process(struct xend_dom0 *d0)
{
	int ret;

	d0->ev_err = 0;
	do
		ret = nl_recvmsgs_default(d0->ev);
	while (ret >= 0);
	if (ret == -NLE_NOMEM || ret == -NLE_MSG_OVERFLOW) {
		/* ENOBUFS: the kernel dropped events for us */
		log_warn("dom0: address events lost, resyncing");
		d0->resync = true;
	}
	if (d0->resync)
		return dom0_sync(d0);
	if (ret != -NLE_AGAIN)
		return nlerr(ret);
	return d0->ev_err;
}

int xend_dom0_fd(const struct xend_dom0 *d0)
{
	return nl_socket_get_fd(d0->ev);
}

/* xend_dom0_mac() - see dom0.h. */
void xend_dom0_mac(const struct xend_dom0 *d0, uint8_t mac[6])
{
	memcpy(mac, d0->mac, 6);
}

unsigned xend_dom0_port(const struct xend_dom0 *d0)
{
	return d0->port;
}

/* Start and stop ---------------------------------------------------------*/

static int open_sockets(struct xend_dom0 *d0)
{
	int ret;

	d0->rt = nl_socket_alloc();
	d0->ev = nl_socket_alloc();
	if (!d0->rt || !d0->ev)
		return -ENOMEM;
	ret = nl_connect(d0->rt, NETLINK_ROUTE);
	if (ret)
		return nlerr(ret);
	nl_socket_disable_seq_check(d0->ev);
	nl_socket_modify_cb(d0->ev, NL_CB_VALID, NL_CB_CUSTOM, event_msg, d0);
	ret = nl_connect(d0->ev, NETLINK_ROUTE);
	if (!ret)
		ret = nl_socket_add_memberships(d0->ev, RTNLGRP_IPV4_IFADDR,
						RTNLGRP_IPV6_IFADDR,
						RTNLGRP_LINK, 0);
	if (!ret)
		ret = nl_socket_set_nonblocking(d0->ev);
	if (!ret)
		ret = nl_socket_set_buffer_size(d0->ev, EV_RCVBUF, 0);
	return nlerr(ret);
}

/* Read vif0.0's ifindex and MAC into @d0 and @mac. */
static int tap_identity(struct xend_dom0 *d0, uint8_t mac[6])
{
	struct rtnl_link *link;
	struct nl_addr *hw;
	int ret = nlerr(rtnl_link_get_kernel(d0->rt, 0, d0->ifname, &link));

	if (ret)
		return ret;
	d0->ifindex = rtnl_link_get_ifindex(link);
	hw = rtnl_link_get_addr(link);
	if (hw && nl_addr_get_len(hw) == 6)
		memcpy(mac, nl_addr_get_binary_addr(hw), 6);
	else
		ret = -EINVAL;
	rtnl_link_put(link);
	return ret;
}

/* Bring vif0.0 up with 169.254.1.0/16 (kept if it is there already). */
static int tap_configure(struct xend_dom0 *d0)
{
	struct rtnl_link *link = rtnl_link_alloc(), *up = rtnl_link_alloc();
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int ret = -ENOMEM;

	if (!link || !up || !addr)
		goto out;
	rtnl_link_set_ifindex(link, d0->ifindex);
	rtnl_link_set_flags(up, IFF_UP);
	ret = nlerr(rtnl_link_change(d0->rt, link, up, 0));
	if (ret)
		goto out;
	local = nl_addr_build(AF_INET, &(uint32_t){ htonl(XENO_LL_DOMS) }, 4);
	if (!local) {
		ret = -ENOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(local, XENO_LL_PLEN);
	rtnl_addr_set_ifindex(addr, d0->ifindex);
	rtnl_addr_set_local(addr, local);
	ret = nlerr(rtnl_addr_add(d0->rt, addr, NLM_F_EXCL));
	if (ret == -EEXIST)
		ret = 0;
out:
	nl_addr_put(local);
	rtnl_addr_put(addr);
	rtnl_link_put(up);
	rtnl_link_put(link);
	return ret;
}

/* Give vif0.0 a MAC that stays the same across restarts of xend, so the
 * domains' neighbour entries for 169.254.1.0 stay valid while xend comes
 * back (a new TAP would otherwise get a new random MAC). */
static int tap_stable_mac(struct xend_dom0 *d0, uint8_t mac[6])
{
	struct rtnl_link *link = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	struct nl_addr *hw = NULL;
	int ret = -ENOMEM;

	vs_mac_default("Domain-0", 0, 0, mac);
	if (!link || !chg)
		goto out;
	hw = nl_addr_build(AF_LLC, mac, 6);
	if (!hw)
		goto out;
	rtnl_link_set_ifindex(link, d0->ifindex);
	rtnl_link_set_addr(chg, hw);
	ret = nlerr(rtnl_link_change(d0->rt, link, chg, 0));
out:
	nl_addr_put(hw);
	rtnl_link_put(chg);
	rtnl_link_put(link);
	return ret;
}

/* Create the TAP and attach it as the dom0 port. */
static int tap_attach(struct xend_dom0 *d0)
{
	struct vs_port_config cfg = { .kind = VS_PORT_DOM0,
				      .name = d0->ifname };
	int fd = port_tap_open(d0->ifname, false), ret;

	if (fd < 0)
		return fd;
	ret = tap_identity(d0, cfg.mac);
	if (!ret)
		ret = tap_stable_mac(d0, cfg.mac);
	if (ret) {
		close(fd);
		return ret;
	}
	memcpy(d0->mac, cfg.mac, 6);
	ret = xend_dp_attach_tap(d0->dp, fd, &cfg);	/* owns fd now */
	if (ret < 0)
		return ret;
	d0->port = (unsigned)ret;
	return 0;
}

struct xend_dom0 *xend_dom0_start(struct xend_dp *dp, const char *ifname)
{
	struct xend_dom0 *d0 = calloc(1, sizeof(*d0));
	int ret;

	if (!d0) {
		errno = ENOMEM;
		return NULL;
	}
	d0->dp = dp;
	d0->port = VS_NO_PORT;
	snprintf(d0->ifname, sizeof(d0->ifname), "%s",
		 ifname ? ifname : XEND_DOM0_IFNAME);
	ret = open_sockets(d0);
	if (!ret)
		ret = tap_attach(d0);
	if (!ret)
		ret = tap_configure(d0);
	if (!ret)
		ret = dom0_sync(d0);
	if (ret) {
		log_warn("dom0: %s: %s", d0->ifname, strerror(-ret));
		xend_dom0_stop(d0);
		errno = -ret;
		return NULL;
	}
	return d0;
}

/* xend_dom0_rebuild() - see dom0.h. */
int xend_dom0_rebuild(struct xend_dom0 *d0)
{
	int ret;

	if (d0->port != VS_NO_PORT)
		xend_dp_detach(d0->dp, d0->port);	/* closes the TAP */
	d0->port = VS_NO_PORT;
	ret = tap_attach(d0);
	if (!ret)
		ret = tap_configure(d0);
	if (!ret)
		ret = dom0_sync(d0);
	return ret;
}

/* xend_dom0_neigh_forget() - see dom0.h. */
void xend_dom0_neigh_forget(struct xend_dom0 *d0, struct in_addr a)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &a, sizeof(a));

	if (n && dst) {
		rtnl_neigh_set_ifindex(n, d0->ifindex);
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_delete(d0->rt, n, 0);	/* none is fine */
	}
	nl_addr_put(dst);
	rtnl_neigh_put(n);
}

/* Delete vif0.0 if it is still there (it was made persistent elsewhere). */
static void tap_delete(struct xend_dom0 *d0)
{
	struct rtnl_link *link = rtnl_link_alloc();

	if (!link)
		return;
	rtnl_link_set_name(link, d0->ifname);
	rtnl_link_delete(d0->rt, link);		/* -NLE_NODEV is fine */
	rtnl_link_put(link);
}

void xend_dom0_stop(struct xend_dom0 *d0)
{
	if (!d0)
		return;
	if (d0->port != VS_NO_PORT)
		xend_dp_detach(d0->dp, d0->port);	/* closes the TAP */
	if (d0->rt && d0->port != VS_NO_PORT)
		tap_delete(d0);
	nl_socket_free(d0->ev);
	nl_socket_free(d0->rt);
	free(d0);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns.h - the netns builder's primitives: named network namespaces
 *
 * A netns domain is a named network namespace, made the way `ip netns add`
 * makes one (a bind mount of the namespace on /run/netns/NAME, with
 * /run/netns a shared mount point), so `ip netns exec NAME ...` runs
 * programs in it. Its vifs are persistent TAP devices created in dom0,
 * attached to the switch, then moved into the namespace as eth0, eth1...
 *
 * Work inside a namespace is done through a netlink socket opened there
 * by a short-lived helper thread that setns()es into it; xend's own
 * threads never change namespace.
 */
#ifndef XENO_NETNS_H
#define XENO_NETNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define XEND_NETNS_DIR		"/run/netns"

/* An address with the prefix length it gets in a namespace. */
struct xend_addr {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
	unsigned plen;
};

/* xend_addr_parse() - an IPv4 or IPv6 address (no prefix) into @out with
 * a host prefix length. Returns 0 or -EINVAL. */
int xend_addr_parse(const char *s, struct xend_addr *out);

/* xend_addr_format() - the address alone, as text. */
void xend_addr_format(const struct xend_addr *a, char out[INET6_ADDRSTRLEN]);

/* xend_addr_equal() - same family and address (prefix ignored). */
bool xend_addr_equal(const struct xend_addr *a, const struct xend_addr *b);

/* What xend_netns_link_setup() configures on a link in a namespace. */
struct xend_netns_link {
	const char *ifname;		/* its name in the namespace (eth0) */
	uint8_t mac[6];
	const struct xend_addr *addrs;
	unsigned naddrs;
	bool has_gateway;		/* add a default route via gateway */
	struct in_addr gateway;
};

/* xend_netns_add() - create namespace @name (0, -EEXIST, -errno). */
int xend_netns_add(const char *name);

/* xend_netns_exists() - is /run/netns/@name a mounted namespace? */
bool xend_netns_exists(const char *name);

/* xend_netns_present() - does /run/netns/@name exist at all, even as
 * the empty file a crash between create and mount leaves? */
bool xend_netns_present(const char *name);

/* xend_netns_list() - call @fn(name, @arg) for each entry of /run/netns
 * (none if the directory does not exist). 0 or -errno. */
int xend_netns_list(void (*fn)(const char *name, void *arg), void *arg);

/* xend_netns_del() - SIGKILL every process in namespace @name, unmount
 * and remove it. Returns 0 (also when it did not exist) or -errno. */
int xend_netns_del(const char *name);

/* xend_netns_kill() - send @sig to every process in namespace @name.
 * Returns how many were signalled, or -errno. */
int xend_netns_kill(const char *name, int sig);

/* xend_netns_cpu_ticks() - the CPU time (utime + stime, clock ticks) of
 * the processes in namespace @name into *@ticks, and their number. Returns
 * the number of processes or -errno. */
int xend_netns_cpu_ticks(const char *name, uint64_t *ticks);

/* xend_proc_ticks() - the CPU time (utime + stime, clock ticks) process
 * @pid has used, from /proc/PID/stat. 0 or -errno. */
int xend_proc_ticks(pid_t pid, uint64_t *ticks);

/* xend_netns_move_link() - move dom0's link @ifname into namespace @name
 * and rename it @newname there. 0 or -errno. */
int xend_netns_move_link(const char *name, const char *ifname,
			 const char *newname);

/* xend_netns_link_setup() - in namespace @name: set the MAC of @l->ifname,
 * bring lo and it up, add the addresses and the default route. Addresses
 * already present are fine. 0 or -errno. */
int xend_netns_link_setup(const char *name, const struct xend_netns_link *l);

/* xend_netns_link_exists() - does @ifname exist in namespace @name (NULL:
 * in dom0)? */
bool xend_netns_link_exists(const char *name, const char *ifname);

/* xend_netns_link_tx_dropped() - the TX dropped counter of @ifname in
 * namespace @name (NULL: dom0) into @out: for a TAP, the frames its
 * kernel side threw away because the queue toward its reader was full.
 * 0, -ENODEV or -errno. */
int xend_netns_link_tx_dropped(const char *name, const char *ifname,
			       uint64_t *out);

/* xend_netns_link_del() - delete link @ifname in namespace @name (NULL:
 * in dom0). 0, -ENODEV or -errno. */
int xend_netns_link_del(const char *name, const char *ifname);

/* xend_netns_veth_add() - a veth pair in dom0: @ifname and its peer
 * @peer. 0 or -errno (-EEXIST). */
int xend_netns_veth_add(const char *ifname, const char *peer);

/* xend_netns_link_up_quiet() - bring dom0's @ifname up with IPv6 off, so
 * that dom0's own stack sends nothing out of it (a device that only
 * carries a domain's frames: no link-local address, no router or
 * neighbour solicitations). 0 or -errno. */
int xend_netns_link_up_quiet(const char *ifname);

#endif /* XENO_NETNS_H */

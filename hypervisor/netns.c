// SPDX-License-Identifier: GPL-2.0-or-later
/* netns.c - the netns builder's primitives: named network namespaces
 *
 * Namespaces are made as iproute2's `ip netns add` makes them: /run/netns
 * becomes a shared mount point (bind-mounted onto itself once if needed),
 * an empty file /run/netns/NAME is created, and a helper thread unshares
 * its network namespace and bind-mounts /proc/thread-self/ns/net onto the
 * file. The mount keeps the namespace alive after the thread is gone.
 *
 * Configuring links inside a namespace uses a libnl route socket that a
 * helper thread opens after setns(): a netlink socket stays bound to the
 * namespace it was created in, whichever thread uses it later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "control.h"
#include "netns.h"

/* ---- addresses ---- */

/* xend_addr_parse() - see netns.h. */
int xend_addr_parse(const char *s, struct xend_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		out->plen = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		out->plen = 128;
		return 0;
	}
	return -EINVAL;
}

/* xend_addr_format() - see netns.h. */
void xend_addr_format(const struct xend_addr *a, char out[INET6_ADDRSTRLEN])
{
	if (!inet_ntop(a->family, &a->v6, out, INET6_ADDRSTRLEN))
		strcpy(out, "?");
}

/* xend_addr_equal() - see netns.h. */
bool xend_addr_equal(const struct xend_addr *a, const struct xend_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

/* ---- helper threads ---- */

struct thread_call {
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static void *thread_main(void *p)
{
	struct thread_call *c = p;

	c->ret = c->fn(c->arg);
	return NULL;
}

/* Run @fn(@arg) in a new thread and return its result: namespace changes
 * made there stay there. */
static int in_thread(int (*fn)(void *), void *arg)
{
	struct thread_call c = { .fn = fn, .arg = arg, .ret = -EIO };
	pthread_t t;
	int ret;

	ret = pthread_create(&t, NULL, thread_main, &c);
	if (ret)
		return -ret;
	pthread_join(t, NULL);
	return c.ret;
}

static int ns_path(const char *name, char *buf, size_t size)
{
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	if ((size_t)snprintf(buf, size, "%s/%s", XEND_NETNS_DIR, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- creating and removing namespaces ---- */

/* Make XEND_NETNS_DIR a shared mount point, as iproute2 does. */
static int prepare_run_dir(void)
{
	bool made = false;

	if (mkdir(XEND_NETNS_DIR, 0755) && errno != EEXIST)
		return -errno;
	while (mount("", XEND_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL)) {
		if (errno != EINVAL || made)
			return -errno;
		if (mount(XEND_NETNS_DIR, XEND_NETNS_DIR, "none",
			  MS_BIND | MS_REC, NULL))
			return -errno;
		made = true;
	}
	return 0;
}

static int unshare_and_mount(void *arg)
{
	const char *path = arg;

	if (unshare(CLONE_NEWNET))
		return -errno;
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL))
		return -errno;
	return 0;
}

/* xend_netns_add() - see netns.h. */
int xend_netns_add(const char *name)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = ns_path(name, path, sizeof(path));
	if (ret)
		return ret;
	ret = prepare_run_dir();
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	ret = in_thread(unshare_and_mount, path);
	if (ret)
		unlink(path);
	return ret;
}

/* stat() of the namespace @name's nsfs inode; 0 or -errno. */
static int ns_stat(const char *name, struct stat *st)
{
	char path[PATH_MAX];
	int ret = ns_path(name, path, sizeof(path));

	if (ret)
		return ret;
	if (stat(path, st))
		return -errno;
	return 0;
}

/* xend_netns_exists() - see netns.h. A file that is not a namespace mount
 * (left behind by a crash between create and mount) does not count. */
bool xend_netns_exists(const char *name)
{
	struct stat st, self;

	if (ns_stat(name, &st))
		return false;
	if (stat("/proc/self/ns/net", &self))
		return false;
	/* an nsfs inode lives on the nsfs device, an empty file does not */
	return st.st_dev == self.st_dev;
}

/* xend_netns_present() - see netns.h. */
bool xend_netns_present(const char *name)
{
	struct stat st;

	return ns_stat(name, &st) != -ENOENT;
}

/* xend_netns_list() - see netns.h. */
int xend_netns_list(void (*fn)(const char *name, void *arg), void *arg)
{
	struct dirent *de;
	DIR *d = opendir(XEND_NETNS_DIR);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			fn(de->d_name, arg);
	closedir(d);
	return 0;
}

/* Call @fn(pid, arg) for each process whose network namespace is @st. */
static int for_each_proc_in(const struct stat *ns,
			    void (*fn)(pid_t pid, void *arg), void *arg)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64], *end;
		struct stat st;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) || st.st_dev != ns->st_dev ||
		    st.st_ino != ns->st_ino)
			continue;
		fn((pid_t)pid, arg);
		n++;
	}
	closedir(d);
	return n;
}

static void send_signal(pid_t pid, void *arg)
{
	kill(pid, *(int *)arg);
}

/* xend_netns_kill() - see netns.h. */
int xend_netns_kill(const char *name, int sig)
{
	struct stat st;
	int ret;

	if (!xend_netns_exists(name))
		return -ENOENT;
	ret = ns_stat(name, &st);
	if (ret)
		return ret;
	return for_each_proc_in(&st, send_signal, &sig);
}

/* xend_proc_ticks() - see netns.h. */
int xend_proc_ticks(pid_t pid, uint64_t *ticks)
{
	unsigned long utime, stime;
	char path[64], buf[1024], *p, *end, *end2;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip to the last
	 * ')'; utime and stime are fields 14 and 15, the 12th and 13th after
	 * it */
	p = strrchr(buf, ')');
	for (int field = 3; p && field <= 14; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	utime = strtoul(p, &end, 10);
	stime = strtoul(end, &end2, 10);
	if (end2 == end)
		return -EIO;
	*ticks = utime + stime;
	return 0;
}

static void add_ticks(pid_t pid, void *arg)
{
	uint64_t t = 0;

	if (!xend_proc_ticks(pid, &t))
		*(uint64_t *)arg += t;
}

/* xend_netns_cpu_ticks() - see netns.h. */
int xend_netns_cpu_ticks(const char *name, uint64_t *ticks)
{
	struct stat st;
	int ret;

	*ticks = 0;
	if (!xend_netns_exists(name))
		return -ENOENT;
	ret = ns_stat(name, &st);
	if (ret)
		return ret;
	return for_each_proc_in(&st, add_ticks, ticks);
}

/* xend_netns_del() - see netns.h. Processes that fork while being killed
 * are caught by a few more rounds. */
int xend_netns_del(const char *name)
{
	char path[PATH_MAX];
	int ret, round;

	ret = ns_path(name, path, sizeof(path));
	if (ret)
		return ret;
	for (round = 0; round < 5 && xend_netns_kill(name, SIGKILL) > 0; round++)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		log_warn("netns %s: umount: %s", name, strerror(errno));
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- netlink ---- */

/* libnl error to -errno, logging libnl's message. */
static int nl_errno(int err, const char *what)
{
	static const struct { int nle, err; } map[] = {
		{ NLE_EXIST, EEXIST }, { NLE_NODEV, ENODEV },
		{ NLE_NOMEM, ENOMEM }, { NLE_PERM, EPERM },
		{ NLE_INVAL, EINVAL }, { NLE_BUSY, EBUSY },
		{ NLE_OBJ_NOTFOUND, ENODEV }, { NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_RANGE, ERANGE }, { NLE_AGAIN, EAGAIN },
	};

	if (err >= 0)
		return err;
	log_debug("netlink: %s: %s", what, nl_geterror(err));
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == -err)
			return -map[i].err;
	return -EIO;
}

static struct nl_sock *route_socket(int *err)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = nl_errno(nl_connect(sk, NETLINK_ROUTE), "connect");
	if (*err) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

struct ns_socket_call {
	const char *name;
	struct nl_sock *sk;
};

static int open_socket_in(void *arg)
{
	struct ns_socket_call *c = arg;
	char path[PATH_MAX];
	int fd, ret;

	ret = ns_path(c->name, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	if (!ret)
		c->sk = route_socket(&ret);
	return ret;
}

/* A route socket in namespace @name (NULL: dom0's); NULL with *err set. */
static struct nl_sock *ns_socket(const char *name, int *err)
{
	struct ns_socket_call c = { .name = name };

	if (!name)
		return route_socket(err);
	if (!xend_netns_exists(name)) {
		*err = -ENOENT;
		return NULL;
	}
	*err = in_thread(open_socket_in, &c);
	return c.sk;
}

/* xend_netns_move_link() - see netns.h. */
int xend_netns_move_link(const char *name, const char *ifname,
			 const char *newname)
{
	struct rtnl_link *link = NULL, *change = NULL;
	char path[PATH_MAX];
	struct nl_sock *sk;
	int fd = -1, ret;

	ret = ns_path(name, path, sizeof(path));
	if (ret)
		return ret;
	sk = route_socket(&ret);
	if (!sk)
		return ret;
	ret = nl_errno(rtnl_link_get_kernel(sk, 0, ifname, &link), ifname);
	if (ret)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	change = rtnl_link_alloc();
	if (fd < 0 || !change) {
		ret = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	rtnl_link_set_ns_fd(change, fd);
	rtnl_link_set_name(change, newname);
	ret = nl_errno(rtnl_link_change(sk, link, change, 0), "move link");
out:
	if (fd >= 0)
		close(fd);
	rtnl_link_put(change);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return ret;
}

/* Bring @ifname up, setting its MAC if @mac; its ifindex or -errno. */
static int link_up(struct nl_sock *sk, const char *ifname, const uint8_t *mac)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_addr *lladdr = NULL;
	int ret;

	ret = nl_errno(rtnl_link_get_kernel(sk, 0, ifname, &link), ifname);
	if (ret)
		return ret;
	change = rtnl_link_alloc();
	if (mac)
		lladdr = nl_addr_build(AF_LLC, mac, 6);
	if (!change || (mac && !lladdr)) {
		ret = -ENOMEM;
		goto out;
	}
	if (lladdr)
		rtnl_link_set_addr(change, lladdr);
	rtnl_link_set_flags(change, IFF_UP);
	ret = nl_errno(rtnl_link_change(sk, link, change, 0), "link up");
	if (!ret)
		ret = rtnl_link_get_ifindex(link);
out:
	nl_addr_put(lladdr);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return ret;
}

static int addr_add(struct nl_sock *sk, int ifindex, const struct xend_addr *a)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local;
	int ret;

	local = nl_addr_build(a->family, &a->v6,
			      a->family == AF_INET ? 4 : 16);
	if (!ra || !local) {
		ret = -ENOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(local, (int)a->plen);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->family);
	rtnl_addr_set_local(ra, local);
	if (a->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	ret = nl_errno(rtnl_addr_add(sk, ra, NLM_F_REPLACE), "add address");
out:
	nl_addr_put(local);
	rtnl_addr_put(ra);
	return ret;
}

static int default_route(struct nl_sock *sk, int ifindex, struct in_addr gw)
{
	struct in_addr any = { 0 };
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &any, 4);
	struct nl_addr *via = nl_addr_build(AF_INET, &gw, 4);
	int ret = -ENOMEM;

	if (!rt || !nh || !dst || !via)
		goto out;
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_BOOT);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL;		/* the route owns it now */
	ret = nl_errno(rtnl_route_add(sk, rt, NLM_F_REPLACE), "default route");
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(via);
	rtnl_route_put(rt);
	return ret;
}

/* xend_netns_link_setup() - see netns.h. */
int xend_netns_link_setup(const char *name, const struct xend_netns_link *l)
{
	struct nl_sock *sk;
	int ifindex, ret;

	sk = ns_socket(name, &ret);
	if (!sk)
		return ret;
	ret = link_up(sk, "lo", NULL);
	if (ret < 0)
		goto out;
	ret = ifindex = link_up(sk, l->ifname, l->mac);
	if (ret < 0)
		goto out;
	for (unsigned i = 0; i < l->naddrs; i++) {
		ret = addr_add(sk, ifindex, &l->addrs[i]);
		if (ret)
			goto out;
	}
	ret = 0;
	if (l->has_gateway)
		ret = default_route(sk, ifindex, l->gateway);
out:
	nl_socket_free(sk);
	return ret < 0 ? ret : 0;
}

/* Run @fn on link @ifname of namespace @name (NULL: dom0) with a route
 * socket there. 0 or what @fn returned; -ENODEV, -errno when the link or
 * the socket cannot be had. */
static int on_link(const char *name, const char *ifname,
		   int (*fn)(struct nl_sock *sk, struct rtnl_link *link,
			     void *arg), void *arg)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk;
	int ret;

	sk = ns_socket(name, &ret);
	if (!sk)
		return ret;
	ret = nl_errno(rtnl_link_get_kernel(sk, 0, ifname, &link), ifname);
	if (!ret && fn)
		ret = fn(sk, link, arg);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return ret;
}

/* xend_netns_link_exists() - see netns.h. */
bool xend_netns_link_exists(const char *name, const char *ifname)
{
	return on_link(name, ifname, NULL, NULL) == 0;
}

static int tx_dropped(struct nl_sock *sk, struct rtnl_link *link, void *arg)
{
	(void)sk;
	*(uint64_t *)arg = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);
	return 0;
}

/* xend_netns_link_tx_dropped() - see netns.h. */
int xend_netns_link_tx_dropped(const char *name, const char *ifname,
			       uint64_t *out)
{
	return on_link(name, ifname, tx_dropped, out);
}

static int link_delete(struct nl_sock *sk, struct rtnl_link *link, void *arg)
{
	(void)arg;
	return nl_errno(rtnl_link_delete(sk, link), "delete link");
}

/* xend_netns_link_del() - see netns.h. */
int xend_netns_link_del(const char *name, const char *ifname)
{
	return on_link(name, ifname, link_delete, NULL);
}

/* xend_netns_veth_add() - see netns.h. */
int xend_netns_veth_add(const char *ifname, const char *peer)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *p = NULL;
	struct nl_sock *sk = NULL;
	int ret = -ENOMEM;

	if (!link)
		return ret;
	p = rtnl_link_veth_get_peer(link);
	if (!p)
		goto out;
	rtnl_link_set_name(link, ifname);
	rtnl_link_set_name(p, peer);
	sk = route_socket(&ret);
	if (sk)
		ret = nl_errno(rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL),
			       "add veth");
out:
	if (sk)
		nl_socket_free(sk);
	rtnl_link_put(p);
	rtnl_link_put(link);
	return ret;
}

/* Turn IPv6 off on dom0's @ifname (absent IPv6 is fine). */
static int ipv6_off(const char *ifname)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if ((size_t)snprintf(path, sizeof(path),
			     "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			     ifname) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (write(fd, "1", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* xend_netns_link_up_quiet() - see netns.h. */
int xend_netns_link_up_quiet(const char *ifname)
{
	struct nl_sock *sk;
	int ret = ipv6_off(ifname);

	if (ret)
		return ret;
	sk = route_socket(&ret);
	if (!sk)
		return ret;
	ret = link_up(sk, ifname, NULL);
	nl_socket_free(sk);
	return ret < 0 ? ret : 0;
}

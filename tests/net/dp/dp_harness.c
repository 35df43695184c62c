// SPDX-License-Identifier: GPL-2.0-or-later
/* dp_harness.c - the data plane and dom0's port without the rest of xend,
 * driven line by line on stdin by tests/net/dp/test_dp.py
 *
 * Usage: dp_harness [DOM0_IFNAME]
 * Prints "ready PORT" once dom0 is up, then answers each command with one
 * line, "ok ..." or "err REASON":
 *
 *   vif DOMID IFNAME MAC IP...   create persistent TAP IFNAME, attach it
 *                                as vif DOMID.0 with MAC and addresses
 *   addip DOMID IP               one more address for a vif (0 = dom0)
 *   wire IFNAME                  attach IFNAME as the wire
 *   limit DOMID BYTES USECS      transmit limit of vif DOMID.0
 *   stats DOMID|wire             counters as key=value pairs
 *   addrs DOMID                  addresses the port owns
 *   reattach DOMID NETNS IFNAME  detach vif DOMID.0 and attach it again
 *                                through port_tap_open_netns()
 *   quit
 *
 * Address events for dom0 are processed between commands (poll()).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "dom0.h"
#include "port_tap.h"

#define ARGS_MAX	12

struct req {
	char *argv[ARGS_MAX];
	int argc;
	long domid;			/* -1: the wire */
	int port;
	struct vs_port_config cfg;	/* vif, for reattach */
	struct in_addr a4[VS_ADDRS_MAX];
	int n4;
	uint64_t bytes, usecs;
	char out[2048];
};

static struct xend_dp *dp;

static int find(struct vs_switch *sw, const struct req *r)
{
	if (r->domid < 0)
		return vs_port_by_kind(sw, VS_PORT_WIRE);
	if (r->domid == 0)
		return vs_port_by_kind(sw, VS_PORT_DOM0);
	return vs_port_find(sw, (uint32_t)r->domid, 0);
}

static int add_ip(struct vs_switch *sw, int port, const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return vs_addr4_add(sw, (unsigned)port, a4);
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return vs_addr6_add(sw, (unsigned)port, &a6);
	return -EINVAL;
}

static int addip_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct req *r = arg;
	int port = find(sw, r), i, ret = 0;

	(void)now;
	if (port < 0)
		return port;
	for (i = 0; i < r->argc && !ret; i++)
		ret = add_ip(sw, port, r->argv[i]);
	return ret;
}

static int limit_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct req *r = arg;
	int port = find(sw, r);

	if (port < 0)
		return port;
	return vs_port_set_tx_limit(sw, (unsigned)port, r->bytes, r->usecs, 0,
				    now);
}

static int stats_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct req *r = arg;
	struct vs_port_stats st;
	int port = find(sw, r), ret, i;
	size_t o;

	(void)now;
	if (port < 0)
		return port;
	ret = vs_port_stats(sw, (unsigned)port, &st);
	if (ret)
		return ret;
	o = (size_t)snprintf(r->out, sizeof(r->out),
		"port=%d in=%llu tx_packets=%llu tx_bytes=%llu rx_packets=%llu "
		"rx_bytes=%llu throttled=%llu", port,
		(unsigned long long)st.in_packets,
		(unsigned long long)st.tx_packets,
		(unsigned long long)st.tx_bytes,
		(unsigned long long)st.rx_packets,
		(unsigned long long)st.rx_bytes,
		(unsigned long long)st.throttled);
	for (i = 0; i < VS_DROP__MAX && o < sizeof(r->out); i++)
		o += (size_t)snprintf(r->out + o, sizeof(r->out) - o, " %s=%llu",
				      vs_drop_names[i],
				      (unsigned long long)st.drops[i]);
	return 0;
}

static int addrs_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct req *r = arg;
	struct in_addr a4[VS_ADDRS_MAX];
	struct in6_addr a6[VS_ADDRS_MAX];
	char buf[INET6_ADDRSTRLEN];
	int port = find(sw, r), n4, n6, i;
	size_t o = 0;

	(void)now;
	if (port < 0)
		return port;
	n4 = vs_addr4_list(sw, (unsigned)port, a4, VS_ADDRS_MAX);
	n6 = vs_addr6_list(sw, (unsigned)port, a6, VS_ADDRS_MAX);
	r->out[0] = '\0';
	for (i = 0; i < n4 && i < VS_ADDRS_MAX; i++)
		o += (size_t)snprintf(r->out + o, sizeof(r->out) - o, " %s",
			inet_ntop(AF_INET, &a4[i], buf, sizeof(buf)));
	for (i = 0; i < n6 && i < VS_ADDRS_MAX; i++)
		o += (size_t)snprintf(r->out + o, sizeof(r->out) - o, " %s",
			inet_ntop(AF_INET6, &a6[i], buf, sizeof(buf)));
	return 0;
}

/* Remember vif @r->domid's config and IPv4 addresses, then detach it
 * (the data plane runs this, so detaching is direct). */
static int save_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct req *r = arg;
	struct vs_port_info info;
	int port = find(sw, r);

	(void)now;
	if (port < 0 || vs_port_info(sw, (unsigned)port, &info))
		return -ENOENT;
	r->port = port;
	r->cfg = (struct vs_port_config){ .kind = info.kind, .domid = info.domid,
					  .vifidx = info.vifidx };
	memcpy(r->cfg.mac, info.mac, 6);
	r->n4 = vs_addr4_list(sw, (unsigned)port, r->a4, VS_ADDRS_MAX);
	return 0;
}

static int readd_fn(struct vs_switch *sw, void *arg, uint64_t now)
{
	struct req *r = arg;
	int i, ret = 0;

	(void)now;
	for (i = 0; i < r->n4 && i < VS_ADDRS_MAX && !ret; i++)
		ret = vs_addr4_add(sw, (unsigned)r->port, r->a4[i]);
	return ret;
}

static int cmd_vif(struct req *r)
{
	int fd, port;

	if (r->argc < 3)
		return -EINVAL;
	r->cfg = (struct vs_port_config){ .kind = VS_PORT_VIF, .name = r->argv[0],
					  .domid = (uint32_t)r->domid };
	if (vs_mac_parse(r->argv[1], r->cfg.mac))
		return -EINVAL;
	fd = port_tap_open(r->argv[0], true);
	if (fd < 0)
		return fd;
	port = xend_dp_attach_tap(dp, fd, &r->cfg);
	if (port < 0)
		return port;
	r->argc -= 2;
	memmove(r->argv, r->argv + 2, (size_t)r->argc * sizeof(r->argv[0]));
	snprintf(r->out, sizeof(r->out), " %d", port);
	return xend_dp_call(dp, addip_fn, r);
}

static int cmd_reattach(struct req *r)
{
	char name[32];
	int fd, ret;

	if (r->argc < 2)
		return -EINVAL;
	ret = xend_dp_call(dp, save_fn, r);
	if (!ret)
		ret = xend_dp_detach(dp, (unsigned)r->port);
	if (ret)
		return ret;
	fd = port_tap_open_netns(r->argv[0], r->argv[1]);
	if (fd < 0)
		return fd;
	snprintf(name, sizeof(name), "vif%ld.0", r->domid);
	r->cfg.name = name;
	ret = xend_dp_attach_tap(dp, fd, &r->cfg);
	if (ret < 0)
		return ret;
	r->port = ret;
	snprintf(r->out, sizeof(r->out), " %d", ret);
	return xend_dp_call(dp, readd_fn, r);
}

static int dispatch(const char *cmd, struct req *r)
{
	if (!strcmp(cmd, "vif"))
		return cmd_vif(r);
	if (!strcmp(cmd, "addip"))
		return xend_dp_call(dp, addip_fn, r);
	if (!strcmp(cmd, "limit") && r->argc == 2) {
		r->bytes = strtoull(r->argv[0], NULL, 0);
		r->usecs = strtoull(r->argv[1], NULL, 0);
		return xend_dp_call(dp, limit_fn, r);
	}
	if (!strcmp(cmd, "stats"))
		return xend_dp_call(dp, stats_fn, r);
	if (!strcmp(cmd, "addrs"))
		return xend_dp_call(dp, addrs_fn, r);
	if (!strcmp(cmd, "reattach"))
		return cmd_reattach(r);
	return -EINVAL;
}

/* Run one command line; false on quit. */
static bool run(char *line)
{
	struct req *r = calloc(1, sizeof(*r));
	char *save = NULL, *cmd = strtok_r(line, " \t\n", &save), *tok;
	int ret;

	if (!r || !cmd || !strcmp(cmd, "quit")) {
		free(r);
		return cmd == NULL ? true : false;
	}
	tok = strtok_r(NULL, " \t\n", &save);
	if (!strcmp(cmd, "wire")) {
		ret = tok ? xend_dp_attach_wire(dp, tok) : -EINVAL;
		if (ret >= 0)
			snprintf(r->out, sizeof(r->out), " %d", ret);
	} else {
		r->domid = tok && !strcmp(tok, "wire") ? -1 :
			   tok ? strtol(tok, NULL, 0) : -2;
		while ((tok = strtok_r(NULL, " \t\n", &save)) &&
		       r->argc < ARGS_MAX)
			r->argv[r->argc++] = tok;
		ret = r->domid == -2 ? -EINVAL : dispatch(cmd, r);
	}
	if (ret < 0)
		printf("err %s\n", strerror(-ret));
	else
		printf("ok%s\n", r->out);
	fflush(stdout);
	free(r);
	return true;
}

int main(int argc, char **argv)
{
	struct xend_dom0 *d0;
	char line[1024];
	bool more = true;

	/* Unbuffered: poll() must see every line that was not yet read. */
	setvbuf(stdin, NULL, _IONBF, 0);
	dp = xend_dp_new(1);
	if (!dp) {
		perror("xend_dp_new");
		return 1;
	}
	d0 = xend_dom0_start(dp, argc > 1 ? argv[1] : NULL);
	if (!d0) {
		perror("xend_dom0_start");
		xend_dp_free(dp);
		return 1;
	}
	printf("ready %u\n", xend_dom0_port(d0));
	fflush(stdout);
	while (more) {
		struct pollfd pfd[2] = { { 0, POLLIN, 0 },
					 { xend_dom0_fd(d0), POLLIN, 0 } };

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			xend_dom0_process(d0);
		if (pfd[0].revents & (POLLIN | POLLHUP))
			more = fgets(line, sizeof(line), stdin) && run(line);
	}
	xend_dom0_stop(d0);
	xend_dp_free(dp);
	return 0;
}

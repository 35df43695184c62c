/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domain.h - xend's domain table and the control commands on it
 *
 * struct xend is the control plane's state: the data plane and dom0 port
 * it talks to, the domain table (indexed by domain id) and where state is
 * persisted. Only the main thread touches it; the switch is reached
 * through xend_dp_call().
 *
 * A domain owns its vifs. Each vif has a switch port (or -1 while not
 * attached), a MAC, the addresses the switch lets it use, and its limits.
 * Builders: netns (a named network namespace, netns.h); qemu is refused
 * until it exists.
 */
#ifndef XENO_DOMAIN_H
#define XENO_DOMAIN_H

#include <json-c/json.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "netns.h"
#include "vswitch.h"

#define XEND_DOMS_MAX		254	/* 169.254.1.N needs N <= 254 */
#define XEND_VIFS_MAX		8
#define XEND_NAME_MAX		63
#define XEND_VIF_ADDRS_MAX	(2 * VS_ADDRS_MAX)
#define XEND_VBDS_MAX		16
#define XEND_NETNS_PREFIX	"xeno-dom"

enum xend_builder {
	XEND_BUILDER_NETNS,
	XEND_BUILDER_QEMU,
};

/* Transmit and receive limits of a vif (vif_setsched). */
struct xend_limits {
	uint64_t bytes, usecs, packets;
	uint64_t rx_bytes, rx_usecs, rx_packets;
};

/* An address of a vif; @ns: also configured on the link in the domain
 * (addresses from vif_addip are only given to the switch). */
struct xend_vif_addr {
	struct xend_addr a;
	bool ns;
};

struct xend_vif {
	uint32_t idx;
	char ifname[IFNAMSIZ];		/* the TAP as created in dom0: xvN.K */
	char nsifname[IFNAMSIZ];	/* its name in the namespace: ethK */
	uint8_t mac[6];
	int port;			/* switch port, -1 when detached */
	struct xend_vif_addr addrs[XEND_VIF_ADDRS_MAX];
	unsigned naddrs;
	struct xend_limits lim;
};

struct xend_vbd {
	char uname[128];
	char dev[32];
	char mode[2];
};

struct xend_domain {
	uint32_t id;
	char name[XEND_NAME_MAX + 1];
	enum xend_builder builder;
	char nsname[64];		/* netns: the namespace's name */
	uint64_t mem_kb;
	uint32_t vcpus;
	struct in_addr gateway;		/* vif 0's default route */
	bool has_gateway;
	json_object *config;		/* as given to create; owned */
	struct xend_vif vifs[XEND_VIFS_MAX];
	unsigned nvifs;
	struct xend_vbd vbds[XEND_VBDS_MAX];
	unsigned nvbds;
};

struct xend_dp;
struct xend_dom0;

struct xend {
	struct xend_dp *dp;
	struct xend_dom0 *dom0;		/* NULL: running without dom0 port */
	const char *dom0_ifname;
	char *state_dir;
	struct xend_domain *doms[XEND_DOMS_MAX + 1];	/* by id; [0] unused */
	struct xend_limits dom0_lim;
	bool dom0_lim_set;
};

/* The control commands, for ctl_server_new(); handlers take a struct
 * xend as ctx. */
extern const struct ctl_cmd xend_cmds[];

/* xend_domain_new() - an empty domain record (no vifs). NULL when out of
 * memory. */
struct xend_domain *xend_domain_new(void);

/* xend_domain_free() - free a record (not its namespace or ports: see
 * xend_domains_detach_all()). Accepts NULL. */
void xend_domain_free(struct xend_domain *d);

/* xend_domain_restore() - take back a domain found in the state file:
 * for a netns domain whose namespace exists, reattach (or recreate) its
 * TAPs and give the switch its addresses and limits, then enter it in the
 * table. The table owns @d afterwards on success; on failure (-ENOENT:
 * namespace gone, -EEXIST: id or name taken) the caller frees it. */
int xend_domain_restore(struct xend *x, struct xend_domain *d);

/* xend_dom0_limits_apply() - apply x->dom0_lim to dom0's port. 0/-errno. */
int xend_dom0_limits_apply(struct xend *x);

/* xend_domains_detach_all() - at shutdown: detach every vif from the
 * switch and free the table. Namespaces and TAPs stay: the domains keep
 * running and the state file still lists them. */
void xend_domains_detach_all(struct xend *x);

/* xend_vif_default() - fill vif @idx of domain @d with defaults (names,
 * default MAC, no addresses, unlimited). */
void xend_vif_default(const struct xend_domain *d, struct xend_vif *v,
		      uint32_t idx);

#endif /* XENO_DOMAIN_H */

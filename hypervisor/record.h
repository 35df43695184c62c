/* SPDX-License-Identifier: GPL-2.0-or-later */
/* record.h - xend's records (limits, vif, vbd, domain) and their codec
 *
 * A record is parsed and printed by one pair of functions, used for the
 * `create` request, the state file and the replies alike, with one set of
 * bounds (the XEND_*_MAX below). xc_dom_create runs the same checks on
 * the request it is about to send (rec_config_check()), so the tool and
 * the daemon never disagree on what is valid, nor word it differently.
 *
 * Two forms of a domain exist:
 *   config  what `create` takes (docs/config-format.md, the "config"
 *           object of docs/control-protocol.md): user-chosen fields only;
 *   state   what the state file keeps (state.c): the config as given plus
 *           what xend generated (id, names, MACs, addresses, limits as
 *           changed since). Generated names are checked against what xend
 *           would generate: a state record can never name a foreign
 *           namespace or interface.
 *
 * Lifecycles
 * ----------
 * A domain (enum xend_dom_state):
 *   BUILDING  written to the state file before its builder starts, so a
 *             crash of xend part way through a create leaves a record; the
 *             next xend tears down whatever was built and frees the id.
 *             No command sees a domain in this state (create runs to the
 *             end on the main thread).
 *   RUNNING   built. Every command applies; destroy/shutdown remove it.
 *
 * A vif (enum xend_vif_state):
 *   NEW       not built yet (create) or not taken back yet (restore).
 *   UP        attached to the switch with all its addresses and limits.
 *   DEGRADED  attached and limited, but some address was refused (taken
 *             by dom0 or another port meanwhile); @error says which. It
 *             forwards; vif_addip/vif_delip may repair it.
 *   FAILED    not attached (its back end is gone and could not be
 *             rebuilt); @error says why. vif_* commands that need a port
 *             refuse; list and destroy work.
 * The data plane reports a port whose back end fails; the control plane
 * then rebuilds it (FAILED -> UP or DEGRADED) or leaves it FAILED.
 */
#ifndef XENO_RECORD_H
#define XENO_RECORD_H

#include <json-c/json.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "nat.h"
#include "netdefs.h"
#include "netns.h"
#include "vswitch.h"

/* ---- bounds: the only ones, for requests, state and xc_dom_create ---- */
#define XEND_DOMS_MAX		XENO_LL_DOM_MAX	/* 169.254.1.N, N <= 254 */
#define XEND_VIFS_MAX		8
#define XEND_NAME_MAX		63
#define XEND_VIF_ADDRS_MAX	(2 * VS_ADDRS_MAX)
#define XEND_VBDS_MAX		16
#define XEND_UNAME_MAX		127
#define XEND_DEV_MAX		31
#define XEND_PATH_MAX		4096
#define XEND_MEMORY_MB_MAX	(1024 * 1024)
#define XEND_MEMORY_MB_DEFAULT	64
#define XEND_VCPUS_MAX		64
#define XEND_CPU_MAX		4095	/* pincpu */
#define XEND_LIMIT_BYTES_MAX	(1ULL << 40)
#define XEND_LIMIT_USECS_MAX	1000000000ULL
#define XEND_LIMIT_PACKETS_MAX	UINT32_MAX
#define XEND_SOCKET_MAX		107	/* sun_path, NUL excluded */
#define XEND_NETNS_PREFIX	"xeno-dom"
#define XEND_TAP_PREFIX		"xv"
#define XEND_NAME_CHARS		"abcdefghijklmnopqrstuvwxyz" \
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-"

enum xend_builder_kind {
	XEND_BUILDER_NETNS,
	XEND_BUILDER_QEMU,
	XEND_BUILDER_EXTERNAL,
};

enum xend_dom_state {
	XEND_DOM_BUILDING,
	XEND_DOM_RUNNING,
};

/* How a vif reaches the switch: a netns vif is always a TAP; a QEMU vif
 * is vhost-user by default (xend maps the guest's rings) or a TAP that
 * QEMU holds; an external domain's vif is vhost-user, the client of the
 * socket its front end listens on. */
enum xend_vif_backend {
	XEND_VIF_BACKEND_TAP,
	XEND_VIF_BACKEND_VHOST_USER,
};

enum xend_vif_state {
	XEND_VIF_NEW,
	XEND_VIF_UP,
	XEND_VIF_DEGRADED,
	XEND_VIF_FAILED,
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
	uint8_t mac[XENO_MAC_LEN];
	int port;			/* switch port, -1 when detached */
	struct xend_vif_addr addrs[XEND_VIF_ADDRS_MAX];
	unsigned naddrs;
	struct xend_limits lim;
	bool dhcp_server;		/* trusted to answer DHCP (dhcp_guard) */
	enum xend_vif_backend backend;
	bool no_offload;		/* qemu: hide csum/TSO from the guest */
	char socket[XEND_SOCKET_MAX + 1];	/* external: front end's socket */
	enum xend_vif_state state;
	char error[128];		/* DEGRADED/FAILED: why */
};

struct xend_vbd {
	char uname[XEND_UNAME_MAX + 1];
	char dev[XEND_DEV_MAX + 1];
	char mode[2];
};

/* The event source of a domain's process (QEMU's pidfd) in xend's epoll
 * set: the main loop hands it to xend_dom_exited(). */
struct xend_dom_ev {
	struct xend_evsrc src;		/* XEND_EV_DOMAIN */
	uint32_t id;
};

struct xend_domain {
	uint32_t id;
	char name[XEND_NAME_MAX + 1];
	enum xend_builder_kind builder;
	enum xend_dom_state state;
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

	/* qemu: the running VM (the state file keeps pid and stopped) */
	int pid;			/* QEMU's pid; 0: none */
	int pidfd;			/* readable when it exits; -1: none */
	bool stopped;			/* paused by `stop` */
	int cpu;			/* pinned CPU (all vCPUs); -1: any */
	struct xend_dom_ev ev;
};

/* ---- records ---- */

/* rec_domain_new() - an empty domain record (no vifs). NULL when out of
 * memory. */
struct xend_domain *rec_domain_new(void);

/* rec_domain_free() - free a record (not what a builder made for it;
 * its pidfd is closed). Accepts NULL. */
void rec_domain_free(struct xend_domain *d);

/* rec_domain_names() - fill in the names xend generates for domain @d
 * (d->id set): its namespace and each vif's TAP and link names. */
void rec_domain_names(struct xend_domain *d);

/* rec_vif_default() - vif @idx of @d with defaults: generated names, the
 * default MAC, no addresses, unlimited. */
void rec_vif_default(const struct xend_domain *d, struct xend_vif *v,
		     uint32_t idx);

/* rec_vif_find_addr() - index of @a in @v's list, or -1. */
int rec_vif_find_addr(const struct xend_vif *v, const struct xend_addr *a);

/* rec_vif_add_addr() - add @a to @v's list unless it is there: 0, or
 * -ENOSPC when the list is full. */
int rec_vif_add_addr(struct xend_vif *v, const struct xend_addr *a, bool ns);

/* rec_valid_name() - true if @s can name a domain: 1..XEND_NAME_MAX of
 * XEND_NAME_CHARS, and not "Domain-0". */
bool rec_valid_name(const char *s);

/* rec_addr_usable() - true if @a may be given to a vif of domain @domid:
 * unicast (netdefs.h), and not 169.254.1.M reserved for another domain M
 * or for dom0. */
bool rec_addr_usable(const struct xend_addr *a, uint32_t domid);

/* rec_addr_get() - address text @s of field @field (named in errors) for
 * a vif of domain @domid into @a: 0, or -1 with req's error saying why
 * it is refused (not an address, not unicast, another domain's or dom0's
 * 169.254.1.N). */
int rec_addr_get(struct ctl_req *req, const char *s, const char *field,
		 uint32_t domid, struct xend_addr *a);

/* rec_builder_name() - "netns", "qemu" or "external". */
const char *rec_builder_name(enum xend_builder_kind b);

/* rec_vif_backend_name() - "tap" or "vhost-user". */
const char *rec_vif_backend_name(enum xend_vif_backend b);

/* rec_vif_state_name() - "new", "up", "degraded" or "failed". */
const char *rec_vif_state_name(enum xend_vif_state s);

/* ---- codec ---- */

/* rec_get_range() - like ctl_get_uint(), but with a lower bound too, and
 * the message "field 'P' must be MIN..MAX". */
int rec_get_range(struct ctl_req *req, json_object *obj, const char *path,
		  const char *key, bool required, uint64_t min, uint64_t max,
		  uint64_t *out);

/* rec_limits_parse() - the limit fields (bytes, usecs, packets, rx_bytes,
 * rx_usecs, rx_packets) of @o into @l; absent fields leave @l as it is.
 * @path prefixes field names in errors. 0, or -1 with req's error set. */
int rec_limits_parse(struct ctl_req *req, json_object *o, const char *path,
		     struct xend_limits *l);

/* rec_limits_json() - add @l's fields to object @o. */
void rec_limits_json(json_object *o, const struct xend_limits *l);

/* rec_vbd_path() - the host path of @b's uname: "file:/img" -> "/img",
 * "phy:sda3" -> "/dev/sda3" ("phy:/dev/x" as it is). 0, or -EINVAL for
 * another type. */
int rec_vbd_path(const struct xend_vbd *b, char *path, size_t size);

/* rec_vbd_size() - the size in bytes of @b's file or block device, or
 * -errno. */
long long rec_vbd_size(const struct xend_vbd *b);

/* rec_vbd_parse() / rec_vbd_json() - a vbd {"uname", "dev", "mode"}. */
int rec_vbd_parse(struct ctl_req *req, json_object *o, const char *path,
		  struct xend_vbd *b);
json_object *rec_vbd_json(const struct xend_vbd *b);

/* rec_config_parse() - the "config" object of a create request into @d,
 * whose id is set: every field checked, defaults filled in, vif 0 given
 * 169.254.1.<id> first. Nothing outside @d is looked at or changed. 0,
 * or -1 with req's error naming the field. */
int rec_config_parse(struct ctl_req *req, json_object *cfg,
		     struct xend_domain *d);

/* rec_config_check() - rec_config_parse() as xc_dom_create runs it before
 * sending: 0, or -EINVAL with xend's message in @err. */
int rec_config_check(json_object *cfg, char *err, size_t errlen);

/* rec_state_json() - @d's record in the state file (state.c). */
json_object *rec_state_json(const struct xend_domain *d);

/* rec_state_parse() - a state file record into a new domain, checked as
 * create checks a request (and its generated names against what xend
 * generates). NULL with @err set. */
struct xend_domain *rec_state_parse(json_object *o, char *err,
				    size_t errlen);

/* rec_nat_json() / rec_nat_parse() - NAT's configuration as the state
 * file keeps it: {"backend", "uplink", "port_base"}. parse returns 0, or
 * -1 with req's error set (fields named "nat.*"). */
json_object *rec_nat_json(const struct nat_config *c);
int rec_nat_parse(struct ctl_req *req, json_object *o, struct nat_config *c);

#endif /* XENO_RECORD_H */

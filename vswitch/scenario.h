/* SPDX-License-Identifier: GPL-2.0-or-later */
/* scenario.h - the scenario file of vs_pcap_run, parsed
 *
 * A scenario (docs/pcap-scenarios.md) describes a switch: its isolated
 * prefixes and its ports, one "isolate" or "port" directive per line.
 * scn_parse() turns the text into a struct scn and checks everything that
 * can be checked without building the switch (syntax, ranges, the keys
 * each port kind needs and refuses, unique names); what only the switch
 * knows (a MAC or an address used twice, a second wire) is found by the
 * runner when it adds the ports.
 *
 * Errors are one line, "NAME:LINE: error: WHAT" (or "NAME: error: WHAT"
 * for the file as a whole), NAME being the name the caller gave the text,
 * usually its path. The parser stops at the first error.
 *
 * A struct scn holds no back ends or open files; it and its ports array
 * are owned by whoever got it from scn_parse()/scn_load() and freed with
 * scn_free().
 */
#ifndef XENO_SCENARIO_H
#define XENO_SCENARIO_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch.h"

#define SCN_NAME_MAX	32		/* port names, as struct vs_port's */
#define SCN_ERR_MAX	(PATH_MAX + 512)	/* room for any error line */

/* tx_limit= / rx_limit=: BYTES every USECS, at most PACKETS (0: any) */
struct scn_limit {
	bool set;
	uint64_t bytes, usecs, packets;
};

/* One isolated prefix; the address is v4 or v6 as @family says. */
struct scn_prefix {
	int family;			/* AF_INET or AF_INET6 */
	unsigned plen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* One "port" line. has_* tell which keys the line gave. */
struct scn_port {
	char name[SCN_NAME_MAX];
	unsigned line;			/* where it was defined */
	bool has_kind, has_dom, has_vif, has_mac;
	enum vs_port_kind kind;
	uint32_t domid, vifidx;
	uint8_t mac[6];			/* as given; zero without mac= */
	struct in_addr a4[VS_ADDRS_MAX];
	unsigned n4;
	struct in6_addr a6[VS_ADDRS_MAX];
	unsigned n6;
	char in[PATH_MAX];		/* input pcap, dir applied; "" = none */
	struct scn_limit tx, rx;
};

/* A whole scenario. */
struct scn {
	char name[PATH_MAX];		/* for error messages, e.g. its path */
	bool isolate_set;		/* an isolate line replaced the default */
	struct scn_prefix iso[VS_ISOLATED_MAX];
	unsigned niso;
	struct scn_port *ports;		/* nports of them, in file order */
	unsigned nports;		/* 1..VS_PORTS_MAX once parsed */
	unsigned cap;			/* room in ports[] */
};

/* scn_parse() - parse the @len bytes at @buf (need not be NUL-terminated;
 * a NUL byte in them is an error) as a scenario called @name.
 * A relative in= path is taken relative to @dir (NULL: kept as written).
 * On success stores a new struct scn in *@out, owned by the caller, and
 * returns 0. On error stores NULL, writes one line "NAME:LINE: error: ..."
 * to @err (if @errlen) and returns -EINVAL for bad input or -ENOMEM.
 * Nothing is kept of @buf, @name or @dir. */
int scn_parse(const char *buf, size_t len, const char *name, const char *dir,
	      struct scn **out, char *err, size_t errlen);

/* scn_load() - read the file at @path and scn_parse() it, named @path,
 * with in= relative to the file's directory. As scn_parse(), plus errors
 * "PATH: error: cannot open scenario: ..." (returns -errno) and
 * "PATH: error: read error" (-EIO). */
int scn_load(const char *path, struct scn **out, char *err, size_t errlen);

/* scn_free() - free a scenario; NULL is fine. */
void scn_free(struct scn *sc);

/* scn_kind_name() - "dom0", "wire" or "vif"; "?" for anything else. */
const char *scn_kind_name(enum vs_port_kind kind);

#endif /* XENO_SCENARIO_H */

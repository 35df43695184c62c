// SPDX-License-Identifier: GPL-2.0-or-later
/* nat.c - the NAT interface: input checks, the back end dispatch, and what
 * both back ends share (the default route, ip_forward, listening ports)
 *
 * Theory of operation: every entry point checks its input here (the uplink
 * exists and has a name that is safe to put in a rule, the ports fit, the
 * addresses are link-local), so that a bad request fails before anything
 * is changed; only then does the back end (nat_nft.c, nat_ipt.c) build and
 * commit its rules in one transaction per table. Only one back end holds
 * xeno's rules at a time: nat_check() refuses the other.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nat_internal.h"

#define ROUTE_FILE	"/proc/net/route"
#define FORWARD_FILE	"/proc/sys/net/ipv4/ip_forward"
#define TCP_LISTEN	0x0A		/* /proc/net/tcp's st of TCP_LISTEN */

static const char *const backend_names[] = {
	[NAT_BACKEND_NFT] = "nft",
	[NAT_BACKEND_IPTABLES] = "iptables",
};
_Static_assert(sizeof(backend_names) / sizeof(backend_names[0]) ==
	       NAT_BACKEND_IPTABLES + 1, "a name for every back end");

int nat_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

bool nat_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;
	int n;

	if (len >= size)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size - len;
}

/* nat_backend_parse() - see nat.h */
int nat_backend_parse(const char *s, enum nat_backend *out)
{
	unsigned i;

	for (i = 0; s && i < sizeof(backend_names) / sizeof(backend_names[0]);
	     i++) {
		if (!strcmp(s, backend_names[i])) {
			*out = (enum nat_backend)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* nat_backend_name() - see nat.h */
const char *nat_backend_name(enum nat_backend b)
{
	if ((unsigned)b > NAT_BACKEND_IPTABLES)
		return "?";
	return backend_names[b];
}

/* Split @line at blanks into at most @max fields; their number. */
static int split(char *line, char *f[], int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t\n", &save))
		f[n++] = tok;
	return n;
}

/* A whole field of hex digits into @v. */
static bool hex(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 16);
	return *s && !*end && !errno;
}

/* One /proc/net/route line (Iface Destination Gateway Flags RefCnt Use
 * Metric Mask ...): is it the IPv4 default route (destination and mask 0,
 * up)? Its interface into @ifname. */
static bool default_route(char *line, char ifname[IFNAMSIZ])
{
	unsigned long dst, flags, mask;
	char *f[8];

	if (split(line, f, 8) < 8 || !hex(f[1], &dst) || !hex(f[3], &flags) ||
	    !hex(f[7], &mask) || strlen(f[0]) >= IFNAMSIZ)
		return false;
	if (dst || mask || !(flags & 0x1))	/* 0x1: RTF_UP */
		return false;
	memcpy(ifname, f[0], strlen(f[0]) + 1);
	return true;
}

/* nat_default_uplink() - see nat.h */
int nat_default_uplink(char ifname[IFNAMSIZ], char *err, size_t errlen)
{
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen(ROUTE_FILE, "re");
	if (!f)
		return nat_err(err, errlen, -errno, "cannot read %s: %s",
			       ROUTE_FILE, strerror(errno));
	if (!fgets(line, sizeof(line), f))	/* the header */
		line[0] = '\0';
	while (!found && fgets(line, sizeof(line), f))
		found = default_route(line, ifname);
	fclose(f);
	if (!found)
		return nat_err(err, errlen, -ENOENT,
			       "no IPv4 default route: name the uplink");
	return 0;
}

/* An interface name that may go into a rule as it is: the kernel's own
 * rules plus no quotes or backslashes (nft text). */
static bool safe_ifname(const char *s)
{
	size_t i, len = strnlen(s, IFNAMSIZ);

	if (!len || len >= IFNAMSIZ)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.@+", s[i]))
			return false;
	return true;
}

static int check_uplink(const char *uplink, char *err, size_t errlen)
{
	if (!safe_ifname(uplink))
		return nat_err(err, errlen, -EINVAL,
			       "uplink '%.*s': not a usable interface name",
			       IFNAMSIZ, uplink);
	if (!if_nametoindex(uplink))
		return nat_err(err, errlen, -ENODEV,
			       "uplink '%s' does not exist", uplink);
	return 0;
}

static int check_ports(uint16_t base, char *err, size_t errlen)
{
	unsigned last = (unsigned)base + NAT_REDIRECTS_MAX;

	if (last > 65535)
		return nat_err(err, errlen, -ERANGE,
			       "port base %u: the redirect ports %u..%u go "
			       "past 65535 (at most %u)", base, base + 1u,
			       last, 65535u - NAT_REDIRECTS_MAX);
	return 0;
}

static int check_backend(enum nat_backend b, char *err, size_t errlen)
{
	enum nat_backend other;

	if ((unsigned)b > NAT_BACKEND_IPTABLES)
		return nat_err(err, errlen, -EINVAL, "unknown NAT back end %d",
			       (int)b);
	other = b == NAT_BACKEND_NFT ? NAT_BACKEND_IPTABLES : NAT_BACKEND_NFT;
	if (nat_present(other))
		return nat_err(err, errlen, -EBUSY,
			       "xeno's NAT rules are on the %s back end: "
			       "remove them (xen_nat disable) before using %s",
			       nat_backend_name(other), nat_backend_name(b));
	return b == NAT_BACKEND_NFT ? nat_nft_usable(err, errlen)
				    : nat_ipt_usable(err, errlen);
}

/* nat_check() - see nat.h */
int nat_check(const struct nat_config *c, char *err, size_t errlen)
{
	int ret;

	ret = check_uplink(c->uplink, err, errlen);
	if (!ret)
		ret = check_ports(c->port_base, err, errlen);
	if (!ret)
		ret = check_backend(c->backend, err, errlen);
	return ret;
}

static int check_redirect(const struct nat_redirect *r, char *err,
			  size_t errlen)
{
	char a[INET_ADDRSTRLEN];

	if (!r->port)
		return nat_err(err, errlen, -EINVAL,
			       "domain %u: redirect port 0", r->dom);
	if ((ntohl(r->addr.s_addr) >> 16) != 0xa9fe) {
		inet_ntop(AF_INET, &r->addr, a, sizeof(a));
		return nat_err(err, errlen, -EINVAL,
			       "domain %u: redirect to %s, not a link-local "
			       "169.254.0.0/16 address", r->dom, a);
	}
	return 0;
}

static int check_redirects(const struct nat_redirect *r, unsigned n,
			   char *err, size_t errlen)
{
	unsigned i, j;
	int ret;

	if (n > NAT_REDIRECTS_MAX)
		return nat_err(err, errlen, -E2BIG, "%u redirects: at most %u",
			       n, NAT_REDIRECTS_MAX);
	for (i = 0; i < n; i++) {
		ret = check_redirect(&r[i], err, errlen);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (r[j].port == r[i].port)
				return nat_err(err, errlen, -EINVAL,
					       "domains %u and %u: both on "
					       "port %u", r[j].dom, r[i].dom,
					       r[i].port);
	}
	return 0;
}

static int ip_forward_on(char *err, size_t errlen)
{
	int fd, ret = 0;

	fd = open(FORWARD_FILE, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return nat_err(err, errlen, -errno, "cannot open %s: %s",
			       FORWARD_FILE, strerror(errno));
	if (write(fd, "1\n", 2) != 2)
		ret = nat_err(err, errlen, -errno, "cannot write %s: %s",
			      FORWARD_FILE, strerror(errno));
	close(fd);
	return ret;
}

/* nat_apply() - see nat.h */
int nat_apply(const struct nat_config *c, const struct nat_redirect *r,
	      unsigned n, char *err, size_t errlen)
{
	int ret;

	ret = nat_check(c, err, errlen);
	if (!ret)
		ret = check_redirects(r, n, err, errlen);
	if (ret)
		return ret;
	if (c->backend == NAT_BACKEND_NFT)
		ret = nat_nft_apply(c, r, n, err, errlen);
	else
		ret = nat_ipt_apply(c, r, n, err, errlen);
	if (!ret)
		ret = ip_forward_on(err, errlen);
	return ret;
}

/* nat_redirect_add() - see nat.h */
int nat_redirect_add(const struct nat_config *c, const struct nat_redirect *r,
		     char *err, size_t errlen)
{
	int ret = check_redirect(r, err, errlen);

	if (ret)
		return ret;
	if (c->backend == NAT_BACKEND_NFT)
		return nat_nft_redirect_add(r, err, errlen);
	return nat_ipt_redirect_add(r, err, errlen);
}

/* nat_redirect_del() - see nat.h */
int nat_redirect_del(const struct nat_config *c, const struct nat_redirect *r,
		     char *err, size_t errlen)
{
	if (c->backend == NAT_BACKEND_NFT)
		return nat_nft_redirect_del(r, err, errlen);
	return nat_ipt_redirect_del(r, err, errlen);
}

/* nat_remove() - see nat.h */
int nat_remove(enum nat_backend b, char *err, size_t errlen)
{
	if (b == NAT_BACKEND_NFT)
		return nat_nft_remove(err, errlen);
	return nat_ipt_remove(err, errlen);
}

/* nat_present() - see nat.h */
bool nat_present(enum nat_backend b)
{
	return b == NAT_BACKEND_NFT ? nat_nft_present() : nat_ipt_present();
}

/* nat_rules_text() - see nat.h */
char *nat_rules_text(enum nat_backend b, char *err, size_t errlen)
{
	if (b == NAT_BACKEND_NFT)
		return nat_nft_rules_text(err, errlen);
	return nat_ipt_rules_text(err, errlen);
}

/* nat_forward_blockers() - see nat.h. An nft forward chain that drops
 * drops for both back ends (iptables-nft, Docker's included, lives
 * there). The legacy FORWARD policy only matters to the nft back end: the
 * iptables back end's jump to XENO_FORWARD is FORWARD's first rule, and
 * its ACCEPTs end the table's verdict before the policy is reached. */
int nat_forward_blockers(const struct nat_config *c, char *out, size_t size)
{
	int n = 0;

	if (!size)
		return 0;
	out[0] = '\0';
	if (!safe_ifname(c->uplink))
		return 0;
	n += nat_nft_blockers(c, out, size);
	if (c->backend == NAT_BACKEND_NFT)
		n += nat_ipt_blockers(c, out, size);
	return n;
}

/* One /proc/net/tcp{,6} line ("sl local_address rem_address st ...",
 * local_address "HEXADDR:HEXPORT"): a LISTEN socket on @port? */
static bool listen_line(char *line, uint16_t port)
{
	unsigned long lport, st;
	char *f[4], *colon;

	if (split(line, f, 4) < 4)
		return false;
	colon = strrchr(f[1], ':');
	return colon && hex(colon + 1, &lport) && hex(f[3], &st) &&
	       st == TCP_LISTEN && lport == port;
}

/* Is there a LISTEN socket on @port in the /proc/net/tcp-format @path? */
static bool listening(const char *path, uint16_t port)
{
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;		/* no IPv6: nothing listens there */
	if (!fgets(line, sizeof(line), f))	/* the header */
		line[0] = '\0';
	while (!found && fgets(line, sizeof(line), f))
		found = listen_line(line, port);
	fclose(f);
	return found;
}

/* nat_port_in_use() - see nat.h */
bool nat_port_in_use(uint16_t port)
{
	return listening("/proc/net/tcp", port) ||
	       listening("/proc/net/tcp6", port);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* console.c - domain consoles: the line ring, line framing, the seed's
 * filter and datagram, the rotated log and the per-domain budget
 *
 * Theory of operation. A domain's console output arrives as a byte stream
 * and is cut into lines by a con_framer (fixed buffer of CON_LINE_MAX, a
 * longer line leaves in pieces). Each line goes to three places, none of
 * which allocates per line:
 *
 * - the ring: one buffer of fixed size holding complete lines back to
 *   back, each ending in '\n', oldest at @head. Making room for a new line
 *   drops the oldest whole lines, so the history is always a sequence of
 *   complete lines (or empty), never longer than the ring;
 * - the log: appended with one writev() per line; when the next line would
 *   take the file past its maximum it is rotated first (name.log ->
 *   name.log.1 -> ... -> name.log.KEEP, the oldest overwritten);
 * - the seed's datagram (con_datagram), if the domain's token bucket
 *   (con_rate) has a token; what the bucket refuses is counted.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "console.h"
#include "netdefs.h"

/* ---- the ring ---- */

/* The bytes live in buf[0..size), used bytes from head on, wrapping. */
struct con_ring {
	size_t size;
	size_t head;		/* the oldest byte */
	size_t used;
	uint64_t lines;		/* lines put, ever */
	char buf[];
};

struct con_ring *con_ring_new(size_t size)
{
	struct con_ring *r;

	if (size < CON_LINE_MAX + 1) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r) + size);
	if (r)
		r->size = size;
	return r;
}

void con_ring_free(struct con_ring *r)
{
	free(r);
}

/* ring_at() - the byte @off bytes after the oldest. */
static char ring_at(const struct con_ring *r, size_t off)
{
	return r->buf[(r->head + off) % r->size];
}

/* line_len() - the length of the oldest line at @off (its '\n' included).
 * The ring holds complete lines only, so there is a '\n' before @used. */
static size_t line_len(const struct con_ring *r, size_t off)
{
	size_t n = off;

	while (n < r->used && ring_at(r, n) != '\n')
		n++;
	return n - off + 1;
}

/* drop_oldest() - forget the oldest line. */
static void drop_oldest(struct con_ring *r)
{
	size_t n = line_len(r, 0);

	if (n > r->used)
		n = r->used;
	r->head = (r->head + n) % r->size;
	r->used -= n;
	if (!r->used)
		r->head = 0;
}

/* copy_in() - append @len bytes at the tail; the room is there. */
static void copy_in(struct con_ring *r, const char *p, size_t len)
{
	size_t tail = (r->head + r->used) % r->size;
	size_t first = r->size - tail < len ? r->size - tail : len;

	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, len - first);
	r->used += len;
}

void con_ring_put(struct con_ring *r, const char *line, size_t len)
{
	if (len > CON_LINE_MAX)
		len = CON_LINE_MAX;
	/* size > CON_LINE_MAX, so dropping lines always makes room. */
	while (r->used + len + 1 > r->size)
		drop_oldest(r);
	copy_in(r, line, len);
	copy_in(r, "\n", 1);
	r->lines++;
}

size_t con_ring_read(const struct con_ring *r, char *out, size_t size)
{
	size_t skip = 0, n, first, start;

	if (!size)
		return 0;
	/* Whole lines are skipped from the oldest until the rest fits. */
	while (r->used - skip > size - 1)
		skip += line_len(r, skip);
	n = r->used - skip;
	start = (r->head + skip) % r->size;
	first = r->size - start < n ? r->size - start : n;
	memcpy(out, r->buf + start, first);
	memcpy(out + first, r->buf, n - first);
	out[n] = '\0';
	return n;
}

uint64_t con_ring_lines(const struct con_ring *r)
{
	return r->lines;
}

/* ---- lines out of a byte stream ---- */

/* emit() - hand over the framer's buffer as one line, a trailing '\r'
 * (of a "\r\n" line end) left out. */
static void emit(struct con_framer *f, con_line_fn fn, void *arg)
{
	size_t len = f->len;

	if (len && f->buf[len - 1] == '\r')
		len--;
	f->len = 0;
	fn(arg, f->buf, len);
}

void con_framer_feed(struct con_framer *f, const char *data, size_t len,
		     con_line_fn fn, void *arg)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		size_t room = CON_LINE_MAX - f->len;

		/* A full buffer leaves as a piece only when more of the same
		 * line comes: a line of exactly CON_LINE_MAX bytes (or one
		 * whose '\r' is the last to fit) stays one line. */
		if (take && !room) {
			fn(arg, f->buf, f->len);
			f->len = 0;
			continue;
		}
		if (take > room)
			take = room;
		memcpy(f->buf + f->len, data, take);
		f->len += take;
		data += take;
		len -= take;
		if (nl && data == nl) {
			emit(f, fn, arg);
			data++;
			len--;
		}
	}
}

void con_framer_flush(struct con_framer *f, con_line_fn fn, void *arg)
{
	if (f->len)
		emit(f, fn, arg);
}

/* ---- the seed's filtering ---- */

size_t con_filter(const char *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\n' || (c >= 32 && c <= 126))
			out[n++] = (char)c;
	}
	if (!n || out[n - 1] != '\n')
		out[n++] = '\n';
	out[n] = '\0';
	return n;
}

/* ---- the datagram ---- */

/* The Internet checksum (RFC 1071), folded, not yet complemented: a sum
 * over 16-bit big-endian words, continued from @sum. */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The headers, every multi-byte field in network byte order. They are
 * filled on the stack and copied into the frame, which may be unaligned. */
struct eth_hdr {
	uint8_t dst[ETH_ALEN], src[ETH_ALEN];
	uint16_t type;
} __attribute__((packed));

struct ip4_hdr {
	uint8_t ver_ihl;	/* 4 << 4 | header length / 4 */
	uint8_t tos;
	uint16_t tot_len, id, frag_off;
	uint8_t ttl, proto;
	uint16_t check;
	uint32_t saddr, daddr;
};

struct udp_hdr {
	uint16_t sport, dport, len, check;
};

/* The UDP checksum's pseudo-header (RFC 768). */
struct udp_pseudo {
	uint32_t saddr, daddr;
	uint8_t zero, proto;
	uint16_t len;
};

static_assert(sizeof(struct eth_hdr) == 14, "Ethernet header size");
static_assert(sizeof(struct ip4_hdr) == 20, "IPv4 header size");
static_assert(sizeof(struct udp_hdr) == 8, "UDP header size");
static_assert(sizeof(struct udp_pseudo) == 12, "pseudo-header size");
static_assert(14 + 20 + 8 + CON_LINE_MAX <= CON_FRAME_MAX, "frame size");

size_t con_datagram(uint8_t *frame, const uint8_t dst_mac[6],
		    const uint8_t src_mac[6], uint16_t domid,
		    const char *text, size_t len)
{
	const size_t l2 = sizeof(struct eth_hdr);
	const size_t l3 = l2 + sizeof(struct ip4_hdr);
	const size_t l4 = l3 + sizeof(struct udp_hdr);
	struct eth_hdr eth = { .type = htons(ETHERTYPE_IP) };
	struct ip4_hdr ip = {
		.ver_ihl = 4 << 4 | sizeof(ip) / 4, .ttl = 64,
		/* DF: an atomic datagram (RFC 6864), so id 0 is fine. */
		.frag_off = htons(IP_DF), .proto = IPPROTO_UDP,
		.saddr = htonl(XENO_CONSOLE_SRC),
		.daddr = htonl(XENO_LL_DOMS),
	};
	struct udp_hdr udp = {
		.sport = htons(domid), .dport = htons(CON_PORT),
	};
	struct udp_pseudo ph = {
		.saddr = ip.saddr, .daddr = ip.daddr, .proto = IPPROTO_UDP,
	};
	uint16_t sum;

	if (len > CON_LINE_MAX)
		len = CON_LINE_MAX;
	memcpy(eth.dst, dst_mac, ETH_ALEN);
	memcpy(eth.src, src_mac, ETH_ALEN);
	ip.tot_len = htons((uint16_t)(len + l4 - l2));
	udp.len = ph.len = htons((uint16_t)(len + sizeof(udp)));
	memcpy(frame, &eth, sizeof(eth));
	memcpy(frame + l2, &ip, sizeof(ip));
	memcpy(frame + l3, &udp, sizeof(udp));
	memcpy(frame + l4, text, len);

	/* The checksums, over the frame's bytes with their fields 0. */
	ip.check = htons(csum_fold(csum_add(0, frame + l2, sizeof(ip))));
	memcpy(frame + l2 + offsetof(struct ip4_hdr, check), &ip.check,
	       sizeof(ip.check));
	sum = csum_fold(csum_add(csum_add(0, &ph, sizeof(ph)), frame + l3,
				 sizeof(udp) + len));
	udp.check = htons(sum ? sum : 0xffff);	/* 0 means "none" */
	memcpy(frame + l3 + offsetof(struct udp_hdr, check), &udp.check,
	       sizeof(udp.check));
	return l4 + len;
}

/* ---- the console log ---- */

struct con_log {
	int fd;
	size_t size;		/* bytes in name.log now */
	size_t max;
	unsigned keep;
	char path[PATH_MAX];	/* dir/name.log */
};

/* mkdirs() - make @dir and its parents (0750), like mkdir -p. */
static int mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (char *s = p + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0750) && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

/* log_reopen() - open l->path for appending and learn its size. */
static int log_reopen(struct con_log *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		     0640);
	if (l->fd < 0)
		return -errno;
	if (fstat(l->fd, &st)) {
		int ret = -errno;

		close(l->fd);
		l->fd = -1;
		return ret;
	}
	l->size = (size_t)st.st_size;
	return 0;
}

struct con_log *con_log_open(const char *dir, const char *name, size_t max,
			     unsigned keep)
{
	struct con_log *l;
	int ret;

	/* No directory (a caller with logging off) or no usable name is
	 * EINVAL, not a crash. */
	if (!dir || !name || !*name || strchr(name, '/')) {
		errno = EINVAL;
		return NULL;
	}
	ret = mkdirs(dir);
	if (ret)
		goto err;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->max = max;
	l->keep = keep;
	if ((size_t)snprintf(l->path, sizeof(l->path), "%s/%s.log", dir,
			     name) >= sizeof(l->path)) {
		ret = -ENAMETOOLONG;
		goto err_free;
	}
	ret = log_reopen(l);
	if (ret)
		goto err_free;
	return l;

err_free:
	free(l);
err:
	errno = -ret;
	return NULL;
}

/* rotate() - name.log.(keep-1) -> .keep ... name.log -> .1, then a new
 * name.log. With keep 0 the old log is simply removed. */
static int rotate(struct con_log *l)
{
	/* dir/name.log plus ".4294967295" fits */
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	close(l->fd);
	l->fd = -1;
	for (unsigned i = l->keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", l->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", l->path, i);
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	if (l->keep) {
		snprintf(to, sizeof(to), "%s.1", l->path);
		if (rename(l->path, to) && errno != ENOENT)
			return -errno;
	} else if (unlink(l->path) && errno != ENOENT) {
		return -errno;
	}
	return log_reopen(l);
}

int con_log_write(struct con_log *l, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)line, .iov_len = len },
		{ .iov_base = (void *)(uintptr_t)"\n", .iov_len = 1 },
	};
	int ret;

	/* Rotate before a line that would pass the maximum, so that a log
	 * never ends mid-line and stays at most @max (but for one line
	 * longer than that, alone in its file). */
	if (l->fd < 0 || (l->size && l->size + len + 1 > l->max)) {
		ret = l->fd < 0 ? log_reopen(l) : rotate(l);
		if (ret)
			return ret;
	}
	while (iov[1].iov_len) {
		ssize_t n = writev(l->fd, iov[0].iov_len ? iov : iov + 1,
				   iov[0].iov_len ? 2 : 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->size += (size_t)n;
		for (int i = 0; i < 2 && n; i++) {
			size_t d = (size_t)n < iov[i].iov_len ?
				   (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + d;
			iov[i].iov_len -= d;
			n -= (ssize_t)d;
		}
	}
	return 0;
}

void con_log_close(struct con_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* ---- the per-domain datagram budget ---- */

#define NS_PER_SEC	1000000000ULL

void con_rate_init(struct con_rate *r, uint32_t rate, uint32_t burst,
		   uint64_t now_ns)
{
	r->rate = rate;
	r->burst = burst;
	r->tokens_milli = (uint64_t)burst * 1000;
	r->last_ns = now_ns;
	r->dropped = 0;
}

/* refill() - add the tokens earned since last_ns (none with rate 0). The
 * clock only moves on when a whole milli-token was earned, so that many
 * calls close together do not round the refill away. */
static void refill(struct con_rate *r, uint64_t now_ns)
{
	uint64_t full = (uint64_t)r->burst * 1000, dt, add;

	if (now_ns <= r->last_ns || !r->rate)
		return;
	dt = now_ns - r->last_ns;
	/* Past the time to fill the bucket from empty, it is full (and the
	 * product below cannot overflow). */
	if (dt >= (full / r->rate + 1) * (NS_PER_SEC / 1000)) {
		r->tokens_milli = full;
		r->last_ns = now_ns;
		return;
	}
	add = dt * r->rate / (NS_PER_SEC / 1000);
	if (!add)
		return;
	r->tokens_milli = r->tokens_milli + add > full ? full :
			  r->tokens_milli + add;
	r->last_ns = now_ns;
}

bool con_rate_take(struct con_rate *r, uint64_t now_ns)
{
	refill(r, now_ns);
	if (r->tokens_milli >= 1000) {
		r->tokens_milli -= 1000;
		return true;
	}
	r->dropped++;
	return false;
}

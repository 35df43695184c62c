/* SPDX-License-Identifier: GPL-2.0-or-later */
/* console.h - domain consoles: rings, lines, the seed's UDP datagram, logs
 *
 * Every domain's console output (a QEMU domain's serial port, a netns
 * domain's init process) is cut into lines (con_framer), kept in a ring of
 * fixed size (con_ring) so that nothing printed before a reader starts is
 * lost, written to the domain's console log (con_log, rotated by size),
 * and sent as the seed's datagram (con_datagram: 169.254.254.255:<domid>
 * -> 169.254.1.0:666, one line each) that the switch injects on dom0's
 * port. A per-domain line budget (con_rate) keeps a flooding domain from
 * crowding out the others' datagrams; what it drops is counted.
 *
 * Nothing here allocates per line; time is an argument.
 */
#ifndef XENO_CONSOLE_H
#define XENO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CON_RING_DEFAULT	(64 * 1024)	/* bytes of history per domain */
#define CON_LINE_MAX		1024	/* a longer line is cut in pieces */
#define CON_PORT		666	/* xen_read_console's UDP port */
#define CON_LOG_MAX_DEFAULT	(2 * 1024 * 1024)
#define CON_LOG_KEEP_DEFAULT	3	/* name.log.1 .. name.log.3 */
#define CON_RATE_DEFAULT	200	/* datagrams per second per domain */
#define CON_BURST_DEFAULT	400
#define CON_FRAME_MAX		(14 + 20 + 8 + CON_LINE_MAX + 1)

/* ---- the ring ---- */

struct con_ring;

/* con_ring_new() - an empty ring of @size bytes (>= CON_LINE_MAX + 1).
 * NULL if out of memory or @size is too small. */
struct con_ring *con_ring_new(size_t size);

/* con_ring_free() - accepts NULL. */
void con_ring_free(struct con_ring *r);

/* con_ring_put() - append one line (@len bytes, no newline; cut to
 * CON_LINE_MAX), dropping the oldest whole lines to make room. */
void con_ring_put(struct con_ring *r, const char *line, size_t len);

/* con_ring_read() - the history, oldest first, each line ending in '\n',
 * into @out (@size bytes, NUL-terminated; the newest lines win if it is
 * short). Returns the length written. */
size_t con_ring_read(const struct con_ring *r, char *out, size_t size);

/* con_ring_lines() - lines put since the ring was made (a sequence number,
 * so a reader can tell how many it missed). */
uint64_t con_ring_lines(const struct con_ring *r);

/* ---- lines out of a byte stream ---- */

struct con_framer {
	char buf[CON_LINE_MAX];
	size_t len;
};

typedef void (*con_line_fn)(void *arg, const char *line, size_t len);

/* con_framer_feed() - take @len bytes of console output; call @fn for
 * every complete line (without its '\n'; a '\r' before it is dropped),
 * and for a piece of CON_LINE_MAX bytes when a line grows that long. */
void con_framer_feed(struct con_framer *f, const char *data, size_t len,
		     con_line_fn fn, void *arg);

/* con_framer_flush() - hand over a partial last line (the source ended). */
void con_framer_flush(struct con_framer *f, con_line_fn fn, void *arg);

/* ---- the seed's filtering, for printing ---- */

/* con_filter() - @in without bytes outside 32..126 but '\n', with a '\n'
 * added when it does not end in one, into @out (@len + 2 bytes at least,
 * NUL-terminated). Returns the output length. */
size_t con_filter(const char *in, size_t len, char *out);

/* ---- the datagram ---- */

/* con_datagram() - the seed's console datagram carrying @len bytes of
 * @text (cut to CON_LINE_MAX) as an Ethernet frame to dom0 (@dst_mac)
 * from @src_mac: IPv4 169.254.254.255 -> 169.254.1.0, UDP source port
 * @domid, destination CON_PORT, with correct IP and UDP checksums. Into
 * @frame (CON_FRAME_MAX bytes); returns the frame's length. */
size_t con_datagram(uint8_t *frame, const uint8_t dst_mac[6],
		    const uint8_t src_mac[6], uint16_t domid,
		    const char *text, size_t len);

/* ---- the console log ---- */

struct con_log;

/* con_log_open() - append to @dir/@name.log (created 0640, @dir made if
 * needed), rotating it to .1, .2 ... .@keep when it passes @max bytes.
 * NULL with errno set. */
struct con_log *con_log_open(const char *dir, const char *name, size_t max,
			     unsigned keep);

/* con_log_write() - one line, '\n' added. 0 or -errno. */
int con_log_write(struct con_log *l, const char *line, size_t len);

/* con_log_close() - accepts NULL. */
void con_log_close(struct con_log *l);

/* ---- the per-domain datagram budget ---- */

struct con_rate {
	uint32_t rate, burst;		/* lines per second, bucket size */
	uint64_t tokens_milli;		/* tokens * 1000 */
	uint64_t last_ns;
	uint64_t dropped;		/* lines refused */
};

/* con_rate_init() - a full bucket. */
void con_rate_init(struct con_rate *r, uint32_t rate, uint32_t burst,
		   uint64_t now_ns);

/* con_rate_take() - may one more line go at @now_ns? false counts it in
 * @r->dropped. */
bool con_rate_take(struct con_rate *r, uint64_t now_ns);

#endif /* XENO_CONSOLE_H */

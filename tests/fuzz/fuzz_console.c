// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_console.c - libFuzzer target over the console's line path:
 * con_framer -> con_ring, con_filter and con_datagram
 *
 * Input: byte 0 picks the ring's size (CON_LINE_MAX + 1 up to ~10 KiB),
 * byte 1 the size of the pieces the rest is fed in (1..256; a source's
 * reads), byte 2 the size of a short reader's buffer; the rest is
 * console output, flushed at the end. Invariants, after pieces (at
 * least every 64 bytes) and at the end:
 * - the history is empty or ends with '\n', is never longer than the
 *   ring, and its last line is the last line put (cut to CON_LINE_MAX);
 * - a short reader gets a suffix of it that starts on a line;
 * - every line is at most CON_LINE_MAX bytes and holds no '\n';
 * - the filter's output ends with '\n', holds only '\n' and 32..126, and
 *   is at most one byte longer than its input;
 * - the datagram is as long as its headers and (cut) text.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "fuzz.h"

struct sink {
	struct con_ring *ring;
	char last[CON_LINE_MAX];
	size_t last_len;
	uint64_t lines;
};

static void check_filter(const char *line, size_t len)
{
	static char out[CON_LINE_MAX + 2];
	size_t n = con_filter(line, len, out);

	CHECK(n >= 1 && n <= len + 1);
	CHECK(out[n - 1] == '\n' && out[n] == '\0');
	for (size_t i = 0; i < n; i++)
		CHECK(out[i] == '\n' || (out[i] >= 32 && out[i] <= 126));
}

static void on_line(void *arg, const char *line, size_t len)
{
	static const uint8_t mac[6] = { 0xaa, 0, 0, 0, 0, 1 };
	static uint8_t frame[CON_FRAME_MAX];
	struct sink *s = arg;

	CHECK(len <= CON_LINE_MAX);
	CHECK(!memchr(line, '\n', len));
	con_ring_put(s->ring, line, len);
	memcpy(s->last, line, len);
	s->last_len = len;
	s->lines++;
	check_filter(line, len);
	CHECK(con_datagram(frame, mac, mac, (uint16_t)s->lines, line, len) ==
	      14 + 20 + 8 + len);
}

static void check_history(const struct sink *s, size_t ring_size,
			  size_t short_size)
{
	static char hist[16384], part[16384];
	size_t n = con_ring_read(s->ring, hist, sizeof(hist)), m;

	CHECK(n <= ring_size && hist[n] == '\0');
	CHECK(con_ring_lines(s->ring) == s->lines);
	if (!s->lines) {
		CHECK(n == 0);
		return;
	}
	CHECK(n >= s->last_len + 1 && hist[n - 1] == '\n');
	CHECK(!memcmp(hist + n - 1 - s->last_len, s->last, s->last_len));
	CHECK(n == s->last_len + 1 || hist[n - 2 - s->last_len] == '\n');

	m = con_ring_read(s->ring, part, short_size);
	CHECK(m < short_size && m <= n && part[m] == '\0');
	CHECK(!memcmp(part, hist + n - m, m));
	CHECK(m == n || m == 0 || hist[n - m - 1] == '\n');
	/* and the next line would not have fitted */
	if (m < n) {
		size_t prev = n - m - 1;

		while (prev > 0 && hist[prev - 1] != '\n')
			prev--;
		CHECK(n - prev > short_size - 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct con_framer f = { .len = 0 };
	struct sink s = { .lines = 0 };
	size_t ring_size, piece, short_size, unchecked = 0;

	if (size < 3)
		return 0;
	ring_size = CON_LINE_MAX + 1 + (size_t)data[0] * 37;
	piece = (size_t)data[1] + 1;
	short_size = (size_t)data[2] * 8 + 1;
	data += 3;
	size -= 3;
	s.ring = con_ring_new(ring_size);
	CHECK(s.ring);
	while (size) {
		size_t n = size < piece ? size : piece;

		con_framer_feed(&f, (const char *)data, n, on_line, &s);
		data += n;
		size -= n;
		/* Checking after tiny pieces only costs time: the history
		 * is read again once 64 bytes went in. */
		unchecked += n;
		if (unchecked >= 64) {
			check_history(&s, ring_size, short_size);
			unchecked = 0;
		}
	}
	con_framer_flush(&f, on_line, &s);
	check_history(&s, ring_size, short_size);
	con_ring_free(s.ring);
	return 0;
}

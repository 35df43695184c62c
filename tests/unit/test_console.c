// SPDX-License-Identifier: GPL-2.0-or-later
/* test_console.c - the console pieces (DESIGN.md §9, console.h): the ring's
 * exact history through wrap-around and drops, line framing, the seed's
 * filter, the datagram field by field with both checksums recomputed here,
 * log rotation, and the datagram budget on a virtual clock
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"

#define MS	1000000ULL		/* ns */
#define SEC	1000000000ULL

/* ---- the ring ---- */

static void ring_put_str(struct con_ring *r, const char *s)
{
	con_ring_put(r, s, strlen(s));
}

static char *ring_history(const struct con_ring *r)
{
	static char out[4 * CON_RING_DEFAULT];
	size_t n = con_ring_read(r, out, sizeof(out));

	assert_int_equal(strlen(out), n);
	return out;
}

static void test_ring_empty(void **state)
{
	struct con_ring *r = con_ring_new(CON_LINE_MAX + 1);
	char out[8] = "x";

	(void)state;
	assert_non_null(r);
	assert_int_equal(con_ring_read(r, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(con_ring_lines(r), 0);
	con_ring_free(r);
	con_ring_free(NULL);
	assert_null(con_ring_new(CON_LINE_MAX));	/* too small */
}

/* A ring of 1025 bytes: lines of 300 bytes + '\n', three fit (903). */
static void test_ring_drop_oldest(void **state)
{
	struct con_ring *r = con_ring_new(CON_LINE_MAX + 1);
	char line[301], want[4 * 301 + 1];

	(void)state;
	for (int i = 0; i < 10; i++) {
		memset(line, 'a' + i, 300);
		con_ring_put(r, line, 300);
		/* The history is the last min(i + 1, 3) lines, exactly. */
		want[0] = '\0';
		for (int j = i >= 2 ? i - 2 : 0; j <= i; j++) {
			size_t n = strlen(want);

			memset(want + n, 'a' + j, 300);
			want[n + 300] = '\n';
			want[n + 301] = '\0';
		}
		assert_string_equal(ring_history(r), want);
	}
	assert_int_equal(con_ring_lines(r), 10);
	con_ring_free(r);
}

/* Lines of varying length wrap around the end of the buffer many times;
 * a model (the last lines that fit) says what the history must be. */
static void test_ring_wrap_exact(void **state)
{
	enum { SIZE = 1500, N = 400 };
	struct con_ring *r = con_ring_new(SIZE);
	static char lines[N][64];
	char want[SIZE + 1];

	(void)state;
	for (int i = 0; i < N; i++) {
		size_t total = 0, n = 0;
		int first = i + 1;

		snprintf(lines[i], sizeof(lines[i]), "line %d %.*s", i,
			 (i * 7) % 40, "........................................");
		ring_put_str(r, lines[i]);
		/* the newest lines whose total fits in SIZE */
		while (first > 0 &&
		       total + strlen(lines[first - 1]) + 1 <= SIZE) {
			total += strlen(lines[first - 1]) + 1;
			first--;
		}
		for (int j = first; j <= i; j++)
			n += (size_t)sprintf(want + n, "%s\n", lines[j]);
		assert_string_equal(ring_history(r), want);
	}
	con_ring_free(r);
}

/* A short output buffer gets the newest whole lines that fit. */
static void test_ring_read_short(void **state)
{
	struct con_ring *r = con_ring_new(CON_RING_DEFAULT);
	char out[12];

	(void)state;
	ring_put_str(r, "one");
	ring_put_str(r, "two");
	ring_put_str(r, "three");
	/* 11 usable bytes: "two\nthree\n" is 10 */
	assert_int_equal(con_ring_read(r, out, sizeof(out)), 10);
	assert_string_equal(out, "two\nthree\n");
	assert_int_equal(con_ring_read(r, out, 6), 0);	/* "three\n" is 6 */
	assert_string_equal(out, "");
	assert_int_equal(con_ring_read(r, out, 7), 6);
	assert_string_equal(out, "three\n");
	assert_int_equal(con_ring_read(r, out, 0), 0);
	con_ring_free(r);
}

/* A line longer than CON_LINE_MAX is cut to it; empty lines are kept. */
static void test_ring_long_line(void **state)
{
	struct con_ring *r = con_ring_new(CON_RING_DEFAULT);
	char big[3000];
	const char *h;

	(void)state;
	memset(big, 'x', sizeof(big));
	con_ring_put(r, big, sizeof(big));
	con_ring_put(r, "", 0);
	h = ring_history(r);
	assert_int_equal(strlen(h), CON_LINE_MAX + 2);
	assert_int_equal(strspn(h, "x"), CON_LINE_MAX);
	assert_string_equal(h + CON_LINE_MAX, "\n\n");
	con_ring_free(r);
}

/* ---- the framer ---- */

struct got {
	char text[8192];	/* lines joined by '|' */
	size_t n;
	size_t lens[16];
	int count;
};

static void collect(void *arg, const char *line, size_t len)
{
	struct got *g = arg;

	assert_true(len <= CON_LINE_MAX);
	if (g->count < 16)
		g->lens[g->count] = len;
	g->count++;
	if (g->n + len + 2 < sizeof(g->text)) {
		memcpy(g->text + g->n, line, len);
		g->n += len;
		g->text[g->n++] = '|';
		g->text[g->n] = '\0';
	}
}

static void feed_str(struct con_framer *f, struct got *g, const char *s)
{
	con_framer_feed(f, s, strlen(s), collect, g);
}

static void test_framer_lines(void **state)
{
	struct con_framer f = { .len = 0 };
	struct got g = { .n = 0 };

	(void)state;
	feed_str(&f, &g, "hello\r\nwor");
	assert_string_equal(g.text, "hello|");
	feed_str(&f, &g, "ld\n\nlast\rx\r");	/* a lone '\r' stays */
	assert_string_equal(g.text, "hello|world||");
	feed_str(&f, &g, "\n");			/* "\r" and "\n" apart */
	assert_string_equal(g.text, "hello|world||last\rx|");
	feed_str(&f, &g, "partial");
	assert_int_equal(g.count, 4);
	con_framer_flush(&f, collect, &g);
	assert_string_equal(g.text, "hello|world||last\rx|partial|");
	con_framer_flush(&f, collect, &g);	/* nothing left */
	assert_int_equal(g.count, 5);
}

/* Byte by byte gives the same lines as all at once. */
static void test_framer_bytewise(void **state)
{
	const char *s = "a\r\nbb\n\r\nccc\nd";
	struct con_framer f = { .len = 0 };
	struct got g = { .n = 0 };

	(void)state;
	for (size_t i = 0; s[i]; i++)
		con_framer_feed(&f, s + i, 1, collect, &g);
	con_framer_flush(&f, collect, &g);
	assert_string_equal(g.text, "a|bb||ccc|d|");
}

/* A long line leaves in CON_LINE_MAX pieces; a line of exactly
 * CON_LINE_MAX (with or without '\r') is one line. */
static void test_framer_long(void **state)
{
	static char buf[3 * CON_LINE_MAX];
	struct con_framer f = { .len = 0 };
	struct got g = { .n = 0 };

	(void)state;
	memset(buf, 'y', 2500);
	buf[2500] = '\n';
	con_framer_feed(&f, buf, 2501, collect, &g);
	assert_int_equal(g.count, 3);
	assert_int_equal(g.lens[0], CON_LINE_MAX);
	assert_int_equal(g.lens[1], CON_LINE_MAX);
	assert_int_equal(g.lens[2], 2500 - 2 * CON_LINE_MAX);

	memset(buf, 'z', CON_LINE_MAX);
	buf[CON_LINE_MAX] = '\n';
	con_framer_feed(&f, buf, CON_LINE_MAX + 1, collect, &g);
	assert_int_equal(g.count, 4);
	assert_int_equal(g.lens[3], CON_LINE_MAX);

	buf[CON_LINE_MAX - 1] = '\r';
	con_framer_feed(&f, buf, CON_LINE_MAX + 1, collect, &g);
	assert_int_equal(g.count, 5);
	assert_int_equal(g.lens[4], CON_LINE_MAX - 1);

	/* a long partial line: one piece now, the rest at flush */
	con_framer_feed(&f, buf, CON_LINE_MAX - 1, collect, &g);
	con_framer_feed(&f, "ab", 2, collect, &g);
	assert_int_equal(g.count, 6);
	assert_int_equal(g.lens[5], CON_LINE_MAX);
	con_framer_flush(&f, collect, &g);
	assert_int_equal(g.count, 7);
	assert_int_equal(g.lens[6], 1);
}

/* ---- the filter ---- */

static void test_filter(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(con_filter("hi\n", 3, out), 3);
	assert_string_equal(out, "hi\n");
	/* control bytes, DEL, high bytes, a NUL; '\n' and ' ' ~ kept */
	assert_int_equal(con_filter("a\tb\x1b[0m\x7f\xff\xc3\xa9 ~\0z", 15,
				    out), 9);
	assert_string_equal(out, "ab[0m ~z\n");
	assert_int_equal(con_filter("", 0, out), 1);
	assert_string_equal(out, "\n");
	assert_int_equal(con_filter("x\ny\r", 4, out), 4);
	assert_string_equal(out, "x\ny\n");
	/* a trailing '\n' followed by filtered bytes needs no second one */
	assert_int_equal(con_filter("x\n\x01\x02", 4, out), 2);
	assert_string_equal(out, "x\n");
}

/* ---- the datagram ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The RFC 1071 sum over @len bytes, written out plainly here. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s > 0xffff)
		s = (s >> 16) + (s & 0xffff);
	return (uint16_t)s;
}

static void check_datagram(const char *text, size_t len, uint16_t dom)
{
	static const uint8_t dst[6] = { 0x02, 0x58, 0x45, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0xaa, 0x00, 0x00, 0x00, 0x00, 0x10 };
	uint8_t f[CON_FRAME_MAX], pseudo[12];
	size_t pl = len > CON_LINE_MAX ? CON_LINE_MAX : len;
	size_t n = con_datagram(f, dst, src, dom, text, len);
	const uint8_t *ip = f + 14, *udp = f + 34;
	assert_int_equal(n, 14 + 20 + 8 + pl);
	assert_memory_equal(f, dst, 6);
	assert_memory_equal(f + 6, src, 6);
	assert_int_equal(rd16(f + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);			/* v4, 20 bytes */
	assert_int_equal(rd16(ip + 2), 20 + 8 + pl);	/* total length */
	assert_int_equal(rd16(ip + 6) & 0x3fff, 0);	/* no fragment */
	assert_int_equal(ip[8], 64);			/* TTL */
	assert_int_equal(ip[9], 17);			/* UDP */
	assert_memory_equal(ip + 12, "\xa9\xfe\xfe\xff", 4);
	assert_memory_equal(ip + 16, "\xa9\xfe\x01\x00", 4);
	/* the header sums to 0xffff with its checksum in */
	assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
	assert_int_not_equal(rd16(ip + 10), 0);

	assert_int_equal(rd16(udp), dom);
	assert_int_equal(rd16(udp + 2), 666);
	assert_int_equal(rd16(udp + 4), 8 + pl);
	assert_memory_equal(udp + 8, text, pl);
	/* UDP: recompute with the checksum field zeroed, over the pseudo
	 * header (src, dst, 0, 17, length) */
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = udp[4];
	pseudo[11] = udp[5];
	assert_int_not_equal(rd16(udp + 6), 0);		/* computed */
	assert_int_equal(fold(sum16(udp, 8 + pl, sum16(pseudo, 12, 0))),
			 0xffff);
}

static void test_datagram(void **state)
{
	static char big[2000];

	(void)state;
	check_datagram("hello from domain 3", 19, 3);
	check_datagram("odd", 3, 7);		/* odd length: a padded word */
	check_datagram("", 0, 254);
	memset(big, 'q', sizeof(big));
	check_datagram(big, sizeof(big), 65535);	/* cut to the max */
}

/* ---- the log ---- */

static char *tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/test_console.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static char *slurp(const char *dir, const char *file)
{
	static char buf[4096];
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* max 20 bytes, keep 3: lines "line N" (7 bytes with '\n'), two per
 * file; after 11 lines the files hold 10, 8-9, 6-7, 4-5, and 0-3 are
 * gone. */
static void test_log_rotation(void **state)
{
	char *dir = tmpdir(), sub[128], line[32];
	struct con_log *l;
	struct stat st;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b", dir);	/* made by open */
	l = con_log_open(sub, "dom", 20, 3);
	assert_non_null(l);
	for (int i = 0; i < 11; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		assert_int_equal(con_log_write(l, line, strlen(line)), 0);
	}
	assert_string_equal(slurp(sub, "dom.log"), "line 10\n");
	assert_string_equal(slurp(sub, "dom.log.1"), "line 8\nline 9\n");
	assert_string_equal(slurp(sub, "dom.log.2"), "line 6\nline 7\n");
	assert_string_equal(slurp(sub, "dom.log.3"), "line 4\nline 5\n");
	assert_null(slurp(sub, "dom.log.4"));
	strcat(sub, "/dom.log");
	assert_int_equal(stat(sub, &st), 0);
	sub[strlen(sub) - strlen("/dom.log")] = '\0';
	assert_int_equal(st.st_mode & 0777, 0640);
	con_log_close(l);

	/* reopening appends, and counts what is there toward the max */
	l = con_log_open(sub, "dom", 20, 3);
	assert_int_equal(con_log_write(l, "again", 5), 0);
	assert_string_equal(slurp(sub, "dom.log"), "line 10\nagain\n");
	assert_int_equal(con_log_write(l, "more", 4), 0);	/* 19: fits */
	assert_int_equal(con_log_write(l, "x", 1), 0);		/* 21: no */
	assert_string_equal(slurp(sub, "dom.log"), "x\n");
	assert_string_equal(slurp(sub, "dom.log.1"),
			    "line 10\nagain\nmore\n");
	assert_string_equal(slurp(sub, "dom.log.3"), "line 6\nline 7\n");
	con_log_close(l);
	con_log_close(NULL);

	errno = 0;
	assert_null(con_log_open(sub, "a/b", 20, 3));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(con_log_open(NULL, "dom", 20, 3));
	assert_int_equal(errno, EINVAL);
	rm_rf(dir);
}

/* keep 0: the log is cut, nothing kept; a line longer than max is
 * written whole, alone. */
static void test_log_keep0(void **state)
{
	char *dir = tmpdir();
	struct con_log *l = con_log_open(dir, "d", 10, 0);

	(void)state;
	assert_non_null(l);
	assert_int_equal(con_log_write(l, "0123456789abc", 13), 0);
	assert_string_equal(slurp(dir, "d.log"), "0123456789abc\n");
	assert_int_equal(con_log_write(l, "x", 1), 0);
	assert_string_equal(slurp(dir, "d.log"), "x\n");
	assert_null(slurp(dir, "d.log.1"));
	con_log_close(l);
	rm_rf(dir);
}

/* ---- the budget ---- */

static void test_rate(void **state)
{
	struct con_rate r;
	uint64_t t = 5 * SEC;
	int ok = 0;

	(void)state;
	con_rate_init(&r, 100, 10, t);
	for (int i = 0; i < 15; i++)
		ok += con_rate_take(&r, t);
	assert_int_equal(ok, 10);			/* the burst */
	assert_int_equal(r.dropped, 5);

	t += 10 * MS;					/* one token */
	assert_true(con_rate_take(&r, t));
	assert_false(con_rate_take(&r, t));

	/* many calls 1 us apart still earn the rate (no rounding away) */
	ok = 0;
	for (int i = 1; i <= 1000000; i++)
		ok += con_rate_take(&r, t + (uint64_t)i * 1000);
	assert_in_range(ok, 99, 101);			/* 1 s at 100/s */

	/* a long pause fills the bucket to the burst, no more */
	t += 3600 * SEC;
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += con_rate_take(&r, t);
	assert_int_equal(ok, 10);

	/* time going backwards earns nothing */
	assert_false(con_rate_take(&r, t - SEC));

	/* huge rates and a clock far away do not overflow */
	con_rate_init(&r, UINT32_MAX, UINT32_MAX, 0);
	assert_true(con_rate_take(&r, UINT64_MAX));
	con_rate_init(&r, 0, 1, 0);		/* no refill at rate 0 */
	assert_true(con_rate_take(&r, 0));
	assert_false(con_rate_take(&r, 100 * SEC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_empty),
		cmocka_unit_test(test_ring_drop_oldest),
		cmocka_unit_test(test_ring_wrap_exact),
		cmocka_unit_test(test_ring_read_short),
		cmocka_unit_test(test_ring_long_line),
		cmocka_unit_test(test_framer_lines),
		cmocka_unit_test(test_framer_bytewise),
		cmocka_unit_test(test_framer_long),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_datagram),
		cmocka_unit_test(test_log_rotation),
		cmocka_unit_test(test_log_keep0),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

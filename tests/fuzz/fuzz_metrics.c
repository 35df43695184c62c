// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_metrics.c - libFuzzer target over the metrics endpoint's parsers
 *
 * The input is what a client sends: metrics_parse() judges it, and every
 * prefix of it, on a private copy of exactly that many bytes (so ASan
 * sees any read past it). Its verdict must not depend on what follows
 * once a complete head is judged, an incomplete one must stay under the
 * size limit, and every verdict maps to a status. The same bytes, cut in
 * two at their first NUL-free split, are then a label value and a HELP
 * text for the Prometheus writer: its output must hold exactly the four
 * lines it writes, whatever quotes, backslashes or newlines they carry.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"
#include "promtext.h"

static enum metrics_req judge(const uint8_t *data, size_t n)
{
	char *copy = malloc(n ? n : 1);
	enum metrics_req r;

	CHECK(copy);
	memcpy(copy, data, n);
	r = metrics_parse(copy, n);
	free(copy);
	return r;
}

static void check_parse(const uint8_t *data, size_t size)
{
	enum metrics_req whole = judge(data, size);

	CHECK(whole >= METRICS_REQ_MORE && whole <= METRICS_REQ_TOO_BIG);
	CHECK((metrics_status(whole) == 0) == (whole == METRICS_REQ_MORE));
	if (whole == METRICS_REQ_MORE)
		CHECK(size < METRICS_REQ_MAX);
	/* a prefix is judged no later than the whole: once a verdict other
	 * than MORE is reached for a prefix with no NUL, more bytes after a
	 * complete head do not change it */
	for (size_t n = 0; n < size && n <= METRICS_REQ_MAX; n++) {
		enum metrics_req r = judge(data, n);

		if (r != METRICS_REQ_MORE && !memchr(data, 0, size) &&
		    r != METRICS_REQ_TOO_BIG) {
			CHECK(r == whole);
			break;
		}
	}
}

static void check_writer(const uint8_t *data, size_t size)
{
	size_t cut = size / 2, lines = 0;
	char *value = strndup((const char *)data, cut);
	char *help = strndup((const char *)data + cut, size - cut);
	struct prom p;

	CHECK(value && help);
	prom_init(&p);
	prom_family(&p, "xeno_fuzz_total", PROM_COUNTER, help);
	prom_u64(&p, &(struct prom_label){ "v", value }, 1, 1);
	prom_u64(&p, &(struct prom_label){ "w", help }, 1, 2);
	CHECK(prom_error(&p) == 0);
	for (size_t i = 0; i < p.len; i++)
		lines += p.buf[i] == '\n';
	CHECK(lines == 4);
	CHECK(strlen(p.buf) == p.len);
	prom_release(&p);
	free(value);
	free(help);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * METRICS_REQ_MAX)
		return 0;
	check_parse(data, size);
	check_writer(data, size);
	return 0;
}

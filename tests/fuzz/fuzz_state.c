// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_state.c - libFuzzer target over xend's state file parser
 *
 * The input is a state file's text. The parser must accept it, drop its
 * damaged records, or refuse it with a reason -- never crash, leak or
 * read out of bounds; every record it accepts must encode and parse back
 * to the same text (one codec), with the names xend generates.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "state.h"
#include "fuzz.h"

static void round_trip(const struct xend_domain *d)
{
	char err[CTL_ERROR_MAX], name[64];
	json_object *o = rec_state_json(d), *o2;
	struct xend_domain *back = rec_state_parse(o, err, sizeof(err));

	CHECK(back);
	o2 = rec_state_json(back);
	CHECK(!strcmp(json_object_to_json_string(o),
		      json_object_to_json_string(o2)));
	snprintf(name, sizeof(name), XEND_NETNS_PREFIX "%u", d->id);
	CHECK(!strcmp(d->nsname, name));
	CHECK(d->id >= 1 && d->id <= XEND_DOMS_MAX);
	CHECK(d->nvifs >= 1 && d->nvifs <= XEND_VIFS_MAX);
	json_object_put(o2);
	json_object_put(o);
	rec_domain_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct xend_state st;
	char why[CTL_ERROR_MAX];
	char *text = malloc(size + 1);

	if (!quiet) {
		xend_log_setup(false, XEND_LOG_ERR);
		quiet = true;
	}
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	why[0] = '\0';
	if (xend_state_parse(text, size, &st, why, sizeof(why))) {
		CHECK(why[0] && st.n == 0);
	} else {
		for (unsigned i = 0; i < st.n; i++)
			round_trip(st.doms[i]);
		xend_state_clear(&st);
	}
	free(text);
	return 0;
}

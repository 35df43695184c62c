// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_config.c - libFuzzer target over the domain config parser
 *
 * The input is split at the first NUL: before it, -D assignments as
 * xc_dom_create takes them ("a=1:b=2"); after it, the config file text.
 * The parser must either accept the file or fail with an error message
 * that names a position, never crash, leak or read out of bounds; an
 * accepted file must turn into a JSON request and list its variables.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t dlen = nul ? (size_t)(nul - data) : 0;
	const char *text = nul ? (const char *)nul + 1 : (const char *)data;
	size_t tlen = nul ? size - dlen - 1 : size;
	struct config_vars *vars = config_vars_new();
	struct config_var_list list;
	struct config_domain dom;
	char *defs, *copy, err[512];
	int ret;

	CHECK(vars);
	defs = strndup((const char *)data, dlen);
	copy = malloc(tlen + 1);
	CHECK(defs && copy);
	memcpy(copy, text, tlen);
	copy[tlen] = '\0';

	if (dlen)
		(void)config_vars_parse(vars, defs, err, sizeof(err));

	memset(&dom, 0, sizeof(dom));
	err[0] = '\0';
	ret = config_parse("fuzz", copy, tlen, vars, &dom, err, sizeof(err));
	if (ret == 0) {
		json_object *j = config_domain_to_json(&dom);

		CHECK(j);
		json_object_put(j);
	} else {
		CHECK(ret == -EINVAL || ret == -ENOMEM);
		CHECK(ret == -ENOMEM || strncmp(err, "fuzz:", 5) == 0);
	}
	config_domain_free(&dom);

	memset(&list, 0, sizeof(list));
	(void)config_list_vars("fuzz", copy, tlen, &list, err, sizeof(err));
	config_var_list_free(&list);

	config_vars_free(vars);
	free(copy);
	free(defs);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_scenario.c - libFuzzer target over the scenario parser (scenario.c)
 *
 * The input is the text of a scenario file. scn_parse() must accept it or
 * fail with one error line "fuzz:LINE: error: ..." naming a line the input
 * has, never crash, leak or read out of bounds; an accepted scenario must
 * hold what the parser promises (names valid and unique, counts in
 * bounds, the keys each port kind needs).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scenario.h"
#include "fuzz.h"

static void check_port(const struct scn *sc, unsigned i)
{
	const struct scn_port *p = &sc->ports[i];
	size_t n = strnlen(p->name, sizeof(p->name));
	unsigned j;

	CHECK(n > 0 && n < sizeof(p->name));
	CHECK(strnlen(p->in, sizeof(p->in)) < sizeof(p->in));
	CHECK(p->n4 <= VS_ADDRS_MAX && p->n6 <= VS_ADDRS_MAX);
	CHECK(p->line >= 1 && p->has_kind);
	CHECK(strcmp(scn_kind_name(p->kind), "?"));
	if (p->kind == VS_PORT_VIF)
		CHECK(p->has_dom && p->domid >= 1);
	if (p->kind == VS_PORT_WIRE)
		CHECK(!p->has_mac && !p->n4 && !p->n6);
	if (p->has_mac)
		CHECK(!(p->mac[0] & 1));
	for (j = 0; j < i; j++) {
		CHECK(strcmp(sc->ports[j].name, p->name));
		CHECK(sc->ports[j].line < p->line);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t lines = 1, i;
	char err[SCN_ERR_MAX];
	struct scn *sc;
	unsigned line;
	char *end;
	int ret;

	ret = scn_parse((const char *)data, size, "fuzz", "dir", &sc, err,
			sizeof(err));
	if (ret) {
		CHECK(ret == -EINVAL || ret == -ENOMEM);
		CHECK(!sc);
		CHECK(!strchr(err, '\n'));
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (!strncmp(err, "fuzz:", 5) && err[5] >= '1' &&
		    err[5] <= '9') {
			line = (unsigned)strtoul(err + 5, &end, 10);
			CHECK(!strncmp(end, ": error: ", 9));
			CHECK(line >= 1 && line <= lines);
		}
		else
			CHECK(!strncmp(err, "fuzz: error: ", 13));
		return 0;
	}
	CHECK(sc && sc->nports >= 1 && sc->nports <= VS_PORTS_MAX);
	CHECK(sc->niso <= VS_ISOLATED_MAX);
	for (i = 0; i < sc->niso; i++) {
		CHECK(sc->iso[i].family == AF_INET ||
		      sc->iso[i].family == AF_INET6);
		CHECK(sc->iso[i].plen <=
		      (sc->iso[i].family == AF_INET ? 32u : 128u));
	}
	for (i = 0; i < sc->nports; i++)
		check_port(sc, (unsigned)i);
	scn_free(sc);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz.h - what every libFuzzer target of tests/fuzz/ shares */
#ifndef XENO_FUZZ_H
#define XENO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* CHECK() - an invariant of the target: a violation is a finding. */
#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
				__LINE__, #c);				\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* XENO_FUZZ_H */

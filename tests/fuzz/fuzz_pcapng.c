// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_pcapng.c - libFuzzer target over the pcapng stream reader that
 * xc_dom_control vif_capture relays (pcapng_block_len(),
 * pcapng_isb_parse()) and the EPB writer
 *
 * Input: a byte stream cut into blocks as the client cuts it. Invariants:
 * - a block length is 0 (head not there), -1, or in [12,
 *   PCAPNG_BLOCK_MAX] and a multiple of 4;
 * - an ISB parse reads only its block and leaves a NUL-terminated comment
 *   within the buffer;
 * - an EPB written of any bytes of the input is a block that the reader
 *   measures at exactly its length, and whose data comes back unchanged.
 */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pcapng.h"

static void check_epb(const uint8_t *data, size_t size)
{
	static uint8_t blk[PCAPNG_BLOCK_MAX];
	struct pcapng_pkt p = {
		.data = data, .caplen = (uint32_t)size, .len = (uint32_t)size,
		.dir = (enum pcapng_dir)(size % 3),
		.comment = size % 2 ? "dropped: x\n" : NULL,
	};
	size_t n;

	if (size > 65535)
		return;
	n = pcapng_epb(blk, sizeof(blk), &p);
	CHECK(n >= 32 && n % 4 == 0);
	CHECK(pcapng_block_len(blk, n) == (long)n);
	CHECK(pcapng_block_type(blk) == PCAPNG_EPB);
	CHECK(!memcmp(blk + 28, data, size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char comment[32];
	size_t off = 0;
	long n;

	while ((n = pcapng_block_len(data + off, size - off)) > 0) {
		uint64_t drop = 0, deliv = 0;

		CHECK(n >= 12 && n <= PCAPNG_BLOCK_MAX && n % 4 == 0);
		if ((size_t)n > size - off)
			break;
		if (pcapng_block_type(data + off) == PCAPNG_ISB &&
		    !pcapng_isb_parse(data + off, (size_t)n, &drop, &deliv,
				      comment, sizeof(comment)))
			CHECK(memchr(comment, '\0', sizeof(comment)));
		off += (size_t)n;
	}
	CHECK(n >= -1);
	check_epb(data, size);
	return 0;
}

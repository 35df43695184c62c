// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_offload.c - libFuzzer target over vs_offload_csum() and
 * vs_offload_segment() (offload.c)
 *
 * Input: a 10-byte header, then the frame.
 *
 *   0     vnet flags
 *   1     gso_type
 *   2-3   gso_size      (little endian, as virtio sends it)
 *   4-5   csum_start
 *   6-7   csum_offset
 *   8-9   scratch size for segmentation
 *
 * Frame and scratch buffer are heap blocks of exactly their size, so ASan
 * sees any access past either. Beyond that the target checks that the
 * checksum either is refused with the frame untouched or verifies (for a
 * field at an even offset from csum_start), and that segmentation returns
 * one of its documented results, emitted as many segments as it says,
 * each from the scratch buffer and no longer than it, all but the last of
 * one length and the last no longer.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offload.h"
#include "fuzz.h"

#define IN_HDR	10

struct seen {
	const uint8_t *scratch;
	uint32_t cap;
	unsigned n;
	uint32_t first, prev;	/* segment lengths */
	int fail;		/* emit number that fails, or 0 */
};

static volatile uint8_t sink;

static int emit(void *arg, const uint8_t *seg, uint32_t len)
{
	struct seen *s = arg;
	uint32_t i;

	CHECK(seg == s->scratch && len >= 1 && len <= s->cap);
	/* every segment but the last is as long as the first; the
	 * previous one was not the last, so it is that long too */
	if (s->n)
		CHECK(s->prev == s->first && len <= s->first);
	else
		s->first = len;
	s->prev = len;
	for (i = 0; i < len; i++)
		sink ^= seg[i];
	return ++s->n == (unsigned)s->fail ? -ECANCELED : 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Ones'-complement sum of @len bytes at @p, folded, from @sum. */
static uint16_t sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)sum;
}

static void run_csum(const uint8_t *frame, uint32_t len,
		     const struct vs_vnet_hdr *h)
{
	uint8_t *f = malloc(len ? len : 1);
	uint32_t start = h->csum_start, at = start + h->csum_offset;
	uint16_t old = 0;
	int ret;

	CHECK(f);
	memcpy(f, frame, len);
	if (at + 2 <= len)
		old = (uint16_t)(frame[at] << 8 | frame[at + 1]);
	ret = vs_offload_csum(f, len, h);
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		CHECK(ret == 0 && !memcmp(f, frame, len));
	} else if (at + 2 > len) {
		CHECK(ret == -EINVAL && !memcmp(f, frame, len));
	} else {
		CHECK(ret == 0);
		/* with the pseudo-header sum it replaced, the data verifies */
		if (!(h->csum_offset & 1))
			CHECK(sum16(f + start, len - start, old) == 0xffff);
	}
	free(f);
}

static void run_segment(const uint8_t *frame, uint32_t len,
			const struct vs_vnet_hdr *h, uint32_t cap, int fail)
{
	uint8_t *f = malloc(len ? len : 1);
	uint8_t *scratch = malloc(cap ? cap : 1);
	struct seen s = { .scratch = scratch, .cap = cap, .fail = fail };
	int ret;

	CHECK(f && scratch);
	memcpy(f, frame, len);
	ret = vs_offload_segment(f, len, h, scratch, cap, emit, &s);
	CHECK(ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ECANCELED ||
	      ret >= 1);
	if (ret == -ECANCELED)
		CHECK(s.n == (unsigned)fail);
	else if (ret < 0)
		CHECK(s.n == 0);
	else
		CHECK(s.n == (unsigned)ret && (!fail || s.n < (unsigned)fail));
	CHECK(!memcmp(f, frame, len));	/* the frame is only read */
	free(scratch);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_vnet_hdr h;
	uint32_t len, cap;

	if (size < IN_HDR || size - IN_HDR > UINT32_MAX)
		return 0;
	h = (struct vs_vnet_hdr){
		.flags = data[0],
		.gso_type = data[1],
		.gso_size = le16(data + 2),
		.csum_start = le16(data + 4),
		.csum_offset = le16(data + 6),
	};
	cap = le16(data + 8);
	len = (uint32_t)(size - IN_HDR);

	run_csum(data + IN_HDR, len, &h);
	run_segment(data + IN_HDR, len, &h, cap, 0);
	/* stop at the second segment, from a bit of the input */
	if (data[0] & 0x80)
		run_segment(data + IN_HDR, len, &h, cap, 2);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_virtq.c - libFuzzer target over the split virtqueue (virtq.h)
 *
 * The input lays out a guest: an 8-byte header, then the bytes of guest
 * memory region 0 (descriptor table, avail ring, used ring, buffers and
 * indirect tables, in that order), the rest going to region 1:
 *
 *   [0]    log2 of the queue size (mod 9: 1..256)
 *   [1]    features: bit 0 INDIRECT_DESC, 1 EVENT_IDX, 2 MRG_RXBUF,
 *          3 VERSION_1, 4 dirty log on, 5 receive (else transmit),
 *          6 descriptor addresses taken modulo the guest's span (so most
 *          land in or near memory), 7 receive a burst at a time
 *          (virtq_rx_put_burst(), with bit 5)
 *   [2..3] last_avail_idx (little endian)
 *   [4]    segments the caller accepts per transmit chain (1..64); for a
 *          burst, bit 0: the frame in two pieces (a tail after 128 bytes)
 *   [5..6] receive: frame length
 *   [7]    flush every N chains (1..16); for a burst, frames a call
 *          (1..VIRTQ_BURST_MAX)
 *
 * Both regions are separate allocations of exactly their size, so ASan
 * sees any access outside guest memory. The target also checks that every
 * segment handed out lies inside a region, that it reads each of its
 * bytes, and that the queue never takes more chains than the ring size
 * (the avail ring is not changed while it runs): always terminates.
 */

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"
#include "fuzz.h"

#define HDR		8
#define R0_SIZE		16384
#define R1_SIZE		8192
#define GPA0		0x0ULL
#define GPA1		0x10000ULL
#define QVA0		0x7f0000000000ULL
#define QVA1		0x7f0000100000ULL
#define SPAN		(GPA1 + R1_SIZE + 64)
#define LOG_SIZE	((GPA1 + R1_SIZE) / VIRTQ_LOG_PAGE / 8)

static uint8_t *r0, *r1;

static bool inside(const uint8_t *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;

	return (a >= (uintptr_t)r0 && a - (uintptr_t)r0 <= R0_SIZE &&
		len <= R0_SIZE - (a - (uintptr_t)r0)) ||
	       (a >= (uintptr_t)r1 && a - (uintptr_t)r1 <= R1_SIZE &&
		len <= R1_SIZE - (a - (uintptr_t)r1));
}

/* Ring layout in region 0 for a queue of @qs entries; returns the end. */
static size_t layout(unsigned qs, size_t *avail, size_t *used)
{
	*avail = VIRTQ_DESC_BYTES(qs);
	*used = (*avail + VIRTQ_AVAIL_BYTES(qs) + 3) & ~(size_t)3;
	return *used + VIRTQ_USED_BYTES(qs);
}

/* Bring descriptor addresses near guest memory (feature bit 6). */
static void fold_addrs(unsigned qs)
{
	struct virtq_desc *d = (struct virtq_desc *)(void *)r0;
	unsigned i;

	for (i = 0; i < qs; i++)
		d[i].addr = htole64(le64toh(d[i].addr) % SPAN);
}

static void run_tx(struct virtq *vq, unsigned max, unsigned every)
{
	struct virtq_iov iov[64];
	struct vs_vnet_hdr h;
	unsigned taken = 0;
	uint8_t sink = 0;
	uint16_t head;
	uint32_t len;
	int n;

	while ((n = virtq_pop(vq, iov, max, &head, &len)) >= 0) {
		CHECK(++taken <= vq->size);
		CHECK((unsigned)n <= max);
		CHECK(len <= VIRTQ_CHAIN_MAX);
		for (int i = 0; i < n; i++) {
			CHECK(iov[i].len && inside(iov[i].base, iov[i].len));
			for (uint32_t k = 0; k < iov[i].len; k++)
				sink ^= iov[i].base[k];
		}
		if (virtq_vnet_hdr_read(vq, iov, (unsigned)n, &h) >= 0)
			sink ^= h.flags;
		CHECK(virtq_push(vq, head, 0) == 0);
		if (taken % every == 0)
			(void)virtq_flush(vq);
	}
	(void)virtq_flush(vq);
	CHECK(n == -ENOENT || n == virtq_broken(vq));
	__asm__ volatile("" : : "r"(sink));
}

static void run_rx(struct virtq *vq, unsigned flen, unsigned every)
{
	static uint8_t buf[65536];
	struct vs_frame f = { .data = buf, .len = flen, .cap = flen };
	unsigned taken = 0, rounds = 0;
	int n;

	memset(buf, 0xa5, flen);
	while ((n = virtq_rx_put(vq, &f)) > 0) {
		taken += (unsigned)n;
		CHECK(taken <= vq->size);
		if (++rounds % every == 0)
			(void)virtq_flush(vq);
	}
	(void)virtq_flush(vq);
	CHECK(n == -ENOBUFS || n == -EMSGSIZE || n == virtq_broken(vq));
}

/* The same through virtq_rx_put_burst(), @burst frames a call, the frame
 * in two pieces (a tail) when @split. */
static void run_rx_burst(struct virtq *vq, unsigned flen, unsigned burst,
			 bool split)
{
	static uint8_t buf[65536];
	const struct vs_frame *fs[VIRTQ_BURST_MAX];
	struct vs_frame f = { .data = buf, .len = flen, .cap = flen };
	unsigned taken = 0, i;
	int n, err;

	if (split && flen > 128) {
		f.tail = buf + 128;
		f.tail_len = flen - 128;
	}
	memset(buf, 0x5a, flen);
	for (i = 0; i < burst; i++)
		fs[i] = &f;
	do {
		n = virtq_rx_put_burst(vq, fs, burst, &err);
		CHECK(n >= 0 && (unsigned)n <= burst);
		taken += (unsigned)n;
		CHECK(taken <= vq->size);
		(void)virtq_flush(vq);
	} while ((unsigned)n == burst && !err);
	CHECK(err == 0 || err == -ENOBUFS || err == -EMSGSIZE ||
	      err == virtq_broken(vq));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t log[LOG_SIZE];
	struct virtq_config cfg = { 0 };
	struct virtq_mem mem = { .n = 0 };
	size_t avail, used, k;
	struct virtq vq;
	uint8_t feat;

	if (size < HDR)
		return 0;
	r0 = calloc(1, R0_SIZE);
	r1 = calloc(1, R1_SIZE);
	CHECK(r0 && r1);
	k = size - HDR < R0_SIZE ? size - HDR : R0_SIZE;
	memcpy(r0, data + HDR, k);
	if (size - HDR > k)
		memcpy(r1, data + HDR + k,
		       size - HDR - k < R1_SIZE ? size - HDR - k : R1_SIZE);
	CHECK(virtq_mem_add(&mem, GPA0, R0_SIZE, QVA0, r0) == 0);
	CHECK(virtq_mem_add(&mem, GPA1, R1_SIZE, QVA1, r1) == 0);

	feat = data[1];
	cfg.size = 1u << (data[0] % 9);
	cfg.features = (feat & 1 ? VIRTQ_FEAT(VIRTQ_F_INDIRECT_DESC) : 0) |
		       (feat & 2 ? VIRTQ_FEAT(VIRTQ_F_EVENT_IDX) : 0) |
		       (feat & 4 ? VIRTQ_FEAT(VIRTQ_F_MRG_RXBUF) : 0) |
		       (feat & 8 ? VIRTQ_FEAT(VIRTQ_F_VERSION_1) : 0);
	layout(cfg.size, &avail, &used);
	cfg.desc_qva = QVA0;
	cfg.avail_qva = QVA0 + avail;
	cfg.used_qva = QVA0 + used;
	cfg.log_used = GPA0 + used;
	cfg.last_avail_idx = (uint16_t)(data[2] | data[3] << 8);
	if (feat & 16) {
		memset(log, 0, sizeof(log));
		cfg.log = log;
		cfg.log_size = sizeof(log);
	}
	if (feat & 64)
		fold_addrs(cfg.size);

	CHECK(virtq_init(&vq, &mem, &cfg) == 0);
	if ((feat & 32) && (feat & 128))
		run_rx_burst(&vq, (unsigned)(data[5] | data[6] << 8),
			     data[7] % VIRTQ_BURST_MAX + 1u, data[4] & 1);
	else if (feat & 32)
		run_rx(&vq, (unsigned)(data[5] | data[6] << 8), data[7] % 16 + 1u);
	else
		run_tx(&vq, data[4] % 64 + 1u, data[7] % 16 + 1u);

	free(r0);
	free(r1);
	return 0;
}

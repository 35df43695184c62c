// SPDX-License-Identifier: GPL-2.0-or-later
/* test_virtq.c - the split virtqueue (virtq.h) against a fake guest: rings
 * laid out in a malloc'd "guest memory" of two regions, and a small driver
 * that adds buffers the way a guest does. Transmit and receive chains,
 * indirect tables, 16-bit index wrap-around, interrupt suppression,
 * mergeable receive buffers, the dirty log, and every hostile ring, each
 * beside the positive control it breaks.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

/* Guest memory: one buffer, two regions of HALF bytes each, at distant
 * guest-physical and QEMU virtual addresses. */
#define MEM_SIZE	(1024 * 1024)
#define HALF		(MEM_SIZE / 2)
#define GPA0		0x100000ULL
#define GPA1		0x40000000ULL
#define QVA0		0x7f0000000000ULL
#define QVA1		0x7f1000000000ULL
#define DESC_OFF	0x0000
#define AVAIL_OFF	0x1000
#define USED_OFF	0x2000
#define HEAP_OFF	0x3000
#define LOG_BYTES	((GPA1 + HALF) / VIRTQ_LOG_PAGE / 8)
#define F(bit)		VIRTQ_FEAT(VIRTQ_F_##bit)

static struct guest {
	uint8_t *mem;
	struct virtq_mem map;
	struct virtq vq;
	struct virtq_config cfg;
	unsigned size;
	uint16_t aidx;			/* the driver's avail->idx */
	unsigned next_desc;		/* next free descriptor */
	size_t heap;			/* next free byte for buffers, tables */
	uint8_t *log;
} g;

static uint64_t gpa(size_t off)
{
	return off < HALF ? GPA0 + off : GPA1 + (off - HALF);
}

static struct virtq_desc *desc_table(void)
{
	return (struct virtq_desc *)(void *)(g.mem + DESC_OFF);
}

static struct virtq_avail *avail(void)
{
	return (struct virtq_avail *)(void *)(g.mem + AVAIL_OFF);
}

static struct virtq_used *used(void)
{
	return (struct virtq_used *)(void *)(g.mem + USED_OFF);
}

static size_t balloc(size_t len)
{
	size_t off = g.heap;

	g.heap += (len + 15) & ~(size_t)15;
	assert_true(g.heap <= HALF);
	return off;
}

static void set_desc(struct virtq_desc *t, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	t[i].addr = htole64(addr);
	t[i].len = htole32(len);
	t[i].flags = htole16(flags);
	t[i].next = htole16(next);
}

static void avail_add(uint16_t head)
{
	avail()->ring[g.aidx & (g.size - 1)] = htole16(head);
	g.aidx++;
	__atomic_store_n(&avail()->idx, htole16(g.aidx), __ATOMIC_RELEASE);
}

static uint16_t used_idx(void)
{
	return le16toh(__atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE));
}

static struct virtq_used_elem used_elem(uint16_t idx)
{
	struct virtq_used_elem e = used()->ring[idx & (g.size - 1)];

	e.id = le32toh(e.id);
	e.len = le32toh(e.len);
	return e;
}

/* Start a queue of @size with @features, both indexes at @base. */
static void start(unsigned size, uint64_t features, uint16_t base)
{
	memset(g.mem, 0, MEM_SIZE);
	g.size = size;
	g.aidx = base;
	g.next_desc = 0;
	g.heap = HEAP_OFF;
	avail()->idx = htole16(base);
	used()->idx = htole16(base);
	g.cfg = (struct virtq_config){
		.size = size, .features = features,
		.desc_qva = QVA0 + DESC_OFF, .avail_qva = QVA0 + AVAIL_OFF,
		.used_qva = QVA0 + USED_OFF, .log_used = GPA0 + USED_OFF,
		.last_avail_idx = base,
	};
	assert_int_equal(virtq_init(&g.vq, &g.map, &g.cfg), 0);
}

/* Add a chain of @n buffers of @lens[] (WRITE for a receive chain),
 * descriptors taken in turn; offsets of the buffers to @offs. */
static uint16_t add_chain(const size_t *lens, unsigned n, uint16_t flags,
			  size_t *offs)
{
	uint16_t head = (uint16_t)g.next_desc;
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned d = (g.next_desc + i) % g.size;
		size_t off = balloc(lens[i]);

		if (offs)
			offs[i] = off;
		set_desc(desc_table(), d, gpa(off), (uint32_t)lens[i],
			 (uint16_t)(flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			 (uint16_t)((d + 1) % g.size));
	}
	g.next_desc = (g.next_desc + n) % g.size;
	avail_add(head);
	return head;
}

/* A transmit chain holding @data split in @n pieces of @lens[]. */
static uint16_t add_tx(const uint8_t *data, const size_t *lens, unsigned n)
{
	size_t offs[16];
	uint16_t head;
	unsigned i;

	assert_true(n <= 16);
	head = add_chain(lens, n, 0, offs);

	for (i = 0; i < n; i++) {
		memcpy(g.mem + offs[i], data, lens[i]);
		data += lens[i];
	}
	return head;
}

static int setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	g.mem = aligned_alloc(4096, MEM_SIZE);
	g.log = calloc(1, LOG_BYTES);
	if (!g.mem || !g.log)
		return -1;
	if (virtq_mem_add(&g.map, GPA0, HALF, QVA0, g.mem) ||
	    virtq_mem_add(&g.map, GPA1, HALF, QVA1, g.mem + HALF))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(g.mem);
	free(g.log);
	return 0;
}

/* A frame with a GSO header: 12 header bytes, then @len payload bytes. */
static uint8_t frame[VIRTQ_CHAIN_MAX];

static size_t make_frame(size_t len)
{
	static const uint8_t hdr[VIRTQ_HDR_MRG_LEN] = {
		1, 4, 54, 0, 0xa8, 0x05, 34, 0, 16, 0, 0, 0,
	};
	size_t i;

	memcpy(frame, hdr, sizeof(hdr));
	for (i = 0; i < len; i++)
		frame[VIRTQ_HDR_MRG_LEN + i] = (uint8_t)(i * 7 + 1);
	return VIRTQ_HDR_MRG_LEN + len;
}

static void expect_gso_hdr(const struct vs_vnet_hdr *h)
{
	assert_int_equal(h->flags, 1);
	assert_int_equal(h->gso_type, 4);
	assert_int_equal(h->hdr_len, 54);
	assert_int_equal(h->gso_size, 1448);
	assert_int_equal(h->csum_start, 34);
	assert_int_equal(h->csum_offset, 16);
}

/* Memory map --------------------------------------------------------------*/

static void test_translate(void **state)
{
	struct virtq_mem m = { .n = 0 };

	(void)state;
	assert_ptr_equal(virtq_gpa_to_host(&g.map, GPA0, HALF), g.mem);
	assert_ptr_equal(virtq_gpa_to_host(&g.map, GPA0 + HALF - 4, 4),
			 g.mem + HALF - 4);
	assert_null(virtq_gpa_to_host(&g.map, GPA0 + HALF - 4, 5));
	assert_null(virtq_gpa_to_host(&g.map, GPA0 + HALF, 0));
	assert_null(virtq_gpa_to_host(&g.map, GPA0 - 1, 2));
	assert_null(virtq_gpa_to_host(&g.map, GPA0 + 8, UINT64_MAX));
	assert_null(virtq_gpa_to_host(&g.map, UINT64_MAX, 2));
	assert_ptr_equal(virtq_gpa_to_host(&g.map, GPA1 + 16, 16),
			 g.mem + HALF + 16);
	assert_ptr_equal(virtq_qva_to_host(&g.map, QVA1 + 16, 16),
			 g.mem + HALF + 16);
	assert_null(virtq_qva_to_host(&g.map, GPA1 + 16, 16));
	assert_null(virtq_gpa_to_host(&g.map, QVA1 + 16, 16));

	assert_int_equal(virtq_mem_add(&m, 0, 0, 0, g.mem), -EINVAL);
	assert_int_equal(virtq_mem_add(&m, UINT64_MAX - 10, 12, 0, g.mem),
			 -EINVAL);
	assert_int_equal(virtq_mem_add(&m, 0, 12, UINT64_MAX, g.mem), -EINVAL);
	assert_int_equal(virtq_mem_add(&m, UINT64_MAX - 11, 12, 0, g.mem), 0);
	for (unsigned i = 1; i < VIRTQ_REGIONS_MAX; i++)
		assert_int_equal(virtq_mem_add(&m, i << 20, 16, 0, g.mem), 0);
	assert_int_equal(virtq_mem_add(&m, 0, 16, 0, g.mem), -ENOSPC);
}

static void test_init_checks(void **state)
{
	struct virtq_config c;

	(void)state;
	start(16, 0, 0);
	c = g.cfg;
	c.size = 24;
	assert_int_equal(virtq_init(&g.vq, &g.map, &c), -EINVAL);
	assert_int_equal(virtq_broken(&g.vq), -EINVAL);
	c.size = 0;
	assert_int_equal(virtq_init(&g.vq, &g.map, &c), -EINVAL);
	c.size = 65536;
	assert_int_equal(virtq_init(&g.vq, &g.map, &c), -EINVAL);
	c = g.cfg;
	c.desc_qva += 8;			/* misaligned */
	assert_int_equal(virtq_init(&g.vq, &g.map, &c), -EINVAL);
	c = g.cfg;
	c.used_qva = QVA0 + HALF - 8;		/* runs out of the region */
	assert_int_equal(virtq_init(&g.vq, &g.map, &c), -EINVAL);
	c = g.cfg;
	c.avail_qva = GPA0 + AVAIL_OFF;		/* a GPA is not a QVA */
	assert_int_equal(virtq_init(&g.vq, &g.map, &c), -EINVAL);
	assert_int_equal(virtq_init(&g.vq, &g.map, &g.cfg), 0);	/* control */
	assert_int_equal(virtq_broken(&g.vq), 0);
}

/* Transmit ----------------------------------------------------------------*/

static void test_tx_simple(void **state)
{
	struct virtq_iov iov[8];
	struct vs_vnet_hdr h;
	size_t len = make_frame(60);
	uint8_t out[128];
	uint16_t head;
	uint32_t total;

	(void)state;
	start(16, F(VERSION_1), 0);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), -ENOENT);
	assert_false(virtq_pending(&g.vq));
	add_tx(frame, &len, 1);
	assert_true(virtq_pending(&g.vq));
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), 1);
	assert_int_equal(head, 0);
	assert_int_equal(total, len);
	assert_int_equal(virtq_vnet_hdr_read(&g.vq, iov, 1, &h), 12);
	expect_gso_hdr(&h);
	assert_int_equal(virtq_iov_copy(iov, 1, 12, out, sizeof(out)), 60);
	assert_memory_equal(out, frame + 12, 60);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), -ENOENT);

	assert_int_equal(virtq_push(&g.vq, head, 0), 0);
	assert_int_equal(used_idx(), 0);		/* not before the flush */
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 1);
	assert_int_equal(used_elem(0).id, 0);
	assert_int_equal(used_elem(0).len, 0);
	assert_false(virtq_flush(&g.vq));		/* nothing new */
}

static void test_tx_split_header(void **state)
{
	size_t lens[3] = { 5, 20, 0 };
	struct virtq_iov iov[8];
	struct vs_vnet_hdr h;
	uint8_t out[128];
	uint16_t head;
	uint32_t total;
	size_t len = make_frame(80);

	(void)state;
	lens[2] = len - 25;
	start(16, F(VERSION_1), 0);
	add_tx(frame, lens, 3);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), 3);
	assert_int_equal(total, len);
	assert_int_equal(virtq_vnet_hdr_read(&g.vq, iov, 3, &h), 12);
	expect_gso_hdr(&h);
	assert_int_equal(virtq_iov_copy(iov, 3, 12, out, sizeof(out)), 80);
	assert_memory_equal(out, frame + 12, 80);

	/* Legacy without MRG_RXBUF: a 10-byte header. */
	start(16, 0, 0);
	add_tx(frame, lens, 3);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), 3);
	assert_int_equal(virtq_vnet_hdr_read(&g.vq, iov, 3, &h), 10);
	expect_gso_hdr(&h);

	/* A chain shorter than the header: a bad frame, not a bad ring. */
	lens[0] = 11;
	start(16, F(VERSION_1), 0);
	add_tx(frame, lens, 1);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), 1);
	assert_int_equal(virtq_vnet_hdr_read(&g.vq, iov, 1, &h), -EBADMSG);
	assert_int_equal(virtq_broken(&g.vq), 0);
}

/* An indirect head at descriptor 0 over a table of @n entries of @lens,
 * holding the frame. Returns the table's offset. */
static size_t add_indirect(const size_t *lens, unsigned n)
{
	size_t toff = balloc(n * sizeof(struct virtq_desc));
	struct virtq_desc *t = (struct virtq_desc *)(void *)(g.mem + toff);
	const uint8_t *data = frame;
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t off = balloc(lens[i]);

		memcpy(g.mem + off, data, lens[i]);
		data += lens[i];
		set_desc(t, i, gpa(off), (uint32_t)lens[i],
			 i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	}
	set_desc(desc_table(), 0, gpa(toff),
		 (uint32_t)(n * sizeof(struct virtq_desc)),
		 VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(0);
	return toff;
}

static void test_tx_indirect(void **state)
{
	size_t lens[3] = { 7, 30, 0 };
	struct virtq_iov iov[8];
	struct vs_vnet_hdr h;
	uint8_t out[256];
	uint16_t head;
	uint32_t total;
	size_t len = make_frame(100);

	(void)state;
	lens[2] = len - 37;
	start(16, F(VERSION_1) | F(INDIRECT_DESC), 0);
	add_indirect(lens, 3);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), 3);
	assert_int_equal(head, 0);
	assert_int_equal(total, len);
	assert_int_equal(virtq_vnet_hdr_read(&g.vq, iov, 3, &h), 12);
	expect_gso_hdr(&h);
	assert_int_equal(virtq_iov_copy(iov, 3, 12, out, sizeof(out)), 100);
	assert_memory_equal(out, frame + 12, 100);

	/* The same ring without the feature negotiated. */
	start(16, F(VERSION_1), 0);
	add_indirect(lens, 3);
	assert_int_equal(virtq_pop(&g.vq, iov, 8, &head, &total), -EINVAL);
	assert_int_equal(virtq_broken(&g.vq), -EINVAL);
}

/* Indexes near 65535 wrap to 0 on both rings. */
static void test_wraparound(void **state)
{
	struct virtq_iov iov[4];
	size_t len = make_frame(20);
	uint16_t head, heads[6];
	uint32_t total;
	unsigned i;

	(void)state;
	start(4, F(VERSION_1), 65533);
	for (unsigned round = 0; round < 3; round++) {
		for (i = 0; i < 2; i++)
			heads[i] = add_tx(frame, &len, 1);
		for (i = 0; i < 2; i++) {
			assert_int_equal(virtq_pop(&g.vq, iov, 4, &head, &total), 1);
			assert_int_equal(head, heads[i]);
			assert_int_equal(virtq_push(&g.vq, head, 0), 0);
		}
		assert_int_equal(virtq_pop(&g.vq, iov, 4, &head, &total), -ENOENT);
		assert_true(virtq_flush(&g.vq));
		assert_int_equal(used_idx(), (uint16_t)(65533 + 2 * (round + 1)));
		assert_int_equal(used_elem((uint16_t)(used_idx() - 1)).id, heads[1]);
	}
	assert_int_equal(used_idx(), 3);
	assert_int_equal(g.vq.last_avail_idx, 3);
	assert_int_equal(virtq_broken(&g.vq), 0);
}

/* Notifications -----------------------------------------------------------*/

static uint16_t *used_event(void)
{
	return &avail()->ring[g.size];
}

static uint16_t avail_event(void)
{
	uint16_t v;

	memcpy(&v, &used()->ring[g.size], sizeof(v));
	return le16toh(v);
}

static void tx_round(unsigned n)
{
	struct virtq_iov iov[4];
	size_t len = make_frame(20);
	uint16_t head;
	uint32_t total;

	for (unsigned i = 0; i < n; i++)
		add_tx(frame, &len, 1);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(virtq_pop(&g.vq, iov, 4, &head, &total), 1);
		assert_int_equal(virtq_push(&g.vq, head, 0), 0);
	}
}

static void test_event_idx(void **state)
{
	(void)state;
	start(16, F(VERSION_1) | F(EVENT_IDX), 0);
	/* The guest wants an interrupt once used->idx passes 2. */
	*used_event() = htole16(2);
	tx_round(2);			/* 0 -> 2: entry 2 not yet used */
	assert_false(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 2);
	assert_int_equal(avail_event(), 2);
	tx_round(1);			/* 2 -> 3: entry 2 used */
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(avail_event(), 3);
	tx_round(2);			/* 3 -> 5, event 2 already passed */
	assert_false(virtq_flush(&g.vq));
	*used_event() = htole16(6);
	tx_round(3);			/* 5 -> 8 steps over 6 */
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 8);

	/* EVENT_IDX ignores the flags; without it they count. */
	avail()->flags = htole16(VIRTQ_AVAIL_F_NO_INTERRUPT);
	*used_event() = htole16(8);
	tx_round(1);
	assert_true(virtq_flush(&g.vq));

	start(16, F(VERSION_1), 0);
	avail()->flags = htole16(VIRTQ_AVAIL_F_NO_INTERRUPT);
	tx_round(1);
	assert_false(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 1);
	avail()->flags = 0;
	tx_round(1);
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 2);
}

/* Receive -----------------------------------------------------------------*/

static struct vs_frame rx_frame(size_t len)
{
	struct vs_frame f = { .data = frame + VIRTQ_HDR_MRG_LEN,
			      .len = (uint32_t)len, .cap = (uint32_t)len };

	make_frame(len);
	f.vnet = (struct vs_vnet_hdr){ .flags = 1, .gso_type = 4,
		.hdr_len = 54, .gso_size = 1448, .csum_start = 34,
		.csum_offset = 16 };
	return f;
}

static void test_rx_mergeable(void **state)
{
	struct vs_frame f = rx_frame(250);
	size_t len = 100, offs[4], i;
	uint8_t out[400];
	struct vs_vnet_hdr h;
	struct virtq_iov iov;

	(void)state;
	start(16, F(VERSION_1) | F(MRG_RXBUF), 0);
	for (i = 0; i < 4; i++)
		add_chain(&len, 1, VIRTQ_DESC_F_WRITE, &offs[i]);
	assert_int_equal(virtq_rx_put(&g.vq, &f), 3);
	assert_int_equal(used_idx(), 0);
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(used_elem((uint16_t)i).id, i);
		assert_int_equal(used_elem((uint16_t)i).len, i < 2 ? 100 : 62);
		memcpy(out + 100 * i, g.mem + offs[i], 100);
	}
	iov = (struct virtq_iov){ .base = out, .len = 262 };
	assert_int_equal(virtq_vnet_hdr_read(&g.vq, &iov, 1, &h), 12);
	expect_gso_hdr(&h);
	assert_int_equal(le16toh(*(uint16_t *)(void *)(out + 10)), 3);
	assert_memory_equal(out + 12, f.data, 250);
	assert_true(virtq_pending(&g.vq));	/* the 4th buffer is left */

	/* Not enough buffers for the next one: nothing is consumed. */
	assert_int_equal(virtq_rx_put(&g.vq, &f), -ENOBUFS);
	assert_int_equal(g.vq.last_avail_idx, 3);
	add_chain(&len, 1, VIRTQ_DESC_F_WRITE, NULL);
	add_chain(&len, 1, VIRTQ_DESC_F_WRITE, NULL);
	assert_int_equal(virtq_rx_put(&g.vq, &f), 3);
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 6);
	assert_int_equal(used_elem(3).id, 3);
}

static void test_rx_no_mergeable(void **state)
{
	struct vs_frame big = rx_frame(100), small;
	size_t lens[2] = { 4, 100 }, offs[2];
	uint8_t out[112];

	(void)state;
	/* Legacy: a 10-byte header, num_buffers absent. A 2-part chain of
	 * 104 bytes is too small for 110 bytes: dropped, buffer kept. */
	start(16, 0, 0);
	add_chain(lens, 2, VIRTQ_DESC_F_WRITE, offs);
	assert_int_equal(virtq_rx_put(&g.vq, &big), -EMSGSIZE);
	assert_int_equal(virtq_broken(&g.vq), 0);
	assert_true(virtq_pending(&g.vq));
	assert_false(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 0);

	/* Control: 94 bytes fit exactly, the header split 4 + 6. */
	small = rx_frame(94);
	assert_int_equal(virtq_rx_put(&g.vq, &small), 1);
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_elem(0).len, 104);
	memcpy(out, g.mem + offs[0], 4);
	memcpy(out + 4, g.mem + offs[1], 100);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 4);
	assert_int_equal(le16toh(*(uint16_t *)(void *)(out + 4)), 1448);
	assert_memory_equal(out + 10, small.data, 94);

	/* VERSION_1 without MRG_RXBUF: 12 bytes, num_buffers = 1. */
	start(16, F(VERSION_1), 0);
	lens[1] = 200;
	add_chain(lens, 2, VIRTQ_DESC_F_WRITE, offs);
	assert_int_equal(virtq_rx_put(&g.vq, &big), 1);
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_elem(0).len, 112);
	assert_int_equal(le16toh(*(uint16_t *)(void *)(g.mem + offs[1] + 6)), 1);
	assert_memory_equal(g.mem + offs[1] + 8, big.data, 100);

	/* Nothing available at all. */
	assert_int_equal(virtq_rx_put(&g.vq, &big), -ENOBUFS);
	assert_int_equal(virtq_broken(&g.vq), 0);
}

/* A burst: frames of 30, 250 (over 3 mergeable buffers) and 30 bytes, then
 * one more than the buffers hold; and a frame needing more segments than
 * a burst defers (copied at once), all landing whole and in order. */
static void test_rx_burst(void **state)
{
	static uint8_t data[3][300];
	struct vs_frame f[5];
	const struct vs_frame *fp[5];
	size_t len = 100, offs[16], i, k;
	uint8_t out[1600];
	int err = 1;

	(void)state;
	start(32, F(VERSION_1) | F(MRG_RXBUF), 0);
	for (i = 0; i < 5; i++) {
		f[i] = rx_frame(i == 1 ? 250 : 30);
		f[i].data = data[i % 3];
		memset(data[i % 3], (int)('a' + i % 3), sizeof(data[0]));
		fp[i] = &f[i];
	}
	for (i = 0; i < 5; i++)
		add_chain(&len, 1, VIRTQ_DESC_F_WRITE, &offs[i]);
	/* 30 -> 1 buffer, 250 -> 3, 30 -> 1: the 4th frame finds none */
	assert_int_equal(virtq_rx_put_burst(&g.vq, fp, 4, &err), 3);
	assert_int_equal(err, -ENOBUFS);
	assert_int_equal(used_idx(), 0);		/* not yet published */
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(used_idx(), 5);
	assert_int_equal(used_elem(0).len, 42);
	assert_int_equal(used_elem(1).len, 100);
	assert_int_equal(used_elem(3).len, 62);
	assert_int_equal(used_elem(4).len, 42);
	assert_memory_equal(g.mem + offs[0] + 12, data[0], 30);
	for (k = 0; k < 3; k++)
		memcpy(out + 100 * k, g.mem + offs[1 + k], 100);
	assert_int_equal(le16toh(*(uint16_t *)(void *)(out + 10)), 3);
	assert_memory_equal(out + 12, data[1], 250);
	assert_memory_equal(g.mem + offs[4] + 12, data[2], 30);

	/* all of a burst fits: err 0; a frame of 8 x 100-byte buffers is
	 * more segments than deferred, copied at once, still in order */
	for (i = 0; i < 10; i++)
		add_chain(&len, 1, VIRTQ_DESC_F_WRITE, &offs[i]);
	f[0] = rx_frame(700);
	f[1] = rx_frame(30);
	f[1].data = data[2];
	assert_int_equal(virtq_rx_put_burst(&g.vq, fp, 2, &err), 2);
	assert_int_equal(err, 0);
	assert_true(virtq_flush(&g.vq));
	for (k = 0; k < 8; k++)
		memcpy(out + 100 * k, g.mem + offs[k], 100);
	assert_memory_equal(out + 12, f[0].data, 700);
	assert_memory_equal(g.mem + offs[8] + 12, data[2], 30);
}

/* Kicks: NO_NOTIFY without EVENT_IDX, avail_event behind the next entry
 * with it; init turns them on whatever was left there. */
static void test_notify(void **state)
{
	(void)state;
	start(16, F(VERSION_1), 0);
	assert_int_equal(le16toh(used()->flags), 0);
	virtq_notify(&g.vq, false);
	assert_int_equal(le16toh(used()->flags), VIRTQ_USED_F_NO_NOTIFY);
	virtq_notify(&g.vq, true);
	assert_int_equal(le16toh(used()->flags), 0);
	used()->flags = htole16(VIRTQ_USED_F_NO_NOTIFY);	/* stale */
	assert_int_equal(virtq_init(&g.vq, &g.map, &g.cfg), 0);
	assert_int_equal(le16toh(used()->flags), 0);

	start(16, F(VERSION_1) | F(EVENT_IDX), 5);
	assert_int_equal(avail_event(), 5);
	virtq_notify(&g.vq, false);
	assert_int_equal(avail_event(), 4);
	tx_round(2);
	virtq_flush(&g.vq);
	assert_int_equal(avail_event(), 6);		/* still behind */
	virtq_notify(&g.vq, true);
	assert_int_equal(avail_event(), 7);
	assert_int_equal(le16toh(used()->flags), 0);	/* flags untouched */
}

/* Dirty log ---------------------------------------------------------------*/

static unsigned log_count(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < LOG_BYTES; i++)
		n += (unsigned)__builtin_popcount(g.log[i]);
	return n;
}

static bool logged(uint64_t a)
{
	uint64_t page = a / VIRTQ_LOG_PAGE;

	return g.log[page / 8] & (1u << (page % 8));
}

static void test_dirty_log(void **state)
{
	struct vs_frame f = rx_frame(300);
	struct virtq_desc *d = desc_table();
	size_t off = 5 * 4096 + 4000;	/* 312 bytes cross into page 6 */
	struct virtq_iov iov[2];
	uint16_t head;
	uint32_t total;
	size_t len;

	(void)state;
	memset(g.log, 0, LOG_BYTES);
	start(16, F(VERSION_1), 0);
	g.cfg.log = g.log;
	g.cfg.log_size = LOG_BYTES;
	assert_int_equal(virtq_init(&g.vq, &g.map, &g.cfg), 0);

	/* Receive into a buffer in region 1 crossing a page boundary. */
	set_desc(d, 0, gpa(HALF + off), 1000, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);
	assert_int_equal(virtq_rx_put(&g.vq, &f), 1);
	assert_true(logged(GPA1 + off));
	assert_true(logged(GPA1 + off + 311));
	assert_true(logged(GPA0 + USED_OFF));		/* the used entry */
	assert_int_equal(log_count(), 3);
	assert_true(virtq_flush(&g.vq));		/* used->idx: same page */
	assert_int_equal(log_count(), 3);

	/* Transmit writes only the used ring; a buffer of 312 bytes that
	 * ends on the page end marks one page only. */
	memset(g.log, 0, LOG_BYTES);
	len = make_frame(20);
	add_tx(frame, &len, 1);
	assert_int_equal(virtq_pop(&g.vq, iov, 2, &head, &total), 1);
	assert_int_equal(virtq_push(&g.vq, head, 0), 0);
	assert_true(virtq_flush(&g.vq));
	assert_true(logged(GPA0 + USED_OFF));
	assert_int_equal(log_count(), 1);

	memset(g.log, 0, LOG_BYTES);
	set_desc(d, 2, gpa(HALF + 6 * 4096 - 312), 312, VIRTQ_DESC_F_WRITE, 0);
	avail_add(2);
	assert_int_equal(virtq_rx_put(&g.vq, &f), 1);
	assert_true(logged(GPA1 + 5 * 4096));
	assert_false(logged(GPA1 + 6 * 4096));
	assert_int_equal(log_count(), 2);

	/* Without a log nothing is marked (and nothing breaks). */
	memset(g.log, 0, LOG_BYTES);
	start(16, F(VERSION_1), 0);
	set_desc(d, 0, gpa(HALF + off), 1000, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);
	assert_int_equal(virtq_rx_put(&g.vq, &f), 1);
	assert_true(virtq_flush(&g.vq));
	assert_int_equal(log_count(), 0);
}

/* Hostile rings -----------------------------------------------------------*/

/* Pop once and expect @err (0: one chain) and the queue state to match;
 * a broken queue stays broken for every call. */
static void expect_pop(int err)
{
	struct virtq_iov iov[32];
	struct vs_frame f = rx_frame(10);
	uint16_t head;
	uint32_t total;
	int ret = virtq_pop(&g.vq, iov, 32, &head, &total);

	if (!err) {
		assert_true(ret >= 0);
		assert_int_equal(virtq_broken(&g.vq), 0);
		return;
	}
	assert_int_equal(ret, err);
	assert_int_equal(virtq_broken(&g.vq), err);
	assert_int_equal(virtq_pop(&g.vq, iov, 32, &head, &total), err);
	assert_int_equal(virtq_push(&g.vq, 0, 0), err);
	assert_int_equal(virtq_rx_put(&g.vq, &f), err);
	assert_false(virtq_flush(&g.vq));
	assert_false(virtq_pending(&g.vq));
	assert_int_equal(used_idx(), 0);
}

/* Descriptor @i: 64 readable bytes, linked to @next when @next >= 0. */
static void link_desc(unsigned i, int next)
{
	set_desc(desc_table(), i, gpa(balloc(64)), 64,
		 next >= 0 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(next >= 0 ? next : 0));
}

static void test_bad_loop(void **state)
{
	(void)state;
	start(16, 0, 0);			/* control: 0 -> 1 -> end */
	link_desc(0, 1);
	link_desc(1, -1);
	avail_add(0);
	expect_pop(0);

	start(16, 0, 0);			/* 0 -> 1 -> 0 */
	link_desc(0, 1);
	link_desc(1, 0);
	avail_add(0);
	expect_pop(-ELOOP);

	start(16, 0, 0);			/* 0 -> 1 -> 2 -> 1 */
	link_desc(0, 1);
	link_desc(1, 2);
	link_desc(2, 1);
	avail_add(0);
	expect_pop(-ELOOP);

	start(16, 0, 0);			/* 3 -> 3 */
	link_desc(3, 3);
	avail_add(3);
	expect_pop(-ELOOP);

	start(16, 0, 0);			/* control: all 16 in one chain */
	for (unsigned i = 0; i < 16; i++)
		link_desc(i, i < 15 ? (int)i + 1 : -1);
	avail_add(0);
	expect_pop(0);
}

static void test_bad_index(void **state)
{
	(void)state;
	start(16, 0, 0);			/* control: next = size - 1 */
	link_desc(0, 15);
	link_desc(15, -1);
	avail_add(0);
	expect_pop(0);

	start(16, 0, 0);			/* next = size */
	link_desc(0, 16);
	avail_add(0);
	expect_pop(-ERANGE);

	start(16, 0, 0);			/* next = 0xffff */
	link_desc(0, 0xffff);
	avail_add(0);
	expect_pop(-ERANGE);

	start(16, 0, 0);			/* head = size */
	link_desc(0, -1);
	avail_add(16);
	expect_pop(-ERANGE);

	start(16, 0, 0);			/* control: 16 heads available */
	for (unsigned i = 0; i < 16; i++) {
		link_desc(i, -1);
		avail_add((uint16_t)i);
	}
	expect_pop(0);

	start(16, 0, 0);			/* avail->idx 17 ahead */
	link_desc(0, -1);
	avail_add(0);
	g.aidx = 17;
	avail()->idx = htole16(17);
	expect_pop(-ERANGE);
}

static void test_bad_direction(void **state)
{
	struct vs_frame f = rx_frame(10);
	size_t len = 64;

	(void)state;
	start(16, 0, 0);			/* control: readable in tx */
	link_desc(0, 1);
	link_desc(1, -1);
	avail_add(0);
	expect_pop(0);

	start(16, 0, 0);			/* write-only second part */
	link_desc(0, 1);
	set_desc(desc_table(), 1, gpa(balloc(64)), 64, VIRTQ_DESC_F_WRITE, 0);
	avail_add(0);
	expect_pop(-EACCES);

	start(16, 0, 0);			/* control: writable in rx */
	add_chain(&len, 1, VIRTQ_DESC_F_WRITE, NULL);
	assert_int_equal(virtq_rx_put(&g.vq, &f), 1);

	start(16, 0, 0);			/* readable in rx */
	add_chain(&len, 1, 0, NULL);
	assert_int_equal(virtq_rx_put(&g.vq, &f), -EACCES);
	assert_int_equal(virtq_broken(&g.vq), -EACCES);
	assert_false(virtq_flush(&g.vq));
}

static void test_bad_indirect(void **state)
{
	size_t lens[2] = { 32, 32 };
	struct virtq_desc *t;
	size_t toff;

	(void)state;
	start(16, F(INDIRECT_DESC), 0);		/* control */
	add_indirect(lens, 2);
	expect_pop(0);

	start(16, F(INDIRECT_DESC), 0);		/* length 33, not 16n */
	add_indirect(lens, 2);
	desc_table()[0].len = htole32(33);
	expect_pop(-EINVAL);

	start(16, F(INDIRECT_DESC), 0);		/* length 0 */
	add_indirect(lens, 2);
	desc_table()[0].len = 0;
	expect_pop(-EINVAL);

	start(16, F(INDIRECT_DESC), 0);		/* nested */
	toff = add_indirect(lens, 2);
	t = (struct virtq_desc *)(void *)(g.mem + toff);
	set_desc(t, 1, gpa(toff), 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_pop(-EINVAL);

	start(16, F(INDIRECT_DESC), 0);		/* indirect with NEXT */
	add_indirect(lens, 2);
	desc_table()[0].flags = htole16(VIRTQ_DESC_F_INDIRECT |
					VIRTQ_DESC_F_NEXT);
	desc_table()[0].next = htole16(1);
	link_desc(1, -1);
	expect_pop(-EINVAL);

	start(16, F(INDIRECT_DESC), 0);		/* not at the head */
	link_desc(1, -1);
	toff = add_indirect(lens, 2);
	set_desc(desc_table(), 1, gpa(toff), 32, VIRTQ_DESC_F_INDIRECT, 0);
	desc_table()[0].flags = htole16(VIRTQ_DESC_F_NEXT);
	desc_table()[0].next = htole16(1);
	expect_pop(-EINVAL);

	start(16, F(INDIRECT_DESC), 0);		/* table outside memory */
	add_indirect(lens, 2);
	desc_table()[0].addr = htole64(GPA0 + HALF - 16);
	expect_pop(-EFAULT);

	start(16, F(INDIRECT_DESC), 0);		/* loop inside the table */
	toff = add_indirect(lens, 2);
	t = (struct virtq_desc *)(void *)(g.mem + toff);
	t[1].flags = htole16(VIRTQ_DESC_F_NEXT);
	t[1].next = 0;
	expect_pop(-ELOOP);

	start(16, F(INDIRECT_DESC), 0);		/* next past the table */
	toff = add_indirect(lens, 2);
	t = (struct virtq_desc *)(void *)(g.mem + toff);
	t[1].flags = htole16(VIRTQ_DESC_F_NEXT);
	t[1].next = htole16(2);
	expect_pop(-ERANGE);
}

static void test_bad_segment(void **state)
{
	struct virtq_desc *d = desc_table();

	(void)state;
	start(16, 0, 0);			/* control: the region's last bytes */
	set_desc(d, 0, GPA0 + HALF - 64, 64, 0, 0);
	set_desc(d, 1, GPA1, 64, 0, 0);
	avail_add(0);
	avail_add(1);
	expect_pop(0);
	expect_pop(0);

	start(16, 0, 0);			/* one byte over */
	set_desc(d, 0, GPA0 + HALF - 64, 65, 0, 0);
	avail_add(0);
	expect_pop(-EFAULT);

	start(16, 0, 0);			/* between the regions */
	set_desc(d, 0, GPA1 - 4096, 64, 0, 0);
	avail_add(0);
	expect_pop(-EFAULT);

	start(16, 0, 0);			/* address wraps */
	set_desc(d, 0, UINT64_MAX - 8, 64, 0, 0);
	avail_add(0);
	expect_pop(-EFAULT);
}

static void test_bad_length(void **state)
{
	struct virtq_desc *d = desc_table();
	struct virtq_iov iov[2];
	uint16_t head;
	uint32_t total;

	(void)state;
	start(16, 0, 0);			/* control: exactly the limit */
	set_desc(d, 0, gpa(balloc(40000)), 40000, VIRTQ_DESC_F_NEXT, 1);
	set_desc(d, 1, gpa(balloc(40000)), VIRTQ_CHAIN_MAX - 40000, 0, 0);
	avail_add(0);
	expect_pop(0);

	start(16, 0, 0);			/* one byte more */
	set_desc(d, 0, gpa(balloc(40000)), 40000, VIRTQ_DESC_F_NEXT, 1);
	set_desc(d, 1, gpa(balloc(40000)), VIRTQ_CHAIN_MAX - 40000 + 1, 0, 0);
	avail_add(0);
	expect_pop(-E2BIG);

	start(16, 0, 0);			/* 4 GiB - 1 in one descriptor */
	set_desc(d, 0, GPA0, UINT32_MAX, 0, 0);
	avail_add(0);
	expect_pop(-E2BIG);

	start(16, 0, 0);			/* more segments than the caller's */
	link_desc(0, 1);
	link_desc(1, 2);
	link_desc(2, -1);
	avail_add(0);
	assert_int_equal(virtq_pop(&g.vq, iov, 2, &head, &total), -E2BIG);
	assert_int_equal(virtq_broken(&g.vq), -E2BIG);
}

int main(void)
{
#define T(f)	cmocka_unit_test(f)
	const struct CMUnitTest tests[] = {
		T(test_translate),
		T(test_init_checks),
		T(test_tx_simple),
		T(test_tx_split_header),
		T(test_tx_indirect),
		T(test_wraparound),
		T(test_event_idx),
		T(test_rx_mergeable),
		T(test_rx_no_mergeable),
		T(test_rx_burst),
		T(test_notify),
		T(test_dirty_log),
		T(test_bad_loop),
		T(test_bad_index),
		T(test_bad_direction),
		T(test_bad_indirect),
		T(test_bad_segment),
		T(test_bad_length),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* pcapng.c - writing pcapng blocks, and finding them in a stream; see
 * pcapng.h
 *
 * A block is built through a writer over the caller's buffer: the block
 * type and a placeholder for its length, the body, options (code, length,
 * value padded to 32 bits, then opt_endofopt), and the total length at
 * the end, which is then patched into the head. A writer that runs out of
 * room stays failed, and the block's length comes back as 0.
 */
#include <string.h>

#include "pcapng.h"

struct writer {
	uint8_t *buf;
	size_t cap, len;
	bool full;
};

static void put(struct writer *w, const void *p, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put16(struct writer *w, uint16_t v)
{
	put(w, &v, sizeof(v));
}

static void put32(struct writer *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void pad4(struct writer *w)
{
	static const uint8_t zero[4];

	put(w, zero, (4 - w->len % 4) % 4);
}

/* A 64-bit timestamp as pcapng stores it: high word first. */
static void put_ts(struct writer *w, uint64_t ts)
{
	put32(w, (uint32_t)(ts >> 32));
	put32(w, (uint32_t)ts);
}

static void begin(struct writer *w, uint8_t *buf, size_t cap, uint32_t type)
{
	*w = (struct writer){ .buf = buf, .cap = cap };
	put32(w, type);
	put32(w, 0);			/* the length, patched by finish() */
}

static void opt(struct writer *w, uint16_t code, const void *v, size_t n)
{
	if (n > UINT16_MAX) {
		w->full = true;
		return;
	}
	put16(w, code);
	put16(w, (uint16_t)n);
	put(w, v, n);
	pad4(w);
}

static void opt_str(struct writer *w, uint16_t code, const char *s)
{
	if (s)
		opt(w, code, s, strnlen(s, PCAPNG_COMMENT_MAX));
}

static void opt_u64(struct writer *w, uint16_t code, uint64_t v)
{
	opt(w, code, &v, sizeof(v));
}

static void opt_ts(struct writer *w, uint16_t code, uint64_t ts)
{
	uint32_t v[2] = { (uint32_t)(ts >> 32), (uint32_t)ts };

	opt(w, code, v, sizeof(v));
}

static size_t finish(struct writer *w, bool options)
{
	uint32_t total;

	if (options) {
		put16(w, PCAPNG_OPT_END);
		put16(w, 0);
	}
	total = (uint32_t)(w->len + 4);
	put32(w, total);
	if (w->full)
		return 0;
	memcpy(w->buf + 4, &total, sizeof(total));
	return w->len;
}

/* pcapng_shb() - see pcapng.h. */
size_t pcapng_shb(uint8_t *buf, size_t cap, const char *userappl)
{
	struct writer w;

	begin(&w, buf, cap, PCAPNG_SHB);
	put32(&w, PCAPNG_BYTE_ORDER_MAGIC);
	put16(&w, 1);			/* version 1.0 */
	put16(&w, 0);
	put32(&w, UINT32_MAX);		/* section length: not given */
	put32(&w, UINT32_MAX);
	opt_str(&w, PCAPNG_SHB_USERAPPL, userappl);
	return finish(&w, userappl != NULL);
}

/* pcapng_idb() - see pcapng.h. */
size_t pcapng_idb(uint8_t *buf, size_t cap, uint16_t linktype,
		  uint32_t snaplen, const char *name, const char *descr)
{
	static const uint8_t tsresol = 9;	/* 10^-9 s */
	struct writer w;

	begin(&w, buf, cap, PCAPNG_IDB);
	put16(&w, linktype);
	put16(&w, 0);
	put32(&w, snaplen);
	opt_str(&w, PCAPNG_IF_NAME, name);
	opt_str(&w, PCAPNG_IF_DESCRIPTION, descr);
	opt(&w, PCAPNG_IF_TSRESOL, &tsresol, 1);
	return finish(&w, true);
}

/* pcapng_epb() - see pcapng.h. */
size_t pcapng_epb(uint8_t *buf, size_t cap, const struct pcapng_pkt *p)
{
	uint32_t flags = (uint32_t)p->dir & 3;
	struct writer w;

	begin(&w, buf, cap, PCAPNG_EPB);
	put32(&w, p->iface);
	put_ts(&w, p->ts);
	put32(&w, p->caplen);
	put32(&w, p->len);
	put(&w, p->data, p->caplen);
	pad4(&w);
	opt_str(&w, PCAPNG_OPT_COMMENT, p->comment);
	if (flags)
		opt(&w, PCAPNG_EPB_FLAGS, &flags, sizeof(flags));
	return finish(&w, p->comment || flags);
}

/* pcapng_isb() - see pcapng.h. */
size_t pcapng_isb(uint8_t *buf, size_t cap, const struct pcapng_stats *s)
{
	struct writer w;

	begin(&w, buf, cap, PCAPNG_ISB);
	put32(&w, s->iface);
	put_ts(&w, s->ts);
	opt_str(&w, PCAPNG_OPT_COMMENT, s->comment);
	opt_ts(&w, PCAPNG_ISB_STARTTIME, s->start);
	opt_ts(&w, PCAPNG_ISB_ENDTIME, s->end);
	opt_u64(&w, PCAPNG_ISB_IFRECV, s->ifrecv);
	opt_u64(&w, PCAPNG_ISB_IFDROP, s->ifdrop);
	opt_u64(&w, PCAPNG_ISB_USRDELIV, s->usrdeliv);
	return finish(&w, true);
}

/* Reading --------------------------------------------------------------*/

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* pcapng_block_len() - see pcapng.h. */
long pcapng_block_len(const uint8_t *buf, size_t len)
{
	uint32_t total;

	if (len < 8)
		return 0;
	total = get32(buf + 4);
	if (total < 12 || total % 4 || total > PCAPNG_BLOCK_MAX)
		return -1;
	return (long)total;
}

/* pcapng_block_type() - see pcapng.h. */
uint32_t pcapng_block_type(const uint8_t *buf)
{
	return get32(buf);
}

/* One option of an ISB: the counters and the comment. */
static void isb_option(uint16_t code, const uint8_t *v, uint16_t n,
		       uint64_t *ifdrop, uint64_t *usrdeliv, char *comment,
		       size_t ccap)
{
	if (code == PCAPNG_OPT_COMMENT && ccap) {
		size_t k = n < ccap - 1 ? n : ccap - 1;

		memcpy(comment, v, k);
		comment[k] = '\0';
	} else if (code == PCAPNG_ISB_IFDROP && n == 8) {
		memcpy(ifdrop, v, 8);
	} else if (code == PCAPNG_ISB_USRDELIV && n == 8) {
		memcpy(usrdeliv, v, 8);
	}
}

/* pcapng_isb_parse() - see pcapng.h. Options run from byte 20 to the
 * trailing length; each is checked against what is left. */
int pcapng_isb_parse(const uint8_t *blk, size_t len, uint64_t *ifdrop,
		     uint64_t *usrdeliv, char *comment, size_t ccap)
{
	size_t off = 20, end;

	if (ccap)
		comment[0] = '\0';
	if (len < 24 || len % 4 || get32(blk) != PCAPNG_ISB ||
	    get32(blk + 4) != len || get32(blk + len - 4) != len)
		return -1;
	end = len - 4;
	while (off + 4 <= end) {
		uint16_t code = get16(blk + off), n = get16(blk + off + 2);
		size_t padded = ((size_t)n + 3) & ~(size_t)3;

		if (code == PCAPNG_OPT_END)
			return 0;
		if (padded > end - off - 4)
			return -1;
		isb_option(code, blk + off + 4, n, ifdrop, usrdeliv, comment,
			   ccap);
		off += 4 + padded;
	}
	return off == end ? 0 : -1;
}

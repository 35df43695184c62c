/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcapng.h - writing pcapng blocks, and finding them in a stream
 *
 * The blocks a capture needs (draft-ietf-opsawg-pcapng): a Section Header
 * Block, one Interface Description Block (Ethernet, nanosecond
 * timestamps), Enhanced Packet Blocks with the direction in epb_flags and
 * an optional opt_comment, and an Interface Statistics Block at the end.
 * Every block is written whole into a caller's buffer, in host byte order
 * (the SHB's byte-order magic tells readers which), 32-bit aligned, its
 * total length at both ends.
 *
 * The reading side is the little a client relaying a stream needs: where
 * a block ends (pcapng_block_len()) and what an ISB says. Both treat the
 * bytes as untrusted: every length is checked against what is there.
 */
#ifndef XENO_PCAPNG_H
#define XENO_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pcapng_block_type {
	PCAPNG_SHB = 0x0A0D0D0A,
	PCAPNG_IDB = 0x00000001,
	PCAPNG_ISB = 0x00000005,
	PCAPNG_EPB = 0x00000006,
};

#define PCAPNG_BYTE_ORDER_MAGIC	0x1A2B3C4Du
#define PCAPNG_LINKTYPE_ETHERNET 1

/* Option codes used here. */
enum pcapng_opt {
	PCAPNG_OPT_END		= 0,
	PCAPNG_OPT_COMMENT	= 1,
	PCAPNG_SHB_USERAPPL	= 4,
	PCAPNG_IF_NAME		= 2,
	PCAPNG_IF_DESCRIPTION	= 3,
	PCAPNG_IF_TSRESOL	= 9,
	PCAPNG_EPB_FLAGS	= 2,
	PCAPNG_ISB_STARTTIME	= 2,
	PCAPNG_ISB_ENDTIME	= 3,
	PCAPNG_ISB_IFRECV	= 4,
	PCAPNG_ISB_IFDROP	= 5,
	PCAPNG_ISB_USRDELIV	= 8,
};

/* epb_flags bits 0-1: the direction of a packet. */
enum pcapng_dir {
	PCAPNG_DIR_UNKNOWN	= 0,
	PCAPNG_DIR_INBOUND	= 1,
	PCAPNG_DIR_OUTBOUND	= 2,
};

#define PCAPNG_COMMENT_MAX	256	/* bytes of a comment we write */
/* The largest block we write or accept: an EPB of a 64 KiB frame with a
 * comment and its flags, and room to spare. */
#define PCAPNG_BLOCK_MAX	(65536 + 1024)

/* pcapng_shb() - a Section Header Block (section length unknown) naming
 * @userappl, into @buf of @cap bytes. Returns its length, 0 if it does not
 * fit. */
size_t pcapng_shb(uint8_t *buf, size_t cap, const char *userappl);

/* pcapng_idb() - an Interface Description Block: link type @linktype,
 * @snaplen, if_name @name, if_description @descr (NULL: none),
 * if_tsresol 9 (timestamps in ns). Returns its length or 0. */
size_t pcapng_idb(uint8_t *buf, size_t cap, uint16_t linktype,
		  uint32_t snaplen, const char *name, const char *descr);

/* One packet for pcapng_epb(). */
struct pcapng_pkt {
	uint32_t iface;
	uint64_t ts;			/* ns since the epoch */
	const uint8_t *data;
	uint32_t caplen, len;
	enum pcapng_dir dir;		/* UNKNOWN: no epb_flags */
	const char *comment;		/* NULL: none */
};

/* pcapng_epb() - an Enhanced Packet Block of @p. Returns its length or
 * 0 if it does not fit. */
size_t pcapng_epb(uint8_t *buf, size_t cap, const struct pcapng_pkt *p);

/* What an Interface Statistics Block says. */
struct pcapng_stats {
	uint32_t iface;
	uint64_t ts;			/* ns since the epoch: the block's time */
	uint64_t start, end;		/* isb_starttime, isb_endtime (ns) */
	uint64_t ifrecv;		/* frames the capture was offered */
	uint64_t ifdrop;		/* of those, lost (the reader was slow) */
	uint64_t usrdeliv;		/* written to the reader */
	const char *comment;		/* NULL: none */
};

/* pcapng_isb() - an Interface Statistics Block. Returns its length or 0. */
size_t pcapng_isb(uint8_t *buf, size_t cap, const struct pcapng_stats *s);

/* pcapng_block_len() - the total length of the block at @buf, of which
 * @len bytes are there: 0 when fewer than its 8-byte head are, -1 when
 * the head is not a block we accept (shorter than 12 bytes, not a
 * multiple of 4, longer than PCAPNG_BLOCK_MAX). The length may exceed
 * @len: the block is not all there yet. */
long pcapng_block_len(const uint8_t *buf, size_t len);

/* pcapng_block_type() - the type of the block at @buf (>= 4 bytes). */
uint32_t pcapng_block_type(const uint8_t *buf);

/* pcapng_isb_parse() - read the complete ISB @blk of @len bytes: its
 * ifdrop and usrdeliv counters (left alone when absent) and its comment
 * into @comment (@ccap bytes, NUL-terminated; "" when absent). Returns 0,
 * or -1 when @blk is not a well-formed ISB. */
int pcapng_isb_parse(const uint8_t *blk, size_t len, uint64_t *ifdrop,
		     uint64_t *usrdeliv, char *comment, size_t ccap);

#endif /* XENO_PCAPNG_H */

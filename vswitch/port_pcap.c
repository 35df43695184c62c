// SPDX-License-Identifier: GPL-2.0-or-later
/* port_pcap.c - a switch port back end on pcap files; see port_pcap.h
 *
 * Input keeps a one-frame lookahead: the frame libpcap returned last is
 * not yet consumed, so its timestamp can be compared with the horizon
 * before it is copied out. libpcap's buffer for that frame stays valid
 * until the next pcap_next_ex(), which is only called after the copy.
 */

#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port_pcap.h"

#define PORT_PCAP_SNAPLEN	262144	/* libpcap's MAXIMUM_SNAPLEN */
#define NSEC_PER_SEC		1000000000ULL

struct port_pcap {
	pcap_t *in;			/* NULL: no input */
	char in_path[PATH_MAX];
	struct pcap_pkthdr *hdr;	/* lookahead frame, when have */
	const u_char *data;
	bool have;
	uint64_t frame_no;		/* 1-based number of the lookahead */
	uint64_t horizon;

	pcap_t *dead;			/* output handle for pcap_dump_open() */
	pcap_dumper_t *out;
	const uint64_t *clock;

	unsigned outstanding;
	struct port_pcap_counts counts;
	uint8_t gather[VS_FRAME_MAX_DEFAULT];	/* a two-piece frame, whole */
	char err[PCAP_ERRBUF_SIZE + PATH_MAX + 64];
};

/* Load the next input frame into the lookahead; on a read error the
 * lookahead stays empty and pp->err says why. */
static void advance(struct port_pcap *pp)
{
	int r;

	pp->have = false;
	if (!pp->in)
		return;
	r = pcap_next_ex(pp->in, &pp->hdr, &pp->data);
	if (r == 1) {
		pp->have = true;
		pp->frame_no++;
		return;
	}
	if (r == PCAP_ERROR)
		snprintf(pp->err, sizeof(pp->err), "%s: frame %llu: %s",
			 pp->in_path, (unsigned long long)pp->frame_no + 1,
			 pcap_geterr(pp->in));
	pcap_close(pp->in);	/* end of file or error: no more input */
	pp->in = NULL;
}

static uint64_t hdr_ns(const struct pcap_pkthdr *h)
{
	/* Opened with nanosecond precision: tv_usec holds nanoseconds. */
	return (uint64_t)h->ts.tv_sec * NSEC_PER_SEC + (uint64_t)h->ts.tv_usec;
}

static int open_input(struct port_pcap *pp, const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";

	snprintf(pp->in_path, sizeof(pp->in_path), "%s", path);
	pp->in = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pp->in) {
		snprintf(pp->err, sizeof(pp->err),
			 "cannot read input pcap '%s': %s", path, ebuf);
		return -EIO;
	}
	if (pcap_datalink(pp->in) != DLT_EN10MB) {
		snprintf(pp->err, sizeof(pp->err),
			 "input pcap '%s': link type %s, not Ethernet", path,
			 pcap_datalink_val_to_name(pcap_datalink(pp->in)));
		return -EINVAL;
	}
	advance(pp);
	return pp->err[0] ? -EIO : 0;
}

static int open_output(struct port_pcap *pp, const char *path)
{
	pp->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB,
			PORT_PCAP_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (!pp->dead) {
		snprintf(pp->err, sizeof(pp->err), "out of memory");
		return -ENOMEM;
	}
	pp->out = pcap_dump_open(pp->dead, path);
	if (!pp->out) {
		snprintf(pp->err, sizeof(pp->err),
			 "cannot write output pcap '%s': %s", path,
			 pcap_geterr(pp->dead));
		return -EIO;
	}
	return 0;
}

/* port_pcap_open() - open input (optional) and output; on failure the
 * message goes to @err and nothing stays open. See port_pcap.h. */
struct port_pcap *port_pcap_open(const char *in_path, const char *out_path,
				 const uint64_t *clock, char *err,
				 size_t errlen)
{
	struct port_pcap *pp = calloc(1, sizeof(*pp));

	if (!pp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pp->clock = clock;
	pp->horizon = UINT64_MAX;
	if ((in_path && open_input(pp, in_path)) ||
	    open_output(pp, out_path)) {
		snprintf(err, errlen, "%s", pp->err);
		port_pcap_close(pp, NULL, 0);
		return NULL;
	}
	return pp;
}

/* port_pcap_close() - flush and close; -EIO when the output is short. */
int port_pcap_close(struct port_pcap *pp, char *err, size_t errlen)
{
	int ret = 0;

	if (!pp)
		return 0;
	if (pp->out) {
		FILE *f = pcap_dump_file(pp->out);

		/* pcap_dump() does not report errors; the stream does. */
		if (pcap_dump_flush(pp->out) || ferror(f))
			ret = -EIO;
		pcap_dump_close(pp->out);
		if (ret && err)
			snprintf(err, errlen, "error writing output pcap");
	}
	if (pp->dead)
		pcap_close(pp->dead);
	if (pp->in)
		pcap_close(pp->in);
	free(pp);
	return ret;
}

/* tx op: append the frames to the output file, stamped with the clock. */
static unsigned pcap_tx(void *ctx, const struct vs_frame *const *frames,
			unsigned n)
{
	struct port_pcap *pp = ctx;
	struct pcap_pkthdr h;
	uint64_t now = *pp->clock;
	unsigned i;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(now / NSEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(now % NSEC_PER_SEC);
	for (i = 0; i < n; i++) {
		h.len = frames[i]->len;
		h.caplen = frames[i]->len < PORT_PCAP_SNAPLEN ?
			   frames[i]->len : PORT_PCAP_SNAPLEN;
		if (!frames[i]->tail_len) {
			pcap_dump((u_char *)pp->out, &h, frames[i]->data);
			continue;
		}
		h.caplen = vs_frame_gather(frames[i], pp->gather,
					   sizeof(pp->gather));
		pcap_dump((u_char *)pp->out, &h, pp->gather);
	}
	pp->counts.written += n;
	return n;
}

/* rx op: copy lookahead frames stamped at or before the horizon into the
 * switch's buffers, up to @max. A frame that does not fit its buffer
 * stops the port with -EMSGSIZE rather than being cut silently. */
static int pcap_rx(void *ctx, struct vs_frame *frames, unsigned max)
{
	struct port_pcap *pp = ctx;
	unsigned n = 0;

	while (n < max && pp->have && hdr_ns(pp->hdr) <= pp->horizon) {
		if (pp->hdr->caplen > frames[n].cap) {
			snprintf(pp->err, sizeof(pp->err),
				 "%s: frame %llu: %u bytes, more than the port's %u byte buffers",
				 pp->in_path, (unsigned long long)pp->frame_no,
				 pp->hdr->caplen, frames[n].cap);
			return n ? (int)n : -EMSGSIZE;
		}
		memcpy(frames[n].data, pp->data, pp->hdr->caplen);
		frames[n].len = pp->hdr->caplen;
		if (pp->hdr->caplen < pp->hdr->len)
			pp->counts.truncated++;
		n++;
		advance(pp);
	}
	pp->counts.read += n;
	pp->outstanding += n;
	if (!n && pp->err[0])
		return -EIO;
	return (int)n;
}

/* release op: the switch is done with @n frames (they were copies). */
static void pcap_release(void *ctx, unsigned n)
{
	struct port_pcap *pp = ctx;

	pp->outstanding -= n < pp->outstanding ? n : pp->outstanding;
}

static const struct vs_port_ops ops_rxtx = {
	.tx = pcap_tx,
	.rx = pcap_rx,
	.release = pcap_release,
};

static const struct vs_port_ops ops_tx = {
	.tx = pcap_tx,
	.release = pcap_release,
};

/* port_pcap_ops() - no rx op for a port without input, so the switch
 * gives it no buffer pool. */
const struct vs_port_ops *port_pcap_ops(const struct port_pcap *pp)
{
	return pp->in || pp->have ? &ops_rxtx : &ops_tx;
}

/* port_pcap_set_horizon() - the latest input timestamp rx may return. */
void port_pcap_set_horizon(struct port_pcap *pp, uint64_t t)
{
	pp->horizon = t;
}

/* port_pcap_next_ts() - timestamp of the lookahead frame, if any. */
bool port_pcap_next_ts(const struct port_pcap *pp, uint64_t *ts)
{
	if (!pp->have)
		return false;
	*ts = hdr_ns(pp->hdr);
	return true;
}

/* port_pcap_outstanding() - frames the switch holds (rx'd, unreleased). */
unsigned port_pcap_outstanding(const struct port_pcap *pp)
{
	return pp->outstanding;
}

/* port_pcap_error() - the last input error, "" when none. */
const char *port_pcap_error(const struct port_pcap *pp)
{
	return pp->err;
}

/* port_pcap_counts() - read/written/truncated counters into @out. */
void port_pcap_counts(const struct port_pcap *pp, struct port_pcap_counts *out)
{
	*out = pp->counts;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port_pcap.h - a switch port back end on pcap files (libpcap)
 *
 * A pcap port reads its input frames from a pcap file (optional) and writes
 * every frame the switch delivers to it into an output pcap file, so
 * scenarios run without root, TAPs or namespaces (DESIGN.md §7).
 *
 * Time is the caller's: the port reads only input frames whose timestamp
 * is at or before its horizon (port_pcap_set_horizon()), and stamps each
 * output frame with the value of the clock given to port_pcap_open() at
 * the moment the switch transmits it. A runner that advances the clock to
 * the next input timestamp and polls the port with the same @now gets a
 * reproducible virtual-time replay (see vs_pcap_run.c).
 *
 * Memory: the rx op copies each input frame once, from libpcap's read
 * buffer into the switch's pool buffer; the tx op hands the borrowed frame
 * to pcap_dump(). Nothing is allocated per frame.
 */
#ifndef XENO_PORT_PCAP_H
#define XENO_PORT_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch.h"

struct port_pcap;

/* Counters of the back end itself (the switch keeps the others). */
struct port_pcap_counts {
	uint64_t read;		/* input frames handed to the switch */
	uint64_t written;	/* frames written to the output file */
	uint64_t truncated;	/* input frames shorter on file than on the wire */
};

/* port_pcap_open() - open a pcap port.
 * @in_path:	input pcap or pcapng file (Ethernet link type), or NULL for
 *		a port that only receives
 * @out_path:	output pcap file, created or truncated (nanosecond
 *		timestamps, Ethernet link type)
 * @clock:	the caller's clock in ns; read when frames are written
 * @err:	on failure, a message naming the file and the cause
 * @errlen:	size of @err
 *
 * Returns the port (owned by the caller, freed by port_pcap_close()) or
 * NULL on failure. The horizon starts at UINT64_MAX (read everything).
 */
struct port_pcap *port_pcap_open(const char *in_path, const char *out_path,
				 const uint64_t *clock, char *err,
				 size_t errlen);

/* port_pcap_close() - flush and close both files, free the port. Returns
 * 0, or -EIO when the output could not be written completely (the message
 * is then in @err, when @err is not NULL). Accepts NULL. */
int port_pcap_close(struct port_pcap *pp, char *err, size_t errlen);

/* port_pcap_ops() - the struct vs_port_ops for vs_port_add(), with
 * ctx = @pp: tx and release always, rx only when the port has input. */
const struct vs_port_ops *port_pcap_ops(const struct port_pcap *pp);

/* port_pcap_set_horizon() - let rx return input frames stamped at or
 * before @t (ns), and no later ones. */
void port_pcap_set_horizon(struct port_pcap *pp, uint64_t t);

/* port_pcap_next_ts() - the timestamp (ns) of the next unread input frame
 * into *@ts; false when the input is exhausted (or there is none). */
bool port_pcap_next_ts(const struct port_pcap *pp, uint64_t *ts);

/* port_pcap_outstanding() - frames returned by rx and not yet released,
 * i.e. held by the switch (waiting for transmit credit). */
unsigned port_pcap_outstanding(const struct port_pcap *pp);

/* port_pcap_error() - the last read error ("" when none). rx returns
 * -EIO for a read error and -EMSGSIZE for a frame bigger than the switch
 * buffer; this says which file and which frame. */
const char *port_pcap_error(const struct port_pcap *pp);

/* port_pcap_counts() - the back end's counters into @out. */
void port_pcap_counts(const struct port_pcap *pp, struct port_pcap_counts *out);

#endif /* XENO_PORT_PCAP_H */

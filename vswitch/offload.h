/* SPDX-License-Identifier: GPL-2.0-or-later */
/* offload.h - software fallbacks for virtio-net offloads: checksum
 * completion and TCP segmentation
 *
 * A frame may come with a struct vs_vnet_hdr that leaves work to its
 * receiver: a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) or a GSO
 * frame of many segments' worth of TCP payload (VIRTIO_NET_HDR_GSO_*).
 * When the port the frame goes to did not negotiate that offload
 * (VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4/6, or a back end
 * without a vnet header), the switch does the work with these functions
 * before handing the frame over.
 *
 * The values of vs_vnet_hdr's flags and gso_type are those of the
 * virtio 1.x specification (§5.1.6), named by <linux/virtio_net.h> as
 * VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, ... ; that
 * header is included here so that callers have the names. Header fields
 * are in host byte order (the back end converts them).
 */
#ifndef XENO_OFFLOAD_H
#define XENO_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdint.h>

#include "vswitch.h"

/* vs_offload_csum() - complete a partial checksum in place. When
 * @h->flags has VIRTIO_NET_HDR_F_NEEDS_CSUM, the 16-bit field at
 * csum_start + csum_offset holds the pseudo-header sum (as Linux and
 * virtio front ends leave it); the ones'-complement sum of
 * @frame[csum_start, @len) is folded, complemented and stored there. A
 * result of 0 is stored as 0xffff, the same number in ones'-complement
 * arithmetic and the form UDP requires (RFC 768), as Linux does.
 * The caller owns @frame; nothing outside it is touched.
 * Returns 0 (also when no checksum was needed), or -EINVAL when the field
 * does not lie wholly inside the @len bytes of the frame (the frame is
 * then left as it was). */
int vs_offload_csum(uint8_t *frame, uint32_t len, const struct vs_vnet_hdr *h);

/* vs_offload_segment() - cut GSO frame @frame of @len bytes into frames
 * of at most @h->gso_size payload bytes each, with complete headers and
 * checksums, and call @emit(@arg, seg, seglen) for each, in order.
 *
 * @h->gso_type is VIRTIO_NET_HDR_GSO_TCPV4 or _TCPV6, with or without
 * VIRTIO_NET_HDR_GSO_ECN. The frame is Ethernet with up to two VLAN tags
 * (802.1Q, 802.1ad, 0x9100), IPv4 (options allowed, not a fragment) or
 * IPv6 (no extension headers), then TCP (options allowed). The headers
 * are read from the frame itself: @h->hdr_len, csum_start and csum_offset
 * are not used, and the original IP length fields are not trusted (the
 * payload is everything after the TCP header).
 *
 * Each segment gets: IPv4 total length, id + i and header checksum, or
 * IPv6 payload length; TCP sequence number + i * gso_size; FIN and PSH
 * only on the last segment, CWR only on the first; the full TCP checksum.
 * A frame whose payload fits in one segment (or is empty) makes one.
 *
 * Segments are built one at a time in the caller's @scratch of @cap
 * bytes, which must not overlap @frame; @emit gets it read-only and must
 * copy what it keeps before returning. Nothing is allocated, @frame is
 * not written, nothing outside @frame/@len or @scratch/@cap is read.
 *
 * Returns the number of segments emitted; -EINVAL for a frame that cannot
 * be segmented (headers truncated, gso_size 0, gso_type NONE, not TCP, an
 * ethertype that does not match gso_type, an IPv4 fragment, a segment
 * longer than @cap or than an IP length field holds), checked before any
 * segment is emitted; -EOPNOTSUPP for what is valid but not done here
 * (UDP fragmentation or segmentation offload, other GSO types, IPv6
 * extension headers, more than two VLAN tags). When @emit returns
 * non-zero, no further segment is made and that value is returned. */
int vs_offload_segment(const uint8_t *frame, uint32_t len,
		       const struct vs_vnet_hdr *h, uint8_t *scratch,
		       uint32_t cap,
		       int (*emit)(void *arg, const uint8_t *seg, uint32_t len),
		       void *arg);

#endif /* XENO_OFFLOAD_H */

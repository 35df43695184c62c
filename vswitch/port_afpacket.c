// SPDX-License-Identifier: GPL-2.0-or-later
/* port_afpacket.c - the wire: AF_PACKET with a TPACKET_V3 ring; see
 * port_afpacket.h
 *
 * Ring bookkeeping: blocks are read in order from .cur. Every frame handed
 * to the switch is remembered in a FIFO with its block number (the switch
 * releases frames in the order rx returned them); .out[b] counts block b's
 * frames not yet released. A block goes back to the kernel when it has been
 * read to the end (.done[b]) and .out[b] is zero. The switch holds at most
 * VS_BATCH frames, so the FIFO (2 * VS_BATCH) cannot fill; rx still stops
 * at its free space rather than trust that.
 */

#include <assert.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port_afpacket.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING	23
#endif

#define RING_BLOCK_SIZE		(1u << 18)	/* 256 KiB: a 64 KiB GSO frame fits */
#define RING_BLOCKS		32
#define RING_FRAME_SIZE		2048		/* nominal; V3 packs frames */
#define RING_RETIRE_MS		1		/* latency bound of a quiet block */
#define FIFO_SIZE		(2 * VS_BATCH)
#define SNDBUF_BYTES		(4 << 20)	/* room for whole GSO frames */
#define VNET_LEN		sizeof(struct virtio_net_hdr)
#define VLAN_HLEN		4		/* TPID, TCI */

struct port_afpacket {
	int fd;
	uint8_t *ring;
	size_t ring_len;
	unsigned cur;			/* block being read */
	struct tpacket3_hdr *pkt;	/* next packet in it, NULL: not begun */
	unsigned left;			/* packets left in it */
	uint16_t out[RING_BLOCKS];	/* frames handed out, not released */
	bool done[RING_BLOCKS];		/* read to the end */
	uint16_t fifo[FIFO_SIZE];	/* block of each frame handed out */
	unsigned fifo_head, fifo_len;
	struct port_afpacket_stats st;
};

static struct tpacket_block_desc *block(const struct port_afpacket *a,
					unsigned b)
{
	return (struct tpacket_block_desc *)(void *)
		(a->ring + (size_t)b * RING_BLOCK_SIZE);
}

/* Sockets ---------------------------------------------------------------*/

static int sockopt(int fd, int level, int name, const void *val,
		   socklen_t len)
{
	return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

/* Options that must precede the ring, then the ring itself. */
static int setup_ring(struct port_afpacket *a)
{
	int one = 1, v3 = TPACKET_V3, ret;
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK_SIZE,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = RING_FRAME_SIZE,
		.tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCKS,
		.tp_retire_blk_tov = RING_RETIRE_MS,
	};

	ret = sockopt(a->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one));
	if (!ret)
		ret = sockopt(a->fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3));
	if (ret)
		return ret;
	/* 4.20+; without it PACKET_OUTGOING frames are skipped in rx. */
	sockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	ret = sockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
	if (ret)
		return ret;
	a->ring_len = (size_t)RING_BLOCK_SIZE * RING_BLOCKS;
	a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_LOCKED, a->fd, 0);
	if (a->ring == MAP_FAILED)	/* RLIMIT_MEMLOCK: unlocked will do */
		a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, a->fd, 0);
	if (a->ring == MAP_FAILED) {
		a->ring = NULL;
		return -errno;
	}
	return 0;
}

/* Bind to @ifindex for every protocol, go promiscuous, enlarge sndbuf. */
static int setup_bind(struct port_afpacket *a, int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	struct packet_mreq mr = { .mr_ifindex = ifindex,
				  .mr_type = PACKET_MR_PROMISC };
	int sndbuf = SNDBUF_BYTES;

	if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0)
		return -errno;
	/* FORCE goes past wmem_max (we run as root); plain as a fallback. */
	if (setsockopt(a->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) < 0)
		setsockopt(a->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			   sizeof(sndbuf));
	return 0;
}

int port_afpacket_open(const char *ifname, struct port_afpacket **out)
{
	struct port_afpacket *a;
	unsigned ifindex = ifname ? if_nametoindex(ifname) : 0;
	int ret;

	if (!ifindex)
		return -ENODEV;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	/* Protocol 0: nothing is queued before the ring and bind exist. */
	a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0) {
		ret = -errno;
		free(a);
		return ret;
	}
	ret = setup_ring(a);
	if (!ret)
		ret = setup_bind(a, (int)ifindex);
	if (ret) {
		port_afpacket_free(a);
		return ret;
	}
	*out = a;
	return 0;
}

void port_afpacket_free(struct port_afpacket *a)
{
	if (!a)
		return;
	if (a->ring)
		munmap(a->ring, a->ring_len);
	close(a->fd);
	free(a);
}

int port_afpacket_fd(const struct port_afpacket *a)
{
	return a->fd;
}

void port_afpacket_stats(struct port_afpacket *a,
			 struct port_afpacket_stats *out)
{
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof(ks);

	/* The kernel zeroes its counters on every read: accumulate. */
	if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0)
		a->st.rx_kernel_drops += ks.tp_drops;
	*out = a->st;
}

/* Receive ----------------------------------------------------------------*/

static void block_return(struct port_afpacket *a, unsigned b)
{
	a->done[b] = false;
	__atomic_store_n(&block(a, b)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
}

/* Block @a->cur was read to the end: give it back now if nothing of it is
 * still with the switch, and move on. */
static void block_finish(struct port_afpacket *a)
{
	a->done[a->cur] = true;
	if (!a->out[a->cur])
		block_return(a, a->cur);
	a->cur = (a->cur + 1) % RING_BLOCKS;
	a->pkt = NULL;
}

/* Is the next block ready? Sets up the packet walk if so. */
static bool block_begin(struct port_afpacket *a)
{
	struct tpacket_block_desc *bd = block(a, a->cur);

	if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	      TP_STATUS_USER))
		return false;
	a->pkt = (struct tpacket3_hdr *)(void *)
		((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
	a->left = bd->hdr.bh1.num_pkts;
	return true;
}

/* Linux takes the outer VLAN tag off every frame it receives, whether or
 * not the NIC offloads it, and hands it over beside the frame
 * (tp_vlan_tci, and tp_vlan_tpid when TP_STATUS_VLAN_TPID_VALID; older
 * kernels only strip 802.1Q). Put it back where it was, so the switch
 * sees the frame as it was on the wire and its policy judges the whole
 * tag stack (isolation looks through it; a dom0 or vif never receives a
 * frame with a tag it did not have). The 4 bytes come out of the
 * virtio_net_hdr just before the frame, already copied to @vh, whose
 * offsets into the frame move with it. */
static void vlan_restore(const struct tpacket3_hdr *h, struct vs_frame *f,
			 struct virtio_net_hdr *vh)
{
	uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
			h->hv1.tp_vlan_tpid : ETH_P_8021Q;
	uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;
	uint8_t *d = f->data - VLAN_HLEN;

	static_assert(VLAN_HLEN <= VNET_LEN, "no room for the tag");
	memmove(d, f->data, 2 * ETH_ALEN);
	d[12] = (uint8_t)(tpid >> 8);
	d[13] = (uint8_t)tpid;
	d[14] = (uint8_t)(tci >> 8);
	d[15] = (uint8_t)tci;
	f->data = d;
	f->len += VLAN_HLEN;
	f->cap = f->len;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		vh->csum_start += VLAN_HLEN;
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		vh->hdr_len += VLAN_HLEN;
}

/* Fill @f from ring packet @h; false when the packet is not for us. */
static bool take(struct port_afpacket *a, const struct tpacket3_hdr *h,
		 struct vs_frame *f)
{
	const struct sockaddr_ll *sll = (const void *)
		((const uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
	struct virtio_net_hdr vh;
	uint8_t *mac = (uint8_t *)(uintptr_t)h + h->tp_mac;

	if (sll->sll_pkttype == PACKET_OUTGOING) {
		a->st.rx_outgoing++;
		return false;
	}
	if (h->tp_snaplen < h->tp_len || h->tp_snaplen < VS_FRAME_MIN) {
		a->st.rx_truncated++;	/* longer than a block, or a runt */
		return false;
	}
	memcpy(&vh, mac - VNET_LEN, VNET_LEN);	/* host byte order */
	f->data = mac;
	f->len = f->cap = h->tp_snaplen;
	if (h->tp_status & TP_STATUS_VLAN_VALID) {
		vlan_restore(h, f, &vh);
		a->st.rx_vlan++;
	}
	f->vnet = (struct vs_vnet_hdr){
		.flags = vh.flags, .gso_type = vh.gso_type,
		.hdr_len = htole16(vh.hdr_len),
		.gso_size = htole16(vh.gso_size),
		.csum_start = htole16(vh.csum_start),
		.csum_offset = htole16(vh.csum_offset),
	};
	return true;
}

/* Hand the switch up to @max frames pointing into the ring. */
static int afp_rx(void *ctx, struct vs_frame *frames, unsigned max)
{
	struct port_afpacket *a = ctx;
	const struct tpacket3_hdr *h;
	unsigned i = 0;

	while (i < max && a->fifo_len < FIFO_SIZE) {
		if (!a->pkt && !block_begin(a))
			break;
		if (!a->left) {
			block_finish(a);
			continue;
		}
		h = a->pkt;
		a->pkt = (struct tpacket3_hdr *)(void *)
			((uint8_t *)a->pkt + a->pkt->tp_next_offset);
		a->left--;
		if (take(a, h, &frames[i])) {
			a->fifo[(a->fifo_head + a->fifo_len++) % FIFO_SIZE] =
				(uint16_t)a->cur;
			a->out[a->cur]++;
			i++;
		}
		if (!a->left)
			block_finish(a);
	}
	return (int)i;
}

static void afp_release(void *ctx, unsigned n)
{
	struct port_afpacket *a = ctx;
	unsigned b;

	while (n-- && a->fifo_len) {
		b = a->fifo[a->fifo_head];
		a->fifo_head = (a->fifo_head + 1) % FIFO_SIZE;
		a->fifo_len--;
		if (!--a->out[b] && a->done[b])
			block_return(a, b);
	}
}

/* Transmit ---------------------------------------------------------------*/

static void vnet_host(const struct vs_vnet_hdr *v, struct virtio_net_hdr *h)
{
	h->flags = v->flags;
	h->gso_type = v->gso_type;
	h->hdr_len = le16toh(v->hdr_len);
	h->gso_size = le16toh(v->gso_size);
	h->csum_start = le16toh(v->csum_start);
	h->csum_offset = le16toh(v->csum_offset);
}

/* One sendmmsg() for the batch. A refused frame ends it (the switch counts
 * it and the rest as tx_error): the wire has no back-pressure path, so a
 * full device queue (EAGAIN, ENOBUFS) drops like a NIC would. */
static unsigned afp_tx(void *ctx, const struct vs_frame *const *frames,
		       unsigned n)
{
	struct port_afpacket *a = ctx;
	struct virtio_net_hdr vh[VS_BATCH];
	struct iovec iov[VS_BATCH][3];
	struct mmsghdr msg[VS_BATCH];
	unsigned i, sent = 0;
	int r;

	if (n > VS_BATCH)
		n = VS_BATCH;
	for (i = 0; i < n; i++) {
		vnet_host(&frames[i]->vnet, &vh[i]);
		iov[i][0] = (struct iovec){ &vh[i], VNET_LEN };
		iov[i][1] = (struct iovec){ (void *)(uintptr_t)frames[i]->data,
					    vs_frame_head_len(frames[i]) };
		iov[i][2] = (struct iovec){ (void *)(uintptr_t)frames[i]->tail,
					    frames[i]->tail_len };
		msg[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_iov = iov[i],
			.msg_iovlen = frames[i]->tail_len ? 3 : 2 } };
	}
	while (sent < n) {
		r = sendmmsg(a->fd, msg + sent, n - sent, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (errno != EAGAIN && errno != ENOBUFS)
				a->st.tx_errors++;
			break;
		}
		sent += (unsigned)r;
	}
	return sent;
}

const struct vs_port_ops port_afpacket_ops = {
	.tx = afp_tx,
	.rx = afp_rx,
	.release = afp_release,
};

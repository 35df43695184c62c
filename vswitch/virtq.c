// SPDX-License-Identifier: GPL-2.0-or-later
/* virtq.c - the split virtqueue of a vhost-user back end (see virtq.h)
 *
 * Reading guest memory: the ring indexes are loaded once with atomics
 * (acquire for avail->idx, which orders every later read of the ring and
 * the descriptors it hands over), a descriptor is copied to the stack and
 * a compiler barrier keeps the compiler from reading it again from guest
 * memory, and every address is translated through the memory map, whole.
 */

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtq.h"

/* Memory map ------------------------------------------------------------*/

int virtq_mem_add(struct virtq_mem *m, uint64_t gpa, uint64_t size,
		  uint64_t qva, void *host)
{
	struct virtq_region *r;

	if (!size || !host || gpa + (size - 1) < gpa || qva + (size - 1) < qva)
		return -EINVAL;
	if (m->n >= VIRTQ_REGIONS_MAX)
		return -ENOSPC;
	r = &m->r[m->n++];
	r->gpa = gpa;
	r->size = size;
	r->qva = qva;
	r->host = host;
	return 0;
}

static inline void *translate(const struct virtq_mem *m, uint64_t addr,
			      uint64_t len, bool qva)
{
	unsigned i;

	for (i = 0; i < m->n && i < VIRTQ_REGIONS_MAX; i++) {
		const struct virtq_region *r = &m->r[i];
		uint64_t base = qva ? r->qva : r->gpa;
		uint64_t off;

		if (addr < base)
			continue;
		off = addr - base;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

/* translate() of a guest physical address, inlined where the ring looks
 * up its own buffers (every frame does, more than once). */
static inline void *buf_host(const struct virtq_mem *m, uint64_t addr,
			     uint64_t len)
{
	return translate(m, addr, len, false);
}

void *virtq_gpa_to_host(const struct virtq_mem *m, uint64_t addr,
			uint64_t len)
{
	return translate(m, addr, len, false);
}

void *virtq_qva_to_host(const struct virtq_mem *m, uint64_t addr,
			uint64_t len)
{
	return translate(m, addr, len, true);
}

/* Dirty log ---------------------------------------------------------------*/

/* Mark the pages of guest range [@gpa, @gpa + @len). QEMU reads the bitmap
 * concurrently, hence the atomic OR. Pages past the bitmap are not ours to
 * mark (QEMU sized it for all of guest memory). */
static void log_write(const struct virtq *vq, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!vq->log || !len)
		return;
	page = gpa / VIRTQ_LOG_PAGE;
	last = (gpa + (len - 1)) / VIRTQ_LOG_PAGE;
	if (gpa + (len - 1) < gpa)
		last = UINT64_MAX / VIRTQ_LOG_PAGE;
	for (; page <= last && page / 8 < vq->log_size; page++)
		__atomic_fetch_or(&vq->log[page / 8], (uint8_t)(1u << (page % 8)),
				  __ATOMIC_RELAXED);
}

static void log_used(const struct virtq *vq, size_t off, size_t len)
{
	log_write(vq, vq->log_used + off, len);
}

/* Set up ------------------------------------------------------------------*/

static bool has(const struct virtq *vq, int bit)
{
	return vq->features & VIRTQ_FEAT(bit);
}

static int fail(struct virtq *vq, int err)
{
	if (!vq->broken)
		vq->broken = err;
	return vq->broken;
}

int virtq_init(struct virtq *vq, const struct virtq_mem *mem,
	       const struct virtq_config *cfg)
{
	unsigned size = cfg->size;

	memset(vq, 0, sizeof(*vq));
	vq->broken = -EINVAL;
	if (!size || size > VIRTQ_SIZE_MAX || (size & (size - 1)))
		return -EINVAL;
	vq->desc = virtq_qva_to_host(mem, cfg->desc_qva, VIRTQ_DESC_BYTES(size));
	vq->avail = virtq_qva_to_host(mem, cfg->avail_qva,
				      VIRTQ_AVAIL_BYTES(size));
	vq->used = virtq_qva_to_host(mem, cfg->used_qva, VIRTQ_USED_BYTES(size));
	if (!vq->desc || !vq->avail || !vq->used ||
	    (uintptr_t)vq->desc % 16 || (uintptr_t)vq->avail % 2 ||
	    (uintptr_t)vq->used % 4)
		return -EINVAL;
	vq->mem = mem;
	vq->size = size;
	vq->features = cfg->features;
	vq->last_avail_idx = cfg->last_avail_idx;
	vq->used_idx = le16toh(__atomic_load_n(&vq->used->idx,
					       __ATOMIC_ACQUIRE));
	vq->published = vq->used_idx;
	vq->log = cfg->log;
	vq->log_size = cfg->log ? cfg->log_size : 0;
	vq->log_used = cfg->log_used;
	vq->broken = 0;
	/* kicks on, whatever a previous back end left there */
	vq->notify_off = true;
	virtq_notify(vq, true);
	return 0;
}

int virtq_broken(const struct virtq *vq)
{
	return vq->broken;
}

static uint16_t avail_idx(const struct virtq *vq)
{
	return le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
}

bool virtq_pending(const struct virtq *vq)
{
	return !vq->broken && avail_idx(vq) != vq->last_avail_idx;
}

/* Chains ------------------------------------------------------------------*/

/* What a chain walk collects, and where it stands. */
struct walk {
	struct virtq_iov *iov;
	unsigned max, n;
	uint64_t total;
	bool write;			/* receive chain: device-writable */
};

/* Copy descriptor @i of @table once; the barrier keeps the compiler from
 * reading guest memory again in place of the copy. */
static void desc_get(struct virtq_desc *d, const struct virtq_desc *table,
		     unsigned i)
{
	memcpy(d, &table[i], sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* Add the buffer of descriptor @d to @w. */
static int walk_add(const struct virtq *vq, struct walk *w,
		    const struct virtq_desc *d)
{
	uint8_t *p;

	if (!(d->flags & VIRTQ_DESC_F_WRITE) != !w->write)
		return -EACCES;
	w->total += d->len;
	if (!w->write && w->total > VIRTQ_CHAIN_MAX)
		return -E2BIG;
	p = buf_host(vq->mem, d->addr, d->len);
	if (!p)
		return -EFAULT;
	if (!d->len)
		return 0;
	if (w->n >= w->max)
		return -E2BIG;
	w->iov[w->n].base = p;
	w->iov[w->n].len = d->len;
	w->iov[w->n].gpa = d->addr;
	w->n++;
	return 0;
}

/* Switch @table to the indirect table descriptor @d points at. Only a
 * head may be indirect (as Linux, libvhost-user and DPDK have it), which
 * also rules out nesting. */
static int walk_indirect(const struct virtq *vq, const struct virtq_desc *d,
			 unsigned seen, const struct virtq_desc **table,
			 unsigned *tsize)
{
	if (!has(vq, VIRTQ_F_INDIRECT_DESC) || seen != 1 ||
	    (d->flags & VIRTQ_DESC_F_NEXT) || !d->len ||
	    d->len % sizeof(struct virtq_desc) ||
	    d->len / sizeof(struct virtq_desc) > VIRTQ_SIZE_MAX)
		return -EINVAL;
	*table = buf_host(vq->mem, d->addr, d->len);
	if (!*table)
		return -EFAULT;
	*tsize = d->len / sizeof(struct virtq_desc);
	return 0;
}

/* Walk the chain at @head into @w. A chain may not visit more
 * descriptors than its table holds, so a loop ends after at most size + 1
 * steps per table (no per-walk bookkeeping on the fast path: a looping
 * ring costs one such walk, then it is broken). */
static int walk_chain(const struct virtq *vq, uint16_t head, struct walk *w)
{
	const struct virtq_desc *table = vq->desc;
	unsigned tsize = vq->size, seen = 0, i = head;
	bool indirect = false;
	struct virtq_desc d;
	int ret;

	for (;;) {
		if (i >= tsize)
			return -ERANGE;
		if (++seen > tsize)
			return -ELOOP;
		desc_get(&d, table, i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return -EINVAL;
			ret = walk_indirect(vq, &d, seen, &table, &tsize);
			if (ret)
				return ret;
			indirect = true;
			seen = 0;
			i = 0;
			continue;
		}
		ret = walk_add(vq, w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

/* Take the next available head into *@head: 0, -ENOENT when there is
 * none, or -ERANGE when the guest claims more than the ring holds. */
static int take_head(const struct virtq *vq, uint16_t last, uint16_t *head)
{
	uint16_t avail = avail_idx(vq);
	const uint16_t *slot;

	if (avail == last)
		return -ENOENT;
	if ((uint16_t)(avail - last) > vq->size)
		return -ERANGE;
	slot = &vq->avail->ring[last & (vq->size - 1)];
	*head = le16toh(__atomic_load_n(slot, __ATOMIC_RELAXED));
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_iov *iov, unsigned max,
	      uint16_t *head, uint32_t *len)
{
	struct walk w = { .iov = iov, .max = max };
	int ret;

	if (vq->broken)
		return vq->broken;
	ret = take_head(vq, vq->last_avail_idx, head);
	if (ret == -ENOENT)
		return ret;
	if (!ret)
		ret = walk_chain(vq, *head, &w);
	if (ret)
		return fail(vq, ret);
	vq->last_avail_idx++;
	*len = (uint32_t)w.total;
	return (int)w.n;
}

/* Headers -----------------------------------------------------------------*/

unsigned virtq_vnet_hdr_len(const struct virtq *vq)
{
	return has(vq, VIRTQ_F_MRG_RXBUF) || has(vq, VIRTQ_F_VERSION_1) ?
	       VIRTQ_HDR_MRG_LEN : VIRTQ_HDR_LEN;
}

size_t virtq_iov_copy(const struct virtq_iov *iov, unsigned n, size_t off,
		      void *dst, size_t cap)
{
	uint8_t *out = dst;
	size_t done = 0;
	unsigned i;

	if (n && off < iov[0].len && iov[0].len - off >= cap) {
		memcpy(out, iov[0].base + off, cap);	/* one segment has it */
		return cap;
	}
	for (i = 0; i < n && done < cap; i++) {
		size_t k;

		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		k = iov[i].len - off;
		if (k > cap - done)
			k = cap - done;
		memcpy(out + done, iov[i].base + off, k);
		done += k;
		off = 0;
	}
	return done;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int virtq_vnet_hdr_read(const struct virtq *vq, const struct virtq_iov *iov,
			unsigned n, struct vs_vnet_hdr *hdr)
{
	unsigned hl = virtq_vnet_hdr_len(vq);
	uint8_t b[VIRTQ_HDR_MRG_LEN];

	/* one fixed-size copy when the first segment holds it (the usual
	 * case), the general gather otherwise */
	if (n && iov[0].len >= VIRTQ_HDR_MRG_LEN)
		memcpy(b, iov[0].base, VIRTQ_HDR_MRG_LEN);
	else if (virtq_iov_copy(iov, n, 0, b, hl) < hl)
		return -EBADMSG;
	hdr->flags = b[0];
	hdr->gso_type = b[1];
	hdr->hdr_len = get_le16(b + 2);
	hdr->gso_size = get_le16(b + 4);
	hdr->csum_start = get_le16(b + 6);
	hdr->csum_offset = get_le16(b + 8);
	hdr->num_buffers = 0;
	return (int)hl;
}

static void hdr_build(uint8_t *b, const struct vs_vnet_hdr *h,
		      uint16_t num_buffers)
{
	b[0] = h->flags;
	b[1] = h->gso_type;
	put_le16(b + 2, h->hdr_len);
	put_le16(b + 4, h->gso_size);
	put_le16(b + 6, h->csum_start);
	put_le16(b + 8, h->csum_offset);
	put_le16(b + 10, num_buffers);
}

/* Used ring ---------------------------------------------------------------*/

/* Write used entry @slot (not yet published) and log it. */
static void used_put(struct virtq *vq, uint16_t slot, uint16_t head,
		     uint32_t len)
{
	unsigned i = slot & (vq->size - 1);
	struct virtq_used_elem e = { htole32(head), htole32(len) };

	memcpy(&vq->used->ring[i], &e, sizeof(e));
	log_used(vq, offsetof(struct virtq_used, ring) + i * sizeof(e),
		 sizeof(e));
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	if (vq->broken)
		return vq->broken;
	used_put(vq, vq->used_idx++, head, len);
	return 0;
}

/* Where avail_event points: at the next entry (a kick when the guest
 * passes it), or just behind it (no kick until the index wraps). */
static uint16_t avail_event(const struct virtq *vq)
{
	return (uint16_t)(vq->last_avail_idx - (vq->notify_off ? 1 : 0));
}

static void event_put(struct virtq *vq)
{
	size_t off = offsetof(struct virtq_used, ring) +
		     vq->size * sizeof(struct virtq_used_elem);

	__atomic_store_n((uint16_t *)((uint8_t *)vq->used + off),
			 htole16(avail_event(vq)), __ATOMIC_RELAXED);
	log_used(vq, off, sizeof(uint16_t));
}

/* The kernel's vring_need_event(): did [old, new) step over @event? */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_flush(struct virtq *vq)
{
	uint16_t old = vq->published, new_idx = vq->used_idx;
	uint16_t ev;

	if (vq->broken)
		return false;
	if (has(vq, VIRTQ_F_EVENT_IDX))
		event_put(vq);	/* kick us once the guest passes what we took */
	if (old != new_idx) {
		__atomic_store_n(&vq->used->idx, htole16(new_idx),
				 __ATOMIC_RELEASE);
		log_used(vq, offsetof(struct virtq_used, idx), sizeof(uint16_t));
		vq->published = new_idx;
	}
	/* Our stores before the guest's flags/used_event (store-load). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (old == new_idx)
		return false;
	if (has(vq, VIRTQ_F_EVENT_IDX)) {
		ev = le16toh(__atomic_load_n(&vq->avail->ring[vq->size],
					     __ATOMIC_RELAXED));
		return need_event(ev, new_idx, old);
	}
	return !(le16toh(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED)) &
		 VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Prefetch ----------------------------------------------------------------*/

/* Prefetching for writing is PREFETCHW on x86 (a CPU without it takes it
 * for a NOP); without it the line comes in shared and the copy still
 * waits for it to be made exclusive. */
#if defined(__x86_64__)
__attribute__((target("prfchw")))
#endif
void virtq_prefetch(const struct virtq *vq, unsigned skip, unsigned count,
		    bool write)
{
	uint16_t avail = avail_idx(vq), idx = (uint16_t)(vq->last_avail_idx + skip);
	struct virtq_desc d;
	const uint8_t *p;

	if (vq->broken)
		return;
	if ((uint16_t)(avail - vq->last_avail_idx) > vq->size)
		return;
	for (; count && (uint16_t)(idx - vq->last_avail_idx) <
		       (uint16_t)(avail - vq->last_avail_idx);
	     count--, idx++) {
		uint16_t head = le16toh(__atomic_load_n(
			&vq->avail->ring[idx & (vq->size - 1)], __ATOMIC_RELAXED));

		if (head >= vq->size)
			return;		/* virtq_pop() will say why */
		desc_get(&d, vq->desc, head);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			continue;
		p = buf_host(vq->mem, d.addr, d.len < 128 ? d.len : 128);
		if (!p)
			continue;
		if (write) {
			__builtin_prefetch(p, 1, 3);
			__builtin_prefetch(p + 64, 1, 3);
		} else {
			__builtin_prefetch(p, 0, 3);
			__builtin_prefetch(p + 64, 0, 3);
		}
	}
}

/* Notifications -----------------------------------------------------------*/

void virtq_notify(struct virtq *vq, bool on)
{
	if (vq->broken || vq->notify_off == !on)
		return;
	vq->notify_off = !on;
	if (has(vq, VIRTQ_F_EVENT_IDX)) {
		event_put(vq);
	} else {
		__atomic_store_n(&vq->used->flags,
				 htole16(on ? 0 : VIRTQ_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
		log_used(vq, offsetof(struct virtq_used, flags),
			 sizeof(uint16_t));
	}
	/* the flag before the caller's last look at avail->idx */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Receive -----------------------------------------------------------------*/

/* The chains a frame goes into: head i owns iov[first[i], first[i+1]). */
struct rx_plan {
	struct virtq_iov iov[VIRTQ_RX_IOV_MAX];
	uint16_t head[VIRTQ_RX_IOV_MAX];
	unsigned first[VIRTQ_RX_IOV_MAX + 1];
	uint64_t cap[VIRTQ_RX_IOV_MAX];
	unsigned nheads;
};

/* Gather chains until they hold @need bytes (one chain without
 * MRG_RXBUF), without consuming them. */
static int rx_plan(struct virtq *vq, struct rx_plan *p, uint64_t need)
{
	bool mrg = has(vq, VIRTQ_F_MRG_RXBUF);
	struct walk w = { .iov = p->iov, .max = VIRTQ_RX_IOV_MAX, .write = true };
	uint16_t last = vq->last_avail_idx;
	int ret;

	p->nheads = 0;
	p->first[0] = 0;
	while (w.total < need) {
		uint64_t before = w.total;

		if (p->nheads >= VIRTQ_RX_IOV_MAX)
			return -ENOBUFS;
		ret = take_head(vq, last, &p->head[p->nheads]);
		if (ret)
			return ret == -ENOENT ? -ENOBUFS : fail(vq, ret);
		ret = walk_chain(vq, p->head[p->nheads], &w);
		if (ret == -E2BIG)
			return -ENOBUFS;	/* more segments than we gather */
		if (ret)
			return fail(vq, ret);
		p->cap[p->nheads] = w.total - before;
		p->first[++p->nheads] = w.n;
		last++;
		if (!mrg && w.total < need)
			return -EMSGSIZE;
	}
	return 0;
}

/* Copy @len bytes of @src into the @n segments at @iov from *@seg, *@off
 * on (the plan made sure they hold it; the bound on *@seg is for safety),
 * marking the pages written in the dirty log. */
static void rx_copy(const struct virtq *vq, const struct virtq_iov *iov,
		    unsigned n, unsigned *seg, uint32_t *off, const uint8_t *src,
		    size_t len)
{
	while (len && *seg < n) {
		const struct virtq_iov *v = &iov[*seg];
		size_t k = v->len - *off;

		if (k > len)
			k = len;
		memcpy(v->base + *off, src, k);
		log_write(vq, v->gpa + *off, k);
		src += k;
		len -= k;
		*off += (uint32_t)k;
		if (*off == v->len) {
			(*seg)++;
			*off = 0;
		}
	}
}

/* Copy frame @f, its vnet header (@hl bytes, num_buffers @nheads) first,
 * into the @n segments at @iov. */
static void rx_fill(const struct virtq *vq, const struct virtq_iov *iov,
		    unsigned n, unsigned hl, uint16_t nheads,
		    const struct vs_frame *f)
{
	uint8_t hdr[VIRTQ_HDR_MRG_LEN];
	unsigned seg = 0;
	uint32_t off = 0;

	hdr_build(hdr, &f->vnet, nheads);
	if (n == 1 && iov[0].len >= hl + (uint64_t)f->len) {
		/* the usual case: one buffer holds it all, one log call */
		uint8_t *p = iov[0].base;
		uint32_t head = vs_frame_head_len(f);

		memcpy(p, hdr, hl);
		memcpy(p + hl, f->data, head);
		if (f->tail_len)
			memcpy(p + hl + head, f->tail, f->tail_len);
		log_write(vq, iov[0].gpa, hl + (uint64_t)f->len);
		return;
	}
	rx_copy(vq, iov, n, &seg, &off, hdr, hl);
	rx_copy(vq, iov, n, &seg, &off, f->data, vs_frame_head_len(f));
	if (f->tail_len)
		rx_copy(vq, iov, n, &seg, &off, f->tail, f->tail_len);
}

/* Write the used entries of plan @p for a frame of @left bytes (header
 * included) and take its heads. */
static void rx_use(struct virtq *vq, const struct rx_plan *p, uint64_t left)
{
	for (unsigned i = 0; i < p->nheads; i++) {
		uint64_t n = left < p->cap[i] ? left : p->cap[i];

		used_put(vq, vq->used_idx++, p->head[i], (uint32_t)n);
		left -= n;
	}
	vq->last_avail_idx += (uint16_t)p->nheads;
}

int virtq_rx_put(struct virtq *vq, const struct vs_frame *f)
{
	struct rx_plan p;		/* about 5 KiB of stack */
	unsigned hl = virtq_vnet_hdr_len(vq);
	int ret;

	if (vq->broken)
		return vq->broken;
	ret = rx_plan(vq, &p, hl + (uint64_t)f->len);
	if (ret)
		return ret;
	rx_fill(vq, p.iov, p.first[p.nheads], hl, (uint16_t)p.nheads, f);
	rx_use(vq, &p, hl + (uint64_t)f->len);
	return (int)p.nheads;
}

/* A frame of a burst whose copy waits for the end of the plan pass. */
struct rx_later {
	const struct vs_frame *f;
	struct virtq_iov iov[VIRTQ_BURST_SEGS];
	unsigned n;
	uint16_t nheads;
};

/* rx_plan() of the usual frame, in short: the next chain is one
 * device-writable descriptor that holds the @need bytes. Takes it, with
 * its used entry written, into @l; false, with nothing taken, for any
 * other chain (rx_plan() takes it, or says what is wrong with it). */
static bool rx_plan_one(struct virtq *vq, uint64_t need, struct rx_later *l)
{
	struct virtq_desc d;
	uint16_t head;
	uint8_t *p;

	if (take_head(vq, vq->last_avail_idx, &head) || head >= vq->size)
		return false;
	desc_get(&d, vq->desc, head);
	if ((d.flags & (VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT |
			VIRTQ_DESC_F_INDIRECT)) != VIRTQ_DESC_F_WRITE ||
	    d.len < need)
		return false;
	p = buf_host(vq->mem, d.addr, d.len);
	if (!p)
		return false;
	l->iov[0] = (struct virtq_iov){ .base = p, .len = d.len,
					.gpa = d.addr };
	l->n = 1;
	l->nheads = 1;
	used_put(vq, vq->used_idx++, head, (uint32_t)need);
	vq->last_avail_idx++;
	return true;
}

#if defined(__x86_64__)
__attribute__((target("prfchw")))	/* PREFETCHW, see virtq_prefetch() */
#endif
int virtq_rx_put_burst(struct virtq *vq, const struct vs_frame *const *frames,
		       unsigned n, int *err)
{
	struct rx_later later[VIRTQ_BURST_MAX];
	unsigned hl = virtq_vnet_hdr_len(vq), i, k, nl = 0;
	struct rx_plan p;
	int ret = 0;

	if (n > VIRTQ_BURST_MAX)
		n = VIRTQ_BURST_MAX;
	for (i = 0; i < n && !vq->broken; i++) {
		const struct vs_frame *f = frames[i];
		unsigned nseg;

		if (rx_plan_one(vq, hl + (uint64_t)f->len, &later[nl])) {
			later[nl].f = f;
			__builtin_prefetch(later[nl].iov[0].base, 1, 3);
			if (hl + f->len > 64)
				__builtin_prefetch(later[nl].iov[0].base + 64,
						   1, 3);
			nl++;
			continue;
		}
		ret = rx_plan(vq, &p, hl + (uint64_t)f->len);
		if (ret)
			break;
		nseg = p.first[p.nheads];
		if (nseg <= VIRTQ_BURST_SEGS) {
			struct rx_later *l = &later[nl++];

			l->f = f;
			l->n = nseg;
			l->nheads = (uint16_t)p.nheads;
			/* a constant size: vector moves, not a rep movs whose
			 * start-up costs more than these 96 bytes */
			memcpy(l->iov, p.iov, sizeof(l->iov));
			/* its lines on their way while the rest is planned */
			__builtin_prefetch(p.iov[0].base, 1, 3);
			if (nseg > 1 || p.iov[0].len > 64)
				__builtin_prefetch(nseg > 1 ? p.iov[1].base :
						   p.iov[0].base + 64, 1, 3);
		} else {
			rx_fill(vq, p.iov, nseg, hl, (uint16_t)p.nheads, f);
		}
		rx_use(vq, &p, hl + (uint64_t)f->len);
	}
	/* the copies side by side: their cache misses overlap */
	for (k = 0; k < nl; k++)
		rx_fill(vq, later[k].iov, later[k].n, hl, later[k].nheads,
			later[k].f);
	if (vq->broken)
		ret = vq->broken;
	*err = i < n ? ret : 0;
	return (int)i;
}

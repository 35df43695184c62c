// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_vhost_msg.c - libFuzzer target over vhost_msg_parse() and
 * vhost_state_apply()
 *
 * The input is a session: a run of records, each one byte giving the
 * number of (fake) descriptors that came with the message, then the
 * message, as long as its header's size field says (or whatever is left).
 * Each message goes through the parser and, if accepted, the device state
 * machine, as a port would feed them. Beyond ASan/UBSan, the target
 * checks that an accepted message's sizes match its request, that its
 * descriptors are exactly the ones given (none kept on error), that a
 * refused message leaves the state unchanged, and that replies fit.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhost_msg.h"
#include "fuzz.h"

/* An accepted message: its size is the one its request must have, and
 * its descriptors are the @nfds given at @fds. */
static void check_accepted(const struct vhost_msg *m, size_t len,
			   const int *fds, unsigned nfds)
{
	long want = vhost_msg_payload_size(m->request);

	CHECK(m->size == len - VHOST_MSG_HDR_SIZE);
	CHECK((m->flags & VHOST_MSG_VERSION_MASK) == VHOST_MSG_VERSION);
	if (m->request == VHOST_USER_SET_MEM_TABLE) {
		CHECK(m->u.mem.nregions >= 1 &&
		      m->u.mem.nregions <= VHOST_MSG_MAX_REGIONS);
		CHECK(m->size == 8 + 32 * m->u.mem.nregions);
		CHECK(m->nfds == m->u.mem.nregions);
	} else {
		CHECK(want >= 0 && m->size == (uint32_t)want);
	}
	CHECK(m->nfds == nfds && m->nfds <= VHOST_MSG_MAX_FDS);
	CHECK(!nfds || !memcmp(m->fds, fds, nfds * sizeof(*fds)));
	CHECK(m->ring < VHOST_MAX_RINGS);
}

/* Build the reply a port would send, into a buffer of the documented
 * size; ASan catches a write past it. */
static void reply(const struct vhost_msg *m, const struct vhost_dev_state *st,
		  bool ok)
{
	uint8_t out[VHOST_MSG_REPLY_MAX];
	size_t n = 0;

	switch (m->request) {
	case VHOST_USER_GET_FEATURES:
		n = vhost_msg_reply_u64(m, VHOST_MSG_FEATURES_OFFERED, out,
					sizeof(out));
		break;
	case VHOST_USER_GET_VRING_BASE:
		n = vhost_msg_reply_state(m, m->ring, 0, out, sizeof(out));
		break;
	case VHOST_USER_SET_LOG_BASE:
		n = vhost_msg_reply_empty(m, out, sizeof(out));
		break;
	default:
		if (vhost_msg_needs_ack(m, vhost_state_protocol(st)))
			n = vhost_msg_reply_ack(m, ok, out, sizeof(out));
		else
			return;
		break;
	}
	CHECK(n >= VHOST_MSG_HDR_SIZE && n <= sizeof(out));
}

static void check_state(const struct vhost_dev_state *st)
{
	unsigned i;

	for (i = 0; i < VHOST_MAX_RINGS; i++) {
		const struct vhost_ring_state *r = &st->ring[i];

		CHECK(r->phase <= VHOST_RING_STARTED);
		if (r->phase != VHOST_RING_IDLE)
			CHECK(r->num_set && r->base_set && r->addr_set);
		if (r->num_set)
			CHECK(r->num && r->num <= VHOST_MAX_RING_SIZE &&
			      !(r->num & (r->num - 1)));
		if (r->phase != VHOST_RING_STARTED)
			CHECK(!vhost_state_ring_live(st, i));
	}
	CHECK(!(st->features & ~VHOST_MSG_FEATURES_OFFERED));
	CHECK(!(st->protocol_features & ~VHOST_MSG_PROTOCOL_OFFERED));
}

static bool ring_equal(const struct vhost_ring_state *a,
		       const struct vhost_ring_state *b)
{
	return a->phase == b->phase && a->num_set == b->num_set &&
	       a->base_set == b->base_set && a->addr_set == b->addr_set &&
	       a->kick_set == b->kick_set && a->call_set == b->call_set &&
	       a->err_set == b->err_set && a->enabled == b->enabled &&
	       a->call_nofd == b->call_nofd && a->num == b->num &&
	       a->base == b->base && a->addr.index == b->addr.index &&
	       a->addr.flags == b->addr.flags && a->addr.desc == b->addr.desc &&
	       a->addr.used == b->addr.used && a->addr.avail == b->addr.avail &&
	       a->addr.log == b->addr.log;
}

/* Member by member: the structs have padding. */
static bool state_equal(const struct vhost_dev_state *a,
			const struct vhost_dev_state *b)
{
	unsigned i;

	if (a->owner != b->owner || a->features_set != b->features_set ||
	    a->protocol_set != b->protocol_set || a->mem_set != b->mem_set ||
	    a->log_set != b->log_set || a->features != b->features ||
	    a->protocol_features != b->protocol_features ||
	    a->mem.nregions != b->mem.nregions ||
	    a->log.mmap_size != b->log.mmap_size ||
	    a->log.mmap_offset != b->log.mmap_offset ||
	    memcmp(a->mem.regions, b->mem.regions, sizeof(a->mem.regions)))
		return false;
	for (i = 0; i < VHOST_MAX_RINGS; i++)
		if (!ring_equal(&a->ring[i], &b->ring[i]))
			return false;
	return true;
}

/* One message of @len bytes with @nfds fake descriptors. */
static void one(struct vhost_dev_state *st, const uint8_t *buf, size_t len,
		unsigned nfds, int *next_fd)
{
	int fds[VHOST_MSG_MAX_FDS + 2];
	struct vhost_dev_state before;
	struct vhost_msg m;
	char err[96];
	unsigned i;
	int ret;

	for (i = 0; i < nfds; i++)
		fds[i] = (*next_fd)++;
	ret = vhost_msg_parse(buf, len, fds, nfds, &m, err, sizeof(err));
	CHECK(memchr(err, '\0', sizeof(err)));
	if (ret) {
		CHECK(ret == -EPROTO || ret == -EOPNOTSUPP);
		CHECK(err[0]);		/* a reason for the log */
		CHECK(m.nfds == 0);	/* the caller closes all of them */
		if (ret == -EOPNOTSUPP)
			reply(&m, st, false);
		return;
	}
	check_accepted(&m, len, fds, nfds);

	before = *st;
	ret = vhost_state_apply(st, &m, err, sizeof(err));
	CHECK(ret == 0 || ret == -EPROTO || ret == -EOPNOTSUPP);
	if (ret) {
		CHECK(err[0]);
		CHECK(state_equal(&before, st));
	}
	check_state(st);
	reply(&m, st, !ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhost_dev_state st;
	int next_fd = 100;

	vhost_state_init(&st);
	while (size) {
		unsigned nfds = data[0] % (VHOST_MSG_MAX_FDS + 2);
		size_t len, want;
		uint32_t psize;

		data++;
		size--;
		/* the header's size field says how long the message is */
		want = VHOST_MSG_HDR_SIZE;
		if (size >= VHOST_MSG_HDR_SIZE) {
			psize = (uint32_t)data[8] | (uint32_t)data[9] << 8 |
				(uint32_t)data[10] << 16 |
				(uint32_t)data[11] << 24;
			want += psize;
		}
		len = want < size ? want : size;
		one(&st, data, len, nfds, &next_fd);
		data += len;
		size -= len;
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cursor.h - bounds-checked reading of untrusted bytes
 *
 * Frames (parse.c) and vhost-user messages (vhost_msg.c) are read only
 * through a cursor: vs_take() hands out a pointer to @n bytes only when
 * they lie within the buffer, so no reader can go past its end whatever
 * a domain or a front end sends.
 */
#ifndef XENO_CURSOR_H
#define XENO_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct vs_cursor {
	const uint8_t *base;
	uint32_t len;
	uint32_t off;
};

/* vs_take() - the next @n bytes, or NULL when fewer remain. */
static inline const uint8_t *vs_take(struct vs_cursor *c, uint32_t n)
{
	const uint8_t *p;

	if (n > c->len - c->off)
		return NULL;
	p = c->base + c->off;
	c->off += n;
	return p;
}

/* vs_cursor_left() - how many bytes remain. */
static inline uint32_t vs_cursor_left(const struct vs_cursor *c)
{
	return c->len - c->off;
}

#endif /* XENO_CURSOR_H */

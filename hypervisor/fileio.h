/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio.h - xend's files written so that a crash leaves the old or the
 * new one, never a mix (the state file, sched.json) */
#ifndef XENO_FILEIO_H
#define XENO_FILEIO_H

#include <stddef.h>

/* xeno_write_all() - write all @len bytes at @buf to @fd, a file or a
 * socket (sent with MSG_NOSIGNAL: a peer gone is -EPIPE, not a signal),
 * going on after short writes and EINTR. 0 or -errno. */
int xeno_write_all(int fd, const void *buf, size_t len);

/* xend_file_write_atomic() - write @text to @path: a temporary file
 * @path.tmp, fsync, (with @prev) a hard link of the current @path to
 * @prev, rename over @path, fsync of the directory. 0 or -errno; on an
 * error @path is as it was. */
int xend_file_write_atomic(const char *path, const char *text,
			   const char *prev);

#endif /* XENO_FILEIO_H */

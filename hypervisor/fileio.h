/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio.h - xend's files written so that a crash leaves the old or the
 * new one, never a mix (the state file, sched.json) */
#ifndef XENO_FILEIO_H
#define XENO_FILEIO_H

/* xend_file_write_atomic() - write @text to @path: a temporary file
 * @path.tmp, fsync, (with @prev) a hard link of the current @path to
 * @prev, rename over @path, fsync of the directory. 0 or -errno; on an
 * error @path is as it was. */
int xend_file_write_atomic(const char *path, const char *text,
			   const char *prev);

#endif /* XENO_FILEIO_H */

/*
 * Writing a file so that it appears complete or not at all: write a temporary file in the same
 * directory, flush and fsync it, then rename it over the target. A failed or aborted write removes
 * the temporary file and leaves any existing target untouched.
 *
 * The replacement keeps the replaced file's permission bits (and, when we are root, its owner and
 * group); a new file gets 0666 & ~umask, as fopen would create it. Replacing a file gives it a new
 * inode, so other hard links to the old one keep the old content (as with `sed -i`). A symbolic
 * link is followed -- to its target's directory, even when the target does not exist yet -- and
 * stays a link.
 *
 * A target that exists and is not a regular file (/dev/null, a FIFO, /dev/stdout on a pipe) is
 * written to directly: renaming over it would replace the device or pipe with a plain file.
 *
 * Commit is two steps, so that several files can be committed all or none (np_outputs): sync
 * writes each one out, and only when every sync succeeded is each renamed into place.
 */
#ifndef NP_ATOMIC_FILE_H
#define NP_ATOMIC_FILE_H

#include <stdio.h>
#include <sys/types.h>

typedef struct np_atomic_file {
    FILE *stream;         /* write here between open and sync/abort */
    char *target_path;    /* owned */
    char *temporary_path; /* owned; NULL when writing directly */
} np_atomic_file;

/*
 * Creates the temporary file for path (or opens a non-regular target for writing), with the
 * process's umask given by the caller (read once at start-up: umask(2) can only be read by
 * changing it, which races with other threads). Opening a FIFO waits for its reader, and ends with
 * ECANCELED when cancel_fd (-1: none) becomes readable first. Returns 0, or -1 with errno set
 * (nothing is left behind).
 */
int np_atomic_file_open(np_atomic_file *file, const char *path, mode_t umask, int cancel_fd);

/* The path a target that does not exist yet will be created at: symbolic links followed, dangling
 * ones included (malloc'd; NULL with errno set). */
char *np_atomic_file_destination(const char *path);

/*
 * Flushes, fsyncs and closes the stream. The file is then complete but not yet in place: rename or
 * abort it. Returns 0, or -1 with errno set (abort it then).
 */
int np_atomic_file_sync(np_atomic_file *file);

/*
 * np_atomic_file_sync, then renames the temporary file into place (nothing to do for a direct
 * write) and frees what file owns. Returns 0, or -1 with errno set, in which case the temporary
 * file has been removed (when the sync failed: np_atomic_file_abort).
 */
int np_atomic_file_commit(np_atomic_file *file);

/* Closes and removes the temporary file, leaving the target as it was. Frees what file owns. */
void np_atomic_file_abort(np_atomic_file *file);

#endif

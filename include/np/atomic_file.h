/*
 * Writing a file so that it appears complete or not at all: write a temporary file in the same
 * directory, flush and fsync it, then rename it over the target. A failed or aborted write removes
 * the temporary file and leaves any existing target untouched.
 *
 * A target that exists and is not a regular file (/dev/null, a FIFO, /dev/stdout) is written to
 * directly: renaming over it would replace the device or pipe with a plain file.
 */
#ifndef NP_ATOMIC_FILE_H
#define NP_ATOMIC_FILE_H

#include <stdio.h>

typedef struct np_atomic_file {
    FILE *stream;         /* write here between open and commit/abort */
    char *target_path;    /* owned */
    char *temporary_path; /* owned; NULL when writing directly */
} np_atomic_file;

/* Creates the temporary file for path. Returns 0, or -1 with errno set (nothing is left behind). */
int np_atomic_file_open(np_atomic_file *file, const char *path);

/*
 * Flushes, fsyncs, closes and renames the temporary file into place. Returns 0, or -1 with errno
 * set, in which case the temporary file has been removed. Frees what file owns either way.
 */
int np_atomic_file_commit(np_atomic_file *file);

/* Closes and removes the temporary file, leaving the target as it was. Frees what file owns. */
void np_atomic_file_abort(np_atomic_file *file);

#endif

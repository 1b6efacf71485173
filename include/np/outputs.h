/*
 * The files a run writes, committed all or none.
 *
 * Each file (np_atomic_file) is written to a temporary beside its target. np_outputs_commit first
 * syncs every one of them (flush, fsync, close) and renames them into place only when all
 * succeeded; on any failure none is renamed and every temporary is removed.
 *
 * Standard output cannot be renamed. When it carries a results document, the caller writes it
 * after np_outputs_sync and before np_outputs_commit, and marks it with np_outputs_guard_stdout:
 * if standard output is a regular file, a failure (or an emergency exit) truncates it back to its
 * length before the run, so it holds the whole document or what it held before; a pipe or a
 * terminal cannot be un-written.
 *
 * Threads: one thread opens, syncs, commits and aborts. np_outputs_emergency_cleanup may run on any
 * thread at any time (the signal watcher, before the process exits at once): the set's mutex orders
 * it with every change to the set, so it never touches a name that was freed or a temporary that
 * was already renamed into place -- the renames of a commit happen all together under the mutex.
 */
#ifndef NP_OUTPUTS_H
#define NP_OUTPUTS_H

#include <stdio.h>
#include <sys/types.h>

typedef struct np_outputs np_outputs;

/* An empty set. umask_value: the process's umask, read once at start-up; cancel_fd: see
 * np_atomic_file_open (-1: none). NULL when out of memory. */
np_outputs *np_outputs_create(mode_t umask_value, int cancel_fd);

/* Opens path's temporary file (np_atomic_file_open) and returns its stream, or NULL with errno
 * set. */
FILE *np_outputs_open(np_outputs *outputs, const char *path);

/*
 * Flushes, fsyncs and closes every open file. Returns 0, or -1 with errno set and *failed_path the
 * target whose write failed; then call np_outputs_abort.
 */
int np_outputs_sync(np_outputs *outputs, const char **failed_path);

/* From now until commit or abort, standard output (fd) holds a document being written: see the
 * header comment. */
void np_outputs_guard_stdout(np_outputs *outputs, int fd);

/*
 * Renames every synced file into place. With several files, each target that exists first gets a
 * second name (a hard link), so that a failed rename, or an emergency cleanup between two renames,
 * puts every target back: all of them are replaced, or none. Returns 0, or -1 with errno set and
 * *failed_path (valid until the set is destroyed); then no target was replaced and every
 * temporary is removed.
 */
int np_outputs_commit(np_outputs *outputs, const char **failed_path);

/* Removes every temporary file (and un-writes a guarded standard output where it can). */
void np_outputs_abort(np_outputs *outputs);

/*
 * For an exit that cannot wait: removes the temporaries and un-writes a guarded standard output,
 * then keeps the mutex, so the set cannot change again before the process ends.
 */
void np_outputs_emergency_cleanup(void *context);

/* Aborts whatever was not committed and frees the set. NULL is allowed. */
void np_outputs_destroy(np_outputs *outputs);

#endif

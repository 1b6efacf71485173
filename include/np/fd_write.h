/*
 * Writing to a descriptor without being stuck there once the run is cancelled.
 *
 * A write to a pipe whose reader has stopped reading blocks for ever, and a cancellation cannot
 * reach a thread inside write(2). So a writer that must stay cancellable (the collector streaming
 * NDJSON results) polls the descriptor together with the cancellation descriptor, and never writes
 * more to a pipe than a free slot takes. After the cancellation it keeps writing while the reader
 * keeps reading, and gives up once the pipe stays full for NP_FD_WRITE_GRACE_MS.
 */
#ifndef NP_FD_WRITE_H
#define NP_FD_WRITE_H

#include <stddef.h>

/* How long a cancelled writer waits for a full pipe to take more, in ms. */
#define NP_FD_WRITE_GRACE_MS 100

/*
 * Writes all of buf[0..len) to fd. cancel_fd (-1: none) is np_cancel_fd. Returns 0, ECANCELED
 * when the run was cancelled and fd took nothing for NP_FD_WRITE_GRACE_MS (part of buf may have
 * been written), or the errno of a failed write (EPIPE, ENOSPC, ...).
 */
int np_fd_write_all(int fd, const char *buf, size_t len, int cancel_fd);

#endif

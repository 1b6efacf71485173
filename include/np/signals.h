/*
 * SIGINT, SIGTERM and the run's deadline, turned into a cancellation of the run.
 *
 * A dedicated thread waits for the signals with sigtimedwait (so nothing runs in a signal
 * handler): the first SIGINT or SIGTERM, or the deadline, cancels the run; a second SIGINT removes
 * the temporary output files and exits at once with status 130. The signals must be blocked in
 * every thread, so np_signals_block is called before any other thread is created.
 */
#ifndef NP_SIGNALS_H
#define NP_SIGNALS_H

#include <stddef.h>

#include "np/cancel.h"

typedef struct np_signals np_signals;

/* Blocks SIGINT, SIGTERM and the watcher's stop signal in the calling thread (and the threads it
 * creates afterwards). Returns 0 or an error number. */
int np_signals_block(void);

/*
 * Starts the watcher. deadline_ms > 0 cancels the run with NP_CANCEL_DEADLINE that many ms from
 * now. cleanup_paths (count entries, may be NULL) are unlinked before an immediate exit on a second
 * SIGINT; the array must stay valid until np_signals_stop. Returns NULL with errno set on failure.
 */
np_signals *np_signals_start(np_cancel *cancel, long long deadline_ms,
                             const char *const *cleanup_paths, size_t count);

/* Stops and joins the watcher and frees it. NULL is allowed. */
void np_signals_stop(np_signals *signals);

#endif

/*
 * Signals and the deadline, turned into a cancellation of the run or a clean exit.
 *
 * A dedicated thread waits for the signals with sigtimedwait (so nothing runs in a signal
 * handler). The first SIGINT, SIGTERM or SIGHUP, or the deadline, cancels the run; a second of
 * those signals runs the cleanup (removing temporary files) and exits at once with 128 + its
 * number. Any other catchable signal that would end the process runs the cleanup first and then
 * ends it the same way. The signals must be blocked in every thread, so np_signals_block is called
 * before any other thread is created, and the watcher is kept until the program is about to
 * return from main: signals are honoured in every phase, writing the output included.
 */
#ifndef NP_SIGNALS_H
#define NP_SIGNALS_H

#include <stddef.h>

#include "np/cancel.h"

typedef struct np_signals np_signals;

/* Blocks the watched signals in the calling thread (and the threads it creates afterwards).
 * Returns 0 or an error number. */
int np_signals_block(void);

/* The signal that gives reason (SIGINT, SIGTERM, SIGHUP), or 0 for a reason no signal gives. */
int np_signals_signal_of(np_cancel_reason reason);

/* After np_signals_stop, at the very end: unblocks the watched signals, so one that came after the
 * watcher stopped is delivered now, with its default action (the process ends by it). */
void np_signals_unblock(void);

/*
 * Starts the watcher. deadline_ms > 0 cancels the run with NP_CANCEL_DEADLINE that many ms from
 * now. cleanup(cleanup_context) (may be NULL) runs on the watcher thread before an immediate exit;
 * it must stay valid until np_signals_stop. Returns NULL with errno set on failure.
 */
np_signals *np_signals_start(np_cancel *cancel, long long deadline_ms, void (*cleanup)(void *),
                             void *cleanup_context);

/* Stops and joins the watcher and frees it. NULL is allowed. */
void np_signals_stop(np_signals *signals);

#endif

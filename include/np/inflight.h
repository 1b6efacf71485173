/*
 * `--max-inflight N`: at most N stage calls in flight at once across all threads, whichever the
 * backend (a simulated call's sleep counts as in flight), so thread mode does not open thousands
 * of connections to one server.
 *
 * A counting semaphore on a mutex and a condition variable. A wait for a slot ends early when the
 * run is cancelled: np_inflight_watch registers a cancel hook that wakes every waiter, and the
 * waiters' predicate includes the cancellation. Thread-safe; no global state. Create before the
 * threads that use it start; destroy after they are joined and after the cancel token can no
 * longer be raised (its hook touches the slots).
 */
#ifndef NP_INFLIGHT_H
#define NP_INFLIGHT_H

#include <pthread.h>

#include "np/cancel.h"

/* The largest --max-inflight. */
#define NP_INFLIGHT_MAX 1000000u

typedef struct np_inflight {
    pthread_mutex_t mutex;
    pthread_cond_t freed; /* signalled when a slot is released; broadcast on cancellation */
    unsigned limit;       /* >= 1 */
    unsigned in_use;      /* <= limit, under mutex */
    unsigned peak;        /* most slots ever in use at once, under mutex */
    unsigned waiting;     /* callers blocked in np_inflight_acquire, under mutex */
    np_cancel *cancel;    /* NULL: waits are not cancellable */
} np_inflight;

/* limit slots, all free; waits are cancelled by cancel (may be NULL). Returns 0 or an error
 * number (ENOSPC: the cancel token has no room for another hook). */
int np_inflight_init(np_inflight *slots, unsigned limit, np_cancel *cancel);

void np_inflight_destroy(np_inflight *slots);

/* Takes a slot, waiting while all are in use. Returns 0 with the slot held, or -1 without one
 * when the run is (or becomes) cancelled. */
int np_inflight_acquire(np_inflight *slots);

/* Gives back a slot taken by np_inflight_acquire and wakes one waiter. */
void np_inflight_release(np_inflight *slots);

/* The most slots that were in use at once so far. */
unsigned np_inflight_peak(np_inflight *slots);

/* How many callers are blocked waiting for a slot now (for handshakes in tests). */
unsigned np_inflight_waiting(np_inflight *slots);

#endif

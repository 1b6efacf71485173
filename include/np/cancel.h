/*
 * Cancellation of a run: a flag any thread can raise (a signal thread, a deadline, a test) and a
 * sleep that ends early when it is raised.
 *
 * Stage calls sleep here instead of in nanosleep, so a cancelled run wakes every sleeping stage
 * at once, not when its latency runs out: a sleep is a ppoll on np_cancel_fd with the time left,
 * which the cancellation makes readable (no futex word shared by thousands of sleepers).
 * Code that waits in the kernel on something else (poll on an input, a retried open of a FIFO)
 * watches np_cancel_fd too: it becomes readable, and stays readable, once the run is cancelled.
 * All functions are thread-safe. Create before starting any thread that uses it; destroy after
 * joining them all.
 */
#ifndef NP_CANCEL_H
#define NP_CANCEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef enum np_cancel_reason {
    NP_CANCEL_NONE,
    NP_CANCEL_SIGINT,
    NP_CANCEL_SIGTERM,
    NP_CANCEL_DEADLINE,
    NP_CANCEL_SIGHUP,
    NP_CANCEL_OUTPUT_FAILED, /* the results can no longer be written (a closed pipe, a full disk) */
    NP_CANCEL_REASON_COUNT
} np_cancel_reason;

/* How many np_cancel_on_raise hooks a token holds. */
#define NP_CANCEL_HOOKS_MAX 4

typedef struct np_cancel {
    pthread_mutex_t mutex; /* orders raises and hooks */
    /* Written under mutex; read without it, because every article and every
     * stage checks it and a shared lock taken that often is contended across cores. */
    atomic_int reason;
    int wake_pipe[2]; /* a byte is written to [1] when cancelled; [0] is np_cancel_fd */
    /* Called once, after the reason is set, by the first raise (np_cancel_on_raise). */
    struct {
        void (*fn)(void *context);
        void *context;
    } hooks[NP_CANCEL_HOOKS_MAX];
    size_t hook_count;
} np_cancel;

/* Initializes an un-cancelled token. Returns 0 or an error number (it opens two descriptors). */
int np_cancel_init(np_cancel *cancel);

/* Destroys the token; no thread may be using it. */
void np_cancel_destroy(np_cancel *cancel);

/* Cancels the run for reason (the first reason wins) and wakes every sleeper. */
void np_cancel_raise(np_cancel *cancel, np_cancel_reason reason);

/*
 * Registers fn(context) to run once, on the thread of the first np_cancel_raise, after the reason
 * is set and outside the token's lock: for waiters on a condition variable of their own (the
 * in-flight slots), whose hook takes that variable's mutex and broadcasts. Thread-safe; a hook
 * added after the run was cancelled is never called (its waiters must check the reason in their
 * predicate, under their mutex, as np/inflight.h does). fn must not raise. Returns 0, or ENOSPC
 * past NP_CANCEL_HOOKS_MAX hooks.
 */
int np_cancel_on_raise(np_cancel *cancel, void (*fn)(void *context), void *context);

/* The reason the run was cancelled, or NP_CANCEL_NONE. A NULL token is never cancelled. */
np_cancel_reason np_cancel_reason_of(np_cancel *cancel);

/*
 * A descriptor that becomes readable (POLLIN) when the run is cancelled, and stays so. Nothing may
 * read from it. Poll it beside any descriptor a wait blocks on, so the wait ends on cancellation.
 */
int np_cancel_fd(np_cancel *cancel);

/*
 * Sleeps ns nanoseconds on CLOCK_MONOTONIC, or until the run is cancelled. Returns 0 when the
 * whole time passed, -1 when cancelled (at once if it already was). A NULL token just sleeps.
 */
int np_cancel_sleep_ns(np_cancel *cancel, long long ns);

#endif

/*
 * `--breaker N:COOLDOWN_MS`: a circuit breaker shared by every stage call of a run, whichever the
 * backend.
 *
 *   closed    -- calls go through; N consecutive failed calls (failed or timed out) open it.
 *   open      -- every call is rejected at once (the caller fails it, "circuit open", without
 *                retrying) until COOLDOWN_MS have passed since it opened;
 *   half-open -- the first call after the cool-down is let through as the trial; the others are
 *                still rejected. The trial's success closes the breaker, its failure re-opens it
 *                (a new cool-down). A trial that ends cancelled decides nothing: the next call
 *                becomes the trial.
 *
 * A success in the closed state resets the count; the outcome of a call admitted while closed
 * that ends after the breaker opened changes nothing (only the trial's does). A cancelled call
 * counts neither way.
 *
 * Each state change is counted, kept with its time for the trace (the first
 * NP_BREAKER_EVENTS_MAX; later ones only counted), and logged with -v. The clock is a parameter
 * (now_ns), so tests drive each transition by hand. Thread-safe; no global state.
 */
#ifndef NP_BREAKER_H
#define NP_BREAKER_H

#include <pthread.h>
#include <stddef.h>

#include "np/log.h"

#define NP_BREAKER_EVENTS_MAX 4096
/* The largest N and COOLDOWN_MS of --breaker. */
#define NP_BREAKER_THRESHOLD_MAX 1000000u
#define NP_BREAKER_COOLDOWN_MAX  3600000u

typedef enum np_breaker_state {
    NP_BREAKER_CLOSED,
    NP_BREAKER_OPEN,
    NP_BREAKER_HALF_OPEN,
    NP_BREAKER_STATE_COUNT
} np_breaker_state;

/* What a call was told: go ahead, go ahead as the half-open trial, or fail at once. */
typedef enum np_breaker_verdict {
    NP_BREAKER_ALLOW,
    NP_BREAKER_TRIAL,
    NP_BREAKER_REJECT
} np_breaker_verdict;

/* How an admitted call ended, for np_breaker_record. */
typedef enum np_breaker_outcome {
    NP_BREAKER_SUCCEEDED,
    NP_BREAKER_FAILED, /* failed or timed out */
    NP_BREAKER_CANCELLED
} np_breaker_outcome;

typedef struct np_breaker_event {
    long long ns; /* when (the now_ns of the call that caused it) */
    np_breaker_state to;
} np_breaker_event;

typedef struct np_breaker {
    pthread_mutex_t mutex;
    unsigned threshold; /* N >= 1 */
    long long cooldown_ns;
    const np_log *log; /* -v lines for state changes; NULL = none */
    /* Under mutex: */
    np_breaker_state state;
    unsigned consecutive_failures;
    long long opened_ns;
    int trial_out; /* half-open: the trial call is under way */
    size_t opens, closes, half_opens, rejected;
    np_breaker_event *events; /* NP_BREAKER_EVENTS_MAX, allocated at init */
    size_t event_count;
} np_breaker;

/* "closed", "open" or "half-open". */
const char *np_breaker_state_name(np_breaker_state state);

/* A closed breaker. Returns 0 or an error number (ENOMEM). */
int np_breaker_init(np_breaker *breaker, unsigned threshold, unsigned cooldown_ms,
                    const np_log *log);

void np_breaker_destroy(np_breaker *breaker);

/* Before a call at time now_ns: whether it may go. A REJECT is counted in `rejected`; an ALLOW or
 * TRIAL must be followed by np_breaker_record with the same verdict. */
np_breaker_verdict np_breaker_admit(np_breaker *breaker, long long now_ns);

/* After an admitted call: how it ended, at time now_ns. */
void np_breaker_record(np_breaker *breaker, np_breaker_verdict verdict, np_breaker_outcome outcome,
                       long long now_ns);

/* The current state (for tests and the report). */
np_breaker_state np_breaker_state_of(np_breaker *breaker);

#endif

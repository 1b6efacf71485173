/*
 * The circuit breaker: a small state machine under one mutex (see np/breaker.h for the states).
 * The open-to-half-open change happens lazily, in the first admit after the cool-down, so no
 * timer thread is needed. A state change is logged while the lock is held, so the log shows the
 * changes in the order they happened (a -v line is one write; changes are rare).
 */
#include "np/breaker.h"

#include <errno.h>
#include <stdlib.h>

static const char *const state_names[NP_BREAKER_STATE_COUNT] = {
    [NP_BREAKER_CLOSED] = "closed",
    [NP_BREAKER_OPEN] = "open",
    [NP_BREAKER_HALF_OPEN] = "half-open",
};

const char *np_breaker_state_name(np_breaker_state state)
{
    return state < NP_BREAKER_STATE_COUNT ? state_names[state] : "unknown";
}

int np_breaker_init(np_breaker *breaker, unsigned threshold, unsigned cooldown_ms,
                    const np_log *log)
{
    *breaker = (np_breaker){.threshold = threshold ? threshold : 1,
                            .cooldown_ns = (long long)cooldown_ms * 1000000LL,
                            .log = log,
                            .state = NP_BREAKER_CLOSED};
    breaker->events = malloc(NP_BREAKER_EVENTS_MAX * sizeof(*breaker->events));
    if (!breaker->events)
        return ENOMEM;
    int err = pthread_mutex_init(&breaker->mutex, NULL);
    if (err)
        free(breaker->events);
    return err;
}

void np_breaker_destroy(np_breaker *breaker)
{
    pthread_mutex_destroy(&breaker->mutex);
    free(breaker->events);
    breaker->events = NULL;
}

/* The lock is held. */
static void change_state(np_breaker *breaker, np_breaker_state to, long long now_ns,
                         const char *why)
{
    breaker->state = to;
    if (to == NP_BREAKER_OPEN) {
        breaker->opens++;
        breaker->opened_ns = now_ns;
    } else if (to == NP_BREAKER_CLOSED) {
        breaker->closes++;
    } else {
        breaker->half_opens++;
    }
    breaker->trial_out = 0;
    breaker->consecutive_failures = 0;
    if (breaker->event_count < NP_BREAKER_EVENTS_MAX)
        breaker->events[breaker->event_count++] = (np_breaker_event){.ns = now_ns, .to = to};
    np_log_line(breaker->log, NP_LOG_VERBOSE, "circuit breaker %s (%s)", state_names[to], why);
}

np_breaker_verdict np_breaker_admit(np_breaker *breaker, long long now_ns)
{
    pthread_mutex_lock(&breaker->mutex);
    np_breaker_verdict verdict = NP_BREAKER_ALLOW;
    if (breaker->state == NP_BREAKER_OPEN && now_ns - breaker->opened_ns >= breaker->cooldown_ns)
        change_state(breaker, NP_BREAKER_HALF_OPEN, now_ns, "cool-down over: one trial call");
    if (breaker->state == NP_BREAKER_HALF_OPEN && !breaker->trial_out) {
        breaker->trial_out = 1;
        verdict = NP_BREAKER_TRIAL;
    } else if (breaker->state != NP_BREAKER_CLOSED) {
        breaker->rejected++;
        verdict = NP_BREAKER_REJECT;
    }
    pthread_mutex_unlock(&breaker->mutex);
    return verdict;
}

void np_breaker_record(np_breaker *breaker, np_breaker_verdict verdict, np_breaker_outcome outcome,
                       long long now_ns)
{
    pthread_mutex_lock(&breaker->mutex);
    if (verdict == NP_BREAKER_TRIAL && breaker->state == NP_BREAKER_HALF_OPEN) {
        if (outcome == NP_BREAKER_SUCCEEDED)
            change_state(breaker, NP_BREAKER_CLOSED, now_ns, "the trial call succeeded");
        else if (outcome == NP_BREAKER_FAILED)
            change_state(breaker, NP_BREAKER_OPEN, now_ns, "the trial call failed");
        else
            breaker->trial_out = 0; /* cancelled: the next call is the trial */
    } else if (verdict == NP_BREAKER_ALLOW && breaker->state == NP_BREAKER_CLOSED) {
        if (outcome == NP_BREAKER_SUCCEEDED)
            breaker->consecutive_failures = 0;
        else if (outcome == NP_BREAKER_FAILED &&
                 ++breaker->consecutive_failures >= breaker->threshold)
            change_state(breaker, NP_BREAKER_OPEN, now_ns, "consecutive calls failed");
    }
    pthread_mutex_unlock(&breaker->mutex);
}

np_breaker_state np_breaker_state_of(np_breaker *breaker)
{
    pthread_mutex_lock(&breaker->mutex);
    np_breaker_state state = breaker->state;
    pthread_mutex_unlock(&breaker->mutex);
    return state;
}

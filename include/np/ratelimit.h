/*
 * A token bucket shared by every thread of a run, the way LLM providers limit a client: by time
 * t after the start, at most burst + rate * t stage calls have begun.
 *
 * Callers reserve a token and are told how long to wait for it; the wait itself happens outside
 * the lock (in a cancellable sleep), so a slow caller never holds others up.
 */
#ifndef NP_RATELIMIT_H
#define NP_RATELIMIT_H

#include <pthread.h>

typedef struct np_rate_limiter {
    pthread_mutex_t mutex;
    double rate;   /* tokens per second, > 0 */
    double burst;  /* bucket size, >= 1 */
    double tokens; /* may go negative: tokens already promised to waiting callers */
    long long last_ns;
    unsigned long long granted; /* tokens handed out (np_rate_limiter_reserve calls) */
} np_rate_limiter;

/* A full bucket of burst tokens refilled at rate per second. Returns 0 or an error number. */
int np_rate_limiter_init(np_rate_limiter *limiter, double rate, double burst);

void np_rate_limiter_destroy(np_rate_limiter *limiter);

/* Takes a token; returns how many nanoseconds the caller must wait before using it (0 = now). */
long long np_rate_limiter_reserve(np_rate_limiter *limiter);

/* How many tokens have been handed out so far. */
unsigned long long np_rate_limiter_granted(np_rate_limiter *limiter);

#endif

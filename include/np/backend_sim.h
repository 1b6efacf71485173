/*
 * The simulated backend: each call waits a latency drawn from (seed, article id, stage, attempt)
 * in [latency_min_ms, latency_max_ms] of the process configuration, fails with probability
 * fail_rate, times out when the latency exceeds timeout_ms (it then waits only the timeout), and
 * on success computes the real result from the article: the summary (np/summarize.h) or the
 * sentiment (np/sentiment.h). Every call's time is known in advance (plan), so the ideal schedule
 * is exact. Stateless and thread-safe.
 */
#ifndef NP_BACKEND_SIM_H
#define NP_BACKEND_SIM_H

#include "np/backend.h"

/* The simulator, a constant. */
const np_backend *np_backend_sim(void);

#endif

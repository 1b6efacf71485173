/*
 * Processing one article: the summarization stage, then the sentiment stage. Each stage is a
 * call to the backend (np/backend.h: the simulator, or a real model server) that may fail or time
 * out and is then retried with backoff (a server's Retry-After is honoured, up to --timeout-ms),
 * may wait for a rate-limit token, and stops early when the run is cancelled. A call the backend
 * rejects for good (a bad key, an unknown model) fails the article at once, without retries.
 *
 * Thread-safe: it reads only the article and the configuration, both immutable during a run,
 * writes only the caller's result, and shares only the (thread-safe) limiter and cancel token.
 */
#ifndef NP_PROCESS_H
#define NP_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "np/article.h"
#include "np/backend.h"
#include "np/breaker.h"
#include "np/cancel.h"
#include "np/inflight.h"
#include "np/latency_dist.h"
#include "np/log.h"
#include "np/ratelimit.h"
#include "np/result.h"
#include "np/tpm.h"

typedef struct np_process_config {
    uint64_t seed;
    uint32_t latency_min_ms; /* each stage call sleeps a latency drawn from [min, max] */
    uint32_t latency_max_ms;
    double fail_rate;         /* probability that a call fails transiently, 0..1 */
    uint32_t timeout_ms;      /* a call slower than this gives up at this; 0 = no timeout */
    unsigned retries;         /* further attempts after a failed or timed-out call */
    np_rate_limiter *limiter; /* NULL = unlimited */
    np_cancel *cancel;        /* NULL = never cancelled */
    const np_log *log;        /* verbose lines for each stage call */
    /* What carries out each call; NULL = the simulator (np/backend_sim.h), configured by the
     * latency and fail_rate fields above. */
    const np_backend *backend;
    /* The limits shared by every call (np/inflight.h, np/breaker.h, np/tpm.h); NULL = none. */
    np_inflight *inflight;
    np_breaker *breaker;
    np_tpm *tpm;
    /* --tpm: a stage call's expected reply, in tokens (the stage's --max-tokens with a server);
     * 0 = np/tpm.h's defaults. */
    uint32_t completion_tokens[NP_STAGE_COUNT];
    /* --latency-from: the simulator draws its latencies from this instead of [min, max]. */
    const np_latency_dist *latency_from;
} np_process_config;

/*
 * The memory an article's result will own (its summary's buffer, np_summarize_bound bytes),
 * allocated before the article starts, so that running its stages cannot run out of memory. A
 * backend that cannot plan (a real server) summarizes a reply not known yet: NP_SUMMARY_MAX_BYTES.
 * Returns the buffer, which np_process_article takes, or NULL when memory is short: nothing has
 * been spent then (no stage called, no simulated time), and the caller may wait for other
 * articles to finish and ask again (see the pipeline), or fail the article with
 * np_process_fail_out_of_memory.
 */
char *np_process_reserve(const np_article *article, const np_process_config *config);

/*
 * Runs both stages for article (at input position index) and fills *result, which is zeroed
 * first; result->status says how it ended. summary is the article's buffer from
 * np_process_reserve: the result owns it once the summary is written there, and it is freed here
 * when the summarization stage does not succeed. Never allocates.
 */
void np_process_article(const np_article *article, size_t index, const np_process_config *config,
                        char *summary, np_result *result);

/* Fills *result for an article that could not get its memory: failed, "out of memory". */
void np_process_fail_out_of_memory(size_t index, np_result *result);

/*
 * Whether a stage call can wait: a simulated latency, a backoff after a failure, or a rate limit.
 * When none can, an article is pure computation and takes microseconds.
 */
int np_process_can_wait(const np_process_config *config);

/* Fills *result for an article that was never started because the run was cancelled. */
void np_process_skip_cancelled(size_t index, np_result *result);

/*
 * Whether every call's time is known in advance (the simulator's are, unless a circuit breaker may
 * reject calls), so that np_process_ideal_ms can tell an article's ideal time before it runs. When
 * it is not (a real server, or --breaker), np_process_article records the ideal of the calls
 * actually made in result->ideal_ms instead: measured, or a planned backend's plans.
 */
int np_process_ideal_known(const np_process_config *config);

/*
 * The article's ideal processing time in ms: the sum of all its attempts' latencies (a timed-out
 * attempt counts its timeout) and backoff waits, exactly as np_process_article would spend them
 * if nothing else (scheduling, rate limits, cancellation) delayed it. 0 when the backend cannot
 * plan (np_process_ideal_known).
 */
uint64_t np_process_ideal_ms(const np_article *article, const np_process_config *config);

#endif

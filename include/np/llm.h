/*
 * The simulated LLM: the two stages an article goes through, and the random-looking but
 * reproducible decisions about each call: how long it takes, whether it fails, how long to back
 * off before retrying.
 *
 * Every decision is a pure function of (seed, article id, stage, attempt): the same input and
 * seed give the same latencies and faults on every run, in every scheduling mode, and no random
 * state is shared between threads, so no lock is needed. Attempt 0 draws exactly what a
 * fault-free run draws.
 */
#ifndef NP_LLM_H
#define NP_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "np/article.h"
#include "np/token_gaps.h"

typedef enum np_stage { NP_STAGE_SUMMARIZATION, NP_STAGE_SENTIMENT, NP_STAGE_COUNT } np_stage;

/* The largest latency accepted for --latency, in ms (one hour). */
#define NP_LATENCY_MAX_MS 3600000u

/* Retry backoff: attempt k (from 0) waits uniformly in [0, min(CAP, BASE * 2^k)] ms. */
#define NP_BACKOFF_BASE_MS 100u
#define NP_BACKOFF_CAP_MS  5000u

/* "summarization" or "sentiment". */
const char *np_stage_name(np_stage stage);

/* A latency in whole ms drawn uniformly from [min_ms, max_ms] (min_ms <= max_ms). */
uint32_t np_llm_latency_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                           uint32_t min_ms, uint32_t max_ms);

/*
 * A latency in whole ms drawn from an empirical distribution given by count >= 2 equally spaced
 * quantiles (quantiles[0] the minimum, quantiles[count - 1] the maximum, non-decreasing), by
 * inverse CDF with linear interpolation between neighbours. It uses the same draw as
 * np_llm_latency_ms, so a calibrated run is reproducible from its seed in the same way.
 */
uint32_t np_llm_quantile_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                            const double *quantiles, size_t count);

/*
 * The streaming shape of a simulated call of latency_ms that replies with tokens tokens: when its
 * first token arrives, in whole ms from the call's start. Drawn uniformly in [10%, 50%] of the
 * latency, or, with first_token_quantiles (count >= 2, NULL for none), from that empirical
 * distribution at the same quantile as the latency of np_llm_quantile_ms; never past the latency.
 * The other tokens follow at the gaps of np_llm_token_gaps.
 */
uint32_t np_llm_first_token_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                               uint32_t latency_ms, const double *first_token_quantiles,
                               size_t count);

/*
 * The gaps between the tokens of that call, drawn from the seed, recorded into *gaps in order
 * (tokens - 1 of them; none for fewer than two tokens). Each gap has its own draw. Without a
 * table (gap_quantiles NULL, count < 2) the draws are weights uniform in [0.5, 1.5) and the gaps
 * share the time from the first token to the latency in their proportions: the last token comes
 * at the latency. With a table each gap is drawn from that empirical distribution by inverse CDF
 * and kept as drawn when they all fit between the first token and the latency (the call then
 * ends after its last token, as a server's reply ends after its usage); when they would not fit
 * they are scaled down together to fit, so the call still takes exactly its latency.
 */
void np_llm_token_gaps(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                       uint32_t latency_ms, uint32_t first_ms, uint32_t tokens,
                       const double *gap_quantiles, size_t count, np_gap_recorder *gaps);

/* Whether the given attempt fails transiently, with probability fail_rate in [0, 1]. */
int np_llm_attempt_fails(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                         double fail_rate);

/* The backoff after failed attempt `attempt`: full jitter, see NP_BACKOFF_BASE_MS. */
uint32_t np_llm_backoff_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt);

#endif

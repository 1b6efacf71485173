/*
 * The simulated LLM: the two stages an article goes through, how long each call takes, and the
 * call itself (sleep for the simulated latency, then compute the real result).
 *
 * Latency is a pure function of (seed, article id, stage): the same input and seed give the same
 * latencies on every run, and no random state is shared between threads, so no lock is needed.
 */
#ifndef NP_LLM_H
#define NP_LLM_H

#include <stdint.h>

#include "np/article.h"

typedef enum np_stage { NP_STAGE_SUMMARIZATION, NP_STAGE_SENTIMENT, NP_STAGE_COUNT } np_stage;

/* The largest latency accepted for --latency, in ms (one hour). */
#define NP_LATENCY_MAX_MS 3600000u

/* "summarization" or "sentiment". */
const char *np_stage_name(np_stage stage);

/* A latency in whole ms drawn uniformly from [min_ms, max_ms] (min_ms <= max_ms). */
uint32_t np_llm_latency_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t min_ms,
                           uint32_t max_ms);

/* Sleeps ms milliseconds on CLOCK_MONOTONIC, resuming after signals. 0 returns at once. */
void np_llm_sleep_ms(uint32_t ms);

#endif

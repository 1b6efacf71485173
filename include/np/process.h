/*
 * Processing one article: the summarization stage, then the sentiment stage, each a simulated
 * LLM call (sleep for its latency, then compute the real result).
 *
 * Thread-safe and lock-free: it reads only the article and the configuration, both immutable
 * during a run, and writes only the caller's result.
 */
#ifndef NP_PROCESS_H
#define NP_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "np/article.h"
#include "np/log.h"
#include "np/result.h"

typedef struct np_process_config {
    uint64_t seed;
    uint32_t latency_min_ms; /* each stage call sleeps a latency drawn from [min, max] */
    uint32_t latency_max_ms;
    const np_log *log; /* verbose lines for each stage start and finish */
} np_process_config;

/*
 * Runs both stages for article (at input position index) and fills *result, which is zeroed
 * first. Returns 0, or -1 when memory ran out (result->summary is then NULL).
 */
int np_process_article(const np_article *article, size_t index, const np_process_config *config,
                       np_result *result);

/* The sum of both stages' simulated latencies for article: its share of the critical path. */
uint64_t np_process_ideal_ms(const np_article *article, const np_process_config *config);

#endif

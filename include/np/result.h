/*
 * The result of processing one article: what the stages computed and how long they took.
 *
 * A result is filled by the thread that processed the article, then moved by value through the
 * queue to the collector, which alone stores it into the results array. The summary string moves
 * with it: whoever holds the result owns the summary.
 */
#ifndef NP_RESULT_H
#define NP_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "np/llm.h"
#include "np/sentiment.h"

typedef struct np_result {
    size_t index;  /* the article's position in the input, from 0 */
    char *summary; /* malloc'd, NUL-terminated; NULL when the result is empty or failed */
    size_t summary_len;
    np_sentiment sentiment;
    uint32_t latency_ms[NP_STAGE_COUNT]; /* simulated latency of each stage */
    long long started_ns;                /* monotonic time the article's work began */
    long long stage_ns[NP_STAGE_COUNT];  /* observed duration of each stage call */
    long long finished_ns;               /* monotonic time both stages were done */
    long long queue_wait_ns;             /* time blocked pushing into a full queue */
    size_t completed;                    /* 1-based order of arrival at the collector; 0 = none */
} np_result;

/* Frees what a result owns (its summary) and marks it empty. */
void np_result_clear(np_result *result);

#endif

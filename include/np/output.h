/*
 * The results: one JSON document (the default) or one NDJSON line per article.
 *
 * An article is written as
 *   {"id", "title", "status", "summary", "sentiment": {"label", "score"},
 *    "latency_ms": {"summarization", "sentiment"}, "attempts": {...}, "completed", "index"
 *    [, "error"]}
 * with id and title echoed exactly (same JSON type); summary and sentiment are null when that
 * stage did not succeed; index is the article's position in the input, from 0 (what --shard
 * divides, and what `merge` puts shards' lines back in order by). The document is
 *   {"articles": [...in input order...], "run": {...}}
 * Called by main after the pipeline finished, or by the collector thread for NDJSON lines.
 */
#ifndef NP_OUTPUT_H
#define NP_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "np/article.h"
#include "np/result.h"

typedef struct np_run_info {
    const char *mode;
    size_t workers; /* pool mode only; 0 otherwise */
    uint64_t seed;
    uint32_t latency_min_ms;
    uint32_t latency_max_ms;
    size_t queue_capacity;
    long long wall_ns;
    uint64_t critical_path_ms;
    size_t status_count[NP_STATUS_COUNT];
    const char *cancelled_by; /* "SIGINT", "SIGTERM", "deadline", or NULL */
} np_run_info;

/* Writes one article object (no newline). */
void np_output_write_article(FILE *out, const np_article *article, const np_result *result);

/*
 * Writes the document for count articles (articles[i] with results[i], in input order).
 * Returns 0, or -1 when the stream reports an error (errno is set).
 */
int np_output_write_json(FILE *out, const np_article *articles, const np_result *results,
                         size_t count, const np_run_info *run);

#endif

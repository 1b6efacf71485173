/*
 * The results document written to stdout (or -o FILE):
 *   {"articles": [{"id", "title", "summary", "sentiment": {"label", "score"},
 *                  "latency_ms": {"summarization", "sentiment"}, "completed"}, ...],
 *    "run": {"articles", "seed", "latency_ms": [MIN, MAX], "queue_capacity", "wall_ms",
 *            "critical_path_ms"}}
 * Articles appear in input order; id and title are echoed exactly, with their JSON type.
 * Called by main after the pipeline has finished: no other thread is running.
 */
#ifndef NP_OUTPUT_H
#define NP_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "np/article.h"
#include "np/result.h"

typedef struct np_run_info {
    uint64_t seed;
    uint32_t latency_min_ms;
    uint32_t latency_max_ms;
    size_t queue_capacity;
    long long wall_ns;
    uint64_t critical_path_ms;
} np_run_info;

/* Writes the document. Returns 0, or -1 when the stream reports an error (errno is set). */
int np_output_write_json(FILE *out, const np_article_list *articles, const np_result *results,
                         const np_run_info *run);

#endif

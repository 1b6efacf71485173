/*
 * Empirical latency distributions, per stage, for a simulator calibrated from a real run.
 *
 * A report written by --report carries, per run, a "latency_distribution" section: for each
 * stage, NP_LATENCY_QUANTILES equally spaced quantiles (0%, 1%, ..., 100%) of the calls'
 * latencies in ms, and of their first-token delays and inter-token gaps when the run recorded
 * any (else null). `--latency-from REPORT.json` loads that section (np_latency_dist_load) and the
 * simulator draws from it by inverse CDF (np_llm_quantile_ms in np/llm.h).
 *
 * No global state; loading parses on the calling thread (cJSON's error pointer is global, so call
 * it before the workers start). Loading waits only cancellably: a FIFO with no writer, or a slow
 * read, ends as soon as the cancellation descriptor becomes readable.
 */
#ifndef NP_LATENCY_DIST_H
#define NP_LATENCY_DIST_H

#include <stddef.h>

#include "np/llm.h"

#define NP_LATENCY_QUANTILES 101

typedef enum np_latency_kind {
    NP_LATENCY_CALL,        /* a whole call: "latency_ms" */
    NP_LATENCY_FIRST_TOKEN, /* start to first token: "first_token_ms" */
    NP_LATENCY_TOKEN_GAP,   /* between two tokens of a reply: "token_gap_ms" */
    NP_LATENCY_KIND_COUNT
} np_latency_kind;

typedef struct np_latency_dist {
    /* present[s][k]: the report had that distribution; then q[s][k] is non-decreasing, in ms. */
    int present[NP_STAGE_COUNT][NP_LATENCY_KIND_COUNT];
    double q[NP_STAGE_COUNT][NP_LATENCY_KIND_COUNT][NP_LATENCY_QUANTILES];
} np_latency_dist;

/* The member name of kind in the report: "latency_ms", "first_token_ms" or "token_gap_ms". */
const char *np_latency_kind_name(np_latency_kind kind);

/* Fills table[0..NP_LATENCY_QUANTILES) with the quantiles of sorted[0..n) (n >= 1, ascending). */
void np_latency_quantiles(const double *sorted, size_t n, double *table);

/*
 * Reads the distribution of the first complete run (not a warm-up, not interrupted) of the report
 * at path ("-": standard input), waiting on cancel_fd (np_cancel_fd; -1: not cancellable) along
 * with the file. Every stage must have its call latencies. Returns 0; ECANCELED when cancel_fd
 * became readable before the file was read (err untouched); or -1 with a one-line message in err
 * that starts with the path ("FILE:LINE:COL: not JSON (syntax error)", "FILE: not a
 * news-processor report ...", "FILE: cannot open: ..."): all of them usage errors (exit 2).
 */
int np_latency_dist_load(const char *path, int cancel_fd, np_latency_dist *dist, char *err,
                         size_t err_size);

/* The smallest and largest call latency over all stages, in whole ms (rounded outwards). */
void np_latency_dist_range(const np_latency_dist *dist, uint32_t *min_ms, uint32_t *max_ms);

#endif

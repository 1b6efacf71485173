/*
 * `--trace FILE`: a run as a Chrome Trace Event Format document, for Perfetto (ui.perfetto.dev)
 * and chrome://tracing.
 *
 * The document is one JSON object:
 *
 *   {"traceEvents": [...], "displayTimeUnit": "ms",
 *    "otherData": {"tool": "news-processor", "version": "...", "articles": N, ...}}
 *
 * Everything is in process 1. Row (tid) 1 is the collector; each article has its own row,
 * tid = input index + 2, named "article <id>" (e.g. `article 7`, `article "abc"`), and rows sort
 * by the time the article started (ties by input index). Events, with "ts" and "dur" in
 * microseconds (three decimals) from run->start_ns:
 *
 *   - metadata ("ph": "M"): process_name, thread_name and thread_sort_index for every row;
 *   - one complete event ("ph": "X") per stage call: name = the stage name, cat "stage",
 *     args {"id": <the id with its JSON type>, "simulated_ms": ..., "attempts": ...}, and
 *     "retries_unmarked": N when N of its retries have no mark (see below);
 *   - instant events ("ph": "i", "s": "t") on the article's row, cat "call": "retry" where each
 *     retry began and "first token" where a streamed call's first token came, args {"id": ...,
 *     "stage": ..., "attempt": <1-based; the first retry is 2>}. A stage with more than
 *     NP_RETRY_MARKS retries (np/result.h) marks the first NP_RETRY_MARKS - 1 and the last; the
 *     ones between are counted in the stage event's "retries_unmarked";
 *   - one per queue wait longer than 0 (from finished_ns, lasting queue_wait_ns): "queue wait",
 *     cat "queue";
 *   - one per result the collector received (completed > 0), on the collector's row: "receive",
 *     cat "collector", dur 1 µs (the result does not record how long the collector took),
 *     args {"id": ..., "completed": ...};
 *   - one instant event ("ph": "i", "s": "g") per change of the circuit breaker's state
 *     (--breaker), on the collector's row: "circuit open", "circuit half-open" or
 *     "circuit closed", cat "breaker", args {"state": ...}.
 *
 * A step whose timestamps are 0 (it did not happen, e.g. a stage a cancelled article never
 * started) has no event. Strings are escaped as JSON requires, so the output is valid JSON for
 * any id.
 */
#ifndef NP_TRACE_H
#define NP_TRACE_H

#include <stdio.h>

#include "np/run.h"

/*
 * Writes the trace of run to out. options may be NULL (the mode then reads as "thread"); run's
 * per-article rows are run->list->items[i] and run->results[i] for i < run->articles_detail.
 * Reads only; call after the run, from one thread. Returns 0, or -1 with errno set when memory
 * ran out or out has its error indicator set after writing (out is neither flushed nor closed).
 */
int np_trace_write(FILE *out, const np_run_options *options, const np_run_record *run);

#endif

/*
 * `--timeline FILE.svg`: a run as a self-contained SVG picture that any browser opens.
 *
 * The picture (fixed width, white background, no scripts, no external resources):
 *
 *   - a title: `news-processor — N articles, mode thread, wall 2.851 s, critical path 2.846 s,
 *     overhead 1.002` (in ms for runs under a second), a subtitle with the options (input,
 *     seed, latency, queue capacity, ...) and a legend;
 *   - up to NP_TIMELINE_MAX_ROWS articles: one row per article, sorted by start time (ties by
 *     input index), labelled with its id (`7`, `"abc"`), with a coloured segment per stage call
 *     (summarization, sentiment) and per queue wait longer than 0 (from finished_ns, lasting
 *     queue_wait_ns); each segment carries a <title> tooltip (id, stage, start/end ms,
 *     simulated ms). The critical-path article (largest ideal_ms; ties: lowest index; none when
 *     every ideal_ms is 0) is outlined and labelled "critical path";
 *   - past NP_TIMELINE_MAX_ROWS articles: no rows, but stacked areas of how many articles are in
 *     summarization, in sentiment and waiting on the queue over time (time-weighted averages over
 *     at most 800 intervals), in the same colours;
 *   - vertical lines at the ideal time (critical_path_ms, "ideal") and the wall time (process_ns,
 *     "wall"), and a time axis from the run start with ticks at 1, 2 or 5 × 10^k ms.
 *
 * Every string from the input (ids, titles, the input path) is XML-escaped; invalid UTF-8,
 * control characters and the non-characters U+FFFE/U+FFFF, which XML 1.0 does not allow, are
 * replaced by U+FFFD, so the file is well-formed XML for any input. So are bidirectional
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069), which would make a label display
 * something other than its id.
 *
 * For tests and tools that inspect the picture: segments are `<rect class="seg STAGE" ...>`
 * (STAGE = summarization, sentiment or queue-wait), one `<g class="row" ...>` per article row,
 * the critical-path row is `<g class="row critical" ...>`, and the areas are
 * `<path class="area STAGE" ...>`.
 */
#ifndef NP_TIMELINE_H
#define NP_TIMELINE_H

#include <stdio.h>

#include "np/run.h"

/* Above this many articles the picture shows concurrency areas instead of one row each. */
#define NP_TIMELINE_MAX_ROWS 300

/*
 * Writes the picture of run to out as SVG. options may be NULL (the subtitle then omits them);
 * run's per-article rows are run->list->items[i] and run->results[i] for
 * i < run->articles_detail, with times relative to run->start_ns. Reads only; call after the run,
 * from one thread. Returns 0, or -1 with errno set when memory ran out or out has its error
 * indicator set after writing (out is neither flushed nor closed).
 */
int np_timeline_write_svg(FILE *out, const np_run_options *options, const np_run_record *run);

#endif

/*
 * The timing report: one JSON document (schema "news-processor-report", version 1) describing
 * how one or more runs went: phases, overhead against the critical path, per-stage latency
 * percentiles, queue contention, memory and threads, and optionally one row per article.
 * docs/report.md documents every field; `news-processor compare` reads two of them.
 */
#ifndef NP_REPORT_H
#define NP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "np/run.h"

/* The "schema" member of every report, and the version this build writes and reads. */
#define NP_REPORT_SCHEMA         "news-processor-report"
#define NP_REPORT_SCHEMA_VERSION 1

/*
 * Writes the timing report (schema "news-processor-report", version 1) for runs[0..run_count)
 * to out, then flushes out. options may be NULL ("options": null). Everything is only read; the
 * caller keeps ownership. Per-stage statistics and "articles_detail" come from each run's
 * results[0..articles_detail) (none when articles_detail is 0). Numbers that are not finite are
 * written as null, so the document is always valid JSON. Allocates a scratch array per run.
 * Returns 0, or -1 with errno set (ENOMEM, or the stream's error; EIO when the stream failed
 * without one). Call from one thread per stream, after the runs finished.
 */
int np_report_write(FILE *out, const np_run_options *options, const np_run_record *runs,
                    size_t run_count);

#endif

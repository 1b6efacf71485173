/*
 * The pipeline: one thread per article, a bounded results queue, one collector thread.
 *
 *   article threads --push--> [ bounded queue ] --pop--> collector --> results[index]
 *
 * np_pipeline_run starts the collector, starts one thread per article (each runs both stages and
 * pushes its result), joins them, closes the queue and joins the collector. Only the collector
 * writes the results array, so output order equals input order whatever the completion order.
 */
#ifndef NP_PIPELINE_H
#define NP_PIPELINE_H

#include <stddef.h>

#include "np/article.h"
#include "np/process.h"
#include "np/result.h"

/* The default and smallest stack for article threads: the stages need only a few KiB. */
#define NP_THREAD_STACK_SIZE ((size_t)256 * 1024)

typedef struct np_pipeline_config {
    np_process_config process;
    size_t queue_capacity; /* >= 1 */
    size_t stack_size;     /* article thread stack in bytes; 0 means NP_THREAD_STACK_SIZE */
} np_pipeline_config;

typedef struct np_run_stats {
    long long wall_ns;         /* from before the first thread starts to the collector's end */
    uint64_t critical_path_ms; /* the ideal wall time: the largest per-article latency sum */
    size_t threads_started;    /* article threads actually started */
    size_t results_collected;  /* results the collector stored */
    size_t queue_max_depth;    /* the most results waiting in the queue at once */
} np_run_stats;

/*
 * Processes every article of articles. results must have articles->count zeroed entries; on
 * return each holds its article's result (the caller frees them with np_result_clear), and
 * results[i].completed gives its arrival order.
 *
 * Returns 0 when every article was processed. Returns -1 and writes a one-line message into err
 * when something failed: a thread could not be started (no more are started, the ones already
 * running finish and are joined), or memory ran out. Every started thread is joined on every path.
 */
int np_pipeline_run(const np_article_list *articles, const np_pipeline_config *config,
                    np_result *results, np_run_stats *stats, char *err, size_t err_size);

#endif

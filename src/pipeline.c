/*
 * One thread per article, a bounded queue, one collector: the fan-out/fan-in of the Go series
 * ("a goroutine per article, a channel to one collector"), in pthreads.
 *
 * Threads and ownership:
 *   - main starts the collector, then one article thread per article, joins every article thread,
 *     closes the queue, and joins the collector. The queue is destroyed only after all are joined.
 *   - an article thread reads its article (immutable), fills a result on its own stack, and
 *     pushes it by value; it touches nothing shared but the queue.
 *   - the collector alone writes results[] (at result.index) and stamps the arrival order; main
 *     reads results[] only after joining the collector, which orders those writes before the reads.
 * If a thread cannot be started, main starts no more, and the threads already running finish,
 * are joined, and their results collected: nothing is left running or leaked.
 */
#include "np/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/clock.h"
#include "np/queue.h"

typedef struct run_context {
    const np_article_list *articles;
    const np_pipeline_config *config;
    np_queue *queue;
    np_result *results; /* written by the collector only */
    size_t collected;   /* collector-owned until joined */
    size_t failed;      /* results whose processing failed (out of memory); collector-owned */
} run_context;

typedef struct article_task {
    run_context *run;
    size_t index;
} article_task;

/* How many results the collector takes per lock acquisition. */
#define COLLECT_BATCH 64

static void *article_thread(void *arg)
{
    const article_task *task = arg;
    run_context *run = task->run;
    np_result result;
    np_process_article(&run->articles->items[task->index], task->index, &run->config->process,
                       &result);
    long long waited = 0;
    /* The queue is closed only after every article thread is joined, so this push succeeds. */
    if (np_queue_push(run->queue, &result, &waited) != 0)
        np_result_clear(&result);
    return NULL;
}

static void *collector_thread(void *arg)
{
    run_context *run = arg;
    np_result batch[COLLECT_BATCH];
    size_t n;
    while ((n = np_queue_pop_many(run->queue, batch, COLLECT_BATCH)) > 0) {
        for (size_t i = 0; i < n; i++) {
            np_result *slot = &run->results[batch[i].index];
            *slot = batch[i];
            slot->completed = ++run->collected;
            if (!slot->summary)
                run->failed++;
        }
    }
    return NULL;
}

static uint64_t critical_path_ms(const np_article_list *articles, const np_process_config *config)
{
    uint64_t longest = 0;
    for (size_t i = 0; i < articles->count; i++) {
        uint64_t ideal = np_process_ideal_ms(&articles->items[i], config);
        if (ideal > longest)
            longest = ideal;
    }
    return longest;
}

int np_pipeline_run(const np_article_list *articles, const np_pipeline_config *config,
                    np_result *results, np_run_stats *stats, char *err, size_t err_size)
{
    memset(stats, 0, sizeof(*stats));
    stats->critical_path_ms = critical_path_ms(articles, &config->process);
    size_t count = articles->count;

    run_context run = {.articles = articles, .config = config, .results = results};
    run.queue = np_queue_create(config->queue_capacity, sizeof(np_result));
    pthread_t *threads = malloc((count ? count : 1) * sizeof(*threads));
    article_task *tasks = malloc((count ? count : 1) * sizeof(*tasks));
    pthread_attr_t attr;
    int attr_ready = 0, rc = 0;
    if (!run.queue || !threads || !tasks) {
        snprintf(err, err_size, "out of memory setting up %zu article threads", count);
        rc = -1;
        goto cleanup;
    }
    int e = pthread_attr_init(&attr);
    if (!e) {
        attr_ready = 1;
        e = pthread_attr_setstacksize(&attr, config->stack_size ? config->stack_size
                                                                : NP_THREAD_STACK_SIZE);
    }
    if (e) {
        snprintf(err, err_size, "cannot set up thread attributes: %s", strerror(e));
        rc = -1;
        goto cleanup;
    }

    long long start = np_clock_now_ns();
    pthread_t collector;
    e = pthread_create(&collector, &attr, collector_thread, &run);
    if (e) {
        snprintf(err, err_size, "cannot start the collector thread: %s", strerror(e));
        rc = -1;
        goto cleanup;
    }

    size_t started = 0;
    for (; started < count; started++) {
        tasks[started] = (article_task){.run = &run, .index = started};
        e = pthread_create(&threads[started], &attr, article_thread, &tasks[started]);
        if (e) {
            char id_text[96];
            np_id_format(&articles->items[started].id, id_text, sizeof(id_text));
            snprintf(err, err_size,
                     "cannot start a thread for article #%zu (id %s): %s; "
                     "%zu articles already running were finished, %zu not processed",
                     started + 1, id_text, strerror(e), started, count - started);
            rc = -1;
            break;
        }
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    np_queue_close(run.queue);
    pthread_join(collector, NULL);
    stats->wall_ns = np_clock_now_ns() - start;
    stats->threads_started = started;
    stats->results_collected = run.collected;
    stats->queue_max_depth = np_queue_max_depth(run.queue);
    if (rc == 0 && run.failed) {
        snprintf(err, err_size, "out of memory while processing %zu articles", run.failed);
        rc = -1;
    }

cleanup:
    if (attr_ready)
        pthread_attr_destroy(&attr);
    np_queue_destroy(run.queue);
    free(tasks);
    free(threads);
    return rc;
}

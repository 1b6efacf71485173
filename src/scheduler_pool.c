/*
 * The pool scheduler: N worker threads, started once, take articles from a bounded work queue
 * that the dispatcher fills.
 *
 * Threads and ownership: the dispatcher pushes tasks (in batches when articles are pure
 * computation and all in memory: see POOL_BATCH) and is the only one to start, retire and join
 * workers; the workers pop tasks, run them, and deliver the results. `finished` (articles the
 * workers are done with), `dispatcher_waiting` and the retirement handshake are shared, under
 * `mutex`; everything else is the dispatcher's.
 *
 * Memory pressure: when the dispatcher is refused memory, idle workers' stacks may be what fills
 * the address space, and in a document run a finished article gives nothing back (the collector
 * keeps its result). So make_room first retires an idle worker, if fewer articles are in flight
 * than workers are alive: it pushes a notice (a task without an article), and the worker that
 * takes it exits and is joined, which gives back its stack (beyond glibc's cache of 40 MiB of
 * stacks). Otherwise it waits until a worker finishes an article. The last worker is never
 * retired.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/log.h"
#include "np/scheduler.h"

/*
 * How many articles a worker takes per lock acquisition, and so how many results it hands to
 * the collector at once, when stages cannot wait (np_process_can_wait): an article is then a few
 * microseconds of computation, so holding finished results until the batch is done delays them
 * by microseconds, while taking and handing off one at a time costs more than the work itself
 * (lock traffic and a wake-up per article among many threads on few cores). When stages can
 * wait, an article takes as long as its simulated calls, and batching would hold finished
 * results for seconds: workers then take one article at a time.
 */
#define POOL_BATCH 16

typedef struct pool_scheduler {
    np_scheduler base;
    const np_pipeline_config *config;
    np_collector *collector;
    np_run_stats *stats;
    np_queue *work_queue;
    size_t batch;          /* articles a worker takes at once: 1, or POOL_BATCH */
    size_t dispatch_batch; /* articles the dispatcher pushes at once: 1, or batch */
    pthread_mutex_t mutex;
    pthread_cond_t worker_finished; /* finished grew, while dispatcher_waiting */
    pthread_cond_t worker_retired;  /* retired_ready was set */
    size_t finished;                /* under mutex */
    int dispatcher_waiting;         /* under mutex */
    pthread_t retired;              /* under mutex: a worker that took a notice and exits */
    int retired_ready;              /* under mutex */
    pthread_t *workers;             /* the workers alive: workers[0..alive) */
    size_t alive;
    size_t started;
    size_t pooled; /* articles pushed to the work queue */
    np_task pending[POOL_BATCH];
    size_t pending_count;
} pool_scheduler;

static void *worker_thread(void *arg)
{
    pool_scheduler *s = arg;
    np_task tasks[POOL_BATCH];
    np_finished done[POOL_BATCH];
    size_t n;
    while ((n = np_queue_pop_many(s->work_queue, tasks, s->batch)) > 0) {
        /* A retirement notice is last in the queue: nothing is pushed after it until the worker
         * that takes it is joined. */
        int retiring = !tasks[n - 1].work.article;
        n -= (size_t)retiring;
        for (size_t i = 0; i < n; i++)
            np_task_run(&s->config->process, &tasks[i], &done[i]);
        if (n > 0)
            np_collector_deliver(s->collector, done, n);
        /* A dispatcher short of memory may try again now. One lock per batch. */
        pthread_mutex_lock(&s->mutex);
        s->finished += n;
        if (s->dispatcher_waiting)
            pthread_cond_signal(&s->worker_finished);
        if (retiring) {
            s->retired = pthread_self();
            s->retired_ready = 1;
            pthread_cond_signal(&s->worker_retired);
        }
        pthread_mutex_unlock(&s->mutex);
        if (retiring)
            return NULL;
    }
    return NULL;
}

/* Hands the pending batch to the workers. */
static void flush_pending(pool_scheduler *s)
{
    if (s->pending_count > 0)
        np_queue_push_many(s->work_queue, s->pending, s->pending_count, NULL);
    s->pooled += s->pending_count;
    s->pending_count = 0;
}

static void submit(np_scheduler *base, const np_task *task)
{
    pool_scheduler *s = (pool_scheduler *)base;
    s->pending[s->pending_count++] = *task;
    if (s->pending_count == s->dispatch_batch)
        flush_pending(s);
}

/* Makes one worker exit and joins it; 0 when only one is alive (it is never retired). */
static int retire_a_worker(pool_scheduler *s)
{
    if (s->alive <= 1)
        return 0;
    np_task notice = {0};
    np_queue_push(s->work_queue, &notice, NULL);
    pthread_mutex_lock(&s->mutex);
    while (!s->retired_ready)
        pthread_cond_wait(&s->worker_retired, &s->mutex);
    s->retired_ready = 0;
    pthread_t retired = s->retired;
    pthread_mutex_unlock(&s->mutex);
    pthread_join(retired, NULL);
    size_t i = 0;
    while (!pthread_equal(s->workers[i], retired))
        i++;
    s->workers[i] = s->workers[--s->alive];
    s->stats->retired_workers++;
    return 1;
}

/*
 * Retires an idle worker, if any (NP_ROOM_RETIRED), or waits until a worker finishes an article
 * (NP_ROOM_FINISHED); NP_ROOM_NONE at once when nothing is in flight and one worker is left. The
 * pending batch is handed over first, so that it can run.
 */
static np_room make_room(np_scheduler *base)
{
    pool_scheduler *s = (pool_scheduler *)base;
    flush_pending(s);
    pthread_mutex_lock(&s->mutex);
    size_t seen = s->finished;
    pthread_mutex_unlock(&s->mutex);
    if (s->pooled - seen < s->alive && retire_a_worker(s))
        return NP_ROOM_RETIRED;
    pthread_mutex_lock(&s->mutex);
    s->dispatcher_waiting = 1;
    while (s->finished == seen && s->finished < s->pooled)
        pthread_cond_wait(&s->worker_finished, &s->mutex);
    s->dispatcher_waiting = 0;
    int progressed = s->finished != seen;
    pthread_mutex_unlock(&s->mutex);
    return progressed ? NP_ROOM_FINISHED : NP_ROOM_NONE;
}

static void destroy(pool_scheduler *s)
{
    pthread_cond_destroy(&s->worker_retired);
    pthread_cond_destroy(&s->worker_finished);
    pthread_mutex_destroy(&s->mutex);
    np_queue_destroy(s->work_queue);
    free(s->workers);
    free(s);
}

/* Allocates s with its queue and worker array; NULL with err. */
static pool_scheduler *create(const np_pipeline_config *config, size_t workers, int bulk, char *err,
                              size_t err_size)
{
    pool_scheduler *s = calloc(1, sizeof(*s));
    if (s) {
        s->workers = calloc(workers, sizeof(*s->workers));
        size_t capacity = workers * 2 < 64 ? 64 : workers * 2;
        /* The dispatcher sleeps until workers have taken half the queue: a long queue makes
         * that rare. */
        if (bulk && capacity < NP_BULK_QUEUE_CAPACITY)
            capacity = NP_BULK_QUEUE_CAPACITY;
        s->work_queue = np_queue_create(capacity, sizeof(np_task));
    }
    if (!s || !s->workers || !s->work_queue) {
        snprintf(err, err_size, "out of memory setting up %zu workers", workers);
        if (s)
            np_queue_destroy(s->work_queue);
        free(s ? s->workers : NULL);
        free(s);
        return NULL;
    }
    *s = (pool_scheduler){
        .base = {&np_scheduler_pool},
        .config = config,
        .work_queue = s->work_queue,
        .workers = s->workers,
        /* Default attributes: these initializers are what pthread_*_init would do. */
        .mutex = PTHREAD_MUTEX_INITIALIZER,
        .worker_finished = PTHREAD_COND_INITIALIZER,
        .worker_retired = PTHREAD_COND_INITIALIZER,
        .batch = np_process_can_wait(&config->process) ? 1 : POOL_BATCH,
    };
    /* Batches are pushed only from an in-memory source: its next article is always there at
     * once, while a stream's next line may be minutes away, and a partial batch must not wait. */
    s->dispatch_batch = bulk ? s->batch : 1;
    return s;
}

static np_scheduler *start(const np_pipeline_config *config, np_collector *collector,
                           const pthread_attr_t *attr, int bulk, np_run_stats *stats, char *err,
                           size_t err_size)
{
    size_t workers = config->workers ? config->workers : 1;
    pool_scheduler *s = create(config, workers, bulk, err, err_size);
    if (!s)
        return NULL;
    s->collector = collector;
    s->stats = stats;
    int e = 0;
    while (s->started < workers &&
           (e = pthread_create(&s->workers[s->started], attr, worker_thread, s)) == 0)
        s->started++;
    s->alive = s->started;
    stats->threads_started = s->started;
    if (s->started == 0) {
        snprintf(err, err_size, "cannot start any worker thread: %s", strerror(e));
        destroy(s);
        return NULL;
    }
    if (s->started < workers)
        np_log_line(config->log, NP_LOG_NORMAL,
                    "news-processor: warning: started only %zu of %zu workers (%s)", s->started,
                    workers, strerror(e));
    return &s->base;
}

static void finish(np_scheduler *base)
{
    pool_scheduler *s = (pool_scheduler *)base;
    flush_pending(s);
    np_queue_close(s->work_queue);
    for (size_t i = 0; i < s->alive; i++)
        pthread_join(s->workers[i], NULL);
    s->stats->peak_threads = s->started;
    if (s->stats->retired_workers > 0)
        np_log_line(s->config->log, NP_LOG_NORMAL,
                    "news-processor: warning: memory ran short: retired %zu of the %zu workers "
                    "started, to give back their stacks",
                    s->stats->retired_workers, s->started);
    destroy(s);
}

const np_scheduler_ops np_scheduler_pool = {start, submit, make_room, finish};

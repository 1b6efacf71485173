/*
 * The pipeline: a dispatcher, a scheduler per mode, a results queue and one collector -- the
 * fan-out/fan-in of the Go series ("a goroutine per article, a channel to one collector").
 *
 * Threads and ownership:
 *   - the dispatcher (the caller's thread) pulls articles from the source in input order, gives
 *     each a slot (its position among the dispatched articles), and hands it to the scheduler:
 *       thread      one pthread per article; when the system refuses a thread, wait until a
 *                   running article finishes and retry; if none is running, run it inline;
 *       pool        N workers pop articles from a bounded work queue the dispatcher fills;
 *       sequential  the dispatcher runs the stages itself and calls the collector directly.
 *   - every processed article becomes a `finished` item pushed by value into the bounded results
 *     queue; the collector thread alone pops them, stamps arrival order, and stores them (or
 *     writes them as NDJSON lines). The caller reads the results only after the collector is
 *     joined, which orders those writes before the reads.
 *   - once cancelled, the dispatcher starts nothing new: remaining articles get a "cancelled"
 *     result through the same queue, so every input article appears exactly once.
 *   - memory pressure is back-pressure, not failure. The dispatcher allocates what an article
 *     needs (its result's summary buffer, np_process_reserve; in thread mode its task) before
 *     handing it on, so article threads and workers never allocate. When memory is refused, as
 *     when a thread is, the dispatcher waits until an article in flight finishes (thread mode:
 *     its thread exits and is joined, giving back its stack; pool mode: a worker finishes it)
 *     and tries again; the article fails with "out of memory" only when nothing is in
 *     flight and memory is still refused. Waiting costs no simulated time: nothing has started.
 * Finished article threads put themselves on a done list; the dispatcher joins them as it goes
 * (glibc keeps a joinable thread's stack until it is joined), and joins all of them at the end,
 * on every path, before the queues are destroyed.
 */
#include "np/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "np/clock.h"
#include "np/output.h"
#include "np/queue.h"
#include "np/stack_pool.h"
#include "np/thread_stack.h"

/* One processed (or skipped) article on its way to the collector. */
typedef struct finished {
    np_result result;
    np_work work;
    size_t slot; /* position among the dispatched articles: output order */
} finished;

/* An article handed to a scheduler, with the memory it will need. */
typedef struct task {
    np_work work;
    size_t slot;
    char *summary; /* from np_process_reserve; the article's result takes it */
    struct run_context *run;
    pthread_t thread;
    void *stack;            /* from run->stacks, given back once the thread is joined */
    struct task *next_done; /* done list link (thread mode) */
} task;

/*
 * How many articles a pool worker takes per lock acquisition, and so how many results it hands to
 * the collector at once, when stages cannot wait (np_process_can_wait): an article is then a few
 * microseconds of computation, so holding finished results until the batch is done delays them by
 * microseconds, while taking and handing off one at a time costs more than the work itself (lock
 * traffic and a wake-up per article among many threads on few cores). When stages can wait, an
 * article takes as long as its simulated calls, and batching would hold finished results for
 * seconds: workers then take one article at a time.
 */
#define POOL_BATCH 16

typedef struct collector_state {
    np_pipeline_results kept; /* document mode */
    size_t kept_capacity;
    size_t collected;
    size_t status_count[NP_STATUS_COUNT];
    long long wait_ns;
    int out_of_memory;
    int output_errno;
} collector_state;

typedef struct run_context {
    const np_pipeline_config *config;
    np_queue *results_queue;
    np_queue *work_queue; /* pool mode */
    size_t pool_batch;    /* articles a worker takes at once: 1, or POOL_BATCH */
    collector_state collector;
    /* Thread-mode registry: live count and the done list, under registry_mutex. */
    pthread_mutex_t registry_mutex;
    pthread_cond_t thread_exited;
    size_t live_threads;
    size_t peak_threads;
    task *done_list;
    size_t done_count; /* threads on done_list */
    /* How many finished threads wake a waiting dispatcher (or the last one, live_threads == 0):
     * 1 when it waits for any finish (a refused thread or memory), REAP_BATCH at the end. */
    size_t reap_batch;
    /* Thread mode, dispatcher only: article threads' stacks, and the attributes that carry one
     * of them to pthread_create. */
    np_stack_pool *stacks;
    pthread_attr_t thread_attr;
    /* Pool mode, under registry_mutex: articles the workers have finished, and whether the
     * dispatcher, short of memory, waits on worker_finished for that count to grow. */
    pthread_cond_t worker_finished;
    size_t pool_finished;
    int dispatcher_waiting;
    /* Pool mode, dispatcher only: articles pushed to the work queue, and those not yet pushed
     * (a batch). */
    size_t pooled;
    task pending[POOL_BATCH];
    size_t pending_count;
    /* Producer-side statistics, under registry_mutex (pushes from many threads). */
    long long producer_wait_ns;
    /* Written by the dispatcher, read by the collector for progress. */
    atomic_size_t dispatched;
    atomic_int input_finished;
} run_context;

/* How many results the collector takes per lock acquisition. */
#define COLLECT_BATCH 64

const char *np_mode_name(np_mode mode)
{
    static const char *const names[NP_MODE_COUNT] = {
        [NP_MODE_THREAD] = "thread",
        [NP_MODE_POOL] = "pool",
        [NP_MODE_SEQUENTIAL] = "sequential",
    };
    return mode < NP_MODE_COUNT ? names[mode] : "unknown";
}

size_t np_pipeline_default_workers(const np_process_config *process)
{
    if (np_process_can_wait(process))
        return NP_DEFAULT_WORKERS;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (size_t)cpus : 1;
}

size_t np_pipeline_default_queue_capacity(const np_process_config *process)
{
    return np_process_can_wait(process) ? NP_DEFAULT_QUEUE_CAPACITY : NP_BULK_QUEUE_CAPACITY;
}

void np_pipeline_results_free(np_pipeline_results *out)
{
    for (size_t i = 0; i < out->count; i++) {
        np_result_clear(&out->results[i]);
        if (out->owned)
            free(out->owned[i]);
    }
    free(out->results);
    free(out->articles);
    free(out->owned);
    memset(out, 0, sizeof(*out));
}

/* Collector only (or before it starts): grows the kept arrays to capacity slots. */
static int reserve_capacity(collector_state *c, size_t capacity)
{
    if (capacity <= c->kept_capacity)
        return 0;
    np_result *results = realloc(c->kept.results, capacity * sizeof(*results));
    if (results)
        c->kept.results = results;
    np_article *articles = realloc(c->kept.articles, capacity * sizeof(*articles));
    if (articles)
        c->kept.articles = articles;
    void **owned = realloc(c->kept.owned, capacity * sizeof(*owned));
    if (owned)
        c->kept.owned = owned;
    if (!results || !articles || !owned)
        return -1;
    /* Zero the new part: a slot never filled (impossible unless memory ran out) stays empty. */
    memset(results + c->kept_capacity, 0, (capacity - c->kept_capacity) * sizeof(*results));
    memset(owned + c->kept_capacity, 0, (capacity - c->kept_capacity) * sizeof(*owned));
    memset(articles + c->kept_capacity, 0, (capacity - c->kept_capacity) * sizeof(*articles));
    c->kept_capacity = capacity;
    return 0;
}

/* Collector only: makes room for slot in the kept arrays, doubling them as needed. */
static int reserve_slot(collector_state *c, size_t slot)
{
    if (slot < c->kept_capacity)
        return 0;
    size_t capacity = c->kept_capacity ? c->kept_capacity : 256;
    while (capacity <= slot)
        capacity *= 2;
    return reserve_capacity(c, capacity);
}

/* The collector's one job, whichever thread runs it (the collector thread, or the dispatcher
 * in sequential mode): stamp (received_ns: when the collector took it), then keep or stream the
 * result. */
static void collect(run_context *run, finished *item, long long received_ns)
{
    collector_state *c = &run->collector;
    item->result.completed = ++c->collected;
    item->result.received_ns = received_ns;
    /* From the end of its stages to the collector: blocked on a full queue, then queued. */
    if (item->result.finished_ns)
        item->result.queue_wait_ns = item->result.received_ns - item->result.finished_ns;
    if (item->result.status < NP_STATUS_COUNT)
        c->status_count[item->result.status]++;
    FILE *stream = run->config->stream_out;
    if (stream) {
        if (!c->output_errno) {
            np_output_write_article(stream, item->work.article, &item->result);
            fputc('\n', stream);
            /* fflush's errno is the write's; an error flag whose errno is gone becomes EIO. */
            if (fflush(stream) != 0)
                c->output_errno = errno ? errno : EIO;
            else if (ferror(stream))
                c->output_errno = EIO;
            /* Nothing more can be delivered: stop the run rather than compute for nobody. */
            if (c->output_errno && run->config->process.cancel)
                np_cancel_raise(run->config->process.cancel, NP_CANCEL_OUTPUT_FAILED);
        }
        np_result_clear(&item->result);
        free(item->work.owned);
    } else if (reserve_slot(c, item->slot) != 0) {
        c->out_of_memory = 1;
        np_result_clear(&item->result);
        free(item->work.owned);
    } else {
        c->kept.results[item->slot] = item->result;
        c->kept.articles[item->slot] = *item->work.article;
        c->kept.owned[item->slot] = item->work.owned;
        if (item->slot + 1 > c->kept.count)
            c->kept.count = item->slot + 1;
    }
    if (run->config->progress)
        run->config->progress(run->config->progress_context, c->collected,
                              atomic_load(&run->dispatched), atomic_load(&run->input_finished));
}

static void *collector_thread(void *arg)
{
    run_context *run = arg;
    finished batch[COLLECT_BATCH];
    /* With a progress display, wake at least 10 times a second so the line stays live. */
    int ticking = run->config->progress != NULL;
    for (;;) {
        long long wait_start = np_clock_now_ns();
        struct timespec tick = {0};
        if (ticking)
            tick = np_clock_deadline_after_ns(100000000LL);
        int timed_out = 0;
        size_t n = np_queue_pop_many_until(run->results_queue, batch, COLLECT_BATCH,
                                           ticking ? &tick : NULL, &timed_out);
        /* Taken together by one pop: one time for all of them. */
        long long received_ns = np_clock_now_ns();
        run->collector.wait_ns += received_ns - wait_start;
        if (ticking && timed_out) {
            run->config->progress(run->config->progress_context, run->collector.collected,
                                  atomic_load(&run->dispatched), atomic_load(&run->input_finished));
            continue;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            collect(run, &batch[i], received_ns);
    }
    return NULL;
}

/* Hands finished items to the collector: through the queue, or directly in sequential mode. */
static void deliver(run_context *run, finished *items, size_t n)
{
    if (run->config->mode == NP_MODE_SEQUENTIAL) {
        long long received_ns = np_clock_now_ns();
        for (size_t i = 0; i < n; i++)
            collect(run, &items[i], received_ns);
        return;
    }
    long long waited = 0;
    /* The results queue is closed only after every producer is joined: this push succeeds. */
    for (size_t i = np_queue_push_many(run->results_queue, items, n, &waited); i < n; i++) {
        np_result_clear(&items[i].result);
        free(items[i].work.owned);
    }
    if (waited) {
        pthread_mutex_lock(&run->registry_mutex);
        run->producer_wait_ns += waited;
        pthread_mutex_unlock(&run->registry_mutex);
    }
}

/* Runs the stages for a task (or marks it cancelled) into *item; the result takes its memory. */
static void run_task(run_context *run, const task *t, finished *item)
{
    *item = (finished){.work = t->work, .slot = t->slot};
    if (np_cancel_reason_of(run->config->process.cancel) != NP_CANCEL_NONE) {
        free(t->summary);
        np_process_skip_cancelled(t->work.index, &item->result);
    } else {
        np_process_article(t->work.article, t->work.index, &run->config->process, t->summary,
                           &item->result);
    }
}

/* Delivers a result that needs no processing: failed for want of memory, or cancelled. */
static void deliver_unprocessed(run_context *run, const task *t, int cancelled)
{
    finished item = {.work = t->work, .slot = t->slot};
    if (cancelled)
        np_process_skip_cancelled(t->work.index, &item.result);
    else
        np_process_fail_out_of_memory(t->work.index, &item.result);
    deliver(run, &item, 1);
}

/* Runs a task and delivers its result. */
static void process_task(run_context *run, const task *t)
{
    finished item;
    run_task(run, t, &item);
    deliver(run, &item, 1);
}

/* ---- thread mode ---------------------------------------------------------------------- */

static void *article_thread(void *arg)
{
    task *t = arg;
    run_context *run = t->run;
    process_task(run, t);
    pthread_mutex_lock(&run->registry_mutex);
    t->next_done = run->done_list;
    run->done_list = t;
    run->done_count++;
    run->live_threads--;
    if (run->done_count >= run->reap_batch || run->live_threads == 0)
        pthread_cond_signal(&run->thread_exited);
    pthread_mutex_unlock(&run->registry_mutex);
    return NULL;
}

/* Joins every thread that has finished. Dispatcher only. */
static void reap_finished(run_context *run)
{
    pthread_mutex_lock(&run->registry_mutex);
    task *done = run->done_list;
    run->done_list = NULL;
    run->done_count = 0;
    pthread_mutex_unlock(&run->registry_mutex);
    while (done) {
        task *next = done->next_done;
        pthread_join(done->thread, NULL);
        np_stack_pool_release(run->stacks, done->stack);
        free(done);
        done = next;
    }
}

/* Pool mode, dispatcher only: hands the pending batch to the workers. */
static void flush_pending(run_context *run)
{
    if (run->pending_count > 0)
        np_queue_push_many(run->work_queue, run->pending, run->pending_count, NULL);
    run->pooled += run->pending_count;
    run->pending_count = 0;
}

/*
 * Dispatcher only, after the system refused memory or a thread: waits until an article in flight
 * finishes -- in thread mode until its thread exits (then joins it, which gives back its stack),
 * in pool mode until a worker finishes one -- and returns 1 to say "try again". Returns 0 at once
 * when nothing is in flight (nothing to wait for: in sequential mode, always). In pool mode the
 * pending batch is handed over first, so that it can run.
 */
static int wait_for_a_finish(run_context *run)
{
    int progressed = 0;
    if (run->config->mode == NP_MODE_THREAD) {
        /* Memory or a thread was refused: first give back the stacks no thread uses. */
        np_stack_pool_trim(run->stacks);
        pthread_mutex_lock(&run->registry_mutex);
        run->reap_batch = 1;
        while (run->live_threads > 0 && !run->done_list)
            pthread_cond_wait(&run->thread_exited, &run->registry_mutex);
        progressed = run->done_list != NULL;
        pthread_mutex_unlock(&run->registry_mutex);
        reap_finished(run);
    } else if (run->config->mode == NP_MODE_POOL) {
        flush_pending(run);
        pthread_mutex_lock(&run->registry_mutex);
        size_t seen = run->pool_finished;
        run->dispatcher_waiting = 1;
        while (run->pool_finished == seen && run->pool_finished < run->pooled)
            pthread_cond_wait(&run->worker_finished, &run->registry_mutex);
        run->dispatcher_waiting = 0;
        progressed = run->pool_finished != seen;
        pthread_mutex_unlock(&run->registry_mutex);
    }
    return progressed;
}

/*
 * Gives t its memory (np_process_reserve), waiting for articles in flight to finish while memory
 * is refused. Returns 0, or -1 when t was delivered instead: failed ("out of memory") because
 * nothing was in flight and memory was still refused, or cancelled meanwhile.
 */
static int reserve_memory(run_context *run, task *t, np_run_stats *stats)
{
    for (;;) {
        t->summary = np_process_reserve(t->work.article);
        if (t->summary)
            return 0;
        int retry = wait_for_a_finish(run);
        int cancelled = np_cancel_reason_of(run->config->process.cancel) != NP_CANCEL_NONE;
        if (!retry || cancelled) {
            deliver_unprocessed(run, t, cancelled);
            return -1;
        }
        stats->memory_retries++;
    }
}

/*
 * Starts a thread for t on a stack from the pool. When the system refuses the thread or the
 * stack's memory, waits for a running article to finish (its stack returns to the pool) and
 * retries; with none running, runs t inline so the run always progresses. Never busy-waits.
 */
static void start_article_thread(run_context *run, task *t, np_run_stats *stats)
{
    for (;;) {
        reap_finished(run);
        int err = np_stack_pool_acquire(run->stacks, &t->stack);
        if (!err) {
            pthread_mutex_lock(&run->registry_mutex);
            size_t live = ++run->live_threads; /* before create: it may finish before it returns */
            pthread_mutex_unlock(&run->registry_mutex);
            err = pthread_attr_setstack(&run->thread_attr, t->stack,
                                        np_stack_pool_stack_size(run->stacks));
            if (!err)
                err = pthread_create(&t->thread, &run->thread_attr, article_thread, t);
            if (!err) {
                /* The peak counts threads that really started: a refused one is taken back
                 * below. Only this thread starts article threads, so the others counted had. */
                pthread_mutex_lock(&run->registry_mutex);
                if (live > run->peak_threads)
                    run->peak_threads = live;
                pthread_mutex_unlock(&run->registry_mutex);
                stats->threads_started++;
                return;
            }
            np_stack_pool_release(run->stacks, t->stack);
            pthread_mutex_lock(&run->registry_mutex);
            run->live_threads--;
            pthread_mutex_unlock(&run->registry_mutex);
        }
        stats->refused_threads++;
        if (!wait_for_a_finish(run)) {
            stats->inline_articles++;
            process_task(run, t);
            free(t);
            return;
        }
    }
}

/*
 * Thread mode: gives the article its memory and its thread, each refusal waiting for a running
 * article to finish. Without memory for its task (the thread's argument) and with nothing
 * running, it runs here, on the dispatcher, rather than be lost.
 */
static void dispatch_to_thread(run_context *run, const task *local, np_run_stats *stats)
{
    task *t = malloc(sizeof(*t));
    while (!t) {
        if (!wait_for_a_finish(run)) {
            stats->inline_articles++;
            process_task(run, local);
            return;
        }
        stats->memory_retries++;
        t = malloc(sizeof(*t));
    }
    *t = *local;
    start_article_thread(run, t, stats);
}

/*
 * Joins every article thread, REAP_BATCH at a time as they finish, and the rest once the last
 * one has: the dispatcher wakes once per batch rather than once per thread (a futex wake-up and
 * two context switches each, thousands of them at the end of a large run), while a join at the
 * end, with the stack going back to the pool, costs about a microsecond.
 */
#define REAP_BATCH 64

static void join_all_article_threads(run_context *run)
{
    for (;;) {
        reap_finished(run);
        pthread_mutex_lock(&run->registry_mutex);
        run->reap_batch = REAP_BATCH;
        while (run->live_threads > 0 && run->done_count < run->reap_batch)
            pthread_cond_wait(&run->thread_exited, &run->registry_mutex);
        int all_joined = run->live_threads == 0 && !run->done_list;
        pthread_mutex_unlock(&run->registry_mutex);
        if (all_joined)
            return;
    }
}

/* ---- pool mode ------------------------------------------------------------------------ */

static void *worker_thread(void *arg)
{
    run_context *run = arg;
    task tasks[POOL_BATCH];
    finished done[POOL_BATCH];
    size_t n;
    while ((n = np_queue_pop_many(run->work_queue, tasks, run->pool_batch)) > 0) {
        for (size_t i = 0; i < n; i++)
            run_task(run, &tasks[i], &done[i]);
        deliver(run, done, n);
        /* A dispatcher short of memory may try again now. One lock per batch. */
        pthread_mutex_lock(&run->registry_mutex);
        run->pool_finished += n;
        if (run->dispatcher_waiting)
            pthread_cond_signal(&run->worker_finished);
        pthread_mutex_unlock(&run->registry_mutex);
    }
    return NULL;
}

/* ---- critical path -------------------------------------------------------------------- */

/* The ideal schedule's finish time: the schedule the mode would follow with no overhead. */
typedef struct ideal_schedule {
    np_mode mode;
    uint64_t longest; /* thread mode: the largest per-article ideal */
    uint64_t total;   /* sequential mode: the sum */
    uint64_t *heap;   /* pool mode: workers' free times, a min-heap */
    size_t workers;
} ideal_schedule;

static void heap_sift_down(uint64_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t smallest = i, left = 2 * i + 1, right = left + 1;
        if (left < n && heap[left] < heap[smallest])
            smallest = left;
        if (right < n && heap[right] < heap[smallest])
            smallest = right;
        if (smallest == i)
            return;
        uint64_t tmp = heap[i];
        heap[i] = heap[smallest];
        heap[smallest] = tmp;
        i = smallest;
    }
}

/* Adds an article taking ideal_ms, in input order. */
static void schedule_ideal(ideal_schedule *s, uint64_t ideal_ms)
{
    if (ideal_ms > s->longest)
        s->longest = ideal_ms;
    s->total += ideal_ms;
    if (s->heap) {
        /* The worker that frees first takes the next article. */
        s->heap[0] += ideal_ms;
        heap_sift_down(s->heap, s->workers, 0);
    }
}

static uint64_t ideal_finish(const ideal_schedule *s)
{
    if (s->mode == NP_MODE_SEQUENTIAL)
        return s->total;
    if (s->mode == NP_MODE_POOL && s->heap) {
        uint64_t finish = 0;
        for (size_t i = 0; i < s->workers; i++)
            if (s->heap[i] > finish)
                finish = s->heap[i];
        return finish;
    }
    return s->longest;
}

/* ---- the futex hash ------------------------------------------------------------------- */

/* Linux 6.16's PR_FUTEX_HASH, which older headers (Debian 12's) do not define. */
#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH           78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif

/* Most live threads a run can have on Linux (kernel.pid_max is 32768 by default). */
#define LIVE_THREADS_MAX 32768

/* Fewer threads than this leave the futex hash alone (see size_futex_hash). */
#define FUTEX_HASH_MIN_THREADS 2048

/*
 * Sizes the process's futex hash for about `threads` threads blocked at once. Since Linux 6.16 a
 * threaded process gets a private futex hash whose size follows the number of CPUs, not of
 * threads: 16 buckets on these 2-core machines. Every thread blocked on a mutex or condition
 * variable sits in one of them, and waking one walks its bucket's whole chain, so with 10,000
 * article threads asleep in their stage calls each wake-up walked some 600 entries, and a run
 * could spend seconds in the kernel (measured; the pipeline itself was idle). Four buckets per
 * thread, as the kernel would give a small process, keeps the chains short. Best effort: an older
 * kernel (with one global hash) rejects the call and nothing changes.
 */
static void size_futex_hash(size_t threads)
{
    /* Resizing costs an RCU grace period, 30-40 ms here (most of a small run's time), and below
     * a few thousand threads the default chains are short: since stage sleeps wait in ppoll
     * rather than on a futex, no gain was measured at 1,000 threads, while at 10,000 runs
     * without it sometimes took 4 s instead of 1 (producers and the registry's waiters). */
    if (threads < FUTEX_HASH_MIN_THREADS)
        return;
    if (threads > LIVE_THREADS_MAX)
        threads = LIVE_THREADS_MAX;
    unsigned long slots = 16;
    while (slots < 4 * threads)
        slots *= 2;
    /* 0: no private hash yet (no thread started so far); the one set now is kept when it is. */
    int current = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0);
    if (current >= 0 && (unsigned long)current < slots)
        (void)prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, slots, 0, 0);
}

/* ---- the run -------------------------------------------------------------------------- */

static int in_shard(const np_pipeline_config *config, size_t index)
{
    return config->shard_count <= 1 || index % config->shard_count == config->shard_index;
}

int np_pipeline_run(np_source *source, const np_pipeline_config *config, np_pipeline_results *out,
                    np_run_stats *stats, char *err, size_t err_size)
{
    memset(stats, 0, sizeof(*stats));
    memset(out, 0, sizeof(*out));
    run_context run = {.config = config,
                       .reap_batch = 1,
                       .pool_batch = np_process_can_wait(&config->process) ? 1 : POOL_BATCH};
    np_mode mode = config->mode;
    size_t workers = mode == NP_MODE_POOL ? (config->workers ? config->workers : 1) : 0;
    ideal_schedule ideal = {.mode = mode, .workers = workers};
    pthread_attr_t attr;
    int attr_ready = 0, registry_ready = 0, collector_started = 0, rc = 0, e;
    pthread_t collector;
    pthread_t *worker_threads = NULL;
    size_t workers_started = 0;
    size_t total = np_source_total(source); /* 0: not known in advance (a stream) */
    /* Articles of pure computation (no stage call can wait), all in memory: work and results
     * then come in floods, and each hand-over between threads is worth batching (see POOL_BATCH
     * and below). A stream's next line may be minutes away, so its articles are never held back. */
    int bulk = run.pool_batch > 1 && total > 0;

    if (mode == NP_MODE_POOL) {
        ideal.heap = calloc(workers, sizeof(*ideal.heap));
        worker_threads = calloc(workers, sizeof(*worker_threads));
        size_t work_capacity = workers * 2 < 64 ? 64 : workers * 2;
        /* The dispatcher sleeps until workers have taken half the queue: a long queue makes that
         * rare. */
        if (bulk && work_capacity < NP_BULK_QUEUE_CAPACITY)
            work_capacity = NP_BULK_QUEUE_CAPACITY;
        run.work_queue = np_queue_create(work_capacity, sizeof(task));
        if (!ideal.heap || !worker_threads || !run.work_queue) {
            snprintf(err, err_size, "out of memory setting up %zu workers", workers);
            rc = -1;
            goto cleanup;
        }
    }
    if (mode != NP_MODE_SEQUENTIAL) {
        run.results_queue = np_queue_create(config->queue_capacity, sizeof(finished));
        if (!run.results_queue) {
            snprintf(err, err_size, "out of memory creating the results queue");
            rc = -1;
            goto cleanup;
        }
        /* The collector handles a result in well under a microsecond: woken for every hand-over,
         * it would spend its time (and the workers' cores) switching. In a flood it waits for
         * half a queue instead; the last results arrive when the queue closes. */
        if (bulk)
            np_queue_set_consumer_batch(run.results_queue, config->queue_capacity / 2);
    }
    e = pthread_mutex_init(&run.registry_mutex, NULL);
    if (!e) {
        e = pthread_cond_init(&run.thread_exited, NULL);
        if (e)
            pthread_mutex_destroy(&run.registry_mutex);
    }
    if (!e) {
        e = pthread_cond_init(&run.worker_finished, NULL);
        if (e) {
            pthread_cond_destroy(&run.thread_exited);
            pthread_mutex_destroy(&run.registry_mutex);
        }
    }
    if (!e) {
        registry_ready = 1;
        e = pthread_attr_init(&attr);
    }
    if (!e) {
        attr_ready = 1;
        e = pthread_attr_setstacksize(
            &attr,
            np_thread_stack_size(config->stack_size ? config->stack_size : NP_THREAD_STACK_SIZE));
    }
    if (e) {
        snprintf(err, err_size, "cannot set up threads: %s", strerror(e));
        rc = -1;
        goto cleanup;
    }
    if (mode == NP_MODE_THREAD) {
        /* Article threads run on the pool's stacks, set per thread on thread_attr. */
        run.stacks =
            np_stack_pool_create(config->stack_size ? config->stack_size : NP_THREAD_STACK_SIZE, 0);
        e = run.stacks ? pthread_attr_init(&run.thread_attr) : ENOMEM;
        if (e) {
            np_stack_pool_destroy(run.stacks);
            run.stacks = NULL;
            snprintf(err, err_size, "out of memory setting up thread stacks");
            rc = -1;
            goto cleanup;
        }
    }

    /* With the article count known, the collector's arrays are sized once, before any thread
     * starts, rather than grown (and copied) as results arrive. */
    size_t slots = total > 0 && config->shard_count > 1 ? total / config->shard_count + 1 : total;
    if (slots > 0 && !config->stream_out && reserve_capacity(&run.collector, slots) != 0) {
        snprintf(err, err_size, "out of memory storing results");
        rc = -1;
        goto cleanup;
    }

    /* The stage sleeps are the simulated calls' latencies: without this, the kernel may end each
     * one up to 50 µs late (the default timer slack, for batching wake-ups), which adds up over an
     * article's calls and, in sequential mode, over the whole run. Threads inherit it. */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (mode == NP_MODE_THREAD)
        size_futex_hash(total > 0 ? total : LIVE_THREADS_MAX);
    else if (mode == NP_MODE_POOL)
        size_futex_hash(workers);

    stats->start_ns = np_clock_now_ns();
    if (mode != NP_MODE_SEQUENTIAL) {
        e = pthread_create(&collector, &attr, collector_thread, &run);
        if (e) {
            snprintf(err, err_size, "cannot start the collector thread: %s", strerror(e));
            rc = -1;
            goto cleanup;
        }
        collector_started = 1;
    }
    for (; workers_started < workers; workers_started++) {
        e = pthread_create(&worker_threads[workers_started], &attr, worker_thread, &run);
        if (e)
            break;
    }
    if (mode == NP_MODE_POOL && workers_started < workers) {
        if (workers_started == 0) {
            snprintf(err, err_size, "cannot start any worker thread: %s", strerror(e));
            rc = -1;
            goto finish;
        }
        np_log_line(config->log, NP_LOG_NORMAL,
                    "news-processor: warning: started only %zu of %zu workers (%s)",
                    workers_started, workers, strerror(e));
        /* The ideal schedule is that of the workers that really run. */
        ideal.workers = workers_started;
    }
    stats->threads_started = workers_started;

    /* Pool mode hands articles to the work queue in batches as workers take them (pool_batch), but
     * only from an in-memory source: its next article is always there at once, while a stream's
     * next line may be minutes away, and a partial batch must not wait for it. */
    size_t dispatch_batch = bulk ? run.pool_batch : 1;
    np_work work;
    int got;
    while ((got = np_source_next(source, &work, err, err_size)) == 1) {
        if (!in_shard(config, work.index)) {
            free(work.owned);
            continue;
        }
        size_t slot = atomic_fetch_add(&run.dispatched, 1);
        task local = {.work = work, .slot = slot, .run = &run};
        if (np_cancel_reason_of(config->process.cancel) != NP_CANCEL_NONE) {
            deliver_unprocessed(&run, &local, 1);
            continue;
        }
        if (reserve_memory(&run, &local, stats) != 0)
            continue; /* delivered failed or cancelled: it takes no time in the ideal schedule */
        schedule_ideal(&ideal, np_process_ideal_ms(work.article, &config->process));
        if (mode == NP_MODE_SEQUENTIAL) {
            process_task(&run, &local);
        } else if (mode == NP_MODE_POOL) {
            run.pending[run.pending_count++] = local;
            if (run.pending_count == dispatch_batch)
                flush_pending(&run);
        } else {
            dispatch_to_thread(&run, &local, stats);
        }
    }
    if (mode == NP_MODE_POOL)
        flush_pending(&run);
    if (got < 0)
        rc = 1;
    atomic_store(&run.input_finished, 1);

finish:
    if (mode == NP_MODE_POOL) {
        np_queue_close(run.work_queue);
        for (size_t i = 0; i < workers_started; i++)
            pthread_join(worker_threads[i], NULL);
        stats->peak_threads = workers_started;
    } else if (mode == NP_MODE_THREAD) {
        join_all_article_threads(&run);
        stats->peak_threads = run.peak_threads;
    }
    if (collector_started) {
        np_queue_close(run.results_queue);
        pthread_join(collector, NULL);
    }
    if (config->progress)
        config->progress(config->progress_context, run.collector.collected,
                         atomic_load(&run.dispatched), 1);
    stats->wall_ns = np_clock_now_ns() - stats->start_ns;
    stats->critical_path_ms = ideal_finish(&ideal);
    stats->dispatched = atomic_load(&run.dispatched);
    stats->collected = run.collector.collected;
    memcpy(stats->status_count, run.collector.status_count, sizeof(stats->status_count));
    stats->producer_wait_ns = run.producer_wait_ns;
    stats->collector_wait_ns = run.collector.wait_ns;
    stats->output_errno = run.collector.output_errno;
    if (run.results_queue)
        stats->queue_max_depth = np_queue_max_depth(run.results_queue);
    *out = run.collector.kept;
    run.collector.kept = (np_pipeline_results){0};
    if (rc >= 0 && run.collector.out_of_memory) {
        snprintf(err, err_size, "out of memory storing results");
        rc = -1;
    }
    if (rc < 0)
        np_pipeline_results_free(out);

cleanup:
    np_pipeline_results_free(&run.collector.kept);
    if (attr_ready)
        pthread_attr_destroy(&attr);
    if (run.stacks) {
        pthread_attr_destroy(&run.thread_attr);
        np_stack_pool_destroy(run.stacks);
    }
    if (registry_ready) {
        pthread_cond_destroy(&run.worker_finished);
        pthread_cond_destroy(&run.thread_exited);
        pthread_mutex_destroy(&run.registry_mutex);
    }
    np_queue_destroy(run.results_queue);
    np_queue_destroy(run.work_queue);
    free(worker_threads);
    free(ideal.heap);
    return rc;
}

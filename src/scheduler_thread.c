/*
 * The thread scheduler: one pthread per article, started by the dispatcher.
 *
 * Threads and ownership: the dispatcher allocates each article's record (its task and thread)
 * and starts its thread; the article thread runs the stages, delivers the result, and puts its
 * record on the done list; the dispatcher joins the threads on that list as it goes (glibc keeps
 * a joinable thread's stack until it is joined) and frees their records. live_threads
 * and the done list are shared, under `mutex`; everything else is the dispatcher's.
 *
 * Refusals are back-pressure: when the system refuses a thread, a stack, or memory for a record,
 * the dispatcher waits until a running article finishes, joins it (its stack goes back to the
 * pool), and retries; with no article running, it runs the article itself rather than lose it.
 *
 * Stacks come from a pool the dispatcher owns (np/stack_pool.h): mapped in chunks, guard pages
 * set once, reused, so no thread start or exit maps, unmaps or madvises memory.
 *
 * Two dispatchers (np/dispatcher.h's lanes) may call submit and make_room at once: the pool is
 * then taken under pool_lock, each call sets its own thread attributes, and the counts are
 * atomic. One scheduler for both keeps make_room's promise (it waits for any article in flight,
 * whichever dispatcher started it) and the peak exact.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/pipeline.h"
#include "np/scheduler.h"
#include "np/stack_pool.h"

/*
 * How many finished threads wake the dispatcher at the end of a run: once per batch rather than
 * once per thread (a futex wake-up and two context switches each, thousands in a large run),
 * while a join at the end, the stack going back to the pool, costs about a microsecond.
 */
#define REAP_BATCH 64

typedef struct article {
    np_task task;
    struct thread_scheduler *owner;
    pthread_t thread;
    void *stack;               /* from the pool; given back once the thread is joined */
    struct article *next_done; /* done list link */
} article;

typedef struct thread_scheduler {
    np_scheduler base;
    const np_process_config *process;
    np_collector *collector;
    np_stack_pool *stacks; /* under pool_lock */
    pthread_mutex_t pool_lock;
    np_run_stats *stats; /* written by finish alone: the counts below go there */
    atomic_size_t threads_started, refused_threads, inline_articles, memory_retries, peak;
    pthread_mutex_t mutex;
    pthread_cond_t thread_exited;
    size_t live_threads; /* under mutex */
    article *done_list;  /* under mutex */
    size_t done_count;   /* under mutex: threads on done_list */
    size_t reaps;        /* under mutex: done lists taken so far (by either dispatcher) */
    /* Under mutex: how many finished threads wake a waiting dispatcher (or the last one): 1 when
     * it waits for any finish (a refusal), REAP_BATCH at the end. */
    size_t reap_batch;
} thread_scheduler;

static void *article_thread(void *arg)
{
    article *a = arg;
    thread_scheduler *s = a->owner;
    np_task_process(s->collector, s->process, &a->task);
    pthread_mutex_lock(&s->mutex);
    a->next_done = s->done_list;
    s->done_list = a;
    s->done_count++;
    s->live_threads--;
    /* Both dispatchers may be waiting in make_room: wake them all. */
    if (s->done_count >= s->reap_batch || s->live_threads == 0)
        pthread_cond_broadcast(&s->thread_exited);
    pthread_mutex_unlock(&s->mutex);
    return NULL;
}

/* Joins every thread that has finished. Dispatcher only. */
static void reap_finished(thread_scheduler *s)
{
    pthread_mutex_lock(&s->mutex);
    article *done = s->done_list;
    s->done_list = NULL;
    s->done_count = 0;
    if (done) {
        s->reaps++;
        /* The other dispatcher may wait in make_room: these stacks are room for it too. */
        pthread_cond_broadcast(&s->thread_exited);
    }
    pthread_mutex_unlock(&s->mutex);
    if (!done)
        return;
    for (article *a = done; a; a = a->next_done)
        pthread_join(a->thread, NULL);
    pthread_mutex_lock(&s->pool_lock);
    for (article *a = done; a; a = a->next_done)
        np_stack_pool_release(s->stacks, a->stack);
    pthread_mutex_unlock(&s->pool_lock);
    while (done) {
        article *next = done->next_done;
        free(done);
        done = next;
    }
}

/* Waits until a running article finishes, then joins it (NP_ROOM_FINISHED); NP_ROOM_NONE at
 * once when none is running. An article the other dispatcher joined meanwhile counts: its stack
 * went back to the pool all the same. */
static np_room make_room(np_scheduler *base)
{
    thread_scheduler *s = (thread_scheduler *)base;
    /* Memory or a thread was refused: first give back the stacks no thread uses. */
    pthread_mutex_lock(&s->pool_lock);
    np_stack_pool_trim(s->stacks);
    pthread_mutex_unlock(&s->pool_lock);
    pthread_mutex_lock(&s->mutex);
    s->reap_batch = 1;
    size_t reaps = s->reaps;
    while (s->live_threads > 0 && !s->done_list && s->reaps == reaps)
        pthread_cond_wait(&s->thread_exited, &s->mutex);
    int progressed = s->done_list != NULL || s->reaps != reaps;
    pthread_mutex_unlock(&s->mutex);
    reap_finished(s);
    return progressed ? NP_ROOM_FINISHED : NP_ROOM_NONE;
}

/*
 * Starts a thread for a on a stack from the pool. When the system refuses the thread or the
 * stack's memory, waits for a running article to finish (its stack returns to the pool) and
 * retries; with none running, runs a inline so the run always progresses. Never busy-waits.
 */
static void start_article_thread(thread_scheduler *s, article *a)
{
    for (;;) {
        reap_finished(s);
        pthread_mutex_lock(&s->pool_lock);
        int err = np_stack_pool_acquire(s->stacks, &a->stack);
        size_t stack_size = np_stack_pool_stack_size(s->stacks);
        pthread_mutex_unlock(&s->pool_lock);
        if (!err) {
            pthread_mutex_lock(&s->mutex);
            size_t live = ++s->live_threads; /* before create: it may finish before it returns */
            pthread_mutex_unlock(&s->mutex);
            pthread_attr_t attr;
            err = pthread_attr_init(&attr);
            if (!err) {
                err = pthread_attr_setstack(&attr, a->stack, stack_size);
                if (!err)
                    err = pthread_create(&a->thread, &attr, article_thread, a);
                pthread_attr_destroy(&attr);
            }
            if (!err) {
                /* The peak counts threads that really started: a refused one is taken back
                 * below, and live counted every thread started before this one. */
                size_t peak = atomic_load(&s->peak);
                while (live > peak && !atomic_compare_exchange_weak(&s->peak, &peak, live))
                    continue;
                atomic_fetch_add(&s->threads_started, 1);
                return;
            }
            pthread_mutex_lock(&s->pool_lock);
            np_stack_pool_release(s->stacks, a->stack);
            pthread_mutex_unlock(&s->pool_lock);
            pthread_mutex_lock(&s->mutex);
            /* The other dispatcher may be waiting in make_room on this count: with no thread
             * left running, nothing else would wake it. */
            if (--s->live_threads == 0)
                pthread_cond_broadcast(&s->thread_exited);
            pthread_mutex_unlock(&s->mutex);
        }
        atomic_fetch_add(&s->refused_threads, 1);
        if (make_room(&s->base) == NP_ROOM_NONE) {
            atomic_fetch_add(&s->inline_articles, 1);
            np_task_process(s->collector, s->process, &a->task);
            free(a);
            return;
        }
    }
}

/*
 * Gives the article its record and its thread, each refusal waiting for a running article to
 * finish. Without memory for its record and with nothing running, it runs here, on the
 * dispatcher, rather than be lost.
 */
static void submit(np_scheduler *base, const np_task *task)
{
    thread_scheduler *s = (thread_scheduler *)base;
    article *a = malloc(sizeof(*a));
    while (!a) {
        if (make_room(base) == NP_ROOM_NONE) {
            atomic_fetch_add(&s->inline_articles, 1);
            np_task_process(s->collector, s->process, task);
            return;
        }
        atomic_fetch_add(&s->memory_retries, 1);
        a = malloc(sizeof(*a));
    }
    *a = (article){.task = *task, .owner = s};
    start_article_thread(s, a);
}

static np_scheduler *start(const np_pipeline_config *config, np_collector *collector,
                           const pthread_attr_t *attr, int bulk, np_run_stats *stats, char *err,
                           size_t err_size)
{
    (void)bulk;
    (void)attr; /* each thread gets its own stack, set on the scheduler's attributes */
    thread_scheduler *s = malloc(sizeof(*s));
    np_stack_pool *stacks =
        s ? np_stack_pool_create(config->stack_size ? config->stack_size : NP_THREAD_STACK_SIZE, 0)
          : NULL;
    if (!stacks) {
        free(s);
        snprintf(err, err_size, "out of memory setting up the run");
        return NULL;
    }
    *s = (thread_scheduler){
        .base = {&np_scheduler_thread},
        .process = &config->process,
        .collector = collector,
        .stacks = stacks,
        .stats = stats,
        .reap_batch = 1,
        /* Default attributes: these initializers are what pthread_*_init would do. */
        .mutex = PTHREAD_MUTEX_INITIALIZER,
        .pool_lock = PTHREAD_MUTEX_INITIALIZER,
        .thread_exited = PTHREAD_COND_INITIALIZER,
    };
    return &s->base;
}

/* Joins every article thread, REAP_BATCH at a time as they finish, and the rest once the last
 * one has. */
static void finish(np_scheduler *base)
{
    thread_scheduler *s = (thread_scheduler *)base;
    for (;;) {
        reap_finished(s);
        pthread_mutex_lock(&s->mutex);
        s->reap_batch = REAP_BATCH;
        while (s->live_threads > 0 && s->done_count < s->reap_batch)
            pthread_cond_wait(&s->thread_exited, &s->mutex);
        int all_joined = s->live_threads == 0 && !s->done_list;
        pthread_mutex_unlock(&s->mutex);
        if (all_joined)
            break;
    }
    s->stats->threads_started += atomic_load(&s->threads_started);
    s->stats->peak_threads = atomic_load(&s->peak);
    s->stats->refused_threads += atomic_load(&s->refused_threads);
    s->stats->inline_articles += atomic_load(&s->inline_articles);
    s->stats->memory_retries += atomic_load(&s->memory_retries);
    np_stack_pool_destroy(s->stacks);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->thread_exited);
    pthread_mutex_destroy(&s->mutex);
    free(s);
}

const np_scheduler_ops np_scheduler_thread = {start, submit, make_room, finish};

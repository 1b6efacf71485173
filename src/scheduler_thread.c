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
 */
#include <pthread.h>
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
    np_stack_pool *stacks; /* dispatcher only */
    pthread_attr_t attr;   /* dispatcher only: carries each thread's stack to create */
    np_run_stats *stats;
    pthread_mutex_t mutex;
    pthread_cond_t thread_exited;
    size_t live_threads; /* under mutex */
    size_t peak_threads; /* dispatcher only */
    article *done_list;  /* under mutex */
    size_t done_count;   /* under mutex: threads on done_list */
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
    if (s->done_count >= s->reap_batch || s->live_threads == 0)
        pthread_cond_signal(&s->thread_exited);
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
    pthread_mutex_unlock(&s->mutex);
    while (done) {
        article *next = done->next_done;
        pthread_join(done->thread, NULL);
        np_stack_pool_release(s->stacks, done->stack);
        free(done);
        done = next;
    }
}

/* Waits until a running article finishes, then joins it (NP_ROOM_FINISHED); NP_ROOM_NONE at
 * once when none is running. */
static np_room make_room(np_scheduler *base)
{
    thread_scheduler *s = (thread_scheduler *)base;
    /* Memory or a thread was refused: first give back the stacks no thread uses. */
    np_stack_pool_trim(s->stacks);
    pthread_mutex_lock(&s->mutex);
    s->reap_batch = 1;
    while (s->live_threads > 0 && !s->done_list)
        pthread_cond_wait(&s->thread_exited, &s->mutex);
    int progressed = s->done_list != NULL;
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
        int err = np_stack_pool_acquire(s->stacks, &a->stack);
        if (!err) {
            pthread_mutex_lock(&s->mutex);
            size_t live = ++s->live_threads; /* before create: it may finish before it returns */
            pthread_mutex_unlock(&s->mutex);
            err = pthread_attr_setstack(&s->attr, a->stack, np_stack_pool_stack_size(s->stacks));
            if (!err)
                err = pthread_create(&a->thread, &s->attr, article_thread, a);
            if (!err) {
                /* The peak counts threads that really started: a refused one is taken back
                 * below. Only this thread starts article threads, so the others counted had. */
                if (live > s->peak_threads)
                    s->peak_threads = live;
                s->stats->threads_started++;
                return;
            }
            np_stack_pool_release(s->stacks, a->stack);
            pthread_mutex_lock(&s->mutex);
            s->live_threads--;
            pthread_mutex_unlock(&s->mutex);
        }
        s->stats->refused_threads++;
        if (make_room(&s->base) == NP_ROOM_NONE) {
            s->stats->inline_articles++;
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
            s->stats->inline_articles++;
            np_task_process(s->collector, s->process, task);
            return;
        }
        s->stats->memory_retries++;
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
        .thread_exited = PTHREAD_COND_INITIALIZER,
    };
    int e = pthread_attr_init(&s->attr);
    if (e) {
        np_stack_pool_destroy(stacks);
        free(s);
        snprintf(err, err_size, "cannot set up threads: %s", strerror(e));
        return NULL;
    }
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
    s->stats->peak_threads = s->peak_threads;
    pthread_attr_destroy(&s->attr);
    np_stack_pool_destroy(s->stacks);
    pthread_cond_destroy(&s->thread_exited);
    pthread_mutex_destroy(&s->mutex);
    free(s);
}

const np_scheduler_ops np_scheduler_thread = {start, submit, make_room, finish};

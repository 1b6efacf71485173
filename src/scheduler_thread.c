/*
 * The thread scheduler: one pthread per article, started by the dispatcher.
 *
 * Threads and ownership: the dispatcher allocates each article's record (its task and thread)
 * and starts its thread; the article thread runs the stages, delivers the result, and puts its
 * record on the done list; the dispatcher joins the threads on that list as it goes (glibc keeps
 * a joinable thread's stack until it is joined) and frees their records. live_threads, the peak
 * and the done list are shared, under `mutex`; everything else is the dispatcher's.
 *
 * Refusals are back-pressure: when the system refuses a thread, or memory for a record, the
 * dispatcher waits until a running article finishes, joins it (giving back its stack), and
 * retries; with no article running, it runs the article itself rather than lose it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "np/scheduler.h"

typedef struct article {
    np_task task;
    struct thread_scheduler *owner;
    pthread_t thread;
    struct article *next_done; /* done list link */
} article;

typedef struct thread_scheduler {
    np_scheduler base;
    const np_process_config *process;
    np_collector *collector;
    const pthread_attr_t *attr;
    np_run_stats *stats;
    pthread_mutex_t mutex;
    pthread_cond_t thread_exited;
    size_t live_threads; /* under mutex */
    size_t peak_threads; /* under mutex */
    article *done_list;  /* under mutex */
} thread_scheduler;

static void *article_thread(void *arg)
{
    article *a = arg;
    thread_scheduler *s = a->owner;
    np_task_process(s->collector, s->process, &a->task);
    pthread_mutex_lock(&s->mutex);
    a->next_done = s->done_list;
    s->done_list = a;
    s->live_threads--;
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
    pthread_mutex_unlock(&s->mutex);
    while (done) {
        article *next = done->next_done;
        pthread_join(done->thread, NULL);
        free(done);
        done = next;
    }
}

/* Waits until a running article finishes, then joins it (NP_ROOM_FINISHED); NP_ROOM_NONE at
 * once when none is running. */
static np_room make_room(np_scheduler *base)
{
    thread_scheduler *s = (thread_scheduler *)base;
    pthread_mutex_lock(&s->mutex);
    while (s->live_threads > 0 && !s->done_list)
        pthread_cond_wait(&s->thread_exited, &s->mutex);
    int progressed = s->done_list != NULL;
    pthread_mutex_unlock(&s->mutex);
    reap_finished(s);
    return progressed ? NP_ROOM_FINISHED : NP_ROOM_NONE;
}

/*
 * Starts a thread for a. When the system refuses, waits for a running article to finish and
 * retries; with none running, runs a inline so the run always progresses. Never busy-waits.
 */
static void start_article_thread(thread_scheduler *s, article *a)
{
    for (;;) {
        reap_finished(s);
        pthread_mutex_lock(&s->mutex);
        size_t live = ++s->live_threads; /* before create: it may finish before create returns */
        pthread_mutex_unlock(&s->mutex);
        int err = pthread_create(&a->thread, s->attr, article_thread, a);
        if (!err) {
            /* The peak counts threads that really started: a refused one is taken back below.
             * Only this thread starts article threads, so the others counted in live had. */
            pthread_mutex_lock(&s->mutex);
            if (live > s->peak_threads)
                s->peak_threads = live;
            pthread_mutex_unlock(&s->mutex);
            s->stats->threads_started++;
            return;
        }
        s->stats->refused_threads++;
        pthread_mutex_lock(&s->mutex);
        s->live_threads--;
        pthread_mutex_unlock(&s->mutex);
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
    thread_scheduler *s = malloc(sizeof(*s));
    if (!s) {
        snprintf(err, err_size, "out of memory setting up the run");
        return NULL;
    }
    *s = (thread_scheduler){
        .base = {&np_scheduler_thread},
        .process = &config->process,
        .collector = collector,
        .attr = attr,
        .stats = stats,
        /* Default attributes: these initializers are what pthread_*_init would do. */
        .mutex = PTHREAD_MUTEX_INITIALIZER,
        .thread_exited = PTHREAD_COND_INITIALIZER,
    };
    return &s->base;
}

/*
 * Joins every article thread, each as soon as it has finished: joining (which unmaps or caches
 * its stack) costs microseconds a thread, so leaving all of them to the end would add that for
 * every article to the run's wall time.
 */
static void finish(np_scheduler *base)
{
    thread_scheduler *s = (thread_scheduler *)base;
    while (make_room(base) != NP_ROOM_NONE)
        continue;
    s->stats->peak_threads = s->peak_threads;
    pthread_cond_destroy(&s->thread_exited);
    pthread_mutex_destroy(&s->mutex);
    free(s);
}

const np_scheduler_ops np_scheduler_thread = {start, submit, make_room, finish};

/*
 * The collector: one thread (or, in sequential mode, the dispatcher itself) that receives every
 * result, stamps its arrival order, and keeps it in input order or writes it as an NDJSON line.
 *
 * Design: producers push finished items by value into a bounded results queue; the collector
 * thread pops up to COLLECT_BATCH at a time, so a burst of results costs one lock. Only the
 * collector thread (or the one delivering thread, without it) writes the collector's state; the
 * dispatcher reads it after joining that thread (np_collector_finish). Producers share only the
 * queue and two atomic counters.
 */
#include "np/collector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/clock.h"
#include "np/fd_write.h"
#include "np/output.h"

/* How many results the collector takes per lock acquisition. */
#define COLLECT_BATCH 64

/* The progress line's period. */
#define TICK_NS 100000000LL

/*
 * While results come faster than one per PACE_NS, the collector waits for a quarter of a queue of
 * them or PACE_NS, whichever is first, instead of being woken for each: every wake-up is a futex
 * call by the producer, with the queue's mutex held, and two context switches, which in a burst
 * of thousands of article threads finishing was most of what thread mode added to the kernel's
 * work (bench/thread_floor.sh). A quarter, not half: the rest of the queue is the producers'
 * slack while a loaded machine is slow to run the collector (half filled it, and producers then
 * blocked: more futex calls, not fewer). A result waits at most PACE_NS longer in the queue;
 * when they come slower, each still wakes the collector at once.
 */
#define PACE_NS 1000000LL

/* Collector only (or before it starts): grows the kept arrays to capacity slots. */
static int reserve_capacity(np_collector *c, size_t capacity)
{
    if (capacity <= c->kept_capacity)
        return 0;
    if (c->kept_capacity == 0) {
        /* The first size, for a known article count, is most of the run's result memory (some
         * 35 MB for 100,000 articles): calloc gets it as pages that are zero already, touched
         * first by the collector as results arrive, where memset would go over all of it once
         * more before the run starts. */
        c->kept.results = calloc(capacity, sizeof(*c->kept.results));
        c->kept.articles = calloc(capacity, sizeof(*c->kept.articles));
        c->kept.owned = calloc(capacity, sizeof(*c->kept.owned));
        if (!c->kept.results || !c->kept.articles || !c->kept.owned)
            return -1;
        c->kept_capacity = capacity;
        return 0;
    }
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
static int reserve_slot(np_collector *c, size_t slot)
{
    if (slot < c->kept_capacity)
        return 0;
    size_t capacity = c->kept_capacity ? c->kept_capacity : 256;
    while (capacity <= slot)
        capacity *= 2;
    return reserve_capacity(c, capacity);
}

static void report_progress(const np_collector *c)
{
    if (c->config->progress)
        c->config->progress(c->config->progress_context, c->collected, atomic_load(&c->dispatched),
                            atomic_load(&c->input_finished));
}

/*
 * Writes item as one NDJSON line to stream's descriptor, cancellably (np/fd_write.h): a reader
 * that stopped reading must not keep a cancelled run from ending. The line is formatted in memory
 * first and stream itself holds nothing. Returns 0 or an errno value.
 */
static int write_line(np_collector *c, FILE *stream, const np_finished *item)
{
    char *line = NULL;
    size_t len = 0;
    FILE *memory = open_memstream(&line, &len);
    if (!memory)
        return ENOMEM;
    np_output_write_article(memory, item->work.article, &item->result);
    fputc('\n', memory);
    int err = fclose(memory) != 0 || !line ? ENOMEM : 0;
    int fd = fileno(stream);
    if (!err && fd >= 0) {
        err = np_fd_write_all(fd, line, len, np_cancel_fd(c->config->process.cancel));
    } else if (!err) { /* a stream with no descriptor (a test's memory stream): stdio it is */
        if (fwrite(line, 1, len, stream) != len || fflush(stream) != 0)
            err = errno ? errno : EIO;
    }
    free(line);
    return err;
}

/* The collector's one job, whichever thread runs it: stamp (received_ns: when the collector took
 * it), then keep or stream the result. */
/* Collector only: keeps the slot's measured ideal time, growing the array as needed. */
static void keep_measured_ideal(np_collector *c, size_t slot, uint64_t ideal_ms)
{
    if (slot >= c->measured_capacity) {
        size_t capacity = c->measured_capacity ? c->measured_capacity : 256;
        while (capacity <= slot)
            capacity *= 2;
        uint64_t *grown = realloc(c->measured_ideal, capacity * sizeof(*grown));
        if (!grown) {
            c->measured_incomplete = 1;
            return;
        }
        memset(grown + c->measured_capacity, 0, (capacity - c->measured_capacity) * sizeof(*grown));
        c->measured_ideal = grown;
        c->measured_capacity = capacity;
    }
    c->measured_ideal[slot] = ideal_ms;
}

static void collect(np_collector *c, np_finished *item, long long received_ns)
{
    if (!np_process_ideal_known(&c->config->process))
        keep_measured_ideal(c, item->slot, item->result.ideal_ms);
    item->result.completed = ++c->collected;
    item->result.received_ns = received_ns;
    /* From the end of its stages to the collector: blocked on a full queue, then queued. */
    if (item->result.finished_ns)
        item->result.queue_wait_ns = item->result.received_ns - item->result.finished_ns;
    if (item->result.status < NP_STATUS_COUNT)
        c->status_count[item->result.status]++;
    FILE *stream = c->config->stream_out;
    if (stream) {
        if (!c->output_errno) {
            c->output_errno = write_line(c, stream, item);
            /* Nothing more can be delivered: stop the run rather than compute for nobody. */
            if (c->output_errno && c->config->process.cancel)
                np_cancel_raise(c->config->process.cancel, NP_CANCEL_OUTPUT_FAILED);
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
    report_progress(c);
}

static void *collector_thread(void *arg)
{
    np_collector *c = arg;
    np_finished batch[COLLECT_BATCH];
    /* With a progress display, wake at least 10 times a second so the line stays live. */
    int ticking = c->config->progress != NULL;
    long long next_tick = ticking ? np_clock_now_ns() + TICK_NS : 0;
    int paced = 0;
    long long last_received_ns = 0;
    for (;;) {
        long long wait_start = np_clock_now_ns();
        long long until = paced ? wait_start + PACE_NS : 0;
        if (ticking && (!until || next_tick < until))
            until = next_tick;
        struct timespec deadline = {.tv_sec = until / 1000000000LL,
                                    .tv_nsec = until % 1000000000LL};
        int timed_out = 0;
        size_t n = np_queue_pop_many_until(c->queue, batch, COLLECT_BATCH, until ? &deadline : NULL,
                                           &timed_out);
        /* Taken together by one pop: one time for all of them. */
        long long received_ns = np_clock_now_ns();
        c->wait_ns += received_ns - wait_start;
        if (ticking && received_ns >= next_tick) {
            report_progress(c);
            next_tick = received_ns + TICK_NS;
        }
        if (n == 0 && !timed_out)
            break; /* closed and drained */
        /* Paced while results come faster than one per PACE_NS: several at once, or one within
         * PACE_NS of the last (a paced pop that got at most one by its deadline ends it). */
        int flood = n > 1 || (n == 1 && !paced && received_ns - last_received_ns < PACE_NS);
        if (n > 0)
            last_received_ns = received_ns;
        if (c->pace_batch > 1 && flood != paced) {
            paced = flood;
            np_queue_set_consumer_batch(c->queue, paced ? c->pace_batch : 1);
        }
        for (size_t i = 0; i < n; i++)
            collect(c, &batch[i], received_ns);
    }
    return NULL;
}

int np_collector_init(np_collector *c, const np_pipeline_config *config, int threaded,
                      size_t expected, int bulk, char *err, size_t err_size)
{
    c->config = config;
    if (threaded) {
        c->queue = np_queue_create(config->queue_capacity, sizeof(np_finished));
        if (!c->queue) {
            snprintf(err, err_size, "out of memory creating the results queue");
            return -1;
        }
        /* The collector handles a result in well under a microsecond: woken for every hand-over,
         * it would spend its time (and the workers' cores) switching. In a flood it waits for
         * half a queue instead; the last results arrive when the queue closes. */
        if (bulk)
            np_queue_set_consumer_batch(c->queue, config->queue_capacity / 2);
        else
            c->pace_batch = config->queue_capacity / 4; /* see PACE_NS */
    }
    /* With the article count known, the arrays are sized once, before any thread starts, rather
     * than grown (and copied) as results arrive. */
    if (expected > 0 && !config->stream_out && reserve_capacity(c, expected) != 0) {
        snprintf(err, err_size, "out of memory storing results");
        return -1;
    }
    return 0;
}

int np_collector_start(np_collector *c, const pthread_attr_t *attr, char *err, size_t err_size)
{
    if (!c->queue)
        return 0;
    int e = pthread_create(&c->thread, attr, collector_thread, c);
    if (e) {
        snprintf(err, err_size, "cannot start the collector thread: %s", strerror(e));
        return -1;
    }
    c->started = 1;
    return 0;
}

size_t np_collector_next_slot(np_collector *c)
{
    return atomic_fetch_add(&c->dispatched, 1);
}

void np_collector_input_finished(np_collector *c)
{
    atomic_store(&c->input_finished, 1);
}

void np_collector_deliver(np_collector *c, np_finished *items, size_t n)
{
    if (!c->queue) {
        long long received_ns = np_clock_now_ns();
        for (size_t i = 0; i < n; i++)
            collect(c, &items[i], received_ns);
        return;
    }
    long long waited = 0;
    /* The results queue is closed only after every producer is joined: this push succeeds. */
    for (size_t i = np_queue_push_many(c->queue, items, n, &waited); i < n; i++) {
        np_result_clear(&items[i].result);
        free(items[i].work.owned);
    }
    if (waited)
        atomic_fetch_add(&c->producer_wait_ns, waited);
}

void np_collector_finish(np_collector *c, np_run_stats *stats)
{
    if (c->started) {
        np_queue_close(c->queue);
        pthread_join(c->thread, NULL);
        c->started = 0;
    }
    if (c->config->progress)
        c->config->progress(c->config->progress_context, c->collected, atomic_load(&c->dispatched),
                            1);
    stats->dispatched = atomic_load(&c->dispatched);
    stats->collected = c->collected;
    memcpy(stats->status_count, c->status_count, sizeof(stats->status_count));
    stats->producer_wait_ns = atomic_load(&c->producer_wait_ns);
    stats->collector_wait_ns = c->wait_ns;
    stats->output_errno = c->output_errno;
    if (c->queue)
        stats->queue_max_depth = np_queue_max_depth(c->queue);
}

int np_collector_take(np_collector *c, np_pipeline_results *out)
{
    if (c->out_of_memory)
        return -1;
    *out = c->kept;
    c->kept = (np_pipeline_results){0};
    return 0;
}

size_t np_collector_measured_ideal(np_collector *c, const uint64_t **ideal)
{
    size_t n = atomic_load(&c->dispatched);
    *ideal = c->measured_ideal;
    return n < c->measured_capacity ? n : c->measured_capacity;
}

void np_collector_destroy(np_collector *c)
{
    free(c->measured_ideal);
    c->measured_ideal = NULL;
    np_pipeline_results_free(&c->kept);
    np_queue_destroy(c->queue);
    c->queue = NULL;
}

/*
 * The collector: the only code that stores results. Every processed (or skipped) article arrives
 * here as an np_finished item; the collector stamps its arrival order and either keeps it in
 * input order for the caller or writes it at once as an NDJSON line (config->stream_out).
 *
 * Threads and ownership:
 *   - with a collector thread (np_collector_init with threaded set, then np_collector_start),
 *     producers -- article threads, pool workers -- push their items into a bounded results
 *     queue that the collector owns, and the collector thread alone pops and stores them;
 *   - without one (sequential mode), np_collector_deliver stores on the caller's thread, which
 *     must then be the only thread delivering;
 *   - an item's result and its article memory (work.owned) pass to the collector with it;
 *   - everything else (init, start, the slot counter, finish, take, destroy) belongs to the
 *     dispatcher, the thread that runs np_pipeline_run. np_collector_finish runs only after
 *     every producer has been joined; it joins the collector thread, which orders its writes
 *     before the dispatcher's reads.
 * The struct is public only so that it can live on the dispatcher's stack: its members are the
 * collector's own, read and written by src/collector.c alone.
 */
#ifndef NP_COLLECTOR_H
#define NP_COLLECTOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "np/pipeline.h"
#include "np/queue.h"

/* One processed (or skipped) article on its way to the collector. */
typedef struct np_finished {
    np_result result;
    np_work work;
    size_t slot; /* position among the dispatched articles: output order */
} np_finished;

typedef struct np_collector {
    const np_pipeline_config *config;
    np_queue *queue; /* NULL: no collector thread; deliveries are stored on the caller's thread */
    pthread_t thread;
    int started;
    np_pipeline_results kept; /* document mode */
    size_t kept_capacity;
    size_t collected;
    size_t status_count[NP_STATUS_COUNT];
    long long wait_ns;
    size_t pace_batch; /* > 1: in a flood, wait for this many or PACE_NS (collector.c) */
    int out_of_memory;
    int output_errno;
    atomic_llong producer_wait_ns; /* summed over producers blocked on a full queue */
    atomic_size_t dispatched;      /* slots handed out, read for progress */
    atomic_int input_finished;
    /* A backend that cannot plan: each slot's measured ideal time (result.ideal_ms), for the
     * ideal schedule built after the run (np_collector_measured_ideal). NULL otherwise. */
    uint64_t *measured_ideal;
    size_t measured_capacity;
    int measured_incomplete; /* memory ran out keeping one: the schedule is a lower bound */
} np_collector;

/*
 * Sets c up (c zeroed by the caller) for a run of config. threaded: results go through a bounded
 * results queue of config->queue_capacity places to a collector thread; bulk (results come in a
 * flood): the collector thread waits for half a queue rather than wake for every hand-over;
 * otherwise, while results come faster than one a millisecond, it waits for a quarter of a queue
 * but at most a millisecond (a result is never held back longer). expected: the number of
 * articles when known in advance (else 0): the kept arrays are then sized once, not grown. Returns
 * 0, or -1 with an "out of memory ..." message in err.
 */
int np_collector_init(np_collector *c, const np_pipeline_config *config, int threaded,
                      size_t expected, int bulk, char *err, size_t err_size);

/* Starts the collector thread (nothing to do when not threaded). Returns 0, or -1 with err. */
int np_collector_start(np_collector *c, const pthread_attr_t *attr, char *err, size_t err_size);

/* Dispatcher: the slot (output position) of the next article dispatched. */
size_t np_collector_next_slot(np_collector *c);

/* Dispatcher: no more articles will be dispatched (for the progress callback). */
void np_collector_input_finished(np_collector *c);

/*
 * Any producer: hands items[0..n) to the collector, blocking while the results queue is full.
 * Their results and article memory go with them.
 */
void np_collector_deliver(np_collector *c, np_finished *items, size_t n);

/*
 * Dispatcher, once every producer is joined: lets the collector drain and joins its thread,
 * makes the final progress call, and records the collector's side of stats (dispatched,
 * collected, status counts, waits, output errno, queue depth).
 */
void np_collector_finish(np_collector *c, np_run_stats *stats);

/*
 * Dispatcher, after np_collector_finish: moves the kept results to *out. Returns 0, or -1 when
 * memory ran out storing them (then *out is left empty).
 */
int np_collector_take(np_collector *c, np_pipeline_results *out);

/*
 * Dispatcher, after np_collector_finish, when the backend cannot plan (np_process_ideal_known):
 * each dispatched article's measured ideal time, by slot (input order), in *ideal; returns how
 * many (slots never measured read 0).
 */
size_t np_collector_measured_ideal(np_collector *c, const uint64_t **ideal);

/* Frees what c holds. Its thread, if started, must have been joined (np_collector_finish). */
void np_collector_destroy(np_collector *c);

#endif

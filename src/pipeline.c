/*
 * The pipeline: one run, read at a glance. The stages of an article go one way through the
 * modules, each with its own header stating its contract:
 *
 *   source --> dispatcher (np/dispatcher.h: shard, slot, memory, cancellation)
 *          --> scheduler  (np/scheduler.h: thread, pool or sequential)
 *          --> stages     (np/process.h, on the scheduler's thread)
 *          --> results queue --> collector (np/collector.h: the only code that stores results)
 *
 * and the ideal schedule (np/ideal.h) is built by the dispatcher as it goes. This file sets them
 * up in that order, runs the dispatcher on the caller's thread, and tears them down in reverse:
 * the scheduler's threads are joined before the collector's, which is joined before the results
 * are read, on every path.
 */
#include "np/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "np/clock.h"
#include "np/collector.h"
#include "np/dispatcher.h"
#include "np/ideal.h"
#include "np/scheduler.h"
#include "np/thread_stack.h"

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

/* The attributes of every thread a run starts: an explicit, small stack. */
static int thread_attr_init(pthread_attr_t *attr, const np_pipeline_config *config, char *err,
                            size_t err_size)
{
    size_t stack = config->stack_size ? config->stack_size : NP_THREAD_STACK_SIZE;
    int e = pthread_attr_init(attr);
    if (!e && (e = pthread_attr_setstacksize(attr, np_thread_stack_size(stack))) != 0)
        pthread_attr_destroy(attr);
    if (e)
        snprintf(err, err_size, "cannot set up threads: %s", strerror(e));
    return e ? -1 : 0;
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
/* Fewer threads than this leave the futex hash alone. */
#define FUTEX_HASH_MIN_THREADS 2048

static void size_futex_hash(size_t threads)
{
    /* Resizing costs an RCU grace period, 30-40 ms here (most of a small run's time), and below
     * a few thousand threads the default chains are short: since stage sleeps wait in ppoll
     * rather than on a futex, no gain was measured at 1,000 threads, while at 10,000 runs
     * without it sometimes took 4 s instead of 1 (producers and the registry's waiters). With the
     * collector paced too, still: 1 run in 8 without it took 1.95 s, 2.8 s of it system CPU
     * (the others 0.92-1.29 s); with it, none above 1.24 s (interleaved, load average 40). */
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

/*
 * The stage sleeps are the simulated calls' latencies: without this, the kernel may end each one
 * up to 50 µs late (the default timer slack, for batching wake-ups), which adds up over an
 * article's calls and, in sequential mode, over the whole run. Threads inherit it.
 */
static void tune_kernel(const np_pipeline_config *config, size_t total)
{
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (config->mode == NP_MODE_THREAD)
        size_futex_hash(total > 0 ? total : LIVE_THREADS_MAX);
    else if (config->mode == NP_MODE_POOL)
        size_futex_hash(config->workers ? config->workers : 1);
}

/*
 * A backend that cannot plan (a real server): the ideal schedule is built now, from each
 * article's measured calls and backoffs, in input order -- the same schedule as for planned
 * times, only known after the fact. Pool workers retired during the run count as retired from
 * the start.
 */
static void add_measured_ideal(np_ideal *ideal, np_collector *collector,
                               const np_pipeline_config *config)
{
    if (np_process_ideal_known(&config->process))
        return;
    const uint64_t *measured;
    size_t n = np_collector_measured_ideal(collector, &measured);
    for (size_t i = 0; i < n; i++)
        np_ideal_add(ideal, measured[i]);
}

int np_pipeline_run(np_source *source, const np_pipeline_config *config, np_pipeline_results *out,
                    np_run_stats *stats, char *err, size_t err_size)
{
    memset(stats, 0, sizeof(*stats));
    memset(out, 0, sizeof(*out));
    const np_scheduler_ops *mode = np_scheduler_for(config->mode);
    size_t total = np_source_total(source); /* 0: not known in advance (a stream) */
    size_t shards = config->shard_count > 1 ? config->shard_count : 1;
    size_t expected = total > 0 ? total / shards + (shards > 1) : 0;
    /* Articles of pure computation (no stage call can wait), all in memory: work and results then
     * come in floods, and each hand-over between threads is worth batching. A stream's next line
     * may be minutes away, so its articles are never held back. */
    int bulk = !np_process_can_wait(&config->process) && total > 0;
    np_ideal ideal = {0};
    np_collector collector = {0};
    pthread_attr_t attr;
    if (thread_attr_init(&attr, config, err, err_size) != 0)
        return -1;
    int rc = -1;
    if (np_ideal_init(&ideal, config->mode, config->workers, err, err_size) == 0 &&
        np_collector_init(&collector, config, mode != &np_scheduler_sequential, expected, bulk, err,
                          err_size) == 0) {
        tune_kernel(config, total);
        stats->start_ns = np_clock_now_ns();
        if (np_collector_start(&collector, &attr, err, err_size) == 0) {
            np_scheduler *scheduler =
                mode->start(config, &collector, &attr, bulk, stats, err, err_size);
            if (scheduler) {
                np_ideal_set_workers(&ideal, stats->threads_started);
                rc = np_dispatch(source, config, scheduler, &collector, &ideal, stats, err,
                                 err_size);
                scheduler->ops->finish(scheduler);
            }
            np_collector_finish(&collector, stats);
            stats->wall_ns = np_clock_now_ns() - stats->start_ns;
            add_measured_ideal(&ideal, &collector, config);
            stats->critical_path_ms = np_ideal_finish(&ideal);
            if (rc >= 0 && np_collector_take(&collector, out) != 0) {
                snprintf(err, err_size, "out of memory storing results");
                rc = -1;
            }
        }
    }
    np_collector_destroy(&collector);
    np_ideal_free(&ideal);
    pthread_attr_destroy(&attr);
    return rc;
}

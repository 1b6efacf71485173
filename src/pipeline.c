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
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "np/clock.h"
#include "np/collector.h"
#include "np/dispatcher.h"
#include "np/ideal.h"
#include "np/scheduler.h"
#include "np/source.h"
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

/* The CPUs this process may run on: its affinity mask (taskset, cgroup cpusets), not the host's. */
static size_t usable_cpus(void)
{
    cpu_set_t set;
    int count = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
    return count > 0 ? (size_t)count : 1;
}

size_t np_pipeline_default_workers(const np_process_config *process)
{
    return np_process_can_wait(process) ? NP_DEFAULT_WORKERS : usable_cpus();
}

/*
 * Whether a second dispatcher would cost more address space than the run can spare. glibc gives
 * each thread that allocates a malloc arena of its own, reserving 64 MiB; under an address-space
 * limit (ulimit -v) that space is what caps the live article threads' stacks, and refused threads
 * run inline. Measured side by side, 20,000 articles at 50:100 (~46 MiB mapped when dispatching):
 * `ulimit -v 100000` took 20 s with two dispatchers against 7 s with one; 180000, 4.9 against
 * 3.3 s; 200000, 2.6 against 2.8 s; 250000, 1.7 against 2.3 s. So a second dispatcher only when
 * the limit leaves three arenas' worth (192 MiB) beyond what is mapped now.
 */
static int address_space_tight(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 0;
    char line[128] = "";
    FILE *statm = fopen("/proc/self/statm", "r"); /* its first field: pages mapped */
    if (statm) {
        if (!fgets(line, sizeof(line), statm))
            line[0] = '\0';
        fclose(statm);
    }
    char *end;
    unsigned long long pages = strtoull(line, &end, 10);
    long page_size = sysconf(_SC_PAGESIZE);
    if (end == line || page_size <= 0)
        return 1; /* unknown: assume tight */
    uint64_t mapped = (uint64_t)pages * (uint64_t)page_size;
    return limit.rlim_cur < mapped + NP_SECOND_DISPATCHER_HEADROOM;
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

/* The second dispatcher of a run with two (see dispatch). */
typedef struct second_lane {
    np_source *source;
    const np_pipeline_config *config;
    np_scheduler *scheduler;
    np_collector *collector;
    np_ideal ideal;
    np_run_stats stats;
    char err[64];
} second_lane;

static void *run_second_lane(void *arg)
{
    second_lane *l = arg;
    (void)np_dispatch(l->source, l->config, 1, 2, l->scheduler, l->collector, &l->ideal, &l->stats,
                      l->err, sizeof(l->err)); /* an in-memory source: no error */
    return NULL;
}

/*
 * Runs the dispatcher. In thread mode over an in-memory input on two usable CPUs or more, two of
 * them: creating a thread is most of an article's cost there, and one creating thread uses one
 * core. The second dispatcher reads the same list through a source of its own and takes every
 * other article (np/dispatcher.h's lanes) into the same scheduler and collector. When it cannot
 * be started, the input is a stream (read in order, once) or the address space is tight, one
 * dispatcher does it all.
 */
static int dispatch(np_source *source, const np_pipeline_config *config, np_scheduler *scheduler,
                    np_collector *collector, np_ideal *ideal, const pthread_attr_t *attr,
                    np_run_stats *stats, char *err, size_t err_size)
{
    const np_article_list *list = np_source_list(source);
    second_lane lane = {.config = config, .scheduler = scheduler, .collector = collector};
    pthread_t second;
    int two = config->mode == NP_MODE_THREAD && !config->one_dispatcher && list &&
              list->count > 1 && usable_cpus() >= 2 && !address_space_tight() &&
              np_ideal_init(&lane.ideal, config->mode, 1, lane.err, sizeof(lane.err)) == 0;
    if (two && (lane.source = np_source_from_list(list)) == NULL)
        two = 0;
    if (two && pthread_create(&second, attr, run_second_lane, &lane) != 0) {
        np_source_close(lane.source);
        two = 0;
    }
    stats->dispatchers = two ? 2 : 1;
    int rc = np_dispatch(source, config, 0, two ? 2 : 1, scheduler, collector, ideal, stats, err,
                         err_size);
    if (two) {
        pthread_join(second, NULL);
        np_source_close(lane.source);
        np_ideal_merge(ideal, &lane.ideal);
        stats->memory_retries += lane.stats.memory_retries;
    }
    np_ideal_free(&lane.ideal);
    return rc;
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
        /* The stage sleeps are the simulated calls' latencies: with the default timer slack (50
         * µs, for batching wake-ups) the kernel may end each one that late, which adds up over an
         * article's calls and, in sequential mode, over the whole run. Threads inherit it. */
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
        stats->start_ns = np_clock_now_ns();
        if (np_collector_start(&collector, &attr, err, err_size) == 0) {
            np_scheduler *scheduler =
                mode->start(config, &collector, &attr, bulk, stats, err, err_size);
            if (scheduler) {
                np_ideal_set_workers(&ideal, stats->threads_started);
                rc = dispatch(source, config, scheduler, &collector, &ideal, &attr, stats, err,
                              err_size);
                np_collector_input_finished(&collector);
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

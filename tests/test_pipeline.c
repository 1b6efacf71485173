/*
 * Unit tests of the pipeline: every article comes out exactly once at its input position in
 * every mode, the modes agree, the threads really run concurrently, a system that refuses threads
 * slows the run down but loses nothing, cancellation marks the rest, and the critical path is the
 * ideal of each mode's schedule.
 *
 * pthread_create is wrapped (-Wl,--wrap=pthread_create) so a test can cap the number of live
 * threads, the way kernel.pid_max and RLIMIT_NPROC do.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/clock.h"
#include "np/collector.h"
#include "np/input.h"
#include "np/pipeline.h"
#include "np/source.h"
#include "np/summarize.h"

#include "dispatchers.h"

/* The most threads the wrapper lets be alive at once; negative means unlimited. */
static atomic_int live_limit = -1;
static atomic_int live_now;
/* How long a refusal takes, in µs: the kernel's refusals take a clone call's time, and a
 * dispatcher may look at the scheduler meanwhile. */
static atomic_int refusal_us;

int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);

typedef struct trampoline_args {
    void *(*start)(void *);
    void *arg;
} trampoline_args;

static void *trampoline(void *p)
{
    trampoline_args args = *(trampoline_args *)p;
    free(p);
    void *result = args.start(args.arg);
    atomic_fetch_sub(&live_now, 1);
    return result;
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg)
{
    int limit = atomic_load(&live_limit);
    if (limit >= 0 && atomic_load(&live_now) >= limit) {
        struct timespec took = {0, 1000L * atomic_load(&refusal_us)};
        nanosleep(&took, NULL);
        return EAGAIN;
    }
    trampoline_args *args = malloc(sizeof(*args));
    if (!args)
        return EAGAIN;
    *args = (trampoline_args){start, arg};
    atomic_fetch_add(&live_now, 1);
    int err = __real_pthread_create(thread, attr, trampoline, args);
    if (err) {
        atomic_fetch_sub(&live_now, 1);
        free(args);
    }
    return err;
}

typedef struct fixture {
    np_article_list list;
    char (*titles)[32];
    char (*contents)[96];
} fixture;

static fixture make_articles(size_t n)
{
    fixture f = {.list = {.items = calloc(n ? n : 1, sizeof(np_article)), .count = n},
                 .titles = calloc(n ? n : 1, sizeof(*f.titles)),
                 .contents = calloc(n ? n : 1, sizeof(*f.contents))};
    for (size_t i = 0; i < n; i++) {
        snprintf(f.titles[i], sizeof(f.titles[i]), "Title %zu", i);
        snprintf(f.contents[i], sizeof(f.contents[i]),
                 "Article %zu reports good news. Markets rose. Nothing else happened.", i);
        f.list.items[i] = (np_article){
            .id = {.kind = NP_ID_NUMBER, .number = 1000 + i},
            .title = f.titles[i],
            .title_len = strlen(f.titles[i]),
            .content = f.contents[i],
            .content_len = strlen(f.contents[i]),
        };
    }
    return f;
}

static void free_fixture(fixture *f)
{
    free(f->list.items);
    free(f->titles);
    free(f->contents);
}

static np_pipeline_config config_with(np_mode mode, uint32_t min_ms, uint32_t max_ms,
                                      size_t capacity)
{
    return (np_pipeline_config){
        .process = {.seed = 42, .latency_min_ms = min_ms, .latency_max_ms = max_ms},
        .mode = mode,
        .workers = 4,
        .queue_capacity = capacity,
    };
}

static int run_list(const fixture *f, const np_pipeline_config *config, np_pipeline_results *kept,
                    np_run_stats *stats)
{
    np_source *source = np_source_from_list(&f->list);
    assert_non_null(source);
    char err[256];
    int rc = np_pipeline_run(source, config, kept, stats, err, sizeof(err));
    np_source_close(source);
    return rc;
}

static void check_every_article_exactly_once_at(np_mode mode, size_t n, size_t capacity,
                                                uint32_t max_latency_ms)
{
    fixture f = make_articles(n);
    np_pipeline_config config = config_with(mode, 0, max_latency_ms, capacity);
    np_pipeline_results kept;
    np_run_stats stats;
    assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
    assert_int_equal(kept.count, n);
    assert_int_equal(stats.collected, n);
    assert_int_equal(stats.status_count[NP_STATUS_OK], n);
    assert_true(stats.queue_max_depth <= capacity);
    unsigned char *rank_seen = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(kept.results[i].index, i); /* stored at its own input position */
        assert_int_equal(kept.articles[i].id.number, 1000 + i);
        assert_true(kept.results[i].completed >= 1 && kept.results[i].completed <= n);
        rank_seen[kept.results[i].completed]++;
        size_t expected_len;
        char *expected = np_summarize(f.contents[i], strlen(f.contents[i]), &expected_len);
        assert_string_equal(kept.results[i].summary, expected);
        free(expected);
        assert_int_equal(kept.results[i].sentiment.label, NP_SENTIMENT_POSITIVE);
        assert_true(kept.results[i].latency_ms[NP_STAGE_SUMMARIZATION] <= max_latency_ms);
    }
    for (size_t r = 1; r <= n; r++)
        assert_int_equal(rank_seen[r], 1); /* completion ranks are a permutation of 1..n */
    free(rank_seen);
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

static void check_every_article_exactly_once(np_mode mode, size_t n, size_t capacity)
{
    check_every_article_exactly_once_at(mode, n, capacity, 2);
}

static void test_n_articles_give_n_results_exactly_once_in_every_mode(void **state)
{
    (void)state;
    check_every_article_exactly_once(NP_MODE_THREAD, 200, 16);
    check_every_article_exactly_once(NP_MODE_POOL, 200, 16);
    check_every_article_exactly_once(NP_MODE_SEQUENTIAL, 200, 16);
}

/* A run's dispatchers when nothing is refused: two in thread mode over a list
 * (tests/dispatchers.h). */
static size_t expected_dispatchers(np_mode mode)
{
    return mode == NP_MODE_THREAD && two_dispatchers_possible() ? 2 : 1;
}

/* Thread mode over an in-memory list dispatches from two threads (two CPUs or more), each taking
 * every other article: the results still come out once each, in input order, with the counts
 * and the ideal of the whole run. */
static void test_thread_mode_dispatches_a_list_from_two_threads_in_input_order(void **state)
{
    (void)state;
    enum { N = 301 }; /* odd: the lanes get 151 and 150 */
    fixture f = make_articles(N);
    for (int m = 0; m < NP_MODE_COUNT; m++) {
        np_pipeline_config config = config_with((np_mode)m, 0, 3, 16);
        np_pipeline_results kept;
        np_run_stats stats;
        assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
        assert_int_equal(stats.dispatchers, expected_dispatchers((np_mode)m));
        assert_int_equal(stats.dispatched, N);
        assert_int_equal(stats.collected, N);
        assert_int_equal(kept.count, N);
        if (m == NP_MODE_THREAD)
            assert_int_equal(stats.threads_started, N);
        uint64_t longest = 0;
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(kept.results[i].index, i);
            assert_int_equal(kept.articles[i].id.number, 1000 + i);
            assert_int_equal(kept.results[i].status, NP_STATUS_OK);
            if (kept.results[i].ideal_ms > longest)
                longest = kept.results[i].ideal_ms;
        }
        if (m == NP_MODE_THREAD) /* the longest article of either lane */
            assert_int_equal(stats.critical_path_ms, longest);
        np_pipeline_results_free(&kept);
    }
    free_fixture(&f);
}

/* One thread-mode run over f: every article once, in input order, from `dispatchers` threads. */
static void check_dispatchers(const fixture *f, size_t dispatchers)
{
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 1, 8);
    np_pipeline_results kept;
    np_run_stats stats;
    assert_int_equal(run_list(f, &config, &kept, &stats), 0);
    assert_int_equal(stats.dispatchers, dispatchers);
    assert_int_equal(kept.count, f->list.count);
    for (size_t i = 0; i < kept.count; i++)
        assert_int_equal(kept.articles[i].id.number, 1000 + i);
    np_pipeline_results_free(&kept);
}

/*
 * The second dispatcher needs two CPUs this process may run on (taskset -c 0 leaves one) and,
 * under an address-space limit (ulimit -v), room to spare: its thread's own malloc arena takes
 * 64 MiB of what the article threads' stacks need. Either one missing gives one dispatcher; the
 * default pool for compute-only stages follows the affinity mask too.
 */
static void test_one_dispatcher_on_one_usable_cpu_or_a_tight_address_space(void **state)
{
    (void)state;
    fixture f = make_articles(101);
    cpu_set_t usable;
    assert_int_equal(sched_getaffinity(0, sizeof(usable), &usable), 0);
    struct rlimit space;
    assert_int_equal(getrlimit(RLIMIT_AS, &space), 0);
    if (CPU_COUNT(&usable) < 2 || space.rlim_cur != RLIM_INFINITY)
        skip(); /* one dispatcher anyway, or no limit of ours can be set */
    check_dispatchers(&f, 2);

    cpu_set_t one;
    CPU_ZERO(&one);
    for (int cpu = 0; CPU_COUNT(&one) == 0; cpu++)
        if (CPU_ISSET(cpu, &usable))
            CPU_SET(cpu, &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    check_dispatchers(&f, 1);
    np_process_config computes = {.latency_max_ms = 0};
    assert_int_equal(np_pipeline_default_workers(&computes), 1);
    assert_int_equal(sched_setaffinity(0, sizeof(usable), &usable), 0);

    /* Limits just under and well over the line. Just under still leaves the run ~176 MiB (a
     * sanitizer's per-thread memory needs some); the process may map more before the pipeline
     * looks, which only makes the first tighter. */
    uint64_t mapped = mapped_bytes();
    assert_true(mapped > 0);
    uint64_t under = mapped + NP_SECOND_DISPATCHER_HEADROOM - ((uint64_t)16 << 20);
    struct rlimit tight = {under, space.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_AS, &tight), 0);
    check_dispatchers(&f, 1);
    struct rlimit ample = {mapped + 2 * NP_SECOND_DISPATCHER_HEADROOM, space.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_AS, &ample), 0);
    check_dispatchers(&f, 2);
    assert_int_equal(setrlimit(RLIMIT_AS, &space), 0);
    free_fixture(&f);
}

/* NDJSON input is read once, in order, by one dispatcher, whatever the mode. */
static void test_a_stream_has_one_dispatcher(void **state)
{
    (void)state;
    char path[] = "/tmp/np_test_pipeline_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    for (int i = 0; i < 20; i++)
        fprintf(file, "{\"id\": %d, \"title\": \"T%d\", \"content\": \"Good news.\"}\n", i, i);
    assert_int_equal(fclose(file), 0);
    np_input input;
    assert_int_equal(np_input_open(&input, path, -1), 0);
    np_source *source = np_source_from_input(&input);
    assert_non_null(source);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 1, 4);
    np_pipeline_results kept;
    np_run_stats stats;
    char err[256];
    assert_int_equal(np_pipeline_run(source, &config, &kept, &stats, err, sizeof(err)), 0);
    np_source_close(source);
    unlink(path);
    assert_int_equal(stats.dispatchers, 1);
    assert_int_equal(kept.count, 20);
    for (size_t i = 0; i < kept.count; i++) {
        assert_int_equal(kept.results[i].index, i);
        assert_int_equal(kept.articles[i].id.number, i);
    }
    np_pipeline_results_free(&kept);
}

static void test_capacity_one_still_delivers_everything(void **state)
{
    (void)state;
    for (int round = 0; round < 10; round++) {
        check_every_article_exactly_once(NP_MODE_THREAD, 64, 1);
        check_every_article_exactly_once(NP_MODE_POOL, 64, 1);
    }
}

/* Without waits, pool workers take articles and hand results over in batches (POOL_BATCH). */
static void test_pool_without_waits_batches_and_loses_nothing(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        check_every_article_exactly_once_at(NP_MODE_POOL, 1000, 1, 0);
        check_every_article_exactly_once_at(NP_MODE_POOL, 1000, 7, 0);
        check_every_article_exactly_once_at(NP_MODE_POOL, 1000, 64, 0);
        check_every_article_exactly_once_at(NP_MODE_POOL, 3, 16, 0); /* fewer than a batch */
    }
}

/* Simulated latencies are sleeps: the default 50 µs timer slack would stretch every one. */
static void test_a_run_sleeps_with_the_finest_timer_slack(void **state)
{
    (void)state;
    check_every_article_exactly_once(NP_MODE_SEQUENTIAL, 10, 4);
    assert_int_equal(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 1); /* threads inherit it from here */
}

static void test_default_workers_follow_whether_stages_wait(void **state)
{
    (void)state;
    np_process_config waits = {.latency_min_ms = 0, .latency_max_ms = 1};
    assert_int_equal(np_pipeline_default_workers(&waits), NP_DEFAULT_WORKERS);
    np_process_config fails = {.fail_rate = 0.1}; /* retries back off: they wait */
    assert_int_equal(np_pipeline_default_workers(&fails), NP_DEFAULT_WORKERS);
    np_process_config computes = {.latency_max_ms = 0};
    cpu_set_t usable;
    assert_int_equal(sched_getaffinity(0, sizeof(usable), &usable), 0);
    assert_int_equal(np_pipeline_default_workers(&computes), (size_t)CPU_COUNT(&usable));
}

static void test_default_queue_capacity_follows_whether_stages_wait(void **state)
{
    (void)state;
    np_process_config waits = {.latency_min_ms = 0, .latency_max_ms = 1};
    assert_int_equal(np_pipeline_default_queue_capacity(&waits), NP_DEFAULT_QUEUE_CAPACITY);
    np_process_config fails = {.fail_rate = 0.1};
    assert_int_equal(np_pipeline_default_queue_capacity(&fails), NP_DEFAULT_QUEUE_CAPACITY);
    np_process_config computes = {.latency_max_ms = 0};
    assert_int_equal(np_pipeline_default_queue_capacity(&computes), NP_BULK_QUEUE_CAPACITY);
}

static void check_modes_give_identical_results(uint32_t max_latency_ms)
{
    fixture f = make_articles(40);
    np_pipeline_results kept[NP_MODE_COUNT];
    for (int m = 0; m < NP_MODE_COUNT; m++) {
        np_pipeline_config config = config_with((np_mode)m, 0, max_latency_ms, 8);
        np_run_stats stats;
        assert_int_equal(run_list(&f, &config, &kept[m], &stats), 0);
    }
    for (int m = 1; m < NP_MODE_COUNT; m++) {
        for (size_t i = 0; i < 40; i++) {
            assert_string_equal(kept[m].results[i].summary, kept[0].results[i].summary);
            assert_true(kept[m].results[i].sentiment.score == kept[0].results[i].sentiment.score);
            assert_memory_equal(kept[m].results[i].latency_ms, kept[0].results[i].latency_ms,
                                sizeof(kept[0].results[i].latency_ms));
        }
    }
    for (int m = 0; m < NP_MODE_COUNT; m++)
        np_pipeline_results_free(&kept[m]);
    free_fixture(&f);
}

static void test_modes_give_identical_results(void **state)
{
    (void)state;
    check_modes_give_identical_results(3);
    check_modes_give_identical_results(0); /* pool hands off in batches */
}

static void test_zero_articles_is_an_empty_run(void **state)
{
    (void)state;
    fixture f = make_articles(0);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 0, 4);
    np_pipeline_results kept;
    np_run_stats stats;
    assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
    assert_int_equal(kept.count, 0);
    assert_int_equal(stats.collected, 0);
    assert_int_equal(stats.critical_path_ms, 0);
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

static long long timed_run(size_t n)
{
    fixture f = make_articles(n);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 100, 100, 16);
    np_pipeline_results kept;
    np_run_stats stats;
    long long start = np_clock_now_ns();
    assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
    long long elapsed = np_clock_now_ns() - start;
    assert_int_equal(stats.critical_path_ms, 200);
    assert_true(elapsed >= 200 * 1000000LL); /* the stages really wait their latency */
    np_pipeline_results_free(&kept);
    free_fixture(&f);
    return elapsed;
}

/* Run one after the other, 200 articles would take 200 times one article; at once, about as long
 * as one. Finishing in under a tenth of the sequential time shows that at least ten ran at once;
 * it leaves a loaded machine (or ThreadSanitizer) 20 times one article's time for starting 200
 * threads, and one article measured on the same machine in the same test scales the bound with
 * the machine's speed. */
static void test_two_hundred_articles_run_concurrently(void **state)
{
    (void)state;
    long long one = timed_run(1);
    long long many = timed_run(200);
    print_message("1 article: %lld ms, 200 articles: %lld ms\n", one / 1000000, many / 1000000);
    assert_true(many < 200 * one / 10);
}

static void run_under_thread_limit(int limit, size_t n, int expect_inline)
{
    fixture f = make_articles(n);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 1, 5, 4);
    np_pipeline_results kept;
    np_run_stats stats;
    atomic_store(&live_limit, limit);
    int rc = run_list(&f, &config, &kept, &stats);
    atomic_store(&live_limit, -1);
    assert_int_equal(rc, 0);
    assert_int_equal(kept.count, n);
    assert_int_equal(stats.status_count[NP_STATUS_OK], n); /* no article lost */
    assert_true(stats.refused_threads > 0);
    assert_true(stats.peak_threads <= (size_t)limit); /* the collector is one of the limit */
    if (expect_inline)
        assert_int_equal(stats.inline_articles, n);
    for (size_t i = 0; i < n; i++)
        assert_non_null(kept.results[i].summary);
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

static void test_refused_threads_are_retried_and_nothing_is_lost(void **state)
{
    (void)state;
    run_under_thread_limit(1 + 8, 120, 0); /* the collector and at most 8 article threads */
}

static void test_no_thread_at_all_runs_articles_inline(void **state)
{
    (void)state;
    run_under_thread_limit(1, 20, 1); /* only the collector can start */
}

/*
 * Room for the collector and the second dispatcher but for no article thread, each refusal
 * taking a while: the articles run inline on the two dispatchers. A dispatcher must not
 * wait for a thread the other one counted as starting while the system was refusing it (it
 * waited forever for a thread that never existed, and the run hung: found by running 5,000
 * articles under `ulimit -u 5`).
 */
static void test_refused_threads_with_two_dispatchers_run_inline_without_hanging(void **state)
{
    (void)state;
    if (!two_dispatchers_possible())
        skip(); /* one dispatcher only */
    enum { N = 300 };
    fixture f = make_articles(N);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 0, 4);
    np_pipeline_results kept;
    np_run_stats stats;
    atomic_store(&live_limit, 2);
    atomic_store(&refusal_us, 200);
    int rc = run_list(&f, &config, &kept, &stats);
    atomic_store(&refusal_us, 0);
    atomic_store(&live_limit, -1);
    assert_int_equal(rc, 0);
    assert_int_equal(stats.dispatchers, 2);
    /* Once one dispatcher is done, its place may go to an article thread of the other's. */
    assert_true(stats.inline_articles > N / 2);
    assert_int_equal(stats.inline_articles + stats.threads_started, N);
    assert_int_equal(stats.status_count[NP_STATUS_OK], N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(kept.results[i].index, i);
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

/* Issue 10 item 18: with every article thread refused, "peak 1 live threads" was reported: the
 * refused attempt was counted. The peak counts only threads that started. */
static void test_refused_article_threads_do_not_count_in_the_peak(void **state)
{
    (void)state;
    fixture f = make_articles(5);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 0, 4);
    np_pipeline_results kept;
    np_run_stats stats;
    atomic_store(&live_limit, 1); /* the collector, and no article thread */
    int rc = run_list(&f, &config, &kept, &stats);
    atomic_store(&live_limit, -1);
    assert_int_equal(rc, 0);
    assert_int_equal(stats.status_count[NP_STATUS_OK], 5);
    assert_int_equal(stats.inline_articles, 5);
    assert_true(stats.refused_threads >= 5);
    assert_int_equal(stats.threads_started, 0);
    assert_int_equal(stats.peak_threads, 0);
    assert_int_equal(stats.dispatchers, 1); /* nor a second dispatcher */
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

static void test_refused_collector_fails_cleanly(void **state)
{
    (void)state;
    fixture f = make_articles(3);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 0, 4);
    np_pipeline_results kept;
    np_run_stats stats;
    np_source *source = np_source_from_list(&f.list);
    char err[256];
    atomic_store(&live_limit, 0);
    int rc = np_pipeline_run(source, &config, &kept, &stats, err, sizeof(err));
    atomic_store(&live_limit, -1);
    assert_int_equal(rc, -1);
    assert_string_equal(err, "cannot start the collector thread: Resource temporarily unavailable");
    assert_int_equal(kept.count, 0);
    np_source_close(source);
    free_fixture(&f);
}

static void test_critical_path_is_the_ideal_of_each_schedule(void **state)
{
    (void)state;
    enum { N = 23, WORKERS = 4 };
    fixture f = make_articles(N);
    uint64_t finish[NP_MODE_COUNT];
    np_pipeline_results kept;
    for (int m = 0; m < NP_MODE_COUNT; m++) {
        np_pipeline_config config = config_with((np_mode)m, 1, 9, 4);
        config.workers = WORKERS;
        np_run_stats stats;
        assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
        finish[m] = stats.critical_path_ms;
        if (m != NP_MODE_SEQUENTIAL)
            np_pipeline_results_free(&kept);
    }
    /* Recompute each schedule from the latencies the results report. */
    uint64_t longest = 0, total = 0, free_at[WORKERS] = {0};
    for (size_t i = 0; i < N; i++) {
        uint64_t ideal = (uint64_t)kept.results[i].latency_ms[0] + kept.results[i].latency_ms[1];
        assert_int_equal(ideal, kept.results[i].ideal_ms);
        longest = ideal > longest ? ideal : longest;
        total += ideal;
        size_t first_free = 0;
        for (size_t w = 1; w < WORKERS; w++)
            if (free_at[w] < free_at[first_free])
                first_free = w;
        free_at[first_free] += ideal;
    }
    uint64_t makespan = 0;
    for (size_t w = 0; w < WORKERS; w++)
        makespan = free_at[w] > makespan ? free_at[w] : makespan;
    assert_int_equal(finish[NP_MODE_THREAD], longest);
    assert_int_equal(finish[NP_MODE_SEQUENTIAL], total);
    assert_int_equal(finish[NP_MODE_POOL], makespan);
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

static void test_shards_partition_the_input(void **state)
{
    (void)state;
    enum { N = 50, SHARDS = 3 };
    fixture f = make_articles(N);
    unsigned seen[N] = {0};
    np_mode modes[] = {NP_MODE_POOL, NP_MODE_THREAD}; /* thread: two dispatchers per shard */
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        memset(seen, 0, sizeof(seen));
        for (size_t shard = 0; shard < SHARDS; shard++) {
            np_pipeline_config config = config_with(modes[m], 0, 0, 4);
            config.shard_index = shard;
            config.shard_count = SHARDS;
            np_pipeline_results kept;
            np_run_stats stats;
            assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
            assert_int_equal(stats.dispatchers, expected_dispatchers(modes[m]));
            for (size_t i = 0; i < kept.count; i++) {
                assert_int_equal(kept.results[i].index, i * SHARDS + shard); /* in input order */
                seen[kept.results[i].index]++;
            }
            np_pipeline_results_free(&kept);
        }
        for (size_t i = 0; i < N; i++)
            assert_int_equal(seen[i], 1);
    }
    free_fixture(&f);
}

/* Cancels the run once a stage call has started: it reads the run's verbose log from a pipe
 * until a "started" line (logged just before the call's sleep). */
typedef struct cancel_on_start {
    np_cancel *cancel;
    int log_fd;
} cancel_on_start;

static void *cancel_once_started(void *arg)
{
    cancel_on_start *c = arg;
    char buf[4096];
    size_t held = 0;
    ssize_t n;
    while ((n = read(c->log_fd, buf + held, sizeof(buf) - 1 - held)) > 0) {
        held += (size_t)n;
        buf[held] = '\0';
        if (strstr(buf, " started ("))
            break;
        if (held > sizeof(buf) / 2) { /* keep the tail: a line may be cut */
            memmove(buf, buf + held - 100, 100);
            held = 100;
        }
    }
    np_cancel_raise(c->cancel, NP_CANCEL_SIGINT);
    return NULL;
}

/* Stage calls of 20 s, cancelled once one has started: a run that ends in under 20 s woke its
 * sleeping stages early, however slow the machine (a broken cancellation takes 40 s or more). */
static void test_cancel_marks_unfinished_articles_and_keeps_every_one(void **state)
{
    (void)state;
    enum { LATENCY_MS = 20000 };
    for (int m = 0; m < NP_MODE_COUNT; m++) {
        enum { N = 30 };
        fixture f = make_articles(N);
        np_cancel cancel;
        assert_int_equal(np_cancel_init(&cancel), 0);
        np_pipeline_config config = config_with((np_mode)m, LATENCY_MS, LATENCY_MS, 4);
        config.process.cancel = &cancel;
        config.workers = 3;
        int log_pipe[2];
        assert_int_equal(pipe(log_pipe), 0);
        FILE *log_stream = fdopen(log_pipe[1], "w");
        assert_non_null(log_stream);
        setvbuf(log_stream, NULL, _IONBF, 0);
        np_log log = {.stream = log_stream, .level = NP_LOG_VERBOSE};
        config.process.log = &log;
        cancel_on_start c = {&cancel, log_pipe[0]};
        pthread_t canceller;
        assert_int_equal(pthread_create(&canceller, NULL, cancel_once_started, &c), 0);
        np_pipeline_results kept;
        np_run_stats stats;
        long long start = np_clock_now_ns();
        assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
        long long elapsed = np_clock_now_ns() - start;
        fclose(log_stream); /* the canceller, if still reading, sees the end */
        pthread_join(canceller, NULL);
        close(log_pipe[0]);
        assert_true(elapsed < LATENCY_MS * 1000000LL); /* sleeping stages woke up early */
        assert_int_equal(kept.count, N);
        assert_int_equal(stats.status_count[NP_STATUS_CANCELLED], N);
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(kept.results[i].status, NP_STATUS_CANCELLED);
            assert_true(kept.results[i].completed > 0);
            assert_non_null(kept.results[i].error);
        }
        np_pipeline_results_free(&kept);
        np_cancel_destroy(&cancel);
        free_fixture(&f);
    }
}

/* Progress callback that cancels the run once a given number of results have arrived. */
typedef struct cancel_at {
    np_cancel *cancel;
    size_t after;
} cancel_at;

static void cancel_after_results(void *context, size_t done, size_t dispatched, int input_finished)
{
    (void)dispatched;
    (void)input_finished;
    const cancel_at *c = context;
    if (done == c->after)
        np_cancel_raise(c->cancel, NP_CANCEL_SIGINT);
}

/* Cancelled part-way while workers and the dispatcher hold batches: every article still arrives
 * exactly once, finished or cancelled. */
static void test_cancel_with_batched_hand_offs_keeps_every_article(void **state)
{
    (void)state;
    enum { N = 3000 };
    fixture f = make_articles(N);
    np_cancel cancel;
    assert_int_equal(np_cancel_init(&cancel), 0);
    np_pipeline_config config = config_with(NP_MODE_POOL, 0, 0, 8);
    config.process.cancel = &cancel;
    config.workers = 3;
    cancel_at c = {&cancel, 100};
    config.progress = cancel_after_results;
    config.progress_context = &c;
    np_pipeline_results kept;
    np_run_stats stats;
    assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
    assert_int_equal(kept.count, N);
    assert_int_equal(stats.collected, N);
    assert_true(stats.status_count[NP_STATUS_OK] >= 100);
    assert_true(stats.status_count[NP_STATUS_CANCELLED] > 0);
    assert_int_equal(stats.status_count[NP_STATUS_OK] + stats.status_count[NP_STATUS_CANCELLED], N);
    unsigned char *rank_seen = calloc(N + 1, 1);
    assert_non_null(rank_seen);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(kept.results[i].index, i);
        assert_true(kept.results[i].completed >= 1 && kept.results[i].completed <= N);
        rank_seen[kept.results[i].completed]++;
    }
    for (size_t r = 1; r <= N; r++)
        assert_int_equal(rank_seen[r], 1);
    free(rank_seen);
    np_pipeline_results_free(&kept);
    np_cancel_destroy(&cancel);
    free_fixture(&f);
}

static void test_faults_fail_exactly_the_predicted_articles(void **state)
{
    (void)state;
    enum { N = 100 };
    fixture f = make_articles(N);
    np_pipeline_config config = config_with(NP_MODE_POOL, 0, 0, 8);
    config.process.fail_rate = 0.3;
    config.process.retries = 0;
    np_pipeline_results kept;
    np_run_stats stats;
    assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
    size_t predicted = 0;
    for (size_t i = 0; i < N; i++) {
        const np_id *id = &f.list.items[i].id;
        int fails = np_llm_attempt_fails(42, id, NP_STAGE_SUMMARIZATION, 0, 0.3) ||
                    np_llm_attempt_fails(42, id, NP_STAGE_SENTIMENT, 0, 0.3);
        predicted += (size_t)fails;
        assert_int_equal(kept.results[i].status, fails ? NP_STATUS_FAILED : NP_STATUS_OK);
    }
    assert_int_equal(stats.status_count[NP_STATUS_FAILED], predicted);
    assert_true(predicted > 30 && predicted < 70);
    np_pipeline_results_free(&kept);
    free_fixture(&f);
}

/* Reads from fd until `lines` newlines have come, waiting at most 10 s for each read. Returns
 * how many came. */
static size_t read_lines(int fd, size_t lines)
{
    size_t seen = 0;
    char buf[4096];
    while (seen < lines) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            break;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            seen += buf[i] == '\n';
    }
    return seen;
}

/*
 * While results flood in, the collector waits for a batch of them (or a millisecond) instead of
 * waking for each; it never holds one back. Three results handed over at once start a flood;
 * the fourth, alone and with nothing after it, must still reach the output while the queue is
 * open (a collector waiting for its batch without the deadline would keep it until the close).
 */
static void test_collector_in_a_flood_holds_no_result_back(void **state)
{
    (void)state;
    fixture f = make_articles(4);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    FILE *out = fdopen(fds[1], "w");
    assert_non_null(out);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 1, 2, 16);
    config.stream_out = out;
    np_collector c = {0};
    char err[256];
    assert_int_equal(np_collector_init(&c, &config, 1, 4, 0, err, sizeof(err)), 0);
    assert_int_equal(np_collector_start(&c, NULL, err, sizeof(err)), 0);
    np_finished items[4];
    for (size_t i = 0; i < 4; i++) {
        items[i] = (np_finished){.work = {.article = &f.list.items[i], .index = i},
                                 .slot = np_collector_next_slot(&c)};
        np_process_skip_cancelled(i, &items[i].result);
    }
    np_collector_deliver(&c, items, 3); /* one push of three: taken together, a flood */
    assert_int_equal(read_lines(fds[0], 3), 3);
    np_collector_deliver(&c, items + 3, 1);
    assert_int_equal(read_lines(fds[0], 1), 1); /* before the close */
    np_run_stats stats = {0};
    np_collector_finish(&c, &stats);
    assert_int_equal(stats.collected, 4);
    np_collector_destroy(&c);
    fclose(out);
    close(fds[0]);
    free_fixture(&f);
}

static void test_streaming_writes_one_line_per_article(void **state)
{
    (void)state;
    enum { N = 25 };
    fixture f = make_articles(N);
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    np_pipeline_config config = config_with(NP_MODE_THREAD, 0, 1, 4);
    config.stream_out = out;
    np_pipeline_results kept;
    np_run_stats stats;
    assert_int_equal(run_list(&f, &config, &kept, &stats), 0);
    fclose(out);
    assert_int_equal(kept.count, 0); /* nothing kept when streaming */
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, N);
    assert_non_null(strstr(buf, "{\"id\": 1024, \"title\": \"Title 24\", \"status\": \"ok\""));
    free(buf);
    free_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n_articles_give_n_results_exactly_once_in_every_mode),
        cmocka_unit_test(test_thread_mode_dispatches_a_list_from_two_threads_in_input_order),
        cmocka_unit_test(test_a_stream_has_one_dispatcher),
        cmocka_unit_test(test_one_dispatcher_on_one_usable_cpu_or_a_tight_address_space),
        cmocka_unit_test(test_capacity_one_still_delivers_everything),
        cmocka_unit_test(test_modes_give_identical_results),
        cmocka_unit_test(test_pool_without_waits_batches_and_loses_nothing),
        cmocka_unit_test(test_default_workers_follow_whether_stages_wait),
        cmocka_unit_test(test_default_queue_capacity_follows_whether_stages_wait),
        cmocka_unit_test(test_a_run_sleeps_with_the_finest_timer_slack),
        cmocka_unit_test(test_zero_articles_is_an_empty_run),
        cmocka_unit_test(test_two_hundred_articles_run_concurrently),
        cmocka_unit_test(test_refused_threads_are_retried_and_nothing_is_lost),
        cmocka_unit_test(test_no_thread_at_all_runs_articles_inline),
        cmocka_unit_test(test_refused_article_threads_do_not_count_in_the_peak),
        cmocka_unit_test(test_refused_threads_with_two_dispatchers_run_inline_without_hanging),
        cmocka_unit_test(test_refused_collector_fails_cleanly),
        cmocka_unit_test(test_critical_path_is_the_ideal_of_each_schedule),
        cmocka_unit_test(test_shards_partition_the_input),
        cmocka_unit_test(test_cancel_marks_unfinished_articles_and_keeps_every_one),
        cmocka_unit_test(test_cancel_with_batched_hand_offs_keeps_every_article),
        cmocka_unit_test(test_faults_fail_exactly_the_predicted_articles),
        cmocka_unit_test(test_streaming_writes_one_line_per_article),
        cmocka_unit_test(test_collector_in_a_flood_holds_no_result_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

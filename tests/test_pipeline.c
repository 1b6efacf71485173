/*
 * Unit tests of the pipeline: every article comes out exactly once at its input position, the
 * threads really run concurrently, and a refused thread is reported without hanging or leaking.
 *
 * pthread_create is wrapped (-Wl,--wrap=pthread_create) so a test can make it fail after K
 * threads, the way the system does when it runs out of threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np/clock.h"
#include "np/pipeline.h"
#include "np/summarize.h"

/* Threads the wrapper still lets start; negative means unlimited. Tests run one at a time. */
static atomic_int threads_allowed = -1;

int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg)
{
    if (atomic_load(&threads_allowed) == 0)
        return EAGAIN;
    if (atomic_load(&threads_allowed) > 0)
        atomic_fetch_sub(&threads_allowed, 1);
    return __real_pthread_create(thread, attr, start, arg);
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

static np_pipeline_config config_with(uint32_t min_ms, uint32_t max_ms, size_t capacity)
{
    return (np_pipeline_config){
        .process = {.seed = 42, .latency_min_ms = min_ms, .latency_max_ms = max_ms},
        .queue_capacity = capacity,
    };
}

static void clear_results(np_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++)
        np_result_clear(&results[i]);
    free(results);
}

static void check_every_article_exactly_once(size_t n, size_t capacity)
{
    fixture f = make_articles(n);
    np_result *results = calloc(n, sizeof(*results));
    np_pipeline_config config = config_with(0, 2, capacity);
    np_run_stats stats;
    char err[256];
    assert_int_equal(np_pipeline_run(&f.list, &config, results, &stats, err, sizeof(err)), 0);
    assert_int_equal(stats.threads_started, n);
    assert_int_equal(stats.results_collected, n);
    assert_true(stats.queue_max_depth <= capacity);
    unsigned char *rank_seen = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(results[i].index, i); /* stored at its own input position */
        assert_true(results[i].completed >= 1 && results[i].completed <= n);
        rank_seen[results[i].completed]++;
        size_t expected_len;
        char *expected = np_summarize(f.contents[i], strlen(f.contents[i]), &expected_len);
        assert_string_equal(results[i].summary, expected);
        free(expected);
        assert_int_equal(results[i].sentiment.label, NP_SENTIMENT_POSITIVE);
        assert_true(results[i].latency_ms[NP_STAGE_SUMMARIZATION] <= 2);
    }
    for (size_t r = 1; r <= n; r++)
        assert_int_equal(rank_seen[r], 1); /* completion ranks are a permutation of 1..n */
    free(rank_seen);
    clear_results(results, n);
    free_fixture(&f);
}

static void test_n_articles_give_n_results_exactly_once(void **state)
{
    (void)state;
    check_every_article_exactly_once(200, 16);
}

static void test_capacity_one_still_delivers_everything(void **state)
{
    (void)state;
    for (int round = 0; round < 10; round++)
        check_every_article_exactly_once(64, 1);
}

static void test_zero_articles_is_an_empty_run(void **state)
{
    (void)state;
    fixture f = make_articles(0);
    np_pipeline_config config = config_with(0, 0, 4);
    np_run_stats stats;
    char err[256];
    np_result dummy;
    assert_int_equal(np_pipeline_run(&f.list, &config, &dummy, &stats, err, sizeof(err)), 0);
    assert_int_equal(stats.results_collected, 0);
    assert_int_equal(stats.critical_path_ms, 0);
    free_fixture(&f);
}

static long long timed_run(size_t n)
{
    fixture f = make_articles(n);
    np_result *results = calloc(n, sizeof(*results));
    np_pipeline_config config = config_with(100, 100, 16);
    np_run_stats stats;
    char err[256];
    long long start = np_clock_now_ns();
    assert_int_equal(np_pipeline_run(&f.list, &config, results, &stats, err, sizeof(err)), 0);
    long long elapsed = np_clock_now_ns() - start;
    assert_int_equal(stats.critical_path_ms, 200);
    assert_true(elapsed >= 200 * 1000000LL); /* the stages really wait their latency */
    clear_results(results, n);
    free_fixture(&f);
    return elapsed;
}

static void test_fifty_articles_run_concurrently(void **state)
{
    (void)state;
    long long one = timed_run(1);
    long long fifty = timed_run(50);
    /* Sequential would be 50x; concurrent is about 1x. 5x leaves room for a noisy machine. */
    assert_true(fifty < 5 * one);
}

static void test_refused_thread_is_reported_and_running_articles_finish(void **state)
{
    (void)state;
    enum { N = 30, STARTED = 10 };
    fixture f = make_articles(N);
    np_result *results = calloc(N, sizeof(*results));
    np_pipeline_config config = config_with(5, 20, 4);
    np_run_stats stats;
    char err[256];
    atomic_store(&threads_allowed, 1 + STARTED); /* the collector, then 10 article threads */
    int rc = np_pipeline_run(&f.list, &config, results, &stats, err, sizeof(err));
    atomic_store(&threads_allowed, -1);
    assert_int_equal(rc, -1);
    assert_string_equal(err, "cannot start a thread for article #11 (id 1010): Resource "
                             "temporarily unavailable; 10 articles already running were "
                             "finished, 20 not processed");
    assert_int_equal(stats.threads_started, STARTED);
    assert_int_equal(stats.results_collected, STARTED);
    for (size_t i = 0; i < N; i++) {
        if (i < STARTED)
            assert_non_null(results[i].summary);
        else
            assert_int_equal(results[i].completed, 0);
    }
    clear_results(results, N);
    free_fixture(&f);
}

static void test_refused_collector_fails_cleanly(void **state)
{
    (void)state;
    fixture f = make_articles(3);
    np_result results[3] = {0};
    np_pipeline_config config = config_with(0, 0, 4);
    np_run_stats stats;
    char err[256];
    atomic_store(&threads_allowed, 0);
    int rc = np_pipeline_run(&f.list, &config, results, &stats, err, sizeof(err));
    atomic_store(&threads_allowed, -1);
    assert_int_equal(rc, -1);
    assert_string_equal(err, "cannot start the collector thread: Resource temporarily unavailable");
    free_fixture(&f);
}

static void test_critical_path_is_largest_latency_sum(void **state)
{
    (void)state;
    fixture f = make_articles(20);
    np_result results[20] = {0};
    np_pipeline_config config = config_with(1, 30, 4);
    np_run_stats stats;
    char err[256];
    assert_int_equal(np_pipeline_run(&f.list, &config, results, &stats, err, sizeof(err)), 0);
    uint64_t longest = 0;
    for (size_t i = 0; i < 20; i++) {
        uint64_t sum = (uint64_t)results[i].latency_ms[0] + results[i].latency_ms[1];
        if (sum > longest)
            longest = sum;
        np_result_clear(&results[i]);
    }
    assert_int_equal(stats.critical_path_ms, longest);
    assert_true(stats.wall_ns >= (long long)longest * 1000000LL);
    free_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n_articles_give_n_results_exactly_once),
        cmocka_unit_test(test_capacity_one_still_delivers_everything),
        cmocka_unit_test(test_zero_articles_is_an_empty_run),
        cmocka_unit_test(test_fifty_articles_run_concurrently),
        cmocka_unit_test(test_refused_thread_is_reported_and_running_articles_finish),
        cmocka_unit_test(test_refused_collector_fails_cleanly),
        cmocka_unit_test(test_critical_path_is_largest_latency_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

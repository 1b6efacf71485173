/*
 * A randomized stress test of the whole pipeline, meant to run under ThreadSanitizer: random
 * modes, results-queue capacities (1..64), worker counts (1..16), article counts (1..300),
 * latencies, fault rates, and a cancellation at a random moment (or none). Whatever happens,
 * every dispatched article must arrive at the collector exactly once, at its own position, with
 * a consistent status, and the run must end (a hang fails through the ctest timeout).
 * The generator is seeded per round; a failure prints the round's seed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np/clock.h"
#include "np/pipeline.h"

enum { ROUNDS = 60, MAX_ARTICLES = 300 };

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = (*state += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t random_in(uint64_t *state, size_t lo, size_t hi)
{
    return lo + (size_t)(next_random(state) % (hi - lo + 1));
}

typedef struct canceller {
    np_cancel *cancel;
    long long after_ns;
} canceller;

static void *cancel_after(void *arg)
{
    const canceller *c = arg;
    np_cancel_sleep_ns(NULL, c->after_ns);
    np_cancel_raise(c->cancel, NP_CANCEL_SIGTERM);
    return NULL;
}

static void run_round(uint64_t seed)
{
    uint64_t rng = seed;
    size_t n = random_in(&rng, 1, MAX_ARTICLES);
    static char contents[MAX_ARTICLES][64];
    np_article *items = calloc(n, sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        snprintf(contents[i], sizeof(contents[i]), "Item %zu was good. It was not bad.", i);
        items[i] = (np_article){.id = {.kind = NP_ID_NUMBER, .number = i * 7 + 1},
                                .title = "t",
                                .title_len = 1,
                                .content = contents[i],
                                .content_len = strlen(contents[i])};
    }
    np_article_list list = {.items = items, .count = n};
    np_cancel cancel;
    assert_int_equal(np_cancel_init(&cancel), 0);
    np_pipeline_config config = {
        .process = {.seed = seed,
                    .latency_min_ms = 0,
                    .latency_max_ms = (uint32_t)random_in(&rng, 0, 2),
                    .fail_rate = random_in(&rng, 0, 1) ? 0.2 : 0.0,
                    .retries = (unsigned)random_in(&rng, 0, 2),
                    .cancel = &cancel},
        .mode = (np_mode)random_in(&rng, 0, NP_MODE_COUNT - 1),
        .workers = random_in(&rng, 1, 16),
        .queue_capacity = random_in(&rng, 1, 64),
    };
    if (config.mode != NP_MODE_THREAD) {
        /* Without a thread per article, sleeps (latencies, retry backoffs) add up. */
        config.process.latency_max_ms = 0;
        config.process.retries = 0;
    }
    int cancel_it = (int)random_in(&rng, 0, 1);
    canceller c = {&cancel, (long long)random_in(&rng, 0, 3000) * 1000};
    pthread_t thread;
    if (cancel_it)
        assert_int_equal(pthread_create(&thread, NULL, cancel_after, &c), 0);
    np_source *source = np_source_from_list(&list);
    np_pipeline_results kept;
    np_run_stats stats;
    char err[256];
    int rc = np_pipeline_run(source, &config, &kept, &stats, err, sizeof(err));
    if (cancel_it)
        pthread_join(thread, NULL);
    if (rc != 0 || kept.count != n || stats.collected != n)
        fail_msg("round seed %llu: rc %d, kept %zu, collected %zu of %zu", (unsigned long long)seed,
                 rc, kept.count, stats.collected, n);
    unsigned char *rank_seen = calloc(n + 1, 1);
    size_t by_status[NP_STATUS_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        const np_result *r = &kept.results[i];
        if (r->index != i || r->completed < 1 || r->completed > n || rank_seen[r->completed]++)
            fail_msg("round seed %llu: article %zu arrived wrongly (index %zu, rank %zu)",
                     (unsigned long long)seed, i, r->index, r->completed);
        if ((r->status == NP_STATUS_OK) != (r->error == NULL))
            fail_msg("round seed %llu: article %zu status/error mismatch", (unsigned long long)seed,
                     i);
        by_status[r->status]++;
    }
    for (int s = 0; s < NP_STATUS_COUNT; s++)
        assert_int_equal(by_status[s], stats.status_count[s]);
    if (!cancel_it)
        assert_int_equal(by_status[NP_STATUS_CANCELLED], 0);
    free(rank_seen);
    np_pipeline_results_free(&kept);
    np_source_close(source);
    np_cancel_destroy(&cancel);
    free(items);
}

static void test_random_runs_deliver_every_article_exactly_once(void **state)
{
    (void)state;
    for (uint64_t round = 0; round < ROUNDS; round++)
        run_round(0x5eed0000 + round);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_runs_deliver_every_article_exactly_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the calibrated simulator's pieces: quantile tables from samples, loading them
 * from a report (and the errors for reports that cannot be used), drawing latencies by inverse
 * CDF (reproducible, inside the table's range, matching its median), and the streaming shape's
 * first-token delay (inside the latency, from the seed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/latency_dist.h"
#include "np/llm.h"

static char path[64];

/* Writes text to a fresh temporary file named in path. */
static void write_temp(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/np_latency_dist_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* "[a, a+step, ...]" with NP_LATENCY_QUANTILES numbers. */
static void table_text(char *out, size_t size, double a, double step)
{
    size_t used = (size_t)snprintf(out, size, "[");
    for (int i = 0; i < NP_LATENCY_QUANTILES; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%g", i ? ", " : "", a + step * i);
    snprintf(out + used, size - used, "]");
}

static char *report_text(const char *summarization, const char *sentiment)
{
    size_t size = strlen(summarization) + strlen(sentiment) + 1024;
    char *text = malloc(size);
    assert_non_null(text);
    snprintf(text, size,
             "{\"schema\": \"news-processor-report\", \"schema_version\": 1, \"runs\": [\n"
             " {\"warmup\": true, \"latency_distribution\": {}},\n"
             " {\"warmup\": false, \"interrupted\": false, \"latency_distribution\": {\n"
             "  \"summarization\": %s,\n  \"sentiment\": %s}}]}\n",
             summarization, sentiment);
    return text;
}

static void test_quantile_table_of_samples(void **state)
{
    (void)state;
    double sorted[201], table[NP_LATENCY_QUANTILES];
    for (int i = 0; i < 201; i++)
        sorted[i] = 10.0 * i;
    np_latency_quantiles(sorted, 201, table);
    assert_float_equal(table[0], 0, 1e-9);
    assert_float_equal(table[50], 1000, 1e-9);
    assert_float_equal(table[100], 2000, 1e-9);
    double one = 42;
    np_latency_quantiles(&one, 1, table);
    assert_float_equal(table[0], 42, 1e-9);
    assert_float_equal(table[100], 42, 1e-9);
}

static void test_loads_the_first_complete_run(void **state)
{
    (void)state;
    char a[4096], b[4096], s1[9000], s2[9000];
    table_text(a, sizeof(a), 100, 2);
    table_text(b, sizeof(b), 10, 1);
    snprintf(s1, sizeof(s1), "{\"latency_ms\": %s, \"first_token_ms\": %s}", a, b);
    snprintf(s2, sizeof(s2), "{\"latency_ms\": %s, \"first_token_ms\": null}", b);
    char *text = report_text(s1, s2);
    write_temp(text);
    free(text);
    np_latency_dist dist;
    char err[512];
    assert_int_equal(np_latency_dist_load(path, -1, &dist, err, sizeof(err)), 0);
    unlink(path);
    assert_true(dist.present[NP_STAGE_SUMMARIZATION][NP_LATENCY_CALL]);
    assert_true(dist.present[NP_STAGE_SUMMARIZATION][NP_LATENCY_FIRST_TOKEN]);
    assert_false(dist.present[NP_STAGE_SUMMARIZATION][NP_LATENCY_TOKEN_GAP]);
    assert_false(dist.present[NP_STAGE_SENTIMENT][NP_LATENCY_FIRST_TOKEN]);
    assert_float_equal(dist.q[NP_STAGE_SUMMARIZATION][NP_LATENCY_CALL][50], 200, 1e-9);
    assert_float_equal(dist.q[NP_STAGE_SENTIMENT][NP_LATENCY_CALL][100], 110, 1e-9);
    uint32_t lo, hi;
    np_latency_dist_range(&dist, &lo, &hi);
    assert_int_equal(lo, 10);
    assert_int_equal(hi, 300);
}

/* Loading text must fail with a message containing want. */
static void expect_error(const char *text, const char *want)
{
    write_temp(text);
    np_latency_dist dist;
    char err[512];
    assert_int_equal(np_latency_dist_load(path, -1, &dist, err, sizeof(err)), -1);
    unlink(path);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
    assert_true(strncmp(err, path, strlen(path)) == 0);
}

static void test_unusable_reports_are_clear_errors(void **state)
{
    (void)state;
    expect_error("{\"schema\": 1,,}", ":1:15: not JSON");
    expect_error("{\n  \"a\": [1, 2,]\n}", ":2:14: not JSON");
    expect_error("{\"schema\": \"other\", \"schema_version\": 1, \"runs\": []}",
                 "not a news-processor report");
    expect_error("{\"schema\": \"news-processor-report\", \"schema_version\": 7, \"runs\": []}",
                 "schema_version");
    expect_error("{\"schema\": \"news-processor-report\", \"schema_version\": 1, \"runs\": []}",
                 "no complete run");
    expect_error("{\"schema\": \"news-processor-report\", \"schema_version\": 1, \"runs\": "
                 "[{\"stages\": {}}]}",
                 "no \"latency_distribution\"");
    char a[4096], good[4200], bad[4200];
    table_text(a, sizeof(a), 100, 2);
    snprintf(good, sizeof(good), "{\"latency_ms\": %s}", a);
    char *text = report_text(good, "{\"latency_ms\": null}");
    expect_error(text, "no sentiment calls");
    free(text);
    table_text(a, sizeof(a), 100, -1); /* descending */
    snprintf(bad, sizeof(bad), "{\"latency_ms\": %s}", a);
    text = report_text(good, bad);
    expect_error(text, "latency_distribution.sentiment.latency_ms is not 101 ascending");
    free(text);
    text = report_text(good, "{\"latency_ms\": [1, 2, 3]}");
    expect_error(text, "is not 101 ascending");
    free(text);
    np_latency_dist dist;
    char err[512];
    assert_int_equal(np_latency_dist_load("/nonexistent/r.json", -1, &dist, err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/r.json: cannot open: No such file or directory");
}

static np_id number_id(uint64_t n)
{
    return (np_id){.kind = NP_ID_NUMBER, .number = n};
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void test_inverse_cdf_draws_follow_the_table(void **state)
{
    (void)state;
    /* A skewed distribution: half the mass in [100, 110], the rest up to 1000. */
    double q[NP_LATENCY_QUANTILES];
    for (int i = 0; i <= 50; i++)
        q[i] = 100 + 10.0 * i / 50;
    for (int i = 51; i < NP_LATENCY_QUANTILES; i++)
        q[i] = 110 + 890.0 * (i - 50) / 50;
    enum { N = 20001 };
    static uint32_t draws[N];
    for (uint64_t i = 0; i < N; i++) {
        np_id id = number_id(i);
        draws[i] = np_llm_quantile_ms(3, &id, NP_STAGE_SENTIMENT, 0, q, NP_LATENCY_QUANTILES);
        assert_in_range(draws[i], 100, 1000);
        assert_int_equal(
            draws[i], np_llm_quantile_ms(3, &id, NP_STAGE_SENTIMENT, 0, q, NP_LATENCY_QUANTILES));
    }
    qsort(draws, N, sizeof(draws[0]), compare_u32);
    assert_in_range(draws[N / 2], 108, 112);      /* the median, 110 */
    assert_in_range(draws[N * 9 / 10], 780, 860); /* the 90th percentile, 822 */
    np_id id = number_id(1);
    double fixed[2] = {250, 250};
    assert_int_equal(np_llm_quantile_ms(1, &id, NP_STAGE_SUMMARIZATION, 0, fixed, 2), 250);
}

static void test_first_token_lies_inside_the_latency(void **state)
{
    (void)state;
    int differ = 0;
    for (uint64_t i = 0; i < 5000; i++) {
        np_id id = number_id(i);
        uint32_t first = np_llm_first_token_ms(9, &id, NP_STAGE_SUMMARIZATION, 0, 1000, NULL, 0);
        assert_in_range(first, 100, 500);
        assert_int_equal(first,
                         np_llm_first_token_ms(9, &id, NP_STAGE_SUMMARIZATION, 0, 1000, NULL, 0));
        differ |= first != np_llm_first_token_ms(9, &id, NP_STAGE_SUMMARIZATION, 1, 1000, NULL, 0);
    }
    assert_true(differ);
    /* From a table, at the latency's quantile: the draws follow the table (its median). */
    double latency_q[NP_LATENCY_QUANTILES], first_q[NP_LATENCY_QUANTILES];
    for (int i = 0; i < NP_LATENCY_QUANTILES; i++) {
        latency_q[i] = 1000 + 10.0 * i;
        first_q[i] = 100 + 2.0 * i;
    }
    enum { N = 2001 };
    static uint32_t firsts[N];
    for (uint64_t i = 0; i < N; i++) {
        np_id each = number_id(i);
        uint32_t latency = np_llm_quantile_ms(4, &each, NP_STAGE_SUMMARIZATION, 0, latency_q,
                                              NP_LATENCY_QUANTILES);
        firsts[i] = np_llm_first_token_ms(4, &each, NP_STAGE_SUMMARIZATION, 0, latency, first_q,
                                          NP_LATENCY_QUANTILES);
        /* The same quantile: latency 1000 + 10 k goes with first token 100 + 2 k. */
        assert_true(abs((int)firsts[i] - (100 + ((int)latency - 1000) / 5)) <= 1);
    }
    qsort(firsts, N, sizeof(firsts[0]), compare_u32);
    assert_in_range(firsts[N / 2], 198, 202);
    /* Never past the call's latency. */
    double q[2] = {700, 900};
    np_id id = number_id(5);
    assert_in_range(np_llm_first_token_ms(1, &id, NP_STAGE_SENTIMENT, 0, 2000, q, 2), 700, 900);
    assert_int_equal(np_llm_first_token_ms(1, &id, NP_STAGE_SENTIMENT, 0, 300, q, 2), 300);
    assert_int_equal(np_llm_first_token_ms(1, &id, NP_STAGE_SENTIMENT, 0, 0, NULL, 0), 0);
}

static uint64_t kept_sum_us(const np_gap_recorder *r)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < r->kept_count; i++)
        sum += r->kept[i];
    return sum;
}

/* The simulator's per-token gaps without a table: drawn from the seed, they share the time from
 * the first token to the latency, so the call still takes exactly its latency. */
static void test_token_gaps_share_the_time_after_the_first_token(void **state)
{
    (void)state;
    np_id id = number_id(3);
    np_gap_recorder a = {0}, b = {0}, other = {0}, none = {0};
    np_llm_token_gaps(8, &id, NP_STAGE_SUMMARIZATION, 0, 1000, 200, 41, NULL, 0, &a);
    assert_int_equal(a.count, 40);
    assert_int_equal(a.kept_count, 40);
    assert_in_range(kept_sum_us(&a), 800000 - 40, 800000 + 40);
    int differ = 0;
    for (uint32_t i = 0; i < 40; i++) {
        assert_in_range(a.kept[i], 8000, 35000); /* weights in [0.5, 1.5) of the mean 20 ms */
        differ |= a.kept[i] != a.kept[0];
    }
    assert_true(differ);
    np_llm_token_gaps(8, &id, NP_STAGE_SUMMARIZATION, 0, 1000, 200, 41, NULL, 0, &b);
    assert_memory_equal(a.kept, b.kept, sizeof(a.kept)); /* reproducible from the seed */
    np_llm_token_gaps(8, &id, NP_STAGE_SUMMARIZATION, 1, 1000, 200, 41, NULL, 0, &other);
    assert_memory_not_equal(a.kept, other.kept, sizeof(a.kept)); /* each attempt its own */
    np_llm_token_gaps(8, &id, NP_STAGE_SUMMARIZATION, 0, 1000, 200, 1, NULL, 0, &none);
    assert_int_equal(none.count, 0);
}

/* From a table: each gap drawn by inverse CDF, kept as drawn when they fit (the pooled median is
 * the table's), scaled together when they would overrun the latency. */
static void test_token_gaps_follow_the_table(void **state)
{
    (void)state;
    double q[NP_LATENCY_QUANTILES];
    for (int i = 0; i < NP_LATENCY_QUANTILES; i++)
        q[i] = 1 + 0.0002 * i * i; /* 1 .. 3 ms, median 1.5 ms */
    enum { CALLS = 500, GAPS = 40 };
    static uint32_t all[CALLS * GAPS];
    size_t n = 0;
    for (uint64_t c = 0; c < CALLS; c++) {
        np_id id = number_id(c);
        np_gap_recorder r = {0};
        np_llm_token_gaps(2, &id, NP_STAGE_SENTIMENT, 0, 1000, 100, GAPS + 1, q,
                          NP_LATENCY_QUANTILES, &r);
        assert_int_equal(r.kept_count, GAPS);
        for (uint32_t i = 0; i < GAPS; i++) {
            assert_in_range(r.kept[i], 1000, 3000);
            all[n++] = r.kept[i];
        }
    }
    qsort(all, n, sizeof(all[0]), compare_u32);
    assert_in_range(all[n / 2], 1470, 1530);
    /* 40 gaps of 50..60 ms cannot fit in 400 ms: scaled to fill it exactly. */
    double slow[2] = {50, 60};
    np_id id = number_id(1);
    np_gap_recorder r = {0};
    np_llm_token_gaps(2, &id, NP_STAGE_SENTIMENT, 0, 500, 100, GAPS + 1, slow, 2, &r);
    assert_int_equal(r.count, GAPS);
    assert_in_range(kept_sum_us(&r), 400000 - GAPS, 400000 + GAPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile_table_of_samples),
        cmocka_unit_test(test_loads_the_first_complete_run),
        cmocka_unit_test(test_unusable_reports_are_clear_errors),
        cmocka_unit_test(test_inverse_cdf_draws_follow_the_table),
        cmocka_unit_test(test_first_token_lies_inside_the_latency),
        cmocka_unit_test(test_token_gaps_share_the_time_after_the_first_token),
        cmocka_unit_test(test_token_gaps_follow_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

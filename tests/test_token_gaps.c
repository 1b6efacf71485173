/*
 * Unit tests of np/token_gaps.h: a recorder keeps a long reply's gaps evenly in fixed space, its
 * summary holds the call's gap quantiles and count, and a pool's weighted percentiles are the
 * ordinary ones when weights are equal and follow the weights when they are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "np/token_gaps.h"

static void test_short_reply_keeps_every_gap(void **state)
{
    (void)state;
    np_gap_recorder r = {0};
    np_gap_summary s;
    np_gap_summarize(&r, &s);
    assert_int_equal(s.count, 0);
    static const long long gaps_ns[] = {4000000, 1000000, 3000000, 2000000};
    for (size_t i = 0; i < 4; i++)
        np_gap_record(&r, gaps_ns[i]);
    np_gap_summarize(&r, &s);
    assert_int_equal(s.count, 4);
    /* 4 gaps over 8 points: each gap stands for two of them, ascending */
    static const uint32_t want[NP_GAP_POINTS] = {1000, 1000, 2000, 2000, 3000, 3000, 4000, 4000};
    assert_memory_equal(s.us, want, sizeof(want));
}

static void test_long_reply_is_kept_evenly_in_fixed_space(void **state)
{
    (void)state;
    /* 10,000 gaps of 1..10,000 µs, in order: the recorder keeps NP_GAP_BUFFER or fewer, spread
     * over the whole reply, so the summary's points sit near the true quantiles. */
    np_gap_recorder r = {0};
    for (long long i = 1; i <= 10000; i++)
        np_gap_record(&r, i * 1000);
    assert_true(r.kept_count <= NP_GAP_BUFFER);
    np_gap_summary s;
    np_gap_summarize(&r, &s);
    assert_int_equal(s.count, 10000);
    for (size_t j = 0; j < NP_GAP_POINTS; j++) {
        double truth = (j + 0.5) / NP_GAP_POINTS * 10000;
        assert_in_range(s.us[j], (uint32_t)(truth - 300), (uint32_t)(truth + 300));
    }
    assert_true(s.us[0] < s.us[NP_GAP_POINTS - 1]);
}

static void test_pool_percentiles_weigh_each_gap(void **state)
{
    (void)state;
    /* Equal weights: 1..5 ms, median 3, ends at min and max. */
    np_gap_point equal[5];
    for (int i = 0; i < 5; i++)
        equal[i] = (np_gap_point){.ms = 5 - i, .weight = 2};
    np_gap_pool_sort(equal, 5);
    double p[] = {0, 50, 100}, out[3];
    np_gap_pool_percentiles(equal, 5, p, 3, out);
    assert_float_equal(out[0], 1, 1e-12);
    assert_float_equal(out[1], 3, 1e-12);
    assert_float_equal(out[2], 5, 1e-12);
    /* A heavy point holds the percentiles up to its middle (0.45 of the weight) and draws the
     * median to itself (1.9, where equal weights give 5.5); between two points' middles (0.45
     * and 0.95), linearly. */
    np_gap_point skewed[] = {{.ms = 1, .weight = 9}, {.ms = 10, .weight = 1}};
    double q[] = {0, 40, 50, 70, 100};
    double got[5];
    np_gap_pool_percentiles(skewed, 2, q, 5, got);
    assert_float_equal(got[0], 1, 1e-12);
    assert_float_equal(got[1], 1, 1e-12);
    assert_float_equal(got[2], 1.9, 1e-9);
    assert_float_equal(got[3], 1 + 9 * (0.70 - 0.45) / 0.5, 1e-9);
    assert_float_equal(got[4], 10, 1e-12);
    /* A summary adds its points, each weighing count / NP_GAP_POINTS gaps. */
    np_gap_summary s = {.count = 16, .us = {1000, 1000, 1000, 1000, 2000, 2000, 2000, 2000}};
    np_gap_point pool[NP_GAP_POINTS];
    assert_int_equal(np_gap_pool_add(pool, 0, &s), NP_GAP_POINTS);
    assert_float_equal(pool[7].ms, 2, 1e-12);
    assert_float_equal(pool[7].weight, 2, 1e-12);
    np_gap_summary none = {0};
    assert_int_equal(np_gap_pool_add(pool, 3, &none), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_reply_keeps_every_gap),
        cmocka_unit_test(test_long_reply_is_kept_evenly_in_fixed_space),
        cmocka_unit_test(test_pool_percentiles_weigh_each_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

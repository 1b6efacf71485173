/*
 * Unit tests of np/stats.h: percentiles, summaries and the Mann-Whitney U test.
 *
 * Reference p-values were computed independently with Python's standard library (all
 * arrangements enumerated with itertools.combinations for small samples, the memoized counting
 * recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u) for 20 vs 20, and the normal
 * approximation with average ranks for ties) and are pinned here.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "np/stats.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka 1.1.5's assert_float_equal compares as float: too coarse for p-values, so in double. */
#define assert_close(actual, expected, tolerance)                                                  \
    do {                                                                                           \
        double actual_ = (actual), expected_ = (expected);                                         \
        if (!(fabs(actual_ - expected_) <= (tolerance)))                                           \
            fail_msg("%s = %.17g, expected %.17g (within %g)", #actual, actual_, expected_,        \
                     (double)(tolerance));                                                         \
    } while (0)

static void test_percentile_interpolates_between_ranks(void **state)
{
    (void)state;
    const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_close(np_stats_percentile(v, 10, 50), 5.5, 1e-12);
    assert_close(np_stats_percentile(v, 10, 90), 9.1, 1e-12);
    assert_close(np_stats_percentile(v, 10, 99), 9.91, 1e-12);
    assert_close(np_stats_percentile(v, 10, 25), 3.25, 1e-12);
}

static void test_percentile_ends_are_min_and_max(void **state)
{
    (void)state;
    const double v[] = {-3, 0.5, 7, 100};
    assert_close(np_stats_percentile(v, 4, 0), -3, 0);
    assert_close(np_stats_percentile(v, 4, 100), 100, 0);
    /* out-of-range p is clamped */
    assert_close(np_stats_percentile(v, 4, -5), -3, 0);
    assert_close(np_stats_percentile(v, 4, 250), 100, 0);
}

static void test_percentile_of_one_element_is_that_element(void **state)
{
    (void)state;
    const double v[] = {42.5};
    assert_close(np_stats_percentile(v, 1, 0), 42.5, 0);
    assert_close(np_stats_percentile(v, 1, 50), 42.5, 0);
    assert_close(np_stats_percentile(v, 1, 99), 42.5, 0);
}

static void test_percentile_of_nothing_is_nan(void **state)
{
    (void)state;
    assert_true(isnan(np_stats_percentile(NULL, 0, 50)));
}

static void test_summary_of_unsorted_values(void **state)
{
    (void)state;
    const double v[] = {9, 2, 4, 4, 5, 4, 7, 5};
    double scratch[COUNT(v)];
    np_stats_summary s = np_stats_summarize(v, COUNT(v), scratch);
    assert_int_equal(s.count, 8);
    assert_close(s.min, 2, 0);
    assert_close(s.max, 9, 0);
    assert_close(s.mean, 5, 1e-12);
    assert_close(s.median, 4.5, 1e-12);
    /* sum of squared deviations 32, n - 1 = 7 */
    assert_close(s.stddev, sqrt(32.0 / 7.0), 1e-12);
    /* scratch is left sorted; the input untouched */
    for (size_t i = 1; i < COUNT(v); i++)
        assert_true(scratch[i - 1] <= scratch[i]);
    assert_close(v[0], 9, 0);
}

static void test_summary_sorts_in_place_when_scratch_is_the_input(void **state)
{
    (void)state;
    double v[] = {3, 1, 2};
    np_stats_summary s = np_stats_summarize(v, 3, v);
    assert_close(s.median, 2, 0);
    assert_close(v[0], 1, 0);
    assert_close(v[2], 3, 0);
}

static void test_summary_of_one_and_of_none(void **state)
{
    (void)state;
    const double one[] = {7.25};
    double scratch[1];
    np_stats_summary s = np_stats_summarize(one, 1, scratch);
    assert_int_equal(s.count, 1);
    assert_close(s.mean, 7.25, 0);
    assert_close(s.median, 7.25, 0);
    assert_close(s.stddev, 0, 0);
    s = np_stats_summarize(NULL, 0, NULL);
    assert_int_equal(s.count, 0);
    assert_true(isnan(s.mean) && isnan(s.median) && isnan(s.min) && isnan(s.max));
    assert_close(s.stddev, 0, 0);
}

static void test_mann_whitney_exact_four_vs_four_separated(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8};
    assert_close(np_stats_mann_whitney_p(a, 4, b, 4), 2.0 / 70.0, 1e-12);
    assert_close(np_stats_mann_whitney_p(b, 4, a, 4), 2.0 / 70.0, 1e-12);
}

static void test_mann_whitney_exact_three_vs_three_separated(void **state)
{
    (void)state;
    const double a[] = {10.5, 11, 12}, b[] = {1, 2, 3};
    assert_close(np_stats_mann_whitney_p(a, 3, b, 3), 0.1, 1e-12);
}

static void test_mann_whitney_exact_textbook_tables(void **state)
{
    (void)state;
    /* U = 17 of 20: enumerating the 126 arrangements gives p = 14/126 */
    const double a[] = {19, 22, 16, 29, 24}, b[] = {20, 11, 17, 12};
    assert_close(np_stats_mann_whitney_p(a, COUNT(a), b, COUNT(b)), 1.0 / 9.0, 1e-12);
    /* 7 vs 8, U = 8: p = 0.020512820512820513 */
    const double c[] = {1.1, 2.3, 3.5, 4.2, 5.0, 6.8, 7.4};
    const double d[] = {3.9, 5.5, 6.1, 8.0, 9.2, 10.4, 11.7, 12.3};
    assert_close(np_stats_mann_whitney_p(c, COUNT(c), d, COUNT(d)), 0.020512820512820513, 1e-12);
    assert_close(np_stats_mann_whitney_p(d, COUNT(d), c, COUNT(c)), 0.020512820512820513, 1e-12);
}

static void test_mann_whitney_exact_at_the_size_limit(void **state)
{
    (void)state;
    double a[20], b[20];
    for (int i = 0; i < 20; i++) {
        a[i] = i;
        b[i] = 20 + i;
    }
    /* complete separation: 2 / C(40, 20) */
    assert_close(np_stats_mann_whitney_p(a, 20, b, 20), 1.4508889103849688e-11, 1e-22);
    /* evens 0..38 against 1.5..19.5 step 2 and 31..49 step 2: U = 155, p = 0.2314987162111987 */
    for (int i = 0; i < 20; i++) {
        a[i] = 2.0 * i;
        b[i] = i < 10 ? 2.0 * i + 1.5 : 2.0 * i + 11;
    }
    assert_close(np_stats_mann_whitney_p(a, 20, b, 20), 0.2314987162111987, 1e-12);
}

static void test_mann_whitney_ties_use_the_corrected_normal_approximation(void **state)
{
    (void)state;
    const double a[] = {1, 2, 2, 3, 3, 3, 4, 5}, b[] = {3, 4, 4, 5, 5, 6, 7, 7, 8};
    double p = np_stats_mann_whitney_p(a, COUNT(a), b, COUNT(b));
    assert_close(p, 0.006373133838085877, 1e-12);
    assert_close(np_stats_mann_whitney_p(b, COUNT(b), a, COUNT(a)), p, 1e-15);
}

static void test_mann_whitney_large_samples_use_the_normal_approximation(void **state)
{
    (void)state;
    double a[21], b[22];
    for (int i = 0; i < 21; i++)
        a[i] = 1 + 2 * i;
    for (int i = 0; i < 22; i++)
        b[i] = 2 + 2 * i;
    assert_close(np_stats_mann_whitney_p(a, 21, b, 22), 0.6184292290191918, 1e-12);
}

static void test_mann_whitney_identical_samples_give_one(void **state)
{
    (void)state;
    const double a[] = {5, 6, 7, 8, 9};
    assert_close(np_stats_mann_whitney_p(a, 5, a, 5), 1.0, 0);
    const double same[] = {3, 3, 3, 3};
    assert_close(np_stats_mann_whitney_p(same, 4, same, 4), 1.0, 0);
}

static void test_mann_whitney_empty_side_gives_one(void **state)
{
    (void)state;
    const double a[] = {1, 2};
    assert_close(np_stats_mann_whitney_p(a, 2, NULL, 0), 1.0, 0);
    assert_close(np_stats_mann_whitney_p(NULL, 0, a, 2), 1.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentile_interpolates_between_ranks),
        cmocka_unit_test(test_percentile_ends_are_min_and_max),
        cmocka_unit_test(test_percentile_of_one_element_is_that_element),
        cmocka_unit_test(test_percentile_of_nothing_is_nan),
        cmocka_unit_test(test_summary_of_unsorted_values),
        cmocka_unit_test(test_summary_sorts_in_place_when_scratch_is_the_input),
        cmocka_unit_test(test_summary_of_one_and_of_none),
        cmocka_unit_test(test_mann_whitney_exact_four_vs_four_separated),
        cmocka_unit_test(test_mann_whitney_exact_three_vs_three_separated),
        cmocka_unit_test(test_mann_whitney_exact_textbook_tables),
        cmocka_unit_test(test_mann_whitney_exact_at_the_size_limit),
        cmocka_unit_test(test_mann_whitney_ties_use_the_corrected_normal_approximation),
        cmocka_unit_test(test_mann_whitney_large_samples_use_the_normal_approximation),
        cmocka_unit_test(test_mann_whitney_identical_samples_give_one),
        cmocka_unit_test(test_mann_whitney_empty_side_gives_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

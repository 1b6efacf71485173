/*
 * The progress line's text: counted against the known total (not the articles dispatched so far),
 * and an ETA that follows --rate when there is one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "np/clock.h"
#include "np/progress.h"

/* A progress line drawn into buf, as if the run had lasted `elapsed_s` seconds on a terminal. */
static void draw(char *buf, size_t size, np_progress *p, double elapsed_s, size_t done,
                 size_t dispatched, int input_finished)
{
    FILE *f = fmemopen(buf, size - 1, "w");
    assert_non_null(f);
    p->stream = f;
    p->enabled = 1;
    p->start_ns = np_clock_now_ns() - (long long)(elapsed_s * 1e9);
    p->last_draw_ns = 0;
    np_progress_update(p, done, dispatched, input_finished);
    fclose(f);
}

static void test_known_total_is_counted_against_not_the_dispatched(void **state)
{
    (void)state;
    char buf[256] = {0};
    np_progress p = {.total = 1000};
    draw(buf, sizeof(buf), &p, 2.0, 58, 111, 0);
    assert_non_null(strstr(buf, " 58/1000  "));
    assert_null(strstr(buf, "111"));
}

static void test_a_stream_counts_what_was_read_so_far(void **state)
{
    (void)state;
    char buf[256] = {0};
    np_progress p = {0};
    draw(buf, sizeof(buf), &p, 2.0, 58, 111, 0);
    assert_non_null(strstr(buf, " 58/111+  "));
    assert_non_null(strstr(buf, "ETA ?"));
}

static void test_eta_under_a_rate_follows_the_rate(void **state)
{
    (void)state;
    char buf[256] = {0};
    /* 100 articles at 20 calls/s take 10 s; after 4 s, 6 s are left, whatever the pace so far
     * (here 2 done: the pace alone would say 196 s). */
    np_progress p = {.total = 100, .rate = 20};
    draw(buf, sizeof(buf), &p, 4.0, 2, 100, 1);
    const char *eta = strstr(buf, "ETA ");
    assert_non_null(eta);
    double left = -1;
    assert_int_equal(sscanf(eta, "ETA %lfs", &left), 1);
    /* 6.0, or a little less if this thread was descheduled between the two clock reads. */
    assert_true(left > 4.0 && left <= 6.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_total_is_counted_against_not_the_dispatched),
        cmocka_unit_test(test_a_stream_counts_what_was_read_so_far),
        cmocka_unit_test(test_eta_under_a_rate_follows_the_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

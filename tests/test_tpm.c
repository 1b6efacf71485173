/*
 * Unit tests of the tokens-per-minute bucket on a hand-set clock: a full bucket at the start, the
 * refill at N/60 per second capped at N, waits handed out in reservation order, corrections by
 * the actual usage both ways, and the documented estimate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "np/tpm.h"

#define SECOND 1000000000LL

static void test_full_bucket_serves_n_tokens_at_once(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 600, 0), 0);
    assert_int_equal(np_tpm_reserve(&t, 400, 0), 0);
    assert_int_equal(np_tpm_reserve(&t, 200, 0), 0);
    /* Empty now: 10 more tokens at 10 per second take 1 s. */
    long long wait = np_tpm_reserve(&t, 10, 0);
    assert_in_range(wait, SECOND, SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_waits_queue_up_in_reservation_order(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0); /* 1 token per second */
    assert_int_equal(np_tpm_reserve(&t, 60, 0), 0);
    long long first = np_tpm_reserve(&t, 5, 0);
    long long second = np_tpm_reserve(&t, 5, 0);
    assert_in_range(first, 5 * SECOND, 5 * SECOND + 1000);
    assert_in_range(second, 10 * SECOND, 10 * SECOND + 1000);
    /* Time passing pays for the promised tokens: 10 s later the bucket is at zero again. */
    long long third = np_tpm_reserve(&t, 1, 10 * SECOND);
    assert_in_range(third, SECOND, SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_refill_is_capped_at_the_capacity(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 120, 0), 0); /* 2 tokens per second */
    assert_int_equal(np_tpm_reserve(&t, 120, 0), 0);
    /* An hour idle refills only up to 120. */
    assert_int_equal(np_tpm_reserve(&t, 120, 3600 * SECOND), 0);
    long long wait = np_tpm_reserve(&t, 2, 3600 * SECOND);
    assert_in_range(wait, SECOND, SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_correction_gives_back_and_takes(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    assert_int_equal(np_tpm_reserve(&t, 60, 0), 0);
    np_tpm_correct(&t, 60, 20); /* used 20 of 60: 40 back */
    assert_int_equal(np_tpm_reserve(&t, 40, 0), 0);
    assert_true(np_tpm_reserve(&t, 1, 0) > 0);
    np_tpm_destroy(&t);

    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    assert_int_equal(np_tpm_reserve(&t, 30, 0), 0);
    np_tpm_correct(&t, 30, 50); /* used 20 more than estimated: the bucket is at 10 */
    assert_int_equal(np_tpm_reserve(&t, 10, 0), 0);
    long long wait = np_tpm_reserve(&t, 3, 0);
    assert_in_range(wait, 3 * SECOND, 3 * SECOND + 1000);
    assert_int_equal(t.corrections, 20);
    np_tpm_destroy(&t);
}

static void test_correction_never_overfills(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    np_tpm_correct(&t, 100, 0); /* a cancelled call's tokens come back, up to the capacity */
    assert_int_equal(np_tpm_reserve(&t, 60, 0), 0);
    assert_true(np_tpm_reserve(&t, 1, 0) > 0);
    np_tpm_destroy(&t);
}

static void test_a_call_above_the_capacity_waits_instead_of_failing(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    long long wait = np_tpm_reserve(&t, 120, 0);
    assert_in_range(wait, 60 * SECOND, 60 * SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_estimate_rule(void **state)
{
    (void)state;
    assert_int_equal(np_tpm_prompt_tokens(0), NP_TPM_TEMPLATE_TOKENS);
    assert_int_equal(np_tpm_prompt_tokens(1), 1 + NP_TPM_TEMPLATE_TOKENS);
    assert_int_equal(np_tpm_prompt_tokens(4), 1 + NP_TPM_TEMPLATE_TOKENS);
    assert_int_equal(np_tpm_prompt_tokens(400), 100 + NP_TPM_TEMPLATE_TOKENS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_bucket_serves_n_tokens_at_once),
        cmocka_unit_test(test_waits_queue_up_in_reservation_order),
        cmocka_unit_test(test_refill_is_capped_at_the_capacity),
        cmocka_unit_test(test_correction_gives_back_and_takes),
        cmocka_unit_test(test_correction_never_overfills),
        cmocka_unit_test(test_a_call_above_the_capacity_waits_instead_of_failing),
        cmocka_unit_test(test_estimate_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

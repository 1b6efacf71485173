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

/* np_tpm_reserve without the ticket. */
static long long reserve(np_tpm *t, uint64_t tokens, long long now_ns)
{
    uint64_t ticket;
    return np_tpm_reserve(t, tokens, now_ns, &ticket);
}

static void test_full_bucket_serves_n_tokens_at_once(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 600, 0), 0);
    assert_int_equal(reserve(&t, 400, 0), 0);
    assert_int_equal(reserve(&t, 200, 0), 0);
    /* Empty now: 10 more tokens at 10 per second take 1 s. */
    long long wait = reserve(&t, 10, 0);
    assert_in_range(wait, SECOND, SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_waits_queue_up_in_reservation_order(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0); /* 1 token per second */
    assert_int_equal(reserve(&t, 60, 0), 0);
    long long first = reserve(&t, 5, 0);
    long long second = reserve(&t, 5, 0);
    assert_in_range(first, 5 * SECOND, 5 * SECOND + 1000);
    assert_in_range(second, 10 * SECOND, 10 * SECOND + 1000);
    /* Time passing pays for the promised tokens: 10 s later the bucket is at zero again. */
    long long third = reserve(&t, 1, 10 * SECOND);
    assert_in_range(third, SECOND, SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_refill_is_capped_at_the_capacity(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 120, 0), 0); /* 2 tokens per second */
    assert_int_equal(reserve(&t, 120, 0), 0);
    /* An hour idle refills only up to 120. */
    assert_int_equal(reserve(&t, 120, 3600 * SECOND), 0);
    long long wait = reserve(&t, 2, 3600 * SECOND);
    assert_in_range(wait, SECOND, SECOND + 1000);
    np_tpm_destroy(&t);
}

static void test_correction_gives_back_and_takes(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    assert_int_equal(reserve(&t, 60, 0), 0);
    np_tpm_correct(&t, 60, 20); /* used 20 of 60: 40 back */
    assert_int_equal(reserve(&t, 40, 0), 0);
    assert_true(reserve(&t, 1, 0) > 0);
    np_tpm_destroy(&t);

    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    assert_int_equal(reserve(&t, 30, 0), 0);
    np_tpm_correct(&t, 30, 50); /* used 20 more than estimated: the bucket is at 10 */
    assert_int_equal(reserve(&t, 10, 0), 0);
    long long wait = reserve(&t, 3, 0);
    assert_in_range(wait, 3 * SECOND, 3 * SECOND + 1000);
    assert_int_equal(t.corrections, 20);
    np_tpm_destroy(&t);
}

static void test_tokens_given_back_shorten_a_waiting_callers_wait(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0); /* 1 token per second */
    uint64_t first, second;
    assert_int_equal(np_tpm_reserve(&t, 60, 0, &first), 0);
    long long wait = np_tpm_reserve(&t, 30, 0, &second);
    assert_in_range(wait, 30 * SECOND, 30 * SECOND + 1000);
    /* 2 s later the first call ends having used 10 of its 60: 50 come back, so the second call,
     * short 30 - 2 - 50 < 0, may go at once. */
    np_tpm_correct(&t, 60, 10);
    assert_int_equal(np_tpm_wait_left(&t, second, 2 * SECOND), 0);
    uint64_t third;
    long long third_wait = np_tpm_reserve(&t, 40, 2 * SECOND, &third);
    /* A call behind it waits for what is still missing: 60 + 2 - 60 - 30 + 50 - 40 = -18: 18 s. */
    assert_in_range(third_wait, 18 * SECOND, 18 * SECOND + 1000);
    /* Tokens taken (a call used more than its estimate) lengthen it again. */
    np_tpm_correct(&t, 10, 15);
    assert_in_range(np_tpm_wait_left(&t, third, 2 * SECOND), 23 * SECOND, 23 * SECOND + 1000);
    /* The second caller is not held up by the third's reservation. */
    assert_int_equal(np_tpm_wait_left(&t, second, 2 * SECOND), 0);
    np_tpm_destroy(&t);
}

static void test_correction_never_overfills(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    np_tpm_correct(&t, 100, 0); /* a cancelled call's tokens come back, up to the capacity */
    assert_int_equal(reserve(&t, 60, 0), 0);
    assert_true(reserve(&t, 1, 0) > 0);
    np_tpm_destroy(&t);
}

static void test_a_call_above_the_capacity_waits_instead_of_failing(void **state)
{
    (void)state;
    np_tpm t;
    assert_int_equal(np_tpm_init(&t, 60, 0), 0);
    long long wait = reserve(&t, 120, 0);
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
        cmocka_unit_test(test_tokens_given_back_shorten_a_waiting_callers_wait),
        cmocka_unit_test(test_correction_never_overfills),
        cmocka_unit_test(test_a_call_above_the_capacity_waits_instead_of_failing),
        cmocka_unit_test(test_estimate_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

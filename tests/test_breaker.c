/*
 * Unit tests of the circuit breaker, each transition driven by a hand-set clock: closed -> open
 * after N consecutive failures, rejections while open, one trial after the cool-down, closing on
 * the trial's success, re-opening on its failure, and what does not count (successes in between,
 * cancelled calls, late outcomes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "np/breaker.h"

#define MS 1000000LL

/* One admitted call that ends with outcome at time now. */
static void call(np_breaker *b, long long now, np_breaker_outcome outcome)
{
    np_breaker_verdict v = np_breaker_admit(b, now);
    assert_int_not_equal(v, NP_BREAKER_REJECT);
    np_breaker_record(b, v, outcome, now);
}

static void test_opens_after_n_consecutive_failures_only(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 3, 100, NULL), 0);
    call(&b, 0, NP_BREAKER_FAILED);
    call(&b, 1, NP_BREAKER_FAILED);
    call(&b, 2, NP_BREAKER_SUCCEEDED); /* resets the count */
    call(&b, 3, NP_BREAKER_FAILED);
    call(&b, 4, NP_BREAKER_CANCELLED); /* counts neither way */
    call(&b, 5, NP_BREAKER_FAILED);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_CLOSED);
    assert_int_equal(b.opens, 0);
    call(&b, 6, NP_BREAKER_FAILED);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_OPEN);
    assert_int_equal(b.opens, 1);
    assert_int_equal(b.event_count, 1);
    assert_int_equal(b.events[0].to, NP_BREAKER_OPEN);
    assert_int_equal(b.events[0].ns, 6);
    np_breaker_destroy(&b);
}

static void test_rejects_while_open_until_the_cooldown_passes(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 1, 100, NULL), 0);
    call(&b, 0, NP_BREAKER_FAILED);
    assert_int_equal(np_breaker_admit(&b, 1), NP_BREAKER_REJECT);
    assert_int_equal(np_breaker_admit(&b, 100 * MS - 1), NP_BREAKER_REJECT);
    assert_int_equal(b.rejected, 2);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_OPEN);
    np_breaker_destroy(&b);
}

static void test_half_open_lets_exactly_one_trial_through(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 1, 100, NULL), 0);
    call(&b, 0, NP_BREAKER_FAILED);
    assert_int_equal(np_breaker_admit(&b, 100 * MS), NP_BREAKER_TRIAL);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_HALF_OPEN);
    assert_int_equal(np_breaker_admit(&b, 100 * MS + 1), NP_BREAKER_REJECT);
    assert_int_equal(np_breaker_admit(&b, 500 * MS), NP_BREAKER_REJECT);
    assert_int_equal(b.half_opens, 1);
    assert_int_equal(b.rejected, 2);
    np_breaker_destroy(&b);
}

static void test_trial_success_closes(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 2, 100, NULL), 0);
    call(&b, 0, NP_BREAKER_FAILED);
    call(&b, 1, NP_BREAKER_FAILED);
    np_breaker_verdict trial = np_breaker_admit(&b, 200 * MS);
    assert_int_equal(trial, NP_BREAKER_TRIAL);
    np_breaker_record(&b, trial, NP_BREAKER_SUCCEEDED, 201 * MS);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_CLOSED);
    assert_int_equal(np_breaker_admit(&b, 202 * MS), NP_BREAKER_ALLOW);
    /* The count starts afresh: one failure does not re-open a breaker of N = 2. */
    np_breaker_record(&b, NP_BREAKER_ALLOW, NP_BREAKER_FAILED, 203 * MS);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_CLOSED);
    assert_int_equal(b.closes, 1);
    assert_int_equal(b.event_count, 3);
    assert_int_equal(b.events[1].to, NP_BREAKER_HALF_OPEN);
    assert_int_equal(b.events[2].to, NP_BREAKER_CLOSED);
    np_breaker_destroy(&b);
}

static void test_trial_failure_reopens_with_a_new_cooldown(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 1, 100, NULL), 0);
    call(&b, 0, NP_BREAKER_FAILED);
    np_breaker_verdict trial = np_breaker_admit(&b, 150 * MS);
    assert_int_equal(trial, NP_BREAKER_TRIAL);
    np_breaker_record(&b, trial, NP_BREAKER_FAILED, 160 * MS);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_OPEN);
    assert_int_equal(b.opens, 2);
    /* The cool-down runs from the re-opening (160 ms), not from the first opening. */
    assert_int_equal(np_breaker_admit(&b, 259 * MS), NP_BREAKER_REJECT);
    assert_int_equal(np_breaker_admit(&b, 260 * MS), NP_BREAKER_TRIAL);
    np_breaker_destroy(&b);
}

static void test_cancelled_trial_lets_the_next_call_be_the_trial(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 1, 0, NULL), 0);
    call(&b, 0, NP_BREAKER_FAILED);
    np_breaker_verdict trial = np_breaker_admit(&b, 1);
    assert_int_equal(trial, NP_BREAKER_TRIAL);
    np_breaker_record(&b, trial, NP_BREAKER_CANCELLED, 2);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_HALF_OPEN);
    assert_int_equal(np_breaker_admit(&b, 3), NP_BREAKER_TRIAL);
    np_breaker_destroy(&b);
}

static void test_late_outcomes_of_calls_admitted_while_closed_change_nothing(void **state)
{
    (void)state;
    np_breaker b;
    assert_int_equal(np_breaker_init(&b, 1, 100, NULL), 0);
    np_breaker_verdict slow = np_breaker_admit(&b, 0); /* admitted while closed, ends later */
    call(&b, 1, NP_BREAKER_FAILED);                    /* opens */
    np_breaker_record(&b, slow, NP_BREAKER_SUCCEEDED, 2);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_OPEN);
    np_breaker_verdict trial = np_breaker_admit(&b, 100 * MS + 1);
    np_breaker_verdict slow2 = NP_BREAKER_ALLOW;
    np_breaker_record(&b, slow2, NP_BREAKER_FAILED, 100 * MS + 2); /* not the trial */
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_HALF_OPEN);
    np_breaker_record(&b, trial, NP_BREAKER_SUCCEEDED, 100 * MS + 3);
    assert_int_equal(np_breaker_state_of(&b), NP_BREAKER_CLOSED);
    np_breaker_destroy(&b);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(np_breaker_state_name(NP_BREAKER_CLOSED), "closed");
    assert_string_equal(np_breaker_state_name(NP_BREAKER_OPEN), "open");
    assert_string_equal(np_breaker_state_name(NP_BREAKER_HALF_OPEN), "half-open");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_after_n_consecutive_failures_only),
        cmocka_unit_test(test_rejects_while_open_until_the_cooldown_passes),
        cmocka_unit_test(test_half_open_lets_exactly_one_trial_through),
        cmocka_unit_test(test_trial_success_closes),
        cmocka_unit_test(test_trial_failure_reopens_with_a_new_cooldown),
        cmocka_unit_test(test_cancelled_trial_lets_the_next_call_be_the_trial),
        cmocka_unit_test(test_late_outcomes_of_calls_admitted_while_closed_change_nothing),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of what a call the circuit breaker rejects costs: nothing. np_limits_enter consults
 * the breaker before any other limit, so a rejected call takes no --rate token, no --tpm tokens
 * and no --max-inflight slot; and np_process_article adds no time to the ideal for it, so the
 * critical path the report compares the wall time with holds only the calls made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "np/breaker.h"
#include "np/clock.h"
#include "np/inflight.h"
#include "np/limits.h"
#include "np/process.h"
#include "np/ratelimit.h"
#include "np/result.h"
#include "np/tpm.h"

static const char title[] = "Markets";
static const char content[] = "Profits rose sharply across the sector this quarter.";

static np_article article_numbered(uint64_t id)
{
    return (np_article){.id = {.kind = NP_ID_NUMBER, .number = id},
                        .title = title,
                        .title_len = sizeof(title) - 1,
                        .content = content,
                        .content_len = sizeof(content) - 1};
}

/* A breaker of threshold 1, opened now by one failed call, with an hour's cool-down. */
static void open_breaker(np_breaker *breaker)
{
    assert_int_equal(np_breaker_init(breaker, 1, 3600000, NULL), 0);
    long long now = np_clock_now_ns();
    np_breaker_verdict v = np_breaker_admit(breaker, now);
    assert_int_equal(v, NP_BREAKER_ALLOW);
    np_breaker_record(breaker, v, NP_BREAKER_FAILED, now);
    assert_int_equal(np_breaker_state_of(breaker), NP_BREAKER_OPEN);
}

static void test_a_rejected_call_takes_no_rate_token_tpm_tokens_or_slot(void **state)
{
    (void)state;
    np_breaker breaker;
    open_breaker(&breaker);
    np_rate_limiter limiter;
    assert_int_equal(np_rate_limiter_init(&limiter, 1000, 1), 0);
    np_tpm tpm;
    assert_int_equal(np_tpm_init(&tpm, 1000000, 0), 0);
    np_inflight slots;
    assert_int_equal(np_inflight_init(&slots, 1, NULL), 0);
    np_process_config config = {
        .limiter = &limiter, .breaker = &breaker, .tpm = &tpm, .inflight = &slots};
    np_article article = article_numbered(1);
    np_result result = {0};
    for (int i = 0; i < 5; i++) {
        np_call_gate gate;
        assert_int_equal(np_limits_enter(&config, &article, NP_STAGE_SUMMARIZATION, &gate, &result),
                         NP_GATE_REJECTED);
    }
    assert_int_equal(breaker.rejected, 5);
    assert_int_equal(np_rate_limiter_granted(&limiter), 0);
    assert_int_equal(tpm.reserved, 0);
    assert_int_equal(np_inflight_peak(&slots), 0);
    assert_int_equal(result.rate_wait_ns + result.tpm_wait_ns + result.slot_wait_ns, 0);

    /* The same gate with the breaker closed takes one of each (the check can fail). */
    np_breaker closed;
    assert_int_equal(np_breaker_init(&closed, 1, 0, NULL), 0);
    config.breaker = &closed;
    np_call_gate gate;
    assert_int_equal(np_limits_enter(&config, &article, NP_STAGE_SUMMARIZATION, &gate, &result),
                     NP_GATE_GO);
    np_limits_leave(&config, &gate, NP_BREAKER_SUCCEEDED, 0);
    assert_int_equal(np_rate_limiter_granted(&limiter), 1);
    assert_true(tpm.reserved > 0);
    assert_int_equal(np_inflight_peak(&slots), 1);

    np_breaker_destroy(&closed);
    np_inflight_destroy(&slots);
    np_tpm_destroy(&tpm);
    np_rate_limiter_destroy(&limiter);
    np_breaker_destroy(&breaker);
}

/* The simulator's config: a few ms per call, no faults. */
static np_process_config simulated(void)
{
    return (np_process_config){.seed = 7, .latency_min_ms = 2, .latency_max_ms = 6, .retries = 2};
}

static void test_with_a_breaker_the_ideal_is_not_planned_in_advance(void **state)
{
    (void)state;
    np_process_config config = simulated();
    assert_true(np_process_ideal_known(&config));
    np_breaker breaker;
    assert_int_equal(np_breaker_init(&breaker, 1, 0, NULL), 0);
    config.breaker = &breaker;
    /* Which calls it rejects depends on the calls before them, which no plan knows. */
    assert_false(np_process_ideal_known(&config));
    np_breaker_destroy(&breaker);
}

static void test_a_rejected_article_adds_nothing_to_the_ideal(void **state)
{
    (void)state;
    np_process_config config = simulated();
    np_breaker breaker;
    open_breaker(&breaker);
    config.breaker = &breaker;
    np_article article = article_numbered(2);
    np_result result;
    char *summary = np_process_reserve(&article, &config);
    assert_non_null(summary);
    np_process_article(&article, 0, &config, summary, &result);
    assert_int_equal(result.status, NP_STATUS_FAILED);
    assert_string_equal(result.error, "circuit open");
    assert_int_equal(result.attempts[NP_STAGE_SUMMARIZATION], 0);
    assert_int_equal(result.ideal_ms, 0);
    np_result_clear(&result);
    np_breaker_destroy(&breaker);
}

static void test_an_admitted_article_gets_its_planned_ideal(void **state)
{
    (void)state;
    np_process_config config = simulated();
    np_article article = article_numbered(3);
    uint64_t planned = np_process_ideal_ms(&article, &config);
    assert_true(planned > 0);
    np_breaker breaker;
    assert_int_equal(np_breaker_init(&breaker, 5, 0, NULL), 0);
    config.breaker = &breaker;
    np_result result;
    char *summary = np_process_reserve(&article, &config);
    assert_non_null(summary);
    np_process_article(&article, 0, &config, summary, &result);
    assert_int_equal(result.status, NP_STATUS_OK);
    /* Exactly the plans of the calls made, not the (slightly longer) measured sleeps. */
    assert_int_equal(result.ideal_ms, planned);
    np_result_clear(&result);
    np_breaker_destroy(&breaker);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_rejected_call_takes_no_rate_token_tpm_tokens_or_slot),
        cmocka_unit_test(test_with_a_breaker_the_ideal_is_not_planned_in_advance),
        cmocka_unit_test(test_a_rejected_article_adds_nothing_to_the_ideal),
        cmocka_unit_test(test_an_admitted_article_gets_its_planned_ideal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

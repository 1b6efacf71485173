/*
 * The shared limits around a call, in one place so that process.c stays about stages and
 * retries. Each limit is optional (a NULL pointer in the configuration); with none set, enter and
 * leave cost a few branches.
 */
#include "np/limits.h"

#include "np/clock.h"

/* The tokens a stage call is estimated to use: its prompt, plus completion_tokens (the stage's
 * --max-tokens), or when that is 0 the expected reply of np/tpm.h. */
static uint64_t estimate_tokens(const np_article *article, np_stage stage,
                                uint32_t completion_tokens)
{
    uint64_t reply = completion_tokens                 ? completion_tokens
                     : stage == NP_STAGE_SUMMARIZATION ? NP_TPM_SUMMARY_TOKENS
                                                       : NP_TPM_SENTIMENT_TOKENS;
    return np_tpm_prompt_tokens(article->title_len + article->content_len) + reply;
}

/* A wait for tokens is re-checked when half of it has passed, but at least every
 * TPM_RECHECK_MAX_NS and not below TPM_RECHECK_MIN_NS: tokens given back meanwhile may have
 * shortened it. A waiter wakes at most twice a second (10,000 waiting threads: 20,000 wake-ups a
 * second, each a clock read and one uncontended-ish lock). */
#define TPM_RECHECK_MIN_NS 20000000LL
#define TPM_RECHECK_MAX_NS 500000000LL

/* Waits for a --rate token; -1 when cancelled meanwhile. */
static int wait_for_rate_token(const np_process_config *config, np_result *result)
{
    long long wait = np_rate_limiter_reserve(config->limiter);
    if (wait <= 0)
        return 0;
    long long start = np_clock_now_ns();
    int rc = np_cancel_sleep_ns(config->cancel, wait);
    result->rate_wait_ns += np_clock_now_ns() - start;
    return rc;
}

/* Waits for the call's tokens; -1 when cancelled meanwhile. */
static int wait_for_tokens(const np_process_config *config, const np_article *article,
                           np_stage stage, np_call_gate *gate, np_result *result)
{
    gate->estimated_tokens = estimate_tokens(article, stage, config->completion_tokens[stage]);
    long long start = np_clock_now_ns();
    uint64_t ticket;
    long long wait = np_tpm_reserve(config->tpm, gate->estimated_tokens, start, &ticket);
    if (wait <= 0)
        return 0;
    int rc = 0;
    while (wait > 0 && rc == 0) {
        long long slice = wait / 2 >= TPM_RECHECK_MAX_NS   ? TPM_RECHECK_MAX_NS
                          : wait / 2 >= TPM_RECHECK_MIN_NS ? wait / 2
                                                           : wait;
        rc = np_cancel_sleep_ns(config->cancel, slice);
        wait = np_tpm_wait_left(config->tpm, ticket, np_clock_now_ns());
    }
    result->tpm_wait_ns += np_clock_now_ns() - start;
    return rc;
}

np_gate_verdict np_limits_enter(const np_process_config *config, const np_article *article,
                                np_stage stage, np_call_gate *gate, np_result *result)
{
    *gate = (np_call_gate){.breaker = NP_BREAKER_ALLOW};
    if (config->breaker) {
        gate->breaker = np_breaker_admit(config->breaker, np_clock_now_ns());
        if (gate->breaker == NP_BREAKER_REJECT)
            return NP_GATE_REJECTED;
    }
    if (config->limiter && wait_for_rate_token(config, result) != 0)
        goto cancelled;
    if (config->tpm && wait_for_tokens(config, article, stage, gate, result) != 0)
        goto cancelled;
    if (config->inflight) {
        long long start = np_clock_now_ns();
        int rc = np_inflight_acquire(config->inflight);
        result->slot_wait_ns += np_clock_now_ns() - start;
        if (rc != 0)
            goto cancelled;
        gate->slot = 1;
    }
    return NP_GATE_GO;
cancelled:
    /* The call never began: its tokens go back whole. */
    if (gate->estimated_tokens)
        np_tpm_correct(config->tpm, gate->estimated_tokens, 0);
    gate->estimated_tokens = 0;
    np_limits_leave(config, gate, NP_BREAKER_CANCELLED, 0);
    return NP_GATE_CANCELLED;
}

void np_limits_leave(const np_process_config *config, np_call_gate *gate,
                     np_breaker_outcome outcome, uint64_t tokens_used)
{
    if (gate->slot)
        np_inflight_release(config->inflight);
    gate->slot = 0;
    if (config->breaker && gate->breaker != NP_BREAKER_REJECT)
        np_breaker_record(config->breaker, gate->breaker, outcome, np_clock_now_ns());
    gate->breaker = NP_BREAKER_REJECT; /* recorded: never twice */
    if (config->tpm && gate->estimated_tokens && tokens_used)
        np_tpm_correct(config->tpm, gate->estimated_tokens, tokens_used);
    gate->estimated_tokens = 0;
}

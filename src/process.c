/*
 * One article through the two simulated LLM stages.
 *
 * Each call is planned first (plan_attempt: latency, outcome, time spent, backoff) from the pure
 * draws of np/llm.h, then carried out with cancellable sleeps. np_process_ideal_ms walks the same
 * plans without sleeping, so the critical path the report compares against is exactly what the
 * calls will spend. The real computation (summary, sentiment) is tiny next to the latency and
 * happens after the successful call's sleep, so observed durations stay honest.
 *
 * Memory comes first: the one allocation an article needs (its summary's buffer, sized by
 * np_summarize_bound) is made by np_process_reserve before the article starts, on the caller's
 * thread. A refusal then costs nothing but the refusal -- no stage has slept -- so the caller can
 * wait for memory and ask again without redoing or stretching simulated calls, and the stages
 * themselves never fail for want of memory.
 */
#include "np/process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/clock.h"
#include "np/summarize.h"

typedef enum call_outcome { CALL_OK, CALL_FAILED, CALL_TIMED_OUT } call_outcome;

typedef struct attempt_plan {
    uint32_t latency_ms; /* the simulated latency drawn for this attempt */
    uint32_t spent_ms;   /* what the attempt takes: the latency, or the timeout if it is less */
    call_outcome outcome;
    uint32_t backoff_ms; /* the wait before the next attempt, if there is one */
} attempt_plan;

static attempt_plan plan_attempt(const np_article *article, const np_process_config *config,
                                 np_stage stage, uint32_t attempt)
{
    attempt_plan plan = {0};
    plan.latency_ms = np_llm_latency_ms(config->seed, &article->id, stage, attempt,
                                        config->latency_min_ms, config->latency_max_ms);
    plan.spent_ms = plan.latency_ms;
    if (config->timeout_ms && plan.latency_ms > config->timeout_ms) {
        plan.outcome = CALL_TIMED_OUT;
        plan.spent_ms = config->timeout_ms;
    } else if (np_llm_attempt_fails(config->seed, &article->id, stage, attempt,
                                    config->fail_rate)) {
        plan.outcome = CALL_FAILED;
    }
    if (plan.outcome != CALL_OK && attempt < config->retries)
        plan.backoff_ms = np_llm_backoff_ms(config->seed, &article->id, stage, attempt);
    return plan;
}

uint64_t np_process_ideal_ms(const np_article *article, const np_process_config *config)
{
    uint64_t total = 0;
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        call_outcome outcome = CALL_FAILED;
        for (uint32_t attempt = 0; attempt <= config->retries && outcome != CALL_OK; attempt++) {
            attempt_plan plan = plan_attempt(article, config, (np_stage)s, attempt);
            total += (uint64_t)plan.spent_ms + plan.backoff_ms;
            outcome = plan.outcome;
        }
        if (outcome != CALL_OK)
            break; /* a failed stage ends the article */
    }
    return total;
}

static const char *const failure_messages[NP_STAGE_COUNT][2] = {
    [NP_STAGE_SUMMARIZATION] = {"summarization failed: transient error, retries exhausted",
                                "summarization failed: timed out, retries exhausted"},
    [NP_STAGE_SENTIMENT] = {"sentiment failed: transient error, retries exhausted",
                            "sentiment failed: timed out, retries exhausted"},
};

static const char *const cancel_messages[NP_STAGE_COUNT] = {
    [NP_STAGE_SUMMARIZATION] = "cancelled during summarization",
    [NP_STAGE_SENTIMENT] = "cancelled during sentiment",
};

static void log_call(const np_process_config *config, const np_article *article, np_stage stage,
                     uint32_t attempt, const attempt_plan *plan, const char *event,
                     long long took_ns)
{
    if (!np_log_enabled(config->log, NP_LOG_VERBOSE))
        return;
    char id_text[96], retry[32] = "";
    np_id_format(&article->id, id_text, sizeof(id_text));
    if (attempt > 0)
        snprintf(retry, sizeof(retry), ", attempt %u", (unsigned)attempt + 1);
    if (took_ns < 0)
        np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s %s (%u ms%s)", id_text,
                    np_stage_name(stage), event, (unsigned)plan->latency_ms, retry);
    else
        np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s %s (%u ms%s, took %.3f ms)", id_text,
                    np_stage_name(stage), event, (unsigned)plan->latency_ms, retry,
                    (double)took_ns / 1e6);
}

/* Waits for a rate-limit token if there is a limiter; -1 when cancelled meanwhile. */
static int wait_for_token(const np_process_config *config, np_result *result)
{
    if (!config->limiter)
        return 0;
    long long wait = np_rate_limiter_reserve(config->limiter);
    if (wait <= 0)
        return 0;
    long long start = np_clock_now_ns();
    int rc = np_cancel_sleep_ns(config->cancel, wait);
    result->rate_wait_ns += np_clock_now_ns() - start;
    return rc;
}

/* Runs one stage with its retries. Returns 0 when the stage succeeded, else -1 (status set). */
static int run_stage(const np_article *article, const np_process_config *config, np_stage stage,
                     np_result *result)
{
    for (uint32_t attempt = 0;; attempt++) {
        if (np_cancel_reason_of(config->cancel) != NP_CANCEL_NONE ||
            wait_for_token(config, result) != 0) {
            result->status = NP_STATUS_CANCELLED;
            result->error = cancel_messages[stage];
            return -1;
        }
        attempt_plan plan = plan_attempt(article, config, stage, attempt);
        long long start = np_clock_now_ns();
        if (attempt == 0)
            result->stage_start_ns[stage] = start;
        result->attempts[stage] = attempt + 1;
        result->latency_ms[stage] = plan.latency_ms;
        log_call(config, article, stage, attempt, &plan, "started", -1);
        int cancelled = np_cancel_sleep_ns(config->cancel, (long long)plan.spent_ms * 1000000LL);
        /* A call of no latency (--latency 0) is only the cancel check: it ends where it started,
         * which spares a clock read (~40 ns in a VM, a tenth of an article's work at that
         * latency). */
        long long end = plan.spent_ms > 0 ? np_clock_now_ns() : start;
        result->stage_end_ns[stage] = end;
        if (cancelled) {
            result->status = NP_STATUS_CANCELLED;
            result->error = cancel_messages[stage];
            return -1;
        }
        if (plan.outcome == CALL_OK) {
            log_call(config, article, stage, attempt, &plan, "finished", end - start);
            return 0;
        }
        result->failed_ns += end - start;
        log_call(config, article, stage, attempt, &plan,
                 plan.outcome == CALL_TIMED_OUT ? "timed out" : "failed", end - start);
        if (attempt >= config->retries) {
            result->status = NP_STATUS_FAILED;
            result->error = failure_messages[stage][plan.outcome == CALL_TIMED_OUT];
            return -1;
        }
        long long backoff_start = np_clock_now_ns();
        int backoff_cancelled =
            np_cancel_sleep_ns(config->cancel, (long long)plan.backoff_ms * 1000000LL);
        result->backoff_ns += np_clock_now_ns() - backoff_start;
        if (backoff_cancelled) {
            result->status = NP_STATUS_CANCELLED;
            result->error = cancel_messages[stage];
            return -1;
        }
    }
}

char *np_process_reserve(const np_article *article)
{
    return malloc(np_summarize_bound(article->content, article->content_len));
}

void np_process_article(const np_article *article, size_t index, const np_process_config *config,
                        char *summary, np_result *result)
{
    memset(result, 0, sizeof(*result));
    result->index = index;
    result->status = NP_STATUS_OK;
    result->started_ns = np_clock_now_ns();
    result->ideal_ms = np_process_ideal_ms(article, config);
    if (run_stage(article, config, NP_STAGE_SUMMARIZATION, result) == 0) {
        result->summary_len = np_summarize_into(article->content, article->content_len, summary);
        result->summary = summary;
        if (run_stage(article, config, NP_STAGE_SENTIMENT, result) == 0)
            result->sentiment = np_sentiment_analyze(article->content, article->content_len);
    } else {
        free(summary);
    }
    result->finished_ns = np_clock_now_ns();
}

void np_process_fail_out_of_memory(size_t index, np_result *result)
{
    memset(result, 0, sizeof(*result));
    result->index = index;
    result->status = NP_STATUS_FAILED;
    result->error = "out of memory";
}

int np_process_can_wait(const np_process_config *config)
{
    return config->latency_max_ms > 0 || config->fail_rate > 0 || config->limiter != NULL ||
           config->tpm != NULL || config->inflight != NULL || config->latency_from != NULL;
}

void np_process_skip_cancelled(size_t index, np_result *result)
{
    memset(result, 0, sizeof(*result));
    result->index = index;
    result->status = NP_STATUS_CANCELLED;
    result->error = "cancelled before it started";
}

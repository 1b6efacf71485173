/*
 * One article through its two stages, each a call to the backend (np/backend.h).
 *
 * This is the shared part around every call, whatever the backend: cancellation and the
 * rate-limit token before it, the accounting of its time (stage spans, failed time, backoff), the
 * retry decision with the shared full-jitter backoff (stretched to a server's Retry-After), the
 * verbose lines, and the result. The backend only makes one attempt.
 *
 * A backend that plans (the simulator) is asked for each call's plan first: the verbose line then
 * names its latency, and np_process_ideal_ms walks the same plans without calling, so the critical
 * path the report compares against is exactly what the calls will spend. A backend that cannot
 * plan gets the time its calls and backoffs were measured to take as its ideal; so does a run with
 * a circuit breaker (for a planned backend: the plans of the calls it let through), since a call
 * the breaker rejects takes no time and no plan can tell which ones it will reject.
 *
 * Memory comes first: the one allocation an article needs (its summary's buffer, sized by
 * np_summarize_bound) is made by np_process_reserve before the article starts, on the caller's
 * thread. A refusal then costs nothing but the refusal -- no stage has waited -- so the caller can
 * wait for memory and ask again without redoing or stretching calls, and the stages themselves
 * never fail for want of memory.
 */
#include "np/process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/backend_sim.h"
#include "np/clock.h"
#include "np/limits.h"
#include "np/summarize.h"

static const np_backend *backend_of(const np_process_config *config)
{
    return config->backend ? config->backend : np_backend_sim();
}

int np_process_ideal_known(const np_process_config *config)
{
    /* A breaker rejects calls by what happened before them, which no plan knows: with one, the
     * ideal is what the calls made were planned to take, summed as they are made. */
    return backend_of(config)->ops->plan != NULL && config->breaker == NULL;
}

/* The backoff before the next attempt: the shared full-jitter draw, or the server's Retry-After
 * when that is longer -- but never longer than a call may take (--timeout-ms), so a server asking
 * for an hour cannot hold an article past what the user allowed for a call. */
static uint32_t backoff_ms(const np_process_config *config, const np_article *article,
                           np_stage stage, uint32_t attempt, uint32_t retry_after_ms)
{
    uint32_t wait = np_llm_backoff_ms(config->seed, &article->id, stage, attempt);
    if (config->timeout_ms && retry_after_ms > config->timeout_ms)
        retry_after_ms = config->timeout_ms;
    return retry_after_ms > wait ? retry_after_ms : wait;
}

uint64_t np_process_ideal_ms(const np_article *article, const np_process_config *config)
{
    const np_backend *backend = backend_of(config);
    uint64_t total = 0;
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        np_call_status outcome = NP_CALL_FAILED;
        for (uint32_t attempt = 0; attempt <= config->retries && outcome != NP_CALL_OK; attempt++) {
            np_call_plan plan;
            if (!backend->ops->plan)
                return 0; /* not known in advance: measured instead (np_process_article) */
            backend->ops->plan(backend, config, article, (np_stage)s, attempt, &plan);
            total += plan.spent_ms;
            if (plan.status != NP_CALL_OK && attempt < config->retries)
                total += backoff_ms(config, article, (np_stage)s, attempt, 0);
            outcome = plan.status;
        }
        if (outcome != NP_CALL_OK)
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

static const char *call_event(np_call_status status)
{
    switch (status) {
    case NP_CALL_OK:
        return "finished";
    case NP_CALL_TIMED_OUT:
        return "timed out";
    case NP_CALL_CANCELLED:
        return "cancelled";
    default:
        return "failed";
    }
}

/* A verbose line for a call that starts (took_ns < 0) or ends. A planned call names its latency
 * up front, as the simulator always has; a measured call names what the server said when it
 * ends. Only static texts and numbers go into it (never anything of the request). */
static void log_call(const np_process_config *config, const np_call *call, const char *event,
                     long long took_ns)
{
    if (!np_log_enabled(config->log, NP_LOG_VERBOSE))
        return;
    char id_text[96], retry[32] = "";
    np_id_format(&call->article->id, id_text, sizeof(id_text));
    const char *stage = np_stage_name(call->stage);
    if (call->plan) {
        if (call->attempt > 0)
            snprintf(retry, sizeof(retry), ", attempt %u", (unsigned)call->attempt + 1);
        if (took_ns < 0)
            np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s %s (%u ms%s)", id_text, stage, event,
                        (unsigned)call->plan->latency_ms, retry);
        else
            np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s %s (%u ms%s, took %.3f ms)", id_text,
                        stage, event, (unsigned)call->plan->latency_ms, retry,
                        (double)took_ns / 1e6);
        return;
    }
    if (took_ns < 0) {
        if (call->attempt > 0)
            snprintf(retry, sizeof(retry), " (attempt %u)", (unsigned)call->attempt + 1);
        np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s %s%s", id_text, stage, event, retry);
        return;
    }
    if (call->attempt > 0)
        snprintf(retry, sizeof(retry), "attempt %u, ", (unsigned)call->attempt + 1);
    char http[24] = "";
    if (call->http_status && call->http_version != NP_HTTP_NONE)
        snprintf(http, sizeof(http), "HTTP/%s %d, ", np_http_version_name(call->http_version),
                 call->http_status);
    else if (call->http_status)
        snprintf(http, sizeof(http), "HTTP %d, ", call->http_status);
    np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s %s (%s%stook %.3f ms)%s%s", id_text, stage,
                event, retry, http, (double)took_ns / 1e6, call->error ? ": " : "",
                call->error ? call->error : "");
}

static int stage_cancelled(np_stage stage, np_result *result)
{
    result->status = NP_STATUS_CANCELLED;
    result->error = cancel_messages[stage];
    return -1;
}

/* A call the circuit breaker turned away: the stage fails at once, without retries. */
static int stage_rejected(const np_process_config *config, const np_article *article,
                          np_stage stage, np_result *result)
{
    if (np_log_enabled(config->log, NP_LOG_VERBOSE)) {
        char id_text[96];
        np_id_format(&article->id, id_text, sizeof(id_text));
        np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s rejected: circuit open", id_text,
                    np_stage_name(stage));
    }
    result->status = NP_STATUS_FAILED;
    result->error = "circuit open";
    return -1;
}

/* How a call ended, for the circuit breaker: a rejection by the server is a failure too. */
static np_breaker_outcome breaker_outcome(np_call_status status)
{
    return status == NP_CALL_OK          ? NP_BREAKER_SUCCEEDED
           : status == NP_CALL_CANCELLED ? NP_BREAKER_CANCELLED
                                         : NP_BREAKER_FAILED;
}

/* Copies what the backend said about the stage's latest attempt into the result. */
static void record_call(const np_call *call, np_result *result)
{
    np_stage stage = call->stage;
    result->attempts[stage] = call->attempt + 1;
    result->latency_ms[stage] = call->latency_ms;
    result->tokens_in[stage] = call->tokens_in;
    result->tokens_out[stage] = call->tokens_out;
    result->http_status[stage] = (uint16_t)call->http_status;
    result->http_version[stage] = (uint8_t)call->http_version;
    result->first_token_ns[stage] = call->first_token_ns;
    result->token_gaps[stage] = call->token_gaps;
}

static uint64_t whole_ms(long long ns)
{
    return ns > 0 ? (uint64_t)((ns + 500000) / 1000000) : 0;
}

/*
 * Runs one stage with its retries. Returns 0 when the stage succeeded, else -1 (status set).
 * *measured_ms gains the time the stage's calls and backoffs took (a planned call: its plan), the
 * ideal when it is not known in advance; a call the breaker rejects adds nothing.
 */
static int run_stage(const np_process_config *config, const np_backend *backend,
                     const np_call *stage_call, np_result *result, uint64_t *measured_ms)
{
    const np_article *article = stage_call->article;
    np_stage stage = stage_call->stage;
    for (uint32_t attempt = 0;; attempt++) {
        if (np_cancel_reason_of(config->cancel) != NP_CANCEL_NONE)
            return stage_cancelled(stage, result);
        np_call_plan plan = {0};
        np_call call = *stage_call;
        call.attempt = attempt;
        call.summary_len = result->summary_len;
        if (backend->ops->plan) {
            backend->ops->plan(backend, config, article, stage, attempt, &plan);
            call.plan = &plan;
        }
        np_call_gate gate;
        np_gate_verdict gate_verdict = np_limits_enter(config, article, stage, &gate, result);
        if (gate_verdict == NP_GATE_CANCELLED)
            return stage_cancelled(stage, result);
        if (gate_verdict == NP_GATE_REJECTED) /* never reached the backend: not an attempt */
            return stage_rejected(config, article, stage, result);
        long long start = np_clock_now_ns();
        result->attempt_start_ns[stage] = start;
        if (attempt == 0)
            result->stage_start_ns[stage] = start;
        else
            np_result_note_retry(result, stage, attempt, start);
        result->attempts[stage] = attempt + 1;
        if (call.plan)
            result->latency_ms[stage] = plan.latency_ms;
        log_call(config, &call, "started", -1);
        backend->ops->call(backend, config, &call);
        /* A call of no latency (--latency 0) is only the cancel check: it ends where it started,
         * which spares a clock read (~40 ns in a VM, a tenth of an article's work at that
         * latency). */
        long long end = call.plan && plan.spent_ms == 0 ? start : np_clock_now_ns();
        result->stage_end_ns[stage] = end;
        np_limits_leave(config, &gate, breaker_outcome(call.status),
                        (uint64_t)call.tokens_in + call.tokens_out);
        record_call(&call, result);
        /* A planned call that ran to its end took its plan exactly, in the ideal schedule. */
        *measured_ms +=
            call.plan && call.status != NP_CALL_CANCELLED ? plan.spent_ms : whole_ms(end - start);
        if (call.status == NP_CALL_CANCELLED)
            return stage_cancelled(stage, result);
        if (call.status == NP_CALL_OK) {
            if (stage == NP_STAGE_SUMMARIZATION)
                result->summary_len = call.summary_len;
            else
                result->sentiment = call.sentiment;
            log_call(config, &call, "finished", end - start);
            return 0;
        }
        result->failed_ns += end - start;
        log_call(config, &call, call_event(call.status), end - start);
        if (call.status == NP_CALL_REJECTED || attempt >= config->retries) {
            result->status = NP_STATUS_FAILED;
            result->error =
                call.error ? call.error : failure_messages[stage][call.status == NP_CALL_TIMED_OUT];
            return -1;
        }
        if (result->retries[call.cause] < UINT16_MAX)
            result->retries[call.cause]++;
        uint32_t wait_ms = backoff_ms(config, article, stage, attempt, call.retry_after_ms);
        long long backoff_start = np_clock_now_ns();
        int backoff_cancelled = np_cancel_sleep_ns(config->cancel, (long long)wait_ms * 1000000LL);
        result->backoff_ns += np_clock_now_ns() - backoff_start;
        *measured_ms += wait_ms;
        if (backoff_cancelled)
            return stage_cancelled(stage, result);
    }
}

char *np_process_reserve(const np_article *article, const np_process_config *config)
{
    /* A backend that cannot plan writes a summary of a reply not known yet: the largest one. */
    if (!backend_of(config)->ops->plan)
        return malloc(NP_SUMMARY_MAX_BYTES);
    return malloc(np_summarize_bound(article->content, article->content_len));
}

void np_process_article(const np_article *article, size_t index, const np_process_config *config,
                        char *summary, np_result *result)
{
    memset(result, 0, sizeof(*result));
    result->index = index;
    result->status = NP_STATUS_OK;
    result->started_ns = np_clock_now_ns();
    const np_backend *backend = backend_of(config);
    int planned = np_process_ideal_known(config);
    result->ideal_ms = planned ? np_process_ideal_ms(article, config) : 0;
    uint64_t measured_ms = 0;
    np_call summarize = {.article = article, .stage = NP_STAGE_SUMMARIZATION, .summary = summary};
    np_call sentiment = {.article = article, .stage = NP_STAGE_SENTIMENT, .summary = summary};
    if (run_stage(config, backend, &summarize, result, &measured_ms) == 0) {
        result->summary = summary;
        run_stage(config, backend, &sentiment, result, &measured_ms);
    } else {
        free(summary);
    }
    if (!planned)
        result->ideal_ms = measured_ms;
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
    const np_backend *backend = backend_of(config);
    return backend->ops->can_wait(backend, config) || config->limiter != NULL ||
           config->tpm != NULL || config->inflight != NULL;
}

void np_process_skip_cancelled(size_t index, np_result *result)
{
    memset(result, 0, sizeof(*result));
    result->index = index;
    result->status = NP_STATUS_CANCELLED;
    result->error = "cancelled before it started";
}

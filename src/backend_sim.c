/*
 * The simulated LLM behind the backend interface (np/backend_sim.h).
 *
 * A call is planned from the pure draws of np/llm.h (plan_call), then carried out as one
 * cancellable sleep of the planned time. The real computation (summary, sentiment) is tiny next
 * to the latency and happens after the sleep of a successful call, so observed durations stay
 * honest. The planner is the same function np_process_ideal_ms walks without sleeping, so the
 * critical path the report compares against is exactly what the calls spend.
 */
#include "np/backend_sim.h"

#include "np/process.h"
#include "np/summarize.h"

static void plan_call(const np_backend *backend, const np_process_config *config,
                      const np_article *article, np_stage stage, uint32_t attempt,
                      np_call_plan *plan)
{
    (void)backend;
    plan->latency_ms = np_llm_latency_ms(config->seed, &article->id, stage, attempt,
                                         config->latency_min_ms, config->latency_max_ms);
    plan->spent_ms = plan->latency_ms;
    plan->status = NP_CALL_OK;
    if (config->timeout_ms && plan->latency_ms > config->timeout_ms) {
        plan->status = NP_CALL_TIMED_OUT;
        plan->spent_ms = config->timeout_ms;
    } else if (np_llm_attempt_fails(config->seed, &article->id, stage, attempt,
                                    config->fail_rate)) {
        plan->status = NP_CALL_FAILED;
    }
}

static void make_call(const np_backend *backend, const np_process_config *config, np_call *call)
{
    np_call_plan own;
    const np_call_plan *plan = call->plan;
    if (!plan) {
        plan_call(backend, config, call->article, call->stage, call->attempt, &own);
        plan = &own;
    }
    call->latency_ms = plan->latency_ms;
    if (np_cancel_sleep_ns(config->cancel, (long long)plan->spent_ms * 1000000LL) != 0) {
        call->status = NP_CALL_CANCELLED;
        return;
    }
    call->status = plan->status;
    if (plan->status == NP_CALL_TIMED_OUT)
        call->cause = NP_CAUSE_TIMEOUT;
    else if (plan->status == NP_CALL_FAILED)
        call->cause = NP_CAUSE_TRANSIENT;
    if (plan->status != NP_CALL_OK)
        return;
    const np_article *article = call->article;
    if (call->stage == NP_STAGE_SUMMARIZATION)
        call->summary_len =
            np_summarize_into(article->content, article->content_len, call->summary);
    else
        call->sentiment = np_sentiment_analyze(article->content, article->content_len);
}

static int can_wait(const np_backend *backend, const np_process_config *config)
{
    (void)backend;
    return config->latency_max_ms > 0 || config->fail_rate > 0;
}

static const np_backend_ops sim_ops = {
    .name = "sim", .plan = plan_call, .call = make_call, .can_wait = can_wait};
static const np_backend sim_backend = {.ops = &sim_ops, .state = NULL};

const np_backend *np_backend_sim(void)
{
    return &sim_backend;
}

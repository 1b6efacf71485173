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

#include "np/clock.h"
#include "np/process.h"
#include "np/summarize.h"

static void plan_call(const np_backend *backend, const np_process_config *config,
                      const np_article *article, np_stage stage, uint32_t attempt,
                      np_call_plan *plan)
{
    (void)backend;
    const np_latency_dist *from = config->latency_from;
    plan->latency_ms =
        from ? np_llm_quantile_ms(config->seed, &article->id, stage, attempt,
                                  from->q[stage][NP_LATENCY_CALL], NP_LATENCY_QUANTILES)
             : np_llm_latency_ms(config->seed, &article->id, stage, attempt, config->latency_min_ms,
                                 config->latency_max_ms);
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

/*
 * The call's time as one stream would spend it: the first token after its drawn delay, then the
 * rest of the reply up to the latency. Nothing can observe a simulated token as it comes, so the
 * call sleeps once, for the whole latency, and a call that completes stamps its first token at
 * start + the drawn delay (first_token_ns); its inter-token gaps are the drawn ones
 * (np_llm_token_gaps), recorded once the reply's token count is known. Two sleeps per call (first
 * token, then the rest) cost thread mode at 10,000 articles 100:300 a third more system CPU and
 * wall time than one (0.98-1.22 s vs 0.80-0.86 s of system CPU, 4 interleaved runs each). A call
 * that fails or times out sends no token. Either way the call takes exactly the planned time, so a
 * run's latencies, critical path and results are what they were before the shape existed.
 */
static int sleep_call(const np_process_config *config, np_call *call, const np_call_plan *plan,
                      uint32_t *first_ms_out)
{
    long long total_ns = (long long)plan->spent_ms * 1000000LL;
    if (plan->status != NP_CALL_OK || total_ns == 0)
        return np_cancel_sleep_ns(config->cancel, total_ns);
    const np_latency_dist *from = config->latency_from;
    int table = from && from->present[call->stage][NP_LATENCY_FIRST_TOKEN];
    uint32_t first_ms = np_llm_first_token_ms(
        config->seed, &call->article->id, call->stage, call->attempt, plan->latency_ms,
        table ? from->q[call->stage][NP_LATENCY_FIRST_TOKEN] : NULL,
        table ? NP_LATENCY_QUANTILES : 0);
    long long start = np_clock_now_ns();
    if (np_cancel_sleep_ns(config->cancel, total_ns) != 0)
        return -1;
    call->first_token_ns = start + (long long)first_ms * 1000000LL;
    *first_ms_out = first_ms;
    return 0;
}

/*
 * The call's drawn inter-token gaps, summarized into call->token_gaps. A function of its own, not
 * inlined, so that its recorder (268 bytes) is not part of make_call's frame while the summary is
 * computed below it: with it there, an article thread's deepest stack use was 8,200 bytes
 * (glibc's thread descriptor at the top included), 8 past its second page, so every fresh stack
 * faulted in a third page; now 7,928. At 1,000 articles 10:30: 3,700-3,900 page faults per run
 * before, ~2,880 after (the floor: ~2,590), and 34 vs 29 µs per article (medians of 15
 * interleaved runs). bench/thread_floor.sh prints the page faults beside the floor's.
 */
__attribute__((noinline)) static void record_drawn_gaps(const np_process_config *config,
                                                        np_call *call, uint32_t latency_ms,
                                                        uint32_t first_ms)
{
    const np_latency_dist *from = config->latency_from;
    int table = from && from->present[call->stage][NP_LATENCY_TOKEN_GAP];
    np_gap_recorder gaps = {0};
    np_llm_token_gaps(config->seed, &call->article->id, call->stage, call->attempt, latency_ms,
                      first_ms, call->tokens_out,
                      table ? from->q[call->stage][NP_LATENCY_TOKEN_GAP] : NULL,
                      table ? NP_LATENCY_QUANTILES : 0, &gaps);
    np_gap_summarize(&gaps, &call->token_gaps);
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
    uint32_t first_ms = 0;
    if (sleep_call(config, call, plan, &first_ms) != 0) {
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
    /* The usage a server would report, by the documented estimate's rule (np/tpm.h): the prompt
     * from the text, the reply from the summary's bytes or the sentiment object's size. */
    call->tokens_in = (uint32_t)np_tpm_prompt_tokens(article->title_len + article->content_len);
    call->tokens_out = call->stage == NP_STAGE_SUMMARIZATION
                           ? (uint32_t)((call->summary_len + 3) / 4)
                           : NP_TPM_SENTIMENT_TOKENS;
    if (call->first_token_ns != 0)
        record_drawn_gaps(config, call, plan->latency_ms, first_ms);
}

static int can_wait(const np_backend *backend, const np_process_config *config)
{
    (void)backend;
    return config->latency_max_ms > 0 || config->fail_rate > 0 || config->latency_from != NULL;
}

static const np_backend_ops sim_ops = {
    .name = "sim", .plan = plan_call, .call = make_call, .can_wait = can_wait};
static const np_backend sim_backend = {.ops = &sim_ops, .state = NULL};

const np_backend *np_backend_sim(void)
{
    return &sim_backend;
}

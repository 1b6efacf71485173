/*
 * One article through the two simulated LLM stages. Each stage is "call the model": wait for the
 * simulated latency, then compute the actual answer from the text. The real computation is tiny
 * next to the latency, so doing it after the sleep keeps the observed duration honest.
 */
#include "np/process.h"

#include <string.h>

#include "np/clock.h"
#include "np/summarize.h"

/* "[ID] STAGE started (N ms)", or on finish "[ID] STAGE finished (N ms, took T ms)". */
static void log_stage(const np_process_config *config, const np_article *article, np_stage stage,
                      uint32_t latency_ms, long long took_ns)
{
    if (!np_log_enabled(config->log, NP_LOG_VERBOSE))
        return;
    char id_text[96];
    np_id_format(&article->id, id_text, sizeof(id_text));
    if (took_ns < 0)
        np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s started (%u ms)", id_text,
                    np_stage_name(stage), (unsigned)latency_ms);
    else
        np_log_line(config->log, NP_LOG_VERBOSE, "[%s] %s finished (%u ms, took %.3f ms)", id_text,
                    np_stage_name(stage), (unsigned)latency_ms, (double)took_ns / 1e6);
}

static uint32_t stage_latency(const np_article *article, const np_process_config *config,
                              np_stage stage)
{
    return np_llm_latency_ms(config->seed, &article->id, stage, config->latency_min_ms,
                             config->latency_max_ms);
}

uint64_t np_process_ideal_ms(const np_article *article, const np_process_config *config)
{
    uint64_t total = 0;
    for (int stage = 0; stage < NP_STAGE_COUNT; stage++)
        total += stage_latency(article, config, (np_stage)stage);
    return total;
}

int np_process_article(const np_article *article, size_t index, const np_process_config *config,
                       np_result *result)
{
    memset(result, 0, sizeof(*result));
    result->index = index;
    result->started_ns = np_clock_now_ns();

    long long stage_start = result->started_ns;
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        np_stage stage = (np_stage)s;
        uint32_t latency = stage_latency(article, config, stage);
        result->latency_ms[stage] = latency;
        log_stage(config, article, stage, latency, -1);
        np_llm_sleep_ms(latency);
        if (stage == NP_STAGE_SUMMARIZATION) {
            result->summary =
                np_summarize(article->content, article->content_len, &result->summary_len);
        } else {
            result->sentiment = np_sentiment_analyze(article->content, article->content_len);
        }
        long long now = np_clock_now_ns();
        result->stage_start_ns[stage] = stage_start;
        result->stage_end_ns[stage] = now;
        result->attempts[stage] = 1;
        stage_start = now;
        log_stage(config, article, stage, latency, now - result->stage_start_ns[stage]);
    }
    result->finished_ns = stage_start;
    return result->summary ? 0 : -1;
}

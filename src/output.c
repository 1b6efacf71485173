/*
 * The results document and NDJSON lines. One article per line inside the "articles" array keeps
 * the document valid JSON while staying readable and diffable line by line; an NDJSON line is the
 * very same object. Scores are printed with four decimals: deterministic across runs.
 */
#include "np/output.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "np/json_write.h"

void np_output_write_article(FILE *out, const np_article *article, const np_result *result)
{
    fputs("{\"id\": ", out);
    np_json_write_id(out, &article->id);
    fputs(", \"title\": ", out);
    np_json_write_string(out, article->title, article->title_len);
    fprintf(out, ", \"status\": \"%s\", \"summary\": ", np_status_name(result->status));
    if (result->summary)
        np_json_write_string(out, result->summary, result->summary_len);
    else
        fputs("null", out);
    if (result->status == NP_STATUS_OK)
        fprintf(out, ", \"sentiment\": {\"label\": \"%s\", \"score\": %.4f}",
                np_sentiment_label_name(result->sentiment.label), result->sentiment.score);
    else
        fputs(", \"sentiment\": null", out);
    fprintf(out, ", \"latency_ms\": {\"%s\": %u, \"%s\": %u}",
            np_stage_name(NP_STAGE_SUMMARIZATION),
            (unsigned)result->latency_ms[NP_STAGE_SUMMARIZATION], np_stage_name(NP_STAGE_SENTIMENT),
            (unsigned)result->latency_ms[NP_STAGE_SENTIMENT]);
    fprintf(out, ", \"attempts\": {\"%s\": %u, \"%s\": %u}", np_stage_name(NP_STAGE_SUMMARIZATION),
            (unsigned)result->attempts[NP_STAGE_SUMMARIZATION], np_stage_name(NP_STAGE_SENTIMENT),
            (unsigned)result->attempts[NP_STAGE_SENTIMENT]);
    fprintf(out, ", \"completed\": %zu", result->completed);
    if (result->status != NP_STATUS_OK && result->error) {
        fputs(", \"error\": ", out);
        np_json_write_string(out, result->error, strlen(result->error));
    }
    fputc('}', out);
}

int np_output_write_json(FILE *out, const np_article *articles, const np_result *results,
                         size_t count, const np_run_info *run)
{
    fputs("{\"articles\": [", out);
    for (size_t i = 0; i < count; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        np_output_write_article(out, &articles[i], &results[i]);
    }
    fputs(count ? "\n],\n" : "],\n", out);
    fprintf(out, "\"run\": {\"articles\": %zu, \"mode\": \"%s\", ", count, run->mode);
    if (run->workers)
        fprintf(out, "\"workers\": %zu, ", run->workers);
    fprintf(out,
            "\"seed\": %" PRIu64 ", \"latency_ms\": [%u, %u], \"queue_capacity\": %zu, "
            "\"wall_ms\": ",
            run->seed, (unsigned)run->latency_min_ms, (unsigned)run->latency_max_ms,
            run->queue_capacity);
    np_json_write_ms(out, run->wall_ns);
    fprintf(out,
            ", \"critical_path_ms\": %" PRIu64 ", \"status\": {\"ok\": %zu, \"failed\": %zu, "
            "\"cancelled\": %zu}",
            run->critical_path_ms, run->status_count[NP_STATUS_OK],
            run->status_count[NP_STATUS_FAILED], run->status_count[NP_STATUS_CANCELLED]);
    if (run->cancelled_by)
        fprintf(out, ", \"cancelled_by\": \"%s\"", run->cancelled_by);
    fputs("}}\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

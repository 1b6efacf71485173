/*
 * The results document. One article per line inside the "articles" array keeps the document
 * valid JSON while staying readable and diffable line by line (and greppable in CI logs).
 * Scores are printed with four decimals: deterministic across runs and platforms.
 */
#include "np/output.h"

#include <errno.h>
#include <inttypes.h>

#include "np/json_write.h"

static void write_article(FILE *out, const np_article *article, const np_result *result)
{
    fputs("{\"id\": ", out);
    np_json_write_id(out, &article->id);
    fputs(", \"title\": ", out);
    np_json_write_string(out, article->title, article->title_len);
    fputs(", \"summary\": ", out);
    np_json_write_string(out, result->summary ? result->summary : "", result->summary_len);
    fprintf(out, ", \"sentiment\": {\"label\": \"%s\", \"score\": %.4f}",
            np_sentiment_label_name(result->sentiment.label), result->sentiment.score);
    fprintf(out, ", \"latency_ms\": {\"%s\": %u, \"%s\": %u}",
            np_stage_name(NP_STAGE_SUMMARIZATION),
            (unsigned)result->latency_ms[NP_STAGE_SUMMARIZATION], np_stage_name(NP_STAGE_SENTIMENT),
            (unsigned)result->latency_ms[NP_STAGE_SENTIMENT]);
    fprintf(out, ", \"completed\": %zu}", result->completed);
}

int np_output_write_json(FILE *out, const np_article_list *articles, const np_result *results,
                         const np_run_info *run)
{
    fputs("{\"articles\": [", out);
    for (size_t i = 0; i < articles->count; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        write_article(out, &articles->items[i], &results[i]);
    }
    fputs(articles->count ? "\n],\n" : "],\n", out);
    fprintf(out,
            "\"run\": {\"articles\": %zu, \"seed\": %" PRIu64 ", \"latency_ms\": [%u, %u], "
            "\"queue_capacity\": %zu, \"wall_ms\": ",
            articles->count, run->seed, (unsigned)run->latency_min_ms,
            (unsigned)run->latency_max_ms, run->queue_capacity);
    np_json_write_ms(out, run->wall_ns);
    fprintf(out, ", \"critical_path_ms\": %" PRIu64 "}}\n", run->critical_path_ms);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

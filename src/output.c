/*
 * The results document and NDJSON lines. One article per line inside the "articles" array keeps
 * the document valid JSON while staying readable and diffable line by line; an NDJSON line is the
 * very same object. Scores are printed with four decimals: deterministic across runs.
 *
 * Cost: a large run writes a line for each of 100,000 articles. Everything goes through an
 * np_json_buffer (np/json_write.h): a line is gathered in memory and the document reaches stdio in
 * pieces of DOCUMENT_BUFFER bytes, not some twenty stdio calls a line; numbers, strings and the
 * score are formatted by hand into it (the score exactly as "%.4f", which the output promises).
 * Called by main after the pipeline finished, or by the collector thread for NDJSON lines; the
 * buffer is a local, so there is nothing to share.
 */
#include "np/output.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "np/json_write.h"

/* A line's buffer (NDJSON: one write per line), and the document's: on the caller's stack, which
 * for the document is main's. */
enum { LINE_BUFFER = 1024, DOCUMENT_BUFFER = 32768 };

/* A string literal with its length known at compile time. */
#define ADD_LITERAL(b, literal) np_json_buffer_add((b), "" literal, sizeof(literal) - 1)

static void add_string(np_json_buffer *b, const char *s)
{
    np_json_buffer_add(b, s, strlen(s));
}

/* Adds the decimal digits of v, as "%" PRIu64 would. */
static void add_u64(np_json_buffer *b, uint64_t v)
{
    char digits[NP_U64_DIGITS];
    size_t start = np_json_format_u64(digits, v);
    np_json_buffer_add(b, digits + start, NP_U64_DIGITS - start);
}

/* Adds the score as "%.4f" does. */
static void add_score(np_json_buffer *b, double score)
{
    char text[512]; /* "%.4f" of any double fits */
    size_t n = np_json_format_fixed4(text, score);
    if (n == 0) { /* not a score in [-1, 1]; printed whole all the same */
        int printed = snprintf(text, sizeof text, "%.4f", score);
        n = printed > 0 ? (size_t)printed : 0;
    }
    np_json_buffer_add(b, text, n);
}

/* Adds ", "NAME": {"summarization": A, "sentiment": B}" for a per-stage pair of counts. */
static void add_per_stage(np_json_buffer *b, const char *name,
                          const uint32_t values[NP_STAGE_COUNT])
{
    ADD_LITERAL(b, ", \"");
    add_string(b, name);
    ADD_LITERAL(b, "\": {\"");
    add_string(b, np_stage_name(NP_STAGE_SUMMARIZATION));
    ADD_LITERAL(b, "\": ");
    add_u64(b, values[NP_STAGE_SUMMARIZATION]);
    ADD_LITERAL(b, ", \"");
    add_string(b, np_stage_name(NP_STAGE_SENTIMENT));
    ADD_LITERAL(b, "\": ");
    add_u64(b, values[NP_STAGE_SENTIMENT]);
    ADD_LITERAL(b, "}");
}

static void add_id(np_json_buffer *b, const np_id *id)
{
    if (id->kind == NP_ID_NUMBER)
        add_u64(b, id->number);
    else
        np_json_buffer_add_string(b, id->text, id->text_len);
}

static void add_article(np_json_buffer *b, const np_article *article, const np_result *result)
{
    ADD_LITERAL(b, "{\"id\": ");
    add_id(b, &article->id);
    ADD_LITERAL(b, ", \"title\": ");
    np_json_buffer_add_string(b, article->title, article->title_len);
    ADD_LITERAL(b, ", \"status\": \"");
    add_string(b, np_status_name(result->status));
    ADD_LITERAL(b, "\", \"summary\": ");
    if (result->summary)
        np_json_buffer_add_string(b, result->summary, result->summary_len);
    else
        ADD_LITERAL(b, "null");
    if (result->status == NP_STATUS_OK) {
        ADD_LITERAL(b, ", \"sentiment\": {\"label\": \"");
        add_string(b, np_sentiment_label_name(result->sentiment.label));
        ADD_LITERAL(b, "\", \"score\": ");
        add_score(b, result->sentiment.score);
        ADD_LITERAL(b, "}");
    } else {
        ADD_LITERAL(b, ", \"sentiment\": null");
    }
    add_per_stage(b, "latency_ms", result->latency_ms);
    add_per_stage(b, "attempts", result->attempts);
    ADD_LITERAL(b, ", \"completed\": ");
    add_u64(b, result->completed);
    /* The input position, so that shards' NDJSON lines merge back into input order. */
    ADD_LITERAL(b, ", \"index\": ");
    add_u64(b, result->index);
    if (result->status != NP_STATUS_OK && result->error) {
        ADD_LITERAL(b, ", \"error\": ");
        np_json_buffer_add_string(b, result->error, strlen(result->error));
    }
    ADD_LITERAL(b, "}");
}

void np_output_write_article(FILE *out, const np_article *article, const np_result *result)
{
    char text[LINE_BUFFER];
    np_json_buffer b = {.out = out, .text = text, .cap = sizeof text};
    add_article(&b, article, result);
    np_json_buffer_flush(&b);
}

int np_output_write_json(FILE *out, const np_article *articles, const np_result *results,
                         size_t count, const np_run_info *run)
{
    char text[DOCUMENT_BUFFER];
    np_json_buffer b = {.out = out, .text = text, .cap = sizeof text};
    ADD_LITERAL(&b, "{\"articles\": [");
    for (size_t i = 0; i < count; i++) {
        if (i)
            ADD_LITERAL(&b, ",\n  ");
        else
            ADD_LITERAL(&b, "\n  ");
        add_article(&b, &articles[i], &results[i]);
    }
    np_json_buffer_flush(&b);
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
    /* fflush's errno is the write's; an error flag whose errno is gone is reported as EIO. */
    if (fflush(out) != 0) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    if (ferror(out)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

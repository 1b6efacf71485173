/*
 * The results document and NDJSON lines. One article per line inside the "articles" array keeps
 * the document valid JSON while staying readable and diffable line by line; an NDJSON line is the
 * very same object. Scores are printed with four decimals: deterministic across runs.
 *
 * Cost: a large run writes a line for each of 100,000 articles, which took some twenty stdio
 * calls each, five of them fprintf parsing its format. Now the fixed text and the numbers between
 * two strings are gathered in a small buffer on the stack (struct line_piece) and written with one
 * fwrite; the strings themselves (id, title, summary, error) go through json_write, which writes
 * long runs without copying them. Only the score still goes through snprintf: "%.4f" is the
 * correctly rounded decimal the output promises, and the one printf a line is cheap enough.
 * Called by main after the pipeline finished, or by the collector thread for NDJSON lines; the
 * buffer is a local, so there is nothing to share.
 */
#include "np/output.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "np/json_write.h"

/* Text gathered for one fwrite. Anything that does not fit is written out first, so any length
 * works; PIECE_CAP is only chosen so that the usual pieces of a line fit. */
enum { PIECE_CAP = 512 };

struct line_piece {
    FILE *out;
    size_t len;
    char text[PIECE_CAP];
};

static void piece_flush(struct line_piece *p)
{
    fwrite(p->text, 1, p->len, p->out);
    p->len = 0;
}

static void piece_add(struct line_piece *p, const char *s, size_t n)
{
    if (n > PIECE_CAP - p->len) {
        piece_flush(p);
        if (n > PIECE_CAP) {
            fwrite(s, 1, n, p->out);
            return;
        }
    }
    memcpy(p->text + p->len, s, n);
    p->len += n;
}

/* A string literal with its length known at compile time. */
#define PIECE_ADD_LITERAL(p, literal) piece_add((p), "" literal, sizeof(literal) - 1)

static void piece_add_string(struct line_piece *p, const char *s)
{
    piece_add(p, s, strlen(s));
}

/* Adds the decimal digits of v, as "%" PRIu64 would. */
static void piece_add_u64(struct line_piece *p, uint64_t v)
{
    char digits[NP_U64_DIGITS];
    size_t start = np_json_format_u64(digits, v);
    piece_add(p, digits + start, NP_U64_DIGITS - start);
}

/* Adds the score as "%.4f" does: formatted in place when it fits, as it always does for [-1, 1]. */
static void piece_add_score(struct line_piece *p, double score)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%.4f", score);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof text) {
        piece_add(p, text, (size_t)n);
    } else { /* not a score in [-1, 1]; print it whole all the same */
        piece_flush(p);
        fprintf(p->out, "%.4f", score);
    }
}

/* Adds ", "NAME": {"summarization": A, "sentiment": B}" for a per-stage pair of counts. */
static void piece_add_per_stage(struct line_piece *p, const char *name,
                                const uint32_t values[NP_STAGE_COUNT])
{
    PIECE_ADD_LITERAL(p, ", \"");
    piece_add_string(p, name);
    PIECE_ADD_LITERAL(p, "\": {\"");
    piece_add_string(p, np_stage_name(NP_STAGE_SUMMARIZATION));
    PIECE_ADD_LITERAL(p, "\": ");
    piece_add_u64(p, values[NP_STAGE_SUMMARIZATION]);
    PIECE_ADD_LITERAL(p, ", \"");
    piece_add_string(p, np_stage_name(NP_STAGE_SENTIMENT));
    PIECE_ADD_LITERAL(p, "\": ");
    piece_add_u64(p, values[NP_STAGE_SENTIMENT]);
    PIECE_ADD_LITERAL(p, "}");
}

void np_output_write_article(FILE *out, const np_article *article, const np_result *result)
{
    struct line_piece p = {.out = out, .len = 0};

    PIECE_ADD_LITERAL(&p, "{\"id\": ");
    piece_flush(&p);
    np_json_write_id(out, &article->id);
    PIECE_ADD_LITERAL(&p, ", \"title\": ");
    piece_flush(&p);
    np_json_write_string(out, article->title, article->title_len);

    PIECE_ADD_LITERAL(&p, ", \"status\": \"");
    piece_add_string(&p, np_status_name(result->status));
    PIECE_ADD_LITERAL(&p, "\", \"summary\": ");
    if (result->summary) {
        piece_flush(&p);
        np_json_write_string(out, result->summary, result->summary_len);
    } else {
        PIECE_ADD_LITERAL(&p, "null");
    }

    if (result->status == NP_STATUS_OK) {
        PIECE_ADD_LITERAL(&p, ", \"sentiment\": {\"label\": \"");
        piece_add_string(&p, np_sentiment_label_name(result->sentiment.label));
        PIECE_ADD_LITERAL(&p, "\", \"score\": ");
        piece_add_score(&p, result->sentiment.score);
        PIECE_ADD_LITERAL(&p, "}");
    } else {
        PIECE_ADD_LITERAL(&p, ", \"sentiment\": null");
    }
    piece_add_per_stage(&p, "latency_ms", result->latency_ms);
    piece_add_per_stage(&p, "attempts", result->attempts);
    PIECE_ADD_LITERAL(&p, ", \"completed\": ");
    piece_add_u64(&p, result->completed);
    /* The input position, so that shards' NDJSON lines merge back into input order. */
    PIECE_ADD_LITERAL(&p, ", \"index\": ");
    piece_add_u64(&p, result->index);
    if (result->status != NP_STATUS_OK && result->error) {
        PIECE_ADD_LITERAL(&p, ", \"error\": ");
        piece_flush(&p);
        np_json_write_string(out, result->error, strlen(result->error));
    }
    PIECE_ADD_LITERAL(&p, "}");
    piece_flush(&p);
}

int np_output_write_json(FILE *out, const np_article *articles, const np_result *results,
                         size_t count, const np_run_info *run)
{
    fputs("{\"articles\": [", out);
    for (size_t i = 0; i < count; i++) {
        if (i)
            fwrite(",\n  ", 1, 4, out);
        else
            fwrite("\n  ", 1, 3, out);
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

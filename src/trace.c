/*
 * The Chrome Trace Event Format writer (see np/trace.h for the document it produces).
 *
 * Design: events are written straight to the stream, article by article in start order, then
 * the collector's receives in arrival order; the only allocation is one array that holds first
 * the start order, then the arrival order. Which row (tid) an article's work is drawn on, and its
 * name, are decided in one place, article_row(): in thread mode every article ran on its own
 * thread; pool mode does not yet record which worker ran an article, so its rows stay per
 * article too until the result says so.
 *
 * Times are monotonic nanoseconds in the result; the trace wants microseconds from the run start,
 * written exactly as integer arithmetic (three decimals), never through a double.
 *
 * Threading: reads a finished run record only; no shared state.
 */
#include "np/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "np/json_write.h"

#ifndef NP_VERSION
#define NP_VERSION "unknown"
#endif

enum { COLLECTOR_TID = 1, FIRST_ARTICLE_TID = 2 };

/* The JSON writer's state: whether the next event needs a separating comma. */
typedef struct trace_writer {
    FILE *out;
    int first;
} trace_writer;

/*
 * The row an article's work is drawn on: its tid, and its name written into name. The one place
 * to change when results record the worker thread that ran them (pool mode).
 */
static long long article_row(const np_run_options *options, const np_article *article, size_t index,
                             char *name, size_t size)
{
    (void)options; /* every mode so far: one row per article */
    char id_text[96];
    np_id_format(&article->id, id_text, sizeof(id_text));
    snprintf(name, size, "article %s", id_text);
    return (long long)index + FIRST_ARTICLE_TID;
}

/* Writes ns (a duration or a time since the run start) as microseconds with three decimals. */
static void write_us(FILE *out, long long ns)
{
    unsigned long long magnitude = ns < 0 ? 0ULL - (unsigned long long)ns : (unsigned long long)ns;
    fprintf(out, "%s%llu.%03llu", ns < 0 ? "-" : "", magnitude / 1000, magnitude % 1000);
}

static void begin_event(trace_writer *w)
{
    fputs(w->first ? "\n  " : ",\n  ", w->out);
    w->first = 0;
}

static void write_metadata(trace_writer *w, const char *name, long long tid, const char *arg_name,
                           const char *text, long long number)
{
    begin_event(w);
    fprintf(w->out,
            "{\"ph\": \"M\", \"name\": \"%s\", \"pid\": 1, \"tid\": %lld, \"args\": {\"%s\": ",
            name, tid, arg_name);
    if (text)
        np_json_write_string(w->out, text, strlen(text));
    else
        fprintf(w->out, "%lld", number);
    fputs("}}", w->out);
}

/* Writes the start of a complete event, up to and including `"args": {"id": ID`. */
static void begin_complete(trace_writer *w, const char *name, const char *cat, long long tid,
                           long long ts_ns, long long dur_ns, const np_id *id)
{
    begin_event(w);
    fprintf(w->out,
            "{\"ph\": \"X\", \"name\": \"%s\", \"cat\": \"%s\", \"pid\": 1, \"tid\": %lld, "
            "\"ts\": ",
            name, cat, tid);
    write_us(w->out, ts_ns);
    fputs(", \"dur\": ", w->out);
    write_us(w->out, dur_ns);
    fputs(", \"args\": {\"id\": ", w->out);
    np_json_write_id(w->out, id);
}

/* An instant event (a mark on the article's row) at ts_ns, with the article's id and attempt. */
static void write_mark(trace_writer *w, const char *name, long long tid, long long ts_ns,
                       const np_article *a, np_stage stage, uint32_t attempt)
{
    begin_event(w);
    fprintf(w->out,
            "{\"ph\": \"i\", \"s\": \"t\", \"name\": \"%s\", \"cat\": \"call\", \"pid\": 1, "
            "\"tid\": %lld, \"ts\": ",
            name, tid);
    write_us(w->out, ts_ns);
    fputs(", \"args\": {\"id\": ", w->out);
    np_json_write_id(w->out, &a->id);
    fprintf(w->out, ", \"stage\": \"%s\", \"attempt\": %" PRIu32 "}}", np_stage_name(stage),
            attempt);
}

/*
 * The marks inside a stage: where each retry the result placed began (args.attempt counts from
 * 1, so the first retry is attempt 2), and its first streamed token.
 */
static void write_call_marks(trace_writer *w, const np_run_record *run, const np_article *a,
                             const np_result *r, long long tid, int s)
{
    long long origin = run->start_ns;
    long long at_ns[NP_RETRY_MARKS];
    uint32_t attempt[NP_RETRY_MARKS], unmarked;
    size_t marks = np_result_retry_marks(r, (np_stage)s, at_ns, attempt, &unmarked);
    for (size_t k = 0; k < marks; k++)
        write_mark(w, "retry", tid, at_ns[k] - origin, a, (np_stage)s, attempt[k] + 1);
    if (r->first_token_ns[s] != 0)
        write_mark(w, "first token", tid, r->first_token_ns[s] - origin, a, (np_stage)s,
                   r->attempts[s]);
}

static void write_article_events(trace_writer *w, const np_run_record *run, const np_article *a,
                                 const np_result *r, long long tid)
{
    long long origin = run->start_ns;
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        long long start = r->stage_start_ns[s], end = r->stage_end_ns[s];
        if (start == 0 || end == 0 || end < start)
            continue;
        begin_complete(w, np_stage_name((np_stage)s), "stage", tid, start - origin, end - start,
                       &a->id);
        fprintf(w->out, ", \"simulated_ms\": %" PRIu32 ", \"attempts\": %" PRIu32, r->latency_ms[s],
                r->attempts[s]);
        long long at_ns[NP_RETRY_MARKS];
        uint32_t attempt[NP_RETRY_MARKS], unmarked;
        np_result_retry_marks(r, (np_stage)s, at_ns, attempt, &unmarked);
        if (unmarked > 0)
            fprintf(w->out, ", \"retries_unmarked\": %" PRIu32, unmarked);
        if (r->http_status[s])
            fprintf(w->out,
                    ", \"http_status\": %u, \"tokens_in\": %" PRIu32 ", \"tokens_out\": %" PRIu32,
                    (unsigned)r->http_status[s], r->tokens_in[s], r->tokens_out[s]);
        fputs("}}", w->out);
        write_call_marks(w, run, a, r, tid, s);
    }
    if (r->finished_ns != 0 && r->queue_wait_ns > 0) {
        begin_complete(w, "queue wait", "queue", tid, r->finished_ns - origin, r->queue_wait_ns,
                       &a->id);
        fputs("}}", w->out);
    }
}

static void write_receive(trace_writer *w, const np_run_record *run, size_t i, long long dur)
{
    const np_result *r = &run->results[i];
    begin_complete(w, "receive", "collector", COLLECTOR_TID, r->received_ns - run->start_ns, dur,
                   &run->list->items[i].id);
    fprintf(w->out, ", \"completed\": %zu}}", r->completed);
}

/*
 * The collector's row: one "receive" per result received, in arrival order (keys is scratch
 * space for n entries). The result does not say how long the collector spent on it, so each
 * lasts 1 µs, cut short where the next receive begins: slices on one row must not overlap, or
 * trace viewers misnest them.
 */
static void write_receives(trace_writer *w, const np_run_record *run, size_t n, np_time_key *keys)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const np_result *r = &run->results[i];
        if (r->completed > 0 && r->received_ns != 0)
            keys[count++] = (np_time_key){r->received_ns, i};
    }
    if (count > 1)
        np_time_keys_sort(keys, count);
    for (size_t k = 0; k < count; k++) {
        long long dur = 1000;
        if (k + 1 < count && keys[k + 1].ns - keys[k].ns < dur)
            dur = keys[k + 1].ns - keys[k].ns;
        write_receive(w, run, keys[k].index, dur);
    }
}

/* The circuit breaker's state changes: instant events of global scope (a line across every row),
 * on the collector's row, named "circuit <state>". */
static void write_breaker_events(trace_writer *w, const np_run_record *run)
{
    for (size_t i = 0; run->limits.breaker_events && i < run->limits.breaker_event_count; i++) {
        const np_breaker_event *e = &run->limits.breaker_events[i];
        const char *state = np_breaker_state_name(e->to);
        begin_event(w);
        fprintf(w->out,
                "{\"ph\": \"i\", \"s\": \"g\", \"name\": \"circuit %s\", \"cat\": \"breaker\", "
                "\"pid\": 1, \"tid\": %d, \"ts\": ",
                state, COLLECTOR_TID);
        write_us(w->out, e->ns - run->start_ns);
        fprintf(w->out, ", \"args\": {\"state\": \"%s\"}}", state);
    }
}

int np_trace_write(FILE *out, const np_run_options *options, const np_run_record *run)
{
    size_t n = run->list && run->results ? run->articles_detail : 0;
    if (run->list && n > run->list->count)
        n = run->list->count;
    np_time_key *order = NULL;
    if (n > 0) {
        order = malloc(n * sizeof(*order));
        if (!order) {
            errno = ENOMEM;
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            order[i] = (np_time_key){run->results[i].started_ns, i};
        np_time_keys_sort(order, n);
    }

    trace_writer w = {out, 1};
    fputs("{\"traceEvents\": [", out);
    write_metadata(&w, "process_name", COLLECTOR_TID, "name", "news-processor", 0);
    write_metadata(&w, "thread_name", COLLECTOR_TID, "name", "collector", 0);
    write_metadata(&w, "thread_sort_index", COLLECTOR_TID, "sort_index", NULL, 0);
    for (size_t rank = 0; rank < n; rank++) {
        size_t i = order[rank].index;
        char name[128];
        long long tid = article_row(options, &run->list->items[i], i, name, sizeof(name));
        write_metadata(&w, "thread_name", tid, "name", name, 0);
        write_metadata(&w, "thread_sort_index", tid, "sort_index", NULL, (long long)rank + 1);
    }
    for (size_t rank = 0; rank < n; rank++) {
        size_t i = order[rank].index;
        char name[128];
        long long tid = article_row(options, &run->list->items[i], i, name, sizeof(name));
        write_article_events(&w, run, &run->list->items[i], &run->results[i], tid);
    }
    write_receives(&w, run, n, order); /* order is no longer needed: reuse it */
    write_breaker_events(&w, run);
    free(order);

    fputs("\n],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": {\"tool\": \"news-processor\", "
          "\"version\": ",
          out);
    np_json_write_string(out, NP_VERSION, strlen(NP_VERSION));
    fprintf(out, ", \"articles\": %zu", run->articles);
    if (options && options->mode) {
        fputs(", \"mode\": ", out);
        np_json_write_string(out, options->mode, strlen(options->mode));
    }
    fputs(", \"wall_ms\": ", out);
    np_json_write_ms(out, run->process_ns);
    fprintf(out, ", \"critical_path_ms\": %" PRIu64, run->critical_path_ms);
    if (options && options->drawn) {
        fputs(", \"run\": ", out);
        np_json_write_string(out, options->drawn, strlen(options->drawn));
    }
    fputs("}}\n", out);

    if (ferror(out)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

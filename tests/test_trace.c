/*
 * Unit tests of the Chrome trace writer: a hand-built run of three articles (a numeric id, a
 * string id with a quote and non-ASCII in it, and one cancelled before its second stage) is
 * written to memory, parsed back with cJSON, and every event is checked against the timestamps
 * put in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/trace.h"

#define ORIGIN_NS 10000000000LL /* the run's start_ns: 10 s on the monotonic clock */
#define MS        1000000LL

/* An id with a quote, a backslash, non-ASCII (é, ✓) and an escaped control character. */
static const char string_id[] = "a\"b\\ \xC3\xA9 \xE2\x9C\x93 \x01";

typedef struct fixture {
    np_article articles[3];
    np_article_list list;
    np_result results[3];
    np_run_record run;
    np_run_options options;
} fixture;

static void set_stage(np_result *r, np_stage stage, long long start, long long end, uint32_t ms)
{
    r->stage_start_ns[stage] = start;
    r->stage_end_ns[stage] = end;
    r->latency_ms[stage] = ms;
    r->attempts[stage] = 1;
}

static void build_fixture(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->articles[0].id = (np_id){.kind = NP_ID_NUMBER, .number = 7};
    f->articles[1].id =
        (np_id){.kind = NP_ID_STRING, .text = string_id, .text_len = sizeof(string_id) - 1};
    f->articles[2].id = (np_id){.kind = NP_ID_NUMBER, .number = 3};
    for (int i = 0; i < 3; i++) {
        f->articles[i].title = "t";
        f->articles[i].title_len = 1;
        f->articles[i].content = "";
        f->results[i].index = (size_t)i;
    }

    /* Article 0 (id 7) starts second: 2.000045 ms after the origin. */
    np_result *r = &f->results[0];
    r->started_ns = ORIGIN_NS + 2000045;
    set_stage(r, NP_STAGE_SUMMARIZATION, r->started_ns, ORIGIN_NS + 678112345, 676);
    set_stage(r, NP_STAGE_SENTIMENT, ORIGIN_NS + 678112345, ORIGIN_NS + 1448500001, 770);
    r->finished_ns = ORIGIN_NS + 1448500001;
    r->received_ns = ORIGIN_NS + 1448600000;
    r->completed = 2;
    r->ideal_ms = 1446;

    /* Article 1 (the string id) starts first and blocks 5.5 ms on the full queue. */
    r = &f->results[1];
    r->started_ns = ORIGIN_NS + 1000;
    set_stage(r, NP_STAGE_SUMMARIZATION, r->started_ns, ORIGIN_NS + 500 * MS, 500);
    set_stage(r, NP_STAGE_SENTIMENT, ORIGIN_NS + 500 * MS, ORIGIN_NS + 1000 * MS, 500);
    r->finished_ns = ORIGIN_NS + 1000 * MS;
    r->queue_wait_ns = 5500 * 1000LL;
    r->received_ns = ORIGIN_NS + 1006 * MS;
    r->completed = 1;
    r->ideal_ms = 1000;

    /* Article 2 (id 3) is cancelled during summarization's retry: sentiment never starts and the
     * collector never receives it. */
    r = &f->results[2];
    r->status = NP_STATUS_CANCELLED;
    r->started_ns = ORIGIN_NS + 3 * MS;
    set_stage(r, NP_STAGE_SUMMARIZATION, r->started_ns, ORIGIN_NS + 900 * MS, 897);
    r->attempts[NP_STAGE_SUMMARIZATION] = 2;
    r->finished_ns = ORIGIN_NS + 900 * MS;
    r->ideal_ms = 897;

    f->list = (np_article_list){.items = f->articles, .count = 3};
    f->run = (np_run_record){.articles = 3,
                             .process_ns = 1450 * MS,
                             .start_ns = ORIGIN_NS,
                             .critical_path_ms = 1446,
                             .queue_capacity = 1,
                             .list = &f->list,
                             .results = f->results,
                             .articles_detail = 3};
    f->options = (np_run_options){.input = "articles.json",
                                  .mode = "thread",
                                  .seed = 1,
                                  .latency_min_ms = 500,
                                  .latency_max_ms = 1500,
                                  .queue_capacity = 1};
}

/* Writes the trace to memory and parses it strictly; the caller deletes the result. */
static cJSON *write_and_parse(const fixture *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(np_trace_write(out, &f->options, &f->run), 0);
    assert_int_equal(fclose(out), 0);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!doc)
        fail_msg("trace is not valid JSON near: %.40s", end ? end : "?");
    free(text);
    return doc;
}

static cJSON *events_of(cJSON *doc)
{
    cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "traceEvents");
    assert_true(cJSON_IsArray(events));
    return events;
}

static int has_string(const cJSON *object, const char *member, const char *value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, member);
    return cJSON_IsString(item) && strcmp(item->valuestring, value) == 0;
}

static double number_of(const cJSON *object, const char *member)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, member);
    if (!cJSON_IsNumber(item))
        fail_msg("member \"%s\" is not a number", member);
    return item->valuedouble;
}

static const cJSON *arg_of(const cJSON *event, const char *member)
{
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(event, "args");
    assert_true(cJSON_IsObject(args));
    return cJSON_GetObjectItemCaseSensitive(args, member);
}

/* The only X event with this name whose args.id equals the numeric id, or the string id. */
static const cJSON *find_event(const cJSON *events, const char *name, const np_id *id)
{
    const cJSON *found = NULL, *event;
    cJSON_ArrayForEach(event, events)
    {
        if (!has_string(event, "ph", "X") || !has_string(event, "name", name))
            continue;
        const cJSON *value = arg_of(event, "id");
        int match = id->kind == NP_ID_NUMBER
                        ? cJSON_IsNumber(value) && value->valuedouble == (double)id->number
                        : cJSON_IsString(value) && strcmp(value->valuestring, id->text) == 0;
        if (match) {
            assert_null(found);
            found = event;
        }
    }
    assert_non_null(found);
    return found;
}

/* Asserts ts and dur (µs) are the given nanosecond times, to the written µs precision. */
static void assert_span(const cJSON *event, long long start_ns, long long end_ns)
{
    double ts = number_of(event, "ts"), dur = number_of(event, "dur");
    if (fabs(ts - (double)(start_ns - ORIGIN_NS) / 1e3) > 0.0005 ||
        fabs(dur - (double)(end_ns - start_ns) / 1e3) > 0.0005)
        fail_msg("ts %.3f dur %.3f, expected %.3f and %.3f", ts, dur,
                 (double)(start_ns - ORIGIN_NS) / 1e3, (double)(end_ns - start_ns) / 1e3);
}

static void test_document_has_the_trace_event_format_shape(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    cJSON *doc = write_and_parse(&f);
    events_of(doc);
    assert_true(has_string(doc, "displayTimeUnit", "ms"));
    cJSON *other = cJSON_GetObjectItemCaseSensitive(doc, "otherData");
    assert_true(has_string(other, "tool", "news-processor"));
    assert_true(has_string(other, "version", NP_VERSION));
    assert_int_equal((int)number_of(other, "articles"), 3);
    cJSON_Delete(doc);
}

static void test_every_complete_event_has_the_required_members(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    cJSON *doc = write_and_parse(&f);
    const cJSON *event;
    int complete = 0;
    cJSON_ArrayForEach(event, events_of(doc))
    {
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "ph")));
        if (!has_string(event, "ph", "X"))
            continue;
        complete++;
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "name")));
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "cat")));
        assert_true(number_of(event, "ts") >= 0);
        assert_true(number_of(event, "dur") > 0);
        assert_int_equal((int)number_of(event, "pid"), 1);
        assert_true(number_of(event, "tid") >= 1);
        assert_non_null(arg_of(event, "id"));
    }
    assert_true(complete > 0);
    cJSON_Delete(doc);
}

static void test_event_counts_follow_what_happened(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    cJSON *doc = write_and_parse(&f);
    int stages = 0, queue_waits = 0, receives = 0, other = 0;
    const cJSON *event;
    cJSON_ArrayForEach(event, events_of(doc))
    {
        if (!has_string(event, "ph", "X"))
            continue;
        if (has_string(event, "cat", "stage"))
            stages++;
        else if (has_string(event, "name", "queue wait") && has_string(event, "cat", "queue"))
            queue_waits++;
        else if (has_string(event, "name", "receive") && has_string(event, "cat", "collector"))
            receives++;
        else
            other++;
    }
    int expected_receives = 0;
    for (int i = 0; i < 3; i++)
        expected_receives += f.results[i].completed > 0;
    assert_int_equal(stages, 2 + 2 + 1);
    assert_int_equal(queue_waits, 1); /* only article 1 waited */
    assert_int_equal(receives, expected_receives);
    assert_int_equal(receives, 2);
    assert_int_equal(other, 0);
    cJSON_Delete(doc);
}

static void test_threads_are_named_for_the_collector_and_each_article(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    cJSON *doc = write_and_parse(&f);
    const char *names[4] = {NULL};
    double sort_index[4] = {-1, -1, -1, -1};
    int process_named = 0;
    const cJSON *event;
    cJSON_ArrayForEach(event, events_of(doc))
    {
        if (!has_string(event, "ph", "M"))
            continue;
        if (has_string(event, "name", "process_name")) {
            process_named += has_string(cJSON_GetObjectItemCaseSensitive(event, "args"), "name",
                                        "news-processor");
            continue;
        }
        int tid = (int)number_of(event, "tid");
        assert_in_range(tid, 1, 4);
        if (has_string(event, "name", "thread_name")) {
            assert_null(names[tid - 1]);
            names[tid - 1] = cJSON_GetStringValue(arg_of(event, "name"));
        } else if (has_string(event, "name", "thread_sort_index")) {
            sort_index[tid - 1] =
                number_of(cJSON_GetObjectItemCaseSensitive(event, "args"), "sort_index");
        }
    }
    assert_int_equal(process_named, 1);
    assert_string_equal(names[0], "collector");
    assert_string_equal(names[1], "article 7"); /* tid = index + 2 */
    assert_string_equal(names[2], "article \"a\\\"b\\\\ \xC3\xA9 \xE2\x9C\x93 \\u0001\"");
    assert_string_equal(names[3], "article 3");
    /* Rows sort by start: the string id (index 1) first, then index 0, then index 2. */
    assert_true(sort_index[0] < sort_index[2]);
    assert_true(sort_index[2] < sort_index[1]);
    assert_true(sort_index[1] < sort_index[3]);
    cJSON_Delete(doc);
}

static void test_times_are_microseconds_from_the_run_start(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    cJSON *doc = write_and_parse(&f);
    const cJSON *events = events_of(doc);
    for (int i = 0; i < 3; i++) {
        const np_result *r = &f.results[i];
        const np_id *id = &f.articles[i].id;
        for (int s = 0; s < NP_STAGE_COUNT; s++) {
            if (r->attempts[s] == 0)
                continue;
            const cJSON *event = find_event(events, np_stage_name((np_stage)s), id);
            assert_span(event, r->stage_start_ns[s], r->stage_end_ns[s]);
            assert_int_equal((int)number_of(event, "tid"), i + 2);
            assert_int_equal((int)cJSON_GetNumberValue(arg_of(event, "simulated_ms")),
                             (int)r->latency_ms[s]);
            assert_int_equal((int)cJSON_GetNumberValue(arg_of(event, "attempts")),
                             (int)r->attempts[s]);
        }
        if (r->completed > 0) {
            const cJSON *event = find_event(events, "receive", id);
            assert_span(event, r->received_ns, r->received_ns + 1000);
            assert_int_equal((int)number_of(event, "tid"), 1);
            assert_int_equal((int)cJSON_GetNumberValue(arg_of(event, "completed")),
                             (int)r->completed);
        }
    }
    const cJSON *wait = find_event(events, "queue wait", &f.articles[1].id);
    assert_span(wait, f.results[1].finished_ns, f.results[1].finished_ns + 5500000);
    /* Sub-microsecond digits are kept exactly: 2000045 ns is 2000.045 µs (not 2000.45). */
    const cJSON *first = find_event(events, "summarization", &f.articles[0].id);
    assert_true(number_of(first, "ts") == 2000.045);
    assert_true(number_of(first, "dur") == 676112.3);
    cJSON_Delete(doc);
}

static void test_string_id_round_trips_exactly(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    cJSON *doc = write_and_parse(&f);
    int seen = 0;
    const cJSON *event;
    cJSON_ArrayForEach(event, events_of(doc))
    {
        if (!has_string(event, "ph", "X"))
            continue;
        const cJSON *id = arg_of(event, "id");
        if (cJSON_IsString(id)) {
            assert_memory_equal(id->valuestring, string_id, sizeof(string_id));
            seen++;
        }
    }
    assert_int_equal(seen, 4); /* two stages, a queue wait and a receive */
    cJSON_Delete(doc);
}

static void test_receives_on_the_collector_row_never_overlap(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    /* Two results 300 ns apart: the first receive must end where the second begins. */
    f.results[0].received_ns = f.results[1].received_ns + 300;
    cJSON *doc = write_and_parse(&f);
    const cJSON *first = find_event(events_of(doc), "receive", &f.articles[1].id);
    const cJSON *second = find_event(events_of(doc), "receive", &f.articles[0].id);
    assert_span(first, f.results[1].received_ns, f.results[1].received_ns + 300);
    assert_span(second, f.results[0].received_ns, f.results[0].received_ns + 1000);
    cJSON_Delete(doc);
}

static void test_run_without_rows_still_writes_a_valid_trace(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    f.run.list = NULL;
    f.run.results = NULL;
    f.run.articles_detail = 0;
    cJSON *doc = write_and_parse(&f);
    const cJSON *event;
    cJSON_ArrayForEach(event, events_of(doc))
    {
        assert_true(has_string(event, "ph", "M"));
    }
    cJSON_Delete(doc);
}

/* The "retry" marks of the article with this numeric id and stage: their ts (µs) and
 * args.attempt, in document order; returns how many. */
static int retry_marks(const cJSON *events, long long id, const char *stage, double ts[],
                       int attempt[], int max)
{
    int count = 0;
    const cJSON *event;
    cJSON_ArrayForEach(event, events)
    {
        if (!has_string(event, "ph", "i") || !has_string(event, "name", "retry"))
            continue;
        const cJSON *event_id = arg_of(event, "id");
        if (!cJSON_IsNumber(event_id) || event_id->valuedouble != (double)id ||
            !has_string(cJSON_GetObjectItemCaseSensitive(event, "args"), "stage", stage))
            continue;
        assert_true(count < max);
        ts[count] = number_of(event, "ts");
        attempt[count] = (int)number_of(cJSON_GetObjectItemCaseSensitive(event, "args"), "attempt");
        count++;
    }
    return count;
}

static void test_every_retry_is_marked_where_it_began(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    /* Article 0's sentiment: three retries, 100.25, 300.5 and 600.75 ms after its start. */
    np_result *r = &f.results[0];
    long long start = r->stage_start_ns[NP_STAGE_SENTIMENT];
    long long retry_at[3] = {start + 100250000, start + 300500000, start + 600750000};
    for (uint32_t k = 0; k < 3; k++)
        np_result_note_retry(r, NP_STAGE_SENTIMENT, k + 1, retry_at[k]);
    r->attempts[NP_STAGE_SENTIMENT] = 4;
    cJSON *doc = write_and_parse(&f);
    double ts[8];
    int attempt[8];
    assert_int_equal(retry_marks(events_of(doc), 7, "sentiment", ts, attempt, 8), 3);
    for (int k = 0; k < 3; k++) {
        assert_true(fabs(ts[k] - (double)(retry_at[k] - ORIGIN_NS) / 1e3) < 0.0005);
        assert_int_equal(attempt[k], k + 2);
    }
    assert_int_equal(retry_marks(events_of(doc), 7, "summarization", ts, attempt, 8), 0);
    const cJSON *stage = find_event(events_of(doc), "sentiment", &f.articles[0].id);
    assert_null(arg_of(stage, "retries_unmarked"));
    cJSON_Delete(doc);
}

static void test_retries_beyond_the_kept_few_keep_the_first_and_the_last(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    /* Article 0's summarization: nine retries, k ms after its start for k = 1..9. */
    np_result *r = &f.results[0];
    long long start = r->stage_start_ns[NP_STAGE_SUMMARIZATION];
    for (uint32_t k = 1; k <= 9; k++)
        np_result_note_retry(r, NP_STAGE_SUMMARIZATION, k, start + (long long)k * MS);
    r->attempts[NP_STAGE_SUMMARIZATION] = 10;
    /* and one of sentiment's two retries began over 71 minutes in: it cannot be placed. */
    start = r->stage_start_ns[NP_STAGE_SENTIMENT];
    np_result_note_retry(r, NP_STAGE_SENTIMENT, 1, start + 5 * MS);
    np_result_note_retry(r, NP_STAGE_SENTIMENT, 2, start + 5000000 * MS);
    r->attempts[NP_STAGE_SENTIMENT] = 3;
    cJSON *doc = write_and_parse(&f);
    double ts[16];
    int attempt[16];
    int marks = retry_marks(events_of(doc), 7, "summarization", ts, attempt, 16);
    assert_int_equal(marks, NP_RETRY_MARKS);
    for (int k = 0; k < marks; k++) {
        int retry = k < marks - 1 ? k + 1 : 9; /* the first ones, then the last */
        assert_int_equal(attempt[k], retry + 1);
        double want =
            (double)(r->stage_start_ns[NP_STAGE_SUMMARIZATION] + retry * MS - ORIGIN_NS) / 1e3;
        assert_true(fabs(ts[k] - want) < 0.0005);
    }
    const cJSON *stage = find_event(events_of(doc), "summarization", &f.articles[0].id);
    assert_int_equal(
        (int)number_of(cJSON_GetObjectItemCaseSensitive(stage, "args"), "retries_unmarked"),
        9 - NP_RETRY_MARKS);
    assert_int_equal(retry_marks(events_of(doc), 7, "sentiment", ts, attempt, 16), 1);
    assert_int_equal(attempt[0], 2);
    stage = find_event(events_of(doc), "sentiment", &f.articles[0].id);
    assert_int_equal(
        (int)number_of(cJSON_GetObjectItemCaseSensitive(stage, "args"), "retries_unmarked"), 1);
    cJSON_Delete(doc);
}

static void test_write_error_is_reported(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    FILE *out = fopen("/dev/null", "r"); /* every write fails */
    assert_non_null(out);
    assert_int_equal(np_trace_write(out, &f.options, &f.run), -1);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_has_the_trace_event_format_shape),
        cmocka_unit_test(test_every_complete_event_has_the_required_members),
        cmocka_unit_test(test_event_counts_follow_what_happened),
        cmocka_unit_test(test_threads_are_named_for_the_collector_and_each_article),
        cmocka_unit_test(test_times_are_microseconds_from_the_run_start),
        cmocka_unit_test(test_string_id_round_trips_exactly),
        cmocka_unit_test(test_receives_on_the_collector_row_never_overlap),
        cmocka_unit_test(test_run_without_rows_still_writes_a_valid_trace),
        cmocka_unit_test(test_write_error_is_reported),
        cmocka_unit_test(test_every_retry_is_marked_where_it_began),
        cmocka_unit_test(test_retries_beyond_the_kept_few_keep_the_first_and_the_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of the timing report writer: a hand-built run record with known timestamps is
 * written to a memory stream, parsed back with cJSON, and checked field by field: schema,
 * options, overhead (and null when the critical path is 0), stage percentiles, ids keeping their
 * JSON type, null for timestamps that never happened, and stream errors reported.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "np/report.h"

#define MS 1000000LL /* ns per ms */
#define T0 5000000000LL

#define assert_close(actual, expected, tolerance)                                                  \
    do {                                                                                           \
        double actual_ = (actual), expected_ = (expected);                                         \
        if (!(fabs(actual_ - expected_) <= (tolerance)))                                           \
            fail_msg("%s = %.17g, expected %.17g", #actual, actual_, expected_);                   \
    } while (0)

typedef struct fixture {
    np_article articles[3];
    np_article_list list;
    np_result results[3];
    np_run_record runs[2];
    np_run_options options;
} fixture;

/*
 * Three articles: id 7 (ok), id "a-1" (ok), id 9 (failed in summarization after 2 attempts,
 * never reached the collector). Run 0 is measured with rows; run 1 is a warm-up without rows.
 */
static void build(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->articles[0].id = (np_id){.kind = NP_ID_NUMBER, .number = 7};
    f->articles[1].id = (np_id){.kind = NP_ID_STRING, .text = "a-1", .text_len = 3};
    f->articles[2].id = (np_id){.kind = NP_ID_NUMBER, .number = 9};
    f->list = (np_article_list){.items = f->articles, .count = 3};

    np_result *r = f->results;
    r[0] = (np_result){.index = 0,
                       .status = NP_STATUS_OK,
                       .latency_ms = {100, 200},
                       .attempts = {1, 1},
                       .started_ns = T0 + 1 * MS,
                       .stage_start_ns = {T0 + 1 * MS, T0 + 101500000LL},
                       .stage_end_ns = {T0 + 101500000LL, T0 + 302 * MS},
                       .finished_ns = T0 + 302 * MS,
                       .queue_wait_ns = 1500000,
                       .received_ns = T0 + 302250000LL,
                       .completed = 1};
    r[1] = (np_result){.index = 1,
                       .status = NP_STATUS_OK,
                       .latency_ms = {300, 50},
                       .attempts = {1, 1},
                       .started_ns = T0 + 2 * MS,
                       .stage_start_ns = {T0 + 2 * MS, T0 + 303 * MS},
                       .stage_end_ns = {T0 + 303 * MS, T0 + 354 * MS},
                       .finished_ns = T0 + 354 * MS,
                       .received_ns = T0 + 354500000LL,
                       .completed = 2};
    r[2] = (np_result){.index = 2,
                       .status = NP_STATUS_FAILED,
                       .latency_ms = {40, 0},
                       .attempts = {2, 0},
                       .started_ns = T0 + 3 * MS,
                       .stage_start_ns = {T0 + 3 * MS, 0},
                       .stage_end_ns = {T0 + 90 * MS, 0},
                       .finished_ns = T0 + 90 * MS,
                       .failed_ns = 47 * MS,
                       .backoff_ns = 250000};

    f->runs[0] = (np_run_record){.articles = 3,
                                 .load_ns = 2 * MS,
                                 .process_ns = 400 * MS,
                                 .output_ns = 1 * MS,
                                 .start_ns = T0,
                                 .critical_path_ms = 350,
                                 .queue_capacity = 16,
                                 .queue_max_depth = 2,
                                 .producer_wait_ns = 1500000,
                                 .collector_wait_ns = 300 * MS,
                                 .peak_rss_kb = 4096,
                                 .peak_threads = 3,
                                 .list = &f->list,
                                 .results = f->results,
                                 .articles_detail = 3};
    f->runs[1] = (np_run_record){.warmup = 1, .articles = 3, .process_ns = 10 * MS};
    f->options = (np_run_options){.input = "in.json",
                                  .mode = "thread",
                                  .seed = 42,
                                  .latency_min_ms = 100,
                                  .latency_max_ms = 300,
                                  .queue_capacity = 16,
                                  .fail_rate = 0.1,
                                  .retries = 2,
                                  .timeout_ms = 0,
                                  .rate = 0};
}

/* Writes the report and parses it back; the document must be one valid JSON value. */
static cJSON *write_and_parse(const np_run_options *options, const np_run_record *runs,
                              size_t count)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(np_report_write(out, options, runs, count), 0);
    assert_int_equal(fclose(out), 0);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!doc)
        fail_msg("invalid JSON at byte %td of:\n%s", end ? end - text : -1, text);
    free(text);
    return doc;
}

/* The member at a '.'-separated path (array elements by index), or NULL. */
static const cJSON *at(const cJSON *node, const char *path)
{
    char key[64];
    while (node && *path) {
        size_t len = strcspn(path, ".");
        assert_true(len < sizeof(key));
        memcpy(key, path, len);
        key[len] = '\0';
        path += len + (path[len] == '.');
        if (cJSON_IsArray(node))
            node = cJSON_GetArrayItem(node, atoi(key));
        else
            node = cJSON_GetObjectItemCaseSensitive(node, key);
    }
    return node;
}

static double number_at(const cJSON *doc, const char *path)
{
    const cJSON *n = at(doc, path);
    if (!cJSON_IsNumber(n))
        fail_msg("%s is not a number", path);
    return n->valuedouble;
}

static void assert_null_at(const cJSON *doc, const char *path)
{
    if (!cJSON_IsNull(at(doc, path)))
        fail_msg("%s is not null", path);
}

static void test_report_names_its_schema_tool_and_host(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 2);
    assert_string_equal(at(doc, "schema")->valuestring, "news-processor-report");
    assert_int_equal(number_at(doc, "schema_version"), 1);
    assert_string_equal(at(doc, "tool.name")->valuestring, "news-processor");
    assert_string_equal(at(doc, "tool.version")->valuestring, NP_VERSION);
    const char *created = at(doc, "created")->valuestring;
    assert_int_equal(strlen(created), 20);
    int year, month, day, hour, minute, second;
    char zulu = 0;
    assert_int_equal(sscanf(created, "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour,
                            &minute, &second, &zulu),
                     7);
    assert_int_equal(zulu, 'Z');
    assert_true(year >= 2024);
    assert_true(number_at(doc, "host.cores") >= 1);
    assert_true(cJSON_IsString(at(doc, "host.kernel")));
    cJSON_Delete(doc);
}

static void test_report_lists_the_options(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    assert_string_equal(at(doc, "options.input")->valuestring, "in.json");
    assert_string_equal(at(doc, "options.mode")->valuestring, "thread");
    assert_int_equal(number_at(doc, "options.seed"), 42);
    assert_int_equal(cJSON_GetArraySize(at(doc, "options.latency_ms")), 2);
    assert_int_equal(number_at(doc, "options.latency_ms.0"), 100);
    assert_int_equal(number_at(doc, "options.latency_ms.1"), 300);
    assert_int_equal(number_at(doc, "options.queue_capacity"), 16);
    assert_close(number_at(doc, "options.fail_rate"), 0.1, 0);
    assert_int_equal(number_at(doc, "options.retries"), 2);
    assert_int_equal(number_at(doc, "options.timeout_ms"), 0);
    assert_int_equal(number_at(doc, "options.rate"), 0);
    assert_int_equal(number_at(doc, "options.workers"), 0);
    cJSON_Delete(doc);
}

static void test_run_phases_overhead_and_throughput(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 2);
    assert_int_equal(cJSON_GetArraySize(at(doc, "runs")), 2);
    assert_true(cJSON_IsFalse(at(doc, "runs.0.warmup")));
    assert_true(cJSON_IsTrue(at(doc, "runs.1.warmup")));
    assert_int_equal(number_at(doc, "runs.0.articles"), 3);
    assert_close(number_at(doc, "runs.0.phases_ms.load"), 2, 1e-9);
    assert_close(number_at(doc, "runs.0.phases_ms.process"), 400, 1e-9);
    assert_close(number_at(doc, "runs.0.phases_ms.output"), 1, 1e-9);
    assert_close(number_at(doc, "runs.0.wall_ms"), 400, 1e-9);
    assert_int_equal(number_at(doc, "runs.0.critical_path_ms"), 350);
    assert_close(number_at(doc, "runs.0.overhead"), 1.1429, 1e-9); /* 400 / 350, 4 decimals */
    assert_close(number_at(doc, "runs.0.throughput_per_s"), 7.5, 1e-9);
    assert_int_equal(number_at(doc, "runs.0.queue.capacity"), 16);
    assert_int_equal(number_at(doc, "runs.0.queue.max_depth"), 2);
    assert_close(number_at(doc, "runs.0.queue.producer_wait_ms"), 1.5, 1e-9);
    assert_close(number_at(doc, "runs.0.queue.collector_wait_ms"), 300, 1e-9);
    assert_int_equal(number_at(doc, "runs.0.peak_rss_kb"), 4096);
    assert_int_equal(number_at(doc, "runs.0.peak_threads"), 3);
    cJSON_Delete(doc);
}

static void test_overhead_is_null_without_a_critical_path(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    f.runs[0].critical_path_ms = 0;
    f.runs[0].process_ns = 0;
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    assert_null_at(doc, "runs.0.overhead");
    assert_null_at(doc, "runs.0.throughput_per_s");
    assert_close(number_at(doc, "runs.0.wall_ms"), 0, 0);
    cJSON_Delete(doc);
}

static void test_stage_percentiles(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    /* summarization: simulated {40, 100, 300}, observed {87, 100.5, 301} */
    assert_int_equal(number_at(doc, "runs.0.stages.summarization.count"), 3);
    assert_close(number_at(doc, "runs.0.stages.summarization.simulated_ms.min"), 40, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.simulated_ms.p50"), 100, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.simulated_ms.p90"), 260, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.simulated_ms.p99"), 296, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.simulated_ms.max"), 300, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.observed_ms.min"), 87, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.observed_ms.p50"), 100.5, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.observed_ms.max"), 301, 1e-9);
    /* sentiment: only the two articles that reached it; simulated {50, 200} */
    assert_int_equal(number_at(doc, "runs.0.stages.sentiment.count"), 2);
    assert_close(number_at(doc, "runs.0.stages.sentiment.simulated_ms.p50"), 125, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.sentiment.simulated_ms.p90"), 185, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.sentiment.observed_ms.p50"), 125.75, 1e-9);
    cJSON_Delete(doc);
}

static void test_stage_stats_are_null_without_rows(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 2);
    assert_int_equal(number_at(doc, "runs.1.stages.summarization.count"), 0);
    assert_null_at(doc, "runs.1.stages.summarization.simulated_ms");
    assert_null_at(doc, "runs.1.stages.summarization.observed_ms");
    assert_null_at(doc, "runs.1.stages.sentiment.observed_ms");
    assert_int_equal(cJSON_GetArraySize(at(doc, "runs.1.articles_detail")), 0);
    cJSON_Delete(doc);
}

static void test_article_rows_keep_id_types_and_times(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    assert_int_equal(cJSON_GetArraySize(at(doc, "runs.0.articles_detail")), 3);
    assert_true(cJSON_IsNumber(at(doc, "runs.0.articles_detail.0.id")));
    assert_int_equal(number_at(doc, "runs.0.articles_detail.0.id"), 7);
    assert_true(cJSON_IsString(at(doc, "runs.0.articles_detail.1.id")));
    assert_string_equal(at(doc, "runs.0.articles_detail.1.id")->valuestring, "a-1");
    assert_string_equal(at(doc, "runs.0.articles_detail.0.status")->valuestring, "ok");
    assert_string_equal(at(doc, "runs.0.articles_detail.2.status")->valuestring, "failed");
    assert_close(number_at(doc, "runs.0.articles_detail.0.start_ms"), 1, 1e-9);
    assert_close(number_at(doc, "runs.0.articles_detail.0.end_ms"), 302, 1e-9);
    assert_close(number_at(doc, "runs.0.articles_detail.0.stages.sentiment.start_ms"), 101.5, 1e-9);
    assert_int_equal(number_at(doc, "runs.0.articles_detail.0.stages.sentiment.simulated_ms"), 200);
    assert_int_equal(number_at(doc, "runs.0.articles_detail.0.stages.sentiment.attempts"), 1);
    assert_close(number_at(doc, "runs.0.articles_detail.0.queue_wait_ms"), 1.5, 1e-9);
    assert_close(number_at(doc, "runs.0.articles_detail.0.received_ms"), 302.25, 1e-9);
    assert_int_equal(number_at(doc, "runs.0.articles_detail.1.completed"), 2);
    cJSON_Delete(doc);
}

static void test_missing_timestamps_are_null(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    /* article 9 failed in summarization: no sentiment stage, never reached the collector */
    assert_null_at(doc, "runs.0.articles_detail.2.stages.sentiment.start_ms");
    assert_null_at(doc, "runs.0.articles_detail.2.stages.sentiment.end_ms");
    assert_null_at(doc, "runs.0.articles_detail.2.stages.sentiment.simulated_ms");
    assert_int_equal(number_at(doc, "runs.0.articles_detail.2.stages.sentiment.attempts"), 0);
    assert_int_equal(number_at(doc, "runs.0.articles_detail.2.stages.summarization.attempts"), 2);
    assert_null_at(doc, "runs.0.articles_detail.2.received_ms");
    assert_null_at(doc, "runs.0.articles_detail.2.completed");
    assert_close(number_at(doc, "runs.0.articles_detail.2.failed_ms"), 47, 1e-9);
    assert_close(number_at(doc, "runs.0.articles_detail.2.backoff_ms"), 0.25, 1e-9);
    assert_close(number_at(doc, "runs.0.articles_detail.2.rate_wait_ms"), 0, 0);
    cJSON_Delete(doc);
}

static void test_non_finite_options_are_null_and_options_may_be_absent(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    f.options.fail_rate = NAN;
    f.options.rate = INFINITY;
    f.options.input = NULL;
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    assert_null_at(doc, "options.fail_rate");
    assert_null_at(doc, "options.rate");
    assert_null_at(doc, "options.input");
    cJSON_Delete(doc);
    doc = write_and_parse(NULL, f.runs, 0);
    assert_null_at(doc, "options");
    assert_int_equal(cJSON_GetArraySize(at(doc, "runs")), 0);
    cJSON_Delete(doc);
}

static void test_stream_error_is_reported(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    char small[64];
    FILE *out = fmemopen(small, sizeof(small), "w");
    assert_non_null(out);
    errno = 0;
    assert_int_equal(np_report_write(out, &f.options, f.runs, 1), -1);
    assert_int_not_equal(errno, 0);
    fclose(out);
}

/*
 * TTFT counts from the start of the attempt that produced the first token, as recorded. Here the
 * third attempt began at 500 ms and its first token came at 530 ms; its end (680 ms) lies 80 ms
 * past start + latency, as when a sleep wakes late on a loaded machine. The old estimate (end less
 * latency: 580 ms) gave no first-token delay at all (clamped to 0).
 */
static void test_ttft_counts_from_the_attempts_recorded_start(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    np_result *r = &f.results[0];
    r->attempts[NP_STAGE_SUMMARIZATION] = 3;
    r->latency_ms[NP_STAGE_SUMMARIZATION] = 100;
    r->stage_start_ns[NP_STAGE_SUMMARIZATION] = T0 + 1 * MS;
    r->attempt_start_ns[NP_STAGE_SUMMARIZATION] = T0 + 500 * MS;
    r->first_token_ns[NP_STAGE_SUMMARIZATION] = T0 + 530 * MS;
    r->stage_end_ns[NP_STAGE_SUMMARIZATION] = T0 + 680 * MS;
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    assert_close(number_at(doc, "runs.0.stages.summarization.ttft_ms.min"), 30, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.ttft_ms.max"), 30, 1e-9);
    assert_close(number_at(doc, "runs.0.latency_distribution.summarization.first_token_ms.0"), 30,
                 1e-9);
    assert_close(number_at(doc, "runs.0.latency_distribution.summarization.first_token_ms.100"), 30,
                 1e-9);
    assert_null_at(doc, "runs.0.stages.sentiment.ttft_ms");
    assert_null_at(doc, "runs.0.latency_distribution.sentiment.first_token_ms");
    cJSON_Delete(doc);
}

/*
 * Inter-token gaps are pooled over every gap of every call: a call with 7 gaps of 1 ms weighs
 * seven times one with a single gap of 5 ms, so the median gap is 1 ms (pooling the calls' points
 * unweighted would give 3 ms). The distribution's token_gap_ms table is the same pool.
 */
static void test_token_gaps_pool_every_gap_of_every_call(void **state)
{
    (void)state;
    fixture f;
    build(&f);
    np_gap_recorder seven = {0}, one = {0};
    for (int i = 0; i < 7; i++)
        np_gap_record(&seven, 1 * MS);
    np_gap_record(&one, 5 * MS);
    np_gap_summarize(&seven, &f.results[0].token_gaps[NP_STAGE_SUMMARIZATION]);
    np_gap_summarize(&one, &f.results[1].token_gaps[NP_STAGE_SUMMARIZATION]);
    cJSON *doc = write_and_parse(&f.options, f.runs, 1);
    assert_close(number_at(doc, "runs.0.stages.summarization.token_gap_ms.min"), 1, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.token_gap_ms.p50"), 1, 1e-9);
    assert_close(number_at(doc, "runs.0.stages.summarization.token_gap_ms.max"), 5, 1e-9);
    assert_close(number_at(doc, "runs.0.latency_distribution.summarization.token_gap_ms.50"), 1,
                 1e-9);
    assert_close(number_at(doc, "runs.0.latency_distribution.summarization.token_gap_ms.100"), 5,
                 1e-9);
    assert_null_at(doc, "runs.0.stages.sentiment.token_gap_ms");
    assert_null_at(doc, "runs.0.latency_distribution.sentiment.token_gap_ms");
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_names_its_schema_tool_and_host),
        cmocka_unit_test(test_report_lists_the_options),
        cmocka_unit_test(test_run_phases_overhead_and_throughput),
        cmocka_unit_test(test_overhead_is_null_without_a_critical_path),
        cmocka_unit_test(test_stage_percentiles),
        cmocka_unit_test(test_stage_stats_are_null_without_rows),
        cmocka_unit_test(test_article_rows_keep_id_types_and_times),
        cmocka_unit_test(test_missing_timestamps_are_null),
        cmocka_unit_test(test_non_finite_options_are_null_and_options_may_be_absent),
        cmocka_unit_test(test_stream_error_is_reported),
        cmocka_unit_test(test_ttft_counts_from_the_attempts_recorded_start),
        cmocka_unit_test(test_token_gaps_pool_every_gap_of_every_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

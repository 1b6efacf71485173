/*
 * Unit tests of `news-processor compare`: small reports written by hand as JSON text into a
 * temporary directory, compared through np_compare_main with memory streams for stdout and
 * stderr. They pin the exit statuses (0, 1 on a regression, 2 on each kind of bad input), the
 * significance marks, the verdict, the options-differ listing, n/a for undefined metrics, and
 * the markdown and json formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "np/compare.h"
#include "np/report.h"

#include "workspace.h"

static int setup(void **state)
{
    return workspace_setup(state, "compare");
}

static int teardown(void **state)
{
    return workspace_teardown(state);
}

/*
 * Writes a report with one run per wall time (plus a warm-up run of 1 ms that must be ignored).
 * mode is the options' mode and workers as JSON members; latency the options' latency_ms as
 * JSON; overhead a JSON value for every run; extra more members of every run ("" for none).
 */
static const char *write_report_with(workspace *w, const char *name, const char *mode,
                                     const char *latency, const char *overhead, const char *extra,
                                     const double *walls, size_t n)
{
    char text[16384];
    size_t len = (size_t)snprintf(text, sizeof(text),
                                  "{\"schema\": \"news-processor-report\", \"schema_version\": 1,\n"
                                  " \"options\": {\"input\": \"in.json\", %s, \"seed\": 1, "
                                  "\"latency_ms\": %s},\n"
                                  " \"runs\": [{\"warmup\": true, \"wall_ms\": 1, \"overhead\": 1}",
                                  mode, latency);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(
            text + len, sizeof(text) - len,
            ",\n  {\"warmup\": false, %s\"wall_ms\": %.3f, \"overhead\": %s, "
            "\"throughput_per_s\": %.3f, \"stages\": {\"summarization\": {\"count\": 5, "
            "\"observed_ms\": {\"min\": 90, \"p50\": 100, \"p90\": 110, \"p99\": 120, "
            "\"max\": 125}}, \"sentiment\": {\"count\": 0, \"observed_ms\": null}}, "
            "\"queue\": {\"capacity\": 16, \"max_depth\": 3, \"producer_wait_ms\": 0, "
            "\"collector_wait_ms\": 50}, \"peak_rss_kb\": 4096}",
            extra, walls[i], overhead, 5 / (walls[i] / 1000));
    snprintf(text + len, sizeof(text) - len, "]}\n");
    return write_file(w, name, text);
}

static const char *write_report(workspace *w, const char *name, const char *latency,
                                const char *overhead, const double *walls, size_t n)
{
    return write_report_with(w, name, "\"mode\": \"thread\", \"workers\": 0", latency, overhead, "",
                             walls, n);
}

#define COMPARE(...)                                                                               \
    run_main(np_compare_main, (int)(sizeof((char *[]){"compare", __VA_ARGS__}) / sizeof(char *)),  \
             (char *[]){"compare", __VA_ARGS__, NULL})

/* Asserts that the table has the row expected, a line compared with every run of spaces taken as
 * one (the columns' widths depend on every row). */
static void assert_row(const char *table, const char *expected)
{
    const char *line = table;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char collapsed[512];
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < sizeof(collapsed); i++)
            if (line[i] != ' ' || n == 0 || collapsed[n - 1] != ' ')
                collapsed[n++] = line[i];
        collapsed[n] = '\0';
        if (strcmp(collapsed, expected) == 0)
            return;
        line = end ? end + 1 : NULL;
    }
    fail_msg("expected the row \"%s\" in:\n%s", expected, table);
}

static const double one_second[] = {1000};

static void test_equal_reports_exit_0(void **state)
{
    workspace *w = *state;
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_contains(o.out, "no difference in wall time\n");
    assert_null(strstr(o.out, "options differ"));
    outcome_free(&o);
}

static void test_single_runs_twenty_percent_slower_report_but_pass_the_gate(void **state)
{
    workspace *w = *state;
    const double slower[] = {1200};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", slower, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_row(o.out, "wall_ms 1000.000 1000.000–1000.000 1200.000 1200.000–1200.000 +20.0%");
    assert_contains(o.out, "NEW is 1.20\u00d7 slower\n");
    assert_contains(o.out, "not a failure: with fewer than 4 runs a side there is no "
                           "significance test");
    assert_contains(o.out, "or --allow-single to fail on the threshold alone\n");
    outcome_free(&o);
    o = COMPARE("--allow-single", (char *)a, (char *)b);
    assert_int_equal(o.status, 1);
    assert_null(strstr(o.out, "not a failure"));
    assert_contains(o.out, "(fewer than 4 runs per side: no significance test; use "
                           "'news-processor bench --runs N')\n");
    outcome_free(&o);
}

static void test_three_runs_a_side_are_not_gated_either(void **state)
{
    workspace *w = *state;
    const double base[] = {1000, 1001, 1002}, slower[] = {2000, 2001, 2002};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", base, 3);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", slower, 3);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_contains(o.out, "not a failure");
    outcome_free(&o);
}

static void test_three_percent_regression_is_within_the_default_threshold(void **state)
{
    workspace *w = *state;
    const double slower[] = {1030};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", slower, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_contains(o.out, " +3.0%\n");
    assert_contains(o.out, "NEW is 1.03\u00d7 slower\n");
    outcome_free(&o);
    /* a lower threshold makes the same 3% a regression (single runs: when allowed to) */
    o = COMPARE("--threshold", "2", "--allow-single", (char *)a, (char *)b);
    assert_int_equal(o.status, 1);
    outcome_free(&o);
}

static void test_four_runs_clearly_slower_exit_1(void **state)
{
    workspace *w = *state;
    const double base[] = {1000, 1010, 1020, 1030}, slower[] = {1200, 1210, 1220, 1230};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", base, 4);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", slower, 4);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 1);
    /* medians 1015 and 1215; complete separation of 4 vs 4: p = 2/70 */
    assert_contains(o.out, "+19.7% (p=0.029)\n");
    assert_contains(o.out, "NEW is 1.20\u00d7 slower\n");
    assert_null(strstr(o.out, "fewer than 4 runs"));
    outcome_free(&o);
}

static void test_four_overlapping_runs_are_not_significant(void **state)
{
    workspace *w = *state;
    /* medians 1150 and 1225 (+6.5%, past the threshold) but exact p = 0.486 */
    const double base[] = {1000, 1300, 1010, 1290}, other[] = {1100, 1400, 1005, 1350};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", base, 4);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", other, 4);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_row(o.out, "wall_ms 1150.000 1000.000–1300.000 1225.000 1005.000–1400.000 ~ (p=0.486)");
    assert_contains(o.out, "no significant difference in wall time\n");
    outcome_free(&o);
}

static void test_faster_verdict(void **state)
{
    workspace *w = *state;
    const double base[] = {3000, 3010, 2990, 3020}, faster[] = {1500, 1490, 1510, 1505};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", base, 4);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", faster, 4);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    /* medians 3005 and 1502.5: exactly 2x */
    assert_contains(o.out, "NEW is 2.00\u00d7 faster\n");
    assert_contains(o.out, "-50.0% (p=0.029)\n");
    /* throughput is the other way round */
    assert_contains(o.out, "+100.0% (p=0.029)\n");
    outcome_free(&o);
}

static void test_options_that_differ_are_listed(void **state)
{
    workspace *w = *state;
    const char *a = write_report(w, "a.json", "[500, 1500]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_contains(o.out, "options differ: latency_ms [500, 1500] vs [100, 300]\n");
    /* only the differing option */
    assert_null(strstr(o.out, "options differ: seed"));
    outcome_free(&o);
}

static void test_null_metric_shows_n_a(void **state)
{
    workspace *w = *state;
    const char *a = write_report(w, "a.json", "[100, 300]", "null", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_row(o.out, "overhead n/a n/a 1.0100 1.0100–1.0100 n/a");
    /* the sentiment stage has null stats on both sides: no row */
    assert_null(strstr(o.out, "\nsentiment.p50_ms"));
    outcome_free(&o);
}

static void test_zero_to_zero_is_unchanged(void **state)
{
    workspace *w = *state;
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_row(o.out, "queue.producer_wait_ms 0.000 0.000–0.000 0.000 0.000–0.000 unchanged");
    outcome_free(&o);
    o = COMPARE("--format", "json", (char *)a, (char *)b);
    assert_contains(o.out, "{\"name\": \"queue.producer_wait_ms\", \"base\": 0, \"base_min\": 0, "
                           "\"base_max\": 0, \"new\": 0, \"new_min\": 0, \"new_max\": 0, "
                           "\"delta_pct\": 0, \"p_value\": null, \"significant\": false, "
                           "\"unchanged\": true}");
    outcome_free(&o);
}

static void test_mode_and_workers_read_as_a_schedule(void **state)
{
    workspace *w = *state;
    const char *a = write_report_with(w, "a.json", "\"mode\": \"thread\", \"workers\": 0",
                                      "[100, 300]", "1.01", "", one_second, 1);
    const char *b = write_report_with(w, "b.json", "\"mode\": \"pool\", \"workers\": 4",
                                      "[100, 300]", "1.01", "", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_contains(o.out, "\noptions differ: mode thread vs pool (4 workers)\n");
    assert_null(strstr(o.out, "options differ: workers"));
    outcome_free(&o);
}

static void test_inputs_that_differ_say_how(void **state)
{
    workspace *w = *state;
    const char *a = write_report_with(w, "a.json", "\"mode\": \"thread\"", "[100, 300]", "1.01",
                                      "\"articles\": 15, ", one_second, 1);
    const char *b = write_report_with(w, "b.json", "\"mode\": \"thread\"", "[100, 300]", "1.01",
                                      "\"articles\": 200, ", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_contains(o.out, "\ninputs differ: 15 vs 200 articles a run\n");
    outcome_free(&o);
}

static void test_geomean_of_the_time_metrics(void **state)
{
    workspace *w = *state;
    /* times: wall 1000 -> 4000, summarization p50 and p99 100 and 120 (unchanged), collector wait
     * 50 (unchanged); producer wait is 0, left out. Ratios 4, 1, 1, 1: geomean 4^(1/4) = 1.414;
     * (1000 * 100 * 120 * 50)^(1/4) = 156.508 */
    const double slower[] = {4000};
    const char *a = write_report(w, "a.json", "[100, 300]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", slower, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_row(o.out, "geomean (4 times) 156.508 221.336 +41.4%");
    outcome_free(&o);
}

static void test_json_numbers_have_the_measured_precision(void **state)
{
    workspace *w = *state;
    /* overhead 1.0115 -> 1.012 is +0.0494...%: to the table's precision, 0.05 */
    const char *a = write_report_with(w, "a.json", "\"mode\": \"thread\"", "[100, 300]", "1.0115",
                                      "", one_second, 1);
    /* and the median of these two wall times is 1000.1500000000001 */
    const double two[] = {1000.1, 1000.2};
    const char *b =
        write_report_with(w, "b.json", "\"mode\": \"thread\"", "[100, 300]", "1.012", "", two, 2);
    outcome o = COMPARE("--format", "json", (char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_contains(o.out, "{\"name\": \"wall_ms\", \"base\": 1000, \"base_min\": 1000, "
                           "\"base_max\": 1000, \"new\": 1000.15, \"new_min\": 1000.1, "
                           "\"new_max\": 1000.2, \"delta_pct\": 0.02, ");
    assert_contains(o.out, "{\"name\": \"overhead\", \"base\": 1.0115, \"base_min\": 1.0115, "
                           "\"base_max\": 1.0115, \"new\": 1.012, ");
    assert_contains(o.out, "\"delta_pct\": 0.05, ");
    assert_null(strstr(o.out, "00000"));
    outcome_free(&o);
}

static void test_markdown_format(void **state)
{
    workspace *w = *state;
    const double slower[] = {1200};
    const char *a = write_report(w, "a.json", "[500, 1500]", "1.01", one_second, 1);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", slower, 1);
    outcome o = COMPARE("--format", "markdown", (char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    assert_contains(o.out, "- options differ: latency_ms `[500, 1500]` vs `[100, 300]`\n");
    assert_contains(o.out, "| metric | base median | min–max (n=1) | new median | min–max (n=1) "
                           "| delta |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    assert_contains(o.out, "| wall_ms | 1000.000 | 1000.000–1000.000 | 1200.000 | "
                           "1200.000–1200.000 | +20.0% |\n");
    assert_contains(o.out,
                    "| overhead | 1.0100 | 1.0100–1.0100 | 1.0100 | 1.0100–1.0100 | +0.0% |\n");
    assert_contains(o.out, "NEW is 1.20\u00d7 slower\n");
    assert_contains(o.out, "use `news-processor bench --runs 4` or more");
    outcome_free(&o);
}

static void test_json_format(void **state)
{
    workspace *w = *state;
    const double base[] = {3000, 3010, 2990, 3020}, faster[] = {1500, 1490, 1510, 1505};
    const char *a = write_report(w, "a.json", "[500, 1500]", "null", base, 4);
    const char *b = write_report(w, "b.json", "[100, 300]", "1.01", faster, 4);
    outcome o = COMPARE("--format=json", (char *)a, (char *)b);
    assert_int_equal(o.status, 0);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(o.out, strlen(o.out) + 1, &end, 1);
    if (!doc)
        fail_msg("not JSON: %s", o.out);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "base")->valuestring, a);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "new")->valuestring, b);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "verdict")->valuestring, "faster");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "regression")));
    assert_true(cJSON_GetObjectItemCaseSensitive(doc, "speedup")->valuedouble == 2.0);

    const cJSON *diffs = cJSON_GetObjectItemCaseSensitive(doc, "options_differ");
    assert_int_equal(cJSON_GetArraySize(diffs), 1);
    const cJSON *diff = cJSON_GetArrayItem(diffs, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(diff, "name")->valuestring, "latency_ms");
    assert_int_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(diff, "new"), 1)->valuedouble, 300);

    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(doc, "metrics");
    assert_int_equal(cJSON_GetArraySize(metrics), 19);
    const cJSON *wall = cJSON_GetArrayItem(metrics, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(wall, "name")->valuestring, "wall_ms");
    assert_true(cJSON_GetObjectItemCaseSensitive(wall, "base")->valuedouble == 3005);
    assert_true(cJSON_GetObjectItemCaseSensitive(wall, "new")->valuedouble == 1502.5);
    assert_true(cJSON_GetObjectItemCaseSensitive(wall, "delta_pct")->valuedouble == -50);
    double p = cJSON_GetObjectItemCaseSensitive(wall, "p_value")->valuedouble;
    assert_true(p == 0.0286); /* 2/70, to 4 decimals */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wall, "significant")));
    const cJSON *overhead = cJSON_GetArrayItem(metrics, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(overhead, "name")->valuestring,
                        "overhead");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(overhead, "base")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(overhead, "delta_pct")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(overhead, "p_value")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(overhead, "significant")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "gated")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "beyond_threshold")));
    const cJSON *geomean = cJSON_GetObjectItemCaseSensitive(doc, "geomean");
    assert_true(cJSON_GetObjectItemCaseSensitive(geomean, "metrics")->valuedouble == 4);
    cJSON_Delete(doc);
    outcome_free(&o);
}

/* Runs compare with a good BASE and the given NEW; expects status 2 and exactly one line. */
static void expect_file_error(workspace *w, const char *new_path, const char *message)
{
    const char *a = write_report(w, "good.json", "[100, 300]", "1.01", one_second, 1);
    outcome o = COMPARE((char *)a, (char *)new_path);
    assert_int_equal(o.status, 2);
    assert_string_equal(o.out, "");
    char expected[512];
    snprintf(expected, sizeof(expected), "news-processor: compare: %s: %s\n", new_path, message);
    assert_string_equal(o.err, expected);
    outcome_free(&o);
}

static void test_missing_file_exits_2(void **state)
{
    workspace *w = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/nope.json", w->dir);
    expect_file_error(w, path, "cannot open: No such file or directory");
}

static void test_not_json_exits_2(void **state)
{
    workspace *w = *state;
    expect_file_error(w, write_file(w, "bad.json", "{\"schema\":\n  oops}"),
                      "not JSON (syntax error at line 2, column 3)");
    expect_file_error(w, write_file(w, "empty.json", "\n"), "not JSON (empty file)");
    expect_file_error(w, write_file(w, "trailing.json", "{} {}"),
                      "not JSON (syntax error at line 1, column 4)");
}

static void test_wrong_schema_exits_2(void **state)
{
    workspace *w = *state;
    expect_file_error(w, write_file(w, "articles.json", "[{\"id\": 1}]"),
                      "not a news-processor report (\"schema\" is not \"news-processor-report\")");
    expect_file_error(w,
                      write_file(w, "other.json", "{\"schema\": \"trace\", \"schema_version\": 1}"),
                      "not a news-processor report (\"schema\" is not \"news-processor-report\")");
}

static void test_unknown_schema_version_exits_2(void **state)
{
    workspace *w = *state;
    expect_file_error(w,
                      write_file(w, "v99.json",
                                 "{\"schema\": \"news-processor-report\", \"schema_version\": 99, "
                                 "\"runs\": [{\"wall_ms\": 1}]}"),
                      "unknown schema_version 99 (this news-processor reads version 1)");
}

static void test_report_without_runs_exits_2(void **state)
{
    workspace *w = *state;
    const char *message = "no runs to compare (a report needs a run that is not a warm-up)";
    expect_file_error(w,
                      write_file(w, "none.json",
                                 "{\"schema\": \"news-processor-report\", \"schema_version\": 1, "
                                 "\"runs\": []}"),
                      message);
    expect_file_error(w,
                      write_file(w, "warmups.json",
                                 "{\"schema\": \"news-processor-report\", \"schema_version\": 1, "
                                 "\"runs\": [{\"warmup\": true, \"wall_ms\": 5}]}"),
                      message);
}

static void test_base_error_is_reported_first(void **state)
{
    workspace *w = *state;
    const char *good = write_report(w, "good.json", "[100, 300]", "1.01", one_second, 1);
    outcome o = COMPARE("/nonexistent/base.json", (char *)good);
    assert_int_equal(o.status, 2);
    assert_string_equal(o.err, "news-processor: compare: /nonexistent/base.json: cannot open: "
                               "No such file or directory\n");
    outcome_free(&o);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    outcome o = COMPARE("only-one.json");
    assert_int_equal(o.status, 2);
    assert_string_equal(o.err, "news-processor: compare: expected two reports, BASE.json "
                               "NEW.json (see 'news-processor compare --help')\n");
    outcome_free(&o);
    o = COMPARE("--format", "xml", "a.json", "b.json");
    assert_int_equal(o.status, 2);
    assert_string_equal(o.err,
                        "news-processor: compare: --format 'xml': expected table, markdown or "
                        "json\n");
    outcome_free(&o);
    o = COMPARE("--threshold", "-1", "a.json", "b.json");
    assert_int_equal(o.status, 2);
    assert_string_equal(o.err, "news-processor: compare: --threshold '-1': expected a "
                               "percentage, a number >= 0\n");
    outcome_free(&o);
    o = COMPARE("--frobnicate", "a.json", "b.json");
    assert_int_equal(o.status, 2);
    assert_string_equal(o.err, "news-processor: compare: unknown option '--frobnicate' (see "
                               "'news-processor compare --help')\n");
    assert_string_equal(o.out, "");
    outcome_free(&o);
}

/* Writes runs with the given wall times through the real report writer. */
static const char *write_with_report_writer(workspace *w, const char *name, const long long *walls,
                                            size_t n, int fresh_processes)
{
    np_run_record runs[4];
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++)
        runs[i] = (np_run_record){.articles = 10,
                                  .process_ns = walls[i],
                                  .critical_path_ms = 1000,
                                  .queue_capacity = 16,
                                  .peak_rss_kb = 2048 + (long)i, /* in one process: it grows */
                                  .has_process = fresh_processes,
                                  .process_wall_ns = walls[i] + 40000000,
                                  .user_ns = 30000000,
                                  .sys_ns = 10000000 + (long long)i * 1000000,
                                  .max_rss_kb = 4096 + (long)i};
    np_run_options options = {.input = "in.json",
                              .mode = "thread",
                              .seed = 1,
                              .latency_min_ms = 500,
                              .latency_max_ms = 1500,
                              .queue_capacity = 16};
    const char *path = new_path(w, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(np_report_write(f, &options, runs, n), 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_reads_what_the_report_writer_writes(void **state)
{
    workspace *w = *state;
    const long long base[] = {1010000000, 1020000000, 1030000000, 1040000000};
    const long long slower[] = {1510000000, 1520000000, 1530000000, 1540000000};
    const char *a = write_with_report_writer(w, "a.json", base, 4, 0);
    const char *b = write_with_report_writer(w, "b.json", slower, 4, 0);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_string_equal(o.err, "");
    assert_int_equal(o.status, 1);
    assert_row(o.out,
               "wall_ms 1025.000 1010.000–1040.000 1525.000 1510.000–1540.000 +48.8% (p=0.029)");
    assert_row(o.out, "overhead 1.0250 1.0100–1.0400 1.5250 1.5100–1.5400 +48.8% (p=0.029)");
    /* the writer has no per-article rows here, and runs in one process have no process figures:
     * no rows for them */
    assert_null(strstr(o.out, "\nsummarization.p50_ms"));
    assert_null(strstr(o.out, "\nprocess_wall_ms"));
    /* a peak shared by runs in one process only grows: never tested */
    assert_row(o.out, "peak_rss_kb 2050 2048–2051 2050 2048–2051 +0.0% (not tested)");
    assert_contains(o.out, "peak_rss_kb: runs made in one process share one peak, which only "
                           "grows from run to run: not tested\n");
    assert_contains(o.out, "NEW is 1.49\u00d7 slower\n");
    assert_null(strstr(o.out, "options differ"));
    outcome_free(&o);
}

static void test_compares_the_whole_process_of_fresh_process_runs(void **state)
{
    workspace *w = *state;
    const long long base[] = {1010000000, 1020000000, 1030000000, 1040000000};
    const long long slower[] = {1510000000, 1520000000, 1530000000, 1540000000};
    const char *a = write_with_report_writer(w, "a.json", base, 4, 1);
    const char *b = write_with_report_writer(w, "b.json", slower, 4, 1);
    outcome o = COMPARE((char *)a, (char *)b);
    assert_int_equal(o.status, 1);
    assert_row(o.out, "process_wall_ms 1065.000 1050.000–1080.000 1565.000 1550.000–1580.000 "
                      "+46.9% (p=0.029)");
    assert_row(o.out, "user_ms 30.000 30.000–30.000 30.000 30.000–30.000 ~ (p=1.000)");
    assert_row(o.out, "max_rss_kb 4098 4096–4099 4098 4096–4099 ~ (p=1.000)");
    /* each run its own process: its peak is a sample like any other */
    assert_row(o.out, "peak_rss_kb 2050 2048–2051 2050 2048–2051 ~ (p=1.000)");
    assert_null(strstr(o.out, "not tested"));
    outcome_free(&o);
}

static void test_help_goes_to_stdout(void **state)
{
    (void)state;
    outcome o = COMPARE("--help");
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_contains(o.out, "Usage: news-processor compare [OPTIONS] BASE.json NEW.json\n");
    assert_contains(o.out, "--threshold PCT");
    assert_contains(o.out, "--format FORMAT");
    outcome_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_equal_reports_exit_0, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_single_runs_twenty_percent_slower_report_but_pass_the_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_runs_a_side_are_not_gated_either, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zero_to_zero_is_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_and_workers_read_as_a_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inputs_that_differ_say_how, setup, teardown),
        cmocka_unit_test_setup_teardown(test_geomean_of_the_time_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_numbers_have_the_measured_precision, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_three_percent_regression_is_within_the_default_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_four_runs_clearly_slower_exit_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_four_overlapping_runs_are_not_significant, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_faster_verdict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_that_differ_are_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_metric_shows_n_a, setup, teardown),
        cmocka_unit_test_setup_teardown(test_markdown_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_json_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_schema_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_schema_version_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_without_runs_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_error_is_reported_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_what_the_report_writer_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compares_the_whole_process_of_fresh_process_runs,
                                        setup, teardown),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_help_goes_to_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

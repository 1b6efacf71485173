/*
 * Unit tests of `news-processor merge`: shard outputs written by hand as NDJSON into a temporary
 * directory, merged through np_merge_main with memory streams for stdout and stderr. They pin
 * the input order whatever the order of parts and lines, the lines kept byte for byte, the
 * combined figures, the NDJSON format, -o, and each refusal (exit 2) with its message: an index
 * twice, indexes missing, a line that is not a result (with its FILE:LINE:COL), usage errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/merge.h"

#include "workspace.h"

static int setup(void **state)
{
    return workspace_setup(state, "merge");
}

static int teardown(void **state)
{
    return workspace_teardown(state);
}

/* np_merge_main with the umask the expectations assume. */
static int merge_main(int argc, char **argv, FILE *out, FILE *err)
{
    return np_merge_main(argc, argv, out, err, 022);
}

#define MERGE(...)                                                                                 \
    run_main(merge_main, (int)(sizeof((char *[]){"merge", __VA_ARGS__}) / sizeof(char *)),         \
             (char *[]){"merge", __VA_ARGS__, NULL})

/* Two shards of five articles (indexes 0, 2, 4 and 1, 3), each in completion order. */
#define SHARD_0                                                                                    \
    "{\"id\": 5, \"status\": \"ok\", \"completed\": 1, \"index\": 4}\n"                            \
    "{\"id\": 1, \"status\": \"failed\", \"completed\": 2, \"index\": 0, \"error\": \"x\"}\n"      \
    "{\"id\": 3, \"status\": \"ok\", \"completed\": 3, \"index\": 2}\n"
#define SHARD_1                                                                                    \
    "{\"id\": \"b\", \"status\": \"cancelled\", \"completed\": 1, \"index\": 3}\n"                 \
    "\n"                                                                                           \
    "{\"id\": 2, \"title\": \"caf\xc3\xa9\",  \"status\": \"ok\", \"completed\": 2, \"index\": "   \
    "1}\r\n"

static void test_parts_in_any_order_merge_into_input_order(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", SHARD_0);
    char *b = write_file(w, "b.ndjson", SHARD_1);
    outcome o = MERGE(b, a);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    /* Each line exactly as the shard wrote it (spacing, UTF-8), without its CR; input order. */
    assert_string_equal(
        o.out,
        "{\"articles\": [\n"
        "  {\"id\": 1, \"status\": \"failed\", \"completed\": 2, \"index\": 0, \"error\": \"x\"},\n"
        "  {\"id\": 2, \"title\": \"caf\xc3\xa9\",  \"status\": \"ok\", \"completed\": 2, "
        "\"index\": 1},\n"
        "  {\"id\": 3, \"status\": \"ok\", \"completed\": 3, \"index\": 2},\n"
        "  {\"id\": \"b\", \"status\": \"cancelled\", \"completed\": 1, \"index\": 3},\n"
        "  {\"id\": 5, \"status\": \"ok\", \"completed\": 1, \"index\": 4}\n"
        "],\n"
        "\"run\": {\"articles\": 5, \"parts\": 2, \"status\": {\"ok\": 3, \"failed\": 1, "
        "\"cancelled\": 1}}}\n");
    outcome_free(&o);
}

static void test_ndjson_format_writes_lines_in_input_order(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", SHARD_0);
    char *b = write_file(w, "b.ndjson", SHARD_1);
    outcome o = MERGE("--format", "ndjson", a, b);
    assert_int_equal(o.status, 0);
    const char *index_order[] = {"\"index\": 0", "\"index\": 1", "\"index\": 2", "\"index\": 3",
                                 "\"index\": 4"};
    const char *line = o.out;
    for (size_t i = 0; i < 5; i++) {
        const char *end = strchr(line, '\n');
        assert_non_null(end);
        char text[256];
        snprintf(text, sizeof(text), "%.*s", (int)(end - line), line);
        assert_contains(text, index_order[i]);
        line = end + 1;
    }
    assert_string_equal(line, "");
    outcome_free(&o);
}

static void test_output_file_gets_the_document(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", SHARD_0);
    char *b = write_file(w, "b.ndjson", SHARD_1);
    char *target = new_path(w, "all.json");
    outcome o = MERGE("-o", target, a, b);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "");
    FILE *f = fopen(target, "r");
    assert_non_null(f);
    char text[1024] = {0};
    assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
    fclose(f);
    assert_contains(text, "\"run\": {\"articles\": 5, \"parts\": 2");
    outcome_free(&o);
}

static void test_no_articles_is_an_empty_document(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", "");
    outcome o = MERGE(a);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "{\"articles\": [],\n\"run\": {\"articles\": 0, \"parts\": 1, "
                               "\"status\": {\"ok\": 0, \"failed\": 0, \"cancelled\": 0}}}\n");
    outcome_free(&o);
}

static void test_an_index_twice_is_refused(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", SHARD_0);
    char *b = write_file(w, "b.ndjson", SHARD_1);
    outcome o = MERGE(a, b, a);
    assert_int_equal(o.status, 2);
    assert_string_equal(o.out, "");
    assert_contains(o.err, "news-processor: merge: index 0 appears twice");
    outcome_free(&o);
}

static void test_missing_indexes_are_named(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", SHARD_0);
    outcome o = MERGE(a);
    assert_int_equal(o.status, 2);
    assert_string_equal(o.out, "");
    assert_string_equal(o.err, "news-processor: merge: 2 of the 5 articles up to index 4 are "
                               "missing: index 1, 3; is a shard's output missing?\n");
    outcome_free(&o);
}

static void test_many_missing_indexes_are_counted(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", "{\"status\": \"ok\", \"index\": 99}\n");
    outcome o = MERGE(a);
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "99 of the 100 articles up to index 99 are missing: index 0, 1, 2, 3, "
                           "4, 5, 6, 7, 8, 9, ... (89 more)");
    outcome_free(&o);
}

static void test_a_line_that_is_not_json_gives_its_position(void **state)
{
    workspace *w = *state;
    char *a =
        write_file(w, "a.ndjson",
                   "{\"status\": \"ok\", \"index\": 0}\n{\"title\": \"\xc3\xa9\", \"index\": }\n");
    outcome o = MERGE(a);
    assert_int_equal(o.status, 2);
    char expected[256];
    snprintf(expected, sizeof(expected), "news-processor: %s:2:25: not a JSON result line\n", a);
    assert_string_equal(o.err, expected);
    outcome_free(&o);
}

static void test_a_results_document_is_refused_with_a_hint(void **state)
{
    workspace *w = *state;
    char *a =
        write_file(w, "all.json",
                   "{\"articles\": [\n  {\"status\": \"ok\", \"index\": 0}\n],\n\"run\": {}}\n");
    outcome o = MERGE(a);
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "all.json:1:15: not a JSON result line (a results document? merge "
                           "takes the shards' --format ndjson outputs)");
    outcome_free(&o);
}

static void test_lines_that_are_not_results_are_refused(void **state)
{
    workspace *w = *state;
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        {"[1, 2]\n", ":1: not a result object"},
        {"{\"id\": 1, \"status\": \"ok\"}\n", ":1: no \"index\""},
        {"{\"status\": \"ok\", \"index\": -1}\n", ":1: \"index\" must be a whole number from 0"},
        {"{\"status\": \"ok\", \"index\": 1.5}\n", ":1: \"index\" must be a whole number from 0"},
        {"{\"status\": \"ok\", \"index\": \"0\"}\n", ":1: \"index\" must be a whole number from 0"},
        {"{\"index\": 0}\n", ":1: no \"status\""},
        {"{\"status\": \"done\", \"index\": 0}\n",
         ":1: \"status\" must be ok, failed or cancelled"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "bad%zu.ndjson", i);
        char *a = write_file(w, name, cases[i].line);
        outcome o = MERGE(a);
        assert_int_equal(o.status, 2);
        assert_string_equal(o.out, "");
        assert_contains(o.err, cases[i].message);
        outcome_free(&o);
    }
}

static void test_usage_errors_exit_2(void **state)
{
    workspace *w = *state;
    char *a = write_file(w, "a.ndjson", SHARD_0);
    outcome o = MERGE("--format", "xml", a);
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "--format 'xml': expected json or ndjson");
    outcome_free(&o);
    o = run_main(merge_main, 1, (char *[]){"merge", NULL});
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "expected the shards' outputs");
    outcome_free(&o);
    o = MERGE("-", "-");
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "only one part can come from standard input");
    outcome_free(&o);
    o = MERGE("--bogus", a);
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "unknown option '--bogus'");
    outcome_free(&o);
    o = MERGE("/nonexistent/part.ndjson");
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "/nonexistent/part.ndjson: cannot open: No such file or directory");
    outcome_free(&o);
    o = MERGE(w->dir);
    assert_int_equal(o.status, 2);
    assert_contains(o.err, "cannot read: Is a directory");
    outcome_free(&o);
}

static void test_help_lists_the_options(void **state)
{
    (void)state;
    outcome o = MERGE("--help");
    assert_int_equal(o.status, 0);
    assert_contains(o.out, "Usage: news-processor merge [OPTIONS] PART.ndjson...");
    assert_contains(o.out, "  -o, --output FILE");
    assert_contains(o.out, "      --format FMT");
    outcome_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parts_in_any_order_merge_into_input_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ndjson_format_writes_lines_in_input_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_output_file_gets_the_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_articles_is_an_empty_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_index_twice_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_indexes_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_missing_indexes_are_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_line_that_is_not_json_gives_its_position, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_results_document_is_refused_with_a_hint, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lines_that_are_not_results_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_lists_the_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

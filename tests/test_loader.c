/*
 * Unit tests of the loader: every class of bad input gets its exact message (positions pinned),
 * and valid input is read without anything being changed.
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

#include "np/loader.h"

/* Parses text (NUL-terminated, as the loader requires) and returns the message, or "OK". */
static const char *parse_text(const char *text, size_t len, np_article_list *list, char *err)
{
    if (np_loader_parse(text, len, "in.json", list, err, NP_LOADER_ERROR_SIZE) == 0)
        return "OK";
    assert_null(list->items); /* nothing half-built is handed back */
    assert_int_equal(list->count, 0);
    return err;
}

static void expect_error(const char *text, const char *message)
{
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, strlen(text), &list, err), message);
}

#define ARTICLE(id) "{\"id\": " id ", \"title\": \"t\", \"content\": \"c\"}"

static void test_valid_array_loads_every_field_exactly(void **state)
{
    (void)state;
    const char *text = "[{\"id\": 7, \"title\": \"Caf\\u00e9 \\\"news\\\"\", \"content\": \"\"},\n"
                       " {\"content\": \"Body.\", \"id\": \"a-7\", \"extra\": [1, {}], "
                       "\"title\": \"S\\u00e3o Paulo \xf0\x9f\x8c\x8d\"}]";
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, strlen(text), &list, err), "OK");
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].id.kind, NP_ID_NUMBER);
    assert_int_equal(list.items[0].id.number, 7);
    assert_string_equal(list.items[0].title, "Caf\xc3\xa9 \"news\"");
    assert_int_equal(list.items[0].content_len, 0);
    assert_int_equal(list.items[1].id.kind, NP_ID_STRING);
    assert_int_equal(list.items[1].id.text_len, 3);
    assert_memory_equal(list.items[1].id.text, "a-7", 3);
    assert_string_equal(list.items[1].title, "S\xc3\xa3o Paulo \xf0\x9f\x8c\x8d");
    assert_string_equal(list.items[1].content, "Body.");
    np_article_list_free(&list);
}

static void test_object_with_articles_member_is_accepted(void **state)
{
    (void)state;
    const char *text = "{\"source\": \"wire\", \"articles\": [" ARTICLE("1") "]}";
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, strlen(text), &list, err), "OK");
    assert_int_equal(list.count, 1);
    np_article_list_free(&list);
}

static void test_empty_array_is_zero_articles(void **state)
{
    (void)state;
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(" [ ] \n", 6, &list, err), "OK");
    assert_int_equal(list.count, 0);
    np_article_list_free(&list);
}

static void test_numeric_ids_read_as_integers(void **state)
{
    (void)state;
    const char *text =
        "[" ARTICLE("1.0") "," ARTICLE("1e2") "," ARTICLE("-0") "," ARTICLE("9007199254740991") "]";
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, strlen(text), &list, err), "OK");
    assert_int_equal(list.items[0].id.number, 1);
    assert_int_equal(list.items[1].id.number, 100);
    assert_int_equal(list.items[2].id.number, 0);
    assert_int_equal(list.items[3].id.number, 9007199254740991ULL);
    np_article_list_free(&list);
}

static void test_number_and_string_ids_are_different(void **state)
{
    (void)state;
    const char *text = "[" ARTICLE("1") "," ARTICLE("\"1\"") "]";
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, strlen(text), &list, err), "OK");
    np_article_list_free(&list);
}

static void test_utf8_bom_is_skipped(void **state)
{
    (void)state;
    const char *text = "\xef\xbb\xbf[" ARTICLE("1") "]";
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, strlen(text), &list, err), "OK");
    np_article_list_free(&list);
    expect_error("\xef\xbb\xbf[1,]", "in.json:1:3: trailing comma before ']'");
    /* Only one, at the very start: cJSON alone would skip a second. */
    expect_error("\xef\xbb\xbf\xef\xbb\xbf[]", "in.json:1:1: syntax error at byte 0xEF");
    expect_error(" \xef\xbb\xbf[]", "in.json:1:2: syntax error at byte 0xEF");
}

static void test_empty_or_blank_input_is_an_error(void **state)
{
    (void)state;
    expect_error("", "in.json: empty input: expected a JSON array of articles");
    expect_error(" \n\t\r\n", "in.json: empty input: expected a JSON array of articles");
}

static void test_syntax_errors_report_line_and_column(void **state)
{
    (void)state;
    expect_error("[", "in.json:1:2: unexpected end of input");
    expect_error("[\n  {\"id\": 1,\n   \"title\": x}]", "in.json:3:13: syntax error at 'x'");
    expect_error("{\"a\":1,}", "in.json:1:7: trailing comma before '}'");
    expect_error("[1,\n]", "in.json:1:3: trailing comma before ']'");
    expect_error("[1 2]", "in.json:1:4: unexpected number");
    expect_error("[\"abc", "in.json:1:2: unterminated string");
    expect_error("[\"\\x\"]", "in.json:1:3: invalid escape '\\x' in string");
    expect_error("[\"\\ud800\"]",
                 "in.json:1:3: invalid \\u escape (bad hex digits or an unpaired surrogate)");
    expect_error("[tru]", "in.json:1:2: syntax error at 't'");
}

static void test_columns_count_characters_not_bytes(void **state)
{
    (void)state;
    /* "é" is two bytes but one column: the x is the 6th character. */
    expect_error("[\"\xc3\xa9\" x]", "in.json:1:6: syntax error at 'x'");
}

static void test_trailing_data_is_rejected(void **state)
{
    (void)state;
    expect_error("[]x", "in.json:1:3: unexpected data after the JSON document");
    expect_error("[] \n []", "in.json:2:2: unexpected data after the JSON document");
}

static void test_what_cjson_accepts_but_json_forbids_is_rejected(void **state)
{
    (void)state;
    expect_error("[01]", "in.json:1:2: invalid number: leading zeros are not allowed");
    expect_error("[1.]", "in.json:1:2: invalid number: digit expected after '.'");
    expect_error("[1.e5]", "in.json:1:2: invalid number: digit expected after '.'");
    expect_error("[-]", "in.json:1:2: invalid number: digit expected after '-'");
    expect_error("[\"a\tb\"]", "in.json:1:4: control character U+0009 must be escaped in a string");
    expect_error("[1,\f2]", "in.json:1:4: control character U+000C is not JSON whitespace");
    /* cJSON reads a \u escape with bad hex digits as U+0000 and cuts the string (fuzzer find). */
    expect_error("[\"a\\uVear\"]", "in.json:1:4: invalid \\u escape: four hex digits expected");
    expect_error("[\"a\\u0000b\"]",
                 "in.json:1:4: \"\\u0000\" (a NUL character) is not supported in strings");
}

static void test_invalid_utf8_is_rejected(void **state)
{
    (void)state;
    expect_error("[\"\xff\"]", "in.json:1:3: invalid UTF-8 in string (byte 0xFF)");
    expect_error("[\"\xc0\xaf\"]",
                 "in.json:1:3: invalid UTF-8 in string (byte 0xC0)"); /* overlong */
    expect_error("[\"\xed\xa0\x80\"]", "in.json:1:3: invalid UTF-8 in string (byte 0xED)");
    expect_error("[\"ab\xe2\x82\"]", "in.json:1:5: invalid UTF-8 in string (byte 0xE2)");
}

static void test_nul_byte_is_rejected(void **state)
{
    (void)state;
    static const char text[] = "[\n  1\0]";
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, sizeof(text) - 1, &list, err),
                        "in.json:2:4: NUL byte in input");
}

static void test_deep_nesting_is_reported_as_such(void **state)
{
    (void)state;
    size_t depth = 1001;
    char *text = malloc(2 * depth + 1);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    expect_error(text, "in.json:1:1001: nested too deeply (more than 1000 levels)");
    free(text);
}

static void test_schema_errors_name_the_article(void **state)
{
    (void)state;
    expect_error("{}", "in.json: the top-level object has no \"articles\" member");
    expect_error("{\"Articles\": []}", "in.json: the top-level object has no \"articles\" member");
    expect_error("{\"articles\": {}}", "in.json: \"articles\" must be an array, not an object");
    expect_error("{\"articles\": [], \"articles\": []}",
                 "in.json: duplicate member \"articles\" in the top-level object");
    expect_error("42", "in.json: expected an array of articles, or an object with an "
                       "\"articles\" array; found a number");
    expect_error("[" ARTICLE("1") ", 5]",
                 "in.json: article #2: expected an object, found a number");
    expect_error("[{\"ID\": 1}]", "in.json: article #1: missing \"id\"");
    expect_error("[{\"id\": 7, \"title\": \"t\"}]",
                 "in.json: article #1 (id 7): missing \"content\"");
    expect_error("[{\"id\": 7, \"content\": \"c\"}]",
                 "in.json: article #1 (id 7): missing \"title\"");
    expect_error(
        "[" ARTICLE("1") "," ARTICLE("2") ",{\"id\": 7, \"title\": \"t\", \"content\": 5}]",
        "in.json: article #3 (id 7): \"content\" must be a string, not a number");
    expect_error("[{\"id\": \"x\", \"title\": null, \"content\": \"c\"}]",
                 "in.json: article #1 (id \"x\"): \"title\" must be a string, not null");
    expect_error("[{\"id\": 1, \"title\": \"t\", \"title\": \"u\", \"content\": \"c\"}]",
                 "in.json: article #1 (id 1): member \"title\" appears twice");
    /* A name with a control character is escaped: the message stays one line (found by the
     * fuzzer, tests/fuzz/findings/duplicate-member-with-cr.json). */
    expect_error(
        "[{\"id\": 1, \"t\\r\": \"t\", \"t\\r\": \"u\", \"title\": \"t\", \"content\": \"c\"}]",
        "in.json: article #1 (id 1): member \"t\\u000d\" appears twice");
}

static void test_bad_ids_are_rejected(void **state)
{
    static const char *const bad_ids[] = {"1.5",  "-1",   "1e400", "9007199254740992",
                                          "true", "null", "[1]",   "\"\""};
    (void)state;
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "[{\"id\": %s, \"title\": \"t\", \"content\": \"c\"}]",
                 bad_ids[i]);
        np_article_list list;
        char err[NP_LOADER_ERROR_SIZE];
        const char *message = parse_text(text, strlen(text), &list, err);
        assert_non_null(strstr(message, "in.json: article #1: \"id\" must"));
    }
}

/* cJSON reads a non-zero literal below the smallest double as 0: an id of 1e-400 became id 0. */
static void test_numbers_that_underflow_to_zero_are_rejected(void **state)
{
    (void)state;
    expect_error("[" ARTICLE("1e-400") "]",
                 "in.json:1:9: number underflows to 0 (a non-zero literal too small for a double)");
    expect_error("[\n " ARTICLE("-2.5E-330") "]",
                 "in.json:2:9: number underflows to 0 (a non-zero literal too small for a double)");
    char text[512] = "[{\"id\": 0.";
    memset(text + strlen(text), '0', 340);
    strcat(text, "1, \"title\": \"t\", \"content\": \"c\"}]");
    expect_error(text,
                 "in.json:1:9: number underflows to 0 (a non-zero literal too small for a double)");
    /* Zero written any way, and the smallest doubles, are still read as what they are. */
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    const char *zeros = "[" ARTICLE("0") "," ARTICLE("-0.0e-400") "]";
    assert_string_equal(parse_text(zeros, strlen(zeros), &list, err),
                        "in.json: article #2 (id 0): duplicate id (also article #1)");
    const char *zero = "[" ARTICLE("0e-999") "]";
    assert_string_equal(parse_text(zero, strlen(zero), &list, err), "OK");
    assert_int_equal(list.items[0].id.number, 0);
    np_article_list_free(&list);
    const char *tiny = "[" ARTICLE("1") ", {\"x\": 4.9e-324}]";
    assert_string_equal(parse_text(tiny, strlen(tiny), &list, err),
                        "in.json: article #2: missing \"id\"");
}

/* An NDJSON line is checked by the same strict pass. */
static void test_ndjson_id_that_underflows_is_rejected(void **state)
{
    (void)state;
    static const char line[] = "{\"id\": 1e-400, \"title\": \"t\", \"content\": \"c\"}";
    np_article *a = NULL;
    char err[NP_LOADER_ERROR_SIZE];
    assert_int_equal(
        np_loader_parse_object(line, sizeof(line) - 1, "in.ndjson", 4, 2, &a, err, sizeof(err)),
        -1);
    assert_null(a);
    assert_string_equal(
        err, "in.ndjson:4:8: number underflows to 0 (a non-zero literal too small for a double)");
}

static void test_duplicate_ids_are_rejected(void **state)
{
    (void)state;
    expect_error("[" ARTICLE("1") "," ARTICLE("2") "," ARTICLE("1.0") "]",
                 "in.json: article #3 (id 1): duplicate id (also article #1)");
    expect_error("[" ARTICLE("\"b\"") "," ARTICLE("\"b\"") "]",
                 "in.json: article #2 (id \"b\"): duplicate id (also article #1)");
}

static void test_the_first_wrong_article_is_reported_duplicate_or_not(void **state)
{
    (void)state;
    /* Articles are checked in order, each for its schema and then for a duplicate id: whichever
     * comes first in the input is the one reported. */
    expect_error("[" ARTICLE("1") "," ARTICLE("1") ",{\"id\": 3, \"content\": \"c\"}]",
                 "in.json: article #2 (id 1): duplicate id (also article #1)");
    expect_error("[" ARTICLE("1") ",{\"id\": 2, \"content\": \"c\"}," ARTICLE("1") "]",
                 "in.json: article #2 (id 2): missing \"title\"");
    expect_error("[" ARTICLE("1") ",{\"id\": 1, \"content\": \"c\"}]",
                 "in.json: article #2 (id 1): missing \"title\"");
    expect_error("[" ARTICLE("1") "," ARTICLE("1") ", 7]",
                 "in.json: article #2 (id 1): duplicate id (also article #1)");
}

static void test_many_articles_load_in_order(void **state)
{
    (void)state;
    enum { N = 20000 };
    size_t cap = (size_t)N * 64 + 16, used = 0;
    char *text = malloc(cap);
    used += (size_t)snprintf(text + used, cap - used, "[");
    for (int i = 0; i < N; i++)
        used += (size_t)snprintf(text + used, cap - used,
                                 "%s{\"id\":%d,\"title\":\"t\",\"content\":\"c\"}", i ? "," : "",
                                 N - i);
    used += (size_t)snprintf(text + used, cap - used, "]");
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_string_equal(parse_text(text, used, &list, err), "OK");
    assert_int_equal(list.count, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(list.items[i].id.number, (uint64_t)(N - i));
    np_article_list_free(&list);
    free(text);
}

/*
 * A document of n articles, one per line after the opening "[\n", with first inserted into the
 * first article and last appended after the n-th (before "\n]\n" unless last supplies its own
 * ending). Over 1 MiB, the strict pass runs on its own thread while cJSON parses.
 */
static char *big_document(size_t n, const char *first, const char *last, size_t *len)
{
    size_t cap = n * 96 + strlen(first) + strlen(last) + 64, used = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    used += (size_t)snprintf(text + used, cap - used, "[\n");
    for (size_t i = 0; i < n; i++)
        used +=
            (size_t)snprintf(text + used, cap - used,
                             "{\"id\":%zu,\"title\":\"t\",\"content\":\"some words here\"%s}%s\n",
                             i + 1, i == 0 ? first : "", i + 1 < n ? "," : "");
    used += (size_t)snprintf(text + used, cap - used, "%s", last);
    *len = used;
    return text;
}

static void test_large_input_is_checked_as_strictly_and_reports_the_same(void **state)
{
    (void)state;
    enum { N = 30000 }; /* about 2 MB */
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    size_t len;
    char *text = big_document(N, "", "]\n", &len);
    assert_true(len > ((size_t)1 << 20));
    assert_string_equal(parse_text(text, len, &list, err), "OK");
    assert_int_equal(list.count, N);
    assert_string_equal(list.items[N - 1].content, "some words here");
    np_article_list_free(&list);
    free(text);

    /* What only the strict pass catches, far into the input: its message and position. */
    text = big_document(N, "", ",{\"id\":0,\"title\":\"t\",\"content\":\"c\",\"x\":01}]\n", &len);
    char expected[128];
    snprintf(expected, sizeof(expected),
             "in.json:%d:40: invalid number: leading zeros are not allowed", N + 2);
    assert_string_equal(parse_text(text, len, &list, err), expected);
    free(text);

    /* Both kinds: a strict error early and a syntax error late. cJSON's is reported, as when
     * the passes run in turn (the strict pass only ever sees what cJSON accepted). */
    text = big_document(N, ",\"x\":01", "\n", &len);
    snprintf(expected, sizeof(expected), "in.json:%d:1: unexpected end of input", N + 3);
    assert_string_equal(parse_text(text, len, &list, err), expected);
    free(text);
}

static void test_duplicate_members_are_found_among_many(void **state)
{
    (void)state;
    /* More members than are compared pairwise: found by sorting. */
    expect_error("[{\"id\": 1, \"title\": \"t\", \"content\": \"c\", \"a\": 1, \"b\": 2, "
                 "\"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"b\": 7}]",
                 "in.json: article #1 (id 1): member \"b\" appears twice");
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    const char *distinct = "[{\"id\": 1, \"title\": \"t\", \"content\": \"c\", \"a\": 1, "
                           "\"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7}]";
    assert_string_equal(parse_text(distinct, strlen(distinct), &list, err), "OK");
    np_article_list_free(&list);
}

static void test_missing_file_and_directory_are_errors(void **state)
{
    (void)state;
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_int_equal(np_loader_load_file("/nonexistent/x.json", &list, err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/x.json: cannot open: No such file or directory");
    assert_int_equal(np_loader_load_file("/", &list, err, sizeof(err)), -1);
    assert_string_equal(err, "/: is a directory, not a JSON file");
}

static void test_file_is_read_whole(void **state)
{
    (void)state;
    char path[] = "/tmp/np-test-loader-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[" ARTICLE("1") ",\n" ARTICLE("2") "]\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    assert_int_equal(np_loader_load_file(path, &list, err, sizeof(err)), 0);
    assert_int_equal(list.count, 2);
    np_article_list_free(&list);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_array_loads_every_field_exactly),
        cmocka_unit_test(test_object_with_articles_member_is_accepted),
        cmocka_unit_test(test_empty_array_is_zero_articles),
        cmocka_unit_test(test_numeric_ids_read_as_integers),
        cmocka_unit_test(test_number_and_string_ids_are_different),
        cmocka_unit_test(test_utf8_bom_is_skipped),
        cmocka_unit_test(test_empty_or_blank_input_is_an_error),
        cmocka_unit_test(test_syntax_errors_report_line_and_column),
        cmocka_unit_test(test_columns_count_characters_not_bytes),
        cmocka_unit_test(test_trailing_data_is_rejected),
        cmocka_unit_test(test_what_cjson_accepts_but_json_forbids_is_rejected),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_nul_byte_is_rejected),
        cmocka_unit_test(test_deep_nesting_is_reported_as_such),
        cmocka_unit_test(test_schema_errors_name_the_article),
        cmocka_unit_test(test_bad_ids_are_rejected),
        cmocka_unit_test(test_numbers_that_underflow_to_zero_are_rejected),
        cmocka_unit_test(test_ndjson_id_that_underflows_is_rejected),
        cmocka_unit_test(test_duplicate_ids_are_rejected),
        cmocka_unit_test(test_the_first_wrong_article_is_reported_duplicate_or_not),
        cmocka_unit_test(test_many_articles_load_in_order),
        cmocka_unit_test(test_large_input_is_checked_as_strictly_and_reports_the_same),
        cmocka_unit_test(test_duplicate_members_are_found_among_many),
        cmocka_unit_test(test_missing_file_and_directory_are_errors),
        cmocka_unit_test(test_file_is_read_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of reading a model server's replies: the in-place JSON reader (np/json_scan.h), the
 * server-sent events parser (np/sse.h), and what a reply means (np/chat_reply.h): the text of a
 * whole or streamed reply, the sentiment object, Retry-After, and the request body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np/chat_reply.h"
#include "np/chat_request.h"
#include "np/json_scan.h"
#include "np/sse.h"
#include "np/summarize.h"

static int valid(const char *s)
{
    return np_json_valid(s, s + strlen(s));
}

static void test_json_validity_is_strict(void **state)
{
    (void)state;
    assert_true(valid(" {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\"]} "));
    assert_false(valid("{\"a\": 1,}"));
    assert_false(valid("[01]"));
    assert_false(valid("{\"a\" 1}"));
    assert_false(valid("\"unterminated"));
    assert_false(valid("\"raw\ncontrol\""));
    assert_false(valid("\"\\ud800 lone surrogate\""));
    assert_false(valid("\"\\u0000\""));
    assert_false(valid("\"\xff\""));
    assert_false(valid("{} trailing"));
    assert_false(valid(""));
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_false(np_json_valid(deep, deep + 200)); /* deeper than NP_JSON_SCAN_DEPTH */
    assert_true(np_json_valid(deep + 60, deep + 140));
}

static void test_json_member_and_string_decoding(void **state)
{
    (void)state;
    const char *doc = "{\"a\": {\"x\": 1}, \"b\": \"caf\\u00e9 \\\"q\\\"\\n\", \"b\": \"second\"}";
    const char *end = doc + strlen(doc);
    char out[64];
    size_t len;
    const char *b = np_json_member(doc, end, "b");
    assert_non_null(b);
    assert_int_equal(np_json_string(b, end, out, sizeof(out), &len), 0);
    assert_string_equal(out, "caf\xc3\xa9 \"q\"\n"); /* the first of duplicates */
    assert_int_equal(len, strlen("caf\xc3\xa9 \"q\"\n"));
    assert_int_equal(np_json_string(b, end, out, 5, &len), -1); /* does not fit */
    assert_null(np_json_member(doc, end, "x"));                 /* only the top level */
    double v;
    const char *a = np_json_member(doc, end, "a");
    assert_int_equal(np_json_number(np_json_member(a, end, "x"), end, &v), 0);
    assert_true(v == 1.0);
    assert_int_equal(np_json_number(b, end, &v), -1);
}

static void test_find_object_skips_prose_and_fences(void **state)
{
    (void)state;
    const char *text = "Sure! {not json} ```json\n{\"label\": \"positive\", \"score\": 0.5}\n```";
    const char *obj_end;
    const char *obj = np_json_find_object(text, strlen(text), &obj_end);
    assert_non_null(obj);
    assert_memory_equal(obj, "{\"label\"", 8);
    assert_int_equal(*(obj_end - 1), '}');
    assert_null(np_json_find_object("no object { here", 16, &obj_end));
}

static void test_sentiment_needs_label_and_score_in_range(void **state)
{
    (void)state;
    np_sentiment s;
    const char *fenced = "```json\n{\"label\": \"negative\", \"score\": -0.75}\n```";
    assert_int_equal(np_chat_sentiment(fenced, strlen(fenced), &s), 0);
    assert_int_equal(s.label, NP_SENTIMENT_NEGATIVE);
    assert_true(s.score == -0.75);
    const char *bad[] = {
        "{\"mood\": \"unclear\"}",
        "{\"label\": \"happy\", \"score\": 0.5}",
        "{\"label\": \"positive\", \"score\": 1.5}",
        "{\"label\": \"positive\"}",
        "{\"label\": \"positive\", \"score\": \"0.5\"}",
        "positive, 0.5",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(np_chat_sentiment(bad[i], strlen(bad[i]), &s), -1);
}

static void test_reply_text_and_usage(void **state)
{
    (void)state;
    const char *body = "{\"id\": \"x\", \"choices\": [{\"index\": 0, \"message\": {\"role\": "
                       "\"assistant\", \"content\": \"Hello\\nworld\"}}], \"usage\": "
                       "{\"prompt_tokens\": 12, \"completion_tokens\": 3, \"total_tokens\": 15}}";
    char text[64];
    size_t len;
    np_chat_usage usage = {0};
    assert_int_equal(np_chat_reply_text(body, strlen(body), text, sizeof(text), &len, &usage), 0);
    assert_string_equal(text, "Hello\nworld");
    assert_int_equal(usage.prompt_tokens, 12);
    assert_int_equal(usage.completion_tokens, 3);
    const char *no_content = "{\"choices\": [{\"message\": {\"content\": null}}]}";
    assert_int_equal(
        np_chat_reply_text(no_content, strlen(no_content), text, sizeof(text), &len, &usage), -1);
    const char *cut = "{\"choices\": [{\"message\": {\"content\": \"Hel";
    assert_int_equal(np_chat_reply_text(cut, strlen(cut), text, sizeof(text), &len, &usage), -1);
}

typedef struct collected {
    char text[256];
    size_t len;
    int tokens, done, events;
    np_chat_usage usage;
} collected;

static int on_chunk(void *context, const char *data, size_t len)
{
    collected *c = context;
    c->events++;
    int got = 0;
    int rc = np_chat_chunk(data, len, c->text, sizeof(c->text), &c->len, &got, &c->usage);
    if (rc == 1)
        c->done = 1;
    c->tokens += got;
    return rc < 0 ? -1 : 0;
}

static void test_sse_stream_split_anywhere(void **state)
{
    (void)state;
    const char *stream =
        ": comment\r\n"
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\r\n\r\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
        "event: message\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"lo \\u00e9\"}}]}\r\r"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\n\n"
        "data: [DONE]\n\n";
    size_t n = strlen(stream);
    /* Every split into two feeds gives the same events. */
    for (size_t cut = 0; cut <= n; cut++) {
        np_sse sse = {0};
        collected c = {0};
        assert_int_equal(np_sse_feed(&sse, stream, cut, on_chunk, &c), 0);
        assert_int_equal(np_sse_feed(&sse, stream + cut, n - cut, on_chunk, &c), 0);
        np_sse_free(&sse);
        assert_string_equal(c.text, "Hello \xc3\xa9");
        assert_int_equal(c.tokens, 2);
        assert_int_equal(c.events, 5);
        assert_true(c.done);
        assert_int_equal(c.usage.prompt_tokens, 7);
        assert_int_equal(c.usage.completion_tokens, 2);
    }
}

static void test_sse_multiline_data_and_bad_chunk(void **state)
{
    (void)state;
    np_sse sse = {0};
    collected c = {0};
    const char *two_lines = "data: {\"choices\":[{\"delta\":\ndata: {\"content\":\"x\"}}]}\n\n";
    assert_int_equal(np_sse_feed(&sse, two_lines, strlen(two_lines), on_chunk, &c), 0);
    assert_string_equal(c.text, "x");
    const char *bad = "data: {\"choices\": [\n\n";
    assert_int_equal(np_sse_feed(&sse, bad, strlen(bad), on_chunk, &c), -1);
    np_sse_free(&sse);
}

static void test_retry_after_seconds_and_dates(void **state)
{
    (void)state;
    assert_int_equal(np_chat_retry_after_ms(" 2\r\n", 0), 2000);
    assert_int_equal(np_chat_retry_after_ms("0", 0), 0);
    /* Thu, 01 Jan 1970 00:00:10 GMT is unix time 10: 7 s after 3. */
    assert_int_equal(np_chat_retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT\r\n", 3), 7000);
    assert_int_equal(np_chat_retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 20), 0);
    assert_int_equal(np_chat_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 5), 5000);
    /* RFC 9110's two other forms of the same moment, and dates that are not dates. */
    assert_int_equal(np_chat_retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 5), 5000);
    assert_int_equal(np_chat_retry_after_ms("Sun Nov  6 08:49:37 1994", 784111777 - 5), 5000);
    assert_int_equal(np_chat_retry_after_ms("Sun, 06 Now 1994 08:49:37 GMT", 0), -1);
    assert_int_equal(np_chat_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT trailing", 0), -1);
    assert_int_equal(np_chat_retry_after_ms("Sun, 06 Nov 1994 25:49:37 GMT", 0), -1);
    assert_int_equal(np_chat_retry_after_ms("soon", 0), -1);
    assert_int_equal(np_chat_retry_after_ms("", 0), -1);
    assert_int_equal(np_chat_retry_after_ms("-1", 0), -1);
}

static void test_response_format_mention(void **state)
{
    (void)state;
    const char *body = "{\"error\": {\"message\": \"response_format is not supported\"}}";
    assert_true(np_chat_mentions_response_format(body, strlen(body)));
    assert_false(np_chat_mentions_response_format("{\"error\": \"bad model\"}", 22));
}

static void test_request_body_is_valid_json_with_the_prompts(void **state)
{
    (void)state;
    np_article a = {.title = "A \"quoted\" title",
                    .title_len = 16,
                    .content = "Line one.\nLine\ttwo \\ \x01 end",
                    .content_len = 26};
    np_chat_settings settings = {
        .model = "m", .temperature = 0.5, .max_tokens = {256, 64}, .seed = 7, .stream = 1};
    size_t len;
    char *body = np_chat_request_body(&settings, &a, NP_STAGE_SENTIMENT, 1, &len);
    assert_non_null(body);
    assert_true(np_json_valid(body, body + len));
    const char *end = body + len;
    const char *messages = np_json_member(body, end, "messages");
    const char *system = np_json_member(np_json_first(messages, end), end, "content");
    char text[512];
    size_t text_len;
    assert_int_equal(np_json_string(system, end, text, sizeof(text), &text_len), 0);
    assert_string_equal(text, NP_PROMPT_SENTIMENT);
    const char *user = strstr(body, "\"role\":\"user\",\"content\":");
    assert_non_null(user);
    user += strlen("\"role\":\"user\",\"content\":");
    assert_int_equal(np_json_string(user, end, text, sizeof(text), &text_len), 0);
    assert_string_equal(text, "Title: A \"quoted\" title\n\nLine one.\nLine\ttwo \\ \x01 end");
    assert_non_null(np_json_member(body, end, "response_format"));
    assert_non_null(np_json_member(body, end, "stream_options"));
    double v;
    assert_int_equal(np_json_number(np_json_member(body, end, "max_tokens"), end, &v), 0);
    assert_true(v == 64);
    free(body);
    body = np_chat_request_body(&settings, &a, NP_STAGE_SUMMARIZATION, 1, &len);
    assert_null(np_json_member(body, body + len, "response_format")); /* summaries: plain text */
    free(body);
}

static void test_summary_max_bytes_bounds_any_text(void **state)
{
    (void)state;
    /* The worst case: 4-byte code points, each followed by a space. */
    char text[2000];
    size_t n = 0;
    while (n + 5 < sizeof(text)) {
        memcpy(text + n, "\xf0\x9f\x98\x80 ", 5);
        n += 5;
    }
    assert_true(np_summarize_bound(text, n) <= NP_SUMMARY_MAX_BYTES);
    assert_true(np_summarize_bound(text, 200 * 5) <= NP_SUMMARY_MAX_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_validity_is_strict),
        cmocka_unit_test(test_json_member_and_string_decoding),
        cmocka_unit_test(test_find_object_skips_prose_and_fences),
        cmocka_unit_test(test_sentiment_needs_label_and_score_in_range),
        cmocka_unit_test(test_reply_text_and_usage),
        cmocka_unit_test(test_sse_stream_split_anywhere),
        cmocka_unit_test(test_sse_multiline_data_and_bad_chunk),
        cmocka_unit_test(test_retry_after_seconds_and_dates),
        cmocka_unit_test(test_response_format_mention),
        cmocka_unit_test(test_request_body_is_valid_json_with_the_prompts),
        cmocka_unit_test(test_summary_max_bytes_bounds_any_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

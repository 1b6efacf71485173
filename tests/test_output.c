/*
 * Unit tests of the results document writer: a stream that failed earlier is reported as failed,
 * with the write's error, never with a stale errno (issue 10 item 17); the score is exactly what
 * "%.4f" prints, ties and signed zeros included; strings are escaped exactly, however long.
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

#include <cmocka.h>

#include "np/json_write.h"
#include "np/output.h"

static const np_run_info run = {.mode = "thread", .seed = 1, .queue_capacity = 16};

static void test_empty_document_is_written(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(np_output_write_json(f, NULL, NULL, 0, &run), 0);
    rewind(f);
    char buf[64] = "";
    assert_non_null(fgets(buf, sizeof(buf), f));
    assert_string_equal(buf, "{\"articles\": [],\n");
    fclose(f);
}

/* The error flag was set by an earlier operation whose errno is gone, and the writes and the
 * flush of the document itself succeed: the old code returned -1 with whatever errno held. */
static void test_earlier_stream_error_is_not_reported_with_a_stale_errno(void **state)
{
    (void)state;
    FILE *w = fopen("/dev/null", "w");
    assert_non_null(w);
    assert_int_equal(fgetc(w), EOF); /* a read from a write-only stream: EBADF, error flag set */
    assert_true(ferror(w));
    errno = ENOENT; /* stale, from something unrelated */
    assert_int_equal(np_output_write_json(w, NULL, NULL, 0, &run), -1);
    assert_int_not_equal(errno, ENOENT);
    assert_true(errno == EIO || errno == EBADF);
    fclose(w);
}

/* Checks np_json_format_fixed4(v) against snprintf's "%.4f". */
static void check_fixed4(double v)
{
    char mine[32], expected[64];
    size_t n = np_json_format_fixed4(mine, v);
    snprintf(expected, sizeof expected, "%.4f", v);
    if (n != strlen(expected) || memcmp(mine, expected, n) != 0)
        fail_msg("%.17g: \"%.*s\", printf says \"%s\"", v, (int)n, mine, expected);
}

/* The score is the one number the output rounds: every way of rounding shows here. */
static void test_score_is_formatted_exactly_as_printf_does(void **state)
{
    (void)state;
    /* Exact ties go to the even neighbour; values next to them go their own way. */
    static const double fixed[] = {
        0.0,        -0.0,        0.03125, -0.03125, 0.09375,  0.15625,
        0.5,        1.0,         -1.0,    0.99995,  0.00005,  -0.00004,
        0.00000001, -0.00000001, 5e-324,  -5e-324,  123.4567, 999999999.99995};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        check_fixed4(fixed[i]);
        check_fixed4(nextafter(fixed[i], 2e9));
        check_fixed4(nextafter(fixed[i], -2e9));
    }
    /* Every multiple of 1/2^k near the ties, and many doubles across [-1, 1] and beyond. */
    for (int k = 5; k <= 20; k++)
        for (int j = -5000; j <= 5000; j++)
            check_fixed4(ldexp(j, -k));
    uint64_t x = 88172645463325252u; /* xorshift64 */
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double unit = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
        check_fixed4(2 * unit - 1);
        check_fixed4(ldexp(unit, (int)(x % 60) - 40));
    }
    char text[32];
    assert_int_equal(np_json_format_fixed4(text, 1e9), 0); /* outside: the caller asks printf */
    assert_int_equal(np_json_format_fixed4(text, NAN), 0);
    assert_int_equal(np_json_format_fixed4(text, -INFINITY), 0);
}

/* An article written into text[0..size), NUL-terminated. */
static void article_text(const np_article *article, const np_result *result, char *text,
                         size_t size)
{
    FILE *f = fmemopen(text, size, "w");
    assert_non_null(f);
    np_output_write_article(f, article, result);
    assert_false(ferror(f));
    assert_int_equal(fclose(f), 0);
}

/* Strings of any length, with escapes anywhere (around the 8-byte steps of the scan and the
 * buffer's edges), come out as JSON string literals that say exactly the same. */
static void test_strings_are_escaped_exactly_at_any_length(void **state)
{
    (void)state;
    static const char alphabet[] = "ab \"\\\n\t\x01\x1f\xc3\xa9/";
    enum { MAX_LEN = 3000 };
    char *title = malloc(MAX_LEN + 1);
    char *expected = malloc(6 * MAX_LEN + 1);
    char *text = malloc(6 * MAX_LEN + 1024);
    assert_non_null(title);
    assert_non_null(expected);
    assert_non_null(text);
    for (size_t len = 0; len <= MAX_LEN; len += len < 100 ? 1 : 97) {
        size_t e = 0;
        for (size_t i = 0; i < len; i++) {
            /* Mostly letters, with something to escape every few bytes at varying offsets. */
            char c = (i * 7 + len) % 11 < 8 ? 'x' : alphabet[(i + len) % (sizeof alphabet - 1)];
            title[i] = c;
            switch (c) {
            case '"':
                e += (size_t)sprintf(expected + e, "\\\"");
                break;
            case '\\':
                e += (size_t)sprintf(expected + e, "\\\\");
                break;
            case '\n':
                e += (size_t)sprintf(expected + e, "\\n");
                break;
            case '\t':
                e += (size_t)sprintf(expected + e, "\\t");
                break;
            default:
                if ((unsigned char)c < 0x20)
                    e += (size_t)sprintf(expected + e, "\\u%04x", (unsigned)c);
                else
                    expected[e++] = c;
            }
        }
        title[len] = '\0';
        expected[e] = '\0';
        np_article article = {.id = {.kind = NP_ID_NUMBER, .number = 7},
                              .title = title,
                              .title_len = len,
                              .content = "",
                              .content_len = 0};
        np_result result = {.status = NP_STATUS_FAILED, .error = "boom"};
        article_text(&article, &result, text, 6 * MAX_LEN + 1024);
        const char *at = strstr(text, "\"title\": \"");
        assert_non_null(at);
        at += strlen("\"title\": \"");
        if (strncmp(at, expected, e) != 0 || strncmp(at + e, "\", \"status\"", 11) != 0)
            fail_msg("length %zu: title written wrong", len);
        assert_non_null(strstr(text, "\"error\": \"boom\"}"));
    }
    free(text);
    free(title);
    free(expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_document_is_written),
        cmocka_unit_test(test_earlier_stream_error_is_not_reported_with_a_stale_errno),
        cmocka_unit_test(test_score_is_formatted_exactly_as_printf_does),
        cmocka_unit_test(test_strings_are_escaped_exactly_at_any_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

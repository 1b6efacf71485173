/*
 * Unit tests of the results document writer: a stream that failed earlier is reported as failed,
 * with the write's error, never with a stale errno (issue 10 item 17).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_document_is_written),
        cmocka_unit_test(test_earlier_stream_error_is_not_reported_with_a_stale_errno),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

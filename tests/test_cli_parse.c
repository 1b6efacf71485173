/*
 * Unit tests of option parsing: defaults, every option's accepted forms, and the usage errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "np/cli.h"

#define PARSE(opts, err, ...)                                                                      \
    parse_args((char *[]){"news-processor", __VA_ARGS__, NULL},                                    \
               (int)(sizeof((char *[]){"news-processor", __VA_ARGS__}) / sizeof(char *)), opts,    \
               err)

static int parse_args(char **argv, int argc, np_cli_options *opts, char *err)
{
    return np_cli_parse(argc, argv, opts, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    np_cli_options o;
    char err[256];
    assert_int_equal(PARSE(&o, err, "in.json"), 0);
    assert_string_equal(o.input_path, "in.json");
    assert_null(o.output_path);
    assert_int_equal(o.latency_min_ms, 500);
    assert_int_equal(o.latency_max_ms, 1500);
    assert_int_equal(o.queue_capacity, 0); /* the pipeline's default */
    assert_int_equal(o.seed, NP_DEFAULT_SEED);
    assert_int_equal(o.log_level, NP_LOG_NORMAL);
}

static void test_every_option_is_read(void **state)
{
    (void)state;
    np_cli_options o;
    char err[256];
    assert_int_equal(PARSE(&o, err, "--latency", "10:20", "--seed", "18446744073709551615",
                           "--queue-capacity=3", "-o", "out.json", "-v", "-"),
                     0);
    assert_int_equal(o.latency_min_ms, 10);
    assert_int_equal(o.latency_max_ms, 20);
    assert_int_equal(o.seed, UINT64_MAX);
    assert_int_equal(o.queue_capacity, 3);
    assert_string_equal(o.output_path, "out.json");
    assert_string_equal(o.input_path, "-");
    assert_int_equal(o.log_level, NP_LOG_VERBOSE);
    assert_int_equal(PARSE(&o, err, "-q", "--latency", "7", "x.json"), 0);
    assert_int_equal(o.latency_min_ms, 7);
    assert_int_equal(o.latency_max_ms, 7);
    assert_int_equal(o.log_level, NP_LOG_QUIET);
}

static void test_help_and_version_need_no_input(void **state)
{
    (void)state;
    np_cli_options o;
    char err[256];
    assert_int_equal(PARSE(&o, err, "--help"), 0);
    assert_true(o.show_help);
    assert_int_equal(PARSE(&o, err, "-V"), 0);
    assert_true(o.show_version);
}

static void expect_usage_error(char **argv, int argc, const char *message)
{
    np_cli_options o;
    char err[256];
    assert_int_equal(parse_args(argv, argc, &o, err), -1);
    assert_string_equal(err, message);
}

#define EXPECT_USAGE_ERROR(message, ...)                                                           \
    expect_usage_error((char *[]){"news-processor", __VA_ARGS__, NULL},                            \
                       (int)(sizeof((char *[]){"news-processor", __VA_ARGS__}) / sizeof(char *)),  \
                       message)

static void test_output_dash_is_standard_output(void **state)
{
    (void)state;
    np_cli_options opts;
    char err[256];
    char *argv[] = {"news-processor", "-o", "-", "a.json", NULL};
    assert_int_equal(np_cli_parse(4, argv, &opts, err, sizeof(err)), 0);
    assert_null(opts.output_path);
}

static void test_usage_errors_are_explained(void **state)
{
    (void)state;
    EXPECT_USAGE_ERROR("missing ARTICLES.json (use - for standard input)", "-q");
    EXPECT_USAGE_ERROR("expected one input file, got 2 ('b.json' is extra)", "a.json", "b.json");
    EXPECT_USAGE_ERROR("unknown option '--frobnicate'", "--frobnicate", "a.json");
    EXPECT_USAGE_ERROR("unknown option '-x'", "-x", "a.json");
    EXPECT_USAGE_ERROR("unknown option '--latncy' (did you mean --latency?)", "--latncy", "0",
                       "a.json");
    EXPECT_USAGE_ERROR("option '--t' is ambiguous: it could be --timeout-ms, --tpm, --temperature, "
                       "--trace, --timeline",
                       "--t", "5", "a.json");
    EXPECT_USAGE_ERROR("option '--seed' needs an argument", "a.json", "--seed");
    EXPECT_USAGE_ERROR("--quiet and --verbose cannot be combined", "-q", "-v", "a.json");
    EXPECT_USAGE_ERROR("--seed '-1': expected a whole number from 0 to 18446744073709551615",
                       "--seed", "-1", "a.json");
    EXPECT_USAGE_ERROR("--seed '18446744073709551616': expected a whole number from 0 to "
                       "18446744073709551615",
                       "--seed", "18446744073709551616", "a.json");
    EXPECT_USAGE_ERROR("--queue-capacity '0': expected a whole number from 1 to 1000000",
                       "--queue-capacity", "0", "a.json");
    EXPECT_USAGE_ERROR("--latency 9:3: MIN must not exceed MAX", "--latency", "9:3", "a.json");
    EXPECT_USAGE_ERROR("--latency '5x': expected MIN:MAX or N, in whole milliseconds from 0 to "
                       "3600000",
                       "--latency", "5x", "a.json");
    EXPECT_USAGE_ERROR("--latency '1:': expected MIN:MAX or N, in whole milliseconds from 0 to "
                       "3600000",
                       "--latency", "1:", "a.json");
    EXPECT_USAGE_ERROR("--latency '0:3600001': expected MIN:MAX or N, in whole milliseconds from "
                       "0 to 3600000",
                       "--latency", "0:3600001", "a.json");
    /* Issue 10 item 18: the real range, not "at least 1"; an empty name is no file name. */
    EXPECT_USAGE_ERROR("--deadline-ms '100000000000000': expected a whole number of ms from 1 to "
                       "31536000000 (a year)",
                       "--deadline-ms", "100000000000000", "a.json");
    EXPECT_USAGE_ERROR("--deadline-ms '0': expected a whole number of ms from 1 to 31536000000 "
                       "(a year)",
                       "--deadline-ms", "0", "a.json");
    EXPECT_USAGE_ERROR("--output '': expected a file name, or - for standard output", "-o", "",
                       "a.json");
    EXPECT_USAGE_ERROR("--report '': expected a file name", "--report", "", "a.json");
}

static void test_help_lists_every_option_and_exit_status(void **state)
{
    (void)state;
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    np_cli_print_help(f);
    fclose(f);
    static const char *const expected[] = {"--output FILE", "--latency MIN:MAX",
                                           "--seed N",      "--queue-capacity N",
                                           "--quiet",       "--verbose",
                                           "--help",        "--version",
                                           "Exit status:",  "  2  what was given is wrong"};
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_non_null(strstr(buf, expected[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option_is_read),
        cmocka_unit_test(test_help_and_version_need_no_input),
        cmocka_unit_test(test_usage_errors_are_explained),
        cmocka_unit_test(test_output_dash_is_standard_output),
        cmocka_unit_test(test_help_lists_every_option_and_exit_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

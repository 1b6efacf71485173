/*
 * Unit tests of the SVG timeline: a hand-built run of three articles (one with an id made of
 * XML's special characters, non-ASCII and a control character) drawn as rows, and synthetic runs
 * past NP_TIMELINE_MAX_ROWS drawn as concurrency areas. Every picture is checked by xmllint
 * (well-formed XML) and by counting what it contains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "np/timeline.h"

#define ORIGIN_NS 10000000000LL /* the run's start_ns: 10 s on the monotonic clock */
#define MS        1000000LL

/* XML's five special characters, é, and a control character (from a "\u0001" escape). */
static const char nasty_id[] = "<&\"'>\xC3\xA9\x01";
/* A title with what XML 1.0 cannot carry (controls, U+FFFF, bytes that are not UTF-8) and,
 * where RLO stands, a right-to-left override (U+202E), which would reverse the text after it. */
static const char nasty_title_template[] =
    "tab\there \x01\x1F del\x7F \xEF\xBF\xBF bad\xFF\xC3 rtlRLO end";

/* The title with its override in place (put there at run time: linters rightly flag a source
 * line that holds one). */
static void make_nasty_title(char title[sizeof(nasty_title_template)])
{
    memcpy(title, nasty_title_template, sizeof(nasty_title_template));
    char *rlo = strstr(title, "RLO");
    assert_non_null(rlo);
    rlo[0] = (char)0xE2;
    rlo[1] = (char)0x80;
    rlo[2] = (char)0xAE;
}

typedef struct fixture {
    char title[sizeof(nasty_title_template)];
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
    make_nasty_title(f->title);
    f->articles[0].id = (np_id){.kind = NP_ID_NUMBER, .number = 7};
    f->articles[1].id =
        (np_id){.kind = NP_ID_STRING, .text = nasty_id, .text_len = sizeof(nasty_id) - 1};
    f->articles[2].id = (np_id){.kind = NP_ID_NUMBER, .number = 42};
    for (int i = 0; i < 3; i++) {
        f->articles[i].title = i == 1 ? f->title : "Harbor Foods posts record annual profit";
        f->articles[i].title_len = strlen(f->articles[i].title);
        f->articles[i].content = "";
        f->results[i].index = (size_t)i;
    }

    /* Article 0 (id 7): the critical path, 676 + 770 ms, starts second. */
    np_result *r = &f->results[0];
    r->started_ns = ORIGIN_NS + 2 * MS;
    set_stage(r, NP_STAGE_SUMMARIZATION, r->started_ns, ORIGIN_NS + 678 * MS, 676);
    set_stage(r, NP_STAGE_SENTIMENT, ORIGIN_NS + 678 * MS, ORIGIN_NS + 1448 * MS, 770);
    r->finished_ns = ORIGIN_NS + 1448 * MS;
    r->received_ns = ORIGIN_NS + 1449 * MS;
    r->completed = 2;
    r->ideal_ms = 1446;

    /* Article 1 (the nasty id) starts first and blocks 5.5 ms on the full queue. */
    r = &f->results[1];
    r->started_ns = ORIGIN_NS + 1000;
    set_stage(r, NP_STAGE_SUMMARIZATION, r->started_ns, ORIGIN_NS + 500 * MS, 500);
    set_stage(r, NP_STAGE_SENTIMENT, ORIGIN_NS + 500 * MS, ORIGIN_NS + 1000 * MS, 500);
    r->finished_ns = ORIGIN_NS + 1000 * MS;
    r->queue_wait_ns = 5500 * 1000LL;
    r->received_ns = ORIGIN_NS + 1006 * MS;
    r->completed = 1;
    r->ideal_ms = 1000;

    /* Article 2 (id 42) starts last and is cancelled before sentiment. */
    r = &f->results[2];
    r->status = NP_STATUS_CANCELLED;
    r->started_ns = ORIGIN_NS + 3 * MS;
    set_stage(r, NP_STAGE_SUMMARIZATION, r->started_ns, ORIGIN_NS + 900 * MS, 897);
    r->finished_ns = ORIGIN_NS + 900 * MS;
    r->ideal_ms = 897;

    f->list = (np_article_list){.items = f->articles, .count = 3};
    f->run = (np_run_record){.articles = 3,
                             .process_ns = 1450 * MS + 123456,
                             .start_ns = ORIGIN_NS,
                             .critical_path_ms = 1446,
                             .queue_capacity = 1,
                             .list = &f->list,
                             .results = f->results,
                             .articles_detail = 3};
    f->options = (np_run_options){.input = "in\x01put\xFF.json",
                                  .mode = "thread",
                                  .seed = 1,
                                  .latency_min_ms = 500,
                                  .latency_max_ms = 1500,
                                  .queue_capacity = 1};
}

/* A synthetic run of n articles; free with free_synthetic. */
static void build_synthetic(fixture *f, size_t n, np_article **articles, np_result **results)
{
    memset(f, 0, sizeof(*f));
    *articles = calloc(n, sizeof(**articles));
    *results = calloc(n, sizeof(**results));
    assert_non_null(*articles);
    assert_non_null(*results);
    uint64_t state = 12345, critical = 0;
    for (size_t i = 0; i < n; i++) {
        (*articles)[i].id = (np_id){.kind = NP_ID_NUMBER, .number = i + 1};
        (*articles)[i].title = "synthetic";
        (*articles)[i].title_len = 9;
        np_result *r = &(*results)[i];
        r->index = i;
        r->started_ns = ORIGIN_NS + (long long)i * 40000;
        long long t = r->started_ns;
        for (int s = 0; s < NP_STAGE_COUNT; s++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            uint32_t ms = 500 + (uint32_t)((state >> 33) % 1001);
            set_stage(r, (np_stage)s, t, t + ms * MS, ms);
            t += ms * MS;
            r->ideal_ms += ms;
        }
        r->finished_ns = t;
        r->queue_wait_ns = i % 3 == 0 ? 2 * MS : 0;
        r->received_ns = t + r->queue_wait_ns + 1000;
        r->completed = i + 1;
        critical = r->ideal_ms > critical ? r->ideal_ms : critical;
    }
    f->list = (np_article_list){.items = *articles, .count = n};
    f->run = (np_run_record){.articles = n,
                             .process_ns = (long long)critical * MS + 40 * MS,
                             .start_ns = ORIGIN_NS,
                             .critical_path_ms = critical,
                             .list = &f->list,
                             .results = *results,
                             .articles_detail = n};
    f->options = (np_run_options){.input = "synthetic.json",
                                  .mode = "thread",
                                  .seed = 1,
                                  .latency_min_ms = 500,
                                  .latency_max_ms = 1500,
                                  .queue_capacity = 16};
}

/* Writes the picture to memory (NUL-terminated); the caller frees it. */
static char *write_svg(const fixture *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(np_timeline_write_svg(out, &f->options, &f->run), 0);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(strlen(text), len); /* no NUL byte inside */
    return text;
}

/* Runs xmllint --noout over the picture (saved to a temporary file); returns its exit status. */
static int xmllint_status(const char *svg)
{
    char path[] = "/tmp/np-test-timeline-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    fputs(svg, file);
    assert_int_equal(fclose(file), 0);
    char command[128];
    snprintf(command, sizeof(command), "xmllint --noout %s", path);
    /* A real XML parser is the judge; the command holds nothing but our own mkstemp path. */
    int status = system(command); /* NOLINT(cert-env33-c) */
    unlink(path);
    assert_true(status != -1 && WIFEXITED(status));
    if (WEXITSTATUS(status) == 127)
        fail_msg("xmllint not found: install libxml2-utils (scripts/setup.sh test)");
    return WEXITSTATUS(status);
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A copy of the row group (from "<g class=\"row" to its "</g>") that contains inside. */
static char *row_around(const char *svg, const char *inside)
{
    assert_non_null(inside);
    const char *start = inside;
    for (const char *p = strstr(svg, "<g class=\"row"); p && p <= inside;
         p = strstr(p + 1, "<g class=\"row"))
        start = p;
    assert_memory_equal(start, "<g class=\"row", 13);
    const char *end = strstr(start, "</g>");
    assert_true(end && end > inside);
    size_t len = end ? (size_t)(end - start) : 0;
    char *group = malloc(len + 1);
    assert_non_null(group);
    memcpy(group, start, len);
    group[len] = '\0';
    return group;
}

static void test_rows_are_well_formed_xml_with_a_nasty_id(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    char *svg = write_svg(&f);
    assert_int_equal(xmllint_status(svg), 0);
    /* The id is shown as np_id_format quotes it, every special character escaped. */
    assert_non_null(strstr(svg, "&quot;&lt;&amp;\\&quot;&apos;&gt;\xC3\xA9\\u0001&quot;"));
    /* No control character survives but the newlines the writer puts in. */
    for (const char *p = svg; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            fail_msg("control character 0x%02x at offset %td", (unsigned char)*p, p - svg);
    assert_non_null(strstr(svg, "tab here \xEF\xBF\xBD\xEF\xBF\xBD del\xEF\xBF\xBD "
                                "\xEF\xBF\xBD bad\xEF\xBF\xBD\xEF\xBF\xBD rtl\xEF\xBF\xBD end"));
    assert_non_null(strstr(svg, "input in\xEF\xBF\xBDput\xEF\xBF\xBD.json"));
    free(svg);
}

static void test_one_rect_per_segment(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    char *svg = write_svg(&f);
    /* 2 stages + 2 stages and a queue wait + 1 stage (cancelled before sentiment). */
    assert_int_equal(count(svg, "<rect class=\"seg "), 6);
    assert_int_equal(count(svg, "<rect class=\"seg summarization\""), 3);
    assert_int_equal(count(svg, "<rect class=\"seg sentiment\""), 2);
    assert_int_equal(count(svg, "<rect class=\"seg queue-wait\""), 1);
    assert_int_equal(count(svg, "<g class=\"row"), 3);
    /* Each segment carries its tooltip. */
    assert_int_equal(count(svg, "\"><title>"), 6);
    assert_non_null(strstr(svg, "<title>7 \xC2\xB7 summarization\nstart 2.000 ms, end 678.000 ms "
                                "(676.000 ms)\nsimulated 676 ms, 1 attempt</title></rect>"));
    assert_non_null(strstr(svg, "queue wait\nstart 1000.000 ms, end 1005.500 ms (5.500 ms)"));
    free(svg);
}

static void test_title_legend_and_markers(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    char *svg = write_svg(&f);
    assert_non_null(strstr(svg, ">news-processor \xE2\x80\x94 3 articles, mode thread, wall "
                                "1.45 s, critical path 1.446 s, overhead 1.003</text>"));
    assert_non_null(strstr(svg, "seed 1 \xC2\xB7 latency 500\xE2\x80\x93"
                                "1500 ms \xC2\xB7 queue capacity 1"));
    const char *legend[] = {">summarization</text>",
                            ">sentiment</text>",
                            ">queue wait</text>",
                            ">critical path</text>",
                            ">ideal (critical path)</text>",
                            ">wall</text>"};
    for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++)
        if (!strstr(svg, legend[i]))
            fail_msg("legend entry %s missing", legend[i]);
    assert_int_equal(count(svg, "<g class=\"marker ideal\">"), 1);
    assert_int_equal(count(svg, "<g class=\"marker wall\">"), 1);
    /* 4 ms apart: the earlier line is labelled on its left, the later on its right. */
    assert_non_null(strstr(svg, "text-anchor=\"end\">ideal 1.446 s</text>"));
    assert_non_null(strstr(svg, "text-anchor=\"start\">wall 1.45 s</text>"));
    /* Ticks every 0.2 s up to 1.6 s, the first wall/ideal value past 1.45 s. */
    assert_non_null(strstr(svg, ">0 s</text>"));
    assert_non_null(strstr(svg, ">0.2 s</text>"));
    assert_non_null(strstr(svg, ">1.6 s</text>"));
    assert_null(strstr(svg, ">1.8 s</text>"));
    free(svg);
}

static void test_critical_path_marks_the_article_with_the_largest_ideal_time(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    char *svg = write_svg(&f);
    assert_int_equal(count(svg, "<g class=\"row critical\">"), 1);
    char *row = row_around(svg, strstr(svg, "<g class=\"row critical\">"));
    assert_non_null(strstr(row, ">7<title>"));
    assert_non_null(strstr(row, "class=\"critical-outline\""));
    assert_non_null(strstr(row, ">critical path</text>"));
    free(row);
    free(svg);

    /* A tie goes to the lowest index: all equal marks index 0, then index 1 once 0 drops. */
    for (int i = 0; i < 3; i++)
        f.results[i].ideal_ms = 1000;
    svg = write_svg(&f);
    row = row_around(svg, strstr(svg, "<g class=\"row critical\">"));
    assert_non_null(strstr(row, ">7<title>"));
    free(row);
    free(svg);
    f.results[0].ideal_ms = 999;
    svg = write_svg(&f);
    row = row_around(svg, strstr(svg, "<g class=\"row critical\">"));
    assert_non_null(strstr(row, "&apos;&gt;"));
    free(row);
    free(svg);
}

static void test_rows_are_sorted_by_start_time(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    char *svg = write_svg(&f);
    const char *nasty = strstr(svg, "&apos;&gt;\xC3\xA9\\u0001&quot;<title>");
    const char *seven = strstr(svg, ">7<title>");
    const char *forty_two = strstr(svg, ">42<title>");
    assert_non_null(nasty);
    assert_non_null(seven);
    assert_non_null(forty_two);
    assert_true(nasty < seven && seven < forty_two); /* started at 1 µs, 2 ms, 3 ms */
    /* The cancelled article says so. */
    char *row = row_around(svg, forty_two);
    assert_non_null(strstr(row, ">cancelled</text>"));
    free(row);
    free(svg);
}

/* The number in attribute name="..." of the element starting at p. */
static double attribute(const char *p, const char *name)
{
    char key[32];
    snprintf(key, sizeof(key), " %s=\"", name);
    const char *at = strstr(p, key);
    assert_non_null(at);
    assert_true(at < strchr(p, '>'));
    return strtod(at + strlen(key), NULL);
}

static void test_segments_are_drawn_to_scale(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    char *svg = write_svg(&f);
    double width = attribute(strstr(svg, "<svg"), "width");
    double wall_x = attribute(strstr(strstr(svg, "class=\"marker wall\""), "<line"), "x1");
    double ideal_x = attribute(strstr(strstr(svg, "class=\"marker ideal\""), "<line"), "x1");
    assert_true(ideal_x < wall_x && wall_x < width);
    /* Everything happened before the wall time, so every segment ends left of its line. */
    for (const char *p = strstr(svg, "<rect class=\"seg "); p;
         p = strstr(p + 1, "<rect class=\"seg ")) {
        double x = attribute(p, "x"), w = attribute(p, "width");
        assert_true(x > 0 && w > 0);
        assert_true(x + w <= wall_x + 0.01);
    }
    /* Article 7: sentiment starts where summarization ends; widths in the ratio 676 : 770. */
    const char *row = strstr(svg, "<g class=\"row critical\">");
    const char *summarization = strstr(row, "<rect class=\"seg summarization\"");
    const char *sentiment = strstr(row, "<rect class=\"seg sentiment\"");
    double sx = attribute(summarization, "x"), sw = attribute(summarization, "width");
    double tx = attribute(sentiment, "x"), tw = attribute(sentiment, "width");
    assert_true(fabs(sx + sw - tx) <= 0.02);
    assert_true(fabs(sw / tw - 676.0 / 770.0) < 0.001);
    /* It ends 2 ms after the ideal line (1446 ms) and 2.12 ms before the wall (1450.12 ms). */
    double ms_per_px = (1450.123456 - 1446.0) / (wall_x - ideal_x);
    assert_true(fabs((tx + tw - ideal_x) * ms_per_px - 2.0) < 0.05);
    free(svg);
}

static void test_coordinates_have_at_most_two_decimals(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    f.run.process_ns = 1450 * MS + 333333; /* a scale with repeating fractions */
    char *svg = write_svg(&f);
    /* Inside every attribute value, no run of digits after a '.' is longer than two. */
    for (const char *p = strstr(svg, "=\""); p; p = strstr(p + 1, "=\"")) {
        const char *end = strchr(p + 2, '"');
        assert_non_null(end);
        size_t decimals = 0;
        int after_point = 0;
        for (const char *c = p + 2; c < end; c++) {
            if (*c == '.') {
                after_point = 1;
                decimals = 0;
            } else if (*c >= '0' && *c <= '9') {
                decimals += after_point;
                if (decimals > 2)
                    fail_msg("more than two decimals in %.*s", (int)(end - p), p);
            } else {
                after_point = 0;
            }
        }
    }
    free(svg);
}

static void test_many_articles_become_an_area_chart(void **state)
{
    (void)state;
    fixture f;
    np_article *articles;
    np_result *results;
    build_synthetic(&f, 1000, &articles, &results);
    char *svg = write_svg(&f);
    assert_int_equal(xmllint_status(svg), 0);
    assert_int_equal(count(svg, "class=\"row"), 0);
    assert_int_equal(count(svg, "class=\"seg"), 0);
    assert_int_equal(count(svg, "<path class=\"area summarization\""), 1);
    assert_int_equal(count(svg, "<path class=\"area sentiment\""), 1);
    assert_int_equal(count(svg, "<path class=\"area queue-wait\""), 1);
    assert_non_null(strstr(svg, "news-processor \xE2\x80\x94 1000 articles"));
    assert_non_null(strstr(svg, ">summarization</text>"));
    assert_non_null(strstr(svg, ">queue wait</text>"));
    assert_int_equal(count(svg, "<g class=\"marker "), 2);
    /* All 1000 start within 40 ms: the count axis goes to 1000 in steps of 200. */
    assert_non_null(strstr(svg, ">200</text>"));
    assert_non_null(strstr(svg, ">1000</text>"));
    assert_null(strstr(svg, ">1200</text>"));
    assert_true(strlen(svg) < (size_t)200 * 1000);
    free(svg);
    free(articles);
    free(results);
}

static void test_area_note_names_the_critical_article_only_in_thread_mode(void **state)
{
    (void)state;
    fixture f;
    np_article *articles;
    np_result *results;
    build_synthetic(&f, 1000, &articles, &results);
    char *svg = write_svg(&f);
    assert_non_null(strstr(svg, ". Critical path: article "));
    free(svg);
    /* A pool's ideal is its schedule's end: its longest article is not "the critical path". */
    f.options.mode = "pool";
    f.options.workers = 4;
    svg = write_svg(&f);
    assert_null(strstr(svg, "Critical path: article"));
    assert_non_null(strstr(svg, ". Longest article: "));
    assert_non_null(strstr(svg, "the ideal is the pool schedule's end, not one article's"));
    free(svg);
    free(articles);
    free(results);
}

static void test_row_limit_is_the_boundary(void **state)
{
    (void)state;
    fixture f;
    np_article *articles;
    np_result *results;
    build_synthetic(&f, NP_TIMELINE_MAX_ROWS + 1, &articles, &results);
    f.run.articles_detail = NP_TIMELINE_MAX_ROWS;
    char *svg = write_svg(&f);
    assert_int_equal(count(svg, "<g class=\"row"), NP_TIMELINE_MAX_ROWS);
    assert_int_equal(count(svg, "<path class=\"area "), 0);
    free(svg);
    f.run.articles_detail = NP_TIMELINE_MAX_ROWS + 1;
    svg = write_svg(&f);
    assert_int_equal(count(svg, "<g class=\"row"), 0);
    assert_int_equal(count(svg, "<path class=\"area "), 3);
    free(svg);
    free(articles);
    free(results);
}

static void test_instant_run_has_no_critical_path_and_ms_units(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    /* As with --latency 0:0: nothing simulated, the run took 0.709 ms. */
    for (int i = 0; i < 3; i++)
        f.results[i].ideal_ms = 0;
    f.run.critical_path_ms = 0;
    f.run.process_ns = 709000;
    char *svg = write_svg(&f);
    assert_int_equal(xmllint_status(svg), 0);
    assert_int_equal(count(svg, "<g class=\"row critical\">"), 0);
    assert_int_equal(count(svg, "<g class=\"row\">"), 3);
    assert_non_null(
        strstr(svg, "3 articles, mode thread, wall 0.709 ms, critical path 0 ms</text>"));
    assert_int_equal(count(svg, "<g class=\"marker ideal\">"), 0);
    free(svg);
}

static void test_run_without_rows_or_time_is_still_a_picture(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    f.run = (np_run_record){.articles = 0};
    char *svg = write_svg(&f);
    assert_int_equal(xmllint_status(svg), 0);
    assert_int_equal(count(svg, "<g class=\"row"), 0);
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    free(svg);
}

static void test_write_error_is_reported(void **state)
{
    (void)state;
    fixture f;
    build_fixture(&f);
    FILE *out = fopen("/dev/null", "r"); /* every write fails */
    assert_non_null(out);
    assert_int_equal(np_timeline_write_svg(out, &f.options, &f.run), -1);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_are_well_formed_xml_with_a_nasty_id),
        cmocka_unit_test(test_one_rect_per_segment),
        cmocka_unit_test(test_title_legend_and_markers),
        cmocka_unit_test(test_critical_path_marks_the_article_with_the_largest_ideal_time),
        cmocka_unit_test(test_rows_are_sorted_by_start_time),
        cmocka_unit_test(test_segments_are_drawn_to_scale),
        cmocka_unit_test(test_coordinates_have_at_most_two_decimals),
        cmocka_unit_test(test_many_articles_become_an_area_chart),
        cmocka_unit_test(test_area_note_names_the_critical_article_only_in_thread_mode),
        cmocka_unit_test(test_row_limit_is_the_boundary),
        cmocka_unit_test(test_instant_run_has_no_critical_path_and_ms_units),
        cmocka_unit_test(test_run_without_rows_or_time_is_still_a_picture),
        cmocka_unit_test(test_write_error_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

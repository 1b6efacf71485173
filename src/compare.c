/*
 * `news-processor compare BASE.json NEW.json`: compares two timing reports (np/report.h,
 * docs/report.md), benchstat-style.
 *
 * Design: each report is read whole and parsed strictly with cJSON (no trailing data), checked
 * to be a report of a known schema version, and its non-warm-up runs are kept as cJSON nodes.
 * One table of metrics (a name and a path into a run object) drives everything: for each metric,
 * the per-run values of each side are gathered, the medians compared, and, when both sides have
 * at least MIN_TESTED_RUNS runs, a Mann-Whitney U test (np/stats.h) decides whether the
 * difference is significant. The three output formats print the same computed comparison.
 * One option table drives both getopt_long and --help. Errors are one line on err, and the exit
 * status is returned, never exit()ed. All state lives on the stack of np_compare_main (getopt's
 * own globals aside), so the function may be called repeatedly, as the unit tests do.
 */
#include "np/compare.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "np/exit.h"
#include "np/file_text.h"
#include "np/help.h"
#include "np/json_write.h"
#include "np/report.h"
#include "np/stats.h"

#define PREFIX "news-processor: compare: "

enum {
    COMPARE_REGRESSION = 1, /* exit status: NEW's wall time regressed beyond the threshold */
    MIN_TESTED_RUNS = 4,    /* fewer runs per side than this: no significance test */
};
#define SIGNIFICANCE      0.05
#define DEFAULT_THRESHOLD 5.0

/* ------------------------------------------------------------------------------------------ */
/* Options */

enum option_key { OPT_HELP = 'h', OPT_THRESHOLD = 256, OPT_FORMAT, OPT_ALLOW_SINGLE };

static const np_option option_table[] = {
    {"threshold", OPT_THRESHOLD, 0, "PCT",
     "exit 1 when NEW's median wall time is more than PCT percent above BASE's (default 5) and "
     "the difference is significant (p < 0.05; it takes 4 or more runs per side)"},
    {"allow-single", OPT_ALLOW_SINGLE, 0, NULL,
     "with fewer than 4 runs a side (no significance test), exit 1 on the threshold alone; "
     "without it such a comparison reports but never fails"},
    {"format", OPT_FORMAT, 0, "FORMAT", "table (default), markdown (a GitHub table) or json"},
    {"help", OPT_HELP, 0, NULL, "show this help and exit"},
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

typedef enum output_format { FORMAT_TABLE, FORMAT_MARKDOWN, FORMAT_JSON } output_format;

typedef struct compare_options {
    double threshold_pct;
    output_format format;
    int allow_single;
    int show_help;
    const char *base_path;
    const char *new_path;
} compare_options;

static void print_help(FILE *out)
{
    fputs("Usage: news-processor compare [OPTIONS] BASE.json NEW.json\n"
          "\n"
          "Compares two timing reports (schema news-processor-report, version 1; see\n"
          "docs/report.md), using the runs that are neither warm-ups nor interrupted. For\n"
          "each metric it prints, per side, the median and the spread (min-max) of the runs,\n"
          "and the change from BASE to NEW; then the geometric mean of the time metrics.\n"
          "With 4 or more runs per side, a Mann-Whitney U test decides whether the change is\n"
          "significant: '~' means it is not (p >= 0.05). Metrics: wall_ms (the pipeline),\n"
          "overhead (wall / critical path), throughput_per_s (higher is better), the whole\n"
          "process's wall, user and system time (bench), the observed p50 and p99 of each\n"
          "stage, the queue's producer and collector waits, peak_rss_kb and max_rss_kb.\n"
          "'n/a' marks a metric missing from some run, or a change from 0.\n"
          "\n"
          "Options:\n",
          out);
    np_help_print_options(out, option_table, OPTION_COUNT, 0, 25);
    fprintf(out,
            "\nExit status:\n"
            "  %d  no regression (or fewer than 4 runs a side, without --allow-single)\n"
            "  %d  NEW's median wall time regressed beyond the threshold\n"
            "  %d  usage error; a file that cannot be read, is not a report, has an\n"
            "     unknown schema version or no runs; or the output cannot be written\n",
            NP_EXIT_OK, COMPARE_REGRESSION, NP_EXIT_USAGE);
}

/* Parses a percentage: a finite number >= 0, optionally followed by '%'. */
static int parse_percentage(const char *text, double *value)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    if (*end == '%')
        end++;
    if (*end != '\0')
        return -1;
    *value = v;
    return 0;
}

/* Parses argv into opts. Returns 0, or -1 after printing one line on err. */
static int parse_options(int argc, char **argv, compare_options *opts, FILE *err)
{
    *opts = (compare_options){.threshold_pct = DEFAULT_THRESHOLD, .format = FORMAT_TABLE};
    struct option long_options[OPTION_COUNT + 1];
    char short_options[2 * OPTION_COUNT + 2];
    np_help_getopt_tables(option_table, OPTION_COUNT, 1, long_options, short_options);

    int key;
    while ((key = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        switch (key) {
        case OPT_HELP:
            opts->show_help = 1;
            return 0;
        case OPT_THRESHOLD:
            if (parse_percentage(optarg, &opts->threshold_pct) != 0) {
                fprintf(err, PREFIX "--threshold '%s': expected a percentage, a number >= 0\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_ALLOW_SINGLE:
            opts->allow_single = 1;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "table") == 0) {
                opts->format = FORMAT_TABLE;
            } else if (strcmp(optarg, "markdown") == 0) {
                opts->format = FORMAT_MARKDOWN;
            } else if (strcmp(optarg, "json") == 0) {
                opts->format = FORMAT_JSON;
            } else {
                fprintf(err, PREFIX "--format '%s': expected table, markdown or json\n", optarg);
                return -1;
            }
            break;
        default: /* ':' or '?' */
            np_help_option_error(err, "compare", key, argv);
            return -1;
        }
    }
    if (argc - optind != 2) {
        fprintf(err, PREFIX "expected two reports, BASE.json NEW.json (see 'news-processor compare "
                            "--help')\n");
        return -1;
    }
    opts->base_path = argv[optind];
    opts->new_path = argv[optind + 1];
    if (strcmp(opts->base_path, "-") == 0 && strcmp(opts->new_path, "-") == 0) {
        fprintf(err, PREFIX "only one report can come from standard input (-)\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading a report */

typedef struct report {
    const char *path;
    cJSON *doc;
    const cJSON *options; /* the "options" member, or NULL */
    const cJSON **runs;   /* the runs that are not warm-ups, in file order (malloc'd) */
    size_t run_count;
    size_t interrupted_count; /* runs marked "interrupted" (a cancelled bench run): not compared */
} report;

static void report_free(report *r)
{
    cJSON_Delete(r->doc);
    free((void *)r->runs);
    r->doc = NULL;
    r->runs = NULL;
}

/* Prints "news-processor: compare: PATH: message" as one line. */
static void file_error(FILE *err, const char *path, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(err, PREFIX "%s: ", path);
    vfprintf(err, fmt, args);
    fputc('\n', err);
    va_end(args);
}

/* Parses text[0..len) strictly into r->doc. Returns 0, or -1 after reporting. */
static int parse_document(report *r, const char *text, size_t len, FILE *err)
{
    if (text[strspn(text, " \t\r\n")] == '\0') {
        file_error(err, r->path, "not JSON (empty file)");
        return -1;
    }
    const char *end = NULL;
    r->doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!r->doc) {
        size_t offset = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        size_t line, column;
        np_file_text_position(text, offset, &line, &column);
        file_error(err, r->path, "not JSON (syntax error at line %zu, column %zu)", line, column);
        return -1;
    }
    return 0;
}

/* Checks the schema and collects the non-warm-up runs. Returns 0, or -1 after reporting. */
static int check_report(report *r, FILE *err)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(r->doc, "schema");
    if (!cJSON_IsObject(r->doc) || !cJSON_IsString(schema) ||
        strcmp(schema->valuestring, NP_REPORT_SCHEMA) != 0) {
        file_error(err, r->path, "not a news-processor report (\"schema\" is not \"%s\")",
                   NP_REPORT_SCHEMA);
        return -1;
    }
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(r->doc, "schema_version");
    if (!cJSON_IsNumber(version)) {
        file_error(err, r->path,
                   "\"schema_version\" is missing or not a number (this news-processor reads "
                   "version %d)",
                   NP_REPORT_SCHEMA_VERSION);
        return -1;
    }
    if (version->valuedouble != NP_REPORT_SCHEMA_VERSION) {
        file_error(err, r->path, "unknown schema_version %g (this news-processor reads version %d)",
                   version->valuedouble, NP_REPORT_SCHEMA_VERSION);
        return -1;
    }
    r->options = cJSON_GetObjectItemCaseSensitive(r->doc, "options");
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(r->doc, "runs");
    if (!cJSON_IsArray(runs)) {
        file_error(err, r->path, "malformed report: \"runs\" is missing or not an array");
        return -1;
    }
    size_t total = (size_t)cJSON_GetArraySize(runs);
    r->runs = malloc((total ? total : 1) * sizeof(const cJSON *));
    if (!r->runs) {
        file_error(err, r->path, "out of memory");
        return -1;
    }
    size_t number = 0;
    const cJSON *run;
    cJSON_ArrayForEach(run, runs)
    {
        number++;
        if (!cJSON_IsObject(run)) {
            file_error(err, r->path, "malformed report: run #%zu is not an object", number);
            return -1;
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "warmup")))
            continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "interrupted"))) {
            r->interrupted_count++;
            continue;
        }
        const cJSON *wall = cJSON_GetObjectItemCaseSensitive(run, "wall_ms");
        if (!cJSON_IsNumber(wall) || !isfinite(wall->valuedouble) || wall->valuedouble < 0) {
            file_error(err, r->path, "malformed report: run #%zu has no \"wall_ms\" number",
                       number);
            return -1;
        }
        r->runs[r->run_count++] = run;
    }
    if (r->run_count == 0) {
        file_error(err, r->path,
                   "no runs to compare (a report needs a run that is not a warm-up%s)",
                   r->interrupted_count ? " and was not interrupted" : "");
        return -1;
    }
    return 0;
}

/* Loads and checks the report at path. Returns 0, or -1 after reporting (r is then freed). */
static int report_load(report *r, const char *path, FILE *err)
{
    *r = (report){.path = path};
    int from_stdin = strcmp(path, "-") == 0; /* - is standard input */
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        file_error(err, path, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t len = 0;
    char *text = np_file_text_read(f, &len);
    int read_errno = errno;
    if (!from_stdin)
        fclose(f);
    if (!text) {
        file_error(err, path, "cannot read: %s", strerror(read_errno));
        return -1;
    }
    int status = parse_document(r, text, len, err);
    free(text);
    if (status == 0)
        status = check_report(r, err);
    if (status != 0)
        report_free(r);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* The comparison */

/* What kind of number a metric is: times go into the geometric mean; a peak that runs made in
 * one process share only grows from run to run, so comparing its runs as samples means nothing. */
typedef enum metric_kind { KIND_TIME, KIND_RATIO, KIND_PEAK_IN_PROCESS, KIND_OTHER } metric_kind;

typedef struct metric_spec {
    const char *name;
    const char *path[5]; /* members from the run object down to the number, NULL-terminated */
    int decimals;        /* as measured: shown in the table, and the JSON's rounding */
    metric_kind kind;
} metric_spec;

static const metric_spec metric_table[] = {
    {"wall_ms", {"wall_ms"}, 3, KIND_TIME},
    {"overhead", {"overhead"}, 4, KIND_RATIO},
    {"throughput_per_s", {"throughput_per_s"}, 3, KIND_OTHER},
    {"process_wall_ms", {"process_wall_ms"}, 3, KIND_TIME},
    {"user_ms", {"user_ms"}, 3, KIND_TIME},
    {"sys_ms", {"sys_ms"}, 3, KIND_TIME},
    {"summarization.p50_ms", {"stages", "summarization", "observed_ms", "p50"}, 3, KIND_TIME},
    {"summarization.p99_ms", {"stages", "summarization", "observed_ms", "p99"}, 3, KIND_TIME},
    {"sentiment.p50_ms", {"stages", "sentiment", "observed_ms", "p50"}, 3, KIND_TIME},
    {"sentiment.p99_ms", {"stages", "sentiment", "observed_ms", "p99"}, 3, KIND_TIME},
    {"summarization.ttft_p50_ms", {"stages", "summarization", "ttft_ms", "p50"}, 3, KIND_TIME},
    {"summarization.ttft_p99_ms", {"stages", "summarization", "ttft_ms", "p99"}, 3, KIND_TIME},
    {"sentiment.ttft_p50_ms", {"stages", "sentiment", "ttft_ms", "p50"}, 3, KIND_TIME},
    {"sentiment.ttft_p99_ms", {"stages", "sentiment", "ttft_ms", "p99"}, 3, KIND_TIME},
    {"tokens.out_per_s", {"tokens", "out_per_s"}, 3, KIND_OTHER},
    {"queue.producer_wait_ms", {"queue", "producer_wait_ms"}, 3, KIND_TIME},
    {"queue.collector_wait_ms", {"queue", "collector_wait_ms"}, 3, KIND_TIME},
    {"peak_rss_kb", {"peak_rss_kb"}, 0, KIND_PEAK_IN_PROCESS},
    {"max_rss_kb", {"max_rss_kb"}, 0, KIND_OTHER},
};

static const metric_spec articles_spec = {"articles", {"articles"}, 0, KIND_OTHER};
static const metric_spec process_spec = {"process_wall_ms", {"process_wall_ms"}, 3, KIND_TIME};

#define METRIC_COUNT (sizeof(metric_table) / sizeof(metric_table[0]))
#define WALL_METRIC  0 /* metric_table[0] is wall_ms: the verdict and the exit status use it */

typedef struct metric_result {
    int base_defined; /* every base run has the metric as a finite number */
    int new_defined;
    double base; /* medians */
    double new_value;
    double base_min, base_max, new_min, new_max; /* the spread of each side's runs */
    int unchanged;                               /* both medians 0 */
    int has_delta;                               /* both defined and base != 0 */
    double delta_pct;
    int untestable; /* a peak shared by runs in one process: no test, whatever the run count */
    int tested;     /* both defined with >= MIN_TESTED_RUNS runs each: p is meaningful */
    double p;
    int significant;
} metric_result;

typedef struct option_diff {
    const char *name;
    const cJSON *base; /* NULL when absent */
    const cJSON *new_value;
} option_diff;

typedef enum verdict { VERDICT_SAME, VERDICT_FASTER, VERDICT_SLOWER } verdict;

typedef struct comparison {
    const report *base;
    const report *new_report;
    double threshold_pct;
    int allow_single;
    option_diff *diffs;
    size_t diff_count;
    metric_result metrics[METRIC_COUNT];
    double base_articles, new_articles; /* medians; NAN when unknown */
    size_t geomean_count;               /* time metrics with a median > 0 on both sides */
    double geomean_base, geomean_new;   /* their geometric means */
    verdict verdict;
    double speedup; /* base wall median / new wall median; NAN when new is 0 */
    int beyond;     /* NEW's wall time is beyond the threshold */
    int ungated;    /* ... but too few runs to gate on it (no --allow-single) */
    int regression; /* the exit status is 1 */
} comparison;

/* The metric's value in one run, or NAN when it is missing, null or not finite. */
static double run_value(const cJSON *run, const metric_spec *spec)
{
    const cJSON *node = run;
    for (size_t i = 0; spec->path[i] && node; i++)
        node = cJSON_GetObjectItemCaseSensitive(node, spec->path[i]);
    return node && cJSON_IsNumber(node) && isfinite(node->valuedouble) ? node->valuedouble : NAN;
}

/* Gathers one side's values into values[]. Returns whether every run had one. */
static int gather(const report *r, const metric_spec *spec, double *values)
{
    for (size_t i = 0; i < r->run_count; i++) {
        values[i] = run_value(r->runs[i], spec);
        if (isnan(values[i]))
            return 0;
    }
    return 1;
}

/* The median of one side's values of spec, or NAN when some run lacks it. */
static double side_median(const report *r, const metric_spec *spec, double *scratch)
{
    return gather(r, spec, scratch) ? np_stats_summarize(scratch, r->run_count, scratch).median
                                    : NAN;
}

/* scratch holds base->run_count + new_report->run_count doubles. in_process: some run was made
 * inside one process with others (it has no process_wall_ms). */
static void compare_metric(const report *base, const report *new_report, const metric_spec *spec,
                           int in_process, double *scratch, metric_result *m)
{
    double *base_values = scratch, *new_values = scratch + base->run_count;
    *m = (metric_result){.base = NAN, .new_value = NAN, .delta_pct = NAN, .p = NAN};
    m->base_defined = gather(base, spec, base_values);
    m->new_defined = gather(new_report, spec, new_values);
    if (m->base_defined) { /* sorts in place: the test below does not need the order */
        np_stats_summary b = np_stats_summarize(base_values, base->run_count, base_values);
        m->base = b.median;
        m->base_min = b.min;
        m->base_max = b.max;
    }
    if (m->new_defined) {
        np_stats_summary n = np_stats_summarize(new_values, new_report->run_count, new_values);
        m->new_value = n.median;
        m->new_min = n.min;
        m->new_max = n.max;
    }
    if (!m->base_defined || !m->new_defined)
        return;
    m->unchanged = m->base == 0 && m->new_value == 0;
    if (m->base != 0) {
        m->has_delta = 1;
        m->delta_pct = (m->new_value - m->base) / m->base * 100.0;
    }
    m->untestable = spec->kind == KIND_PEAK_IN_PROCESS && in_process;
    if (!m->untestable && base->run_count >= MIN_TESTED_RUNS &&
        new_report->run_count >= MIN_TESTED_RUNS) {
        m->tested = 1;
        m->p = np_stats_mann_whitney_p(base_values, base->run_count, new_values,
                                       new_report->run_count);
        m->significant = m->p < SIGNIFICANCE;
    }
}

/* Adds to c->diffs every option whose value differs, base's order first, then new-only ones. */
static int collect_option_diffs(comparison *c)
{
    const cJSON *base = cJSON_IsObject(c->base->options) ? c->base->options : NULL;
    const cJSON *added = cJSON_IsObject(c->new_report->options) ? c->new_report->options : NULL;
    size_t capacity = (size_t)cJSON_GetArraySize(base) + (size_t)cJSON_GetArraySize(added);
    c->diffs = malloc((capacity ? capacity : 1) * sizeof(*c->diffs));
    if (!c->diffs)
        return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, base)
    {
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(added, item->string);
        if (!other || !cJSON_Compare(item, other, 1))
            c->diffs[c->diff_count++] = (option_diff){item->string, item, other};
    }
    cJSON_ArrayForEach(item, added)
    {
        if (!cJSON_GetObjectItemCaseSensitive(base, item->string))
            c->diffs[c->diff_count++] = (option_diff){item->string, NULL, item};
    }
    return 0;
}

static int compare_reports(comparison *c)
{
    if (collect_option_diffs(c) != 0)
        return -1;
    size_t runs = c->base->run_count + c->new_report->run_count;
    double *scratch = malloc(runs * sizeof(*scratch));
    if (!scratch)
        return -1;
    int in_process =
        !gather(c->base, &process_spec, scratch) || !gather(c->new_report, &process_spec, scratch);
    c->base_articles = side_median(c->base, &articles_spec, scratch);
    c->new_articles = side_median(c->new_report, &articles_spec, scratch);
    for (size_t i = 0; i < METRIC_COUNT; i++)
        compare_metric(c->base, c->new_report, &metric_table[i], in_process, scratch,
                       &c->metrics[i]);
    free(scratch);

    /* The geometric mean of the time metrics, as benchstat sums up a table. */
    double log_base = 0, log_new = 0;
    for (size_t i = 0; i < METRIC_COUNT; i++) {
        const metric_result *m = &c->metrics[i];
        if (metric_table[i].kind != KIND_TIME || !m->base_defined || !m->new_defined ||
            !(m->base > 0) || !(m->new_value > 0))
            continue;
        log_base += log(m->base);
        log_new += log(m->new_value);
        c->geomean_count++;
    }
    c->geomean_base = c->geomean_count ? exp(log_base / (double)c->geomean_count) : NAN;
    c->geomean_new = c->geomean_count ? exp(log_new / (double)c->geomean_count) : NAN;

    /* wall_ms is defined on both sides: check_report insists on it in every run */
    const metric_result *wall = &c->metrics[WALL_METRIC];
    c->speedup = wall->new_value > 0 ? wall->base / wall->new_value : NAN;
    if ((wall->tested && !wall->significant) || wall->new_value == wall->base)
        c->verdict = VERDICT_SAME;
    else
        c->verdict = wall->new_value < wall->base ? VERDICT_FASTER : VERDICT_SLOWER;
    c->beyond = wall->has_delta ? wall->delta_pct > c->threshold_pct : wall->new_value > 0;
    /* Untested single runs flap (two identical runs measured 2.26x apart): they gate only when
     * asked to. */
    c->ungated = c->beyond && !wall->tested && !c->allow_single;
    c->regression = c->beyond && (wall->tested ? wall->significant : c->allow_single);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Output */

/* Writes a number as JSON: integers without a fraction, others in their shortest exact form. */
static void print_number(FILE *out, double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(out, "%.0f", v == 0 ? 0.0 : v);
    else
        np_json_write_double(out, v);
}

/* Writes a JSON value compactly, with ", " and ": " separators (valid JSON, easy to read). */
static void print_value(FILE *out, const cJSON *v)
{
    const cJSON *child;
    if (v && cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", out);
    } else if (v && cJSON_IsNumber(v)) {
        print_number(out, v->valuedouble);
    } else if (v && cJSON_IsString(v)) {
        np_json_write_string(out, v->valuestring, strlen(v->valuestring));
    } else if (v && cJSON_IsArray(v)) {
        fputc('[', out);
        cJSON_ArrayForEach(child, v)
        {
            fputs(child == v->child ? "" : ", ", out);
            print_value(out, child);
        }
        fputc(']', out);
    } else if (v && cJSON_IsObject(v)) {
        fputc('{', out);
        cJSON_ArrayForEach(child, v)
        {
            fputs(child == v->child ? "" : ", ", out);
            np_json_write_string(out, child->string, strlen(child->string));
            fputs(": ", out);
            print_value(out, child);
        }
        fputc('}', out);
    } else { /* null, a missing value, or nothing a parsed document holds */
        fputs("null", out);
    }
}

/* A side of an option difference as text: its JSON, or "(absent)". */
static void print_option_side(FILE *out, const cJSON *v, int markdown)
{
    if (!v) {
        fputs("(absent)", out);
        return;
    }
    if (markdown)
        fputc('`', out);
    print_value(out, v);
    if (markdown)
        fputc('`', out);
}

enum { CELL_SIZE = 64, COLUMN_COUNT = 6, ROW_MAX = METRIC_COUNT + 2 };

/* The table's cells: row 0 is the header, then one row per metric that either side has, then
 * the geometric mean. */
typedef struct table_cells {
    char cell[ROW_MAX][COLUMN_COUNT][CELL_SIZE];
    size_t rows;
} table_cells;

/* A number with the metric's decimals, or "n/a". */
static void format_value(char *cell, int defined, double v, int decimals)
{
    if (defined)
        snprintf(cell, CELL_SIZE, "%.*f", decimals, v);
    else
        snprintf(cell, CELL_SIZE, "n/a");
}

static void format_spread(char *cell, int defined, double lo, double hi, int decimals)
{
    if (defined)
        snprintf(cell, CELL_SIZE, "%.*f\u2013%.*f", decimals, lo, decimals, hi);
    else
        snprintf(cell, CELL_SIZE, "n/a");
}

static void format_delta(char *cell, const metric_result *m)
{
    if (!m->base_defined || !m->new_defined)
        snprintf(cell, CELL_SIZE, "n/a");
    else if (m->unchanged)
        snprintf(cell, CELL_SIZE, "unchanged");
    else if (!m->has_delta)
        snprintf(cell, CELL_SIZE, "n/a (base 0)");
    else if (m->untestable)
        snprintf(cell, CELL_SIZE, "%+.1f%% (not tested)", m->delta_pct);
    else if (m->tested && !m->significant)
        snprintf(cell, CELL_SIZE, "~ (p=%.3f)", m->p);
    else if (m->tested)
        snprintf(cell, CELL_SIZE, "%+.1f%% (p=%.3f)", m->delta_pct, m->p);
    else
        snprintf(cell, CELL_SIZE, "%+.1f%%", m->delta_pct);
}

static void format_cells(const comparison *c, table_cells *t)
{
    char base_spread[CELL_SIZE], new_spread[CELL_SIZE];
    snprintf(base_spread, sizeof(base_spread), "min\u2013max (n=%zu)", c->base->run_count);
    snprintf(new_spread, sizeof(new_spread), "min\u2013max (n=%zu)", c->new_report->run_count);
    const char *const header[COLUMN_COUNT] = {"metric",     "base median", base_spread,
                                              "new median", new_spread,    "delta"};
    for (size_t col = 0; col < COLUMN_COUNT; col++)
        snprintf(t->cell[0][col], CELL_SIZE, "%s", header[col]);
    t->rows = 1;
    for (size_t i = 0; i < METRIC_COUNT; i++) {
        const metric_result *m = &c->metrics[i];
        if (!m->base_defined && !m->new_defined && i != WALL_METRIC)
            continue; /* e.g. the process's figures, in reports of single runs */
        char(*row)[CELL_SIZE] = t->cell[t->rows++];
        int decimals = metric_table[i].decimals;
        snprintf(row[0], CELL_SIZE, "%s", metric_table[i].name);
        format_value(row[1], m->base_defined, m->base, decimals);
        format_spread(row[2], m->base_defined, m->base_min, m->base_max, decimals);
        format_value(row[3], m->new_defined, m->new_value, decimals);
        format_spread(row[4], m->new_defined, m->new_min, m->new_max, decimals);
        format_delta(row[5], m);
    }
    if (c->geomean_count > 0) {
        char(*row)[CELL_SIZE] = t->cell[t->rows++];
        snprintf(row[0], CELL_SIZE, "geomean (%zu times)", c->geomean_count);
        format_value(row[1], 1, c->geomean_base, 3);
        snprintf(row[2], CELL_SIZE, " ");
        format_value(row[3], 1, c->geomean_new, 3);
        snprintf(row[4], CELL_SIZE, " ");
        snprintf(row[5], CELL_SIZE, "%+.1f%%", (c->geomean_new / c->geomean_base - 1) * 100.0);
    }
}

/* Characters, not bytes, so that "–" takes one column. */
static int display_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void print_padded(FILE *out, const char *cell, int width, int right)
{
    int pad = width - display_width(cell);
    if (right)
        fprintf(out, "%*s%s", pad > 0 ? pad : 0, "", cell);
    else
        fprintf(out, "%s%*s", cell, pad > 0 ? pad : 0, "");
}

static void print_verdict(FILE *out, const comparison *c)
{
    const metric_result *wall = &c->metrics[WALL_METRIC];
    switch (c->verdict) {
    case VERDICT_SAME:
        fputs(wall->tested ? "no significant difference in wall time\n"
                           : "no difference in wall time\n",
              out);
        break;
    case VERDICT_FASTER:
        if (isfinite(c->speedup))
            fprintf(out, "NEW is %.2f\u00d7 faster\n", c->speedup);
        else
            fputs("NEW is faster (its wall time is 0)\n", out);
        break;
    case VERDICT_SLOWER:
        if (wall->base > 0)
            fprintf(out, "NEW is %.2f\u00d7 slower\n", wall->new_value / wall->base);
        else
            fputs("NEW is slower (BASE's wall time is 0)\n", out);
        break;
    }
}

/* The lines under the verdict: why there is no test, why a slower NEW does not fail the gate,
 * which metric could not be tested. */
static void print_notes(FILE *out, const comparison *c, int markdown)
{
    const char *q = markdown ? "`" : "'";
    if (c->ungated)
        fprintf(out,
                "%snot a failure: with fewer than 4 runs a side there is no significance test, "
                "and single runs differ by chance (two identical ones measured 2.26\u00d7 apart); "
                "use %snews-processor bench --runs 4%s or more, or --allow-single to fail on the "
                "threshold alone\n",
                markdown ? "\n" : "", q, q);
    else if (c->base->run_count < MIN_TESTED_RUNS || c->new_report->run_count < MIN_TESTED_RUNS)
        fprintf(out,
                "%s(fewer than 4 runs per side: no significance test; use %snews-processor bench "
                "--runs N%s)\n",
                markdown ? "\n" : "", q, q);
    for (size_t i = 0; i < METRIC_COUNT; i++)
        if (c->metrics[i].untestable)
            fprintf(out,
                    "%s: runs made in one process share one peak, which only grows from run to "
                    "run: not tested\n",
                    metric_table[i].name);
}

/* "base PATH: N runs (1 interrupted run ignored)", as the table and markdown headers say it. */
static void print_side(FILE *out, const char *label, const report *r, int markdown)
{
    fprintf(out, markdown ? "%s `%s`: %zu run%s" : "%s %s: %zu run%s", label, r->path, r->run_count,
            r->run_count == 1 ? "" : "s");
    if (r->interrupted_count)
        fprintf(out, " (%zu interrupted run%s ignored)", r->interrupted_count,
                r->interrupted_count == 1 ? "" : "s");
}

static void print_header(FILE *out, const comparison *c, int markdown)
{
    print_side(out, "base", c->base, markdown);
    fputs("; ", out);
    print_side(out, "new", c->new_report, markdown);
    fputs(markdown ? "\n\n" : "\n", out);
}

/* "thread", "pool (4 workers)": a side's scheduling, as a reader says it. */
static void describe_mode(char *buf, size_t size, const cJSON *options)
{
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(options, "mode");
    const cJSON *workers = cJSON_GetObjectItemCaseSensitive(options, "workers");
    const char *name = cJSON_IsString(mode) ? mode->valuestring : "(absent)";
    if (cJSON_IsNumber(workers) && workers->valuedouble > 0)
        snprintf(buf, size, "%s (%.0f worker%s)", name, workers->valuedouble,
                 workers->valuedouble == 1 ? "" : "s");
    else
        snprintf(buf, size, "%s", name);
}

/* How the inputs and options differ, one line each: "inputs differ", then every option, with
 * mode and workers told together. */
static void print_differences(FILE *out, const comparison *c, int markdown)
{
    const char *bullet = markdown ? "- " : "";
    size_t lines = 0;
    if (isfinite(c->base_articles) && isfinite(c->new_articles) &&
        c->base_articles != c->new_articles) {
        fprintf(out, "%sinputs differ: %.0f vs %.0f articles a run\n", bullet, c->base_articles,
                c->new_articles);
        lines++;
    }
    int mode_told = 0;
    for (size_t i = 0; i < c->diff_count; i++) {
        const char *name = c->diffs[i].name;
        if (strcmp(name, "mode") == 0 || strcmp(name, "workers") == 0) {
            if (mode_told++)
                continue;
            char base[96], added[96];
            describe_mode(base, sizeof(base), c->base->options);
            describe_mode(added, sizeof(added), c->new_report->options);
            fprintf(out, "%soptions differ: mode %s vs %s\n", bullet, base, added);
        } else {
            fprintf(out, "%soptions differ: %s ", bullet, name);
            print_option_side(out, c->diffs[i].base, markdown);
            fputs(" vs ", out);
            print_option_side(out, c->diffs[i].new_value, markdown);
            fputc('\n', out);
        }
        lines++;
    }
    if (markdown && lines)
        fputc('\n', out);
}

/* The table (aligned in columns) or markdown (a GitHub table) output, with its header lines,
 * verdict and notes. */
static void print_text(FILE *out, const comparison *c, int markdown)
{
    print_header(out, c, markdown);
    print_differences(out, c, markdown);
    if (!markdown)
        fputc('\n', out);
    table_cells t;
    format_cells(c, &t);
    int width[COLUMN_COUNT] = {0};
    for (size_t row = 0; row < t.rows; row++)
        for (size_t col = 0; col < COLUMN_COUNT; col++) {
            int len = display_width(t.cell[row][col]);
            width[col] = len > width[col] ? len : width[col];
        }
    for (size_t row = 0; row < t.rows; row++) {
        if (markdown) {
            for (size_t col = 0; col < COLUMN_COUNT; col++)
                fprintf(out, "| %s ", t.cell[row][col]);
            fputs(row == 0 ? "|\n| --- | ---: | ---: | ---: | ---: | ---: |\n" : "|\n", out);
            continue;
        }
        for (size_t col = 0; col + 1 < COLUMN_COUNT; col++) {
            print_padded(out, t.cell[row][col], width[col], col > 0);
            fputs("  ", out);
        }
        fprintf(out, "%s\n", t.cell[row][COLUMN_COUNT - 1]);
    }
    fputc('\n', out);
    print_verdict(out, c);
    print_notes(out, c, markdown);
}

/* key, then a number rounded to decimals places, as short as it reads (1.0117 not
 * 1.0117500000000001), or null. */
static void print_rounded(FILE *out, const char *key, double v, int decimals)
{
    fputs(key, out);
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    char text[64];
    snprintf(text, sizeof(text), "%.*f", decimals, v);
    char *dot = strchr(text, '.');
    if (dot) {
        char *end = text + strlen(text);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    fputs(strcmp(text, "-0") == 0 ? "0" : text, out);
}

static void print_json(FILE *out, const comparison *c)
{
    static const char *const verdict_names[] = {
        [VERDICT_SAME] = "same", [VERDICT_FASTER] = "faster", [VERDICT_SLOWER] = "slower"};
    fputs("{\"base\": ", out);
    np_json_write_string(out, c->base->path, strlen(c->base->path));
    fputs(", \"new\": ", out);
    np_json_write_string(out, c->new_report->path, strlen(c->new_report->path));
    fprintf(out,
            ", \"base_runs\": %zu, \"new_runs\": %zu, \"base_interrupted_runs\": %zu, "
            "\"new_interrupted_runs\": %zu, \"threshold_pct\": ",
            c->base->run_count, c->new_report->run_count, c->base->interrupted_count,
            c->new_report->interrupted_count);
    print_number(out, c->threshold_pct);
    print_rounded(out, ",\n \"base_articles\": ", c->base_articles, 1);
    print_rounded(out, ", \"new_articles\": ", c->new_articles, 1);
    fputs(",\n \"options_differ\": [", out);
    for (size_t i = 0; i < c->diff_count; i++) {
        fputs(i ? ",\n   {\"name\": " : "\n   {\"name\": ", out);
        np_json_write_string(out, c->diffs[i].name, strlen(c->diffs[i].name));
        fputs(", \"base\": ", out);
        print_value(out, c->diffs[i].base);
        fputs(", \"new\": ", out);
        print_value(out, c->diffs[i].new_value);
        fputc('}', out);
    }
    fputs("],\n \"metrics\": [", out);
    for (size_t i = 0; i < METRIC_COUNT; i++) {
        const metric_result *m = &c->metrics[i];
        int d = metric_table[i].decimals;
        fprintf(out, "%s\n   {\"name\": \"%s\"", i ? "," : "", metric_table[i].name);
        print_rounded(out, ", \"base\": ", m->base_defined ? m->base : NAN, d);
        print_rounded(out, ", \"base_min\": ", m->base_defined ? m->base_min : NAN, d);
        print_rounded(out, ", \"base_max\": ", m->base_defined ? m->base_max : NAN, d);
        print_rounded(out, ", \"new\": ", m->new_defined ? m->new_value : NAN, d);
        print_rounded(out, ", \"new_min\": ", m->new_defined ? m->new_min : NAN, d);
        print_rounded(out, ", \"new_max\": ", m->new_defined ? m->new_max : NAN, d);
        double delta = m->unchanged ? 0.0 : m->has_delta ? m->delta_pct : NAN;
        print_rounded(out, ", \"delta_pct\": ", delta, 2);
        print_rounded(out, ", \"p_value\": ", m->tested ? m->p : NAN, 4);
        fprintf(out, ", \"significant\": %s, \"unchanged\": %s}", m->significant ? "true" : "false",
                m->unchanged ? "true" : "false");
    }
    fprintf(out, "],\n \"geomean\": {\"metrics\": %zu", c->geomean_count);
    print_rounded(out, ", \"base\": ", c->geomean_base, 3);
    print_rounded(out, ", \"new\": ", c->geomean_new, 3);
    print_rounded(out, ", \"delta_pct\": ",
                  c->geomean_count ? (c->geomean_new / c->geomean_base - 1) * 100.0 : NAN, 2);
    print_rounded(out, "},\n \"speedup\": ", c->speedup, 4);
    fprintf(out,
            ", \"verdict\": \"%s\", \"beyond_threshold\": %s, \"gated\": %s, \"regression\": %s}\n",
            verdict_names[c->verdict], c->beyond ? "true" : "false",
            c->metrics[WALL_METRIC].tested || c->allow_single ? "true" : "false",
            c->regression ? "true" : "false");
}

/* Flushes out; on a write error (full disk, closed pipe) reports it. Returns 0 or -1. */
static int flush_output(FILE *out, FILE *err)
{
    errno = 0;
    if (fflush(out) == 0 && !ferror(out))
        return 0;
    fprintf(err, PREFIX "cannot write the output: %s\n", strerror(errno ? errno : EIO));
    return -1;
}

/* ------------------------------------------------------------------------------------------ */

int np_compare_main(int argc, char **argv, FILE *out, FILE *err)
{
    compare_options opts;
    if (parse_options(argc, argv, &opts, err) != 0)
        return NP_EXIT_USAGE;
    if (opts.show_help) {
        print_help(out);
        return flush_output(out, err) == 0 ? NP_EXIT_OK : NP_EXIT_USAGE;
    }
    report base, new_report;
    if (report_load(&base, opts.base_path, err) != 0)
        return NP_EXIT_USAGE;
    if (report_load(&new_report, opts.new_path, err) != 0) {
        report_free(&base);
        return NP_EXIT_USAGE;
    }
    comparison c = {.base = &base,
                    .new_report = &new_report,
                    .threshold_pct = opts.threshold_pct,
                    .allow_single = opts.allow_single};
    int status = NP_EXIT_USAGE;
    if (compare_reports(&c) != 0) {
        fputs(PREFIX "out of memory\n", err);
    } else {
        if (opts.format == FORMAT_JSON)
            print_json(out, &c);
        else
            print_text(out, &c, opts.format == FORMAT_MARKDOWN);
        if (flush_output(out, err) == 0)
            status = c.regression ? COMPARE_REGRESSION : NP_EXIT_OK;
    }
    free(c.diffs);
    report_free(&base);
    report_free(&new_report);
    return status;
}

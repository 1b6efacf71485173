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

enum option_key { OPT_HELP = 'h', OPT_THRESHOLD = 256, OPT_FORMAT };

static const np_option option_table[] = {
    {"threshold", OPT_THRESHOLD, 0, "PCT",
     "exit 1 when NEW's median wall time is more than PCT percent above BASE's (default 5); "
     "with 4 or more runs per side, only when the difference is also significant (p < 0.05)"},
    {"format", OPT_FORMAT, 0, "FORMAT", "table (default), markdown (a GitHub table) or json"},
    {"help", OPT_HELP, 0, NULL, "show this help and exit"},
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

typedef enum output_format { FORMAT_TABLE, FORMAT_MARKDOWN, FORMAT_JSON } output_format;

typedef struct compare_options {
    double threshold_pct;
    output_format format;
    int show_help;
    const char *base_path;
    const char *new_path;
} compare_options;

static void print_help(FILE *out)
{
    fputs("Usage: news-processor compare [OPTIONS] BASE.json NEW.json\n"
          "\n"
          "Compares two timing reports (schema news-processor-report, version 1; see\n"
          "docs/report.md), using the runs that are not warm-ups. For each metric it prints\n"
          "the median over each side's runs and the change from BASE to NEW. With 4 or more\n"
          "runs per side, a Mann-Whitney U test decides whether the change is significant:\n"
          "'~' means it is not (p >= 0.05). Metrics: wall_ms, overhead (wall / critical\n"
          "path), throughput_per_s (higher is better), the observed p50 and p99 of each\n"
          "stage, the queue's producer and collector waits, and peak_rss_kb. 'n/a' marks a\n"
          "metric missing from some run, or a change from 0.\n"
          "\n"
          "Options:\n",
          out);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const np_option *o = &option_table[i];
        np_help_print_option(out, o->key, o->long_name, o->arg_name, o->help, 25);
    }
    fprintf(out,
            "\nExit status:\n"
            "  %d  no regression\n"
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
    opterr = 0;
    optind = 0; /* GNU: 0 re-initializes getopt, so parsing can run more than once */
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
        case ':':
            fprintf(err, PREFIX "option '%s' requires an argument\n", argv[optind - 1]);
            return -1;
        default:
            if (optopt > 0 && optopt < 256)
                fprintf(err, PREFIX "unknown option '-%c' (see 'news-processor compare --help')\n",
                        optopt);
            else
                fprintf(err, PREFIX "unknown option '%s' (see 'news-processor compare --help')\n",
                        argv[optind - 1]);
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

/* Reads all of f into a NUL-terminated malloc'd buffer. NULL (errno set) on failure. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - n < 2) {
            char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int saved = errno ? errno : EIO;
        free(buf);
        errno = saved;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* LINE:COL (from 1; COL in characters) of byte offset in text. */
static void position_of(const char *text, size_t offset, size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            ++*line;
            *column = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            ++*column;
        }
    }
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
        position_of(text, offset, &line, &column);
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
                   "no runs to compare (a report needs a run that is not a "
                   "warm-up%s)",
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
    char *text = read_all(f, &len);
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

typedef struct metric_spec {
    const char *name;
    const char *path[5]; /* members from the run object down to the number, NULL-terminated */
    int decimals;        /* shown in the table */
} metric_spec;

static const metric_spec metric_table[] = {
    {"wall_ms", {"wall_ms"}, 3},
    {"overhead", {"overhead"}, 4},
    {"throughput_per_s", {"throughput_per_s"}, 3},
    {"summarization.p50_ms", {"stages", "summarization", "observed_ms", "p50"}, 3},
    {"summarization.p99_ms", {"stages", "summarization", "observed_ms", "p99"}, 3},
    {"sentiment.p50_ms", {"stages", "sentiment", "observed_ms", "p50"}, 3},
    {"sentiment.p99_ms", {"stages", "sentiment", "observed_ms", "p99"}, 3},
    {"queue.producer_wait_ms", {"queue", "producer_wait_ms"}, 3},
    {"queue.collector_wait_ms", {"queue", "collector_wait_ms"}, 3},
    {"peak_rss_kb", {"peak_rss_kb"}, 0},
};

#define METRIC_COUNT (sizeof(metric_table) / sizeof(metric_table[0]))
#define WALL_METRIC  0 /* metric_table[0] is wall_ms: the verdict and the exit status use it */

typedef struct metric_result {
    int base_defined; /* every base run has the metric as a finite number */
    int new_defined;
    double base; /* medians */
    double new_value;
    int has_delta; /* both defined and base != 0 */
    double delta_pct;
    int tested; /* both defined with >= MIN_TESTED_RUNS runs each: p is meaningful */
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
    option_diff *diffs;
    size_t diff_count;
    metric_result metrics[METRIC_COUNT];
    verdict verdict;
    double speedup; /* base wall median / new wall median; NAN when new is 0 */
    int regression;
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

/* scratch holds base->run_count + new_report->run_count doubles. */
static void compare_metric(const report *base, const report *new_report, const metric_spec *spec,
                           double *scratch, metric_result *m)
{
    double *base_values = scratch, *new_values = scratch + base->run_count;
    *m = (metric_result){.base = NAN, .new_value = NAN, .delta_pct = NAN, .p = NAN};
    m->base_defined = gather(base, spec, base_values);
    m->new_defined = gather(new_report, spec, new_values);
    if (m->base_defined) /* sorts in place: the test below does not need the order */
        m->base = np_stats_summarize(base_values, base->run_count, base_values).median;
    if (m->new_defined)
        m->new_value = np_stats_summarize(new_values, new_report->run_count, new_values).median;
    if (!m->base_defined || !m->new_defined)
        return;
    if (m->base != 0) {
        m->has_delta = 1;
        m->delta_pct = (m->new_value - m->base) / m->base * 100.0;
    }
    if (base->run_count >= MIN_TESTED_RUNS && new_report->run_count >= MIN_TESTED_RUNS) {
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
    for (size_t i = 0; i < METRIC_COUNT; i++)
        compare_metric(c->base, c->new_report, &metric_table[i], scratch, &c->metrics[i]);
    free(scratch);

    /* wall_ms is defined on both sides: check_report insists on it in every run */
    const metric_result *wall = &c->metrics[WALL_METRIC];
    c->speedup = wall->new_value > 0 ? wall->base / wall->new_value : NAN;
    if ((wall->tested && !wall->significant) || wall->new_value == wall->base)
        c->verdict = VERDICT_SAME;
    else
        c->verdict = wall->new_value < wall->base ? VERDICT_FASTER : VERDICT_SLOWER;
    int beyond = wall->has_delta ? wall->delta_pct > c->threshold_pct : wall->new_value > 0;
    c->regression = beyond && (!wall->tested || wall->significant);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Output */

/* Writes a number as JSON: integers without a fraction, others in their shortest exact form. */
static void print_number(FILE *out, double v)
{
    if (!isfinite(v)) {
        fputs("null", out);
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        fprintf(out, "%.0f", v == 0 ? 0.0 : v);
    } else {
        char text[32];
        snprintf(text, sizeof(text), "%.15g", v);
        if (strtod(text, NULL) != v)
            snprintf(text, sizeof(text), "%.17g", v);
        fputs(text, out);
    }
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

enum { CELL_SIZE = 64, COLUMN_COUNT = 4 };

/* The table's cells: row 0 is the header; then one row per metric. */
typedef char table_cells[METRIC_COUNT + 1][COLUMN_COUNT][CELL_SIZE];

static void format_cells(const comparison *c, table_cells cells)
{
    static const char *const header[COLUMN_COUNT] = {"metric", "base", "new", "delta"};
    for (size_t col = 0; col < COLUMN_COUNT; col++)
        snprintf(cells[0][col], CELL_SIZE, "%s", header[col]);
    for (size_t i = 0; i < METRIC_COUNT; i++) {
        const metric_result *m = &c->metrics[i];
        char(*row)[CELL_SIZE] = cells[i + 1];
        int decimals = metric_table[i].decimals;
        snprintf(row[0], CELL_SIZE, "%s", metric_table[i].name);
        if (m->base_defined)
            snprintf(row[1], CELL_SIZE, "%.*f", decimals, m->base);
        else
            snprintf(row[1], CELL_SIZE, "n/a");
        if (m->new_defined)
            snprintf(row[2], CELL_SIZE, "%.*f", decimals, m->new_value);
        else
            snprintf(row[2], CELL_SIZE, "n/a");
        if (!m->has_delta)
            snprintf(row[3], CELL_SIZE, "n/a");
        else if (m->tested && !m->significant)
            snprintf(row[3], CELL_SIZE, "~");
        else if (m->tested)
            snprintf(row[3], CELL_SIZE, "%+.1f%% (p=%.3f)", m->delta_pct, m->p);
        else
            snprintf(row[3], CELL_SIZE, "%+.1f%%", m->delta_pct);
    }
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

static int fewer_than_tested(const comparison *c)
{
    return c->base->run_count < MIN_TESTED_RUNS || c->new_report->run_count < MIN_TESTED_RUNS;
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

static void print_table(FILE *out, const comparison *c)
{
    print_header(out, c, 0);
    for (size_t i = 0; i < c->diff_count; i++) {
        fprintf(out, "options differ: %s ", c->diffs[i].name);
        print_option_side(out, c->diffs[i].base, 0);
        fputs(" vs ", out);
        print_option_side(out, c->diffs[i].new_value, 0);
        fputc('\n', out);
    }
    fputc('\n', out);
    table_cells cells;
    format_cells(c, cells);
    int width[COLUMN_COUNT] = {0};
    for (size_t row = 0; row <= METRIC_COUNT; row++)
        for (size_t col = 0; col < COLUMN_COUNT; col++) {
            int len = (int)strlen(cells[row][col]);
            width[col] = len > width[col] ? len : width[col];
        }
    for (size_t row = 0; row <= METRIC_COUNT; row++)
        fprintf(out, "%-*s  %*s  %*s  %s\n", width[0], cells[row][0], width[1], cells[row][1],
                width[2], cells[row][2], cells[row][3]);
    fputc('\n', out);
    print_verdict(out, c);
    if (fewer_than_tested(c))
        fputs("(fewer than 4 runs per side: no significance test; use 'news-processor bench "
              "--runs N')\n",
              out);
}

static void print_markdown(FILE *out, const comparison *c)
{
    print_header(out, c, 1);
    for (size_t i = 0; i < c->diff_count; i++) {
        fprintf(out, "- options differ: %s ", c->diffs[i].name);
        print_option_side(out, c->diffs[i].base, 1);
        fputs(" vs ", out);
        print_option_side(out, c->diffs[i].new_value, 1);
        fputc('\n', out);
    }
    if (c->diff_count)
        fputc('\n', out);
    table_cells cells;
    format_cells(c, cells);
    fputs("| metric | base | new | delta |\n| --- | ---: | ---: | ---: |\n", out);
    for (size_t row = 1; row <= METRIC_COUNT; row++)
        fprintf(out, "| %s | %s | %s | %s |\n", cells[row][0], cells[row][1], cells[row][2],
                cells[row][3]);
    fputc('\n', out);
    print_verdict(out, c);
    if (fewer_than_tested(c))
        fputs("\n(fewer than 4 runs per side: no significance test; use `news-processor bench "
              "--runs N`)\n",
              out);
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
        fprintf(out, "%s\n   {\"name\": \"%s\", \"base\": ", i ? "," : "", metric_table[i].name);
        print_number(out, m->base_defined ? m->base : NAN);
        fputs(", \"new\": ", out);
        print_number(out, m->new_defined ? m->new_value : NAN);
        fputs(", \"delta_pct\": ", out);
        print_number(out, m->has_delta ? m->delta_pct : NAN);
        fputs(", \"p_value\": ", out);
        print_number(out, m->tested ? m->p : NAN);
        fprintf(out, ", \"significant\": %s}", m->significant ? "true" : "false");
    }
    fputs("],\n \"speedup\": ", out);
    print_number(out, c->speedup);
    fprintf(out, ", \"verdict\": \"%s\", \"regression\": %s}\n", verdict_names[c->verdict],
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
    comparison c = {.base = &base, .new_report = &new_report, .threshold_pct = opts.threshold_pct};
    int status = NP_EXIT_USAGE;
    if (compare_reports(&c) != 0) {
        fputs(PREFIX "out of memory\n", err);
    } else {
        if (opts.format == FORMAT_JSON)
            print_json(out, &c);
        else if (opts.format == FORMAT_MARKDOWN)
            print_markdown(out, &c);
        else
            print_table(out, &c);
        if (flush_output(out, err) == 0)
            status = c.regression ? COMPARE_REGRESSION : NP_EXIT_OK;
    }
    free(c.diffs);
    report_free(&base);
    report_free(&new_report);
    return status;
}

/*
 * `news-processor merge` (see include/np/merge.h): the shards' NDJSON outputs back into input
 * order.
 *
 * Design: every part is read whole and kept in memory; each result line becomes an entry that
 * points into its part's buffer (no copy) with the line's "index"; the entries are sorted by
 * index, checked (each index once, none missing below the largest), and written in that order,
 * each line exactly as its shard wrote it, so a merged document differs from the unsharded
 * run's only where runs differ anyway (timings, "completed", which counts within its shard).
 * Lines are parsed with cJSON only to read "index" and "status": the text written is the line's.
 *
 * Single-threaded; cJSON's error pointer (a global) is read right after each parse. All state
 * lives on np_merge_main's stack, so the function may be called repeatedly, as the unit tests do.
 */
#include "np/merge.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "np/atomic_file.h"
#include "np/exit.h"
#include "np/file_text.h"
#include "np/help.h"
#include "np/result.h"

#define PREFIX "news-processor: merge: "

/* The largest index a line may carry: 2^53 - 1, the last integer a JSON number holds exactly. */
#define INDEX_MAX 9007199254740991.0

/* How many missing indexes an error lists before it says how many more. */
enum { MISSING_LISTED = 10 };

enum option_key { OPT_OUTPUT = 'o', OPT_HELP = 'h', OPT_FORMAT = 256 };

static const np_option option_table[] = {
    {"output", OPT_OUTPUT, 0, "FILE",
     "write the merged results to FILE instead of stdout (atomically: a temporary file renamed "
     "into place when complete); - is stdout"},
    {"format", OPT_FORMAT, 0, "FMT",
     "json: one results document (default); ndjson: one line per article, in input order"},
    {"help", OPT_HELP, 0, NULL, "show this help and exit"},
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

typedef struct merge_options {
    const char *output_path; /* NULL: stdout */
    int ndjson;
    int show_help;
    char **parts;
    size_t part_count;
} merge_options;

/* One part's text, read whole. */
typedef struct part {
    const char *path; /* as given; "-" is standard input */
    char *text;
    size_t len;
} part;

/* One result line: where it is, and the input index it carries. */
typedef struct entry {
    uint64_t index;
    const char *line; /* into its part's text; not NUL-terminated */
    size_t len;
    const part *from;
    size_t line_number;
} entry;

typedef struct entries {
    entry *items;
    size_t count;
    size_t capacity;
    size_t status_count[NP_STATUS_COUNT];
} entries;

static void print_help(FILE *out)
{
    fputs("Usage: news-processor merge [OPTIONS] PART.ndjson...\n"
          "\n"
          "Merges the NDJSON outputs of the shards of one run (--shard I/N --format ndjson)\n"
          "back into input order: each result line carries its input index (\"index\"), so\n"
          "the parts may be given in any order. Every index must appear exactly once, none\n"
          "missing below the largest. The result is one results document, each article's\n"
          "line as its shard wrote it, and \"run\": {\"articles\", \"parts\", \"status\"}: the\n"
          "combined figures (\"completed\" stays the order within its shard). - reads\n"
          "standard input.\n"
          "\n"
          "Options:\n",
          out);
    np_help_print_options(out, option_table, OPTION_COUNT, 0, 25);
    fputs("\nExit status: 0 merged; 1 a part could not be read or the output written;\n"
          "2 a usage error, a part that cannot be opened, or parts that are not the\n"
          "shards' outputs of one run (a line that is not a result, an index twice or\n"
          "missing).\n",
          out);
}

static int parse_options(int argc, char **argv, merge_options *opts, FILE *err)
{
    *opts = (merge_options){0};
    struct option long_options[OPTION_COUNT + 1];
    char short_options[2 * OPTION_COUNT + 2];
    np_help_getopt_tables(option_table, OPTION_COUNT, 1, long_options, short_options);

    int key;
    while ((key = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        switch (key) {
        case OPT_HELP:
            opts->show_help = 1;
            return 0;
        case OPT_OUTPUT:
            opts->output_path = strcmp(optarg, "-") == 0 ? NULL : optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0) {
                opts->ndjson = 0;
            } else if (strcmp(optarg, "ndjson") == 0) {
                opts->ndjson = 1;
            } else {
                fprintf(err, PREFIX "--format '%s': expected json or ndjson\n", optarg);
                return -1;
            }
            break;
        default: /* ':' or '?' */
            np_help_option_error(err, "merge", key, argv);
            return -1;
        }
    }
    opts->parts = argv + optind;
    opts->part_count = optind < argc ? (size_t)(argc - optind) : 0;
    if (opts->part_count == 0) {
        fprintf(err, PREFIX "expected the shards' outputs, PART.ndjson... (see 'news-processor "
                            "merge --help')\n");
        return -1;
    }
    int from_stdin = 0;
    for (size_t i = 0; i < opts->part_count; i++)
        from_stdin += strcmp(opts->parts[i], "-") == 0;
    if (from_stdin > 1) {
        fprintf(err, PREFIX "only one part can come from standard input (-)\n");
        return -1;
    }
    return 0;
}

/* Reads the part whole. Returns 0, or an exit status (the message written to err). */
static int part_read(part *p, FILE *err)
{
    int is_stdin = strcmp(p->path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(p->path, "rb");
    if (!in) {
        int e = errno;
        fprintf(err, "news-processor: %s: cannot open: %s\n", p->path, strerror(e));
        return e == ENOMEM ? NP_EXIT_FAILURE : NP_EXIT_USAGE;
    }
    int status = NP_EXIT_OK;
    p->text = np_file_text_read(in, &p->len);
    if (!p->text) {
        int e = errno;
        if (e == ENOMEM)
            fprintf(err, PREFIX "out of memory reading %s\n", p->path);
        else
            fprintf(err, "news-processor: %s: cannot read: %s\n", p->path, strerror(e));
        /* a directory names no usable file (what was given is wrong) */
        status = e == EISDIR ? NP_EXIT_USAGE : NP_EXIT_FAILURE;
    }
    if (!is_stdin)
        fclose(in);
    return status;
}

static int entries_add(entries *list, const entry *e)
{
    if (list->count == list->capacity) {
        size_t grown = list->capacity ? 2 * list->capacity : 1024;
        entry *bigger = realloc(list->items, grown * sizeof(*bigger));
        if (!bigger)
            return -1;
        list->items = bigger;
        list->capacity = grown;
    }
    list->items[list->count++] = *e;
    return 0;
}

/* Reads "index" and "status" of one result line into e and the counts. Returns 0, or an exit
 * status (the message written to err). */
static int read_result(const part *p, entry *e, entries *list, FILE *err)
{
    /* cJSON needs a NUL-terminated copy: the line ends at '\n', not at a NUL. */
    char *text = malloc(e->len + 1);
    if (!text) {
        fprintf(err, PREFIX "out of memory\n");
        return NP_EXIT_FAILURE;
    }
    memcpy(text, e->line, e->len);
    text[e->len] = '\0';
    const char *end = NULL;
    cJSON *item = cJSON_ParseWithLengthOpts(text, e->len + 1, &end, 1);
    int status = NP_EXIT_USAGE;
    const char *what = NULL;
    if (!item) {
        size_t offset = end ? (size_t)(end - text) : 0;
        if (offset > e->len)
            offset = e->len;
        size_t within_line, column; /* the line holds no '\n': within_line is 1 */
        np_file_text_position(text, offset, &within_line, &column);
        fprintf(err, "news-processor: %s:%zu:%zu: not a JSON result line%s\n", p->path,
                e->line_number, column,
                e->line_number == 1 && text[0] == '{' && strstr(text, "\"articles\"")
                    ? " (a results document? merge takes the shards' --format ndjson outputs)"
                    : "");
        free(text);
        return NP_EXIT_USAGE;
    }
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(item, "index");
    const cJSON *result_status = cJSON_GetObjectItemCaseSensitive(item, "status");
    double value = cJSON_IsNumber(index) ? index->valuedouble : -1;
    if (!cJSON_IsObject(item)) {
        what = "not a result object";
    } else if (!index) {
        what = "no \"index\": not a result line of this version's --format ndjson";
    } else if (!(value >= 0 && value <= INDEX_MAX && floor(value) == value)) {
        what = "\"index\" must be a whole number from 0";
    } else if (!cJSON_IsString(result_status)) {
        what = "no \"status\": not a result line";
    } else {
        e->index = (uint64_t)value;
        status = NP_EXIT_OK;
        size_t s = 0;
        while (s < NP_STATUS_COUNT &&
               strcmp(np_status_name((np_status)s), result_status->valuestring) != 0)
            s++;
        if (s == NP_STATUS_COUNT) {
            what = "\"status\" must be ok, failed or cancelled";
            status = NP_EXIT_USAGE;
        } else if (entries_add(list, e) != 0) {
            fprintf(err, PREFIX "out of memory\n");
            status = NP_EXIT_FAILURE;
        } else {
            list->status_count[s]++;
        }
    }
    if (what)
        fprintf(err, "news-processor: %s:%zu: %s\n", p->path, e->line_number, what);
    cJSON_Delete(item);
    free(text);
    return status;
}

/* Adds every result line of p (blank lines skipped) to list. Returns 0 or an exit status. */
static int part_collect(const part *p, entries *list, FILE *err)
{
    size_t line_number = 0;
    for (size_t start = 0; start < p->len;) {
        const char *nl = memchr(p->text + start, '\n', p->len - start);
        size_t end = nl ? (size_t)(nl - p->text) : p->len;
        line_number++;
        size_t len = end - start;
        if (len > 0 && p->text[start + len - 1] == '\r')
            len--;
        size_t blank = 0;
        while (blank < len && strchr(" \t", p->text[start + blank]))
            blank++;
        if (blank < len) {
            entry e = {.line = p->text + start, .len = len, .from = p, .line_number = line_number};
            int status = read_result(p, &e, list, err);
            if (status != NP_EXIT_OK)
                return status;
        }
        start = end + 1;
    }
    return NP_EXIT_OK;
}

static int by_index(const void *a, const void *b)
{
    uint64_t x = ((const entry *)a)->index, y = ((const entry *)b)->index;
    return (x > y) - (x < y);
}

/* Sorts the entries into input order and checks that they are indexes 0..count-1, each once.
 * Returns 0, or NP_EXIT_USAGE with the duplicate or the missing indexes said on err. */
static int entries_check(entries *list, FILE *err)
{
    if (list->count > 1) /* no items array at all when nothing was read */
        qsort(list->items, list->count, sizeof(*list->items), by_index);
    for (size_t i = 1; i < list->count; i++) {
        const entry *a = &list->items[i - 1], *b = &list->items[i];
        if (a->index == b->index) {
            fprintf(err,
                    PREFIX "index %" PRIu64
                           " appears twice, at %s:%zu and %s:%zu: the parts overlap "
                           "(the same shard twice, or shards of different --shard N?)\n",
                    a->index, a->from->path, a->line_number, b->from->path, b->line_number);
            return NP_EXIT_USAGE;
        }
    }
    if (list->count == 0 || list->items[list->count - 1].index == list->count - 1)
        return NP_EXIT_OK;
    uint64_t last = list->items[list->count - 1].index;
    uint64_t missing = last + 1 - list->count;
    fprintf(err,
            PREFIX "%" PRIu64 " of the %" PRIu64 " articles up to index %" PRIu64
                   " are missing: index",
            missing, last + 1, last);
    size_t listed = 0;
    uint64_t expected = 0;
    for (size_t i = 0; i < list->count && listed < MISSING_LISTED; i++) {
        for (; expected < list->items[i].index && listed < MISSING_LISTED; expected++, listed++)
            fprintf(err, "%s %" PRIu64, listed ? "," : "", expected);
        expected = list->items[i].index + 1;
    }
    if (missing > listed)
        fprintf(err, ", ... (%" PRIu64 " more)", missing - (uint64_t)listed);
    fputs("; is a shard's output missing?\n", err);
    return NP_EXIT_USAGE;
}

static void write_merged(FILE *out, const entries *list, int ndjson, size_t part_count)
{
    if (ndjson) {
        for (size_t i = 0; i < list->count; i++) {
            fwrite(list->items[i].line, 1, list->items[i].len, out);
            fputc('\n', out);
        }
        return;
    }
    fputs("{\"articles\": [", out);
    for (size_t i = 0; i < list->count; i++) {
        fputs(i ? ",\n  " : "\n  ", out);
        fwrite(list->items[i].line, 1, list->items[i].len, out);
    }
    fputs(list->count ? "\n],\n" : "],\n", out);
    fprintf(out,
            "\"run\": {\"articles\": %zu, \"parts\": %zu, \"status\": {\"ok\": %zu, \"failed\": "
            "%zu, \"cancelled\": %zu}}}\n",
            list->count, part_count, list->status_count[NP_STATUS_OK],
            list->status_count[NP_STATUS_FAILED], list->status_count[NP_STATUS_CANCELLED]);
}

/* Writes the merged results to the output the options name. Returns 0 or NP_EXIT_FAILURE. */
static int write_output(const merge_options *opts, const entries *list, FILE *out, FILE *err,
                        mode_t umask_value)
{
    if (!opts->output_path) {
        write_merged(out, list, opts->ndjson, opts->part_count);
        errno = 0;
        if (fflush(out) == 0 && !ferror(out))
            return NP_EXIT_OK;
        fprintf(err, PREFIX "cannot write the output: %s\n", strerror(errno ? errno : EIO));
        return NP_EXIT_FAILURE;
    }
    np_atomic_file file;
    if (np_atomic_file_open(&file, opts->output_path, umask_value, -1) != 0) {
        fprintf(err, "news-processor: %s: cannot create: %s\n", opts->output_path, strerror(errno));
        return NP_EXIT_FAILURE;
    }
    write_merged(file.stream, list, opts->ndjson, opts->part_count);
    int e = ferror(file.stream) ? EIO : 0;
    if (e)
        np_atomic_file_abort(&file);
    else if (np_atomic_file_commit(&file) != 0)
        e = errno;
    if (e)
        fprintf(err, "news-processor: %s: cannot write: %s\n", opts->output_path, strerror(e));
    return e ? NP_EXIT_FAILURE : NP_EXIT_OK;
}

int np_merge_main(int argc, char **argv, FILE *out, FILE *err, mode_t umask_value)
{
    merge_options opts;
    if (parse_options(argc, argv, &opts, err) != 0)
        return NP_EXIT_USAGE;
    if (opts.show_help) {
        print_help(out);
        return fflush(out) == 0 && !ferror(out) ? NP_EXIT_OK : NP_EXIT_FAILURE;
    }
    part *parts = calloc(opts.part_count, sizeof(*parts));
    if (!parts) {
        fprintf(err, PREFIX "out of memory\n");
        return NP_EXIT_FAILURE;
    }
    entries list = {0};
    int status = NP_EXIT_OK;
    for (size_t i = 0; i < opts.part_count && status == NP_EXIT_OK; i++) {
        parts[i].path = opts.parts[i];
        status = part_read(&parts[i], err);
        if (status == NP_EXIT_OK)
            status = part_collect(&parts[i], &list, err);
    }
    if (status == NP_EXIT_OK)
        status = entries_check(&list, err);
    if (status == NP_EXIT_OK)
        status = write_output(&opts, &list, out, err, umask_value);
    free(list.items);
    for (size_t i = 0; i < opts.part_count; i++)
        free(parts[i].text);
    free(parts);
    return status;
}

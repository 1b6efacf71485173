/*
 * Command-line parsing with getopt_long, driven by one table (as git's parse-options does): the
 * table gives getopt its long options and --help its text. Numbers are parsed strictly (digits
 * only, range-checked) so that "--seed -1" or "--latency 5x" is an error, not a surprise.
 */
#include "np/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "np/breaker.h"
#include "np/exit.h"
#include "np/help.h"
#include "np/inflight.h"
#include "np/llm.h"
#include "np/tpm.h"

/* The longest --deadline-ms: a year. */
#define DEADLINE_MS_MAX (365ULL * 24 * 3600 * 1000)

enum option_key {
    OPT_OUTPUT = 'o',
    OPT_QUIET = 'q',
    OPT_VERBOSE = 'v',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_LATENCY = 256,
    OPT_SEED,
    OPT_QUEUE_CAPACITY,
    OPT_MODE,
    OPT_WORKERS,
    OPT_INPUT_FORMAT,
    OPT_FORMAT,
    OPT_SHARD,
    OPT_FAIL_RATE,
    OPT_TIMEOUT_MS,
    OPT_RETRIES,
    OPT_RATE,
    OPT_MAX_INFLIGHT,
    OPT_TPM,
    OPT_BREAKER,
    OPT_LATENCY_FROM,
    OPT_DEADLINE_MS,
    OPT_REPORT,
    OPT_TRACE,
    OPT_TIMELINE,
    OPT_NO_PROGRESS,
    OPT_RUNS,
    OPT_WARMUP,
    OPT_BACKEND,
    OPT_BASE_URL,
    OPT_MODEL,
    OPT_API_KEY_FILE,
    OPT_CACERT,
    OPT_TEMPERATURE,
    OPT_MAX_TOKENS,
    OPT_STREAM,
};

static const np_option option_table[] = {
    {"output", OPT_OUTPUT, 0, "FILE",
     "write the results to FILE instead of stdout (atomically: a temporary file renamed into "
     "place on success)"},
    {"format", OPT_FORMAT, 0, "FMT",
     "json: results as one JSON document (default); ndjson: one line per article, written as each "
     "arrives"},
    {"input-format", OPT_INPUT_FORMAT, 0, "FMT",
     "json or ndjson (default: ndjson for .ndjson/.jsonl names, json otherwise)"},
    {"mode", OPT_MODE, 0, "MODE",
     "thread (default: one thread per article), pool (--workers threads), or sequential"},
    {"workers", OPT_WORKERS, 0, "N",
     "worker threads in pool mode (default 64; with --latency 0 and no --fail-rate or "
     "--rate, the number of CPUs)"},
    {"shard", OPT_SHARD, 0, "I/N", "process only the articles whose input index is I modulo N"},
    {"latency", OPT_LATENCY, 0, "MIN:MAX",
     "simulated latency of each stage call, drawn uniformly in ms (default 500:1500; N means N:N; "
     "0:0 means no sleep)"},
    {"seed", OPT_SEED, 0, "N", "seed for latencies and faults (default 1); same seed, same run"},
    {"queue-capacity", OPT_QUEUE_CAPACITY, 0, "N",
     "capacity of the results queue, at least 1 (default 4096; with --latency 0 and no --fail-rate "
     "or --rate, 1024)"},
    {"fail-rate", OPT_FAIL_RATE, 0, "P",
     "each stage call fails transiently with probability P, 0..1 (default 0)"},
    {"timeout-ms", OPT_TIMEOUT_MS, 0, "T",
     "a stage call slower than T ms gives up at T (default none)"},
    {"retries", OPT_RETRIES, 0, "N",
     "retries of a failed or timed-out call, with exponential backoff and full jitter (default 2)"},
    {"rate", OPT_RATE, 0, "R", "at most R stage calls per second across all threads (burst 1)"},
    {"max-inflight", OPT_MAX_INFLIGHT, 0, "N",
     "at most N stage calls in flight at once across all threads (default unlimited)"},
    {"tpm", OPT_TPM, 0, "N",
     "at most N tokens per minute across all calls: each call reserves its estimated tokens "
     "and is corrected by its usage"},
    {"breaker", OPT_BREAKER, 0, "N:COOLDOWN_MS",
     "circuit breaker: after N consecutive failed calls, reject calls (\"circuit open\") for "
     "COOLDOWN_MS, then let one trial call through"},
    {"latency-from", OPT_LATENCY_FROM, 0, "REPORT.json",
     "draw each stage's latency from the distribution a --report measured (not with --latency)"},
    {"deadline-ms", OPT_DEADLINE_MS, 0, "D",
     "cancel the run after D ms, as SIGINT would, and exit 124"},
    {"backend", OPT_BACKEND, 0, "NAME",
     "sim: the simulated LLM (default); openai: a server speaking the OpenAI chat-completions "
     "API (llama-server, vLLM, Ollama, OpenAI)"},
    {"base-url", OPT_BASE_URL, 0, "URL",
     "openai: the API's base URL, before /chat/completions (default $NP_BASE_URL)"},
    {"model", OPT_MODEL, 0, "NAME", "openai: the model to ask (default $NP_MODEL)"},
    {"api-key-file", OPT_API_KEY_FILE, 0, "FILE",
     "openai: read the API key from FILE (default $OPENAI_API_KEY; never on the command line)"},
    {"cacert", OPT_CACERT, 0, "FILE",
     "openai: verify the server's TLS certificate with FILE's CAs"},
    {"temperature", OPT_TEMPERATURE, 0, "T", "openai: sampling temperature, 0..2 (default 0)"},
    {"max-tokens", OPT_MAX_TOKENS, 0, "N|SUM:SENT",
     "openai: most tokens per reply, for both stages or per stage (default 256:64)"},
    {"stream", OPT_STREAM, 0, NULL,
     "openai: stream replies (server-sent events) and record the time to the first token"},
    {"report", OPT_REPORT, 0, "FILE", "write a JSON timing report (see docs/report.md)"},
    {"trace", OPT_TRACE, 0, "FILE", "write a Chrome trace (open in Perfetto or chrome://tracing)"},
    {"timeline", OPT_TIMELINE, 0, "FILE.svg", "write an SVG picture of the run"},
    {"no-progress", OPT_NO_PROGRESS, 0, NULL, "no live progress line on a terminal"},
    {"runs", OPT_RUNS, 1, "N", "bench: measured runs (default 10)"},
    {"warmup", OPT_WARMUP, 1, "W", "bench: warm-up runs, not counted (default 1)"},
    {"quiet", OPT_QUIET, 0, NULL, "print nothing on stderr but errors"},
    {"verbose", OPT_VERBOSE, 0, NULL, "also log each stage call's start and finish on stderr"},
    {"help", OPT_HELP, 0, NULL, "show this help and exit"},
    {"version", OPT_VERSION, 0, NULL, "show the version and exit"},
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

void np_cli_print_help(FILE *out)
{
    fprintf(out,
            "Usage: %s [OPTIONS] ARTICLES.json\n"
            "       %s bench [--runs N] [--warmup W] [OPTIONS] ARTICLES.json\n"
            "       %s compare BASE.json NEW.json [--threshold PCT] [--format FMT]\n"
            "       %s merge [-o FILE] [--format FMT] PART.ndjson...\n"
            "\n"
            "Summarizes each news article and analyzes its sentiment, one thread per\n"
            "article, through two simulated LLM stages. ARTICLES.json is a JSON array of\n"
            "{\"id\", \"title\", \"content\"} objects (or an object with an \"articles\" "
            "array),\nor NDJSON; - reads standard input. Results go to stdout as JSON; logs "
            "and\n"
            "errors go to stderr.\n\nOptions:\n",
            NP_PROGRAM_NAME, NP_PROGRAM_NAME, NP_PROGRAM_NAME, NP_PROGRAM_NAME);
    np_help_print_options(out, option_table, OPTION_COUNT, 0, 31);
    fprintf(out,
            "\nExit status:\n"
            "  %3d  success: every article processed and the output written\n"
            "  %3d  the environment failed: an article failed after its retries, out of memory,\n"
            "       a permission, reading the input or writing an output (then no output file\n"
            "       is replaced); compare: NEW regressed beyond the threshold\n"
            "  %3d  what was given is wrong: a usage error, a path that names no usable file,\n"
            "       invalid input (for JSON input nothing is written)\n"
            "  %3d  --deadline-ms passed: cancelled, the complete output still written\n"
            "  %3d  hung up (SIGHUP): cancelled, the complete output still written\n"
            "  %3d  interrupted (SIGINT): cancelled, the complete output still written;\n"
            "       a second SIGINT, SIGTERM or SIGHUP exits at once, writing nothing\n"
            "  %3d  standard output is a closed pipe: the run ended quietly\n"
            "  %3d  terminated (SIGTERM): cancelled, the complete output still written\n",
            NP_EXIT_OK, NP_EXIT_FAILURE, NP_EXIT_USAGE, NP_EXIT_DEADLINE, NP_EXIT_SIGHUP,
            NP_EXIT_SIGINT, NP_EXIT_SIGPIPE, NP_EXIT_SIGTERM);
    fprintf(out, "\nbench runs W+N runs, each a fresh process, and prints statistics:\n");
    np_help_print_options(out, option_table, OPTION_COUNT, 1, 31);
    fprintf(out, "\nThe full manual, with the input and output formats: man %s\n", NP_PROGRAM_NAME);
}

/* Parses all of text as a decimal number in [0, max]. */
static int parse_number(const char *text, uint64_t max, uint64_t *value)
{
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end != '\0' || v > max)
        return -1;
    *value = v;
    return 0;
}

/*
 * Parses "A<sep>B", each part all decimal digits, A up to max_a (and shorter than 32 bytes), B up
 * to max_b; without sep, when it is optional, B is A.
 */
static int parse_pair(const char *text, char sep, int sep_required, uint64_t max_a, uint64_t max_b,
                      uint64_t *a, uint64_t *b)
{
    const char *mid = strchr(text, sep);
    char first[32];
    size_t first_len = mid ? (size_t)(mid - text) : strlen(text);
    if ((!mid && sep_required) || first_len >= sizeof(first))
        return -1;
    memcpy(first, text, first_len);
    first[first_len] = '\0';
    if (parse_number(first, max_a, a) != 0)
        return -1;
    *b = *a;
    return mid ? parse_number(mid + 1, max_b, b) : 0;
}

static int parse_latency(const char *text, np_cli_options *opts, char *err, size_t err_size)
{
    const char *colon = strchr(text, ':');
    uint64_t min = 0, max = 0;
    if ((colon && strlen(colon + 1) >= 32) ||
        parse_pair(text, ':', 0, NP_LATENCY_MAX_MS, NP_LATENCY_MAX_MS, &min, &max) != 0)
        return np_error_message(
            err, err_size, -1,
            "--latency '%s': expected MIN:MAX or N, in whole milliseconds from 0 to %u", text,
            NP_LATENCY_MAX_MS);
    if (min > max)
        return np_error_message(err, err_size, -1, "--latency %s: MIN must not exceed MAX", text);
    opts->latency_min_ms = (uint32_t)min;
    opts->latency_max_ms = (uint32_t)max;
    return 0;
}

/* Parses all of text as a decimal number in [min, max] (fraction allowed). */
static int parse_fraction(const char *text, double min, double max, double *value)
{
    if (!((*text >= '0' && *text <= '9') || *text == '.'))
        return -1;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (errno || *end != '\0' || !(v >= min && v <= max))
        return -1;
    *value = v;
    return 0;
}

/* Edit distance between a and b (at most 63 characters are compared), for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strnlen(a, 63), lb = strnlen(b, 63);
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/*
 * The message for a long option getopt refused: ambiguous (the abbreviation of several: list
 * them), or unknown (suggest the nearest name, if one is close).
 */
static void explain_long_option(const char *word, int bench, char *err, size_t err_size)
{
    const char *name = word + 2; /* after "--" */
    size_t name_len = strcspn(name, "=");
    char candidates[512] = "";
    size_t matches = 0, best_distance = SIZE_MAX;
    const char *best = NULL;
    char wanted[64];
    snprintf(wanted, sizeof(wanted), "%.*s", (int)(name_len < 63 ? name_len : 63), name);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const np_option *o = &option_table[i];
        if (o->flagged && !bench)
            continue;
        if (strncmp(o->long_name, name, name_len) == 0) {
            size_t used = strlen(candidates);
            snprintf(candidates + used, sizeof(candidates) - used, "%s--%s", matches ? ", " : "",
                     o->long_name);
            matches++;
        }
        size_t d = edit_distance(wanted, o->long_name);
        if (d < best_distance) {
            best_distance = d;
            best = o->long_name;
        }
    }
    if (matches > 1)
        snprintf(err, err_size, "option '--%s' is ambiguous: it could be %s", wanted, candidates);
    else if (best && best_distance <= 2 + strlen(wanted) / 4)
        snprintf(err, err_size, "unknown option '--%s' (did you mean --%s?)", wanted, best);
    else
        snprintf(err, err_size, "unknown option '%s'", word);
}

/*
 * What an option's argument must be, as its error says it, and for a whole number its range (max
 * 0: not a whole number), which apply_option checks before it stores the value.
 */
static const struct expectation {
    int key;
    uint64_t min, max;
    const char *expected;
} expectations[] = {
    {OPT_SEED, 0, UINT64_MAX, "a whole number from 0 to 18446744073709551615"},
    {OPT_QUEUE_CAPACITY, 1, NP_QUEUE_CAPACITY_MAX, "a whole number from 1 to 1000000"},
    {OPT_MODE, 0, 0, "thread, pool or sequential"},
    {OPT_WORKERS, 1, NP_WORKERS_MAX, "a whole number from 1 to 100000"},
    {OPT_INPUT_FORMAT, 0, 0, "json or ndjson"},
    {OPT_FORMAT, 0, 0, "json or ndjson"},
    {OPT_SHARD, 0, 0, "I/N with 0 <= I < N"},
    {OPT_FAIL_RATE, 0, 0, "a probability from 0 to 1"},
    {OPT_TIMEOUT_MS, 1, NP_LATENCY_MAX_MS, "a whole number of ms from 1 to 3600000"},
    {OPT_RETRIES, 0, 100, "a whole number from 0 to 100"},
    {OPT_RATE, 0, 0, "calls per second, from 0.001 to 1000000"},
    {OPT_MAX_INFLIGHT, 1, NP_INFLIGHT_MAX, "a whole number from 1 to 1000000"},
    {OPT_TPM, 1, NP_TPM_MAX, "a whole number of tokens per minute from 1 to 1000000000"},
    {OPT_BREAKER, 0, 0, "N:COOLDOWN_MS, N from 1 to 1000000 and COOLDOWN_MS from 0 to 3600000"},
    {OPT_LATENCY_FROM, 0, 0, "a report file written by --report"},
    {OPT_DEADLINE_MS, 1, DEADLINE_MS_MAX, "a whole number of ms from 1 to 31536000000 (a year)"},
    {OPT_OUTPUT, 0, 0, "a file name, or - for standard output"},
    {OPT_REPORT, 0, 0, "a file name"},
    {OPT_TRACE, 0, 0, "a file name"},
    {OPT_TIMELINE, 0, 0, "a file name"},
    {OPT_RUNS, 1, 100000, "a whole number from 1 to 100000"},
    {OPT_BACKEND, 0, 0, "sim or openai"},
    {OPT_BASE_URL, 0, 0, "a URL such as http://127.0.0.1:8080/v1"},
    {OPT_MODEL, 0, 0, "a model name"},
    {OPT_API_KEY_FILE, 0, 0, "a file name"},
    {OPT_CACERT, 0, 0, "a file name"},
    {OPT_TEMPERATURE, 0, 0, "a number from 0 to 2"},
    {OPT_MAX_TOKENS, 0, 0, "N or SUM:SENT, whole numbers from 1 to 1000000"},
    {OPT_WARMUP, 0, 100000, "a whole number from 0 to 100000"},
};

/* "--NAME 'ARG': expected ..." for an argument apply_option refused; returns -1. */
static int refuse_argument(int key, const char *arg, const struct expectation *x, char *err,
                           size_t err_size)
{
    if (!x)
        return np_error_message(err, err_size, -1, "internal error: unhandled option %d", key);
    for (size_t k = 0; k < OPTION_COUNT; k++)
        if (option_table[k].key == key)
            snprintf(err, err_size, "--%s '%s': expected %s", option_table[k].long_name, arg,
                     x->expected);
    return -1;
}

/* Applies one option; returns 0 or -1 with a message in err. */
static int apply_option(int key, const char *arg, np_cli_options *opts, int *quiet, int *verbose,
                        char *err, size_t err_size)
{
    const struct expectation *x = NULL;
    for (size_t i = 0; i < sizeof(expectations) / sizeof(expectations[0]) && !x; i++)
        x = expectations[i].key == key ? &expectations[i] : NULL;
    uint64_t value = 0, a = 0, b = 0;
    if (x && x->max && (parse_number(arg, x->max, &value) != 0 || value < x->min))
        return refuse_argument(key, arg, x, err, err_size);
    double fraction;
    switch (key) {
    case OPT_OUTPUT:
        if (*arg == '\0')
            break;
        opts->output_path = strcmp(arg, "-") == 0 ? NULL : arg; /* -o - is standard output */
        return 0;
    case OPT_LATENCY:
        opts->latency_given = 1;
        return parse_latency(arg, opts, err, err_size);
    case OPT_SEED:
        opts->seed = value;
        return 0;
    case OPT_QUEUE_CAPACITY:
        opts->queue_capacity = (size_t)value;
        return 0;
    case OPT_MODE:
        if (strcmp(arg, "thread") != 0 && strcmp(arg, "pool") != 0 &&
            strcmp(arg, "sequential") != 0)
            break;
        opts->mode = arg;
        return 0;
    case OPT_WORKERS:
        opts->workers = (size_t)value;
        return 0;
    case OPT_INPUT_FORMAT:
    case OPT_FORMAT:
        if (strcmp(arg, "json") != 0 && strcmp(arg, "ndjson") != 0)
            break;
        *(key == OPT_FORMAT ? &opts->output_format : &opts->input_format) =
            strcmp(arg, "json") == 0 ? NP_FORMAT_JSON : NP_FORMAT_NDJSON;
        return 0;
    case OPT_SHARD: /* I/N */
        if (parse_pair(arg, '/', 1, UINT32_MAX, UINT32_MAX, &a, &b) != 0 || b == 0 || a >= b)
            break;
        opts->shard_index = (size_t)a;
        opts->shard_count = (size_t)b;
        return 0;
    case OPT_FAIL_RATE:
        if (parse_fraction(arg, 0, 1, &fraction) != 0)
            break;
        opts->fail_rate = fraction;
        return 0;
    case OPT_TIMEOUT_MS:
        opts->timeout_ms = (uint32_t)value;
        return 0;
    case OPT_RETRIES:
        opts->retries = (unsigned)value;
        return 0;
    case OPT_RATE:
        if (parse_fraction(arg, 0.001, 1e6, &fraction) != 0)
            break;
        opts->rate = fraction;
        return 0;
    case OPT_MAX_INFLIGHT:
        opts->max_inflight = (unsigned)value;
        return 0;
    case OPT_TPM:
        opts->tpm = value;
        return 0;
    case OPT_BREAKER: /* N:COOLDOWN_MS, N from 1, COOLDOWN_MS from 0 */
        if (parse_pair(arg, ':', 1, NP_BREAKER_THRESHOLD_MAX, NP_BREAKER_COOLDOWN_MAX, &a, &b) ||
            a == 0)
            break;
        opts->breaker_threshold = (unsigned)a;
        opts->breaker_cooldown_ms = (unsigned)b;
        return 0;
    case OPT_LATENCY_FROM:
        if (*arg == '\0')
            break;
        opts->latency_from = arg;
        return 0;
    case OPT_DEADLINE_MS:
        opts->deadline_ms = (long long)value;
        return 0;
    case OPT_REPORT:
    case OPT_TRACE:
    case OPT_TIMELINE:
        if (*arg == '\0')
            break;
        *(key == OPT_REPORT  ? &opts->report_path
          : key == OPT_TRACE ? &opts->trace_path
                             : &opts->timeline_path) = arg;
        return 0;
    case OPT_NO_PROGRESS:
        opts->no_progress = 1;
        return 0;
    case OPT_BACKEND:
        if (strcmp(arg, "sim") != 0 && strcmp(arg, "openai") != 0)
            break;
        opts->backend = arg;
        return 0;
    case OPT_BASE_URL:
    case OPT_MODEL:
    case OPT_API_KEY_FILE:
    case OPT_CACERT:
        if (*arg == '\0')
            break;
        *(key == OPT_BASE_URL ? &opts->base_url
          : key == OPT_MODEL  ? &opts->model
          : key == OPT_CACERT ? &opts->cacert
                              : &opts->api_key_file) = arg;
        opts->backend_option = key == OPT_BASE_URL ? "--base-url"
                               : key == OPT_MODEL  ? "--model"
                               : key == OPT_CACERT ? "--cacert"
                                                   : "--api-key-file";
        return 0;
    case OPT_TEMPERATURE:
        if (parse_fraction(arg, 0, 2, &fraction) != 0)
            break;
        opts->temperature = fraction;
        opts->backend_option = "--temperature";
        return 0;
    case OPT_MAX_TOKENS: /* N (both stages) or SUM:SENT */
        if (parse_pair(arg, ':', 0, NP_MAX_TOKENS_MAX, NP_MAX_TOKENS_MAX, &a, &b) != 0 || a == 0 ||
            b == 0)
            break;
        opts->max_tokens[0] = (uint32_t)a;
        opts->max_tokens[1] = (uint32_t)b;
        opts->backend_option = "--max-tokens";
        return 0;
    case OPT_STREAM:
        opts->stream = 1;
        opts->backend_option = "--stream";
        return 0;
    case OPT_RUNS:
        opts->bench_runs = (unsigned)value;
        return 0;
    case OPT_WARMUP:
        opts->bench_warmup = (unsigned)value;
        return 0;
    case OPT_QUIET:
        *quiet = 1;
        return 0;
    case OPT_VERBOSE:
        *verbose = 1;
        return 0;
    case OPT_HELP:
        opts->show_help = 1;
        return 0;
    case OPT_VERSION:
        opts->show_version = 1;
        return 0;
    default:
        break;
    }
    return refuse_argument(key, arg, x, err, err_size);
}

int np_cli_parse(int argc, char **argv, np_cli_options *opts, char *err, size_t err_size)
{
    *opts = (np_cli_options){
        .mode = "thread",
        .seed = NP_DEFAULT_SEED,
        .latency_min_ms = NP_DEFAULT_LATENCY_MIN_MS,
        .latency_max_ms = NP_DEFAULT_LATENCY_MAX_MS,
        .retries = NP_DEFAULT_RETRIES,
        .backend = "sim",
        .max_tokens = {NP_DEFAULT_MAX_TOKENS_SUMMARY, NP_DEFAULT_MAX_TOKENS_SENTIMENT},
        .log_level = NP_LOG_NORMAL,
        .bench_runs = 10,
        .bench_warmup = 1,
    };
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "bench") == 0) {
        opts->bench = 1;
        first = 2;
    }
    struct option long_options[OPTION_COUNT + 1];
    char short_options[2 * OPTION_COUNT + 2];
    np_help_getopt_tables(option_table, OPTION_COUNT, opts->bench, long_options, short_options);

    int quiet = 0, verbose = 0, key;
    int sub_argc = argc - (first - 1);
    char **sub_argv = argv + (first - 1);
    while ((key = getopt_long(sub_argc, sub_argv, short_options, long_options, NULL)) != -1) {
        if (key == ':')
            return np_error_message(err, err_size, -1, "option '%s' needs an argument",
                                    sub_argv[optind - 1]);
        if (key == '?') {
            const char *word = sub_argv[optind - 1];
            if (optopt && optopt < 256)
                snprintf(err, err_size, "unknown option '-%c'", optopt);
            else if (strncmp(word, "--", 2) == 0)
                explain_long_option(word, opts->bench, err, err_size);
            else
                snprintf(err, err_size, "unknown option '%s'", word);
            return -1;
        }
        if (apply_option(key, optarg, opts, &quiet, &verbose, err, err_size) != 0)
            return -1;
        if (opts->show_help || opts->show_version)
            return 0;
    }
    if (quiet && verbose)
        return np_error_message(err, err_size, -1, "--quiet and --verbose cannot be combined");
    opts->log_level = quiet ? NP_LOG_QUIET : verbose ? NP_LOG_VERBOSE : NP_LOG_NORMAL;
    if (optind >= sub_argc)
        return np_error_message(err, err_size, -1,
                                "missing ARTICLES.json (use - for standard input)");
    if (sub_argc - optind > 1)
        return np_error_message(err, err_size, -1,
                                "expected one input file, got %d ('%s' is extra)",
                                sub_argc - optind, sub_argv[optind + 1]);
    opts->input_path = sub_argv[optind];
    if (opts->latency_from && opts->latency_given)
        return np_error_message(
            err, err_size, -1,
            "--latency and --latency-from cannot be combined: the report gives the latencies");
    if (opts->workers && strcmp(opts->mode, "pool") != 0)
        return np_error_message(err, err_size, -1, "--workers applies to --mode pool only");
    if (opts->latency_from && strcmp(opts->backend, "sim") != 0)
        return np_error_message(err, err_size, -1, "--latency-from applies to --backend sim only");
    if (opts->backend_option && strcmp(opts->backend, "openai") != 0)
        return np_error_message(err, err_size, -1, "%s applies to --backend openai only",
                                opts->backend_option);
    if (opts->bench && opts->output_path)
        return np_error_message(err, err_size, -1,
                                "bench keeps no results: -o is not allowed (use --report for the "
                                "timings of every run)");
    if (opts->bench && opts->output_format == NP_FORMAT_NDJSON)
        return np_error_message(err, err_size, -1,
                                "bench does not stream results: --format ndjson is not allowed");
    return 0;
}

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

#include "np/exit.h"
#include "np/llm.h"

enum option_key {
    OPT_OUTPUT = 'o',
    OPT_QUIET = 'q',
    OPT_VERBOSE = 'v',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_LATENCY = 256,
    OPT_SEED,
    OPT_QUEUE_CAPACITY,
};

typedef struct option_spec {
    const char *long_name;
    int key;              /* the short option letter, or a value >= 256 for long-only options */
    const char *arg_name; /* NULL for flags */
    const char *help;
} option_spec;

static const option_spec option_table[] = {
    {"output", OPT_OUTPUT, "FILE",
     "write the results to FILE instead of stdout (atomically: a temporary file renamed into "
     "place on success)"},
    {"latency", OPT_LATENCY, "MIN:MAX",
     "simulated latency of each stage call, drawn uniformly in ms (default 500:1500; N means N:N; "
     "0:0 means no sleep)"},
    {"seed", OPT_SEED, "N", "seed for the simulated latencies (default 1); same seed, same run"},
    {"queue-capacity", OPT_QUEUE_CAPACITY, "N",
     "capacity of the results queue, at least 1 (default 16)"},
    {"quiet", OPT_QUIET, NULL, "print nothing on stderr but errors"},
    {"verbose", OPT_VERBOSE, NULL, "also log each stage's start and finish on stderr"},
    {"help", OPT_HELP, NULL, "show this help and exit"},
    {"version", OPT_VERSION, NULL, "show the version and exit"},
};

#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

/* Prints text word-wrapped to width columns, continuation lines indented by indent spaces. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    int column = indent;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (column > indent && column + 1 + (int)word > width) {
            fprintf(out, "\n%*s", indent, "");
            column = indent;
        } else if (column > indent) {
            fputc(' ', out);
            column++;
        }
        fwrite(text, 1, word, out);
        column += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

void np_cli_print_help(FILE *out)
{
    fprintf(out,
            "Usage: %s [OPTIONS] ARTICLES.json\n"
            "\n"
            "Summarizes each news article and analyzes its sentiment, one thread per\n"
            "article, through two simulated LLM stages. ARTICLES.json is a JSON array of\n"
            "{\"id\", \"title\", \"content\"} objects (or an object with an \"articles\" "
            "array);\n- reads standard input. Results go to stdout as one JSON document; logs "
            "and\n"
            "errors go to stderr.\n\nOptions:\n",
            NP_PROGRAM_NAME);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const option_spec *o = &option_table[i];
        char left[64];
        char short_part[8] = "    ";
        if (o->key < 256)
            snprintf(short_part, sizeof(short_part), "-%c, ", o->key);
        snprintf(left, sizeof(left), "%s--%s%s%s", short_part, o->long_name, o->arg_name ? " " : "",
                 o->arg_name ? o->arg_name : "");
        fprintf(out, "  %-28s ", left);
        print_wrapped(out, o->help, 31, 79);
    }
    fprintf(out,
            "\nExit status:\n"
            "  %d  success: every article processed and the output written\n"
            "  %d  failure while running: a thread could not start, out of memory, or the\n"
            "     output could not be written\n"
            "  %d  usage error or invalid input (nothing is written to stdout)\n",
            NP_EXIT_OK, NP_EXIT_FAILURE, NP_EXIT_USAGE);
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

static int parse_latency(const char *text, np_cli_options *opts, char *err, size_t err_size)
{
    char min_text[32], max_text[32];
    const char *colon = strchr(text, ':');
    size_t min_len = colon ? (size_t)(colon - text) : strlen(text);
    const char *max_part = colon ? colon + 1 : text;
    uint64_t min = 0, max = 0;
    if (min_len >= sizeof(min_text) || strlen(max_part) >= sizeof(max_text))
        goto bad;
    memcpy(min_text, text, min_len);
    min_text[min_len] = '\0';
    memcpy(max_text, max_part, strlen(max_part) + 1);
    if (parse_number(min_text, NP_LATENCY_MAX_MS, &min) != 0 ||
        parse_number(max_text, NP_LATENCY_MAX_MS, &max) != 0)
        goto bad;
    if (min > max) {
        snprintf(err, err_size, "--latency %s: MIN must not exceed MAX", text);
        return -1;
    }
    opts->latency_min_ms = (uint32_t)min;
    opts->latency_max_ms = (uint32_t)max;
    return 0;
bad:
    snprintf(err, err_size,
             "--latency '%s': expected MIN:MAX or N, in whole milliseconds from 0 to %u", text,
             NP_LATENCY_MAX_MS);
    return -1;
}

int np_cli_parse(int argc, char **argv, np_cli_options *opts, char *err, size_t err_size)
{
    *opts = (np_cli_options){
        .seed = NP_DEFAULT_SEED,
        .latency_min_ms = NP_DEFAULT_LATENCY_MIN_MS,
        .latency_max_ms = NP_DEFAULT_LATENCY_MAX_MS,
        .queue_capacity = NP_DEFAULT_QUEUE_CAPACITY,
        .log_level = NP_LOG_NORMAL,
    };
    struct option long_options[OPTION_COUNT + 1];
    char short_options[2 * OPTION_COUNT + 2] = ":"; /* leading ':' reports missing arguments */
    size_t short_len = 1;
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const option_spec *o = &option_table[i];
        long_options[i] = (struct option){
            o->long_name, o->arg_name ? required_argument : no_argument, NULL, o->key};
        if (o->key < 256) {
            short_options[short_len++] = (char)o->key;
            if (o->arg_name)
                short_options[short_len++] = ':';
        }
    }
    short_options[short_len] = '\0';
    long_options[OPTION_COUNT] = (struct option){NULL, 0, NULL, 0};

    int quiet = 0, verbose = 0, key;
    opterr = 0;
    optind = 0; /* GNU: 0 re-initializes getopt, so parsing can run more than once (tests) */
    while ((key = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
        uint64_t value;
        switch (key) {
        case OPT_OUTPUT:
            opts->output_path = optarg;
            break;
        case OPT_LATENCY:
            if (parse_latency(optarg, opts, err, err_size) != 0)
                return -1;
            break;
        case OPT_SEED:
            if (parse_number(optarg, UINT64_MAX, &value) != 0) {
                snprintf(err, err_size, "--seed '%s': expected a whole number from 0 to %llu",
                         optarg, (unsigned long long)UINT64_MAX);
                return -1;
            }
            opts->seed = value;
            break;
        case OPT_QUEUE_CAPACITY:
            if (parse_number(optarg, NP_QUEUE_CAPACITY_MAX, &value) != 0 || value == 0) {
                snprintf(err, err_size,
                         "--queue-capacity '%s': expected a whole number from 1 to %d", optarg,
                         NP_QUEUE_CAPACITY_MAX);
                return -1;
            }
            opts->queue_capacity = (size_t)value;
            break;
        case OPT_QUIET:
            quiet = 1;
            break;
        case OPT_VERBOSE:
            verbose = 1;
            break;
        case OPT_HELP:
            opts->show_help = 1;
            return 0;
        case OPT_VERSION:
            opts->show_version = 1;
            return 0;
        case ':':
            snprintf(err, err_size, "option '%s' needs an argument", argv[optind - 1]);
            return -1;
        default:
            if (optopt && optopt < 256)
                snprintf(err, err_size, "unknown option '-%c'", optopt);
            else
                snprintf(err, err_size, "unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    if (quiet && verbose) {
        snprintf(err, err_size, "--quiet and --verbose cannot be combined");
        return -1;
    }
    opts->log_level = quiet ? NP_LOG_QUIET : verbose ? NP_LOG_VERBOSE : NP_LOG_NORMAL;
    if (optind >= argc) {
        snprintf(err, err_size, "missing ARTICLES.json (use - for standard input)");
        return -1;
    }
    if (argc - optind > 1) {
        snprintf(err, err_size, "expected one input file, got %d ('%s' is extra)", argc - optind,
                 argv[optind + 1]);
        return -1;
    }
    opts->input_path = argv[optind];
    return 0;
}

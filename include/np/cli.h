/*
 * The command line: one option table drives both parsing and --help, so they cannot drift apart.
 */
#ifndef NP_CLI_H
#define NP_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "np/log.h"

#define NP_PROGRAM_NAME "news-processor"

#define NP_DEFAULT_SEED           1
#define NP_DEFAULT_LATENCY_MIN_MS 500
#define NP_DEFAULT_LATENCY_MAX_MS 1500
#define NP_DEFAULT_QUEUE_CAPACITY 16
#define NP_QUEUE_CAPACITY_MAX     1000000

typedef struct np_cli_options {
    const char *input_path;  /* "-" for stdin */
    const char *output_path; /* NULL for stdout */
    uint64_t seed;
    uint32_t latency_min_ms;
    uint32_t latency_max_ms;
    size_t queue_capacity;
    np_log_level log_level;
    int show_help;
    int show_version;
} np_cli_options;

/*
 * Parses argv into opts (defaults first). Returns 0, or -1 with a one-line message in err
 * (without the program name) for a usage error. With --help or --version, returns 0 with
 * show_help/show_version set and no input required.
 */
int np_cli_parse(int argc, char **argv, np_cli_options *opts, char *err, size_t err_size);

/* Writes the --help text (usage, options from the table, exit statuses). */
void np_cli_print_help(FILE *out);

#endif

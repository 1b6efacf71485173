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
#define NP_QUEUE_CAPACITY_MAX     1000000
#define NP_DEFAULT_RETRIES        2
#define NP_WORKERS_MAX            100000
/* --max-tokens when not given: room for a two-sentence summary, and for a sentiment object. */
#define NP_DEFAULT_MAX_TOKENS_SUMMARY   256
#define NP_DEFAULT_MAX_TOKENS_SENTIMENT 64
#define NP_MAX_TOKENS_MAX               1000000

typedef enum np_format { NP_FORMAT_AUTO, NP_FORMAT_JSON, NP_FORMAT_NDJSON } np_format;

typedef struct np_cli_options {
    const char *input_path;  /* "-" for stdin */
    const char *output_path; /* NULL for stdout */
    np_format input_format;  /* AUTO: NDJSON for .ndjson/.jsonl names, else JSON */
    np_format output_format; /* JSON (a document) or NDJSON (a line per article) */
    const char *mode;        /* "thread", "pool" or "sequential" */
    size_t workers;          /* pool mode; 0 = default */
    size_t shard_index;
    size_t shard_count; /* 0 = no sharding */
    uint64_t seed;
    uint32_t latency_min_ms;
    uint32_t latency_max_ms;
    size_t queue_capacity; /* 0 = default */
    double fail_rate;
    uint32_t timeout_ms;
    unsigned retries;
    double rate;                  /* stage calls per second; 0 = unlimited */
    unsigned max_inflight;        /* stage calls in flight at once; 0 = unlimited */
    uint64_t tpm;                 /* tokens per minute; 0 = unlimited */
    unsigned breaker_threshold;   /* --breaker N; 0 = no breaker */
    unsigned breaker_cooldown_ms; /* --breaker :COOLDOWN_MS */
    const char *latency_from;     /* --latency-from REPORT.json; NULL = --latency */
    int latency_given;            /* --latency was on the command line */
    long long deadline_ms;        /* 0 = none */
    /* The backend: "sim" (default) or "openai" and the latter's settings. base_url and model
     * may still be NULL after parsing: NP_BASE_URL and NP_MODEL are read by the caller. */
    const char *backend;
    const char *base_url;
    const char *model;
    const char *api_key_file;
    const char *cacert;
    double temperature;
    uint32_t max_tokens[2]; /* summarization, sentiment */
    int stream;
    const char *backend_option; /* the last openai-only option given, for a usage error */
    const char *report_path;
    const char *trace_path;
    const char *timeline_path;
    int no_progress;
    np_log_level log_level;
    int show_help;
    int show_version;
    /* bench subcommand */
    int bench;
    unsigned bench_runs;
    unsigned bench_warmup;
} np_cli_options;

/*
 * Parses argv into opts (defaults first). argv[1] may be the subcommand "bench", which also takes
 * --runs N and --warmup W. Returns 0, or -1 with a one-line message in err
 * (without the program name) for a usage error. With --help or --version, returns 0 with
 * show_help/show_version set and no input required.
 */
int np_cli_parse(int argc, char **argv, np_cli_options *opts, char *err, size_t err_size);

/* Writes the --help text (usage, options from the table, exit statuses). */
void np_cli_print_help(FILE *out);

#endif

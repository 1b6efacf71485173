/*
 * news-processor: load articles, run the pipeline, write the results (and, on request, a timing
 * report, a trace and a timeline picture).
 *
 * main is the one level that knows the exit status: modules return errors with a message, and
 * this file prints each once, prefixed with the program name, and chooses the status (np/exit.h).
 * Files are written through np_atomic_file, so a target path holds a complete file or its old
 * content, never a partial one. Signals are blocked before the first thread starts and handled by
 * the watcher thread of np/signals.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "np/atomic_file.h"
#include "np/cli.h"
#include "np/clock.h"
#include "np/compare.h"
#include "np/exit.h"
#include "np/loader.h"
#include "np/output.h"
#include "np/pipeline.h"
#include "np/progress.h"
#include "np/signals.h"

#ifndef NP_VERSION
#define NP_VERSION "0.0.0-dev"
#endif

/* The files a run writes besides stdout, opened before the run so a bad path fails at once. */
enum output_file { FILE_RESULTS, FILE_REPORT, FILE_TRACE, FILE_TIMELINE, FILE_COUNT };

typedef struct run_files {
    const char *path[FILE_COUNT];
    np_atomic_file file[FILE_COUNT];
    const char *temporary[FILE_COUNT]; /* for the signal watcher's emergency cleanup */
} run_files;

static void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report_error(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", NP_PROGRAM_NAME, line);
}

static int open_files(run_files *files)
{
    for (int i = 0; i < FILE_COUNT; i++) {
        if (!files->path[i])
            continue;
        if (np_atomic_file_open(&files->file[i], files->path[i]) != 0) {
            report_error("cannot create %s: %s", files->path[i], strerror(errno));
            for (int k = 0; k < i; k++)
                if (files->file[k].stream)
                    np_atomic_file_abort(&files->file[k]);
            return -1;
        }
        files->temporary[i] = files->file[i].temporary_path;
    }
    return 0;
}

static void abort_files(run_files *files)
{
    for (int i = 0; i < FILE_COUNT; i++)
        if (files->file[i].stream)
            np_atomic_file_abort(&files->file[i]);
}

/* Commits every open file; returns 0, or -1 after reporting the first failure. */
static int commit_files(run_files *files)
{
    int rc = 0;
    for (int i = 0; i < FILE_COUNT; i++) {
        if (!files->file[i].stream)
            continue;
        if (rc != 0) {
            np_atomic_file_abort(&files->file[i]);
        } else if (np_atomic_file_commit(&files->file[i]) != 0) {
            report_error("cannot write %s: %s", files->path[i], strerror(errno));
            rc = -1;
        }
    }
    return rc;
}

static np_mode mode_from_name(const char *name)
{
    for (int m = 0; m < NP_MODE_COUNT; m++)
        if (strcmp(name, np_mode_name((np_mode)m)) == 0)
            return (np_mode)m;
    return NP_MODE_THREAD;
}

static int input_is_ndjson(const np_cli_options *opts)
{
    if (opts->input_format != NP_FORMAT_AUTO)
        return opts->input_format == NP_FORMAT_NDJSON;
    size_t len = strlen(opts->input_path);
    return (len > 7 && strcmp(opts->input_path + len - 7, ".ndjson") == 0) ||
           (len > 6 && strcmp(opts->input_path + len - 6, ".jsonl") == 0);
}

static const char *cancel_name(np_cancel_reason reason)
{
    switch (reason) {
    case NP_CANCEL_SIGINT:
        return "SIGINT";
    case NP_CANCEL_SIGTERM:
        return "SIGTERM";
    case NP_CANCEL_DEADLINE:
        return "deadline";
    default:
        return NULL;
    }
}

static int cancel_status(np_cancel_reason reason)
{
    switch (reason) {
    case NP_CANCEL_SIGINT:
        return NP_EXIT_SIGINT;
    case NP_CANCEL_SIGTERM:
        return NP_EXIT_SIGTERM;
    case NP_CANCEL_DEADLINE:
        return NP_EXIT_DEADLINE;
    default:
        return NP_EXIT_OK;
    }
}

static long peak_rss_kb(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
}

/* One whole run: the default command. Returns the exit status. */
static int run_once(const np_cli_options *opts)
{
    np_log log = {.stream = stderr, .level = opts->log_level};
    int ndjson_in = input_is_ndjson(opts);
    int ndjson_out = opts->output_format == NP_FORMAT_NDJSON;
    char err[NP_SOURCE_ERROR_SIZE + 64];

    int e = np_signals_block();
    if (e) {
        report_error("cannot block signals: %s", strerror(e));
        return NP_EXIT_FAILURE;
    }
    run_files files = {
        .path = {opts->output_path, opts->report_path, opts->trace_path, opts->timeline_path}};
    if (open_files(&files) != 0)
        return NP_EXIT_USAGE;
    np_cancel cancel;
    e = np_cancel_init(&cancel);
    if (e) {
        report_error("cannot set up cancellation: %s", strerror(e));
        abort_files(&files);
        return NP_EXIT_FAILURE;
    }
    np_signals *watcher =
        np_signals_start(&cancel, opts->deadline_ms, files.temporary, (size_t)FILE_COUNT);
    if (!watcher) {
        report_error("cannot start the signal watcher: %s", strerror(errno));
        np_cancel_destroy(&cancel);
        abort_files(&files);
        return NP_EXIT_FAILURE;
    }

    int status = NP_EXIT_OK;
    long long load_start = np_clock_now_ns();
    np_article_list list = {0};
    np_source *source = NULL;
    if (ndjson_in) {
        source = np_source_open_ndjson(opts->input_path, err, sizeof(err));
    } else if (np_loader_load_file(opts->input_path, &list, err, sizeof(err)) == 0) {
        source = np_source_from_list(&list);
        if (!source)
            snprintf(err, sizeof(err), "out of memory");
    }
    long long load_ns = np_clock_now_ns() - load_start;
    if (!source) {
        report_error("%s", err);
        status = NP_EXIT_USAGE;
        goto done;
    }

    np_rate_limiter limiter;
    int limiter_ready = opts->rate > 0 && np_rate_limiter_init(&limiter, opts->rate, 1) == 0;
    np_progress progress;
    np_progress_init(&progress, stderr, opts->log_level != NP_LOG_QUIET && !opts->no_progress);
    FILE *results_stream =
        files.file[FILE_RESULTS].stream ? files.file[FILE_RESULTS].stream : stdout;
    np_mode mode = mode_from_name(opts->mode);
    np_pipeline_config config = {
        .process = {.seed = opts->seed,
                    .latency_min_ms = opts->latency_min_ms,
                    .latency_max_ms = opts->latency_max_ms,
                    .fail_rate = opts->fail_rate,
                    .timeout_ms = opts->timeout_ms,
                    .retries = opts->retries,
                    .limiter = limiter_ready ? &limiter : NULL,
                    .cancel = &cancel,
                    .log = &log},
        .mode = mode,
        .workers = opts->workers ? opts->workers : NP_DEFAULT_WORKERS,
        .queue_capacity = opts->queue_capacity,
        .shard_index = opts->shard_index,
        .shard_count = opts->shard_count,
        .stream_out = ndjson_out ? results_stream : NULL,
        .progress = np_progress_update,
        .progress_context = &progress,
        .log = &log,
    };
    np_pipeline_results kept;
    np_run_stats stats;
    int run_rc = np_pipeline_run(source, &config, &kept, &stats, err, sizeof(err));
    np_progress_finish(&progress);
    np_signals_stop(watcher);
    watcher = NULL;
    if (limiter_ready)
        np_rate_limiter_destroy(&limiter);
    if (run_rc < 0) {
        report_error("%s", err);
        status = NP_EXIT_FAILURE;
        goto done;
    }
    if (run_rc > 0) {
        /* The input broke off: what was read is processed and written, then we say why. */
        report_error("%s", err);
        status = NP_EXIT_USAGE;
    }

    np_cancel_reason reason = np_cancel_reason_of(&cancel);
    const char *destination = opts->output_path ? opts->output_path : "standard output";
    long long output_start = np_clock_now_ns();
    if (ndjson_out) {
        if (stats.output_errno) {
            errno = stats.output_errno;
            report_error("cannot write the results to %s: %s", destination, strerror(errno));
            status = NP_EXIT_FAILURE;
        }
    } else {
        np_run_info info = {.mode = np_mode_name(mode),
                            .workers = mode == NP_MODE_POOL ? config.workers : 0,
                            .seed = opts->seed,
                            .latency_min_ms = opts->latency_min_ms,
                            .latency_max_ms = opts->latency_max_ms,
                            .queue_capacity = opts->queue_capacity,
                            .wall_ns = stats.wall_ns,
                            .critical_path_ms = stats.critical_path_ms,
                            .cancelled_by = cancel_name(reason)};
        memcpy(info.status_count, stats.status_count, sizeof(info.status_count));
        if (np_output_write_json(results_stream, kept.articles, kept.results, kept.count, &info) !=
            0) {
            report_error("cannot write the results to %s: %s", destination, strerror(errno));
            status = NP_EXIT_FAILURE;
        }
    }
    long long output_ns = np_clock_now_ns() - output_start;
    (void)output_ns;
    (void)load_ns;
    (void)peak_rss_kb;

    if (status == NP_EXIT_FAILURE) {
        abort_files(&files);
    } else if (commit_files(&files) != 0) {
        status = NP_EXIT_FAILURE;
    } else if (!files.file[FILE_RESULTS].stream && fclose(stdout) != 0) {
        /* A full disk or a closed pipe shows up here, not at the fprintf calls: check it. */
        report_error("cannot write to standard output: %s", strerror(errno));
        status = NP_EXIT_FAILURE;
    }

    if (stats.refused_threads)
        np_log_line(&log, NP_LOG_NORMAL,
                    "%s: warning: the system refused %zu thread starts; waited for running "
                    "articles to finish and retried (peak %zu live threads%s)",
                    NP_PROGRAM_NAME, stats.refused_threads, stats.peak_threads,
                    stats.inline_articles ? ", some articles ran on the main thread" : "");
    np_log_line(&log, NP_LOG_NORMAL, "Processed %zu article%s in %.3f s (critical path %.3f s)%s%s",
                stats.collected, stats.collected == 1 ? "" : "s", (double)stats.wall_ns / 1e9,
                (double)stats.critical_path_ms / 1e3, reason ? ", cancelled by " : "",
                reason ? cancel_name(reason) : "");
    if (stats.status_count[NP_STATUS_FAILED] || stats.status_count[NP_STATUS_CANCELLED])
        np_log_line(&log, NP_LOG_NORMAL, "%zu ok, %zu failed, %zu cancelled",
                    stats.status_count[NP_STATUS_OK], stats.status_count[NP_STATUS_FAILED],
                    stats.status_count[NP_STATUS_CANCELLED]);
    if (status == NP_EXIT_OK && reason != NP_CANCEL_NONE)
        status = cancel_status(reason);
    if (status == NP_EXIT_OK && stats.status_count[NP_STATUS_FAILED])
        status = NP_EXIT_FAILURE;
    np_pipeline_results_free(&kept);

done:
    np_signals_stop(watcher);
    if (status == NP_EXIT_USAGE || status == NP_EXIT_FAILURE)
        abort_files(&files);
    np_source_close(source);
    np_article_list_free(&list);
    np_cancel_destroy(&cancel);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "compare") == 0) {
        int status = np_compare_main(argc - 1, argv + 1, stdout, stderr);
        if (fclose(stdout) != 0 && status == 0)
            status = NP_EXIT_FAILURE;
        return status;
    }
    np_cli_options opts;
    char err[1024];
    if (np_cli_parse(argc, argv, &opts, err, sizeof(err)) != 0) {
        report_error("%s", err);
        fprintf(stderr, "Try '%s --help' for more information.\n", NP_PROGRAM_NAME);
        return NP_EXIT_USAGE;
    }
    if (opts.show_help) {
        np_cli_print_help(stdout);
        return fclose(stdout) == 0 ? NP_EXIT_OK : NP_EXIT_FAILURE;
    }
    if (opts.show_version) {
        printf("%s %s\n", NP_PROGRAM_NAME, NP_VERSION);
        return fclose(stdout) == 0 ? NP_EXIT_OK : NP_EXIT_FAILURE;
    }
    return run_once(&opts);
}

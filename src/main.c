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
#include "np/report.h"
#include "np/run.h"
#include "np/signals.h"
#include "np/stats.h"
#include "np/timeline.h"
#include "np/trace.h"

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

/* What each cancellation reason is called in the output, and the exit status it gives. */
static const struct {
    const char *name;
    int status;
} cancel_outcomes[NP_CANCEL_REASON_COUNT] = {
    [NP_CANCEL_NONE] = {NULL, NP_EXIT_OK},
    [NP_CANCEL_SIGINT] = {"SIGINT", NP_EXIT_SIGINT},
    [NP_CANCEL_SIGTERM] = {"SIGTERM", NP_EXIT_SIGTERM},
    [NP_CANCEL_DEADLINE] = {"deadline", NP_EXIT_DEADLINE},
};

static long peak_rss_kb(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
}

/* The options a run was made with, as the report lists them. */
static np_run_options run_options(const np_cli_options *opts, np_mode mode, size_t workers,
                                  size_t queue_capacity)
{
    return (np_run_options){.input = opts->input_path,
                            .mode = np_mode_name(mode),
                            .workers = mode == NP_MODE_POOL ? workers : 0,
                            .seed = opts->seed,
                            .latency_min_ms = opts->latency_min_ms,
                            .latency_max_ms = opts->latency_max_ms,
                            .queue_capacity = queue_capacity,
                            .fail_rate = opts->fail_rate,
                            .retries = opts->retries,
                            .timeout_ms = opts->timeout_ms,
                            .rate = opts->rate};
}

/* What one pipeline run measured, in the report's terms. */
static np_run_record run_record(const np_run_stats *stats, const np_pipeline_results *kept,
                                np_article_list *view, size_t queue_capacity, long long load_ns,
                                long long output_ns)
{
    *view = (np_article_list){.items = kept->articles, .count = kept->count};
    return (np_run_record){.articles = stats->collected,
                           .load_ns = load_ns,
                           .process_ns = stats->wall_ns,
                           .output_ns = output_ns,
                           .start_ns = stats->start_ns,
                           .critical_path_ms = stats->critical_path_ms,
                           .queue_capacity = queue_capacity,
                           .queue_max_depth = stats->queue_max_depth,
                           .producer_wait_ns = stats->producer_wait_ns,
                           .collector_wait_ns = stats->collector_wait_ns,
                           .peak_rss_kb = peak_rss_kb(),
                           .peak_threads = stats->peak_threads,
                           .list = view,
                           .results = kept->results,
                           .articles_detail = kept->count};
}

/* Writes the report, trace and timeline that were asked for. Returns 0 or -1 (reported). */
static int write_extras(run_files *files, const np_run_options *options, const np_run_record *runs,
                        size_t run_count)
{
    const np_run_record *last = &runs[run_count - 1];
    if (files->file[FILE_REPORT].stream &&
        np_report_write(files->file[FILE_REPORT].stream, options, runs, run_count) != 0) {
        report_error("cannot write the report %s: %s", files->path[FILE_REPORT], strerror(errno));
        return -1;
    }
    if (files->file[FILE_TRACE].stream &&
        np_trace_write(files->file[FILE_TRACE].stream, options, last) != 0) {
        report_error("cannot write the trace %s: %s", files->path[FILE_TRACE], strerror(errno));
        return -1;
    }
    if (files->file[FILE_TIMELINE].stream &&
        np_timeline_write_svg(files->file[FILE_TIMELINE].stream, options, last) != 0) {
        report_error("cannot write the timeline %s: %s", files->path[FILE_TIMELINE],
                     strerror(errno));
        return -1;
    }
    return 0;
}

/* Everything a command needs around the pipeline: signals, cancellation, files, the input. */
typedef struct session {
    const np_cli_options *opts;
    np_log log;
    run_files files;
    np_cancel cancel;
    int cancel_ready;
    np_signals *watcher;
    np_article_list list; /* JSON input, loaded once */
    int ndjson_in;
    long long load_ns;
    np_rate_limiter limiter;
    int limiter_ready;
    np_mode mode;
    size_t workers;
    size_t queue_capacity;
} session;

/* Sets up a session; returns 0, or an exit status after reporting the error. */
static int session_open(session *s, const np_cli_options *opts)
{
    *s = (session){.opts = opts,
                   .log = {.stream = stderr, .level = opts->log_level},
                   .files = {.path = {opts->output_path, opts->report_path, opts->trace_path,
                                      opts->timeline_path}},
                   .ndjson_in = input_is_ndjson(opts),
                   .mode = mode_from_name(opts->mode)};
    if (opts->bench && s->ndjson_in && strcmp(opts->input_path, "-") == 0) {
        report_error("bench reads NDJSON input once per run: give a file, not standard input");
        return NP_EXIT_USAGE;
    }
    int e = np_signals_block();
    if (e) {
        report_error("cannot block signals: %s", strerror(e));
        return NP_EXIT_FAILURE;
    }
    if (open_files(&s->files) != 0)
        return NP_EXIT_USAGE;
    e = np_cancel_init(&s->cancel);
    if (e) {
        report_error("cannot set up cancellation: %s", strerror(e));
        return NP_EXIT_FAILURE;
    }
    s->cancel_ready = 1;
    s->watcher =
        np_signals_start(&s->cancel, opts->deadline_ms, s->files.temporary, (size_t)FILE_COUNT);
    if (!s->watcher) {
        report_error("cannot start the signal watcher: %s", strerror(errno));
        return NP_EXIT_FAILURE;
    }
    if (!s->ndjson_in) {
        char err[NP_LOADER_ERROR_SIZE];
        long long start = np_clock_now_ns();
        if (np_loader_load_file(opts->input_path, &s->list, err, sizeof(err)) != 0) {
            report_error("%s", err);
            return NP_EXIT_USAGE;
        }
        s->load_ns = np_clock_now_ns() - start;
    }
    if (opts->rate > 0) {
        e = np_rate_limiter_init(&s->limiter, opts->rate, 1);
        if (e) {
            report_error("cannot set up the rate limiter: %s", strerror(e));
            return NP_EXIT_FAILURE;
        }
        s->limiter_ready = 1;
    }
    np_process_config stages = {.latency_max_ms = opts->latency_max_ms,
                                .fail_rate = opts->fail_rate,
                                .limiter = s->limiter_ready ? &s->limiter : NULL};
    s->workers = opts->workers ? opts->workers : np_pipeline_default_workers(&stages);
    s->queue_capacity =
        opts->queue_capacity ? opts->queue_capacity : np_pipeline_default_queue_capacity(&stages);
    return NP_EXIT_OK;
}

static void session_close(session *s)
{
    np_signals_stop(s->watcher);
    s->watcher = NULL;
    abort_files(&s->files); /* whatever was not committed */
    if (s->cancel_ready)
        np_cancel_destroy(&s->cancel);
    if (s->limiter_ready)
        np_rate_limiter_destroy(&s->limiter);
    np_article_list_free(&s->list);
}

/*
 * One pipeline run over the session's input. Returns the pipeline's code (0, 1 = input error,
 * -1 = fatal) with the message already reported.
 */
static int session_run(session *s, FILE *stream_out, np_pipeline_results *kept, np_run_stats *stats)
{
    const np_cli_options *opts = s->opts;
    char err[NP_SOURCE_ERROR_SIZE + 64];
    np_source *source = s->ndjson_in ? np_source_open_ndjson(opts->input_path, err, sizeof(err))
                                     : np_source_from_list(&s->list);
    if (!source) {
        if (!s->ndjson_in)
            snprintf(err, sizeof(err), "out of memory");
        report_error("%s", err);
        memset(kept, 0, sizeof(*kept));
        memset(stats, 0, sizeof(*stats));
        return s->ndjson_in ? 1 : -1;
    }
    np_progress progress;
    np_progress_init(&progress, stderr, opts->log_level != NP_LOG_QUIET && !opts->no_progress);
    np_pipeline_config config = {
        .process = {.seed = opts->seed,
                    .latency_min_ms = opts->latency_min_ms,
                    .latency_max_ms = opts->latency_max_ms,
                    .fail_rate = opts->fail_rate,
                    .timeout_ms = opts->timeout_ms,
                    .retries = opts->retries,
                    .limiter = s->limiter_ready ? &s->limiter : NULL,
                    .cancel = &s->cancel,
                    .log = &s->log},
        .mode = s->mode,
        .workers = s->workers,
        .queue_capacity = s->queue_capacity,
        .shard_index = opts->shard_index,
        .shard_count = opts->shard_count,
        .stream_out = stream_out,
        .progress = progress.enabled ? np_progress_update : NULL,
        .progress_context = &progress,
        .log = &s->log,
    };
    int rc = np_pipeline_run(source, &config, kept, stats, err, sizeof(err));
    np_progress_finish(&progress);
    np_source_close(source);
    if (rc != 0)
        report_error("%s", err);
    if (stats->refused_threads)
        np_log_line(&s->log, NP_LOG_NORMAL,
                    "%s: warning: the system refused %zu thread starts; waited for running "
                    "articles to finish and retried (peak %zu live threads%s)",
                    NP_PROGRAM_NAME, stats->refused_threads, stats->peak_threads,
                    stats->inline_articles ? "; some articles ran on the main thread" : "");
    return rc;
}

/* The default command: one run, its results, and the files asked for. */
static int run_once(const np_cli_options *opts)
{
    session s;
    int status = session_open(&s, opts);
    if (status != NP_EXIT_OK) {
        session_close(&s);
        return status;
    }
    FILE *results_stream =
        s.files.file[FILE_RESULTS].stream ? s.files.file[FILE_RESULTS].stream : stdout;
    const char *destination = opts->output_path ? opts->output_path : "standard output";
    int ndjson_out = opts->output_format == NP_FORMAT_NDJSON;
    np_pipeline_results kept;
    np_run_stats stats;
    int run_rc = session_run(&s, ndjson_out ? results_stream : NULL, &kept, &stats);
    np_signals_stop(s.watcher);
    s.watcher = NULL;
    if (run_rc < 0) {
        session_close(&s);
        return NP_EXIT_FAILURE;
    }
    if (run_rc > 0)
        status = NP_EXIT_USAGE; /* the input broke off: what was read is still written */

    np_cancel_reason reason = np_cancel_reason_of(&s.cancel);
    long long output_start = np_clock_now_ns();
    if (ndjson_out) {
        if (stats.output_errno) {
            report_error("cannot write the results to %s: %s", destination,
                         strerror(stats.output_errno));
            status = NP_EXIT_FAILURE;
        }
    } else {
        /* The workers that really ran: the system may have refused some of those asked for. */
        np_run_info info = {.mode = np_mode_name(s.mode),
                            .workers = s.mode == NP_MODE_POOL ? stats.threads_started : 0,
                            .seed = opts->seed,
                            .latency_min_ms = opts->latency_min_ms,
                            .latency_max_ms = opts->latency_max_ms,
                            .queue_capacity = s.queue_capacity,
                            .wall_ns = stats.wall_ns,
                            .critical_path_ms = stats.critical_path_ms,
                            .cancelled_by = cancel_outcomes[reason].name};
        memcpy(info.status_count, stats.status_count, sizeof(info.status_count));
        if (np_output_write_json(results_stream, kept.articles, kept.results, kept.count, &info) !=
            0) {
            report_error("cannot write the results to %s: %s", destination, strerror(errno));
            status = NP_EXIT_FAILURE;
        }
    }
    long long output_ns = np_clock_now_ns() - output_start;

    np_run_options options = run_options(opts, s.mode, stats.threads_started, s.queue_capacity);
    np_article_list view;
    np_run_record record = run_record(&stats, &kept, &view, s.queue_capacity, s.load_ns, output_ns);
    if (status != NP_EXIT_FAILURE && write_extras(&s.files, &options, &record, 1) != 0)
        status = NP_EXIT_FAILURE;
    if (status != NP_EXIT_FAILURE && commit_files(&s.files) != 0)
        status = NP_EXIT_FAILURE;
    if (status != NP_EXIT_FAILURE && !s.files.file[FILE_RESULTS].stream && !opts->output_path &&
        fclose(stdout) != 0) {
        /* A full disk or a closed pipe shows up here, not at the fprintf calls: check it. */
        report_error("cannot write the results to standard output: %s", strerror(errno));
        status = NP_EXIT_FAILURE;
    }

    np_log_line(&s.log, NP_LOG_NORMAL,
                "Processed %zu article%s in %.3f s (critical path %.3f s)%s%s", stats.collected,
                stats.collected == 1 ? "" : "s", (double)stats.wall_ns / 1e9,
                (double)stats.critical_path_ms / 1e3, reason ? ", cancelled by " : "",
                reason ? cancel_outcomes[reason].name : "");
    if (stats.status_count[NP_STATUS_FAILED] || stats.status_count[NP_STATUS_CANCELLED])
        np_log_line(&s.log, NP_LOG_NORMAL, "%zu ok, %zu failed, %zu cancelled",
                    stats.status_count[NP_STATUS_OK], stats.status_count[NP_STATUS_FAILED],
                    stats.status_count[NP_STATUS_CANCELLED]);
    if (status == NP_EXIT_OK && reason != NP_CANCEL_NONE)
        status = cancel_outcomes[reason].status;
    if (status == NP_EXIT_OK && stats.status_count[NP_STATUS_FAILED])
        status = NP_EXIT_FAILURE;
    np_pipeline_results_free(&kept);
    session_close(&s);
    return status;
}

/* "1.234 s" or "567.8 ms": durations as hyperfine prints them. */
static void format_duration(char *buf, size_t size, double ms)
{
    if (ms >= 1000)
        snprintf(buf, size, "%.3f s", ms / 1000);
    else
        snprintf(buf, size, "%.1f ms", ms);
}

/* `bench`: W warm-up runs and N measured runs in one process, hyperfine-style figures. */
static int run_bench(const np_cli_options *opts)
{
    session s;
    int status = session_open(&s, opts);
    if (status != NP_EXIT_OK) {
        session_close(&s);
        return status;
    }
    size_t total = (size_t)opts->bench_warmup + opts->bench_runs;
    np_run_record *records = calloc(total, sizeof(*records));
    np_pipeline_results *kept = calloc(total, sizeof(*kept));
    np_article_list *views = calloc(total, sizeof(*views));
    double *wall = calloc(total, sizeof(*wall));
    double *overhead = calloc(total, sizeof(*overhead));
    double *scratch = calloc(total, sizeof(*scratch));
    size_t done = 0, measured = 0, with_overhead = 0;
    if (!records || !kept || !views || !wall || !overhead || !scratch) {
        report_error("out of memory");
        status = NP_EXIT_FAILURE;
        goto out;
    }
    for (; done < total; done++) {
        np_run_stats stats;
        if (session_run(&s, NULL, &kept[done], &stats) != 0) {
            status = NP_EXIT_FAILURE;
            break;
        }
        records[done] =
            run_record(&stats, &kept[done], &views[done], s.queue_capacity, s.load_ns, 0);
        records[done].warmup = done < opts->bench_warmup;
        if (np_cancel_reason_of(&s.cancel) != NP_CANCEL_NONE) {
            done++;
            break;
        }
        if (records[done].warmup)
            continue;
        wall[measured++] = (double)stats.wall_ns / 1e6;
        if (stats.critical_path_ms > 0)
            overhead[with_overhead++] =
                (double)stats.wall_ns / 1e6 / (double)stats.critical_path_ms;
        np_log_line(&s.log, NP_LOG_NORMAL, "run %zu/%u: %.3f ms", measured, opts->bench_runs,
                    (double)stats.wall_ns / 1e6);
    }
    if (measured > 0) {
        np_stats_summary w = np_stats_summarize(wall, measured, scratch);
        char mean[32], sd[32], lo[32], mid[32], hi[32];
        format_duration(mean, sizeof(mean), w.mean);
        format_duration(sd, sizeof(sd), w.stddev);
        format_duration(lo, sizeof(lo), w.min);
        format_duration(mid, sizeof(mid), w.median);
        format_duration(hi, sizeof(hi), w.max);
        printf("Benchmark: %s (%zu articles, mode %s, latency %u:%u ms, seed %llu)\n",
               opts->input_path, records[done - 1].articles, np_mode_name(s.mode),
               (unsigned)opts->latency_min_ms, (unsigned)opts->latency_max_ms,
               (unsigned long long)opts->seed);
        printf("  Wall time (mean ± σ):      %s ± %s    [%zu runs, %u warm-up]\n", mean, sd,
               measured, opts->bench_warmup);
        printf("  Range (min … median … max): %s … %s … %s\n", lo, mid, hi);
        if (with_overhead > 0) {
            np_stats_summary o = np_stats_summarize(overhead, with_overhead, scratch);
            printf("  Overhead (mean ± σ):       %.4f ± %.4f    (wall / critical path %.3f s)\n",
                   o.mean, o.stddev, (double)records[done - 1].critical_path_ms / 1e3);
            printf("  Overhead range:            %.4f … %.4f … %.4f\n", o.min, o.median, o.max);
        } else {
            printf("  Overhead:                  n/a (critical path is 0)\n");
        }
        printf("  Throughput (median run):   %.1f articles/s\n",
               w.median > 0 ? (double)records[done - 1].articles / (w.median / 1e3) : 0.0);
        if (measured > 1 && w.mean > 0 && w.stddev / w.mean > 0.05)
            printf("  Warning: wide spread (σ is %.1f%% of the mean); other work on the machine "
                   "may be interfering. Use more --runs or a quieter machine.\n",
                   100 * w.stddev / w.mean);
    }
    if (done > 0) {
        np_run_options options = run_options(opts, s.mode, s.workers, s.queue_capacity);
        if (write_extras(&s.files, &options, records, done) != 0 || commit_files(&s.files) != 0)
            status = NP_EXIT_FAILURE;
    }
    np_cancel_reason reason = np_cancel_reason_of(&s.cancel);
    if (status == NP_EXIT_OK && reason != NP_CANCEL_NONE)
        status = cancel_outcomes[reason].status;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        report_error("cannot write to standard output: %s", strerror(errno));
        status = NP_EXIT_FAILURE;
    }
out:
    for (size_t i = 0; kept && i < total; i++)
        np_pipeline_results_free(&kept[i]);
    free(records);
    free(kept);
    free(views);
    free(wall);
    free(overhead);
    free(scratch);
    session_close(&s);
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
    return opts.bench ? run_bench(&opts) : run_once(&opts);
}

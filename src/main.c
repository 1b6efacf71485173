/*
 * news-processor: load articles, run the pipeline, write the results (and, on request, a timing
 * report, a trace and a timeline picture).
 *
 * main is the one level that knows the exit status: modules return errors with a message, and
 * this file prints each once, prefixed with the program name, and chooses the status (np/exit.h).
 * Files are written through np_outputs: every target holds its complete new content, or all of
 * them their old content, never a partial one. Signals are blocked before the first thread starts
 * and handled by the watcher thread of np/signals.h from then until main returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np/atomic_file.h"
#include "np/backend_choice.h"
#include "np/bench.h"
#include "np/cli.h"
#include "np/clock.h"
#include "np/compare.h"
#include "np/exit.h"
#include "np/input.h"
#include "np/latency_dist.h"
#include "np/loader.h"
#include "np/merge.h"
#include "np/output.h"
#include "np/outputs.h"
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

/* The files a run writes besides stdout. */
enum output_file { FILE_RESULTS, FILE_REPORT, FILE_TRACE, FILE_TIMELINE, FILE_COUNT };

static const char *const output_option[FILE_COUNT] = {"-o", "--report", "--trace", "--timeline"};

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

/*
 * Makes sure descriptors 0, 1 and 2 are open, as git and coreutils do: otherwise the next open()
 * (a temporary output file, say) would take the free number and become "stdout" or "stderr". Each
 * one found closed is opened on /dev/null in the direction it is not used in, so that using it
 * still fails as a closed descriptor would (EBADF): a closed stdout that results are meant for is
 * a write error, not a silent success. Returns a bit mask of the descriptors that were closed (1 <<
 * fd), or -1 if /dev/null cannot be opened.
 */
static int sanitize_standard_descriptors(void)
{
    int closed = 0;
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int opened = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (opened != fd) {
            if (opened >= 0)
                close(opened);
            return -1;
        }
        closed |= 1 << fd;
    }
    return closed;
}

/* What main learns before anything else runs, for the commands. */
typedef struct process_start {
    mode_t umask_value; /* read once, before any thread exists */
    int stdout_was_closed;
} process_start;

/*
 * The exit status for a path that could not be opened or written: 2 when the path itself is
 * wrong (it names nothing, or not a file), 1 when the system refused (permissions, descriptors,
 * memory, disk).
 */
static int status_for_path_errno(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP:
        return NP_EXIT_USAGE;
    default:
        return NP_EXIT_FAILURE;
    }
}

/* An output path as the user gave it: its identity, if it exists, or its resolved location. */
typedef struct path_identity {
    dev_t dev;
    ino_t ino;
    char *resolved; /* when it does not exist: its directory resolved, plus its name (malloc'd) */
    int exists;
    int is_device; /* a character device (/dev/null): many outputs may share it */
} path_identity;

static void identify_path(const char *path, path_identity *id)
{
    struct stat st;
    *id = (path_identity){0};
    if (stat(path, &st) == 0) {
        *id = (path_identity){
            .exists = 1, .dev = st.st_dev, .ino = st.st_ino, .is_device = S_ISCHR(st.st_mode)};
        return;
    }
    /* Not there yet: compare where it would be created (through a dangling link too; the
     * directory resolved, links and ".." included, plus the last component). */
    char *destination = np_atomic_file_destination(path);
    if (!destination)
        return;
    const char *slash = strrchr(destination, '/');
    char *dir = slash ? strndup(destination, (size_t)(slash - destination) + 1) : strdup(".");
    char *real_dir = dir ? realpath(dir, NULL) : NULL;
    const char *base = slash ? slash + 1 : destination;
    if (real_dir) {
        size_t size = strlen(real_dir) + strlen(base) + 2;
        id->resolved = malloc(size);
        if (id->resolved)
            snprintf(id->resolved, size, "%s/%s", real_dir, base);
    }
    free(dir);
    free(real_dir);
    free(destination);
}

static int same_path(const path_identity *a, const path_identity *b)
{
    if (a->exists || b->exists)
        return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino && !a->is_device;
    return a->resolved && b->resolved && strcmp(a->resolved, b->resolved) == 0;
}

/*
 * Refuses, before anything is opened, two outputs that name one file (through links too), an
 * output that is the input or standard output (when the results go there), and standard output
 * named by path when it was closed: the second write would destroy the first. Returns 0, or -1
 * (a usage error) or -2 (a write error) after reporting.
 */
static int check_output_paths(const np_cli_options *opts, const char *const path[FILE_COUNT],
                              int stdout_was_closed)
{
    path_identity id[FILE_COUNT] = {{0}};
    int rc = 0;
    for (int i = 0; i < FILE_COUNT && rc == 0; i++) {
        if (!path[i])
            continue;
        identify_path(path[i], &id[i]);
        for (int k = 0; k < i && rc == 0; k++) {
            if (path[k] && same_path(&id[k], &id[i])) {
                report_error("%s %s and %s %s name the same file: give each output its own",
                             output_option[k], path[k], output_option[i], path[i]);
                rc = -1;
            }
        }
    }
    struct stat in, out;
    int input_known = strcmp(opts->input_path, "-") == 0 ? fstat(STDIN_FILENO, &in) == 0
                                                         : stat(opts->input_path, &in) == 0;
    input_known = input_known && S_ISREG(in.st_mode);
    for (int i = 0; i < FILE_COUNT && rc == 0 && input_known; i++) {
        if (path[i] && id[i].exists && id[i].dev == in.st_dev && id[i].ino == in.st_ino) {
            report_error("%s %s is the input file: it would be overwritten", output_option[i],
                         path[i]);
            rc = -1;
        }
    }
    /* Standard output, when the results go there: not another output, nor the input. */
    int to_stdout = !path[FILE_RESULTS] && fstat(STDOUT_FILENO, &out) == 0 && !S_ISCHR(out.st_mode);
    for (int i = 0; i < FILE_COUNT && rc == 0 && to_stdout; i++) {
        if (path[i] && id[i].exists && id[i].dev == out.st_dev && id[i].ino == out.st_ino) {
            report_error("%s %s is standard output, where the results go: give it its own file",
                         output_option[i], path[i]);
            rc = -1;
        }
    }
    if (rc == 0 && to_stdout && input_known && in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
        report_error("standard output is the input file: it would be overwritten");
        rc = -1;
    }
    /* Opened on /dev/null at start-up because it was closed: naming it is writing nowhere. */
    for (int i = 0; i < FILE_COUNT && rc == 0 && stdout_was_closed; i++) {
        if (path[i] &&
            (strcmp(path[i], "/dev/stdout") == 0 || strcmp(path[i], "/proc/self/fd/1") == 0 ||
             strcmp(path[i], "/dev/fd/1") == 0)) {
            report_error("%s %s: cannot write to standard output: it is closed", output_option[i],
                         path[i]);
            rc = -2; /* a write error, as the results sent to a closed stdout are */
        }
    }
    for (int i = 0; i < FILE_COUNT; i++)
        free(id[i].resolved);
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
    [NP_CANCEL_SIGHUP] = {"SIGHUP", NP_EXIT_SIGHUP},
    [NP_CANCEL_OUTPUT_FAILED] = {"output failure", NP_EXIT_FAILURE},
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
    int openai = strcmp(opts->backend, "openai") == 0;
    np_backend_target target = np_backend_target_of(opts);
    return (np_run_options){.input = opts->input_path,
                            .backend = opts->backend,
                            .model = openai ? target.model : NULL,
                            .base_url = openai ? target.base_url : NULL,
                            .stream = openai && opts->stream,
                            .mode = np_mode_name(mode),
                            .workers = mode == NP_MODE_POOL ? workers : 0,
                            .seed = opts->seed,
                            .latency_min_ms = opts->latency_min_ms,
                            .latency_max_ms = opts->latency_max_ms,
                            .queue_capacity = queue_capacity,
                            .fail_rate = opts->fail_rate,
                            .retries = opts->retries,
                            .timeout_ms = opts->timeout_ms,
                            .rate = opts->rate,
                            .max_inflight = opts->max_inflight,
                            .tpm = opts->tpm,
                            .breaker_threshold = opts->breaker_threshold,
                            .breaker_cooldown_ms = opts->breaker_cooldown_ms,
                            .latency_from = opts->latency_from};
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

/* Everything a command needs around the pipeline: signals, cancellation, files, the input. */
typedef struct session {
    const np_cli_options *opts; /* the command's, or calibrated with --latency-from */
    np_cli_options calibrated;  /* with --latency-from: its range stands for --latency */
    np_latency_dist latency_dist;
    np_log log;
    const char *path[FILE_COUNT];
    FILE *file[FILE_COUNT]; /* the outputs' temporary files; NULL when not asked for */
    np_outputs *outputs;
    np_cancel cancel;
    int cancel_ready;
    np_signals *watcher;
    np_input input;       /* NDJSON input, opened ahead of the first run; fd -1 when not open */
    np_article_list list; /* JSON input, loaded once */
    int ndjson_in;
    long long load_ns;
    np_rate_limiter limiter;
    int limiter_ready;
    np_inflight inflight; /* the limits shared by every call, each set up when asked for */
    np_breaker breaker;
    np_tpm tpm;
    int inflight_ready, breaker_ready, tpm_ready;
    const np_latency_dist *latency_from; /* &latency_dist with --latency-from, else NULL */
    np_mode mode;
    size_t workers;
    size_t queue_capacity;
    np_backend *backend;  /* NULL: the simulator */
    atomic_int child_pid; /* bench: the run's process while it may run, else 0 */
} session;

/* Before an immediate exit (a second signal): no child left running, no temporary file left. */
static void session_emergency_cleanup(void *context)
{
    session *s = context;
    np_bench_kill_child(&s->child_pid);
    np_outputs_emergency_cleanup(s->outputs);
}

/* The status for a run cancelled before it could start (opening an output). */
static int cancelled_status(session *s, const char *while_doing)
{
    np_cancel_reason reason = np_cancel_reason_of(&s->cancel);
    np_log_line(&s->log, NP_LOG_NORMAL, "%s: cancelled by %s while %s: nothing written",
                NP_PROGRAM_NAME, cancel_outcomes[reason].name, while_doing);
    return cancel_outcomes[reason].status;
}

/*
 * Opens the input (and, for JSON, reads and parses it). Cancellation while the input blocks is
 * not an error: the run then has the articles read so far (none for a JSON document). Returns 0,
 * or an exit status after reporting the error.
 */
static int session_load(session *s)
{
    const char *path = s->opts->input_path;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    int e = np_input_open(&s->input, path, np_cancel_fd(&s->cancel));
    if (e == ECANCELED)
        return NP_EXIT_OK;
    if (e == EISDIR) {
        report_error("%s: is a directory, not a JSON file", name);
        return NP_EXIT_USAGE;
    }
    if (e) {
        report_error("%s: cannot open: %s", name, strerror(e));
        return status_for_path_errno(e);
    }
    if (s->ndjson_in)
        return NP_EXIT_OK; /* read line by line as the run goes */
    long long start = np_clock_now_ns();
    char *data;
    size_t len;
    e = np_input_read_all(&s->input, &data, &len);
    np_input_close(&s->input);
    if (e == ECANCELED)
        return NP_EXIT_OK;
    if (e) {
        report_error("%s: %s%s", name, e == ENOMEM ? "" : "cannot read: ", strerror(e));
        return NP_EXIT_FAILURE;
    }
    char err[NP_LOADER_ERROR_SIZE];
    int rc = np_loader_parse(data, len, name, &s->list, err, sizeof(err));
    /* A second document after the first, on standard input: most likely NDJSON, whose format no
     * file name can tell here. */
    int looks_ndjson = rc != 0 && strcmp(path, "-") == 0 &&
                       strstr(err, "unexpected data after the JSON document") != NULL;
    free(data);
    if (rc != 0) {
        report_error("%s%s", err,
                     looks_ndjson ? " (for NDJSON on standard input, add --input-format ndjson)"
                                  : "");
        return np_loader_error_is_out_of_memory(err) ? NP_EXIT_FAILURE : NP_EXIT_USAGE;
    }
    s->load_ns = np_clock_now_ns() - start;
    return NP_EXIT_OK;
}

/*
 * Loads --latency-from's report, with the watcher running: a FIFO without a writer, or a slow
 * file, is cancelled by a signal or the deadline like the input is. The report's range of latencies
 * stands for --latency from then on (s->opts becomes the calibrated copy). Before any worker
 * starts: cJSON's error position is process-wide. Returns 0, or an exit status after reporting.
 */
static int session_load_latency_from(session *s)
{
    char err[1024];
    int rc = np_latency_dist_load(s->opts->latency_from, np_cancel_fd(&s->cancel), &s->latency_dist,
                                  err, sizeof(err));
    if (rc == ECANCELED)
        return cancelled_status(s, "reading --latency-from");
    if (rc != 0) {
        report_error("%s", err);
        return NP_EXIT_USAGE;
    }
    s->calibrated = *s->opts;
    np_latency_dist_range(&s->latency_dist, &s->calibrated.latency_min_ms,
                          &s->calibrated.latency_max_ms);
    s->opts = &s->calibrated;
    s->latency_from = &s->latency_dist;
    return NP_EXIT_OK;
}

/* The limits shared by all calls that the options ask for. Returns 0 or an error number. */
static int session_open_limits(session *s)
{
    const np_cli_options *opts = s->opts;
    int e = 0;
    if (opts->max_inflight) {
        e = np_inflight_init(&s->inflight, opts->max_inflight, &s->cancel);
        s->inflight_ready = !e;
    }
    if (!e && opts->breaker_threshold) {
        e = np_breaker_init(&s->breaker, opts->breaker_threshold, opts->breaker_cooldown_ms,
                            &s->log);
        s->breaker_ready = !e;
    }
    if (!e && opts->tpm) {
        e = np_tpm_init(&s->tpm, opts->tpm, np_clock_now_ns());
        s->tpm_ready = !e;
    }
    return e;
}

/* What the limits did, for the run's record (read after the run: no call is in flight). */
static np_limits_record session_limits_record(session *s)
{
    const np_cli_options *opts = s->opts;
    np_limits_record l = {.max_inflight = opts->max_inflight,
                          .tpm = opts->tpm,
                          .breaker_threshold = opts->breaker_threshold,
                          .breaker_cooldown_ms = opts->breaker_cooldown_ms};
    if (s->limiter_ready) {
        l.rate = opts->rate;
        l.rate_granted = np_rate_limiter_granted(&s->limiter);
    }
    if (s->inflight_ready)
        l.inflight_peak = np_inflight_peak(&s->inflight);
    if (s->tpm_ready) {
        pthread_mutex_lock(&s->tpm.mutex);
        l.tpm_reserved = s->tpm.reserved;
        l.tpm_corrected = s->tpm.corrections;
        pthread_mutex_unlock(&s->tpm.mutex);
    }
    if (s->breaker_ready) {
        pthread_mutex_lock(&s->breaker.mutex);
        l.breaker_opens = s->breaker.opens;
        l.breaker_half_opens = s->breaker.half_opens;
        l.breaker_closes = s->breaker.closes;
        l.breaker_rejected = s->breaker.rejected;
        l.breaker_events = s->breaker.events;
        l.breaker_event_count = s->breaker.event_count;
        pthread_mutex_unlock(&s->breaker.mutex);
    }
    return l;
}

/* Sets up a session; returns 0, or an exit status after reporting the error. load: read the input
 * (the bench parent does not: each run's process reads it). */
static int session_open(session *s, const np_cli_options *opts, const process_start *start,
                        int load)
{
    *s = (session){
        .opts = opts,
        .log = {.stream = stderr, .level = opts->log_level},
        .path = {opts->output_path, opts->report_path, opts->trace_path, opts->timeline_path},
        .input = {.fd = -1},
        .ndjson_in = input_is_ndjson(opts),
        .mode = mode_from_name(opts->mode)};
    atomic_init(&s->child_pid, 0);
    if (opts->bench && strcmp(opts->input_path, "-") == 0) {
        report_error("bench runs each run as a fresh process that reads the input: give a file, "
                     "not standard input");
        return NP_EXIT_USAGE;
    }
    int checked = check_output_paths(opts, s->path, start->stdout_was_closed);
    if (checked != 0)
        return checked == -2 ? NP_EXIT_FAILURE : NP_EXIT_USAGE;
    /* From here on every signal is the watcher's: none can end the process past the cleanup. */
    int e = np_signals_block();
    if (!e)
        e = np_cancel_init(&s->cancel);
    if (e) {
        report_error("cannot set up cancellation: %s", strerror(e));
        return NP_EXIT_FAILURE;
    }
    s->cancel_ready = 1;
    s->outputs = np_outputs_create(start->umask_value, np_cancel_fd(&s->cancel));
    if (!s->outputs) {
        report_error("out of memory");
        return NP_EXIT_FAILURE;
    }
    s->watcher = np_signals_start(&s->cancel, opts->deadline_ms, session_emergency_cleanup, s);
    if (!s->watcher) {
        report_error("cannot start the signal watcher: %s", strerror(errno));
        return NP_EXIT_FAILURE;
    }
    if (opts->latency_from) {
        int loaded = session_load_latency_from(s);
        if (loaded != NP_EXIT_OK)
            return loaded;
        opts = s->opts; /* the calibrated range, for the defaults below */
    }
    for (int i = 0; i < FILE_COUNT; i++) {
        if (!s->path[i])
            continue;
        s->file[i] = np_outputs_open(s->outputs, s->path[i]);
        if (s->file[i])
            continue;
        e = errno;
        if (e == ECANCELED)
            return cancelled_status(s, "opening the outputs");
        report_error("cannot create %s: %s", s->path[i], strerror(e));
        return status_for_path_errno(e);
    }
    int status = load ? session_load(s) : NP_EXIT_OK;
    if (status != NP_EXIT_OK)
        return status;
    if (load) {
        /* After the input is loaded and checked: a bad input costs no request. */
        char err[512];
        status = np_backend_choose(opts, &s->backend, err, sizeof(err));
        if (status != NP_EXIT_OK) {
            report_error("%s", err);
            return status;
        }
    }
    if (opts->rate > 0) {
        e = np_rate_limiter_init(&s->limiter, opts->rate, 1);
        if (e) {
            report_error("cannot set up the rate limiter: %s", strerror(e));
            return NP_EXIT_FAILURE;
        }
        s->limiter_ready = 1;
    }
    e = session_open_limits(s);
    if (e) {
        report_error("cannot set up the call limits: %s", strerror(e));
        return NP_EXIT_FAILURE;
    }
    np_process_config stages = {.latency_max_ms = opts->latency_max_ms,
                                .fail_rate = opts->fail_rate,
                                .limiter = s->limiter_ready ? &s->limiter : NULL,
                                .backend = s->backend,
                                .inflight = s->inflight_ready ? &s->inflight : NULL,
                                .tpm = s->tpm_ready ? &s->tpm : NULL,
                                .latency_from = s->latency_from};
    s->workers = opts->workers ? opts->workers : np_pipeline_default_workers(&stages);
    s->queue_capacity =
        opts->queue_capacity ? opts->queue_capacity : np_pipeline_default_queue_capacity(&stages);
    return NP_EXIT_OK;
}

/* Removes whatever was not committed and releases everything; the watcher goes last, so signals
 * are honoured until the very end. */
static void session_close(session *s)
{
    /* The watcher first: it may use the outputs until it is joined. A signal that comes after is
     * left pending, for np_signals_pending_status. */
    np_signals_stop(s->watcher);
    s->watcher = NULL;
    np_outputs_destroy(s->outputs);
    s->outputs = NULL;
    if (s->input.fd >= 0)
        np_input_close(&s->input);
    if (s->cancel_ready)
        np_cancel_destroy(&s->cancel);
    if (s->limiter_ready)
        np_rate_limiter_destroy(&s->limiter);
    np_backend_choice_free(s->backend);
    s->backend = NULL;
    /* After the watcher is stopped: a cancellation's hook wakes the in-flight waiters. */
    if (s->inflight_ready)
        np_inflight_destroy(&s->inflight);
    if (s->breaker_ready)
        np_breaker_destroy(&s->breaker);
    if (s->tpm_ready)
        np_tpm_destroy(&s->tpm);
    np_article_list_free(&s->list);
}

/* How many of count articles the run's shard holds (all of them without --shard). */
static size_t shard_size(size_t count, const np_cli_options *opts)
{
    if (opts->shard_count <= 1)
        return count;
    if (opts->shard_index >= count)
        return 0;
    return (count - opts->shard_index + opts->shard_count - 1) / opts->shard_count;
}

/* The run's source: the loaded list, or the NDJSON input (opened again for each bench run after
 * the first). NULL after reporting an error, with *status set. */
static np_source *session_source(session *s, int *status)
{
    if (!s->ndjson_in || np_cancel_reason_of(&s->cancel) != NP_CANCEL_NONE)
        return np_source_from_list(&s->list); /* when cancelled: the empty list */
    if (s->input.fd < 0) {
        int e = np_input_open(&s->input, s->opts->input_path, np_cancel_fd(&s->cancel));
        if (e == ECANCELED)
            return np_source_from_list(&s->list);
        if (e) {
            report_error("%s: cannot open: %s", s->opts->input_path, strerror(e));
            *status = status_for_path_errno(e);
            return NULL;
        }
    }
    np_source *source = np_source_from_input(&s->input);
    if (!source)
        np_input_close(&s->input);
    return source;
}

/*
 * One pipeline run over the session's input. Returns the status so far (0; 2 when the input broke
 * off, 1 when reading it failed: what was read before is still in *kept or streamed), or -1 for a
 * fatal error (nothing kept), the message already reported.
 */
static int session_run(session *s, FILE *stream_out, np_pipeline_results *kept, np_run_stats *stats)
{
    const np_cli_options *opts = s->opts;
    char err[NP_SOURCE_ERROR_SIZE + 64];
    int status = NP_EXIT_FAILURE;
    memset(kept, 0, sizeof(*kept));
    memset(stats, 0, sizeof(*stats));
    np_source *source = session_source(s, &status);
    if (!source) {
        if (status == NP_EXIT_FAILURE)
            report_error("out of memory");
        return -1;
    }
    np_progress progress;
    /* NDJSON results written to the terminal the progress line is drawn on would collide with
     * it: no progress line there. */
    int results_on_terminal = stream_out == stdout && isatty(STDOUT_FILENO);
    np_progress_init(&progress, stderr,
                     opts->log_level != NP_LOG_QUIET && !opts->no_progress && !results_on_terminal);
    progress.total = shard_size(s->ndjson_in ? 0 : s->list.count, opts);
    progress.rate = opts->rate;
    np_pipeline_config config = {
        .process = {.seed = opts->seed,
                    .latency_min_ms = opts->latency_min_ms,
                    .latency_max_ms = opts->latency_max_ms,
                    .fail_rate = opts->fail_rate,
                    .timeout_ms = opts->timeout_ms,
                    .retries = opts->retries,
                    .limiter = s->limiter_ready ? &s->limiter : NULL,
                    .cancel = &s->cancel,
                    .log = &s->log,
                    .backend = s->backend,
                    .inflight = s->inflight_ready ? &s->inflight : NULL,
                    .breaker = s->breaker_ready ? &s->breaker : NULL,
                    .tpm = s->tpm_ready ? &s->tpm : NULL,
                    .latency_from = s->latency_from,
                    /* With a server, a reply is estimated at its --max-tokens. */
                    .completion_tokens = {s->backend ? opts->max_tokens[0] : 0,
                                          s->backend ? opts->max_tokens[1] : 0}},
        .mode = s->mode,
        /* libcurl, TLS and the resolver need more stack than a simulated call's few frames. */
        .stack_size = s->backend ? NP_HTTP_THREAD_STACK_SIZE : 0,
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
    int read_errno = np_source_read_errno(source);
    np_source_close(source);
    if (rc != 0)
        report_error("%s", err);
    if (stats->refused_threads)
        np_log_line(&s->log, NP_LOG_NORMAL,
                    "%s: warning: the system refused %zu thread starts; waited for running "
                    "articles to finish and retried (%s)",
                    NP_PROGRAM_NAME, stats->refused_threads,
                    stats->threads_started == 0 ? "no article thread could start: every article "
                                                  "ran on a dispatching thread"
                    : stats->inline_articles    ? "some articles ran on a dispatching thread"
                                                : "no article was lost");
    if (rc < 0)
        return -1;
    if (rc > 0) /* the input broke off: a malformed line (2), or a failed read (1) */
        return read_errno ? NP_EXIT_FAILURE : NP_EXIT_USAGE;
    return NP_EXIT_OK;
}

/* Writes the report, and with draw the trace and timeline, that were asked for into their
 * temporary files (a bench's drawings are its first run's). Returns 0 or -1 (reported). */
static int write_extras(session *s, const np_run_options *options, const np_run_record *runs,
                        size_t run_count, int draw)
{
    const np_run_record *last = &runs[run_count - 1];
    FILE *report = s->file[FILE_REPORT], *trace = draw ? s->file[FILE_TRACE] : NULL,
         *timeline = draw ? s->file[FILE_TIMELINE] : NULL;
    if (report && np_report_write(report, options, runs, run_count) != 0) {
        report_error("cannot write the report %s: %s", s->path[FILE_REPORT], strerror(errno));
        return -1;
    }
    if (trace && np_trace_write(trace, options, last) != 0) {
        report_error("cannot write the trace %s: %s", s->path[FILE_TRACE], strerror(errno));
        return -1;
    }
    if (timeline && np_timeline_write_svg(timeline, options, last) != 0) {
        report_error("cannot write the timeline %s: %s", s->path[FILE_TIMELINE], strerror(errno));
        return -1;
    }
    return 0;
}

/* Syncs every output file (commit 0: on failure they are all removed), or renames every one into
 * place (1). Returns 0 or -1 (reported). */
static int finish_outputs(session *s, int commit)
{
    const char *failed;
    int rc = commit ? np_outputs_commit(s->outputs, &failed) : np_outputs_sync(s->outputs, &failed);
    if (rc == 0)
        return 0;
    report_error("cannot write %s: %s", failed, strerror(errno));
    if (!commit)
        np_outputs_abort(s->outputs);
    return -1;
}

/* The status for a write to standard output that failed with err: a closed pipe ends the run
 * quietly, as SIGPIPE would have; anything else is reported. */
static int stdout_failure(int err)
{
    if (err == EPIPE)
        return NP_EXIT_SIGPIPE;
    report_error("cannot write the results to standard output: %s", strerror(err));
    return NP_EXIT_FAILURE;
}

/* "bench run 1 of 11 (warm-up)", "bench run 4 of 11 (measured run 3 of 10)" */
static void describe_bench_run(char *buf, size_t size, unsigned run, unsigned runs, unsigned warmup)
{
    if (run <= warmup)
        snprintf(buf, size, "bench run %u of %u (warm-up)", run, runs);
    else
        snprintf(buf, size, "bench run %u of %u (measured run %u of %u)", run, runs, run - warmup,
                 runs - warmup);
}

/* Writes one drawing of the run into fd (a bench child's trace or timeline). Returns 0 or -1. */
static int draw_into(int fd, int (*draw)(FILE *, const np_run_options *, const np_run_record *),
                     const np_run_options *options, const np_run_record *record)
{
    FILE *f = fdopen(fd, "w");
    if (!f)
        return -1;
    int rc = draw(f, options, record);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* A bench child's last step: its drawings, if it was asked for them, then its record. Returns 0,
 * or an exit status after reporting the error. */
static int bench_child_send(const np_bench_child *child, const np_run_options *options,
                            const np_run_record *record)
{
    char drawn[96];
    describe_bench_run(drawn, sizeof(drawn), child->run, child->runs, child->warmup);
    np_run_options drawn_options = *options;
    drawn_options.drawn = drawn;
    if ((child->trace_fd >= 0 &&
         draw_into(child->trace_fd, np_trace_write, &drawn_options, record) != 0) ||
        (child->timeline_fd >= 0 &&
         draw_into(child->timeline_fd, np_timeline_write_svg, &drawn_options, record) != 0)) {
        report_error("cannot write the trace or timeline: %s", strerror(errno));
        return NP_EXIT_FAILURE;
    }
    int e = np_bench_send_record(child->record_fd, record);
    if (e) {
        report_error("cannot send the run's record to bench: %s", strerror(e));
        return NP_EXIT_FAILURE;
    }
    return NP_EXIT_OK;
}

/*
 * The default command: one run, its results, and the files asked for -- all of them or none.
 * Files are written and synced first; the results document goes to standard output only once
 * they all succeeded, and the files are renamed into place only once it has. child: this process
 * is one run of a bench (np/bench.h), which then gets the run's record; NULL otherwise.
 */
static int run_once(const np_cli_options *opts, const process_start *start,
                    const np_bench_child *child)
{
    session s;
    int status = session_open(&s, opts, start, 1);
    if (status != NP_EXIT_OK) {
        session_close(&s);
        return status;
    }
    opts = s.opts; /* with --latency-from, its range stands for --latency */
    FILE *results_file = s.file[FILE_RESULTS];
    int ndjson_out = opts->output_format == NP_FORMAT_NDJSON;
    np_pipeline_results kept;
    np_run_stats stats;
    status =
        session_run(&s, ndjson_out ? (results_file ? results_file : stdout) : NULL, &kept, &stats);
    if (status < 0) {
        session_close(&s);
        return NP_EXIT_FAILURE;
    }
    /* The input broke off (status 1 or 2) before its first article: as for a JSON document that
     * does not parse, nothing is written and every target keeps its content. */
    if (status != NP_EXIT_OK && stats.collected == 0) {
        np_pipeline_results_free(&kept);
        session_close(&s);
        return status;
    }
    int run_complete = status == NP_EXIT_OK; /* the input did not break off */
    /* Signals that come from now on do not change the document: it is complete. */
    np_cancel_reason reason = np_cancel_reason_of(&s.cancel);
    /* The status so far may be 1 or 2 because the input broke off: what was read is still
     * written. Only a failed output stops the others from being written (1: it failed; 2: the
     * run was cancelled while nobody read the results). */
    int output_failed = 0;
    if (ndjson_out && stats.output_errno == ECANCELED) {
        /* Cancelled while its reader had stopped reading (np/fd_write.h): end, do not hang. */
        report_error("the run was cancelled while the results were not being read: the rest of "
                     "them is not written");
        status = cancel_outcomes[reason].status;
        output_failed = 2; /* not a failure of ours: the status stays the cancellation's */
    } else if (ndjson_out && stats.output_errno && !results_file) {
        status = stdout_failure(stats.output_errno);
        output_failed = 1;
    } else if (ndjson_out && stats.output_errno) {
        report_error("cannot write the results to %s: %s", opts->output_path,
                     strerror(stats.output_errno));
        status = NP_EXIT_FAILURE;
        output_failed = 1;
    }
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
    long long output_ns = -1; /* unknown when the document goes to stdout, after the report */
    if (!ndjson_out && results_file) {
        long long output_start = np_clock_now_ns();
        if (np_output_write_json(results_file, kept.articles, kept.results, kept.count, &info) !=
            0) {
            report_error("cannot write the results to %s: %s", opts->output_path, strerror(errno));
            status = NP_EXIT_FAILURE;
            output_failed = 1;
        }
        output_ns = np_clock_now_ns() - output_start;
    }
    np_run_options options = run_options(opts, s.mode, s.workers, s.queue_capacity);
    options.workers = s.mode == NP_MODE_POOL ? stats.threads_started : 0;
    np_article_list view;
    np_run_record record = run_record(&stats, &kept, &view, s.queue_capacity, s.load_ns, output_ns);
    record.limits = session_limits_record(&s);
    int written = !output_failed && write_extras(&s, &options, &record, 1, 1) == 0 &&
                  finish_outputs(&s, 0) == 0;
    long long output_start = np_clock_now_ns();
    if (written && !ndjson_out && !results_file)
        np_outputs_guard_stdout(s.outputs, STDOUT_FILENO);
    if (written && !results_file &&
        ((!ndjson_out &&
          np_output_write_json(stdout, kept.articles, kept.results, kept.count, &info) != 0) ||
         fflush(stdout) != 0)) {
        status = stdout_failure(errno);
        written = 0;
        np_outputs_abort(s.outputs);
    }
    if (!ndjson_out && !results_file)
        record.output_ns = np_clock_now_ns() - output_start; /* known now: for a bench child */
    if (written && finish_outputs(&s, 1) != 0)
        written = 0;
    if (!written && status != NP_EXIT_SIGPIPE && output_failed != 2)
        status = NP_EXIT_FAILURE;

    if (status != NP_EXIT_SIGPIPE)
        np_log_line(&s.log, NP_LOG_NORMAL,
                    "Processed %zu article%s in %.3f s (critical path %.3f s)%s%s", stats.collected,
                    stats.collected == 1 ? "" : "s", (double)stats.wall_ns / 1e9,
                    (double)stats.critical_path_ms / 1e3, reason ? ", cancelled by " : "",
                    reason ? cancel_outcomes[reason].name : "");
    if (status != NP_EXIT_SIGPIPE &&
        (stats.status_count[NP_STATUS_FAILED] || stats.status_count[NP_STATUS_CANCELLED]))
        np_log_line(&s.log, NP_LOG_NORMAL, "%zu ok, %zu failed, %zu cancelled",
                    stats.status_count[NP_STATUS_OK], stats.status_count[NP_STATUS_FAILED],
                    stats.status_count[NP_STATUS_CANCELLED]);
    /* A signal during the output let the complete output finish; it still decides the status. */
    np_cancel_reason late = np_cancel_reason_of(&s.cancel);
    if (status == NP_EXIT_OK && late != NP_CANCEL_NONE)
        status = cancel_outcomes[late].status;
    if (status == NP_EXIT_OK && stats.status_count[NP_STATUS_FAILED])
        status = NP_EXIT_FAILURE;
    if (child && run_complete && written) {
        int sent = bench_child_send(child, &options, &record);
        if (sent != NP_EXIT_OK)
            status = sent;
    }
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

/* The figures the summary gives, one series of values per measured run. */
enum bench_series {
    SERIES_PROCESS_WALL, /* the whole process, fork to exit */
    SERIES_USER,
    SERIES_SYS,
    SERIES_MAX_RSS,
    SERIES_LOAD,
    SERIES_WALL, /* the pipeline's process phase */
    SERIES_OUTPUT,
    SERIES_GAP, /* start-up + exit: the whole process less the three phases */
    SERIES_OVERHEAD,
    SERIES_COUNT
};

/* The runs of a bench, and what the summary needs of them. */
typedef struct bench_runs {
    np_run_record *records;
    double *series[SERIES_COUNT];
    double *scratch;
    size_t done, measured, with_overhead;
} bench_runs;

/* The pipeline's phases add up to less than the process: the rest is start-up and exit. */
static double startup_exit_ms(const np_run_record *r)
{
    long long phases = r->load_ns + r->process_ns + (r->output_ns > 0 ? r->output_ns : 0);
    return r->process_wall_ns > phases ? (double)(r->process_wall_ns - phases) / 1e6 : 0.0;
}

static void bench_add_measured(bench_runs *b, const np_run_record *r)
{
    size_t k = b->measured++;
    b->series[SERIES_PROCESS_WALL][k] = (double)r->process_wall_ns / 1e6;
    b->series[SERIES_USER][k] = (double)r->user_ns / 1e6;
    b->series[SERIES_SYS][k] = (double)r->sys_ns / 1e6;
    b->series[SERIES_MAX_RSS][k] = (double)r->max_rss_kb;
    b->series[SERIES_LOAD][k] = (double)r->load_ns / 1e6;
    b->series[SERIES_WALL][k] = (double)r->process_ns / 1e6;
    b->series[SERIES_OUTPUT][k] = r->output_ns > 0 ? (double)r->output_ns / 1e6 : 0.0;
    b->series[SERIES_GAP][k] = startup_exit_ms(r);
    if (r->critical_path_ms > 0)
        b->series[SERIES_OVERHEAD][b->with_overhead++] =
            (double)r->process_ns / 1e6 / (double)r->critical_path_ms;
}

static np_stats_summary bench_summary(const bench_runs *b, enum bench_series series)
{
    size_t n = series == SERIES_OVERHEAD ? b->with_overhead : b->measured;
    return np_stats_summarize(b->series[series], n, b->scratch);
}

/* "mean ± σ" and "min … median … max" lines of one duration series, as hyperfine prints them;
 * label is padded to the width of the range's label. */
static void print_duration_lines(const char *label, np_stats_summary w, const char *mean_note,
                                 const char *range_note)
{
    char mean[32], sd[32], lo[32], mid[32], hi[32];
    format_duration(mean, sizeof(mean), w.mean);
    format_duration(sd, sizeof(sd), w.stddev);
    format_duration(lo, sizeof(lo), w.min);
    format_duration(mid, sizeof(mid), w.median);
    format_duration(hi, sizeof(hi), w.max);
    printf("  %s%s ± %s    %s\n", label, mean, sd, mean_note);
    printf("  Range (min … median … max): %s … %s … %s%s%s\n", lo, mid, hi,
           *range_note ? "    " : "", range_note);
}

static void bench_print_summary(const np_cli_options *opts, const session *s, const bench_runs *b,
                                unsigned warmup, np_cancel_reason reason)
{
    const np_run_record *last = b->done ? &b->records[b->done - 1] : NULL;
    if (b->measured > 0) {
        printf("Benchmark: %s (%zu articles, mode %s, latency %u:%u ms, seed %llu; each run a "
               "fresh process)\n",
               opts->input_path, last->articles, np_mode_name(s->mode),
               (unsigned)opts->latency_min_ms, (unsigned)opts->latency_max_ms,
               (unsigned long long)opts->seed);
        np_stats_summary p = bench_summary(b, SERIES_PROCESS_WALL);
        char user[32], sys[32], runs_note[64];
        format_duration(user, sizeof(user), bench_summary(b, SERIES_USER).mean);
        format_duration(sys, sizeof(sys), bench_summary(b, SERIES_SYS).mean);
        char cpu_note[96];
        snprintf(cpu_note, sizeof(cpu_note), "[User: %s, System: %s]", user, sys);
        snprintf(runs_note, sizeof(runs_note), "[%zu runs, %u warm-up]", b->measured, warmup);
        print_duration_lines("Time (mean ± σ):            ", p, cpu_note, runs_note);
        printf("  Peak RSS (median):          %.0f KiB\n", bench_summary(b, SERIES_MAX_RSS).median);
        char load[32], output[32], gap[32];
        format_duration(load, sizeof(load), bench_summary(b, SERIES_LOAD).mean);
        format_duration(output, sizeof(output), bench_summary(b, SERIES_OUTPUT).mean);
        format_duration(gap, sizeof(gap), bench_summary(b, SERIES_GAP).mean);
        printf("  Phases (mean):              load %s, output %s, start-up + exit %s\n", load,
               output, gap);
        np_stats_summary w = bench_summary(b, SERIES_WALL);
        print_duration_lines("Wall time (mean ± σ):       ", w, "(the pipeline's process phase)",
                             "");
        if (b->with_overhead > 0) {
            np_stats_summary o = bench_summary(b, SERIES_OVERHEAD);
            printf("  Overhead (mean ± σ):        %.4f ± %.4f    (wall / critical path %.3f s)\n",
                   o.mean, o.stddev, (double)last->critical_path_ms / 1e3);
            printf("  Overhead range:             %.4f … %.4f … %.4f\n", o.min, o.median, o.max);
        } else {
            printf("  Overhead:                   n/a (critical path is 0)\n");
        }
        printf("  Throughput (median run):    %.1f articles/s (process phase)\n",
               w.median > 0 ? (double)last->articles / (w.median / 1e3) : 0.0);
        if (b->measured > 1 && p.mean > 0 && p.stddev / p.mean > 0.05)
            printf("  Warning: wide spread (σ is %.1f%% of the mean); other work on the machine "
                   "may be interfering. Use more --runs or a quieter machine.\n",
                   100 * p.stddev / p.mean);
    }
    if (reason != NP_CANCEL_NONE)
        printf("Interrupted by %s after %zu of %u measured runs; the interrupted run is not "
               "counted.\n",
               cancel_outcomes[reason].name, b->measured, opts->bench_runs);
}

static void bench_runs_free(bench_runs *b)
{
    free(b->records);
    for (int i = 0; i < SERIES_COUNT; i++)
        free(b->series[i]);
    free(b->scratch);
}

static int bench_runs_alloc(bench_runs *b, size_t total)
{
    *b = (bench_runs){.records = calloc(total, sizeof(*b->records)),
                      .scratch = calloc(total, sizeof(*b->scratch))};
    int ok = b->records && b->scratch;
    for (int i = 0; i < SERIES_COUNT; i++) {
        b->series[i] = calloc(total, sizeof(*b->series[i]));
        ok = ok && b->series[i];
    }
    return ok ? 0 : -1;
}

/*
 * One run of a bench as a fresh process. Returns 0 with the run in b (interrupted when the bench
 * was cancelled meanwhile), or an exit status: the run failed (the child said why).
 */
static int bench_one(session *s, char **argv, bench_runs *b, np_bench_child *child)
{
    np_bench_process p;
    int e = np_bench_spawn(argv, child, &s->cancel, &s->child_pid, &p);
    if (e) {
        report_error("bench: cannot run run %u as a process: %s", child->run, strerror(e));
        return NP_EXIT_FAILURE;
    }
    int cancelled = np_cancel_reason_of(&s->cancel) != NP_CANCEL_NONE;
    if (!p.have_record && !cancelled) {
        if (p.signalled || p.exit_status == 127 || p.exit_status == 0)
            report_error("bench: run %u ended without a result (exit status %d)", child->run,
                         p.exit_status);
        return p.exit_status > 0 && p.exit_status < 126 ? p.exit_status : NP_EXIT_FAILURE;
    }
    np_run_record *record = &b->records[b->done++];
    *record = p.run;
    record->warmup = child->run <= child->warmup;
    record->interrupted = cancelled;
    return NP_EXIT_OK;
}

/* `bench`: W warm-up runs and N measured runs, each a fresh process of this program with the same
 * arguments (np/bench.h), hyperfine-style figures. A run the bench is cancelled in is kept in the
 * report, marked interrupted, and counted nowhere. A trace or timeline draws the first run. */
static int run_bench(char **argv, const np_cli_options *opts, const process_start *start)
{
    session s;
    int status = session_open(&s, opts, start, 0);
    if (status != NP_EXIT_OK) {
        session_close(&s);
        return status;
    }
    opts = s.opts; /* with --latency-from, its range stands for --latency */
    FILE *trace = s.file[FILE_TRACE], *timeline = s.file[FILE_TIMELINE];
    unsigned warmup = opts->bench_warmup;
    if ((trace || timeline) && warmup == 0)
        warmup = 1; /* drawing a run slows it: the drawn run is never a measured one */
    unsigned total = warmup + opts->bench_runs;
    if (trace || timeline) {
        char drawn[96];
        describe_bench_run(drawn, sizeof(drawn), 1, total, warmup);
        np_log_line(&s.log, NP_LOG_NORMAL, "%s: bench: %s%s%s draw%s %s%s", NP_PROGRAM_NAME,
                    trace ? "--trace" : "", trace && timeline ? " and " : "",
                    timeline ? "--timeline" : "", trace && timeline ? "" : "s", drawn,
                    opts->bench_warmup == 0 ? ", added because --warmup is 0" : "");
    }
    bench_runs b;
    if (bench_runs_alloc(&b, total) != 0) {
        report_error("out of memory");
        bench_runs_free(&b);
        session_close(&s);
        return NP_EXIT_FAILURE;
    }
    while (b.done < total) {
        np_bench_child child = {
            .trace_fd = b.done == 0 && trace ? fileno(trace) : -1,
            .timeline_fd = b.done == 0 && timeline ? fileno(timeline) : -1,
            .run = (unsigned)b.done + 1,
            .runs = total,
            .warmup = warmup,
        };
        int rc = bench_one(&s, argv, &b, &child);
        if (rc != NP_EXIT_OK) {
            status = rc;
            break;
        }
        const np_run_record *record = &b.records[b.done - 1];
        if (record->interrupted)
            break;
        if (record->warmup)
            continue;
        bench_add_measured(&b, record);
        np_log_line(&s.log, NP_LOG_NORMAL, "run %zu/%u: %.1f ms (process phase %.3f ms)",
                    b.measured, opts->bench_runs, (double)record->process_wall_ns / 1e6,
                    (double)record->process_ns / 1e6);
    }
    np_cancel_reason reason = np_cancel_reason_of(&s.cancel);
    np_run_options options = run_options(opts, s.mode, s.workers, s.queue_capacity);
    /* Files first (written and synced), then the summary, then the files into place. The
     * drawings were written by the first run's process. */
    int written = status == NP_EXIT_OK && b.done > 0 &&
                  write_extras(&s, &options, b.records, b.done, 0) == 0 &&
                  finish_outputs(&s, 0) == 0;
    if (written) {
        np_outputs_guard_stdout(s.outputs, STDOUT_FILENO);
        bench_print_summary(opts, &s, &b, warmup, reason);
        if (fflush(stdout) != 0) {
            int e = errno;
            np_outputs_abort(s.outputs);
            status = stdout_failure(e);
            written = 0;
        }
    }
    if (written && finish_outputs(&s, 1) != 0)
        written = 0;
    if (!written && status == NP_EXIT_OK)
        status = NP_EXIT_FAILURE;
    np_cancel_reason late = np_cancel_reason_of(&s.cancel);
    if (status == NP_EXIT_OK && late != NP_CANCEL_NONE)
        status = cancel_outcomes[late].status;
    bench_runs_free(&b);
    session_close(&s);
    return status;
}

/* A bench child (np/bench.h): one ordinary run, quiet, with no files of its own and no deadline
 * (the parent keeps both), then its record to the parent. */
static int run_bench_child(const np_cli_options *opts, const process_start *start,
                           const np_bench_child *child)
{
    np_cli_options one = *opts;
    one.bench = 0;
    one.report_path = one.trace_path = one.timeline_path = NULL;
    one.deadline_ms = 0;
    one.log_level = NP_LOG_QUIET;
    one.no_progress = 1;
    return run_once(&one, start, child);
}

int main(int argc, char **argv)
{
    int closed = sanitize_standard_descriptors();
    if (closed < 0)
        return NP_EXIT_FAILURE; /* not even /dev/null: nowhere to say so */
    /* umask can only be read by setting it: once, here, before any thread exists. */
    process_start start = {.umask_value = umask(0), .stdout_was_closed = (closed >> 1) & 1};
    umask(start.umask_value);
    int compare = argc > 1 && strcmp(argv[1], "compare") == 0;
    if (compare || (argc > 1 && strcmp(argv[1], "merge") == 0)) {
        int status = compare ? np_compare_main(argc - 1, argv + 1, stdout, stderr)
                             : np_merge_main(argc - 1, argv + 1, stdout, stderr, start.umask_value);
        if (fclose(stdout) != 0 && status == 0)
            status = NP_EXIT_FAILURE;
        return status;
    }
    int help = argc == 2 && strcmp(argv[1], "help") == 0; /* `news-processor help`, as git has it */
    np_cli_options opts = {0};
    char err[1024];
    if (!help && np_cli_parse(argc, argv, &opts, err, sizeof(err)) != 0) {
        report_error("%s", err);
        fprintf(stderr, "Try '%s --help' for more information.\n", NP_PROGRAM_NAME);
        return NP_EXIT_USAGE;
    }
    if (help || opts.show_help || opts.show_version) {
        if (opts.show_version)
            printf("%s %s\n", NP_PROGRAM_NAME, NP_VERSION);
        else
            np_cli_print_help(stdout);
        return fclose(stdout) == 0 ? NP_EXIT_OK : NP_EXIT_FAILURE;
    }
    if (np_backend_check(&opts, err, sizeof(err)) != 0) {
        report_error("%s", err);
        return NP_EXIT_USAGE;
    }
    int status;
    np_bench_child child;
    int is_child = opts.bench ? np_bench_child_from_env(&child) : 0;
    if (is_child < 0) {
        report_error("%s is set but malformed: it is for bench's own runs", NP_BENCH_CHILD_ENV);
        return NP_EXIT_USAGE;
    }
    if (!opts.bench)
        status = run_once(&opts, &start, NULL);
    else
        status = is_child ? run_bench_child(&opts, &start, &child) : run_bench(argv, &opts, &start);
    /* Everything is written or removed: a signal that came after the watcher stopped ends the
     * process now, by its default action, rather than being lost. */
    np_signals_unblock();
    return status;
}

/*
 * What one run of the pipeline measured: the input to the timing report, the trace, the timeline
 * picture and `bench`. Filled by main and the pipeline after the run; read-only afterwards.
 */
#ifndef NP_RUN_H
#define NP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "np/article.h"
#include "np/breaker.h"
#include "np/result.h"

/* The options a run was made with, as the report lists them. */
typedef struct np_run_options {
    const char *input; /* the input path as given ("-" for stdin) */
    const char *mode;  /* "thread", "pool" or "sequential" */
    size_t workers;    /* pool mode: worker threads; 0 otherwise */
    uint64_t seed;
    uint32_t latency_min_ms;
    uint32_t latency_max_ms;
    size_t queue_capacity;
    double fail_rate; /* 0 when faults are off */
    unsigned retries;
    uint32_t timeout_ms;        /* 0 = no timeout */
    double rate;                /* stage calls per second; 0 = unlimited */
    unsigned max_inflight;      /* 0 = unlimited */
    uint64_t tpm;               /* tokens per minute; 0 = unlimited */
    unsigned breaker_threshold; /* 0 = no breaker */
    unsigned breaker_cooldown_ms;
    const char *latency_from; /* --latency-from REPORT.json; NULL = none */
    const char *drawn;   /* bench: which run a trace or timeline draws (NULL for a single run) */
    const char *backend; /* "sim" or "openai"; NULL is written as "sim" */
    const char *model;   /* openai: the model and base URL asked; NULL otherwise */
    const char *base_url;
    int stream; /* openai: replies streamed */
} np_run_options;

/* What the limits shared by all calls did in a run; all 0 for a limit that was not set. */
typedef struct np_limits_record {
    unsigned max_inflight;           /* --max-inflight */
    unsigned inflight_peak;          /* most calls in flight at once (with --max-inflight) */
    uint64_t tpm;                    /* --tpm */
    uint64_t tpm_reserved;           /* tokens reserved by estimate */
    int64_t tpm_corrected;           /* actual - estimated, summed over the calls */
    double rate;                     /* --rate; 0 = no limit */
    unsigned long long rate_granted; /* --rate tokens handed out: one per call that went ahead */
    unsigned breaker_threshold;      /* --breaker N; 0 = no breaker */
    unsigned breaker_cooldown_ms;
    size_t breaker_opens, breaker_half_opens, breaker_closes, breaker_rejected;
    /* The breaker's state changes in time order (the first NP_BREAKER_EVENTS_MAX); NULL in a
     * record that crossed a process boundary (bench). */
    const np_breaker_event *breaker_events;
    size_t breaker_event_count;
} np_limits_record;

typedef struct np_run_record {
    int warmup;      /* bench: a warm-up run, not counted in the statistics */
    int interrupted; /* bench: the run was cancelled part-way, not counted in the statistics */
    size_t articles;
    long long load_ns;    /* reading and parsing the input */
    long long process_ns; /* the pipeline: the run's wall time */
    long long output_ns;  /* writing the results; < 0: not measured (written after the report) */
    long long start_ns;   /* monotonic time the process phase began: origin of per-article times */
    uint64_t critical_path_ms; /* the ideal process time for this schedule */
    size_t queue_capacity;
    size_t queue_max_depth;
    long long producer_wait_ns;  /* total time producers were blocked on a full queue */
    long long collector_wait_ns; /* total time the collector was blocked on an empty queue */
    long peak_rss_kb;            /* getrusage ru_maxrss after the run */
    /* bench, where each run is a fresh process: the whole process from fork to exit (wait4's
     * rusage). has_process is 0 for a run made in this process: the fields are then unknown. */
    int has_process;
    long long process_wall_ns;
    long long user_ns;
    long long sys_ns;
    long max_rss_kb;
    size_t peak_threads; /* most article/worker threads alive at once */
    np_limits_record limits;
    /* Per-article rows (may be NULL with articles_detail == 0, e.g. for bench runs). */
    const np_article_list *list;
    const np_result *results;
    size_t articles_detail; /* how many rows list/results hold */
} np_run_record;

/* A moment in a run attached to an article's row, for putting rows in time order. */
typedef struct np_time_key {
    long long ns; /* monotonic time; 0 means "did not happen" and sorts last */
    size_t index; /* the row */
} np_time_key;

/* Sorts keys by time, ties by row, rows whose moment did not happen last. */
void np_time_keys_sort(np_time_key *keys, size_t n);

#endif

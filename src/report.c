/*
 * The timing report writer (schema "news-processor-report", version 1; docs/report.md).
 *
 * Design: a straight walk over the run records, streaming JSON to the FILE with fprintf and the
 * shared np/json_write.h primitives; no document is built in memory. Per-stage statistics sort a
 * per-run scratch array of doubles (the only allocation). Every number goes through a writer that
 * turns NaN and infinities into null, so the output is valid JSON whatever the inputs. Stream
 * errors are checked once, at the end (ferror after fflush), as stdio allows.
 * Reads only what it is given; no global state.
 */
#include "np/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "np/json_write.h"
#include "np/latency_dist.h"
#include "np/llm.h"
#include "np/result.h"
#include "np/stats.h"
#include "np/token_gaps.h"

#ifndef NP_VERSION
#define NP_VERSION "0.0.0-dev"
#endif

/* A number with a fixed number of decimals, or null when it is not finite. */
static void write_fixed(FILE *out, double value, int decimals)
{
    if (!isfinite(value))
        fputs("null", out);
    else
        fprintf(out, "%.*f", decimals, value == 0 ? 0.0 : value);
}

/* key (the text before the value: a comma, the member's name), then a C string as a JSON string,
 * or null. */
static void write_text(FILE *out, const char *key, const char *s)
{
    fputs(key, out);
    if (s)
        np_json_write_string(out, s, strlen(s));
    else
        fputs("null", out);
}

/* key, then v, or null when v is 0 (not set, or nothing counted). */
static void write_count(FILE *out, const char *key, uint64_t v)
{
    fputs(key, out);
    if (v)
        fprintf(out, "%" PRIu64, v);
    else
        fputs("null", out);
}

/* key, then a duration in ns as ms (np_json_write_ms). */
static void write_ms(FILE *out, const char *key, long long ns)
{
    fputs(key, out);
    np_json_write_ms(out, ns);
}

/* key, then a monotonic timestamp as ms since origin_ns, or null when it is 0 (did not happen). */
static void write_timestamp(FILE *out, const char *key, long long ns, long long origin_ns)
{
    fputs(key, out);
    if (ns == 0)
        fputs("null", out);
    else
        np_json_write_ms(out, ns - origin_ns);
}

static void write_header(FILE *out)
{
    fprintf(out,
            "{\"schema\": \"%s\", \"schema_version\": %d,\n"
            " \"tool\": {\"name\": \"news-processor\", \"version\": ",
            NP_REPORT_SCHEMA, NP_REPORT_SCHEMA_VERSION);
    write_text(out, "", NP_VERSION);
    char created[32];
    struct tm utc;
    time_t now = time(NULL);
    int dated = now != (time_t)-1 && gmtime_r(&now, &utc) &&
                strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &utc) > 0;
    write_text(out, "},\n \"created\": ", dated ? created : NULL);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    write_count(out, ",\n \"host\": {\"cores\": ", cores > 0 ? (uint64_t)cores : 0);
    struct utsname host;
    char kernel[3 * sizeof(host.release) + 3];
    int named = uname(&host) == 0;
    if (named)
        snprintf(kernel, sizeof(kernel), "%s %s %s", host.sysname, host.release, host.machine);
    write_text(out, ", \"kernel\": ", named ? kernel : NULL);
    fputs("},\n", out);
}

static void write_options(FILE *out, const np_run_options *o)
{
    fputs(" \"options\": ", out);
    if (!o) {
        fputs("null,\n", out);
        return;
    }
    write_text(out, "{\"input\": ", o->input);
    write_text(out, ", \"mode\": ", o->mode);
    fprintf(out,
            ", \"workers\": %zu, \"seed\": %" PRIu64 ", \"latency_ms\": [%" PRIu32 ", %" PRIu32
            "], \"queue_capacity\": %zu,\n             \"fail_rate\": ",
            o->workers, o->seed, o->latency_min_ms, o->latency_max_ms, o->queue_capacity);
    np_json_write_double(out, o->fail_rate);
    fprintf(out, ", \"retries\": %u, \"timeout_ms\": %" PRIu32 ", \"rate\": ", o->retries,
            o->timeout_ms);
    np_json_write_double(out, o->rate);
    write_text(out, ",\n             \"backend\": ", o->backend ? o->backend : "sim");
    write_text(out, ", \"model\": ", o->model);
    write_text(out, ", \"base_url\": ", o->base_url);
    fprintf(out, ", \"stream\": %s", o->stream ? "true" : "false");
    write_count(out, ",\n             \"max_inflight\": ", o->max_inflight);
    write_count(out, ", \"tpm\": ", o->tpm);
    fputs(", \"breaker\": ", out);
    if (o->breaker_threshold)
        fprintf(out, "{\"failures\": %u, \"cooldown_ms\": %u}", o->breaker_threshold,
                o->breaker_cooldown_ms);
    else
        fputs("null", out);
    write_text(out, ", \"latency_from\": ", o->latency_from);
    fputs("},\n", out);
}

/* The points of every percentile object of the report: min, p50, p90, p99, max. */
static const double percentile_points[] = {0, 50, 90, 99, 100};
enum { PERCENTILE_POINTS = sizeof(percentile_points) / sizeof(percentile_points[0]) };

/* {"min", "p50", "p90", "p99", "max"} from percentile_points' values. */
static void write_percentile_values(FILE *out, const double values[PERCENTILE_POINTS])
{
    static const char *const names[PERCENTILE_POINTS] = {"min", "p50", "p90", "p99", "max"};
    fputc('{', out);
    for (size_t i = 0; i < PERCENTILE_POINTS; i++) {
        fprintf(out, "%s\"%s\": ", i ? ", " : "", names[i]);
        write_fixed(out, values[i], 3);
    }
    fputc('}', out);
}

/* key, then {"min", "p50", "p90", "p99", "max"} of sorted[0..n) in ms, or null when n is 0. */
static void write_percentiles(FILE *out, const char *key, const double *sorted, size_t n)
{
    fputs(key, out);
    if (n == 0) {
        fputs("null", out);
        return;
    }
    double values[PERCENTILE_POINTS];
    for (size_t i = 0; i < PERCENTILE_POINTS; i++)
        values[i] = np_stats_percentile(sorted, n, percentile_points[i]);
    write_percentile_values(out, values);
}

/* The time to the first token of a stage's last attempt, in ms; < 0 when it had none. Counted
 * from that attempt's own start, so retries and backoffs before it are not in it. */
static double ttft_ms(const np_result *r, int stage)
{
    long long first = r->first_token_ns[stage], start = r->attempt_start_ns[stage];
    if (r->attempts[stage] == 0 || first == 0 || start == 0 || first < start)
        return -1;
    return (double)(first - start) / 1e6;
}

/* A stage's inter-token gaps, pooled over its calls (np/token_gaps.h). */
typedef struct gap_figures {
    size_t points; /* 0: no call had a gap */
    double percentiles[PERCENTILE_POINTS];
    double quantiles[NP_LATENCY_QUANTILES];
} gap_figures;

/* Pools each stage's gap summaries into figures; pool has room for run->articles_detail *
 * NP_GAP_POINTS points. */
static void pool_gaps(const np_run_record *run, np_gap_point *pool,
                      gap_figures figures[NP_STAGE_COUNT])
{
    double q[NP_LATENCY_QUANTILES];
    for (size_t i = 0; i < NP_LATENCY_QUANTILES; i++)
        q[i] = 100.0 * (double)i / (NP_LATENCY_QUANTILES - 1);
    for (int stage = 0; stage < NP_STAGE_COUNT; stage++) {
        size_t n = 0;
        for (size_t i = 0; i < run->articles_detail; i++)
            if (run->results[i].attempts[stage] > 0)
                n = np_gap_pool_add(pool, n, &run->results[i].token_gaps[stage]);
        figures[stage].points = n;
        if (n == 0)
            continue;
        np_gap_pool_sort(pool, n);
        np_gap_pool_percentiles(pool, n, percentile_points, PERCENTILE_POINTS,
                                figures[stage].percentiles);
        np_gap_pool_percentiles(pool, n, q, NP_LATENCY_QUANTILES, figures[stage].quantiles);
    }
}

/*
 * A stage's token figures: the tokens in and out summed over its last attempts, and percentiles
 * of the time to the first token (streamed calls), of the gaps between tokens (pooled: every gap
 * of every call), of each call's time per output token after the first (its mean gap), and of
 * output tokens per second of each call. a and b are scratch arrays of run->articles_detail
 * doubles.
 */
static void write_token_stats(FILE *out, const np_run_record *run, np_stage stage,
                              const gap_figures *gaps, double *a, double *b)
{
    uint64_t in = 0, tokens_out = 0;
    size_t ttft = 0, rates = 0;
    for (size_t i = 0; i < run->articles_detail; i++) {
        const np_result *r = &run->results[i];
        if (r->attempts[stage] == 0)
            continue;
        in += r->tokens_in[stage];
        tokens_out += r->tokens_out[stage];
        double first = ttft_ms(r, stage);
        if (first >= 0)
            a[ttft++] = first;
        if (r->tokens_out[stage] > 0 && r->latency_ms[stage] > 0 && r->http_status[stage] == 200)
            b[rates++] = r->tokens_out[stage] * 1000.0 / r->latency_ms[stage];
    }
    np_stats_sort(a, ttft);
    np_stats_sort(b, rates);
    fprintf(out, ",\n      \"tokens_in\": %" PRIu64 ", \"tokens_out\": %" PRIu64, in, tokens_out);
    write_percentiles(out, ",\n      \"ttft_ms\": ", a, ttft);
    fputs(",\n      \"token_gap_ms\": ", out);
    if (gaps->points)
        write_percentile_values(out, gaps->percentiles);
    else
        fputs("null", out);
    write_percentiles(out, ",\n      \"tokens_per_s\": ", b, rates);
    size_t tpot = 0;
    for (size_t i = 0; i < run->articles_detail; i++) {
        const np_result *r = &run->results[i];
        if (r->attempts[stage] > 0 && r->first_token_ns[stage] != 0 && r->tokens_out[stage] > 1 &&
            r->stage_end_ns[stage] > r->first_token_ns[stage])
            a[tpot++] = (double)(r->stage_end_ns[stage] - r->first_token_ns[stage]) / 1e6 /
                        (r->tokens_out[stage] - 1);
    }
    np_stats_sort(a, tpot);
    write_percentiles(out, ",\n      \"tpot_ms\": ", a, tpot);
}

/* Run-wide: tokens in and out (and out per second of wall time), the HTTP status and version of
 * each stage's last attempt, and retries by why the call failed. */
static void write_call_totals(FILE *out, const np_run_record *run)
{
    uint64_t in = 0, tokens_out = 0;
    uint64_t retries[NP_CAUSE_COUNT] = {0};
    enum { STATUS_SLOTS = 600 };
    uint32_t status_count[STATUS_SLOTS] = {0};
    uint32_t version_count[NP_HTTP_VERSION_COUNT] = {0};
    for (size_t i = 0; i < run->articles_detail; i++) {
        const np_result *r = &run->results[i];
        for (int stage = 0; stage < NP_STAGE_COUNT; stage++) {
            in += r->tokens_in[stage];
            tokens_out += r->tokens_out[stage];
            if (r->http_status[stage] > 0 && r->http_status[stage] < STATUS_SLOTS)
                status_count[r->http_status[stage]]++;
            if (r->http_version[stage] > NP_HTTP_NONE &&
                r->http_version[stage] < NP_HTTP_VERSION_COUNT)
                version_count[r->http_version[stage]]++;
        }
        for (int c = 0; c < NP_CAUSE_COUNT; c++)
            retries[c] += r->retries[c];
    }
    fprintf(out, "   \"tokens\": {\"in\": %" PRIu64 ", \"out\": %" PRIu64 ", \"out_per_s\": ", in,
            tokens_out);
    /* null without tokens (a bench run keeps no rows), so compare shows no row of zeros */
    write_fixed(out,
                run->process_ns > 0 && tokens_out > 0
                    ? (double)tokens_out / ((double)run->process_ns / 1e9)
                    : NAN,
                3);
    fputs("},\n   \"http_status\": {", out);
    int first = 1;
    for (int code = 0; code < STATUS_SLOTS; code++) {
        if (!status_count[code])
            continue;
        fprintf(out, "%s\"%d\": %" PRIu32, first ? "" : ", ", code, status_count[code]);
        first = 0;
    }
    fputs("}, \"http_version\": {", out);
    first = 1;
    for (int v = NP_HTTP_NONE + 1; v < NP_HTTP_VERSION_COUNT; v++) {
        if (!version_count[v])
            continue;
        fprintf(out, "%s\"%s\": %" PRIu32, first ? "" : ", ",
                np_http_version_name((np_http_version)v), version_count[v]);
        first = 0;
    }
    fputs("},\n   \"retries\": {", out);
    for (int c = 0; c < NP_CAUSE_COUNT; c++)
        fprintf(out, "%s\"%s\": %" PRIu64, c ? ", " : "", np_retry_cause_name((np_retry_cause)c),
                retries[c]);
    fputs("},\n", out);
}

/*
 * "stages": per stage, how many articles started it, and the percentiles of the simulated
 * latencies and of the observed durations (end - start, only where both were stamped).
 * simulated and observed are scratch arrays of run->articles_detail doubles.
 */
static void write_stage_stats(FILE *out, const np_run_record *run, const gap_figures *gaps,
                              double *simulated, double *observed)
{
    fputs("   \"stages\": {", out);
    for (int stage = 0; stage < NP_STAGE_COUNT; stage++) {
        size_t count = 0, timed = 0;
        for (size_t i = 0; i < run->articles_detail; i++) {
            const np_result *r = &run->results[i];
            if (r->attempts[stage] == 0)
                continue;
            simulated[count++] = r->latency_ms[stage];
            long long start = r->stage_start_ns[stage], end = r->stage_end_ns[stage];
            if (start != 0 && end != 0 && end >= start)
                observed[timed++] = (double)(end - start) / 1e6;
        }
        np_stats_sort(simulated, count);
        np_stats_sort(observed, timed);
        fprintf(out, "%s\"%s\": {\"count\": %zu,\n      \"simulated_ms\": ",
                stage ? ",\n    " : "\n    ", np_stage_name((np_stage)stage), count);
        write_percentiles(out, "", simulated, count);
        write_percentiles(out, ",\n      \"observed_ms\": ", observed, timed);
        write_token_stats(out, run, (np_stage)stage, &gaps[stage], simulated, observed);
        fputc('}', out);
    }
    fputs("},\n", out);
}

static void write_article_row(FILE *out, const np_run_record *run, const np_result *r)
{
    long long origin = run->start_ns;
    fputs("     {\"id\": ", out);
    if (run->list && r->index < run->list->count)
        np_json_write_id(out, &run->list->items[r->index].id);
    else
        fputs("null", out);
    write_text(out, ", \"status\": ", np_status_name(r->status));
    write_timestamp(out, ", \"start_ms\": ", r->started_ns, origin);
    write_timestamp(out, ", \"end_ms\": ", r->finished_ns, origin);
    fputs(", \"stages\": {", out);
    for (int stage = 0; stage < NP_STAGE_COUNT; stage++) {
        fprintf(out, "%s\"%s\": {\"start_ms\": ", stage ? ", " : "",
                np_stage_name((np_stage)stage));
        write_timestamp(out, "", r->stage_start_ns[stage], origin);
        write_timestamp(out, ", \"end_ms\": ", r->stage_end_ns[stage], origin);
        if (r->attempts[stage] > 0)
            fprintf(out, ", \"simulated_ms\": %" PRIu32, r->latency_ms[stage]);
        else
            fputs(", \"simulated_ms\": null", out);
        fprintf(out, ", \"attempts\": %" PRIu32, r->attempts[stage]);
        if (r->http_status[stage] || r->tokens_in[stage] || r->tokens_out[stage] ||
            r->first_token_ns[stage]) {
            /* What a server said (or a streamed call): absent for the simulator's calls. */
            write_timestamp(out, ", \"first_token_ms\": ", r->first_token_ns[stage], origin);
            fprintf(out, ", \"tokens_in\": %" PRIu32 ", \"tokens_out\": %" PRIu32,
                    r->tokens_in[stage], r->tokens_out[stage]);
            write_count(out, ", \"http_status\": ", r->http_status[stage]);
            write_text(out, ", \"http_version\": ",
                       r->http_version[stage] != NP_HTTP_NONE
                           ? np_http_version_name((np_http_version)r->http_version[stage])
                           : NULL);
        }
        fputc('}', out);
    }
    write_ms(out, "}, \"queue_wait_ms\": ", r->queue_wait_ns);
    write_timestamp(out, ", \"received_ms\": ", r->received_ns, origin);
    write_count(out, ", \"completed\": ", r->completed);
    write_ms(out, ", \"failed_ms\": ", r->failed_ns);
    write_ms(out, ", \"backoff_ms\": ", r->backoff_ns);
    write_ms(out, ", \"rate_wait_ms\": ", r->rate_wait_ns);
    write_ms(out, ", \"slot_wait_ms\": ", r->slot_wait_ns);
    write_ms(out, ", \"tpm_wait_ms\": ", r->tpm_wait_ns);
    int retried = 0;
    for (int c = 0; c < NP_CAUSE_COUNT; c++)
        retried |= r->retries[c] != 0;
    if (retried) {
        fputs(", \"retries\": {", out);
        for (int c = 0; c < NP_CAUSE_COUNT; c++)
            fprintf(out, "%s\"%s\": %u", c ? ", " : "", np_retry_cause_name((np_retry_cause)c),
                    (unsigned)r->retries[c]);
        fputc('}', out);
    }
    fputc('}', out);
}

/* A quantile table (NP_LATENCY_QUANTILES values in ms). */
static void write_quantile_values(FILE *out, const double *table)
{
    fputc('[', out);
    for (size_t i = 0; i < NP_LATENCY_QUANTILES; i++) {
        fputs(i ? ", " : "", out);
        write_fixed(out, table[i], 3);
    }
    fputc(']', out);
}

/*
 * "latency_distribution": per stage, NP_LATENCY_QUANTILES quantiles of the calls' latencies (each
 * started stage's last attempt), of their first-token delays and of the gaps between their tokens
 * (pooled, as gaps holds them; null when no call streamed), for --latency-from. scratch holds
 * run->articles_detail doubles.
 */
static void write_latency_distribution(FILE *out, const np_run_record *run, const gap_figures *gaps,
                                       double *scratch)
{
    fputs("   \"latency_distribution\": {", out);
    for (int stage = 0; stage < NP_STAGE_COUNT; stage++) {
        fprintf(out, "%s\"%s\": {", stage ? ",\n    " : "\n    ", np_stage_name((np_stage)stage));
        for (int kind = 0; kind < NP_LATENCY_KIND_COUNT; kind++) {
            fprintf(out, "%s\"%s\": ", kind ? ",\n      " : "",
                    np_latency_kind_name((np_latency_kind)kind));
            if (kind == NP_LATENCY_TOKEN_GAP) {
                if (gaps[stage].points)
                    write_quantile_values(out, gaps[stage].quantiles);
                else
                    fputs("null", out);
                continue;
            }
            size_t n = 0;
            for (size_t i = 0; i < run->articles_detail; i++) {
                const np_result *r = &run->results[i]; /* a started stage's last attempt */
                double ms = r->attempts[stage] == 0   ? -1
                            : kind == NP_LATENCY_CALL ? r->latency_ms[stage]
                                                      : ttft_ms(r, stage);
                if (ms >= 0)
                    scratch[n++] = ms;
            }
            if (n == 0) {
                fputs("null", out);
                continue;
            }
            np_stats_sort(scratch, n);
            double table[NP_LATENCY_QUANTILES];
            np_latency_quantiles(scratch, n, table);
            write_quantile_values(out, table);
        }
        fputc('}', out);
    }
    fputs("},\n", out);
}

/*
 * "limits": what --rate, --max-inflight, --tpm and --breaker did: each null when not set. The
 * waits are summed over the articles with rows.
 */
static void write_limits(FILE *out, const np_run_record *run)
{
    const np_limits_record *l = &run->limits;
    long long slot_wait = 0, tpm_wait = 0, rate_wait = 0;
    for (size_t i = 0; run->results && i < run->articles_detail; i++) {
        rate_wait += run->results[i].rate_wait_ns;
        slot_wait += run->results[i].slot_wait_ns;
        tpm_wait += run->results[i].tpm_wait_ns;
    }
    fputs("   \"limits\": {\"rate\": ", out);
    if (l->rate > 0) {
        fputs("{\"per_second\": ", out);
        np_json_write_double(out, l->rate);
        fprintf(out, ", \"granted\": %llu, \"wait_ms\": ", l->rate_granted);
        np_json_write_ms(out, rate_wait);
        fputs("},\n             ", out);
    } else {
        fputs("null, ", out);
    }
    fputs("\"inflight\": ", out);
    if (l->max_inflight) {
        fprintf(out, "{\"max\": %u, \"peak\": %u, \"slot_wait_ms\": ", l->max_inflight,
                l->inflight_peak);
        np_json_write_ms(out, slot_wait);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputs(", \"tpm\": ", out);
    if (l->tpm) {
        fprintf(out,
                "{\"tokens_per_minute\": %" PRIu64 ", \"reserved\": %" PRIu64
                ", \"corrected\": %" PRId64 ", \"wait_ms\": ",
                l->tpm, l->tpm_reserved, l->tpm_corrected);
        np_json_write_ms(out, tpm_wait);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputs(",\n             \"breaker\": ", out);
    if (l->breaker_threshold)
        fprintf(out,
                "{\"failures\": %u, \"cooldown_ms\": %u, \"opens\": %zu, \"half_opens\": %zu, "
                "\"closes\": %zu, \"rejected_calls\": %zu}",
                l->breaker_threshold, l->breaker_cooldown_ms, l->breaker_opens,
                l->breaker_half_opens, l->breaker_closes, l->breaker_rejected);
    else
        fputs("null", out);
    fputs("},\n", out);
}

/* The whole process's figures (bench: each run a fresh process), or nulls for a run made inside
 * this process. startup_exit_ms: the process's wall time less the three phases. */
static void write_process(FILE *out, const np_run_record *run)
{
    fputs(",\n   \"process_wall_ms\": ", out);
    if (!run->has_process) {
        fputs("null, \"user_ms\": null, \"sys_ms\": null, \"max_rss_kb\": null, "
              "\"startup_exit_ms\": null",
              out);
        return;
    }
    np_json_write_ms(out, run->process_wall_ns);
    write_ms(out, ", \"user_ms\": ", run->user_ns);
    write_ms(out, ", \"sys_ms\": ", run->sys_ns);
    fprintf(out, ", \"max_rss_kb\": %ld, \"startup_exit_ms\": ", run->max_rss_kb);
    long long phases = run->load_ns + run->process_ns + (run->output_ns > 0 ? run->output_ns : 0);
    np_json_write_ms(out, run->process_wall_ns > phases ? run->process_wall_ns - phases : 0);
}

/* One element of "runs". Returns 0, or -1 (ENOMEM) when the scratch array cannot be had. */
static int write_run(FILE *out, const np_run_record *run)
{
    size_t rows = run->results ? run->articles_detail : 0;
    double *scratch = malloc(2 * (rows ? rows : 1) * sizeof(*scratch));
    np_gap_point *pool = malloc((rows ? rows : 1) * NP_GAP_POINTS * sizeof(*pool));
    if (!scratch || !pool) {
        free(scratch);
        free(pool);
        errno = ENOMEM;
        return -1;
    }
    double wall_ms = (double)run->process_ns / 1e6;
    fprintf(out,
            "  {\"warmup\": %s, \"interrupted\": %s, \"articles\": %zu,\n   \"phases_ms\": "
            "{\"load\": ",
            run->warmup ? "true" : "false", run->interrupted ? "true" : "false", run->articles);
    np_json_write_ms(out, run->load_ns);
    write_ms(out, ", \"process\": ", run->process_ns);
    fputs(", \"output\": ", out);
    if (run->output_ns < 0)
        fputs("null", out);
    else
        np_json_write_ms(out, run->output_ns);
    write_ms(out, "},\n   \"wall_ms\": ", run->process_ns);
    fprintf(out, ", \"critical_path_ms\": %" PRIu64 ", \"overhead\": ", run->critical_path_ms);
    write_fixed(out, run->critical_path_ms ? wall_ms / (double)run->critical_path_ms : NAN, 4);
    fputs(", \"throughput_per_s\": ", out);
    write_fixed(out, run->process_ns > 0 ? (double)run->articles / (wall_ms / 1e3) : NAN, 3);
    write_process(out, run);
    fputs(",\n", out);

    np_run_record rows_only = *run;
    rows_only.articles_detail = rows;
    gap_figures gaps[NP_STAGE_COUNT];
    pool_gaps(&rows_only, pool, gaps);
    free(pool);
    write_stage_stats(out, &rows_only, gaps, scratch, scratch + (rows ? rows : 1));
    write_latency_distribution(out, &rows_only, gaps, scratch);
    free(scratch);
    write_call_totals(out, &rows_only);
    write_limits(out, &rows_only);

    fprintf(out, "   \"queue\": {\"capacity\": %zu, \"max_depth\": %zu, \"producer_wait_ms\": ",
            run->queue_capacity, run->queue_max_depth);
    np_json_write_ms(out, run->producer_wait_ns);
    write_ms(out, ", \"collector_wait_ms\": ", run->collector_wait_ns);
    fprintf(out, "},\n   \"peak_rss_kb\": %ld, \"peak_threads\": %zu", run->peak_rss_kb,
            run->peak_threads);
    fputs(",\n   \"articles_detail\": [", out);
    for (size_t i = 0; i < rows; i++) {
        fputs(i ? ",\n" : "\n", out);
        write_article_row(out, run, &run->results[i]);
    }
    fputs(rows ? "\n   ]}" : "]}", out);
    return 0;
}

int np_report_write(FILE *out, const np_run_options *options, const np_run_record *runs,
                    size_t run_count)
{
    errno = 0; /* so that a stream error without an errno of its own becomes EIO below */
    write_header(out);
    write_options(out, options);
    fputs(" \"runs\": [", out);
    for (size_t i = 0; i < run_count; i++) {
        fputs(i ? ",\n" : "\n", out);
        if (write_run(out, &runs[i]) != 0)
            return -1;
    }
    fputs(run_count ? "\n ]}\n" : "]}\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

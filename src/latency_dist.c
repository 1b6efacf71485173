/*
 * Reading the "latency_distribution" of a report: parse with cJSON (strictly, as compare does),
 * find the first complete run, and copy each stage's quantile tables after checking them (101
 * finite, non-negative, non-decreasing numbers up to NP_LATENCY_MAX_MS). Everything is checked
 * before anything is used, so a malformed report is a clear error, never a strange draw. The file
 * is read through np/input.h, so a FIFO without a writer, or any slow file, waits cancellably.
 */
#include "np/latency_dist.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/file_text.h"
#include "np/input.h"
#include "np/log.h"
#include "np/report.h"
#include "np/stats.h"

static const char *const kind_names[NP_LATENCY_KIND_COUNT] = {
    [NP_LATENCY_CALL] = "latency_ms",
    [NP_LATENCY_FIRST_TOKEN] = "first_token_ms",
    [NP_LATENCY_TOKEN_GAP] = "token_gap_ms",
};

const char *np_latency_kind_name(np_latency_kind kind)
{
    return kind < NP_LATENCY_KIND_COUNT ? kind_names[kind] : "unknown";
}

void np_latency_quantiles(const double *sorted, size_t n, double *table)
{
    for (size_t i = 0; i < NP_LATENCY_QUANTILES; i++)
        table[i] = np_stats_percentile(sorted, n, 100.0 * (double)i / (NP_LATENCY_QUANTILES - 1));
}

/* Copies a quantile table; -1 when it is not NP_LATENCY_QUANTILES ordered ms values. */
static int read_table(const cJSON *array, double *table)
{
    if (!cJSON_IsArray(array) || cJSON_GetArraySize(array) != NP_LATENCY_QUANTILES)
        return -1;
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        if (!cJSON_IsNumber(item))
            return -1;
        double v = item->valuedouble;
        if (!isfinite(v) || v < 0 || v > NP_LATENCY_MAX_MS || (i > 0 && v < table[i - 1]))
            return -1;
        table[i++] = v;
    }
    return 0;
}

/* The first run that is neither a warm-up nor interrupted, or NULL. */
static const cJSON *first_complete_run(const cJSON *doc)
{
    const cJSON *run;
    cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(doc, "runs"))
    {
        if (cJSON_IsObject(run) && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "warmup")) &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "interrupted")))
            return run;
    }
    return NULL;
}

/* Fills dist from a parsed report; -1 with a message (after "PATH: ") in err. */
static int read_distribution(const cJSON *doc, np_latency_dist *dist, char *err, size_t err_size)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(schema) ||
        strcmp(schema->valuestring, NP_REPORT_SCHEMA) != 0)
        return np_error_message(err, err_size, -1,
                                "not a news-processor report (\"schema\" is not \"%s\")",
                                NP_REPORT_SCHEMA);
    if (!cJSON_IsNumber(version) || version->valuedouble != NP_REPORT_SCHEMA_VERSION)
        return np_error_message(err, err_size, -1,
                                "unknown or missing schema_version (this news-processor reads "
                                "version %d)",
                                NP_REPORT_SCHEMA_VERSION);
    const cJSON *run = first_complete_run(doc);
    if (!run)
        return np_error_message(err, err_size, -1, "the report has no complete run");
    const cJSON *section = cJSON_GetObjectItemCaseSensitive(run, "latency_distribution");
    if (!cJSON_IsObject(section))
        return np_error_message(
            err, err_size, -1,
            "the report has no \"latency_distribution\" (written by --report from this "
            "version on)");
    memset(dist, 0, sizeof(*dist));
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        const char *stage = np_stage_name((np_stage)s);
        const cJSON *tables = cJSON_GetObjectItemCaseSensitive(section, stage);
        for (int k = 0; k < NP_LATENCY_KIND_COUNT; k++) {
            const cJSON *table = cJSON_IsObject(tables)
                                     ? cJSON_GetObjectItemCaseSensitive(tables, kind_names[k])
                                     : NULL;
            if ((!table || cJSON_IsNull(table)) && k != NP_LATENCY_CALL)
                continue;
            if ((!table || cJSON_IsNull(table)) && k == NP_LATENCY_CALL)
                return np_error_message(err, err_size, -1,
                                        "the report measured no %s calls: nothing to draw from",
                                        stage);
            if (read_table(table, dist->q[s][k]) != 0)
                return np_error_message(
                    err, err_size, -1,
                    "malformed report: latency_distribution.%s.%s is not %d ascending "
                    "numbers of ms from 0 to %u",
                    stage, kind_names[k], NP_LATENCY_QUANTILES, NP_LATENCY_MAX_MS);
            dist->present[s][k] = 1;
        }
    }
    return 0;
}

int np_latency_dist_load(const char *path, int cancel_fd, np_latency_dist *dist, char *err,
                         size_t err_size)
{
    np_input input;
    int e = np_input_open(&input, path, cancel_fd);
    if (e == ECANCELED)
        return ECANCELED;
    if (e)
        return np_error_message(err, err_size, -1, "%s: cannot open: %s", path, strerror(e));
    char *text;
    size_t len;
    e = np_input_read_all(&input, &text, &len);
    np_input_close(&input);
    if (e == ECANCELED)
        return ECANCELED;
    if (e)
        return np_error_message(err, err_size, -1, "%s: cannot read: %s", path, strerror(e));
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    if (!doc) {
        size_t offset = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        size_t line, column;
        np_file_text_position(text, offset, &line, &column);
        snprintf(err, err_size, "%s:%zu:%zu: not JSON (syntax error)", path, line, column);
        free(text);
        return -1;
    }
    free(text);
    char why[256];
    int rc = read_distribution(doc, dist, why, sizeof(why));
    cJSON_Delete(doc);
    if (rc != 0)
        snprintf(err, err_size, "%s: %s", path, why);
    return rc;
}

void np_latency_dist_range(const np_latency_dist *dist, uint32_t *min_ms, uint32_t *max_ms)
{
    double lo = NP_LATENCY_MAX_MS, hi = 0;
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        const double *q = dist->q[s][NP_LATENCY_CALL];
        if (q[0] < lo)
            lo = q[0];
        if (q[NP_LATENCY_QUANTILES - 1] > hi)
            hi = q[NP_LATENCY_QUANTILES - 1];
    }
    *min_ms = (uint32_t)floor(lo);
    *max_ms = (uint32_t)ceil(hi);
}

/*
 * Inter-token gaps in fixed space (np/token_gaps.h).
 *
 * The recorder keeps every stride-th gap; when its buffer is full it drops every other kept gap
 * and doubles the stride, so what it keeps stays spread evenly over the whole reply however long
 * it grows, with no random state. The pool's percentiles place each point at the middle of its
 * share of the weight, which gives the ordinary median when all weights are equal.
 */
#include "np/token_gaps.h"

#include <stdlib.h>

void np_gap_record(np_gap_recorder *recorder, long long gap_ns)
{
    uint32_t stride = recorder->stride ? recorder->stride : 1;
    uint32_t index = recorder->count;
    if (recorder->count < UINT32_MAX)
        recorder->count++;
    if (index % stride != 0)
        return;
    if (recorder->kept_count == NP_GAP_BUFFER) {
        for (size_t i = 0; i < NP_GAP_BUFFER / 2; i++)
            recorder->kept[i] = recorder->kept[2 * i];
        recorder->kept_count = NP_GAP_BUFFER / 2;
        stride *= 2;
        recorder->stride = stride;
        if (index % stride != 0)
            return;
    }
    long long us = gap_ns > 0 ? (gap_ns + 500) / 1000 : 0;
    recorder->kept[recorder->kept_count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Insertion sort: at most NP_GAP_BUFFER values, and a simulated call summarises its gaps on every
 * call; glibc's qsort took 10 of the 12 µs an article's two calls spent here (66 gaps). */
static void sort_gaps(uint32_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

void np_gap_summarize(np_gap_recorder *recorder, np_gap_summary *summary)
{
    summary->count = recorder->count;
    size_t n = recorder->kept_count;
    if (n == 0) {
        summary->count = 0;
        for (size_t j = 0; j < NP_GAP_POINTS; j++)
            summary->us[j] = 0;
        return;
    }
    sort_gaps(recorder->kept, n);
    const size_t halves = (size_t)2 * NP_GAP_POINTS;
    for (size_t j = 0; j < NP_GAP_POINTS; j++)
        summary->us[j] = recorder->kept[(2 * j + 1) * n / halves];
}

size_t np_gap_pool_add(np_gap_point *points, size_t n, const np_gap_summary *summary)
{
    if (summary->count == 0)
        return n;
    double weight = (double)summary->count / NP_GAP_POINTS;
    for (size_t j = 0; j < NP_GAP_POINTS; j++)
        points[n++] = (np_gap_point){.ms = summary->us[j] / 1000.0, .weight = weight};
    return n;
}

static int compare_points(const void *a, const void *b)
{
    double x = ((const np_gap_point *)a)->ms, y = ((const np_gap_point *)b)->ms;
    return (x > y) - (x < y);
}

void np_gap_pool_sort(np_gap_point *points, size_t n)
{
    qsort(points, n, sizeof(*points), compare_points);
}

void np_gap_pool_percentiles(const np_gap_point *sorted, size_t n, const double *p, size_t m,
                             double *out)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += sorted[i].weight;
    /* at: the position (a fraction of the total) of point i, the middle of its share */
    size_t i = 0;
    double before = 0; /* the weight of the points before i */
    double at = (sorted[0].weight / 2) / total;
    for (size_t k = 0; k < m; k++) {
        double target = p[k] / 100.0;
        while (i + 1 < n) {
            double next_at = (before + sorted[i].weight + sorted[i + 1].weight / 2) / total;
            if (next_at > target)
                break;
            before += sorted[i].weight;
            i++;
            at = next_at;
        }
        if (target <= at || i + 1 == n) { /* before the first point, or past the last */
            out[k] = sorted[i].ms;
            continue;
        }
        double next_at = (before + sorted[i].weight + sorted[i + 1].weight / 2) / total;
        double fraction = (target - at) / (next_at - at);
        out[k] = sorted[i].ms + fraction * (sorted[i + 1].ms - sorted[i].ms);
    }
}

/*
 * Inter-token gaps: the time between two tokens of one streamed reply, recorded as the call goes
 * and kept in fixed space, then pooled over a run for the report's percentiles.
 *
 * Why a summary per call and not every gap: a run of 100,000 articles with replies of hundreds of
 * tokens would keep tens of millions of gaps, and a result moves by value through the queue. So a
 * call records its gaps into an np_gap_recorder (on the calling thread's stack: 64 gaps, kept
 * evenly by decimation once there are more), and the result keeps an np_gap_summary: how many
 * gaps the call had and NP_GAP_POINTS quantiles of them (at the midpoints of NP_GAP_POINTS equal
 * shares). The report pools the summaries, each point weighing count / NP_GAP_POINTS gaps, so a
 * call with 500 tokens weighs 100 times one with 5, as if every gap had been kept; within a call
 * the resolution is its NP_GAP_POINTS points. Only the collector's copy of the results is read
 * by the pool functions (the results array is the collector's).
 *
 * Pure functions over caller-owned memory: no allocation, no global state.
 */
#ifndef NP_TOKEN_GAPS_H
#define NP_TOKEN_GAPS_H

#include <stddef.h>
#include <stdint.h>

enum {
    NP_GAP_POINTS = 8,  /* quantile points a result keeps per stage */
    NP_GAP_BUFFER = 64, /* gaps a recorder keeps (a power of two: decimation halves it) */
};

/* One call's gaps, summarised. count 0: no gap (fewer than two tokens, or not streamed). */
typedef struct np_gap_summary {
    uint32_t count;             /* the gaps the call had */
    uint32_t us[NP_GAP_POINTS]; /* ascending: its gap quantiles at (j + 0.5) / NP_GAP_POINTS, µs */
} np_gap_summary;

/* Gathers a call's gaps as they come. Zero-initialised ({0}) it is empty and ready. */
typedef struct np_gap_recorder {
    uint32_t kept[NP_GAP_BUFFER]; /* gap k of the call is here when k % stride == 0 */
    uint32_t kept_count;
    uint32_t stride; /* 0 stands for 1 (a zeroed recorder) */
    uint32_t count;  /* gaps seen */
} np_gap_recorder;

/* Adds the next gap, in ns (negative counts as 0; rounded to whole µs). */
void np_gap_record(np_gap_recorder *recorder, long long gap_ns);

/* The summary of the gaps recorded so far (sorts the recorder's kept gaps in place). */
void np_gap_summarize(np_gap_recorder *recorder, np_gap_summary *summary);

/* One point of a pool: a gap in ms standing for weight gaps. */
typedef struct np_gap_point {
    double ms;
    double weight;
} np_gap_point;

/* Appends summary's points (none when count is 0) at points[n..], returns the new n. points must
 * have room for NP_GAP_POINTS more. */
size_t np_gap_pool_add(np_gap_point *points, size_t n, const np_gap_summary *summary);

/* Sorts points[0..n) by ms, ascending, in place. */
void np_gap_pool_sort(np_gap_point *points, size_t n);

/*
 * The percentiles p[0..m) (ascending, each in [0, 100]) of sorted points[0..n) (n >= 1), each
 * point weighing its weight, into out[0..m), in one sweep. The usual weighted percentile: a point
 * stands at the middle of its share of the total weight and values in between interpolate
 * linearly; p = 0 gives the smallest point, p = 100 the largest. With equal weights the median is
 * the ordinary one.
 */
void np_gap_pool_percentiles(const np_gap_point *sorted, size_t n, const double *p, size_t m,
                             double *out);

#endif

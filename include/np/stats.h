/*
 * Descriptive statistics and a rank test for the timing report and `compare`.
 *
 * Pure functions over caller-owned arrays of doubles: nothing is allocated, nothing is kept, no
 * global state, so every function may be called from any thread. Inputs must not contain NaN
 * (the callers turn "no value" into "no sample" before calling).
 */
#ifndef NP_STATS_H
#define NP_STATS_H

#include <stddef.h>

/* Sorts values[0..n) ascending, in place. */
void np_stats_sort(double *values, size_t n);

/*
 * The p-th percentile (p in [0, 100], clamped) of sorted[0..n), which must be sorted ascending:
 * linear interpolation between the closest ranks, rank = p / 100 * (n - 1) counted from 0
 * (numpy's default, R's type 7). p = 0 gives the minimum, p = 100 the maximum, one element gives
 * itself. n == 0 gives NAN.
 */
double np_stats_percentile(const double *sorted, size_t n, double p);

typedef struct np_stats_summary {
    size_t count;
    double min;
    double max;
    double mean;
    double stddev; /* sample standard deviation (divides by n - 1); 0 when count < 2 */
    double median; /* np_stats_percentile(sorted, n, 50) */
} np_stats_summary;

/*
 * Summarizes values[0..n), in any order. scratch must hold n doubles: the values are copied
 * into it and sorted there (so on return scratch holds them sorted, ready for more
 * percentiles). scratch may be values itself, which then gets sorted in place. n == 0 gives
 * count 0, stddev 0 and NAN for every other member.
 */
np_stats_summary np_stats_summarize(const double *values, size_t n, double *scratch);

/* Largest sample size (each side) for which the exact Mann-Whitney distribution is used. */
#define NP_STATS_MW_EXACT_MAX 20

/*
 * The two-sided p-value of the Mann-Whitney U test (Wilcoxon rank-sum) that a[0..na) and
 * b[0..nb) come from the same distribution. Without ties between any two values and with
 * na, nb <= NP_STATS_MW_EXACT_MAX, the exact null distribution of U is used:
 * p = min(1, 2 P(U <= min(U_a, U_b))). Otherwise the normal approximation, with the tie
 * correction of the variance and a continuity correction of 0.5 (as scipy's mannwhitneyu with
 * use_continuity=True). Symmetric in a and b. Returns 1.0 when either side is empty or every
 * value is the same.
 */
double np_stats_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

#endif

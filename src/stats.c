/*
 * Descriptive statistics and the Mann-Whitney U test.
 *
 * Design: everything works on caller-owned arrays and allocates nothing. The Mann-Whitney test
 * counts pairs directly instead of ranking a sorted copy: O(na * nb) for U and O((na + nb)^2) for
 * the tie groups, which is nothing for the run counts it is meant for (tens of benchmark runs)
 * and saves a copy. The exact null distribution of U is the coefficient list of the Gaussian
 * binomial [na + nb choose na]_q, built in place with its product formula in a fixed array.
 * No global state: every function is safe on any thread.
 */
#include "np/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *pa, const void *pb)
{
    double a = *(const double *)pa;
    double b = *(const double *)pb;
    return (a > b) - (a < b);
}

void np_stats_sort(double *values, size_t n)
{
    if (n > 1)
        qsort(values, n, sizeof(*values), compare_doubles);
}

double np_stats_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    if (!(p > 0)) /* also catches a NaN p */
        p = 0;
    if (p > 100)
        p = 100;
    double rank = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)rank;
    if (lo >= n - 1)
        return sorted[n - 1];
    double fraction = rank - (double)lo;
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * fraction;
}

np_stats_summary np_stats_summarize(const double *values, size_t n, double *scratch)
{
    np_stats_summary s = {.count = n, .min = NAN, .max = NAN, .mean = NAN, .median = NAN};
    if (n == 0)
        return s;
    if (scratch != values)
        memcpy(scratch, values, n * sizeof(*values));
    np_stats_sort(scratch, n);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += scratch[i];
    s.mean = sum / (double)n;
    if (n > 1) {
        double squares = 0; /* two passes: no cancellation from sum(x^2) - n mean^2 */
        for (size_t i = 0; i < n; i++)
            squares += (scratch[i] - s.mean) * (scratch[i] - s.mean);
        s.stddev = sqrt(squares / (double)(n - 1));
    }
    s.min = scratch[0];
    s.max = scratch[n - 1];
    s.median = np_stats_percentile(scratch, n, 50);
    return s;
}

/* The i-th value of a followed by b, as one combined sample. */
static double combined_at(const double *a, size_t na, const double *b, size_t i)
{
    return i < na ? a[i] : b[i - na];
}

/* Sum over the tie groups of the combined sample of t^3 - t (t = group size); 0 without ties. */
static double tie_term(const double *a, size_t na, const double *b, size_t nb)
{
    size_t total = na + nb;
    double term = 0;
    for (size_t i = 0; i < total; i++) {
        double v = combined_at(a, na, b, i);
        int seen_before = 0;
        for (size_t j = 0; j < i && !seen_before; j++)
            seen_before = combined_at(a, na, b, j) == v;
        if (seen_before)
            continue; /* the group was counted at its first member */
        double t = 1;
        for (size_t j = i + 1; j < total; j++)
            t += combined_at(a, na, b, j) == v;
        term += t * t * t - t;
    }
    return term;
}

/*
 * P(U <= u) under the null hypothesis, for sample sizes m and n (both <= NP_STATS_MW_EXACT_MAX)
 * without ties. The number of arrangements with U = k is the coefficient of q^k in
 * [m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). After step i the array holds
 * [n + i choose i]_q exactly: integers below C(40, 20) < 2^53, so doubles are exact.
 */
static double exact_cdf(size_t m, size_t n, double u)
{
    enum { CAPACITY = NP_STATS_MW_EXACT_MAX * NP_STATS_MW_EXACT_MAX + NP_STATS_MW_EXACT_MAX + 1 };
    double count[CAPACITY] = {1};
    size_t degree = 0;
    for (size_t i = 1; i <= m; i++) {
        size_t shift = n + i;
        /* multiply by (1 - q^shift): from the top down, so each source is still unmodified */
        for (size_t k = degree + shift; k >= shift; k--)
            count[k] -= count[k - shift];
        /* divide by (1 - q^i), i.e. multiply by 1 + q^i + q^2i + ...: a running sum upwards */
        for (size_t k = i; k <= degree + shift; k++)
            count[k] += count[k - i];
        degree = i * n;
    }
    double total = 0, below = 0;
    for (size_t k = 0; k <= degree; k++) {
        total += count[k];
        if ((double)k <= u)
            below += count[k];
    }
    return below / total;
}

double np_stats_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return 1.0;
    /* U_a counts the pairs (a_i, b_j) with a_i > b_j, ties counting one half. */
    double u_a = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            u_a += a[i] > b[j] ? 1.0 : a[i] == b[j] ? 0.5 : 0.0;
    double pairs = (double)na * (double)nb;
    double u_min = fmin(u_a, pairs - u_a);
    double ties = tie_term(a, na, b, nb);

    double p;
    if (ties == 0 && na <= NP_STATS_MW_EXACT_MAX && nb <= NP_STATS_MW_EXACT_MAX) {
        p = 2 * exact_cdf(na, nb, u_min);
    } else {
        double total = (double)(na + nb);
        double variance = pairs / 12.0 * ((total + 1) - ties / (total * (total - 1)));
        if (!(variance > 0))
            return 1.0; /* every value the same: no evidence of any difference */
        double z = (pairs / 2.0 - u_min - 0.5) / sqrt(variance);
        p = z <= 0 ? 1.0 : erfc(z / sqrt(2.0)); /* two-sided: 2 * (1 - Phi(z)) */
    }
    return p > 1.0 ? 1.0 : p;
}

/*
 * The simulated LLM's decisions, by hashing instead of a random generator.
 *
 * Each decision hashes (seed, id, stage, attempt, purpose) with splitmix64: it has no state at
 * all, so any thread can draw any value at any time and a run is reproducible from its seed
 * alone. The purpose tag keeps the latency, failure and backoff draws independent of each other.
 * Attempt 0's latency hashes exactly as a fault-free run always did.
 */
#include "np/llm.h"

static const char *const stage_names[NP_STAGE_COUNT] = {
    [NP_STAGE_SUMMARIZATION] = "summarization",
    [NP_STAGE_SENTIMENT] = "sentiment",
};

enum draw_purpose { DRAW_LATENCY, DRAW_FAILURE, DRAW_BACKOFF, DRAW_FIRST_TOKEN, DRAW_TOKEN_GAP };

const char *np_stage_name(np_stage stage)
{
    return stage < NP_STAGE_COUNT ? stage_names[stage] : "unknown";
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t draw(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                     enum draw_purpose purpose)
{
    uint64_t x = splitmix64(seed);
    x = splitmix64(x ^ np_id_hash(id));
    x = splitmix64(x ^ (uint64_t)stage);
    if (attempt > 0 || purpose != DRAW_LATENCY)
        x = splitmix64(x ^ ((uint64_t)attempt << 8 | (uint64_t)purpose));
    return x;
}

/* A uniform integer in [0, span) from a 64-bit hash; spans here are < 2^32, bias < 2^-32. */
static uint32_t uniform_below(uint64_t x, uint64_t span)
{
    return (uint32_t)(x % span);
}

uint32_t np_llm_latency_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                           uint32_t min_ms, uint32_t max_ms)
{
    if (max_ms <= min_ms)
        return min_ms;
    uint64_t x = draw(seed, id, stage, attempt, DRAW_LATENCY);
    return min_ms + uniform_below(x, (uint64_t)max_ms - min_ms + 1);
}

/* The top 53 bits of a hash as a double in [0, 1). */
static double unit_interval(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

/* The value at u in [0, 1) of the distribution given by count equally spaced quantiles. */
static double inverse_cdf(double u, const double *quantiles, size_t count)
{
    double position = u * (double)(count - 1);
    size_t below = (size_t)position;
    if (below >= count - 1)
        return quantiles[count - 1];
    double frac = position - (double)below;
    return quantiles[below] + frac * (quantiles[below + 1] - quantiles[below]);
}

/* ms rounded to the nearest whole ms, within [0, NP_LATENCY_MAX_MS]. */
static uint32_t whole_ms(double ms)
{
    if (!(ms > 0))
        return 0;
    if (ms >= NP_LATENCY_MAX_MS)
        return NP_LATENCY_MAX_MS;
    return (uint32_t)(ms + 0.5);
}

uint32_t np_llm_quantile_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                            const double *quantiles, size_t count)
{
    if (count < 2)
        return count ? whole_ms(quantiles[0]) : 0;
    double u = unit_interval(draw(seed, id, stage, attempt, DRAW_LATENCY));
    return whole_ms(inverse_cdf(u, quantiles, count));
}

uint32_t np_llm_first_token_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                               uint32_t latency_ms, const double *first_token_quantiles,
                               size_t count)
{
    /* From a table: at the quantile the call's latency was drawn at (np_llm_quantile_ms), since
     * a call slow to finish is slow to start too -- independent draws would pair slow first
     * tokens with fast calls and clamp them. */
    int table = first_token_quantiles && count >= 2;
    double u =
        unit_interval(draw(seed, id, stage, attempt, table ? DRAW_LATENCY : DRAW_FIRST_TOKEN));
    double ms =
        table ? inverse_cdf(u, first_token_quantiles, count) : (0.1 + 0.4 * u) * (double)latency_ms;
    uint32_t first = whole_ms(ms);
    return first < latency_ms ? first : latency_ms;
}

void np_llm_token_gaps(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                       uint32_t latency_ms, uint32_t first_ms, uint32_t tokens,
                       const double *gap_quantiles, size_t count, np_gap_recorder *gaps)
{
    if (tokens < 2 || first_ms > latency_ms)
        return;
    int table = gap_quantiles && count >= 2;
    /* Gap k's draw hashes the call's gap draw with k: two passes (the sum, then the gaps) draw
     * the same values without keeping them, so a reply of any length needs no memory. */
    uint64_t base = draw(seed, id, stage, attempt, DRAW_TOKEN_GAP);
    double sum = 0;
    for (uint32_t k = 1; k < tokens; k++) {
        double u = unit_interval(splitmix64(base ^ k));
        sum += table ? inverse_cdf(u, gap_quantiles, count) : 0.5 + u;
    }
    double room_ms = (double)(latency_ms - first_ms);
    double scale = !table || sum > room_ms ? (sum > 0 ? room_ms / sum : 0) : 1;
    for (uint32_t k = 1; k < tokens; k++) {
        double u = unit_interval(splitmix64(base ^ k));
        double ms = (table ? inverse_cdf(u, gap_quantiles, count) : 0.5 + u) * scale;
        np_gap_record(gaps, (long long)(ms * 1e6 + 0.5));
    }
}

int np_llm_attempt_fails(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                         double fail_rate)
{
    if (fail_rate <= 0)
        return 0;
    if (fail_rate >= 1)
        return 1;
    return unit_interval(draw(seed, id, stage, attempt, DRAW_FAILURE)) < fail_rate;
}

uint32_t np_llm_backoff_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt)
{
    uint64_t ceiling = NP_BACKOFF_BASE_MS;
    for (uint32_t k = 0; k < attempt && ceiling < NP_BACKOFF_CAP_MS; k++)
        ceiling *= 2;
    if (ceiling > NP_BACKOFF_CAP_MS)
        ceiling = NP_BACKOFF_CAP_MS;
    return uniform_below(draw(seed, id, stage, attempt, DRAW_BACKOFF), ceiling + 1);
}

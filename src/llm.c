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

enum draw_purpose { DRAW_LATENCY, DRAW_FAILURE, DRAW_BACKOFF };

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

int np_llm_attempt_fails(uint64_t seed, const np_id *id, np_stage stage, uint32_t attempt,
                         double fail_rate)
{
    if (fail_rate <= 0)
        return 0;
    if (fail_rate >= 1)
        return 1;
    /* The top 53 bits as a double in [0, 1). */
    double u = (double)(draw(seed, id, stage, attempt, DRAW_FAILURE) >> 11) * 0x1.0p-53;
    return u < fail_rate;
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

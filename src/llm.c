/*
 * The simulated LLM call: a latency drawn from (seed, article id, stage) and a sleep.
 *
 * The draw hashes its inputs with splitmix64 instead of using a random generator, so it has no
 * state at all: any thread can draw any latency at any time, and a run is reproducible from its
 * seed alone. The sleep is an absolute clock_nanosleep on CLOCK_MONOTONIC, so signals that
 * interrupt it do not stretch or shorten it.
 */
#include "np/llm.h"

#include <errno.h>
#include <time.h>

#include "np/clock.h"

static const char *const stage_names[NP_STAGE_COUNT] = {
    [NP_STAGE_SUMMARIZATION] = "summarization",
    [NP_STAGE_SENTIMENT] = "sentiment",
};

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

uint32_t np_llm_latency_ms(uint64_t seed, const np_id *id, np_stage stage, uint32_t min_ms,
                           uint32_t max_ms)
{
    if (max_ms <= min_ms)
        return min_ms;
    uint64_t x = splitmix64(seed);
    x = splitmix64(x ^ np_id_hash(id));
    x = splitmix64(x ^ (uint64_t)stage);
    uint64_t span = (uint64_t)max_ms - min_ms + 1;
    /* span <= 3.6e6, so the modulo bias is below 2^-40: irrelevant for a simulation. */
    return min_ms + (uint32_t)(x % span);
}

void np_llm_sleep_ms(uint32_t ms)
{
    if (ms == 0)
        return;
    struct timespec deadline = np_clock_deadline_after_ns((long long)ms * 1000000LL);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        continue;
}

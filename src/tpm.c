/*
 * Tokens per minute by reservation, like np/ratelimit.h but with a weight per call and a
 * correction afterwards. Invariant: tokens = capacity + refill since the start - reserved +
 * (estimates - actuals corrected so far), capped at capacity at each refill.
 */
#include "np/tpm.h"

int np_tpm_init(np_tpm *tpm, uint64_t tokens_per_minute, long long now_ns)
{
    double capacity = tokens_per_minute ? (double)tokens_per_minute : 1;
    *tpm = (np_tpm){
        .capacity = capacity, .per_ns = capacity / 60e9, .tokens = capacity, .last_ns = now_ns};
    return pthread_mutex_init(&tpm->mutex, NULL);
}

void np_tpm_destroy(np_tpm *tpm)
{
    pthread_mutex_destroy(&tpm->mutex);
}

uint64_t np_tpm_prompt_tokens(size_t text_bytes)
{
    return ((uint64_t)text_bytes + 3) / 4 + NP_TPM_TEMPLATE_TOKENS;
}

/* The lock is held. Time never runs backwards here, even if a caller's clock reading is older. */
static void refill(np_tpm *tpm, long long now_ns)
{
    if (now_ns > tpm->last_ns) {
        tpm->tokens += tpm->per_ns * (double)(now_ns - tpm->last_ns);
        tpm->last_ns = now_ns;
    }
    if (tpm->tokens > tpm->capacity)
        tpm->tokens = tpm->capacity;
}

/* The lock is held. The wait of the caller whose reservation brought `reserved` to ticket: the
 * bucket less the tokens reserved after it must have refilled to zero. */
static long long wait_for(const np_tpm *tpm, uint64_t ticket, long long now_ns)
{
    double deficit = -(tpm->tokens + (double)(tpm->reserved - ticket));
    if (deficit <= 0)
        return 0;
    /* The wait runs from last_ns, which may be later than this caller's now_ns. */
    return (long long)(deficit / tpm->per_ns) + 1 + (tpm->last_ns - now_ns);
}

long long np_tpm_reserve(np_tpm *tpm, uint64_t tokens, long long now_ns, uint64_t *ticket)
{
    pthread_mutex_lock(&tpm->mutex);
    refill(tpm, now_ns);
    tpm->tokens -= (double)tokens;
    tpm->reserved += tokens;
    *ticket = tpm->reserved;
    long long wait = wait_for(tpm, *ticket, now_ns);
    pthread_mutex_unlock(&tpm->mutex);
    return wait;
}

long long np_tpm_wait_left(np_tpm *tpm, uint64_t ticket, long long now_ns)
{
    pthread_mutex_lock(&tpm->mutex);
    refill(tpm, now_ns);
    long long wait = wait_for(tpm, ticket, now_ns);
    pthread_mutex_unlock(&tpm->mutex);
    return wait;
}

void np_tpm_correct(np_tpm *tpm, uint64_t estimated, uint64_t actual)
{
    pthread_mutex_lock(&tpm->mutex);
    tpm->tokens += (double)estimated - (double)actual;
    tpm->corrections += (int64_t)actual - (int64_t)estimated;
    if (tpm->tokens > tpm->capacity)
        tpm->tokens = tpm->capacity;
    pthread_mutex_unlock(&tpm->mutex);
}

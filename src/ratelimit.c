/*
 * Token bucket by reservation: each caller takes a token at once, even if that drives the count
 * below zero, and waits until the refill has paid for it. Tokens are handed out in call order,
 * so waits never overlap and the bound burst + rate * t holds exactly.
 */
#include "np/ratelimit.h"

#include "np/clock.h"

int np_rate_limiter_init(np_rate_limiter *limiter, double rate, double burst)
{
    burst = burst < 1 ? 1 : burst;
    *limiter = (np_rate_limiter){
        .rate = rate, .burst = burst, .tokens = burst, .last_ns = np_clock_now_ns()};
    return pthread_mutex_init(&limiter->mutex, NULL);
}

void np_rate_limiter_destroy(np_rate_limiter *limiter)
{
    pthread_mutex_destroy(&limiter->mutex);
}

long long np_rate_limiter_reserve(np_rate_limiter *limiter)
{
    pthread_mutex_lock(&limiter->mutex);
    long long now = np_clock_now_ns();
    limiter->tokens += limiter->rate * (double)(now - limiter->last_ns) / 1e9;
    if (limiter->tokens > limiter->burst)
        limiter->tokens = limiter->burst;
    limiter->last_ns = now;
    limiter->tokens -= 1;
    limiter->granted++;
    double deficit = -limiter->tokens;
    pthread_mutex_unlock(&limiter->mutex);
    return deficit > 0 ? (long long)(deficit / limiter->rate * 1e9) + 1 : 0;
}

unsigned long long np_rate_limiter_granted(np_rate_limiter *limiter)
{
    pthread_mutex_lock(&limiter->mutex);
    unsigned long long granted = limiter->granted;
    pthread_mutex_unlock(&limiter->mutex);
    return granted;
}

/*
 * The cancellation token. The sleep is a timed wait on a condition variable whose clock is
 * CLOCK_MONOTONIC (pthread_condattr_setclock), in a loop on the predicate "cancelled or deadline
 * passed", so spurious wake-ups and wall-clock changes cannot shorten or stretch it.
 */
#include "np/cancel.h"

#include <errno.h>
#include <time.h>

#include "np/clock.h"

int np_cancel_init(np_cancel *cancel)
{
    atomic_init(&cancel->reason, NP_CANCEL_NONE);
    pthread_condattr_t attr;
    int err = pthread_condattr_init(&attr);
    if (err)
        return err;
    err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!err)
        err = pthread_cond_init(&cancel->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (err)
        return err;
    err = pthread_mutex_init(&cancel->mutex, NULL);
    if (err)
        pthread_cond_destroy(&cancel->changed);
    return err;
}

void np_cancel_destroy(np_cancel *cancel)
{
    pthread_cond_destroy(&cancel->changed);
    pthread_mutex_destroy(&cancel->mutex);
}

void np_cancel_raise(np_cancel *cancel, np_cancel_reason reason)
{
    pthread_mutex_lock(&cancel->mutex);
    if (atomic_load(&cancel->reason) == NP_CANCEL_NONE)
        atomic_store(&cancel->reason, reason);
    pthread_cond_broadcast(&cancel->changed);
    pthread_mutex_unlock(&cancel->mutex);
}

np_cancel_reason np_cancel_reason_of(np_cancel *cancel)
{
    return cancel ? (np_cancel_reason)atomic_load(&cancel->reason) : NP_CANCEL_NONE;
}

static void sleep_plain(long long ns)
{
    struct timespec deadline = np_clock_deadline_after_ns(ns);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        continue;
}

int np_cancel_sleep_ns(np_cancel *cancel, long long ns)
{
    if (!cancel) {
        if (ns > 0)
            sleep_plain(ns);
        return 0;
    }
    if (ns <= 0) /* no sleep (--latency 0): just the check, without the lock or the clock */
        return np_cancel_reason_of(cancel) != NP_CANCEL_NONE ? -1 : 0;
    struct timespec deadline = np_clock_deadline_after_ns(ns);
    int timed_out = 0;
    pthread_mutex_lock(&cancel->mutex);
    /* The reason changes only under the mutex, before the broadcast: no wake-up is missed. */
    while (atomic_load(&cancel->reason) == NP_CANCEL_NONE && !timed_out)
        timed_out =
            pthread_cond_timedwait(&cancel->changed, &cancel->mutex, &deadline) == ETIMEDOUT;
    int cancelled = atomic_load(&cancel->reason) != NP_CANCEL_NONE;
    pthread_mutex_unlock(&cancel->mutex);
    return cancelled ? -1 : 0;
}

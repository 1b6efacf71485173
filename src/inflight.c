/*
 * The in-flight slots: a counting semaphore. One condition variable, one predicate ("a slot is
 * free or the run is cancelled"); a release signals one waiter, since one slot can serve only
 * one. Cancellation broadcasts through a hook on the cancel token, taking the mutex first, so a
 * waiter that checked the reason just before cannot miss the wake-up.
 */
#include "np/inflight.h"

static int cancelled(const np_inflight *slots)
{
    return np_cancel_reason_of(slots->cancel) != NP_CANCEL_NONE;
}

static void wake_all(void *context)
{
    np_inflight *slots = context;
    pthread_mutex_lock(&slots->mutex);
    pthread_cond_broadcast(&slots->freed);
    pthread_mutex_unlock(&slots->mutex);
}

int np_inflight_init(np_inflight *slots, unsigned limit, np_cancel *cancel)
{
    *slots = (np_inflight){.limit = limit ? limit : 1, .cancel = cancel};
    int err = pthread_mutex_init(&slots->mutex, NULL);
    if (err)
        return err;
    err = pthread_cond_init(&slots->freed, NULL);
    if (!err && cancel)
        err = np_cancel_on_raise(cancel, wake_all, slots);
    if (err) {
        pthread_cond_destroy(&slots->freed);
        pthread_mutex_destroy(&slots->mutex);
    }
    return err;
}

void np_inflight_destroy(np_inflight *slots)
{
    pthread_cond_destroy(&slots->freed);
    pthread_mutex_destroy(&slots->mutex);
}

int np_inflight_acquire(np_inflight *slots)
{
    pthread_mutex_lock(&slots->mutex);
    slots->waiting++;
    while (slots->in_use >= slots->limit && !cancelled(slots))
        pthread_cond_wait(&slots->freed, &slots->mutex);
    slots->waiting--;
    int got = !cancelled(slots);
    if (got) {
        slots->in_use++;
        if (slots->in_use > slots->peak)
            slots->peak = slots->in_use;
    }
    pthread_mutex_unlock(&slots->mutex);
    return got ? 0 : -1;
}

void np_inflight_release(np_inflight *slots)
{
    pthread_mutex_lock(&slots->mutex);
    slots->in_use--;
    pthread_cond_signal(&slots->freed);
    pthread_mutex_unlock(&slots->mutex);
}

unsigned np_inflight_peak(np_inflight *slots)
{
    pthread_mutex_lock(&slots->mutex);
    unsigned peak = slots->peak;
    pthread_mutex_unlock(&slots->mutex);
    return peak;
}

unsigned np_inflight_waiting(np_inflight *slots)
{
    pthread_mutex_lock(&slots->mutex);
    unsigned waiting = slots->waiting;
    pthread_mutex_unlock(&slots->mutex);
    return waiting;
}

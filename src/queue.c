/*
 * The bounded queue between article threads (producers) and the collector (consumer), and
 * between the dispatcher and pool workers.
 *
 * Design: a ring buffer of capacity fixed-size slots guarded by one mutex, with two condition
 * variables for the two predicates a thread can wait on:
 *   not_full   producers wait while count == capacity && !closed
 *   not_empty  consumers wait while count < consumer_batch && !closed, having found count == 0
 *              (consumer_batch is 1 unless set: then a consumer that has drained the queue sleeps
 *              until a batch is there, while one that finds items takes them at once)
 * Every wait is a loop on its predicate, so spurious wake-ups and stolen wake-ups are harmless.
 * `closed` is part of both predicates; close sets it under the mutex and broadcasts both
 * condition variables, so nobody sleeps through it.
 *
 * Wake-ups are the expensive part (a futex call with the mutex held, then a context switch), so
 * they are rationed without ever being lost:
 *   - new items wake at most one waiting consumer each, and none that was already signalled and
 *     has not yet run (consumer_wakes_pending): a burst of pushes to a sleeping collector costs
 *     one wake-up, not one per push; and none at all while fewer than consumer_batch are queued
 *     (the push that completes the batch wakes them; capacity >= consumer_batch, so a producer
 *     blocked on a full queue always has a consumer coming);
 *   - freed slots wake waiting producers only once the queue has drained to half its capacity,
 *     then one producer per slot freed since the last wake-up (minus those already signalled):
 *     a producer that sleeps on a full queue then finds room for a run of pushes instead of one,
 *     and thousands of producers blocked on a full queue are not woken as a herd. The consumer
 *     that freed the slots keeps draining until the queue is empty, so it always gets there.
 * A signal sent while a thread waits always wakes one (POSIX), so a pending count only ever
 * drops when a waiter leaves; a waiter that leaves for another reason (a timeout, a spurious
 * wake-up) also lowers it, which can only cause an extra signal, never a missing one.
 * The protocol (waits, signals, counters, close) is model-checked by spin: tests/model/queue.pml
 * mirrors every step of it, citing the lines here, and each function below names its part of the
 * model; tests/model/check.sh fails when the two disagree.
 * Items are memcpy'd under the lock; they are small, and the slow work (the stages) happens
 * before push, with the mutex released. The mutex is glibc's adaptive kind where available: it
 * spins briefly before sleeping, and the critical sections here are a few dozen instructions.
 */
#include "np/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np/clock.h"

struct np_queue {
    pthread_mutex_t mutex;
    pthread_cond_t not_full;
    pthread_cond_t not_empty;
    unsigned char *slots; /* capacity * item_size bytes */
    size_t item_size;
    size_t capacity;
    size_t head;  /* index of the oldest item */
    size_t count; /* items held */
    size_t max_depth;
    size_t waiting_producers; /* threads blocked in push (under the mutex) */
    size_t waiting_consumers; /* threads blocked in pop */
    /* Signals sent to waiters that have not yet woken: a waiter signalled once needs no second
     * signal, and each futex wake costs a system call with the mutex held. */
    size_t producer_wakes_pending;
    size_t consumer_wakes_pending;
    size_t unannounced;    /* slots freed since producers were last woken */
    size_t consumer_batch; /* consumers wait for this many items (1..capacity) */
    int closed;
};

np_queue *np_queue_create(size_t capacity, size_t item_size)
{
    if (capacity == 0 || item_size == 0 || capacity > SIZE_MAX / item_size) {
        errno = EINVAL;
        return NULL;
    }
    np_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->slots = malloc(capacity * item_size);
    if (!q->slots) {
        free(q);
        return NULL;
    }
    q->capacity = capacity;
    q->item_size = item_size;
    q->consumer_batch = 1;
    pthread_mutexattr_t mutex_attr;
    int err = pthread_mutexattr_init(&mutex_attr);
    if (err)
        goto fail_mutex;
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP /* glibc with _GNU_SOURCE (CMakeLists.txt) */
    pthread_mutexattr_settype(&mutex_attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    err = pthread_mutex_init(&q->mutex, &mutex_attr);
    pthread_mutexattr_destroy(&mutex_attr);
    if (err)
        goto fail_mutex;
    err = pthread_cond_init(&q->not_full, NULL);
    if (err)
        goto fail_not_full;
    /* not_empty supports timed pops (np_queue_pop_many_until) on the monotonic clock. */
    pthread_condattr_t attr;
    err = pthread_condattr_init(&attr);
    if (!err) {
        err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (!err)
            err = pthread_cond_init(&q->not_empty, &attr);
        pthread_condattr_destroy(&attr);
    }
    if (err)
        goto fail_not_empty;
    return q;

fail_not_empty:
    pthread_cond_destroy(&q->not_full);
fail_not_full:
    pthread_mutex_destroy(&q->mutex);
fail_mutex:
    free(q->slots);
    free(q);
    errno = err;
    return NULL;
}

void np_queue_destroy(np_queue *q)
{
    if (!q)
        return;
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->mutex);
    free(q->slots);
    free(q);
}

/* A thread leaves a wait (woken, timed out or spuriously): one waiter fewer, and one pending
 * signal fewer if any, which keeps pending <= waiting. model: leave_wait */
static void leave_wait(size_t *waiting, size_t *pending)
{
    (*waiting)--;
    if (*pending)
        (*pending)--;
}

/*
 * Wakes up to n of the `waiting` threads blocked on cond, skipping those already signalled
 * (*pending), and counts the new signals in *pending. One signal each, not a broadcast: woken
 * all at once, they would only queue up on the mutex (measured slower with bench/queue_bench).
 * model: count_wakes, send_signals
 */
static void wake_waiters(pthread_cond_t *cond, size_t waiting, size_t *pending, size_t n)
{
    size_t unwoken = waiting - *pending;
    size_t wake = n < unwoken ? n : unwoken;
    for (size_t i = 0; i < wake; i++)
        pthread_cond_signal(cond);
    *pending += wake;
}

/* model: push_many (np_queue_push is its n == 1) */
size_t np_queue_push_many(np_queue *q, const void *items, size_t n, long long *waited_ns)
{
    const unsigned char *in = items;
    long long waited = 0;
    size_t pushed = 0;
    pthread_mutex_lock(&q->mutex);
    while (pushed < n) {
        if (q->count == q->capacity && !q->closed) {
            long long wait_start = waited_ns ? np_clock_now_ns() : 0;
            while (q->count == q->capacity && !q->closed) {
                q->waiting_producers++;
                pthread_cond_wait(&q->not_full, &q->mutex);
                leave_wait(&q->waiting_producers, &q->producer_wakes_pending);
            }
            if (waited_ns)
                waited += np_clock_now_ns() - wait_start;
        }
        if (q->closed)
            break;
        /* Copy what fits, in at most two runs: up to the end of the ring, then from its start. */
        size_t copied = 0;
        while (pushed < n && q->count < q->capacity) {
            /* head + count < 2 * capacity: a subtraction instead of a division. */
            size_t tail = q->head + q->count;
            if (tail >= q->capacity)
                tail -= q->capacity;
            /* Free slots run from tail to the ring's end, or to head when the items wrap. */
            size_t run = tail >= q->head ? q->capacity - tail : q->head - tail;
            if (run > n - pushed)
                run = n - pushed;
            memcpy(q->slots + tail * q->item_size, in + pushed * q->item_size, run * q->item_size);
            q->count += run;
            pushed += run;
            copied += run;
        }
        if (q->count > q->max_depth)
            q->max_depth = q->count;
        /* Below the consumers' batch nobody is woken: the push that completes it wakes them. */
        if (q->count >= q->consumer_batch)
            wake_waiters(&q->not_empty, q->waiting_consumers, &q->consumer_wakes_pending, copied);
    }
    pthread_mutex_unlock(&q->mutex);
    if (waited_ns)
        *waited_ns = waited;
    return pushed;
}

int np_queue_push(np_queue *q, const void *item, long long *waited_ns)
{
    return np_queue_push_many(q, item, 1, waited_ns) == 1 ? 0 : -1;
}

/* model: pop_many_until (np_queue_pop_many and np_queue_pop are it without a deadline) */
size_t np_queue_pop_many_until(np_queue *q, void *items, size_t max,
                               const struct timespec *deadline, int *timed_out)
{
    unsigned char *out = items;
    pthread_mutex_lock(&q->mutex);
    int expired = 0;
    /* Items there are taken at once; only a consumer that finds the queue empty waits, and then
     * for a whole batch. */
    if (q->count == 0) {
        while (q->count < q->consumer_batch && !q->closed && !expired) {
            q->waiting_consumers++;
            if (deadline)
                expired = pthread_cond_timedwait(&q->not_empty, &q->mutex, deadline) == ETIMEDOUT;
            else
                pthread_cond_wait(&q->not_empty, &q->mutex);
            leave_wait(&q->waiting_consumers, &q->consumer_wakes_pending);
        }
    }
    if (timed_out)
        *timed_out = q->count == 0 && !q->closed;
    size_t taken = 0;
    /* The lock is held: take everything available (up to max) in at most two memcpys. */
    while (taken < max && q->count > 0) {
        size_t run = q->capacity - q->head;
        if (run > q->count)
            run = q->count;
        if (run > max - taken)
            run = max - taken;
        memcpy(out + taken * q->item_size, q->slots + q->head * q->item_size, run * q->item_size);
        q->head += run;
        if (q->head == q->capacity)
            q->head = 0;
        q->count -= run;
        taken += run;
    }
    q->unannounced += taken;
    if (q->count <= q->capacity / 2) {
        wake_waiters(&q->not_full, q->waiting_producers, &q->producer_wakes_pending,
                     q->unannounced);
        q->unannounced = 0;
    }
    pthread_mutex_unlock(&q->mutex);
    return taken;
}

/* model: init sets a fixed batch; the collector changes it only between its own pops, so each
 * wait is a modelled one. A batch lowered under waiters broadcasts: tested (test_queue). */
void np_queue_set_consumer_batch(np_queue *q, size_t items)
{
    pthread_mutex_lock(&q->mutex);
    q->consumer_batch = items < 1 ? 1 : items > q->capacity ? q->capacity : items;
    /* A smaller batch may already be there for consumers asleep waiting for a larger one. */
    if (q->count >= q->consumer_batch)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
}

size_t np_queue_pop_many(np_queue *q, void *items, size_t max)
{
    return np_queue_pop_many_until(q, items, max, NULL, NULL);
}

int np_queue_pop(np_queue *q, void *item)
{
    return np_queue_pop_many(q, item, 1) == 1;
}

/* model: queue_close */
void np_queue_close(np_queue *q)
{
    pthread_mutex_lock(&q->mutex);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
}

size_t np_queue_max_depth(np_queue *q)
{
    pthread_mutex_lock(&q->mutex);
    size_t depth = q->max_depth;
    pthread_mutex_unlock(&q->mutex);
    return depth;
}

void np_queue_sleepers(np_queue *q, size_t *producers, size_t *consumers)
{
    pthread_mutex_lock(&q->mutex);
    *producers = q->waiting_producers - q->producer_wakes_pending;
    *consumers = q->waiting_consumers - q->consumer_wakes_pending;
    pthread_mutex_unlock(&q->mutex);
}

/*
 * The bounded queue between article threads (producers) and the collector (consumer).
 *
 * Design: a ring buffer of capacity fixed-size slots guarded by one mutex, with two condition
 * variables for the two predicates a thread can wait on:
 *   not_full   producers wait while count == capacity && !closed
 *   not_empty  consumers wait while count == 0 && !closed
 * Every wait is a loop on its predicate, so spurious wake-ups and stolen wake-ups are harmless.
 * `closed` is part of both predicates; close sets it under the mutex and broadcasts both
 * condition variables, so nobody sleeps through it. A push signals not_empty; a pop that freed k
 * slots signals not_full k times (at most once per waiting producer), so no wake-up is lost and
 * no herd is woken: with thousands of producers blocked on a full queue, a broadcast per pop would
 * wake them all to find one free slot. Waiter counts let the common case skip signalling.
 * Items are memcpy'd under the lock; they are small, and the slow work (the stages) happens
 * before push, with the mutex released.
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
    int err = pthread_mutex_init(&q->mutex, NULL);
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

int np_queue_push(np_queue *q, const void *item, long long *waited_ns)
{
    long long wait_start = 0;
    pthread_mutex_lock(&q->mutex);
    if (q->count == q->capacity && !q->closed && waited_ns)
        wait_start = np_clock_now_ns();
    while (q->count == q->capacity && !q->closed) {
        q->waiting_producers++;
        pthread_cond_wait(&q->not_full, &q->mutex);
        q->waiting_producers--;
    }
    if (waited_ns)
        *waited_ns = wait_start ? np_clock_now_ns() - wait_start : 0;
    if (q->closed) {
        pthread_mutex_unlock(&q->mutex);
        return -1;
    }
    size_t tail = (q->head + q->count) % q->capacity;
    memcpy(q->slots + tail * q->item_size, item, q->item_size);
    q->count++;
    if (q->count > q->max_depth)
        q->max_depth = q->count;
    if (q->waiting_consumers)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
    return 0;
}

size_t np_queue_pop_many_until(np_queue *q, void *items, size_t max,
                               const struct timespec *deadline, int *timed_out)
{
    unsigned char *out = items;
    pthread_mutex_lock(&q->mutex);
    int expired = 0;
    while (q->count == 0 && !q->closed && !expired) {
        q->waiting_consumers++;
        if (deadline)
            expired = pthread_cond_timedwait(&q->not_empty, &q->mutex, deadline) == ETIMEDOUT;
        else
            pthread_cond_wait(&q->not_empty, &q->mutex);
        q->waiting_consumers--;
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
        q->head = (q->head + run) % q->capacity;
        q->count -= run;
        taken += run;
    }
    size_t wake = taken < q->waiting_producers ? taken : q->waiting_producers;
    for (size_t i = 0; i < wake; i++)
        pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mutex);
    return taken;
}

size_t np_queue_pop_many(np_queue *q, void *items, size_t max)
{
    return np_queue_pop_many_until(q, items, max, NULL, NULL);
}

int np_queue_pop(np_queue *q, void *item)
{
    return np_queue_pop_many(q, item, 1) == 1;
}

void np_queue_close(np_queue *q)
{
    pthread_mutex_lock(&q->mutex);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
}

size_t np_queue_capacity(const np_queue *q)
{
    return q->capacity;
}

size_t np_queue_max_depth(np_queue *q)
{
    pthread_mutex_lock(&q->mutex);
    size_t depth = q->max_depth;
    pthread_mutex_unlock(&q->mutex);
    return depth;
}

/*
 * A bounded, blocking, multi-producer queue of fixed-size items: one mutex, two condition
 * variables (not_full for producers, not_empty for consumers).
 *
 * Items are copied in and out by value, so the queue owns no pointers. Any thread may push or
 * pop; create and destroy belong to one owner, and destroy may run only after every thread that
 * used the queue has been joined. A producer blocked on a full queue is woken once the queue has
 * drained to half its capacity (or is closed), not at the first free slot: wake-ups come in
 * batches (see src/queue.c).
 */
#ifndef NP_QUEUE_H
#define NP_QUEUE_H

#include <stddef.h>
#include <time.h>

typedef struct np_queue np_queue;

/* Creates a queue of capacity items (>= 1) of item_size bytes (>= 1). NULL on failure (errno). */
np_queue *np_queue_create(size_t capacity, size_t item_size);

/* Frees the queue. No thread may be using it, or use it afterwards. NULL is allowed. */
void np_queue_destroy(np_queue *q);

/*
 * Copies *item into the queue, blocking while it is full.
 * Returns 0, or -1 when the queue is closed (before or while waiting): the item was not queued.
 * waited_ns, if not NULL, receives the time spent blocked on a full queue.
 */
int np_queue_push(np_queue *q, const void *item, long long *waited_ns);

/*
 * Copies items[0..n) into the queue in order, blocking whenever it is full, under as few lock
 * acquisitions as the free space allows. Returns how many were queued: n, or fewer when the
 * queue was closed (the rest were not queued). waited_ns as for np_queue_push, summed.
 */
size_t np_queue_push_many(np_queue *q, const void *items, size_t n, long long *waited_ns);

/*
 * Copies the oldest item into *item, blocking while the queue is empty and open (and, having found
 * it empty, until a consumer batch has arrived: np_queue_set_consumer_batch).
 * Returns 1 when an item was taken, 0 when the queue is closed and drained (nothing more will
 * ever arrive).
 */
int np_queue_pop(np_queue *q, void *item);

/*
 * Like np_queue_pop but takes up to max items at once (max >= 1), oldest first, into items[],
 * under one lock acquisition. Returns how many were taken (>= 1), or 0 when closed and drained.
 */
size_t np_queue_pop_many(np_queue *q, void *items, size_t max);

/*
 * Like np_queue_pop_many, but gives up at deadline (CLOCK_MONOTONIC; NULL waits forever): it then
 * takes what has arrived, fewer than a consumer batch (np_queue_set_consumer_batch), or, if
 * nothing has, returns 0 with *timed_out set to 1. Otherwise *timed_out is 0, and 0
 * means closed and drained as usual. timed_out may be NULL only when deadline is NULL.
 */
size_t np_queue_pop_many_until(np_queue *q, void *items, size_t max,
                               const struct timespec *deadline, int *timed_out);

/*
 * Makes consumers that find the queue empty wait until items (clamped to 1..capacity) are queued,
 * the queue is closed, or their deadline passes, instead of waking for the first item; items
 * already queued are always taken at once. For a consumer that only has to keep up with a flood
 * of small items, it turns one wake-up per push into one per batch. The default is 1.
 */
void np_queue_set_consumer_batch(np_queue *q, size_t items);

/* Closes the queue: pushes fail from now on, and every blocked push and pop wakes up. Idempotent.
 */
void np_queue_close(np_queue *q);

/* The capacity given at creation. */
size_t np_queue_capacity(const np_queue *q);

/* The largest number of items the queue has held at once so far. */
size_t np_queue_max_depth(np_queue *q);

/*
 * How many threads are asleep in a push (*producers) and in a pop (*consumers) that no wake-up
 * has been sent to yet. A snapshot taken under the mutex, for tests: it lets them wait until a
 * thread is really blocked, and check that an operation woke nobody, without sleeping and hoping.
 */
void np_queue_sleepers(np_queue *q, size_t *producers, size_t *consumers);

#endif

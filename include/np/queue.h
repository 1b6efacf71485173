/*
 * A bounded, blocking, multi-producer queue of fixed-size items: one mutex, two condition
 * variables (not_full for producers, not_empty for consumers).
 *
 * Items are copied in and out by value, so the queue owns no pointers. Any thread may push or
 * pop; create and destroy belong to one owner, and destroy may run only after every thread that
 * used the queue has been joined. A producer blocked on a full queue is woken once the queue has
 * drained to half its capacity (or is closed), not at the first free slot: wake-ups come in
 * batches (see src/queue.c).
 *
 * How each promise is known to hold:
 *   - Proven by the spin model (tests/model/queue.pml; tests/model/check.sh lists the searches),
 *     exhaustively (every reachable state stored in full: no bitstate, no hash compaction), for
 *     capacity 1..3, consumer batch 1..2, close during or after the pushes, 0..3 producers each
 *     pushing 0..3 items (some with np_queue_push_many, the others with np_queue_push), 1..2
 *     consumers (one with a deadline), every combination, each with spurious wake-ups and timer
 *     expiries at any moment: up to two, or up to one with two consumers and three producers (or
 *     two producers that both use np_queue_push_many). Safety: every item a push accepted is popped
 *     exactly once, in each producer's order; a push that finds the queue closed queues nothing,
 *     and a push fails only on a closed queue; no wake-up is lost: whenever a batch is queued (or
 *     the queue is closed) and consumers wait, one of them is on its way, and likewise for
 *     producers once the queue is at most half full; the pending counts never exceed the waiters;
 *     until a spurious wake-up, a timer firing before a signal, or close, no signal is wasted on a
 *     waiter already woken; no deadlock. Liveness: with those wake-ups and expiries bounded, every
 *     execution ends with every thread returned under any scheduling, no fairness assumed (every
 *     configuration); with the collector's timer firing without bound, every execution under weak
 *     fairness ends, and the safety properties but the rationing one still hold (every
 *     configuration). So a blocked push completes once consumers run, and a queued batch is taken
 *     before close.
 *   - Tested (tests/test_queue.c, tests/test_queue_stress.c, also under ThreadSanitizer): the
 *     ring arithmetic (wrap-around, two-run copies: the model keeps its items in order without
 *     a ring), that every shared field is touched only under the mutex (the model's atomic steps
 *     rely on it), timed pops with real clocks, lowering the consumer batch while consumers wait,
 *     np_queue_max_depth, and larger sizes (64 producers, capacities up to 64).
 *   - Assumed of the condition variables, as POSIX specifies: a signal unblocks at least one
 *     thread blocked at that moment, a broadcast all of them; spurious wake-ups and early timed
 *     returns may happen (the model includes them). A signal must never be lost: the wake-ups
 *     are rationed (a waiter already signalled is not signalled again), so a lost signal would
 *     not be repeated by the next push, and a consumer could sleep until close while producers
 *     block on a full queue. glibc had such a bug (sourceware bug 25847, a lost wake-up in
 *     pthread_cond_signal, fixed upstream in 2025; Debian 12 ships glibc 2.36, so whether its
 *     build carries the fix is for the distribution's changelog to say). Liveness assumes,
 *     besides, that spurious wake-ups are finitely many (the searches bound them), and, with a
 *     deadline timer that fires for ever, that the scheduler is weakly fair: a thread that can
 *     run continuously does run.
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

/* The largest number of items the queue has held at once so far. */
size_t np_queue_max_depth(np_queue *q);

/*
 * How many threads are asleep in a push (*producers) and in a pop (*consumers) that no wake-up
 * has been sent to yet. A snapshot taken under the mutex, for tests: it lets them wait until a
 * thread is really blocked, and check that an operation woke nobody, without sleeping and hoping.
 */
void np_queue_sleepers(np_queue *q, size_t *producers, size_t *consumers);

#endif

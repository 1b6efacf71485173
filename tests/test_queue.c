/*
 * Unit tests of the bounded queue: order, blocking, batched pushes, close semantics, when a
 * blocked producer is woken, consumers that wait for a batch, and exactly-once delivery under many
 * producers. Ordering is shown by handshakes, never by sleeping and hoping: a test waits until the
 * queue reports the other thread asleep in it (np_queue_sleepers), checks that an operation that
 * must not wake it left it asleep and unsignalled, and that the one that must wake it lets it
 * finish. A queue that does not block never reports a sleeper (the wait gives up after
 * WAIT_LIMIT_NS and fails); one that loses a wake-up hangs and hits the ctest timeout. Nothing
 * here depends on how quickly the machine schedules a thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "np/clock.h"
#include "np/queue.h"

/* How long a test waits for a thread to fall asleep in the queue before calling it a failure. */
#define WAIT_LIMIT_NS (30 * 1000000000LL)

static void pause_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

typedef enum side { PRODUCER_SIDE, CONSUMER_SIDE } side;

/* Threads asleep on one side of q that no wake-up has been sent to. */
static size_t sleepers(np_queue *q, side which)
{
    size_t producers, consumers;
    np_queue_sleepers(q, &producers, &consumers);
    return which == PRODUCER_SIDE ? producers : consumers;
}

/* Waits until one thread sleeps on `which` side of q, or *done is set (it finished without
 * blocking). Returns 1 when it sleeps; fails the test after WAIT_LIMIT_NS. */
static int wait_until_asleep(np_queue *q, side which, atomic_int *done)
{
    long long give_up = np_clock_now_ns() + WAIT_LIMIT_NS;
    while (sleepers(q, which) != 1) {
        if (atomic_load(done))
            return 0;
        if (np_clock_now_ns() > give_up)
            fail_msg("no thread fell asleep in the queue within %lld s",
                     WAIT_LIMIT_NS / 1000000000);
        pause_ms(1);
    }
    return 1;
}

static void test_items_come_out_in_fifo_order(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(8, sizeof(int));
    assert_non_null(q);
    for (int round = 0; round < 3; round++) { /* wraps around the ring buffer */
        for (int i = 0; i < 6; i++)
            assert_int_equal(np_queue_push(q, &i, NULL), 0);
        for (int i = 0; i < 6; i++) {
            int v = -1;
            assert_int_equal(np_queue_pop(q, &v), 1);
            assert_int_equal(v, i);
        }
    }
    np_queue_destroy(q);
}

static void test_create_rejects_zero_capacity(void **state)
{
    (void)state;
    assert_null(np_queue_create(0, sizeof(int)));
    assert_null(np_queue_create(4, 0));
}

typedef struct blocked_push {
    np_queue *q;
    int value;        /* pushed with np_queue_push, unless items is set */
    const int *items; /* when set, items[0..n) are pushed with np_queue_push_many */
    size_t n;
    int result;    /* np_queue_push's */
    size_t queued; /* np_queue_push_many's */
    long long waited_ns;
    atomic_int done;
} blocked_push;

static void *push_thread(void *arg)
{
    blocked_push *b = arg;
    if (b->items)
        b->queued = np_queue_push_many(b->q, b->items, b->n, &b->waited_ns);
    else
        b->result = np_queue_push(b->q, &b->value, &b->waited_ns);
    atomic_store(&b->done, 1);
    return NULL;
}

/* Starts run(arg) on thread *t and returns once the queue reports it asleep on `which` side. */
static void start_blocked(np_queue *q, side which, pthread_t *t, void *(*run)(void *), void *arg,
                          atomic_int *done)
{
    atomic_init(done, 0);
    assert_int_equal(pthread_create(t, NULL, run, arg), 0);
    assert_true(wait_until_asleep(q, which, done)); /* it must block, not finish */
    assert_int_equal(atomic_load(done), 0);
}

/* Starts b's push on thread *t and returns once it is blocked on the full queue. */
static void start_blocked_push(blocked_push *b, pthread_t *t)
{
    start_blocked(b->q, PRODUCER_SIDE, t, push_thread, b, &b->done);
}

/* An operation that must wake nobody left the thread asleep, unsignalled and unfinished. */
static void assert_still_asleep(np_queue *q, side which, atomic_int *done)
{
    assert_int_equal(sleepers(q, which), 1);
    assert_int_equal(atomic_load(done), 0);
}

static void test_push_blocks_when_full_until_a_pop(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(2, sizeof(int));
    int a = 1, b = 2;
    assert_int_equal(np_queue_push(q, &a, NULL), 0);
    assert_int_equal(np_queue_push(q, &b, NULL), 0);
    blocked_push bp = {.q = q, .value = 3, .result = -2};
    pthread_t t;
    start_blocked_push(&bp, &t);
    /* Its wait began before it was seen asleep and ends after the pop: it reports at least the
     * time between the two, whatever the scheduler does. The pause only makes that time long. */
    long long seen_asleep = np_clock_now_ns();
    pause_ms(20);
    long long before_pop = np_clock_now_ns();
    int v;
    assert_int_equal(np_queue_pop(q, &v), 1);
    assert_int_equal(v, 1);
    pthread_join(t, NULL);
    assert_int_equal(bp.result, 0);
    assert_true(bp.waited_ns >= before_pop - seen_asleep); /* it reports the time it was blocked */
    assert_int_equal(np_queue_pop(q, &v), 1);
    assert_int_equal(v, 2);
    assert_int_equal(np_queue_pop(q, &v), 1);
    assert_int_equal(v, 3);
    assert_int_equal(np_queue_max_depth(q), 2);
    np_queue_destroy(q);
}

typedef struct blocked_pop {
    np_queue *q;
    int result;
    atomic_int done;
} blocked_pop;

static void *pop_thread(void *arg)
{
    blocked_pop *b = arg;
    int v;
    b->result = np_queue_pop(b->q, &v);
    atomic_store(&b->done, 1);
    return NULL;
}

static void test_close_wakes_a_blocked_pop(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(4, sizeof(int));
    blocked_pop bp = {.q = q, .result = -2};
    pthread_t t;
    start_blocked(q, CONSUMER_SIDE, &t, pop_thread, &bp, &bp.done); /* blocked: empty and open */
    np_queue_close(q);
    pthread_join(t, NULL);
    assert_int_equal(bp.result, 0); /* closed and drained */
    np_queue_destroy(q);
}

static void test_close_wakes_a_blocked_push_which_fails(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(1, sizeof(int));
    int a = 1;
    assert_int_equal(np_queue_push(q, &a, NULL), 0);
    blocked_push bp = {.q = q, .value = 2, .result = -2};
    pthread_t t;
    start_blocked_push(&bp, &t);
    np_queue_close(q);
    pthread_join(t, NULL);
    assert_int_equal(bp.result, -1);
    /* The item queued before close is still delivered; then the queue reports drained. */
    int v = 0;
    assert_int_equal(np_queue_pop(q, &v), 1);
    assert_int_equal(v, 1);
    assert_int_equal(np_queue_pop(q, &v), 0);
    np_queue_destroy(q);
}

static void test_push_after_close_fails_and_pop_drains_first(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(4, sizeof(int));
    int a = 7, b = 8, v = 0;
    assert_int_equal(np_queue_push(q, &a, NULL), 0);
    np_queue_close(q);
    np_queue_close(q); /* idempotent */
    assert_int_equal(np_queue_push(q, &b, NULL), -1);
    assert_int_equal(np_queue_pop(q, &v), 1);
    assert_int_equal(v, 7);
    assert_int_equal(np_queue_pop(q, &v), 0);
    assert_int_equal(np_queue_pop(q, &v), 0);
    np_queue_destroy(q);
}

static void test_pop_many_takes_all_available_in_order(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(5, sizeof(int));
    int out[8];
    for (int i = 0; i < 3; i++)
        np_queue_push(q, &i, NULL);
    assert_int_equal(np_queue_pop_many(q, out, 8), 3); /* leaves head at 3: next run wraps */
    for (int i = 0; i < 5; i++)
        np_queue_push(q, &i, NULL);
    assert_int_equal(np_queue_pop_many(q, out, 4), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(out[i], i);
    assert_int_equal(np_queue_pop_many(q, out, 8), 1);
    assert_int_equal(out[0], 4);
    np_queue_destroy(q);
}

static void test_push_many_wraps_around_and_keeps_order(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(5, sizeof(int));
    int first[3] = {0, 1, 2}, out[8];
    assert_int_equal(np_queue_push_many(q, first, 3, NULL), 3);
    assert_int_equal(np_queue_pop_many(q, out, 2), 2); /* head at 2, tail at 3 */
    int more[4] = {3, 4, 5, 6};
    assert_int_equal(np_queue_push_many(q, more, 4, NULL), 4); /* slots 3, 4, then 0, 1 */
    assert_int_equal(np_queue_pop_many(q, out, 8), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(out[i], i + 2);
    assert_int_equal(np_queue_push_many(q, more, 0, NULL), 0); /* nothing to push */
    assert_int_equal(np_queue_max_depth(q), 5);
    np_queue_destroy(q);
}

static void test_push_many_waits_part_way_for_room(void **state)
{
    (void)state;
    enum { N = 10 };
    np_queue *q = np_queue_create(4, sizeof(int));
    int items[N], out[N];
    for (int i = 0; i < N; i++)
        items[i] = 100 + i;
    blocked_push b = {.q = q, .items = items, .n = N};
    pthread_t t;
    start_blocked_push(&b, &t); /* four went in; it waits for room for the other six */
    long long seen_asleep = np_clock_now_ns();
    pause_ms(20);
    long long before_pop = np_clock_now_ns();
    size_t received = 0;
    while (received < N)
        received += np_queue_pop_many(q, out + received, N - received);
    pthread_join(t, NULL);
    assert_int_equal(b.queued, N);
    assert_true(b.waited_ns >= before_pop - seen_asleep);
    for (int i = 0; i < N; i++)
        assert_int_equal(out[i], 100 + i);
    assert_int_equal(np_queue_max_depth(q), 4);
    np_queue_destroy(q);
}

static void test_push_many_stops_at_close_and_says_how_many_went_in(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(2, sizeof(int));
    int items[5] = {1, 2, 3, 4, 5}, out[5];
    blocked_push b = {.q = q, .items = items, .n = 5};
    pthread_t t;
    start_blocked_push(&b, &t);
    np_queue_close(q);
    pthread_join(t, NULL);
    assert_int_equal(b.queued, 2); /* the first two, which fitted */
    assert_int_equal(np_queue_pop_many(q, out, 5), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    assert_int_equal(np_queue_push_many(q, items, 5, NULL), 0); /* closed: nothing goes in */
    np_queue_destroy(q);
}

static void test_blocked_push_wakes_once_half_the_queue_is_free(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(4, sizeof(int));
    for (int i = 0; i < 4; i++)
        assert_int_equal(np_queue_push(q, &i, NULL), 0);
    blocked_push bp = {.q = q, .value = 4, .result = -2};
    pthread_t t;
    start_blocked_push(&bp, &t);
    int v;
    assert_int_equal(np_queue_pop(q, &v), 1); /* three left: above half, no wake-up yet */
    assert_still_asleep(q, PRODUCER_SIDE, &bp.done);
    assert_int_equal(np_queue_pop(q, &v), 1); /* two left: half free, the producer goes on */
    pthread_join(t, NULL);
    assert_int_equal(bp.result, 0);
    for (int i = 2; i <= 4; i++) {
        assert_int_equal(np_queue_pop(q, &v), 1);
        assert_int_equal(v, i);
    }
    np_queue_destroy(q);
}

typedef struct batch_pop {
    np_queue *q;
    int items[8];
    size_t taken;
    int timed_out;
    long long deadline_ns; /* CLOCK_MONOTONIC (np_clock_now_ns); 0: no deadline */
    atomic_int done;
} batch_pop;

static void *batch_pop_thread(void *arg)
{
    batch_pop *b = arg;
    if (b->deadline_ns) {
        struct timespec deadline = {.tv_sec = (time_t)(b->deadline_ns / 1000000000LL),
                                    .tv_nsec = (long)(b->deadline_ns % 1000000000LL)};
        b->taken = np_queue_pop_many_until(b->q, b->items, 8, &deadline, &b->timed_out);
    } else {
        b->taken = np_queue_pop_many(b->q, b->items, 8);
    }
    atomic_store(&b->done, 1);
    return NULL;
}

/* Starts b's pop on thread *t and returns once it is asleep waiting for a batch. */
static void start_batch_pop(batch_pop *b, pthread_t *t)
{
    start_blocked(b->q, CONSUMER_SIDE, t, batch_pop_thread, b, &b->done);
}

static void push_values(np_queue *q, int from, int to)
{
    for (int i = from; i < to; i++)
        assert_int_equal(np_queue_push(q, &i, NULL), 0);
}

static void test_a_consumer_that_drained_the_queue_waits_for_a_batch(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(8, sizeof(int));
    np_queue_set_consumer_batch(q, 4);
    batch_pop bp = {.q = q};
    pthread_t t;
    start_batch_pop(&bp, &t);
    push_values(q, 0, 3); /* three of four: nobody is woken */
    assert_still_asleep(q, CONSUMER_SIDE, &bp.done);
    push_values(q, 3, 4); /* the fourth completes the batch */
    pthread_join(t, NULL);
    assert_int_equal(bp.taken, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(bp.items[i], i);
    /* Items already there are taken at once, however few. */
    push_values(q, 4, 5);
    int v[8];
    assert_int_equal(np_queue_pop_many(q, v, 8), 1);
    assert_int_equal(v[0], 4);
    /* Closing hands over what is left of an unfinished batch, then says drained. */
    start_batch_pop(&bp, &t);
    push_values(q, 5, 7);
    np_queue_close(q);
    pthread_join(t, NULL);
    assert_int_equal(bp.taken, 2);
    assert_int_equal(bp.items[0], 5);
    assert_int_equal(bp.items[1], 6);
    assert_int_equal(np_queue_pop_many(q, v, 8), 0);
    np_queue_destroy(q);
}

static void test_a_batch_wait_ends_at_its_deadline_with_what_arrived(void **state)
{
    (void)state;
    np_queue *q = np_queue_create(8, sizeof(int));
    np_queue_set_consumer_batch(q, 4);
    batch_pop bp = {.q = q};
    /* Two items pushed while the consumer waits for four, before its deadline: at the deadline it
     * takes them. Whether the push came before the deadline is measured, not assumed: on a
     * machine so busy that it did not, the round proves nothing and runs again with a longer
     * deadline. */
    for (long long wait_ms = 300;; wait_ms *= 2) {
        assert_true(wait_ms <= 300 * 64);
        bp.deadline_ns = np_clock_now_ns() + wait_ms * 1000000LL;
        pthread_t t;
        atomic_init(&bp.done, 0);
        assert_int_equal(pthread_create(&t, NULL, batch_pop_thread, &bp), 0);
        int asleep = wait_until_asleep(q, CONSUMER_SIDE, &bp.done);
        push_values(q, 0, 2);
        int pushed_in_time = asleep && np_clock_now_ns() < bp.deadline_ns;
        pthread_join(t, NULL);
        if (pushed_in_time)
            break;
        int v[8];
        struct timespec now = np_clock_deadline_after_ns(0);
        int timed_out;
        while (np_queue_pop_many_until(q, v, 8, &now, &timed_out) > 0) /* start afresh */
            continue;
    }
    assert_int_equal(bp.taken, 2); /* fewer than a batch, but not lost to the timeout */
    assert_int_equal(bp.timed_out, 0);
    assert_int_equal(bp.items[1], 1);
    bp.deadline_ns = np_clock_now_ns() + 50 * 1000000LL;
    batch_pop_thread(&bp); /* nothing at all arrives: a plain timeout */
    assert_int_equal(bp.taken, 0);
    assert_int_equal(bp.timed_out, 1);
    np_queue_destroy(q);
}

static void test_a_full_queue_and_a_smaller_batch_wake_a_batch_waiter(void **state)
{
    (void)state;
    /* The batch is clamped to the capacity: a full queue always wakes the consumer. */
    np_queue *q = np_queue_create(3, sizeof(int));
    np_queue_set_consumer_batch(q, 100);
    batch_pop bp = {.q = q};
    pthread_t t;
    start_batch_pop(&bp, &t);
    push_values(q, 0, 3);
    pthread_join(t, NULL);
    assert_int_equal(bp.taken, 3);
    /* Lowering the batch to what is queued wakes a consumer waiting for the larger one. */
    start_batch_pop(&bp, &t);
    push_values(q, 3, 5);
    assert_still_asleep(q, CONSUMER_SIDE, &bp.done);
    np_queue_set_consumer_batch(q, 2);
    pthread_join(t, NULL);
    assert_int_equal(bp.taken, 2);
    assert_int_equal(bp.items[0], 3);
    np_queue_destroy(q);
}

/* Item i of producer p is p * ITEMS_PER_PRODUCER + i; a run pushes up to that many per producer. */
enum { PRODUCERS = 64, ITEMS_PER_PRODUCER = 1000 };

typedef struct producer {
    np_queue *q;
    uint32_t id;
    uint32_t items; /* how many it pushes, <= ITEMS_PER_PRODUCER */
} producer;

static void *produce(void *arg)
{
    const producer *p = arg;
    for (uint32_t i = 0; i < p->items; i++) {
        uint32_t item = p->id * ITEMS_PER_PRODUCER + i;
        if (np_queue_push(p->q, &item, NULL) != 0)
            return (void *)1;
    }
    return NULL;
}

typedef struct consumer {
    np_queue *q;
    unsigned char *seen; /* count per item */
    uint32_t *last;      /* last item seen per producer + 1, to check per-producer order */
    size_t received;
    int out_of_order;
} consumer;

static void *consume(void *arg)
{
    consumer *c = arg;
    uint32_t batch[37];
    size_t n;
    while ((n = np_queue_pop_many(c->q, batch, 37)) > 0) {
        for (size_t i = 0; i < n; i++) {
            uint32_t producer_id = batch[i] / ITEMS_PER_PRODUCER;
            if (batch[i] + 1 <= c->last[producer_id])
                c->out_of_order = 1;
            c->last[producer_id] = batch[i] + 1;
            c->seen[batch[i]]++;
            c->received++;
        }
    }
    return NULL;
}

static void run_many_producers(size_t capacity, uint32_t per_producer)
{
    np_queue *q = np_queue_create(capacity, sizeof(uint32_t));
    assert_non_null(q);
    consumer c = {.q = q,
                  .seen = calloc(PRODUCERS * ITEMS_PER_PRODUCER, 1),
                  .last = calloc(PRODUCERS, sizeof(uint32_t))};
    assert_non_null(c.seen);
    pthread_t consumer_thread, threads[PRODUCERS];
    producer producers[PRODUCERS];
    assert_int_equal(pthread_create(&consumer_thread, NULL, consume, &c), 0);
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        producers[i] = (producer){.q = q, .id = i, .items = per_producer};
        assert_int_equal(pthread_create(&threads[i], NULL, produce, &producers[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        void *failed;
        pthread_join(threads[i], &failed);
        assert_null(failed);
    }
    np_queue_close(q);
    pthread_join(consumer_thread, NULL);
    assert_int_equal(c.received, PRODUCERS * per_producer);
    for (size_t i = 0; i < PRODUCERS * ITEMS_PER_PRODUCER; i++)
        assert_int_equal(c.seen[i], i % ITEMS_PER_PRODUCER < per_producer);
    assert_false(c.out_of_order); /* FIFO per producer */
    assert_true(np_queue_max_depth(q) <= capacity);
    free(c.seen);
    free(c.last);
    np_queue_destroy(q);
}

static void test_64_producers_each_item_arrives_exactly_once(void **state)
{
    (void)state;
    run_many_producers(16, ITEMS_PER_PRODUCER);
}

/* At capacity 1 nearly every push blocks, so each item costs a hand-off: 200 a producer keeps the
 * five rounds within a few seconds under ThreadSanitizer on a loaded machine (1,000 took 30 s). */
static void test_capacity_one_under_contention_loses_nothing(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++)
        run_many_producers(1, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_come_out_in_fifo_order),
        cmocka_unit_test(test_create_rejects_zero_capacity),
        cmocka_unit_test(test_push_blocks_when_full_until_a_pop),
        cmocka_unit_test(test_close_wakes_a_blocked_pop),
        cmocka_unit_test(test_close_wakes_a_blocked_push_which_fails),
        cmocka_unit_test(test_push_after_close_fails_and_pop_drains_first),
        cmocka_unit_test(test_pop_many_takes_all_available_in_order),
        cmocka_unit_test(test_push_many_wraps_around_and_keeps_order),
        cmocka_unit_test(test_push_many_waits_part_way_for_room),
        cmocka_unit_test(test_push_many_stops_at_close_and_says_how_many_went_in),
        cmocka_unit_test(test_blocked_push_wakes_once_half_the_queue_is_free),
        cmocka_unit_test(test_a_consumer_that_drained_the_queue_waits_for_a_batch),
        cmocka_unit_test(test_a_batch_wait_ends_at_its_deadline_with_what_arrived),
        cmocka_unit_test(test_a_full_queue_and_a_smaller_batch_wake_a_batch_waiter),
        cmocka_unit_test(test_64_producers_each_item_arrives_exactly_once),
        cmocka_unit_test(test_capacity_one_under_contention_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

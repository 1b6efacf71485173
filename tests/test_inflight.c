/*
 * Unit tests of the in-flight slots: never more than the limit held at once (many threads, many
 * rounds, limit 1 and 3), a waiter gets the slot another releases, and a blocked waiter returns
 * -1 without a slot when the run is cancelled (handshake: it is counted as waiting first).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "np/inflight.h"

#define THREADS 16
#define ROUNDS  2000

typedef struct shared {
    np_inflight slots;
    atomic_int holding;
    atomic_int most;
} shared;

static void *hammer(void *arg)
{
    shared *sh = arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (np_inflight_acquire(&sh->slots) != 0)
            return NULL;
        int now = atomic_fetch_add(&sh->holding, 1) + 1;
        int seen = atomic_load(&sh->most);
        while (now > seen && !atomic_compare_exchange_weak(&sh->most, &seen, now))
            continue;
        sched_yield();
        atomic_fetch_sub(&sh->holding, 1);
        np_inflight_release(&sh->slots);
    }
    return NULL;
}

static void run_hammer(unsigned limit)
{
    shared sh;
    atomic_init(&sh.holding, 0);
    atomic_init(&sh.most, 0);
    assert_int_equal(np_inflight_init(&sh.slots, limit, NULL), 0);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, &sh), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    assert_true(atomic_load(&sh.most) <= (int)limit);
    assert_true(np_inflight_peak(&sh.slots) <= limit);
    assert_int_equal(sh.slots.in_use, 0);
    np_inflight_destroy(&sh.slots);
}

static void test_never_more_than_the_limit_in_flight(void **state)
{
    (void)state;
    run_hammer(1);
    run_hammer(3);
}

typedef struct waiter {
    np_inflight *slots;
    int rc;
} waiter;

static void *wait_for_slot(void *arg)
{
    waiter *w = arg;
    w->rc = np_inflight_acquire(w->slots);
    return NULL;
}

/* Waits until n callers are blocked on slots: a handshake, not a sleep. */
static void wait_until_waiting(np_inflight *slots, unsigned n)
{
    while (np_inflight_waiting(slots) < n)
        sched_yield();
}

static void test_a_released_slot_goes_to_a_waiter(void **state)
{
    (void)state;
    np_inflight slots;
    assert_int_equal(np_inflight_init(&slots, 1, NULL), 0);
    assert_int_equal(np_inflight_acquire(&slots), 0);
    waiter w = {.slots = &slots, .rc = 99};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_for_slot, &w), 0);
    wait_until_waiting(&slots, 1);
    np_inflight_release(&slots);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(slots.in_use, 1);
    np_inflight_release(&slots);
    np_inflight_destroy(&slots);
}

static void test_cancellation_wakes_a_blocked_waiter_without_a_slot(void **state)
{
    (void)state;
    np_cancel cancel;
    assert_int_equal(np_cancel_init(&cancel), 0);
    np_inflight slots;
    assert_int_equal(np_inflight_init(&slots, 1, &cancel), 0);
    assert_int_equal(np_inflight_acquire(&slots), 0);
    waiter w[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (waiter){.slots = &slots, .rc = 99};
        assert_int_equal(pthread_create(&t[i], NULL, wait_for_slot, &w[i]), 0);
    }
    wait_until_waiting(&slots, 3);
    np_cancel_raise(&cancel, NP_CANCEL_SIGINT);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rc, -1);
    }
    assert_int_equal(slots.in_use, 1); /* only the slot taken before */
    /* Once cancelled, even a free slot is not handed out: no new call begins. */
    np_inflight_release(&slots);
    assert_int_equal(np_inflight_acquire(&slots), -1);
    np_inflight_destroy(&slots);
    np_cancel_destroy(&cancel);
}

static void test_cancel_hooks_are_bounded(void **state)
{
    (void)state;
    np_cancel cancel;
    assert_int_equal(np_cancel_init(&cancel), 0);
    np_inflight slots[NP_CANCEL_HOOKS_MAX + 1];
    for (int i = 0; i < NP_CANCEL_HOOKS_MAX; i++)
        assert_int_equal(np_inflight_init(&slots[i], 1, &cancel), 0);
    assert_int_not_equal(np_inflight_init(&slots[NP_CANCEL_HOOKS_MAX], 1, &cancel), 0);
    for (int i = 0; i < NP_CANCEL_HOOKS_MAX; i++)
        np_inflight_destroy(&slots[i]);
    np_cancel_destroy(&cancel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_more_than_the_limit_in_flight),
        cmocka_unit_test(test_a_released_slot_goes_to_a_waiter),
        cmocka_unit_test(test_cancellation_wakes_a_blocked_waiter_without_a_slot),
        cmocka_unit_test(test_cancel_hooks_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

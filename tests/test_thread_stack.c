/*
 * Unit tests of the thread stack size: never below the platform's minimum, so that
 * pthread_attr_setstacksize accepts it on every architecture (aarch64 and ppc64le refuse the
 * 64 KiB that x86-64 accepts), and a thread really starts with it. tools/cross-aarch64.sh runs
 * these under qemu-user.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/pipeline.h"
#include "np/thread_stack.h"

/* The largest of the platform's stated minimums, as far as this build can see them. */
static size_t platform_minimum(void)
{
    size_t minimum = 1;
#ifdef PTHREAD_STACK_MIN
    minimum = (size_t)PTHREAD_STACK_MIN;
#endif
#ifdef _SC_THREAD_STACK_MIN
    long dynamic = sysconf(_SC_THREAD_STACK_MIN);
    if (dynamic > 0 && (size_t)dynamic > minimum)
        minimum = (size_t)dynamic;
#endif
    return minimum;
}

static void test_stack_size_is_never_below_the_platform_minimum(void **state)
{
    (void)state;
    size_t minimum = platform_minimum();
    print_message("platform minimum thread stack: %zu bytes\n", minimum);
    assert_true(np_thread_stack_size(0) >= minimum);
    assert_true(np_thread_stack_size(1) >= minimum);
    assert_true(np_thread_stack_size((size_t)64 * 1024) >= minimum);
    assert_true(np_thread_stack_size(NP_THREAD_STACK_SIZE) >= minimum);
}

static void test_stack_size_keeps_a_wish_above_the_minimum(void **state)
{
    (void)state;
    size_t large = (size_t)8 * 1024 * 1024; /* above every platform's minimum */
    assert_int_equal(np_thread_stack_size(large), large);
    size_t wanted = (size_t)64 * 1024;
    size_t minimum = platform_minimum();
    assert_int_equal(np_thread_stack_size(wanted), wanted > minimum ? wanted : minimum);
}

static void *stack_user(void *arg)
{
    volatile char frame[4096]; /* the deepest stage frame is about this size */
    frame[0] = 1;
    frame[sizeof(frame) - 1] = frame[0];
    return arg;
}

static void check_thread_starts_with_stack(size_t wanted)
{
    pthread_attr_t attr;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, np_thread_stack_size(wanted)), 0);
    pthread_t thread;
    int token = 7;
    assert_int_equal(pthread_create(&thread, &attr, stack_user, &token), 0);
    void *result = NULL;
    assert_int_equal(pthread_join(thread, &result), 0);
    assert_ptr_equal(result, &token);
    assert_int_equal(pthread_attr_destroy(&attr), 0);
}

static void test_pthread_accepts_the_chosen_stack_size_and_a_thread_runs_on_it(void **state)
{
    (void)state;
    check_thread_starts_with_stack(NP_THREAD_STACK_SIZE); /* article and worker threads */
    check_thread_starts_with_stack((size_t)64 * 1024);    /* the signal watcher */
    pthread_attr_t attr;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, np_thread_stack_size(1)), 0);
    assert_int_equal(pthread_attr_destroy(&attr), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_size_is_never_below_the_platform_minimum),
        cmocka_unit_test(test_stack_size_keeps_a_wish_above_the_minimum),
        cmocka_unit_test(test_pthread_accepts_the_chosen_stack_size_and_a_thread_runs_on_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

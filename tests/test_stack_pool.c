/*
 * Unit tests of the stack pool: stacks are reused rather than mapped again, each has a guard page
 * below it that faults, threads run on them, a refused mapping is reported (ENOMEM) and cured by
 * giving a stack back, and cached memory is bounded and trimmed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/pipeline.h"
#include "np/stack_pool.h"
#include "np/thread_stack.h"

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static void test_a_released_stack_is_reused_without_mapping_more(void **state)
{
    (void)state;
    np_stack_pool *pool = np_stack_pool_create(NP_THREAD_STACK_SIZE, 0);
    assert_non_null(pool);
    assert_int_equal(np_stack_pool_mapped_bytes(pool), 0); /* nothing until asked */
    void *a, *b;
    assert_int_equal(np_stack_pool_acquire(pool, &a), 0);
    size_t mapped = np_stack_pool_mapped_bytes(pool);
    assert_true(mapped > 0);
    np_stack_pool_release(pool, a);
    assert_int_equal(np_stack_pool_acquire(pool, &b), 0);
    assert_ptr_equal(a, b); /* the warm one comes back */
    np_stack_pool_release(pool, b);
    /* A thousand more rounds, ten at a time: the mapping never grows past what ten need. */
    void *held[10];
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 10; i++)
            assert_int_equal(np_stack_pool_acquire(pool, &held[i]), 0);
        for (int i = 0; i < 10; i++)
            np_stack_pool_release(pool, held[i]);
    }
    assert_int_equal(np_stack_pool_mapped_bytes(pool), mapped);
    assert_int_equal(np_stack_pool_in_use(pool), 0);
    np_stack_pool_destroy(pool);
}

static void test_stacks_are_distinct_aligned_and_of_the_platform_size(void **state)
{
    (void)state;
    np_stack_pool *pool = np_stack_pool_create(1, 0); /* raised to the platform's minimum */
    assert_non_null(pool);
    size_t size = np_stack_pool_stack_size(pool);
    assert_true(size >= np_thread_stack_size(1));
    assert_int_equal(size % page_size(), 0);
    enum { N = 600 }; /* several chunks */
    static unsigned char *stacks[N];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(np_stack_pool_acquire(pool, (void **)&stacks[i]), 0);
        assert_int_equal((uintptr_t)stacks[i] % page_size(), 0);
        memset(stacks[i], 0xA5, size); /* all of it writable */
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            assert_true(stacks[i] + size <= stacks[j] || stacks[j] + size <= stacks[i]);
    assert_int_equal(np_stack_pool_in_use(pool), N);
    for (size_t i = 0; i < N; i++)
        np_stack_pool_release(pool, stacks[N - 1 - i]);
    np_stack_pool_destroy(pool);
}

/* In a child process: writes the byte just below a stack; the child must die of SIGSEGV. */
static void check_guard_faults(unsigned char *stack)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(SIGSEGV, SIG_DFL);
        *(volatile unsigned char *)(stack - 1) = 1;
        _exit(0); /* reached only without a guard */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

static void test_a_guard_page_below_each_stack_faults(void **state)
{
    (void)state;
    np_stack_pool *pool = np_stack_pool_create(NP_THREAD_STACK_SIZE, 0);
    assert_non_null(pool);
    void *first, *second;
    assert_int_equal(np_stack_pool_acquire(pool, &first), 0);
    assert_int_equal(np_stack_pool_acquire(pool, &second), 0);
    check_guard_faults(first);
    check_guard_faults(second); /* between two stacks too, not only at the chunk's edge */
    /* Reused, the guard is still there: installed once, never removed. */
    np_stack_pool_release(pool, second);
    assert_int_equal(np_stack_pool_acquire(pool, &second), 0);
    check_guard_faults(second);
    np_stack_pool_release(pool, first);
    np_stack_pool_release(pool, second);
    np_stack_pool_destroy(pool);
}

static void *touch_stack(void *arg)
{
    volatile unsigned char buffer[8192];
    memset((void *)buffer, 1, sizeof(buffer));
    *(int *)arg = buffer[100] + 41;
    return NULL;
}

static void test_threads_run_on_pool_stacks_one_after_another(void **state)
{
    (void)state;
    np_stack_pool *pool = np_stack_pool_create(NP_THREAD_STACK_SIZE, 0);
    assert_non_null(pool);
    pthread_attr_t attr;
    assert_int_equal(pthread_attr_init(&attr), 0);
    void *previous = NULL;
    for (int i = 0; i < 50; i++) {
        void *stack;
        assert_int_equal(np_stack_pool_acquire(pool, &stack), 0);
        if (previous)
            assert_ptr_equal(stack, previous);
        assert_int_equal(pthread_attr_setstack(&attr, stack, np_stack_pool_stack_size(pool)), 0);
        pthread_t thread;
        int answer = 0;
        assert_int_equal(pthread_create(&thread, &attr, touch_stack, &answer), 0);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_int_equal(answer, 42);
        np_stack_pool_release(pool, stack);
        previous = stack;
    }
    pthread_attr_destroy(&attr);
    np_stack_pool_destroy(pool);
}

/*
 * Exhaustion: under an address-space limit the pool runs out and says ENOMEM (no crash, nothing
 * handed out); a released stack is then taken again at once, and trimming gives memory back.
 * Run in a child, so the limit binds nothing else. Sanitizers reserve terabytes of shadow memory,
 * so there the limit cannot be set and the test is skipped.
 */
static void test_exhaustion_returns_enomem_and_a_release_cures_it(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    skip();
#else
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t stack_size = (size_t)1024 * 1024;
        np_stack_pool *pool = np_stack_pool_create(stack_size, 0);
        if (!pool)
            _exit(10);
        struct rlimit limit;
        getrlimit(RLIMIT_AS, &limit);
        /* The current mappings plus room for about 40 stacks of 1 MiB. */
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long pages = 0;
        if (!f || fscanf(f, "%lu", &pages) != 1)
            _exit(11);
        fclose(f);
        limit.rlim_cur = pages * page_size() + 40 * stack_size;
        if (setrlimit(RLIMIT_AS, &limit) != 0)
            _exit(12);
        enum { MAX = 1000 };
        static void *held[MAX];
        size_t n = 0;
        int err = 0;
        while (n < MAX && (err = np_stack_pool_acquire(pool, &held[n])) == 0)
            n++;
        if (err != ENOMEM || n == 0 || n >= MAX || np_stack_pool_in_use(pool) != n)
            _exit(13);
        void *again;
        if (np_stack_pool_acquire(pool, &again) != ENOMEM || again != NULL)
            _exit(14);
        np_stack_pool_release(pool, held[--n]);
        if (np_stack_pool_acquire(pool, &again) != 0 || again != held[n])
            _exit(15);
        np_stack_pool_release(pool, again);
        while (n > 0)
            np_stack_pool_release(pool, held[--n]);
        if (np_stack_pool_trim(pool) == 0 || np_stack_pool_mapped_bytes(pool) != 0)
            _exit(16);
        /* With the memory back, stacks can be had again. */
        if (np_stack_pool_acquire(pool, &again) != 0)
            _exit(17);
        np_stack_pool_release(pool, again);
        np_stack_pool_destroy(pool);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

static void test_free_stacks_beyond_the_cache_bound_are_unmapped(void **state)
{
    (void)state;
    size_t stack_size = (size_t)64 * 1024;
    /* Room for about 20 free stacks. */
    np_stack_pool *pool = np_stack_pool_create(stack_size, 20 * (stack_size + page_size()));
    assert_non_null(pool);
    enum { N = 500 };
    static void *held[N];
    for (size_t i = 0; i < N; i++)
        assert_int_equal(np_stack_pool_acquire(pool, &held[i]), 0);
    size_t peak = np_stack_pool_mapped_bytes(pool);
    for (size_t i = 0; i < N; i++)
        np_stack_pool_release(pool, held[i]);
    /* Chunks whose stacks are all free went back, down to the bound plus at most one chunk. */
    size_t cached = np_stack_pool_mapped_bytes(pool);
    assert_true(cached < peak);
    assert_true(cached <= (20 + 256) * (stack_size + page_size()));
    np_stack_pool_trim(pool);
    assert_int_equal(np_stack_pool_mapped_bytes(pool), 0);
    np_stack_pool_destroy(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_released_stack_is_reused_without_mapping_more),
        cmocka_unit_test(test_stacks_are_distinct_aligned_and_of_the_platform_size),
        cmocka_unit_test(test_a_guard_page_below_each_stack_faults),
        cmocka_unit_test(test_threads_run_on_pool_stacks_one_after_another),
        cmocka_unit_test(test_exhaustion_returns_enomem_and_a_release_cures_it),
        cmocka_unit_test(test_free_stacks_beyond_the_cache_bound_are_unmapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

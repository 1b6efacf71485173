/*
 * Stress test of the bounded queue (include/np/queue.h), meant to run under ThreadSanitizer too.
 *
 * Each round draws its shape from a PRNG seeded for that round: capacity 1..64, 1..256
 * producers (1..64 under ThreadSanitizer), a random number of items per producer (the round's total
 * is bounded), each producer pushing one item at a time (np_queue_push) or in batches of random
 * size up to twice the capacity (np_queue_push_many, which must then wait part-way through), one
 * consumer or sometimes up to four (as pool workers share the work queue), each using np_queue_pop,
 * np_queue_pop_many with a fixed or per-call random max, or np_queue_pop_many_until with short
 * random deadlines (timing out now and then, which must change nothing), and now and then a
 * consumer batch (np_queue_set_consumer_batch, before or while threads run). Two kinds of rounds,
 * one test each:
 *   - close after join: every producer finishes, then the queue is closed; every item must
 *     arrive exactly once.
 *   - close while pushing: the main thread closes the queue once a random number of pushes have
 *     succeeded (possibly none), while producers are still pushing. A producer stops at its first
 *     push that returns -1 (and checks that a push after that fails too). Every item whose push
 *     returned 0 must arrive exactly once, and no item whose push failed may arrive.
 * In both, items carry a checksum (no torn or misplaced copies), each consumer sees every
 * producer's items in push order, pop reports "drained" only at the end and keeps reporting it,
 * and the queue never held more than its capacity.
 *
 * Threads never call cmocka's assert_* (it longjmps, which only the main thread may do): they
 * record what they saw in their own memory, and the main thread checks it after joining them.
 * A lost wake-up shows as a hang; a watchdog thread then prints the round's seed and aborts,
 * well before the ctest timeout. A failure prints the seed; rerun that round alone with
 *   NP_QUEUE_STRESS_SEED=0x... ./test_queue_stress
 * (the round's shape is the same; thread scheduling, by nature, is not). NP_QUEUE_STRESS_ROUNDS
 * overrides the number of rounds per test.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "np/clock.h"
#include "np/queue.h"
#include "np/thread_stack.h"

/* Under ThreadSanitizer, starting and joining a thread costs milliseconds on a loaded 2-core
 * machine: with up to 256 producers a round (some 15,000 threads over the 120 rounds), the file
 * took 45 s there, against a 120 s ctest timeout; the number of items barely mattered. It draws
 * up to 64 producers there (still more than most capacities, so producers still pile up on a
 * full queue); a seed reproduces its round in a build of the same kind. */
#if defined(__SANITIZE_THREAD__)
#define NP_STRESS_MAX_PRODUCERS 64
#else
#define NP_STRESS_MAX_PRODUCERS 256
#endif

enum {
    ROUNDS = 60,       /* per test, unless NP_QUEUE_STRESS_ROUNDS says otherwise */
    MAX_CAPACITY = 64, /* capacities are 1..MAX_CAPACITY */
    MAX_PRODUCERS = NP_STRESS_MAX_PRODUCERS, /* producer counts are 1..MAX_PRODUCERS */
    MAX_ITEMS_ROUND = 12000, /* bound on a round's total items, to bound the test's time */
    MAX_ITEMS_PRODUCER = 2000,
    MAX_CONSUMERS = 4,
    MAX_BATCH = 2 * MAX_CAPACITY, /* largest max passed to np_queue_pop_many */
    MAX_DEADLINE_US = 300,        /* longest deadline given to np_queue_pop_many_until */
    WATCHDOG_SECONDS = 20,        /* a round taking longer than this is a hang */
    THREAD_STACK = 128 * 1024,
};

static const uint64_t base_seed = 0x6e702d7175657565ULL; /* "np-queue" */

/* splitmix64: small, fast, and good enough to spread a seed; state is the caller's. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform-enough draw from lo..hi inclusive. */
static size_t random_between(uint64_t *state, size_t lo, size_t hi)
{
    return lo + (size_t)(next_random(state) % (uint64_t)(hi - lo + 1));
}

/* What travels through the queue: who pushed it, its place in that producer's sequence. */
typedef struct item {
    uint32_t producer;
    uint32_t seq;
    uint64_t check; /* item_check(producer, seq): a torn or misplaced copy will not match */
} item;

static uint64_t item_check(uint32_t producer, uint32_t seq)
{
    uint64_t state = ((uint64_t)producer << 32) | seq;
    return next_random(&state);
}

typedef struct producer {
    np_queue *q;
    uint32_t index;
    uint32_t items;   /* how many it tries to push */
    size_t batch_max; /* 0: one np_queue_push per item; else np_queue_push_many of 1..batch_max */
    uint64_t rng;     /* this producer's own PRNG, for batch sizes */
    uint32_t pushed;  /* how many pushes returned 0: items 0..pushed-1 */
    int bad_result;   /* a push returned something other than 0 or -1 */
    int push_after_fail; /* a push after a failed one did not fail */
    atomic_size_t *total_pushed;
} producer;

static item make_item(uint32_t from, uint32_t seq)
{
    return (item){.producer = from, .seq = seq, .check = item_check(from, seq)};
}

/* After a push was refused: closing is for good, so another push must fail too. */
static void check_refused_again(producer *p, uint32_t seq)
{
    item again = make_item(p->index, seq);
    if (np_queue_push(p->q, &again, NULL) != -1 || np_queue_push_many(p->q, &again, 1, NULL) != 0)
        p->push_after_fail = 1;
}

static void *produce(void *arg)
{
    producer *p = arg;
    item batch[2 * MAX_CAPACITY];
    uint32_t seq = 0;
    while (seq < p->items) {
        if (p->batch_max == 0) {
            item it = make_item(p->index, seq);
            int rc = np_queue_push(p->q, &it, NULL);
            if (rc == -1) {
                check_refused_again(p, seq);
                break;
            }
            if (rc != 0) {
                p->bad_result = 1;
                break;
            }
            seq++;
        } else {
            size_t n = random_between(&p->rng, 1, p->batch_max);
            if (n > p->items - seq)
                n = p->items - seq;
            for (size_t i = 0; i < n; i++)
                batch[i] = make_item(p->index, seq + (uint32_t)i);
            size_t queued = np_queue_push_many(p->q, batch, n, NULL);
            if (queued > n) {
                p->bad_result = 1;
                break;
            }
            /* A prefix of the batch is queued, in order; the rest was refused. */
            seq += (uint32_t)queued;
            p->pushed = seq;
            atomic_fetch_add(p->total_pushed, queued);
            if (queued < n) {
                check_refused_again(p, seq);
                break;
            }
            continue;
        }
        p->pushed = seq;
        atomic_fetch_add(p->total_pushed, 1);
    }
    return NULL;
}

typedef enum pop_mode {
    POP_ONE,
    POP_MANY_FIXED,
    POP_MANY_RANDOM,
    POP_MANY_UNTIL, /* random max, deadline 0..MAX_DEADLINE_US from now */
    POP_MODE_COUNT
} pop_mode;

typedef struct consumer {
    np_queue *q;
    pop_mode mode;
    size_t batch;         /* max for POP_MANY_FIXED */
    uint64_t rng;         /* this consumer's own PRNG, for POP_MANY_RANDOM */
    const size_t *offset; /* offset[p]: index of producer p's first item in seen[] */
    size_t producers;
    unsigned char *seen; /* arrivals per item, saturating at 255 */
    uint32_t *next_seq;  /* per producer: the smallest seq this consumer may still see */
    size_t received;
    int corrupt;          /* an item with a bad checksum or out-of-range producer or seq */
    int out_of_order;     /* a producer's items arrived out of push order */
    int bad_count;        /* pop_many returned more than max */
    int bad_timeout;      /* a timed pop returned items and said it timed out */
    size_t timeouts;      /* timed pops that gave up empty-handed */
    int drained_not_kept; /* a pop after "drained" returned an item */
} consumer;

static void record(consumer *c, const item *it)
{
    if (it->producer >= c->producers || it->check != item_check(it->producer, it->seq) ||
        c->offset[it->producer] + it->seq >= c->offset[it->producer + 1]) {
        c->corrupt = 1;
        return;
    }
    if (it->seq < c->next_seq[it->producer])
        c->out_of_order = 1;
    c->next_seq[it->producer] = it->seq + 1;
    unsigned char *count = &c->seen[c->offset[it->producer] + it->seq];
    if (*count < 255)
        (*count)++;
    c->received++;
}

static void *consume(void *arg)
{
    consumer *c = arg;
    item batch[MAX_BATCH];
    for (;;) {
        size_t max = 1;
        if (c->mode == POP_MANY_FIXED)
            max = c->batch;
        else if (c->mode == POP_MANY_RANDOM || c->mode == POP_MANY_UNTIL)
            max = random_between(&c->rng, 1, MAX_BATCH);
        size_t n;
        if (c->mode == POP_ONE) {
            n = (size_t)np_queue_pop(c->q, &batch[0]);
        } else if (c->mode == POP_MANY_UNTIL) {
            long long wait_ns = (long long)random_between(&c->rng, 0, MAX_DEADLINE_US) * 1000;
            struct timespec deadline = np_clock_deadline_after_ns(wait_ns);
            int timed_out = -1;
            n = np_queue_pop_many_until(c->q, batch, max, &deadline, &timed_out);
            if (timed_out != 0 && (n > 0 || timed_out != 1))
                c->bad_timeout = 1;
            if (n == 0 && timed_out == 1) {
                c->timeouts++;
                continue; /* nothing yet: not the end */
            }
        } else {
            n = np_queue_pop_many(c->q, batch, max);
        }
        if (n == 0)
            break;
        if (n > max) {
            c->bad_count = 1;
            n = max;
        }
        for (size_t i = 0; i < n; i++)
            record(c, &batch[i]);
    }
    /* Closed and drained is final. */
    if (np_queue_pop(c->q, &batch[0]) != 0 || np_queue_pop_many(c->q, batch, MAX_BATCH) != 0)
        c->drained_not_kept = 1;
    return NULL;
}

/*
 * Aborts the process, naming the round's seed, if a round runs for longer than
 * WATCHDOG_SECONDS: a lost wake-up would otherwise hang until the ctest timeout, seedless.
 */
typedef struct watchdog {
    pthread_mutex_t mutex;
    pthread_cond_t changed; /* on CLOCK_MONOTONIC */
    uint64_t seed;
    long long deadline_ns; /* 0 when no round is running */
    int stop;
} watchdog;

static void *watch(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->mutex);
    while (!w->stop) {
        long long now = np_clock_now_ns();
        if (w->deadline_ns && now > w->deadline_ns) {
            fprintf(stderr,
                    "queue_stress: round with seed 0x%016" PRIx64 " still running after %d s "
                    "(a lost wake-up?); rerun with NP_QUEUE_STRESS_SEED=0x%016" PRIx64 "\n",
                    w->seed, WATCHDOG_SECONDS, w->seed);
            abort();
        }
        long long wait_ns = w->deadline_ns ? w->deadline_ns - now + 1000000 : 1000000000LL;
        struct timespec until = np_clock_deadline_after_ns(wait_ns);
        pthread_cond_timedwait(&w->changed, &w->mutex, &until);
    }
    pthread_mutex_unlock(&w->mutex);
    return NULL;
}

static void watchdog_set(watchdog *w, uint64_t seed, long long deadline_ns, int stop)
{
    pthread_mutex_lock(&w->mutex);
    w->seed = seed;
    w->deadline_ns = deadline_ns;
    w->stop = stop;
    pthread_cond_signal(&w->changed);
    pthread_mutex_unlock(&w->mutex);
}

static void watchdog_start(watchdog *w, pthread_t *thread)
{
    pthread_condattr_t attr;
    assert_int_equal(pthread_condattr_init(&attr), 0);
    assert_int_equal(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), 0);
    assert_int_equal(pthread_mutex_init(&w->mutex, NULL), 0);
    assert_int_equal(pthread_cond_init(&w->changed, &attr), 0);
    pthread_condattr_destroy(&attr);
    w->seed = 0;
    w->deadline_ns = 0;
    w->stop = 0;
    assert_int_equal(pthread_create(thread, NULL, watch, w), 0);
}

static void watchdog_stop(watchdog *w, pthread_t thread)
{
    watchdog_set(w, 0, 0, 1);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->mutex);
}

typedef enum close_mode { CLOSE_AFTER_JOIN, CLOSE_WHILE_PUSHING } close_mode;

/* Sleeps about us microseconds, to let other threads run. */
static void pause_us(long us)
{
    struct timespec t = {.tv_sec = 0, .tv_nsec = us * 1000L};
    nanosleep(&t, NULL);
}

/*
 * Records the first expectation of a round that does not hold. A round never fails half-way:
 * it always closes the queue, joins its threads and frees its memory, then reports.
 */
#define EXPECT(condition)                                                                          \
    do {                                                                                           \
        if (!failure && !(condition))                                                              \
            failure = #condition;                                                                  \
    } while (0)

/* Runs one round; returns NULL when every expectation held, else the first that did not. */
static const char *run_round(uint64_t seed, close_mode mode)
{
    const char *failure = NULL;
    uint64_t rng = seed;
    size_t capacity = random_between(&rng, 1, MAX_CAPACITY);
    size_t producers = random_between(&rng, 1, MAX_PRODUCERS);
    size_t per_producer_max = MAX_ITEMS_ROUND / producers;
    if (per_producer_max > MAX_ITEMS_PRODUCER)
        per_producer_max = MAX_ITEMS_PRODUCER;
    size_t consumers = random_between(&rng, 0, 3) == 0 ? random_between(&rng, 2, MAX_CONSUMERS) : 1;

    np_queue *q = np_queue_create(capacity, sizeof(item));
    size_t *offset = calloc(producers + 1, sizeof(*offset));
    producer *prod = calloc(producers, sizeof(*prod));
    pthread_t *prod_threads = calloc(producers, sizeof(*prod_threads));
    consumer cons[MAX_CONSUMERS] = {0};
    pthread_t cons_threads[MAX_CONSUMERS];
    atomic_size_t total_pushed;
    atomic_init(&total_pushed, 0);
    if (!q || !offset || !prod || !prod_threads) {
        failure = "out of memory setting up the round";
        goto out;
    }
    for (size_t p = 0; p < producers; p++) {
        /* Zero items now and then: a producer that never pushes must not upset anything. */
        uint32_t items = (uint32_t)random_between(&rng, 0, per_producer_max);
        size_t batch_max = random_between(&rng, 0, 1) ? random_between(&rng, 1, 2 * capacity) : 0;
        prod[p] = (producer){.q = q,
                             .index = (uint32_t)p,
                             .items = items,
                             .batch_max = batch_max,
                             .rng = next_random(&rng),
                             .total_pushed = &total_pushed};
        offset[p + 1] = offset[p] + items;
    }
    size_t total = offset[producers];
    for (size_t c = 0; c < consumers; c++) {
        cons[c] = (consumer){.q = q,
                             .mode = (pop_mode)random_between(&rng, 0, POP_MODE_COUNT - 1),
                             .batch = random_between(&rng, 1, MAX_BATCH),
                             .rng = next_random(&rng),
                             .offset = offset,
                             .producers = producers,
                             .seen = calloc(total ? total : 1, 1),
                             .next_seq = calloc(producers, sizeof(uint32_t))};
        if (!cons[c].seen || !cons[c].next_seq) {
            failure = "out of memory setting up the round";
            goto out;
        }
    }
    /* When to close, for CLOSE_WHILE_PUSHING: after this many successful pushes. */
    size_t close_after = random_between(&rng, 0, 3) == 0 ? 0 : random_between(&rng, 0, total);
    /* Now and then consumers that drained the queue wait for a batch (as the collector does in a
     * flood of results); set before any thread starts, or, in a third of those rounds, while they
     * run. */
    size_t consumer_batch = random_between(&rng, 0, 2) == 0 ? random_between(&rng, 1, capacity) : 1;
    int batch_set_late = random_between(&rng, 0, 2) == 0;
    if (!batch_set_late)
        np_queue_set_consumer_batch(q, consumer_batch);

    pthread_attr_t attr;
    size_t cons_started = 0, prod_started = 0;
    EXPECT(pthread_attr_init(&attr) == 0);
    EXPECT(pthread_attr_setstacksize(&attr, np_thread_stack_size(THREAD_STACK)) == 0);
    while (!failure && cons_started < consumers) {
        EXPECT(pthread_create(&cons_threads[cons_started], &attr, consume, &cons[cons_started]) ==
               0);
        cons_started += !failure;
    }
    while (!failure && prod_started < producers) {
        EXPECT(pthread_create(&prod_threads[prod_started], &attr, produce, &prod[prod_started]) ==
               0);
        prod_started += !failure;
    }
    pthread_attr_destroy(&attr);
    if (batch_set_late)
        np_queue_set_consumer_batch(q, consumer_batch);

    if (mode == CLOSE_WHILE_PUSHING && !failure) {
        /* Producers are running and consumers draining, so the count does get there. */
        while (atomic_load(&total_pushed) < close_after)
            pause_us(20);
        np_queue_close(q);
    }
    if (failure)
        np_queue_close(q); /* some thread did not start: unblock the others */
    for (size_t p = 0; p < prod_started; p++)
        pthread_join(prod_threads[p], NULL);
    np_queue_close(q); /* CLOSE_AFTER_JOIN; a repeat close is harmless otherwise */
    for (size_t c = 0; c < cons_started; c++)
        pthread_join(cons_threads[c], NULL);
    if (failure)
        goto out;

    /* Every thread is joined: everything they wrote is visible here. */
    size_t accepted = 0;
    for (size_t p = 0; p < producers; p++) {
        EXPECT(!prod[p].bad_result);
        EXPECT(!prod[p].push_after_fail);
        if (mode == CLOSE_AFTER_JOIN)
            EXPECT(prod[p].pushed == prod[p].items);
        accepted += prod[p].pushed;
    }
    if (mode == CLOSE_WHILE_PUSHING)
        EXPECT(accepted >= close_after);
    size_t received = 0;
    for (size_t c = 0; c < consumers; c++) {
        EXPECT(!cons[c].corrupt);
        EXPECT(!cons[c].out_of_order);
        EXPECT(!cons[c].bad_count);
        EXPECT(!cons[c].bad_timeout);
        EXPECT(!cons[c].drained_not_kept);
        received += cons[c].received;
    }
    EXPECT(received == accepted);
    for (size_t p = 0; p < producers && !failure; p++) {
        for (size_t s = 0; s < prod[p].items; s++) {
            size_t arrivals = 0;
            for (size_t c = 0; c < consumers; c++)
                arrivals += cons[c].seen[offset[p] + s];
            if (s < prod[p].pushed)
                EXPECT(arrivals == 1); /* accepted: exactly once */
            else
                EXPECT(arrivals == 0); /* refused: never */
        }
    }
    EXPECT(np_queue_max_depth(q) <= capacity);
    item it;
    EXPECT(np_queue_pop(q, &it) == 0);

out:
    for (size_t c = 0; c < consumers; c++) {
        free(cons[c].seen);
        free(cons[c].next_seq);
    }
    free(prod_threads);
    free(prod);
    free(offset);
    np_queue_destroy(q);
    return failure;
}

/* A number from the environment (decimal or 0x hex), or fallback when unset or malformed. */
static uint64_t env_number(const char *name, uint64_t fallback)
{
    const char *text = getenv(name);
    if (!text || !*text)
        return fallback;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 0);
    return errno == 0 && *end == '\0' ? (uint64_t)value : fallback;
}

static void run_rounds(close_mode mode)
{
    watchdog w;
    pthread_t watcher;
    watchdog_start(&w, &watcher);
    uint64_t one_seed = env_number("NP_QUEUE_STRESS_SEED", 0);
    uint64_t rounds = one_seed ? 1 : env_number("NP_QUEUE_STRESS_ROUNDS", ROUNDS);
    for (uint64_t r = 0; r < rounds; r++) {
        /* Distinct seeds per round and per kind of round, the same on every run. */
        uint64_t state = base_seed ^ ((uint64_t)mode << 32) ^ r;
        uint64_t seed = one_seed ? one_seed : next_random(&state);
        watchdog_set(&w, seed, np_clock_now_ns() + WATCHDOG_SECONDS * 1000000000LL, 0);
        const char *failure = run_round(seed, mode);
        if (failure) {
            watchdog_stop(&w, watcher);
            print_error("queue_stress: round %" PRIu64 " (seed 0x%016" PRIx64 ") failed: %s\n"
                        "queue_stress: rerun it with NP_QUEUE_STRESS_SEED=0x%016" PRIx64 "\n",
                        r, seed, failure, seed);
            fail();
        }
    }
    watchdog_stop(&w, watcher);
}

static void test_closed_after_producers_every_item_arrives_exactly_once(void **state)
{
    (void)state;
    run_rounds(CLOSE_AFTER_JOIN);
}

static void test_closed_while_pushing_exactly_the_accepted_items_arrive(void **state)
{
    (void)state;
    run_rounds(CLOSE_WHILE_PUSHING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_after_producers_every_item_arrives_exactly_once),
        cmocka_unit_test(test_closed_while_pushing_exactly_the_accepted_items_arrive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

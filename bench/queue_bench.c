/*
 * Microbenchmark of the bounded queue (src/queue.c): messages per second from P producers to one
 * consumer, for P in {1, 8, 64} and capacities 16 and 1024, the latter also with a consumer that,
 * having drained the queue, waits for half of it (as the collector does in bulk runs). Built and
 * run by bench/queue_bench.sh; not part of the CMake build or the test suite.
 *
 * Design: each message is a 64-byte item (about the size of a small result record: ids, a few
 * numbers, a pointer or two), pushed with np_queue_push; the one consumer takes them with
 * np_queue_pop_many in batches of up to BATCH. All threads start together at a barrier;
 * producers push for SECONDS, then stop, the queue is closed and drained, and the rate is the
 * messages received over the time from the barrier to the consumer's last message. A fixed
 * duration, not a fixed count, keeps slow configurations (64 producers on 16 slots) from taking
 * minutes. The consumer checks that every producer's messages arrive in order with none missing
 * or repeated, and that it received exactly what was pushed, so a fast but broken queue cannot
 * post a good number. Each configuration runs RUNS times; the median is reported, with two
 * numbers that depend less on other load on the machine than the rate does: CPU time (user +
 * system, all threads) per message and context switches per 1,000 messages, from getrusage.
 *
 * On the shared 2-core development VM the rate is bimodal from one process to the next (at 8
 * producers and capacity 1024, about 3 or about 10-15 M msg/s, for the same code): in the slow
 * mode the queue is rarely full and the producers convoy on the mutex through futex calls (high
 * CPU ns/msg); in the fast mode they park on not_full and the mutex is rarely contended. Run it
 * more than once, on a quiet machine, before comparing two versions.
 *
 * Usage: queue_bench [SECONDS [RUNS]]   (defaults: 0.4 s per run, 5 runs)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "np/clock.h"
#include "np/queue.h"
#include "np/thread_stack.h"

enum { BATCH = 256, MAX_RUNS = 15, THREAD_STACK = 64 * 1024 };

/* 64 bytes: the producer, its sequence number, and a payload standing in for result fields. */
typedef struct message {
    uint32_t producer;
    uint32_t pad;
    uint64_t seq;
    unsigned char payload[48];
} message;

_Static_assert(sizeof(message) == 64, "a message is 64 bytes");

typedef struct bench {
    np_queue *q;
    pthread_barrier_t start;
    size_t producers;
    atomic_int stop; /* set by main when the time is up */
} bench;

typedef struct producer_arg {
    bench *b;
    uint32_t index;
    uint64_t pushed;
    int failed;
} producer_arg;

static void *produce(void *arg)
{
    producer_arg *p = arg;
    message m;
    memset(&m, 0, sizeof(m));
    m.producer = p->index;
    pthread_barrier_wait(&p->b->start);
    uint64_t i = 0;
    while (!atomic_load_explicit(&p->b->stop, memory_order_relaxed)) {
        m.seq = i;
        m.payload[0] = (unsigned char)i;
        if (np_queue_push(p->b->q, &m, NULL) != 0) {
            p->failed = 1;
            break;
        }
        i++;
    }
    p->pushed = i;
    return NULL;
}

typedef struct consumer_arg {
    bench *b;
    uint64_t received;
    uint64_t *next_seq; /* per producer: the seq expected next */
    int disorder;       /* a message was missing, repeated or out of order */
    long long end_ns;   /* when the last message arrived */
} consumer_arg;

static void *consume(void *arg)
{
    consumer_arg *c = arg;
    static const size_t batch_bytes = BATCH * sizeof(message);
    message *batch = malloc(batch_bytes);
    if (!batch)
        return NULL;
    pthread_barrier_wait(&c->b->start);
    size_t n;
    while ((n = np_queue_pop_many(c->b->q, batch, BATCH)) > 0) {
        for (size_t i = 0; i < n; i++) {
            uint32_t p = batch[i].producer;
            if (p >= c->b->producers || batch[i].seq != c->next_seq[p])
                c->disorder = 1;
            else
                c->next_seq[p]++;
        }
        c->received += n;
        c->end_ns = np_clock_now_ns();
    }
    free(batch);
    return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct run_result {
    double rate;           /* messages per second; negative if anything went wrong */
    double cpu_ns;         /* CPU time per message */
    double switches_per_k; /* context switches per 1,000 messages */
} run_result;

static double cpu_seconds(const struct rusage *u)
{
    return (double)u->ru_utime.tv_sec + (double)u->ru_utime.tv_usec / 1e6 +
           (double)u->ru_stime.tv_sec + (double)u->ru_stime.tv_usec / 1e6;
}

/* One run of one configuration. */
static run_result run_once(size_t producers, size_t capacity, size_t consumer_batch,
                           double duration)
{
    bench b = {.producers = producers};
    atomic_init(&b.stop, 0);
    b.q = np_queue_create(capacity, sizeof(message));
    if (b.q)
        np_queue_set_consumer_batch(b.q, consumer_batch);
    producer_arg *args = calloc(producers, sizeof(*args));
    pthread_t *threads = calloc(producers, sizeof(*threads));
    consumer_arg c = {.b = &b, .next_seq = calloc(producers, sizeof(uint64_t))};
    if (!b.q || !args || !threads || !c.next_seq ||
        pthread_barrier_init(&b.start, NULL, (unsigned)producers + 2) != 0) {
        fprintf(stderr, "queue_bench: out of memory\n");
        exit(1);
    }
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0 ||
        pthread_attr_setstacksize(&attr, np_thread_stack_size(THREAD_STACK)) != 0) {
        fprintf(stderr, "queue_bench: cannot set up thread attributes\n");
        exit(1);
    }
    pthread_t consumer;
    if (pthread_create(&consumer, &attr, consume, &c) != 0) {
        fprintf(stderr, "queue_bench: cannot start the consumer\n");
        exit(1);
    }
    for (size_t i = 0; i < producers; i++) {
        args[i] = (producer_arg){.b = &b, .index = (uint32_t)i};
        if (pthread_create(&threads[i], &attr, produce, &args[i]) != 0) {
            fprintf(stderr, "queue_bench: cannot start producer %zu\n", i);
            exit(1);
        }
    }
    pthread_attr_destroy(&attr);
    struct rusage before, after;
    pthread_barrier_wait(&b.start);
    long long start_ns = np_clock_now_ns();
    getrusage(RUSAGE_SELF, &before);
    struct timespec nap = {.tv_sec = (time_t)duration,
                           .tv_nsec = (long)((duration - (double)(time_t)duration) * 1e9)};
    nanosleep(&nap, NULL);
    atomic_store(&b.stop, 1);
    int ok = 1;
    uint64_t pushed = 0;
    for (size_t i = 0; i < producers; i++) {
        pthread_join(threads[i], NULL);
        ok = ok && !args[i].failed;
        pushed += args[i].pushed;
    }
    np_queue_close(b.q);
    pthread_join(consumer, NULL);
    getrusage(RUSAGE_SELF, &after);

    /* Every producer's messages 0..pushed-1 arrived, each once, in order. */
    ok = ok && !c.disorder && c.received == pushed && c.end_ns > start_ns;
    for (size_t i = 0; i < producers; i++)
        ok = ok && c.next_seq[i] == args[i].pushed;
    double seconds = (double)(c.end_ns - start_ns) / 1e9;

    pthread_barrier_destroy(&b.start);
    np_queue_destroy(b.q);
    free(c.next_seq);
    free(threads);
    free(args);
    double received = c.received > 0 ? (double)c.received : 1.0;
    run_result result = {
        .rate = ok ? (double)c.received / seconds : -1.0,
        .cpu_ns = (cpu_seconds(&after) - cpu_seconds(&before)) * 1e9 / received,
        .switches_per_k =
            (double)(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) *
            1000.0 / received,
    };
    return result;
}

/* The median of n values (sorts them). */
static double median(double *values, long n)
{
    qsort(values, (size_t)n, sizeof(*values), compare_doubles);
    return values[n / 2];
}

int main(int argc, char **argv)
{
    double duration = 0.4;
    long runs = 5;
    int bad = 0;
    char *end;
    if (argc > 1) {
        duration = strtod(argv[1], &end);
        bad |= *end != '\0';
    }
    if (argc > 2) {
        runs = strtol(argv[2], &end, 10);
        bad |= *end != '\0';
    }
    if (bad || !(duration >= 0.01 && duration <= 60) || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: queue_bench [SECONDS 0.01..60 [RUNS 1..%d]]\n", MAX_RUNS);
        return 2;
    }
    static const size_t producer_counts[] = {1, 8, 64};
    /* Capacities, and how many messages the consumer waits for once it has drained the queue:
     * 1 as a rule, half the queue as the collector does in a flood (np_queue_set_consumer_batch,
     * src/pipeline.c). */
    static const struct {
        size_t capacity, consumer_batch;
    } shapes[] = {{16, 1}, {1024, 1}, {1024, 512}};
    printf("np_queue: %zu-byte messages, 1 consumer (np_queue_pop_many, batch %d), "
           "%.2f s per run, median of %ld runs\n",
           sizeof(message), BATCH, duration, runs);
    printf("%9s %9s %9s %9s %9s %9s %13s %13s\n", "producers", "capacity", "waits for", "M msg/s",
           "min", "max", "CPU ns/msg", "ctxsw/1k msg");
    int failed = 0;
    for (size_t pi = 0; pi < sizeof(producer_counts) / sizeof(*producer_counts); pi++) {
        for (size_t si = 0; si < sizeof(shapes) / sizeof(*shapes); si++) {
            double rates[MAX_RUNS], cpu[MAX_RUNS], switches[MAX_RUNS];
            for (long r = 0; r < runs; r++) {
                run_result result = run_once(producer_counts[pi], shapes[si].capacity,
                                             shapes[si].consumer_batch, duration);
                failed |= result.rate < 0;
                rates[r] = result.rate;
                cpu[r] = result.cpu_ns;
                switches[r] = result.switches_per_k;
            }
            double rate = median(rates, runs); /* sorts rates: min and max are at the ends */
            printf("%9zu %9zu %9zu %9.2f %9.2f %9.2f %13.0f %13.1f\n", producer_counts[pi],
                   shapes[si].capacity, shapes[si].consumer_batch, rate / 1e6, rates[0] / 1e6,
                   rates[runs - 1] / 1e6, median(cpu, runs), median(switches, runs));
            fflush(stdout);
        }
    }
    if (failed) {
        fprintf(stderr, "queue_bench: messages were lost or duplicated\n");
        return 1;
    }
    return 0;
}

/*
 * floor: the physical floor of thread-per-article on this machine (not a test).
 *
 *     floor [--latency MIN:MAX] [--seed N] [--glibc-stacks] [--creators 2] ARTICLES.json
 *
 * runs the schedule news-processor's thread mode runs, with nothing else: the same articles (read
 * with the same loader), the same drawn latencies (np_llm_latency_ms, checked against
 * np_process_ideal_ms), one pthread per article created in input order by one thread, each just
 * sleeping its two latencies (clock_nanosleep, timer slack 1 ns as the pipeline sets it), then
 * joined. Stacks are the program's own: one mapping made before the clock starts, a guard page
 * below each stack installed once (MADV_GUARD_INSTALL, else mprotect), reused after a join; with
 * --glibc-stacks, glibc's own (pthread_attr_setstacksize), for comparison.
 *
 * At most SLOTS threads are alive at once: when they are all taken (or the system refuses a
 * thread) the oldest one is joined and its stack reused. The rest are joined in creation order
 * after the last one started. With --creators 2 the main thread and a second one share the work
 * on the two cores: the first creates (and joins) the threads of articles 0, 2, 4, ..., the
 * second those of 1, 3, 5, ..., each in input order with half the slots: a lower floor, which
 * news-processor's one dispatcher does not reach (measured, not a target).
 *
 * Prints one line of key=value pairs: articles, ideal_ms (the largest per-article latency sum:
 * the critical path), wall_ms (first create to last join), per_article_us = (wall - ideal) /
 * articles, and the process's user and system CPU so far (getrusage), in ms.
 *
 * Exit status: 0 on success, 1 when the input does not load or a thread cannot start, 2 on bad
 * arguments.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "np/llm.h"
#include "np/loader.h"
#include "np/pipeline.h"
#include "np/process.h"
#include "np/thread_stack.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13; Debian 12's headers predate it */
#endif

/* Most threads alive at once (kernel.pid_max is 32768 here, shared with everything else). */
#define SLOTS 16384

typedef struct sleeper {
    struct timespec first, second;
} sleeper;

static void *sleep_twice(void *arg)
{
    const sleeper *s = arg;
    if (s->first.tv_sec || s->first.tv_nsec)
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &s->first, NULL) == EINTR)
            continue;
    if (s->second.tv_sec || s->second.tv_nsec)
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &s->second, NULL) == EINTR)
            continue;
    return NULL;
}

/* One creator's share: articles first, first + step, ... < n, on `slots` stacks from `stacks`
 * (NULL: glibc's), created in that order and joined. */
typedef struct plan {
    sleeper *sleepers;
    pthread_t *threads;
    size_t n, first, step;
    unsigned char *stacks;
    size_t slots, stride, page, stack_size;
    pthread_attr_t *attr;
    int failed;
} plan;

static void *create_and_join(void *arg)
{
    plan *p = arg;
    size_t started = 0, joined = 0; /* counted in this creator's articles */
    for (size_t i = p->first; i < p->n; i += p->step, started++) {
        for (;;) {
            /* The slot of this creator's k-th article is k % slots: its oldest thread held it. */
            if (started - joined >= p->slots)
                pthread_join(p->threads[p->first + p->step * joined++], NULL);
            if (p->stacks)
                pthread_attr_setstack(
                    p->attr, p->stacks + (started % p->slots) * p->stride + p->page, p->stack_size);
            int e = pthread_create(&p->threads[i], p->attr, sleep_twice, &p->sleepers[i]);
            if (!e)
                break;
            if (joined == started) {
                fprintf(stderr, "floor: pthread_create: %s\n", strerror(e));
                p->failed = 1;
                return NULL;
            }
            pthread_join(p->threads[p->first + p->step * joined++], NULL);
        }
    }
    while (joined < started)
        pthread_join(p->threads[p->first + p->step * joined++], NULL);
    return NULL;
}

static struct timespec from_ms(uint32_t ms)
{
    return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int parse_latency(const char *s, uint32_t *min, uint32_t *max)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (*end == ':')
        b = strtoul(end + 1, &end, 10);
    if (*end || a > b || b > NP_LATENCY_MAX_MS)
        return -1;
    *min = (uint32_t)a;
    *max = (uint32_t)b;
    return 0;
}

int main(int argc, char **argv)
{
    np_process_config process = {
        .seed = 1, .latency_min_ms = 500, .latency_max_ms = 1500, .retries = 2};
    int glibc_stacks = 0;
    int creators = 1;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--latency") && i + 1 < argc) {
            if (parse_latency(argv[++i], &process.latency_min_ms, &process.latency_max_ms)) {
                fprintf(stderr, "floor: bad --latency %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            process.seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--creators") && i + 1 < argc) {
            creators = atoi(argv[++i]);
            if (creators != 1 && creators != 2) {
                fprintf(stderr, "floor: --creators is 1 or 2\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--glibc-stacks")) {
            glibc_stacks = 1;
        } else if (!path && argv[i][0] != '-') {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: floor [--latency MIN:MAX] [--seed N] [--glibc-stacks] "
                            "[--creators 2] FILE\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(
            stderr,
            "usage: floor [--latency MIN:MAX] [--seed N] [--glibc-stacks] [--creators 2] FILE\n");
        return 2;
    }
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    if (np_loader_load_file(path, &list, err, sizeof(err)) != 0) {
        fprintf(stderr, "floor: %s\n", err);
        return 1;
    }
    size_t n = list.count;
    sleeper *sleepers = calloc(n ? n : 1, sizeof(*sleepers));
    pthread_t *threads = calloc(n ? n : 1, sizeof(*threads));
    if (!sleepers || !threads) {
        fprintf(stderr, "floor: out of memory\n");
        return 1;
    }
    uint64_t ideal = 0;
    for (size_t i = 0; i < n; i++) {
        const np_id *id = &list.items[i].id;
        uint32_t a = np_llm_latency_ms(process.seed, id, NP_STAGE_SUMMARIZATION, 0,
                                       process.latency_min_ms, process.latency_max_ms);
        uint32_t b = np_llm_latency_ms(process.seed, id, NP_STAGE_SENTIMENT, 0,
                                       process.latency_min_ms, process.latency_max_ms);
        if (np_process_ideal_ms(&list.items[i], &process) != (uint64_t)a + b) {
            fprintf(stderr, "floor: article %zu: schedule differs from np_process_ideal_ms\n", i);
            return 1;
        }
        sleepers[i] = (sleeper){from_ms(a), from_ms(b)};
        if (a + b > ideal)
            ideal = a + b;
    }

    size_t slots = n < SLOTS ? n : SLOTS;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t stack_size = np_thread_stack_size(NP_THREAD_STACK_SIZE);
    stack_size = (stack_size + page - 1) / page * page;
    size_t stride = stack_size + page; /* a guard page below each stack */
    unsigned char *stacks = NULL;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (!glibc_stacks && slots > 0) {
        stacks = mmap(NULL, slots * stride, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (stacks == MAP_FAILED) {
            perror("floor: mmap");
            return 1;
        }
        /* Guard pages once, before the clock starts: a marker in the page table where the kernel
         * has them (no extra mapping), else a PROT_NONE page. */
        int markers = madvise(stacks, page, MADV_GUARD_INSTALL) == 0;
        for (size_t i = 0; i < slots; i++)
            (void)(markers ? madvise(stacks + i * stride, page, MADV_GUARD_INSTALL)
                           : mprotect(stacks + i * stride, page, PROT_NONE));
    } else {
        pthread_attr_setstacksize(&attr, stack_size);
    }
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    plan whole = {.sleepers = sleepers,
                  .threads = threads,
                  .n = n,
                  .step = 1,
                  .stacks = stacks,
                  .slots = slots,
                  .stride = stride,
                  .page = page,
                  .stack_size = stack_size,
                  .attr = &attr};
    plan halves[2] = {whole, whole};
    pthread_attr_t second_attr;
    pthread_t second;
    if (creators == 2) {
        pthread_attr_init(&second_attr);
        if (glibc_stacks)
            pthread_attr_setstacksize(&second_attr, stack_size);
        for (size_t k = 0; k < 2; k++) {
            halves[k].first = k;
            halves[k].step = 2;
            halves[k].slots = slots / 2 > 0 ? slots / 2 : 1;
            halves[k].stacks = stacks ? stacks + k * halves[0].slots * stride : NULL;
        }
        halves[1].attr = &second_attr;
    }
    double start = now_ms();
    if (creators == 2) {
        if (pthread_create(&second, NULL, create_and_join, &halves[1]) != 0) {
            fprintf(stderr, "floor: cannot start the second creator\n");
            return 1;
        }
        create_and_join(&halves[0]);
        pthread_join(second, NULL);
    } else {
        create_and_join(&whole);
    }
    double wall = now_ms() - start;
    if (creators == 2)
        pthread_attr_destroy(&second_attr);
    if (whole.failed || halves[0].failed || halves[1].failed)
        return 1;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("articles=%zu ideal_ms=%llu wall_ms=%.3f per_article_us=%.2f user_ms=%.1f "
           "sys_ms=%.1f\n",
           n, (unsigned long long)ideal, wall,
           n ? (wall - (double)ideal) * 1000.0 / (double)n : 0.0,
           (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3,
           (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3);
    pthread_attr_destroy(&attr);
    if (stacks)
        munmap(stacks, slots * stride);
    free(sleepers);
    free(threads);
    np_article_list_free(&list);
    return 0;
}

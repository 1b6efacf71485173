/*
 * The ideal schedule: when a run would end if scheduling cost nothing -- the critical path the
 * report compares the wall time with. Built article by article, in input order, by the
 * dispatcher alone (not thread-safe):
 *   thread      every article starts at once: the largest per-article time;
 *   pool        each article goes to whichever worker frees first: the makespan (a min-heap of
 *               the workers' free times);
 *   sequential  one after another: the sum.
 */
#ifndef NP_IDEAL_H
#define NP_IDEAL_H

#include <stddef.h>
#include <stdint.h>

#include "np/pipeline.h"

/* Members are the module's own. */
typedef struct np_ideal {
    np_mode mode;
    uint64_t longest; /* thread mode: the largest per-article ideal */
    uint64_t total;   /* sequential mode: the sum */
    uint64_t retired; /* pool mode: the latest free time of a worker retired from the heap */
    uint64_t *heap;   /* pool mode: the workers' free times, a min-heap */
    size_t workers;
} np_ideal;

/* Sets s up for mode with workers (pool mode; 0 means 1). Returns 0, or -1 when out of memory (err
 * says so). */
int np_ideal_init(np_ideal *s, np_mode mode, size_t workers, char *err, size_t err_size);

/* Before the first article: only `workers` of them really run (the system refused the rest). */
void np_ideal_set_workers(np_ideal *s, size_t workers);

/* Adds an article taking ideal_ms, in input order. */
void np_ideal_add(np_ideal *s, uint64_t ideal_ms);

/* Pool mode: one worker stops taking articles (the one that frees last; it finishes its own). */
void np_ideal_retire_worker(np_ideal *s);

/* The ideal schedule's finish time, in ms. */
uint64_t np_ideal_finish(const np_ideal *s);

/* Thread mode: adds what another dispatcher's schedule of other articles holds to s. */
void np_ideal_merge(np_ideal *s, const np_ideal *other);

void np_ideal_free(np_ideal *s);

#endif

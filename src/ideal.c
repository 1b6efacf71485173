/*
 * The ideal schedule (see include/np/ideal.h): O(1) per article in thread and sequential mode,
 * O(log workers) in pool mode. Dispatcher only.
 */
#include "np/ideal.h"

#include <stdio.h>
#include <stdlib.h>

static void swap(uint64_t *a, uint64_t *b)
{
    uint64_t tmp = *a;
    *a = *b;
    *b = tmp;
}

static void sift_down(uint64_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t smallest = i, left = 2 * i + 1, right = left + 1;
        if (left < n && heap[left] < heap[smallest])
            smallest = left;
        if (right < n && heap[right] < heap[smallest])
            smallest = right;
        if (smallest == i)
            return;
        swap(&heap[i], &heap[smallest]);
        i = smallest;
    }
}

int np_ideal_init(np_ideal *s, np_mode mode, size_t workers, char *err, size_t err_size)
{
    *s = (np_ideal){.mode = mode};
    if (mode != NP_MODE_POOL)
        return 0;
    s->workers = workers ? workers : 1;
    s->heap = calloc(s->workers, sizeof(*s->heap));
    if (!s->heap) {
        snprintf(err, err_size, "out of memory setting up %zu workers", s->workers);
        return -1;
    }
    return 0;
}

void np_ideal_set_workers(np_ideal *s, size_t workers)
{
    /* Every free time is still 0: any prefix is a heap. */
    if (workers < s->workers)
        s->workers = workers;
}

void np_ideal_add(np_ideal *s, uint64_t ideal_ms)
{
    if (ideal_ms > s->longest)
        s->longest = ideal_ms;
    s->total += ideal_ms;
    if (s->heap && s->workers > 0) {
        /* The worker that frees first takes the next article. */
        s->heap[0] += ideal_ms;
        sift_down(s->heap, s->workers, 0);
    }
}

void np_ideal_retire_worker(np_ideal *s)
{
    if (!s->heap || s->workers <= 1)
        return;
    /* The latest free time is at a leaf; the last element takes its place, where it can only
     * need to move up. */
    size_t n = s->workers, last = n / 2;
    for (size_t i = n / 2; i < n; i++)
        if (s->heap[i] > s->heap[last])
            last = i;
    if (s->heap[last] > s->retired)
        s->retired = s->heap[last];
    s->heap[last] = s->heap[n - 1];
    s->workers = n - 1;
    for (size_t i = last; i > 0 && s->heap[(i - 1) / 2] > s->heap[i]; i = (i - 1) / 2)
        swap(&s->heap[i], &s->heap[(i - 1) / 2]);
}

uint64_t np_ideal_finish(const np_ideal *s)
{
    if (s->mode == NP_MODE_SEQUENTIAL)
        return s->total;
    if (s->mode == NP_MODE_POOL && s->heap) {
        uint64_t finish = s->retired;
        for (size_t i = 0; i < s->workers; i++)
            if (s->heap[i] > finish)
                finish = s->heap[i];
        return finish;
    }
    return s->longest;
}

void np_ideal_merge(np_ideal *s, const np_ideal *other)
{
    if (other->longest > s->longest)
        s->longest = other->longest;
    s->total += other->total;
}

void np_ideal_free(np_ideal *s)
{
    free(s->heap);
    s->heap = NULL;
}

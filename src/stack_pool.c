/*
 * The stack pool: thread stacks mapped in chunks and reused, so that a thread's start and end
 * touch no mapping (see include/np/stack_pool.h for why).
 *
 * Layout: a chunk is one anonymous mapping of `count` slots; a slot is a guard page followed by
 * a stack (stacks grow down, so the guard sits below). The guard is a page-table marker
 * (MADV_GUARD_INSTALL, Linux 6.13), which does not split the mapping, where the kernel has it,
 * else a PROT_NONE page (mprotect, one more mapping per stack, as glibc does). Either way it is
 * installed once, when the chunk is mapped. Transparent huge pages are turned off for chunks: a
 * thread touches a few pages of its stack, and a 2 MiB page per fault would multiply both the
 * memory and the time to clear it.
 *
 * Bookkeeping: each chunk keeps the indices of its free slots as a LIFO (the stack freed last,
 * whose pages are resident and in cache, is reused first) in a header at the start of its own
 * mapping, so that taking and giving back stacks never calls malloc (the pipeline counts on its
 * dispatcher's allocations being the article's own); chunks with a free slot are on a doubly
 * linked list, most recently freed-into first; all chunks sit in an array sorted by address
 * (sized for INITIAL_CHUNKS at creation, grown rarely), so a released stack finds its chunk by
 * binary search. Chunks grow from
 * FIRST_CHUNK_STACKS to MAX_CHUNK_STACKS stacks, doubling, and a refused mapping is retried at
 * half the size down to one stack before ENOMEM is returned.
 *
 * Invariants: in_use + free_stacks == the slots of all chunks; a chunk is on the free list iff
 * free_count > 0; a chunk with free_count == count and free_stacks beyond the cache bound is
 * unmapped at once. Single-threaded by contract (the dispatcher's).
 */
#include "np/stack_pool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "np/thread_stack.h"

/* Linux 6.13's guard markers, which Debian 12's headers predate. */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define FIRST_CHUNK_STACKS 16
#define MAX_CHUNK_STACKS   256
#define INITIAL_CHUNKS     64 /* 16 + 32 + ... + 256 * 60 stacks before the array grows */

/* The header at the start of a chunk's mapping; the slots follow it, page-aligned. */
typedef struct chunk {
    unsigned char *base; /* the first slot: count * stride bytes */
    size_t mapped;       /* bytes of the whole mapping, header included */
    size_t count;
    size_t free_count;
    struct chunk *prev_free, *next_free;
    uint32_t free_slots[]; /* free_count indices, the last one freed last */
} chunk;

struct np_stack_pool {
    size_t stack_size; /* bytes of each stack, whole pages */
    size_t guard_size; /* one page */
    size_t stride;     /* guard_size + stack_size */
    size_t cache_stacks;
    chunk **chunks; /* sorted by base */
    size_t chunk_count, chunk_capacity;
    chunk *with_free; /* chunks that have a free slot */
    size_t in_use, free_stacks;
    size_t next_chunk_stacks;
    int markers; /* 1: guard markers work; 0: mprotect; -1: not tried yet */
};

np_stack_pool *np_stack_pool_create(size_t stack_size, size_t cache_bytes)
{
    np_stack_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = np_thread_stack_size(stack_size);
    pool->stack_size = (size + page - 1) / page * page;
    pool->guard_size = page;
    pool->stride = pool->stack_size + page;
    pool->cache_stacks = (cache_bytes ? cache_bytes : NP_STACK_POOL_CACHE_BYTES) / pool->stride;
    pool->next_chunk_stacks = FIRST_CHUNK_STACKS;
    pool->markers = -1;
    pool->chunks = malloc(INITIAL_CHUNKS * sizeof(chunk *));
    if (!pool->chunks) {
        free(pool);
        return NULL;
    }
    pool->chunk_capacity = INITIAL_CHUNKS;
    return pool;
}

size_t np_stack_pool_stack_size(const np_stack_pool *pool)
{
    return pool->stack_size;
}

size_t np_stack_pool_in_use(const np_stack_pool *pool)
{
    return pool->in_use;
}

size_t np_stack_pool_mapped_bytes(const np_stack_pool *pool)
{
    return (pool->in_use + pool->free_stacks) * pool->stride;
}

static void unlink_free(np_stack_pool *pool, chunk *c)
{
    if (c->prev_free)
        c->prev_free->next_free = c->next_free;
    else
        pool->with_free = c->next_free;
    if (c->next_free)
        c->next_free->prev_free = c->prev_free;
    c->prev_free = c->next_free = NULL;
}

static void push_free(np_stack_pool *pool, chunk *c)
{
    c->prev_free = NULL;
    c->next_free = pool->with_free;
    if (pool->with_free)
        pool->with_free->prev_free = c;
    pool->with_free = c;
}

/* Installs the guard page below every stack of a fresh mapping. Returns 0 or an error number. */
static int install_guards(np_stack_pool *pool, unsigned char *base, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        unsigned char *guard = base + i * pool->stride;
        if (pool->markers != 0) {
            if (madvise(guard, pool->guard_size, MADV_GUARD_INSTALL) == 0) {
                pool->markers = 1;
                continue;
            }
            if (pool->markers == 1 || errno != EINVAL)
                return errno;
            pool->markers = 0; /* an older kernel: PROT_NONE pages from now on */
        }
        if (mprotect(guard, pool->guard_size, PROT_NONE) != 0)
            return errno;
    }
    return 0;
}

/* Maps a chunk of count stacks with their guards; NULL when the system refuses. */
static chunk *map_chunk(np_stack_pool *pool, size_t count)
{
    size_t header = sizeof(chunk) + count * sizeof(uint32_t);
    header = (header + pool->guard_size - 1) / pool->guard_size * pool->guard_size;
    size_t mapped = header + count * pool->stride;
    unsigned char *start =
        mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (start == MAP_FAILED)
        return NULL;
    (void)madvise(start, mapped, MADV_NOHUGEPAGE);
    if (install_guards(pool, start + header, count) != 0) {
        munmap(start, mapped);
        return NULL;
    }
    chunk *c = (chunk *)(void *)start;
    c->base = start + header;
    c->mapped = mapped;
    c->count = count;
    /* Slot 0 on top of the LIFO: stacks are handed out in address order. */
    for (size_t i = 0; i < count; i++)
        c->free_slots[i] = (uint32_t)(count - 1 - i);
    c->free_count = count;
    return c;
}

/* Index in pool->chunks where a chunk at base belongs (sorted by address). */
static size_t chunk_position(const np_stack_pool *pool, const unsigned char *base)
{
    size_t lo = 0, hi = pool->chunk_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pool->chunks[mid]->base < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Adds a freshly mapped chunk; -1 (nothing changed) without memory for the array. */
static int add_chunk(np_stack_pool *pool, chunk *c)
{
    if (pool->chunk_count == pool->chunk_capacity) {
        size_t capacity = pool->chunk_capacity ? 2 * pool->chunk_capacity : 16;
        chunk **chunks = realloc(pool->chunks, capacity * sizeof(chunk *));
        if (!chunks)
            return -1;
        pool->chunks = chunks;
        pool->chunk_capacity = capacity;
    }
    size_t at = chunk_position(pool, c->base);
    memmove(pool->chunks + at + 1, pool->chunks + at, (pool->chunk_count - at) * sizeof(chunk *));
    pool->chunks[at] = c;
    pool->chunk_count++;
    pool->free_stacks += c->count;
    push_free(pool, c);
    return 0;
}

static void free_chunk(chunk *c)
{
    munmap(c, c->mapped);
}

/* Removes the chunk at index `at`, all of whose stacks are free, and unmaps it. */
static void unmap_chunk(np_stack_pool *pool, size_t at)
{
    chunk *c = pool->chunks[at];
    unlink_free(pool, c);
    memmove(pool->chunks + at, pool->chunks + at + 1,
            (pool->chunk_count - at - 1) * sizeof(chunk *));
    pool->chunk_count--;
    pool->free_stacks -= c->count;
    free_chunk(c);
}

int np_stack_pool_acquire(np_stack_pool *pool, void **stack)
{
    *stack = NULL;
    if (!pool->with_free) {
        chunk *c = NULL;
        for (size_t count = pool->next_chunk_stacks; !c && count >= 1; count /= 2)
            c = map_chunk(pool, count);
        if (!c)
            return ENOMEM;
        if (add_chunk(pool, c) != 0) {
            free_chunk(c);
            return ENOMEM;
        }
        if (c->count == pool->next_chunk_stacks && pool->next_chunk_stacks < MAX_CHUNK_STACKS)
            pool->next_chunk_stacks *= 2;
    }
    chunk *c = pool->with_free;
    uint32_t slot = c->free_slots[--c->free_count];
    if (c->free_count == 0)
        unlink_free(pool, c);
    pool->in_use++;
    pool->free_stacks--;
    *stack = c->base + (size_t)slot * pool->stride + pool->guard_size;
    return 0;
}

void np_stack_pool_release(np_stack_pool *pool, void *stack)
{
    unsigned char *p = stack;
    /* The chunk is the last one starting at or below p. */
    size_t at = chunk_position(pool, p + 1) - 1;
    chunk *c = pool->chunks[at];
    c->free_slots[c->free_count++] = (uint32_t)((size_t)(p - c->base) / pool->stride);
    if (c->free_count == 1)
        push_free(pool, c);
    else if (c != pool->with_free) {
        /* Most recently freed-into first: its stacks are the warm ones. */
        unlink_free(pool, c);
        push_free(pool, c);
    }
    pool->in_use--;
    pool->free_stacks++;
    if (c->free_count == c->count && pool->free_stacks > pool->cache_stacks)
        unmap_chunk(pool, at);
}

size_t np_stack_pool_trim(np_stack_pool *pool)
{
    size_t released = 0;
    for (size_t i = pool->chunk_count; i-- > 0;) {
        chunk *c = pool->chunks[i];
        if (c->free_count == c->count) {
            released += c->count * pool->stride;
            unmap_chunk(pool, i);
        }
    }
    return released;
}

void np_stack_pool_destroy(np_stack_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->chunk_count; i++)
        free_chunk(pool->chunks[i]);
    free(pool->chunks);
    free(pool);
}

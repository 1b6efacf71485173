/*
 * The arena behind np_json_arena_parse (np/json_arena.h).
 *
 * Design: a list of blocks, newest first, each filled from its start; an allocation that does not
 * fit in the newest block opens a new one, twice the last (from FIRST_BLOCK to LAST_BLOCK bytes),
 * or as large as the allocation itself. Nothing is freed before the whole arena is. Allocations
 * are aligned as malloc's are, so the hook is a drop-in malloc for anything cJSON stores.
 *
 * Threads: an arena belongs to the thread that parses into it, then to its owner. parse_arena is
 * thread-local, so one thread's parse never sees another's arena. The hooks are installed again by
 * every parse (someone may have installed others since), which is why a parse must not overlap
 * another thread's cJSON call (np/json_arena.h).
 */
#include "np/json_arena.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The first block fits a small document; blocks double up to LAST_BLOCK (a large one takes some
 * ten blocks, each a single mmap by malloc). */
enum { FIRST_BLOCK = 64 * 1024, LAST_BLOCK = 16 * 1024 * 1024, ALIGN = alignof(max_align_t) };

typedef struct block {
    struct block *next; /* the block opened before this one */
    size_t size;        /* bytes after the header */
    size_t used;
    alignas(max_align_t) unsigned char data[];
} block;

struct np_json_arena {
    block *newest;
    size_t next_size; /* the next block's size */
};

/* The arena of the parse running on this thread, or NULL. */
static _Thread_local np_json_arena *parse_arena;

static void *arena_alloc(np_json_arena *a, size_t size)
{
    if (size > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    size = (size + ALIGN - 1) / ALIGN * ALIGN;
    block *b = a->newest;
    if (!b || b->size - b->used < size) {
        size_t block_size = a->next_size > size ? a->next_size : size;
        b = malloc(sizeof(block) + block_size); /* sets errno to ENOMEM when it fails */
        if (!b)
            return NULL;
        b->next = a->newest;
        b->size = block_size;
        b->used = 0;
        a->newest = b;
        if (a->next_size < LAST_BLOCK)
            a->next_size *= 2;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

static void *hook_malloc(size_t size)
{
    return parse_arena ? arena_alloc(parse_arena, size) : malloc(size);
}

static void hook_free(void *p)
{
    if (!parse_arena) /* in the arena: freed with it */
        free(p);
}

cJSON *np_json_arena_parse(const char *value, size_t length, const char **end,
                           int require_null_terminated, np_json_arena **arena)
{
    *arena = NULL;
    np_json_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->next_size = FIRST_BLOCK;
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = hook_malloc, .free_fn = hook_free});
    parse_arena = a;
    cJSON *root = cJSON_ParseWithLengthOpts(value, length, end, require_null_terminated);
    parse_arena = NULL;
    if (!root) {
        np_json_arena_free(a);
        return NULL;
    }
    *arena = a;
    return root;
}

void np_json_arena_free(np_json_arena *arena)
{
    if (!arena)
        return;
    for (block *b = arena->newest, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(arena);
}

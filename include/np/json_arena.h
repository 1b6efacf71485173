/*
 * cJSON documents parsed into an arena: the nodes and strings of one parse are carved out of a
 * few large blocks and freed together, instead of one malloc and one free each. A 100,000-article
 * document is about a million of them: freeing it node by node (cJSON_Delete) took 35-50 ms, most
 * of what a large run spent between its output and its exit.
 *
 * cJSON's allocator hooks are process-wide and take no context. So each parse installs hooks that
 * pass every allocation to malloc and free, except on a thread that is inside np_json_arena_parse:
 * a thread-local pointer, set for that call only, sends that thread's allocations to its arena
 * and makes its frees (of a tree that failed half-way) no-ops. The hooks stay installed: later
 * cJSON calls, on any thread, are plain malloc and free (and hooks someone else installs, a test's
 * counting allocator, last until the next parse).
 *
 * Threads: installing hooks is not safe while another thread is inside cJSON, so a parse must not
 * overlap another thread's cJSON call -- as the loader's parse of a document already must not,
 * cJSON's error position being process-wide too (np/loader.h).
 */
#ifndef NP_JSON_ARENA_H
#define NP_JSON_ARENA_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct np_json_arena np_json_arena;

/*
 * cJSON_ParseWithLengthOpts(value, length, end, require_null_terminated), into a new arena.
 * Returns the tree, which *arena owns, or NULL with *arena NULL (nothing to free): a syntax error
 * (*end as cJSON sets it), or memory ran out (errno ENOMEM, as malloc sets it; the caller clears
 * errno before, as with cJSON).
 */
cJSON *np_json_arena_parse(const char *value, size_t length, const char **end,
                           int require_null_terminated, np_json_arena **arena);

/* Frees an arena's tree and the arena (NULL: nothing). */
void np_json_arena_free(np_json_arena *arena);

#endif

/*
 * Thread stacks the program owns: mapped in chunks, a guard page below each stack installed once
 * when its chunk is mapped, and reused from thread to thread (pthread_attr_setstack), so that
 * starting and ending an article thread maps, unmaps, protects and madvises nothing. glibc's own
 * stacks cost all four per thread beyond its small cache: an mmap and a guard mprotect at
 * create, an madvise(MADV_DONTNEED) at exit, an munmap (with a TLB shootdown) when its cache is
 * full, and page faults on every fresh stack.
 *
 * A stack may be reused only after the thread that ran on it has been joined (pthread_join
 * returns once the kernel is done with the thread's stack).
 *
 * Memory: free stacks stay mapped (with the pages their threads touched) for the next thread, up
 * to the cache bound given at creation; a chunk whose stacks are all free is unmapped when the
 * free stacks exceed it, and np_stack_pool_trim unmaps every such chunk, for when the system
 * refuses memory. When a chunk cannot be mapped, np_stack_pool_acquire says so (ENOMEM) and the
 * caller treats it as a refused thread: wait for a running one to finish, release its stack,
 * try again.
 *
 * Not thread-safe: one thread (the pipeline's dispatcher) acquires, releases and trims.
 */
#ifndef NP_STACK_POOL_H
#define NP_STACK_POOL_H

#include <stddef.h>

typedef struct np_stack_pool np_stack_pool;

/* Free stack memory a pool keeps mapped by default (see np_stack_pool_create). */
#define NP_STACK_POOL_CACHE_BYTES ((size_t)64 * 1024 * 1024)

/*
 * An empty pool of stacks of np_thread_stack_size(stack_size) bytes rounded up to whole pages,
 * each with a guard page below it; free stacks beyond cache_bytes are given back to the system
 * (0: NP_STACK_POOL_CACHE_BYTES). Maps nothing yet. Returns NULL (errno set) without memory.
 */
np_stack_pool *np_stack_pool_create(size_t stack_size, size_t cache_bytes);

/* Unmaps every chunk; every stack must have been released (every thread joined). NULL is fine. */
void np_stack_pool_destroy(np_stack_pool *pool);

/* The size of each stack, for pthread_attr_setstack. */
size_t np_stack_pool_stack_size(const np_stack_pool *pool);

/*
 * Takes a free stack (the lowest address of its stack_size bytes, for pthread_attr_setstack),
 * mapping a new chunk when none is free. Returns 0, or ENOMEM when the system refuses the memory
 * even for one stack (*stack is then NULL): wait for a thread to finish and release its stack.
 */
int np_stack_pool_acquire(np_stack_pool *pool, void **stack);

/* Gives back a stack from np_stack_pool_acquire whose thread has been joined (or never started). */
void np_stack_pool_release(np_stack_pool *pool, void *stack);

/* Unmaps every chunk none of whose stacks is in use. Returns the bytes given back. */
size_t np_stack_pool_trim(np_stack_pool *pool);

/* Stacks in use, and the bytes mapped (stacks and guard pages), for tests and reports. */
size_t np_stack_pool_in_use(const np_stack_pool *pool);
size_t np_stack_pool_mapped_bytes(const np_stack_pool *pool);

#endif

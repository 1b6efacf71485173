/*
 * The thread stack size: the caller's wish, never below what this platform's libc accepts.
 * PTHREAD_STACK_MIN is the compile-time minimum (glibc's pthread_attr_setstacksize compares
 * against it); sysconf(_SC_THREAD_STACK_MIN) can be larger at run time (glibc >= 2.34 raises it
 * for CPUs with large signal frames), so the larger of the two is taken.
 */
#include "np/thread_stack.h"

#include <limits.h>
#include <pthread.h>
#include <unistd.h>

size_t np_thread_stack_size(size_t wanted)
{
    size_t size = wanted;
#ifdef PTHREAD_STACK_MIN
    if (size < (size_t)PTHREAD_STACK_MIN)
        size = (size_t)PTHREAD_STACK_MIN;
#endif
#ifdef _SC_THREAD_STACK_MIN
    long minimum = sysconf(_SC_THREAD_STACK_MIN);
    if (minimum > 0 && size < (size_t)minimum)
        size = (size_t)minimum;
#endif
    return size;
}

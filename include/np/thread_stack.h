/*
 * The stack size to give a thread: what the caller wants, raised to the platform's minimum.
 * glibc's pthread_attr_setstacksize refuses anything below PTHREAD_STACK_MIN, which is 16 KiB on
 * x86-64 but 128 KiB on aarch64 and ppc64le, so a fixed small size that works on one fails on
 * another. Every place that sets a thread's stack size asks here first.
 */
#ifndef NP_THREAD_STACK_H
#define NP_THREAD_STACK_H

#include <stddef.h>

/*
 * The larger of wanted and the platform's minimum thread stack (PTHREAD_STACK_MIN and
 * sysconf(_SC_THREAD_STACK_MIN), where defined). pthread_attr_setstacksize accepts the result
 * unless wanted exceeds what the system allows; callers still check its return value.
 * Thread-safe, no allocation.
 */
size_t np_thread_stack_size(size_t wanted);

#endif

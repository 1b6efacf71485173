/*
 * Monotonic time, in nanoseconds, for measuring durations. Never goes backwards, unaffected by
 * changes to the wall clock.
 */
#ifndef NP_CLOCK_H
#define NP_CLOCK_H

#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC since an arbitrary fixed point. */
long long np_clock_now_ns(void);

/* The CLOCK_MONOTONIC time ns nanoseconds after now, for absolute sleeps and timed waits. */
struct timespec np_clock_deadline_after_ns(long long ns);

#endif

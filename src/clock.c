/*
 * Monotonic time helpers. CLOCK_MONOTONIC is always available on Linux, so clock_gettime on it
 * cannot fail with valid arguments; there is no error path to report.
 */
#include "np/clock.h"

long long np_clock_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

struct timespec np_clock_deadline_after_ns(long long ns)
{
    long long at = np_clock_now_ns() + ns;
    struct timespec deadline = {.tv_sec = (time_t)(at / 1000000000LL),
                                .tv_nsec = (long)(at % 1000000000LL)};
    return deadline;
}

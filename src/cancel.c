/*
 * The cancellation token. A sleep is ppoll on the wake pipe's read end with the time left until a
 * CLOCK_MONOTONIC deadline, in a loop on "cancelled or deadline passed", so early returns (a
 * signal) and wall-clock changes cannot shorten or stretch it. Cancellation writes one byte,
 * which makes every sleeper's ppoll return at once.
 *
 * Why not a timed wait on a condition variable (as before): with thousands of article threads
 * asleep in their stage calls, every sleeper waited on the one futex word of one condition
 * variable, and each timed-out waiter then re-took the one mutex -- futex traffic on a single hash
 * bucket and lock, measured as a quarter of a 10,000-thread run's CPU (perf). A sleeper in ppoll
 * only sits on the pipe's wait queue; it touches no shared word when its time runs out.
 */
#include "np/cancel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "np/clock.h"

/* A pipe whose read end becomes readable on cancellation: both ends close-on-exec, the write end
 * non-blocking (one byte is ever written, but a raise must never block). */
static int open_wake_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return errno;
    for (int i = 0; i < 2; i++)
        (void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
    return 0;
}

int np_cancel_init(np_cancel *cancel)
{
    atomic_init(&cancel->reason, NP_CANCEL_NONE);
    cancel->hook_count = 0;
    int err = open_wake_pipe(cancel->wake_pipe);
    if (!err && (err = pthread_mutex_init(&cancel->mutex, NULL)) != 0) {
        close(cancel->wake_pipe[0]);
        close(cancel->wake_pipe[1]);
    }
    return err;
}

void np_cancel_destroy(np_cancel *cancel)
{
    pthread_mutex_destroy(&cancel->mutex);
    close(cancel->wake_pipe[0]);
    close(cancel->wake_pipe[1]);
}

int np_cancel_fd(np_cancel *cancel)
{
    return cancel ? cancel->wake_pipe[0] : -1;
}

int np_cancel_on_raise(np_cancel *cancel, void (*fn)(void *context), void *context)
{
    pthread_mutex_lock(&cancel->mutex);
    int err = cancel->hook_count < NP_CANCEL_HOOKS_MAX ? 0 : ENOSPC;
    if (!err) {
        cancel->hooks[cancel->hook_count].fn = fn;
        cancel->hooks[cancel->hook_count].context = context;
        cancel->hook_count++;
    }
    pthread_mutex_unlock(&cancel->mutex);
    return err;
}

void np_cancel_raise(np_cancel *cancel, np_cancel_reason reason)
{
    pthread_mutex_lock(&cancel->mutex);
    size_t hook_count = 0;
    if (atomic_load(&cancel->reason) == NP_CANCEL_NONE) {
        atomic_store(&cancel->reason, reason);
        /* Once only, so the pipe cannot fill; the byte is never read, so the fd stays readable. */
        ssize_t written = write(cancel->wake_pipe[1], "x", 1);
        (void)written;
        hook_count = cancel->hook_count;
    }
    pthread_mutex_unlock(&cancel->mutex);
    /* Outside the lock: a hook takes its own waiters' mutex. Hooks are only ever added, and one
     * added after this raise is not called: its waiters see the reason in their predicate. */
    for (size_t i = 0; i < hook_count; i++)
        cancel->hooks[i].fn(cancel->hooks[i].context);
}

np_cancel_reason np_cancel_reason_of(np_cancel *cancel)
{
    return cancel ? (np_cancel_reason)atomic_load(&cancel->reason) : NP_CANCEL_NONE;
}

static void sleep_plain(long long ns)
{
    struct timespec deadline = np_clock_deadline_after_ns(ns);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        continue;
}

int np_cancel_sleep_ns(np_cancel *cancel, long long ns)
{
    if (!cancel) {
        if (ns > 0)
            sleep_plain(ns);
        return 0;
    }
    if (ns <= 0) /* no sleep (--latency 0): just the check, without the clock */
        return np_cancel_reason_of(cancel) != NP_CANCEL_NONE ? -1 : 0;
    long long deadline = np_clock_now_ns() + ns;
    struct pollfd wake = {.fd = cancel->wake_pipe[0], .events = POLLIN};
    /* The byte is written after the reason is set, and stays: a raise before or during the
     * ppoll is seen either by the check or by the poll. */
    while (atomic_load(&cancel->reason) == NP_CANCEL_NONE) {
        long long left = deadline - np_clock_now_ns();
        if (left <= 0)
            return 0;
        struct timespec timeout = {.tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL};
        if (ppoll(&wake, 1, &timeout, NULL) > 0)
            break; /* readable: cancelled */
    }
    return -1;
}

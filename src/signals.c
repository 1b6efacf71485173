/*
 * The signal watcher thread. Every catchable signal whose default action ends the process is
 * blocked in every thread and taken synchronously here with sigtimedwait, so the reaction is
 * ordinary code, not an async-signal handler:
 *   - SIGINT, SIGTERM, SIGHUP: the first cancels the run (np_cancel_raise); the program finishes
 *     its output and exits 130, 143 or 129. A second one means "now": the cleanup removes the
 *     temporary files and the process exits at once with 128 + the signal.
 *   - the deadline, when one is set, cancels the run like a first signal.
 *   - any other such signal (SIGQUIT, SIGPIPE sent by kill, SIGUSR1/2, SIGALRM, real-time
 *     signals, ...): the cleanup runs, then the signal is delivered with its default action, so
 *     the process ends as it would have, leaving no temporary file.
 * A SIGPIPE raised by a write to a closed pipe is directed at the writing thread, where it stays
 * blocked: the write fails with EPIPE and the writer handles it.
 * np_signals_stop wakes the watcher with a SIGUSR1 sent to it by this process (si_pid is ours);
 * a SIGUSR1 from another process is treated like any other terminating signal.
 */
#include "np/signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "np/clock.h"
#include "np/thread_stack.h"

struct np_signals {
    pthread_t thread;
    np_cancel *cancel;
    long long deadline_ns; /* monotonic; 0 = none */
    void (*cleanup)(void *);
    void *cleanup_context;
    atomic_int stopping;
};

/* Catchable signals whose default action terminates the process. SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP and SIGSYS are left alone: they report faults in the thread that caused them. */
static const int terminating_signals[] = {
    SIGHUP,    SIGINT,  SIGQUIT, SIGABRT,   SIGPIPE, SIGALRM, SIGTERM,
    SIGUSR1,   SIGUSR2, SIGPOLL, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
#ifdef SIGPWR
    SIGPWR,
#endif
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
};

/* Adds sig unless it was ignored when the program started: a signal ignored by whoever started
 * us (nohup for SIGHUP, a shell for a background job's SIGINT and SIGQUIT) stays ignored, as
 * every well-behaved program does; waiting for a blocked signal would override SIG_IGN. */
static void watch_unless_ignored(sigset_t *set, int sig)
{
    struct sigaction current;
    if (sigaction(sig, NULL, &current) == 0 && current.sa_handler == SIG_IGN)
        return;
    sigaddset(set, sig);
}

static void watched_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(terminating_signals) / sizeof(terminating_signals[0]); i++)
        watch_unless_ignored(set, terminating_signals[i]);
    /* glibc keeps the first real-time signals for itself; sigaddset refuses those. */
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        watch_unless_ignored(set, sig);
    sigaddset(set, SIGUSR1); /* the watcher's own stop signal, even if ignored */
}

int np_signals_block(void)
{
    sigset_t set;
    watched_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void np_signals_unblock(void)
{
    sigset_t set;
    watched_set(&set);
    sigdelset(&set, SIGUSR1); /* only ever sent to the watcher, which has taken it */
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* The signals that cancel a run, and the reason each gives. */
static const struct {
    int sig;
    np_cancel_reason reason;
} cancelling[] = {
    {SIGINT, NP_CANCEL_SIGINT},
    {SIGTERM, NP_CANCEL_SIGTERM},
    {SIGHUP, NP_CANCEL_SIGHUP},
};

static np_cancel_reason cancel_reason_for(int sig)
{
    for (size_t i = 0; i < sizeof(cancelling) / sizeof(cancelling[0]); i++)
        if (cancelling[i].sig == sig)
            return cancelling[i].reason;
    return NP_CANCEL_NONE;
}

int np_signals_signal_of(np_cancel_reason reason)
{
    for (size_t i = 0; i < sizeof(cancelling) / sizeof(cancelling[0]); i++)
        if (cancelling[i].reason == reason)
            return cancelling[i].sig;
    return 0;
}

/* Cleans up, then ends the process by sig's default action (or, failing that, with 128 + sig). */
static void die_by(np_signals *s, int sig)
{
    /* Wake whatever waits on the cancellation (an output FIFO's open holds the outputs' lock while
     * it waits for a reader), so the cleanup can take that lock. */
    np_cancel_raise(s->cancel, NP_CANCEL_SIGTERM);
    if (s->cleanup)
        s->cleanup(s->cleanup_context);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_kill(pthread_self(), sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    _exit(128 + sig);
}

static void *watch(void *arg)
{
    np_signals *s = arg;
    sigset_t set;
    watched_set(&set);
    int cancelling_signals = 0;
    for (;;) {
        siginfo_t info;
        int sig;
        if (s->deadline_ns && np_cancel_reason_of(s->cancel) == NP_CANCEL_NONE) {
            long long left = s->deadline_ns - np_clock_now_ns();
            if (left <= 0) {
                np_cancel_raise(s->cancel, NP_CANCEL_DEADLINE);
                continue;
            }
            struct timespec timeout = {.tv_sec = (time_t)(left / 1000000000LL),
                                       .tv_nsec = (long)(left % 1000000000LL)};
            sig = sigtimedwait(&set, &info, &timeout);
        } else {
            sig = sigwaitinfo(&set, &info);
        }
        if (sig < 0)
            continue; /* EINTR, or EAGAIN: the deadline came */
        if (sig == SIGUSR1 && info.si_pid == getpid()) {
            if (atomic_load(&s->stopping))
                return NULL;
            continue;
        }
        np_cancel_reason reason = cancel_reason_for(sig);
        if (reason == NP_CANCEL_NONE || ++cancelling_signals >= 2) {
            if (reason != NP_CANCEL_NONE) {
                if (s->cleanup)
                    s->cleanup(s->cleanup_context);
                _exit(128 + sig);
            }
            die_by(s, sig);
        }
        np_cancel_raise(s->cancel, reason);
    }
}

np_signals *np_signals_start(np_cancel *cancel, long long deadline_ms, void (*cleanup)(void *),
                             void *cleanup_context)
{
    np_signals *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cancel = cancel;
    s->deadline_ns = deadline_ms > 0 ? np_clock_now_ns() + deadline_ms * 1000000LL : 0;
    s->cleanup = cleanup;
    s->cleanup_context = cleanup_context;
    atomic_init(&s->stopping, 0);
    pthread_attr_t attr;
    int err = pthread_attr_init(&attr);
    if (!err) {
        err = pthread_attr_setstacksize(&attr, np_thread_stack_size((size_t)64 * 1024));
        if (!err)
            err = pthread_create(&s->thread, &attr, watch, s);
        pthread_attr_destroy(&attr);
    }
    if (err) {
        free(s);
        errno = err;
        return NULL;
    }
    return s;
}

void np_signals_stop(np_signals *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    pthread_kill(s->thread, SIGUSR1);
    pthread_join(s->thread, NULL);
    free(s);
}

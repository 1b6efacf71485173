/*
 * The signal watcher thread. Signals are blocked everywhere and taken synchronously here with
 * sigtimedwait, so the reaction (raising the cancel token, which takes a mutex) is ordinary code,
 * not an async-signal handler. SIGUSR1 is the watcher's own stop signal, sent with pthread_kill
 * by np_signals_stop; one arriving from outside is ignored.
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
    const char *const *cleanup_paths;
    size_t cleanup_count;
    atomic_int stopping;
};

static void watched_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGUSR1);
}

int np_signals_block(void)
{
    sigset_t set;
    watched_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *watch(void *arg)
{
    np_signals *s = arg;
    sigset_t set;
    watched_set(&set);
    int interrupts = 0;
    while (!atomic_load(&s->stopping)) {
        int sig;
        if (s->deadline_ns && np_cancel_reason_of(s->cancel) == NP_CANCEL_NONE) {
            long long left = s->deadline_ns - np_clock_now_ns();
            if (left <= 0) {
                np_cancel_raise(s->cancel, NP_CANCEL_DEADLINE);
                continue;
            }
            struct timespec timeout = {.tv_sec = (time_t)(left / 1000000000LL),
                                       .tv_nsec = (long)(left % 1000000000LL)};
            sig = sigtimedwait(&set, NULL, &timeout);
        } else {
            sig = sigwaitinfo(&set, NULL);
        }
        if (sig == SIGINT && ++interrupts >= 2) {
            for (size_t i = 0; i < s->cleanup_count; i++)
                if (s->cleanup_paths[i])
                    unlink(s->cleanup_paths[i]);
            _exit(130);
        }
        if (sig == SIGINT)
            np_cancel_raise(s->cancel, NP_CANCEL_SIGINT);
        else if (sig == SIGTERM)
            np_cancel_raise(s->cancel, NP_CANCEL_SIGTERM);
        /* SIGUSR1, EINTR, EAGAIN (deadline reached): loop and re-check. */
    }
    return NULL;
}

np_signals *np_signals_start(np_cancel *cancel, long long deadline_ms,
                             const char *const *cleanup_paths, size_t count)
{
    np_signals *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cancel = cancel;
    s->deadline_ns = deadline_ms > 0 ? np_clock_now_ns() + deadline_ms * 1000000LL : 0;
    s->cleanup_paths = cleanup_paths;
    s->cleanup_count = count;
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

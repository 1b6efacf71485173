/*
 * One bench run as a fresh process (np/bench.h).
 *
 * Design: the parent builds everything the child needs (its environment, the path of this
 * executable) before fork, so that between fork and exec the child only calls async-signal-safe
 * functions, as a multithreaded parent requires. The record travels as bytes through a pipe: the
 * child is this very executable, so both sides agree on the layout of np_run_record; a magic
 * number and the size guard against anything else. The parent polls the pipe and the
 * cancellation descriptor together, so a signal reaches the child while it runs; it reaps the
 * child only after clearing *pid_slot (waitid with WNOWAIT first), so the watcher never signals a
 * pid that may already belong to another process.
 */
#include "np/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "np/clock.h"
#include "np/signals.h"

enum { RECORD_MAGIC = 0x4e504231 }; /* "NPB1" */

typedef struct wire_record {
    unsigned magic;
    unsigned size; /* sizeof(np_run_record) */
    np_run_record run;
} wire_record;

/* Reads "N," (or "N" at the end) from *text into *value, -1 <= N <= INT_MAX. Returns 0 or -1. */
static int next_number(const char **text, long *value, int last)
{
    char *end;
    errno = 0;
    *value = strtol(*text, &end, 10);
    if (end == *text || errno || *value < -1 || *value > INT_MAX || *end != (last ? '\0' : ','))
        return -1;
    *text = last ? end : end + 1;
    return 0;
}

int np_bench_child_from_env(np_bench_child *child)
{
    const char *text = getenv(NP_BENCH_CHILD_ENV);
    if (!text)
        return 0;
    long v[6]; /* record_fd, trace_fd, timeline_fd, run, runs, warmup */
    for (int i = 0; i < 6; i++)
        if (next_number(&text, &v[i], i == 5) != 0)
            return -1;
    if (v[0] < 0 || v[3] < 1 || v[3] > v[4] || v[5] < 0 || v[5] > v[4])
        return -1;
    *child = (np_bench_child){.record_fd = (int)v[0],
                              .trace_fd = (int)v[1],
                              .timeline_fd = (int)v[2],
                              .run = (unsigned)v[3],
                              .runs = (unsigned)v[4],
                              .warmup = (unsigned)v[5]};
    return 1;
}

int np_bench_send_record(int fd, const np_run_record *record)
{
    wire_record wire = {.magic = RECORD_MAGIC, .size = sizeof(np_run_record), .run = *record};
    wire.run.list = NULL;
    wire.run.results = NULL;
    wire.run.articles_detail = 0;
    wire.run.limits.breaker_events = NULL;
    wire.run.limits.breaker_event_count = 0;
    const char *p = (const char *)&wire;
    size_t left = sizeof(wire);
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}

/* A copy of environ without NP_BENCH_CHILD_ENV, plus assignment (malloc'd array, NULL-ended). */
static char **child_environment(char *assignment)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = malloc((n + 2) * sizeof(*env));
    if (!env)
        return NULL;
    size_t k = 0, name_len = strlen(NP_BENCH_CHILD_ENV);
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], NP_BENCH_CHILD_ENV, name_len) != 0 || environ[i][name_len] != '=')
            env[k++] = environ[i];
    env[k++] = assignment;
    env[k] = NULL;
    return env;
}

/* Between fork and exec: async-signal-safe calls only. Never returns. */
static void exec_child(const char *exe, char *const argv[], char **env, int devnull,
                       const np_bench_child *child, int record_read_fd)
{
    sigset_t none;
    sigemptyset(&none);
    /* The parent's signals are blocked for its watcher; the child starts with none blocked (its
     * own watcher blocks them again), in a group of its own: the parent forwards what it gets. */
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(127); /* the parent is already gone */
    close(record_read_fd);
    if (dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0)
        _exit(127);
    int passed[] = {child->record_fd, child->trace_fd, child->timeline_fd};
    for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
        if (passed[i] >= 0 && fcntl(passed[i], F_SETFD, 0) < 0)
            _exit(127);
    execve(exe, argv, env);
    _exit(127);
}

/* Reads the record from fd until end of file, forwarding a cancellation to pid once. */
static void collect_record(int fd, pid_t pid, np_cancel *cancel, np_bench_process *out)
{
    wire_record wire;
    size_t got = 0;
    int forwarded = 0;
    for (;;) {
        struct pollfd fds[2] = {{.fd = fd, .events = POLLIN},
                                {.fd = forwarded ? -1 : np_cancel_fd(cancel), .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents) {
            /* The signal that cancelled us, or SIGTERM (the deadline, an output failure). */
            int sig = np_signals_signal_of(np_cancel_reason_of(cancel));
            kill(pid, sig ? sig : SIGTERM);
            forwarded = 1;
        }
        if (!fds[0].revents)
            continue;
        char scratch[256];
        char *into = got < sizeof(wire) ? (char *)&wire + got : scratch;
        size_t room = got < sizeof(wire) ? sizeof(wire) - got : sizeof(scratch);
        ssize_t n = read(fd, into, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got == sizeof(wire) && wire.magic == RECORD_MAGIC && wire.size == sizeof(np_run_record)) {
        out->run = wire.run;
        out->have_record = 1;
    }
}

void np_bench_kill_child(atomic_int *pid_slot)
{
    pid_t pid = atomic_load(pid_slot);
    if (pid > 0)
        kill(pid, SIGKILL);
}

int np_bench_spawn(char *const argv[], const np_bench_child *child, np_cancel *cancel,
                   atomic_int *pid_slot, np_bench_process *out)
{
    *out = (np_bench_process){0};
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        return errno ? errno : ENOENT;
    exe[len] = '\0';
    int record[2];
    if (pipe2(record, O_CLOEXEC) != 0)
        return errno;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    np_bench_child told = *child;
    told.record_fd = record[1];
    char assignment[128];
    snprintf(assignment, sizeof(assignment), "%s=%d,%d,%d,%u,%u,%u", NP_BENCH_CHILD_ENV,
             told.record_fd, told.trace_fd, told.timeline_fd, told.run, told.runs, told.warmup);
    char **env = devnull >= 0 ? child_environment(assignment) : NULL;
    if (!env) {
        int e = devnull < 0 ? errno : ENOMEM;
        if (devnull >= 0)
            close(devnull);
        close(record[0]);
        close(record[1]);
        return e;
    }
    long long start = np_clock_now_ns();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(exe, argv, env, devnull, &told, record[0]);
    int fork_errno = errno;
    free(env);
    close(devnull);
    close(record[1]);
    if (pid < 0) {
        close(record[0]);
        return fork_errno;
    }
    atomic_store(pid_slot, pid);
    collect_record(record[0], pid, cancel, out);
    close(record[0]);
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
        ;
    long long end = np_clock_now_ns();
    atomic_store(pid_slot, 0);
    int status;
    struct rusage usage;
    pid_t reaped;
    while ((reaped = wait4(pid, &status, 0, &usage)) < 0 && errno == EINTR)
        ;
    if (reaped < 0)
        return errno;
    out->signalled = WIFSIGNALED(status);
    out->exit_status = out->signalled ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    if (!out->have_record)
        out->run = (np_run_record){.output_ns = -1};
    out->run.has_process = 1;
    out->run.process_wall_ns = end - start;
    out->run.user_ns = (long long)usage.ru_utime.tv_sec * 1000000000LL +
                       (long long)usage.ru_utime.tv_usec * 1000LL;
    out->run.sys_ns = (long long)usage.ru_stime.tv_sec * 1000000000LL +
                      (long long)usage.ru_stime.tv_usec * 1000LL;
    out->run.max_rss_kb = usage.ru_maxrss;
    return 0;
}

/*
 * `bench` runs every run as a fresh process, as hyperfine does, so that what it measures is what
 * a user measures: start-up, loading, the pipeline, the output and the exit.
 *
 * The parent (np_bench_spawn) starts the program again (the executable of /proc/self/exe, the
 * same arguments) with NP_BENCH_CHILD_ENV in its environment, its standard input and output on
 * /dev/null, in a process group of its own (so a terminal's ^C reaches the parent only, which
 * forwards it once). The child (np_bench_child_from_env) makes one ordinary run and sends its run
 * record through a pipe (np_bench_send_record); it may also draw its run into the trace and
 * timeline descriptors it was given. The parent times the process from fork to exit and takes its
 * CPU time and peak RSS from wait4.
 *
 * Threads: np_bench_spawn runs on the main thread; the signal watcher may read *pid_slot at any
 * time (to kill the child before an immediate exit).
 */
#ifndef NP_BENCH_H
#define NP_BENCH_H

#include <stdatomic.h>
#include <sys/types.h>

#include "np/cancel.h"
#include "np/run.h"

#define NP_BENCH_CHILD_ENV "NP_BENCH_CHILD"

/* What a child is told: where to send its record, what to draw, and which run it is. */
typedef struct np_bench_child {
    int record_fd;   /* the write end of the record pipe */
    int trace_fd;    /* a file to write the run's trace into; -1: none */
    int timeline_fd; /* a file to draw the run's timeline into; -1: none */
    unsigned run;    /* 1-based number of the run among all (warm-ups first) */
    unsigned runs;   /* warm-up + measured runs */
    unsigned warmup; /* how many of them are warm-ups */
} np_bench_child;

/* What the parent measured of one run. */
typedef struct np_bench_process {
    int exit_status;   /* the child's exit status, or 128 + the signal that ended it */
    int signalled;     /* ended by a signal */
    int have_record;   /* the child sent its run record */
    np_run_record run; /* the record (pointers NULL), with the process figures filled in */
} np_bench_process;

/*
 * Reads NP_BENCH_CHILD_ENV. Returns 1 (and fills *child) when this process is a bench child, 0
 * when the variable is not set, -1 when it is malformed.
 */
int np_bench_child_from_env(np_bench_child *child);

/* Child: sends the scalars of *record (its pointers are not sent) to fd. Returns 0 or an error
 * number. */
int np_bench_send_record(int fd, const np_run_record *record);

/*
 * Parent: runs argv (argv[0] is only a name: the program run is this executable) as a bench child
 * told *child (its record_fd is made here; trace_fd and timeline_fd are passed as they are), and
 * waits for it. When cancel is raised meanwhile, the matching signal is forwarded to the child
 * once, and the child's record is still collected. *pid_slot holds the child's pid while it may
 * be running, and 0 otherwise. Returns 0 (the outcome in *out) or an error number (nothing
 * started, or the child could not be waited for).
 */
int np_bench_spawn(char *const argv[], const np_bench_child *child, np_cancel *cancel,
                   atomic_int *pid_slot, np_bench_process *out);

/* Kills the child in *pid_slot, if any (for an exit that cannot wait; async-signal-safe). */
void np_bench_kill_child(atomic_int *pid_slot);

#endif

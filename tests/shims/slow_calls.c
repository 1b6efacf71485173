/*
 * A test shim, loaded with LD_PRELOAD, that slows two calls of a commit down and says when it is
 * inside them -- a handshake, which lets a test send a signal in the middle of committing files:
 *   - each fsync first creates "$NP_TEST_FSYNC_MARKER.N" (N counts fsync calls from 1), then
 *     waits NP_TEST_FSYNC_DELAY_MS before the real fsync;
 *   - each rename first does the real rename, then creates "$NP_TEST_RENAME_MARKER.N" and waits
 *     NP_TEST_RENAME_DELAY_MS (so the program sits between two renames).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int fsync_calls, rename_calls;

/* Creates "$marker_variable.n" if that variable is set, then waits $delay_variable ms. */
static void mark_and_wait(const char *marker_variable, const char *delay_variable, int n)
{
    const char *marker = getenv(marker_variable);
    if (marker) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.%d", marker, n);
        int created = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (created >= 0)
            close(created);
    }
    const char *delay = getenv(delay_variable);
    long ms = delay ? atol(delay) : 0;
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&pause, &pause) != 0)
        continue;
}

/* The real function behind name. POSIX guarantees a function pointer from dlsym survives the
 * round trip through void *. */
static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

int fsync(int fd)
{
    mark_and_wait("NP_TEST_FSYNC_MARKER", "NP_TEST_FSYNC_DELAY_MS",
                  atomic_fetch_add(&fsync_calls, 1) + 1);
    int (*real_fsync)(int);
    void *symbol = real("fsync");
    memcpy(&real_fsync, &symbol, sizeof(real_fsync));
    return symbol ? real_fsync(fd) : -1;
}

int rename(const char *from, const char *to)
{
    int (*real_rename)(const char *, const char *);
    void *symbol = real("rename");
    memcpy(&real_rename, &symbol, sizeof(real_rename));
    int rc = symbol ? real_rename(from, to) : -1;
    mark_and_wait("NP_TEST_RENAME_MARKER", "NP_TEST_RENAME_DELAY_MS",
                  atomic_fetch_add(&rename_calls, 1) + 1);
    return rc;
}

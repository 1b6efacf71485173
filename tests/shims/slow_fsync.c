/*
 * A test shim, loaded with LD_PRELOAD: each fsync first creates the file "$NP_TEST_FSYNC_MARKER.N"
 * (N counts fsync calls from 1), then waits NP_TEST_FSYNC_DELAY_MS before the real fsync. A test
 * waits for a marker and so knows the program is inside its Nth fsync -- a handshake, which lets
 * it send a signal in the middle of committing output files.
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

static atomic_int calls;

int fsync(int fd)
{
    int n = atomic_fetch_add(&calls, 1) + 1;
    const char *marker = getenv("NP_TEST_FSYNC_MARKER");
    if (marker) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.%d", marker, n);
        int created = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (created >= 0)
            close(created);
    }
    const char *delay = getenv("NP_TEST_FSYNC_DELAY_MS");
    long ms = delay ? atol(delay) : 0;
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&pause, &pause) != 0)
        continue;
    /* POSIX guarantees a function pointer from dlsym survives this round trip. */
    int (*real_fsync)(int);
    void *symbol = dlsym(RTLD_NEXT, "fsync");
    memcpy(&real_fsync, &symbol, sizeof(real_fsync));
    return symbol ? real_fsync(fd) : -1;
}

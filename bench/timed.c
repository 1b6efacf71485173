/*
 * timed: runs a command and prints what it cost, for the bench scripts (not a test).
 *
 *     timed COMMAND [ARG...]
 *
 * Runs COMMAND (its stdin, stdout and stderr are this program's), waits for it with wait4, and
 * prints to stderr, as its last line:
 *     timed: wall_ms=W user_ms=U sys_ms=S maxrss_kb=R status=X
 * wall from just before fork to the return of wait4 (CLOCK_MONOTONIC, µs resolution), CPU times
 * and peak RSS from the kernel's rusage of the child, X its exit status (128 + N for signal N).
 * Exits with the child's status; 127 when it cannot be started.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double ms(struct timeval tv)
{
    return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: timed COMMAND [ARG...]\n");
        return 127;
    }
    double start = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("timed: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("timed: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("timed: wait4");
        return 127;
    }
    double wall = now_ms() - start;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(
        stderr,
        "timed: wall_ms=%.3f user_ms=%.3f sys_ms=%.3f maxrss_kb=%ld status=%d minor_faults=%ld\n",
        wall, ms(ru.ru_utime), ms(ru.ru_stime), ru.ru_maxrss, code, ru.ru_minflt);
    return code;
}

/*
 * load_bench: how much the loader costs on top of cJSON itself (not a test).
 *
 *     load_bench [--runs N] FILE.json
 *
 * times, N times each (default 7) and interleaved, two ways of turning FILE into a tree:
 *   - ours:  np_loader_load_file (read, cJSON parse, strict lexical pass, schema checks);
 *   - cJSON: the same read, then a bare cJSON_ParseWithLength.
 * Wall time is the figure that counts; CPU time (user + system) is printed too, as it moves less
 * on a shared machine. Each run does both, in alternating order, so that a VM that speeds up or
 * slows down in the meantime touches both alike; one untimed run of each goes first (page cache).
 * Every load runs in a child process of its own, as the program loads once with a fresh heap: in
 * one process, each load would also pay for consolidating the freed tree of the one before
 * (malloc_consolidate was the largest single cost in a profile of such a loop). Prints the median,
 * minimum and maximum of each, and the ratio of the medians. Project target: ratio <= 1.3 on
 * 100,000 articles (bench/load_bench.sh makes that file with gen_articles).
 *
 * Exit status: 0 on success, 1 when the file does not load, 2 on bad arguments.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "np/loader.h"

#define MAX_RUNS 1000

/* One load: its wall time and the CPU time the process spent in it, in seconds; < 0 on failure. */
struct sample {
    double wall;
    double cpu;
};

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sample sample_start(void)
{
    return (struct sample){seconds(CLOCK_MONOTONIC), seconds(CLOCK_PROCESS_CPUTIME_ID)};
}

static struct sample sample_since(struct sample start)
{
    struct sample now = sample_start();
    return (struct sample){now.wall - start.wall, now.cpu - start.cpu};
}

static const struct sample failed = {-1.0, -1.0};

/* The whole file in a malloc'd, NUL-terminated buffer, read as the loader reads it; NULL on error.
 */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    char *buf = size >= 0 && lseek(fd, 0, SEEK_SET) == 0 ? malloc((size_t)size + 1) : NULL;
    size_t used = 0;
    while (buf != NULL && used < (size_t)size) {
        ssize_t n = read(fd, buf + used, (size_t)size - used);
        if (n <= 0 && !(n < 0 && errno == EINTR)) {
            free(buf);
            buf = NULL;
        } else if (n > 0) {
            used += (size_t)n;
        }
    }
    close(fd);
    if (buf != NULL) {
        buf[used] = '\0';
        *len = used;
    }
    return buf;
}

/* One timed load by our loader. */
static struct sample time_ours(const char *path)
{
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    struct sample start = sample_start();
    int rc = np_loader_load_file(path, &list, err, sizeof err);
    struct sample elapsed = sample_since(start);
    if (rc != 0) {
        fprintf(stderr, "load_bench: %s\n", err);
        return failed;
    }
    return elapsed; /* the list is left to the child's exit */
}

/* One timed read and bare cJSON parse. */
static struct sample time_cjson(const char *path)
{
    size_t len = 0;
    struct sample start = sample_start();
    char *buf = read_file(path, &len);
    cJSON *root = buf != NULL ? cJSON_ParseWithLength(buf, len) : NULL;
    struct sample elapsed = sample_since(start);
    if (root == NULL) {
        fprintf(stderr, "load_bench: %s: cJSON cannot read it\n", path);
        return failed;
    }
    return elapsed; /* buf and the tree are left to the child's exit */
}

/*
 * Runs time_one(path) in a child process and returns what it measured (failed when the child
 * fails). The child exits at once: the tree is left to the exit, outside the timed part.
 */
static struct sample time_in_child(struct sample (*time_one)(const char *), const char *path)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("load_bench: pipe");
        return failed;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("load_bench: fork");
        close(fds[0]);
        close(fds[1]);
        return failed;
    }
    if (pid == 0) {
        close(fds[0]);
        struct sample elapsed = time_one(path);
        ssize_t written = write(fds[1], &elapsed, sizeof elapsed);
        _exit(written == (ssize_t)sizeof elapsed ? 0 : 1);
    }
    close(fds[1]);
    struct sample elapsed = failed;
    if (read(fds[0], &elapsed, sizeof elapsed) != (ssize_t)sizeof elapsed) {
        elapsed = failed;
    }
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        elapsed = failed;
    }
    return elapsed;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts t[0..n) and returns its median. */
static double median(double *t, size_t n)
{
    qsort(t, n, sizeof t[0], compare_doubles);
    return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2.0;
}

/* Prints the median, minimum and maximum of t[0..n), in ms, sorting t. Returns the median. */
static double print_stats(const char *what, double *t, size_t n)
{
    double m = median(t, n);
    printf(" %s median %7.1f ms (%.1f-%.1f)", what, m * 1e3, t[0] * 1e3, t[n - 1] * 1e3);
    return m;
}

int main(int argc, char **argv)
{
    size_t runs = 7;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            char *end = NULL;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || n == 0 || n > MAX_RUNS) {
                fprintf(stderr, "load_bench: --runs takes 1 to %d\n", MAX_RUNS);
                return 2;
            }
            runs = n;
        } else if (path == NULL && argv[i][0] != '-') {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: load_bench [--runs N] FILE.json\n");
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: load_bench [--runs N] FILE.json\n");
        return 2;
    }

    /* [0] ours, [1] cJSON; wall and CPU times of every run */
    static double wall[2][MAX_RUNS];
    static double cpu[2][MAX_RUNS];
    if (time_in_child(time_ours, path).wall < 0 || time_in_child(time_cjson, path).wall < 0) {
        return 1; /* the warm-up, untimed, failed */
    }
    for (size_t r = 0; r < runs; r++) {
        for (size_t k = 0; k < 2; k++) {
            size_t which = (r + k) % 2; /* ours first in even runs, cJSON first in odd ones */
            struct sample t = time_in_child(which == 0 ? time_ours : time_cjson, path);
            if (t.wall < 0) {
                return 1;
            }
            wall[which][r] = t.wall;
            cpu[which][r] = t.cpu;
        }
    }
    static const char *const names[2] = {"ours  (np_loader_load_file)          ",
                                         "cJSON (read + cJSON_ParseWithLength)"};
    double wall_median[2];
    double cpu_median[2];
    printf("%s, %zu runs each, interleaved, each in a fresh process\n", path, runs);
    for (size_t which = 0; which < 2; which++) {
        printf("  %s", names[which]);
        wall_median[which] = print_stats("wall", wall[which], runs);
        cpu_median[which] = print_stats(", CPU", cpu[which], runs);
        printf("\n");
    }
    printf("  ratio ours / cJSON: wall %.2f (target <= 1.3), CPU %.2f\n",
           wall_median[0] / wall_median[1], cpu_median[0] / cpu_median[1]);
    return 0;
}

/*
 * load_bench: how much the loader costs on top of cJSON itself (not a test).
 *
 *     load_bench [--runs N] FILE.json
 *
 * times, N times each (default 7) and interleaved, two ways of turning FILE into a tree:
 *   - ours:  np_loader_load_file (read, cJSON parse, strict lexical pass, schema checks);
 *   - cJSON: the same read, then a bare cJSON_ParseWithLength.
 * Each run does both, in alternating order, so that a VM that speeds up or slows down in the
 * meantime touches both alike; one untimed run of each goes first (page cache). Every load runs
 * in a child process of its own, as the program loads once with a fresh heap: in one process,
 * each load would also pay for consolidating the freed tree of the one before (malloc_consolidate
 * was the largest single cost in a profile of such a loop). Prints the median, minimum and maximum
 * of each, and the ratio of the medians. Project target: ratio <= 1.3 on 100,000 articles
 * (bench/load_bench.sh makes that file with gen_articles).
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

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* One timed load by our loader; < 0 when it fails. */
static double time_ours(const char *path)
{
    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    double start = now_seconds();
    int rc = np_loader_load_file(path, &list, err, sizeof err);
    double elapsed = now_seconds() - start;
    if (rc != 0) {
        fprintf(stderr, "load_bench: %s\n", err);
        return -1.0;
    }
    return elapsed; /* the list is left to the child's exit */
}

/* One timed read and bare cJSON parse; < 0 when it fails. */
static double time_cjson(const char *path)
{
    size_t len = 0;
    double start = now_seconds();
    char *buf = read_file(path, &len);
    cJSON *root = buf != NULL ? cJSON_ParseWithLength(buf, len) : NULL;
    double elapsed = now_seconds() - start;
    if (root == NULL) {
        fprintf(stderr, "load_bench: %s: cJSON cannot read it\n", path);
        return -1.0;
    }
    return elapsed; /* buf and the tree are left to the child's exit */
}

/*
 * Runs time_one(path) in a child process and returns what it measured, or < 0 when the child
 * fails. The child exits at once: the tree is left to the exit, outside the timed part.
 */
static double time_in_child(double (*time_one)(const char *), const char *path)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("load_bench: pipe");
        return -1.0;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("load_bench: fork");
        close(fds[0]);
        close(fds[1]);
        return -1.0;
    }
    if (pid == 0) {
        close(fds[0]);
        double elapsed = time_one(path);
        ssize_t written = write(fds[1], &elapsed, sizeof elapsed);
        _exit(written == (ssize_t)sizeof elapsed ? 0 : 1);
    }
    close(fds[1]);
    double elapsed = -1.0;
    if (read(fds[0], &elapsed, sizeof elapsed) != (ssize_t)sizeof elapsed) {
        elapsed = -1.0;
    }
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        elapsed = -1.0;
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

    static double ours[MAX_RUNS];
    static double bare[MAX_RUNS];
    if (time_in_child(time_ours, path) < 0 || time_in_child(time_cjson, path) < 0) {
        return 1; /* the warm-up, untimed, failed */
    }
    for (size_t r = 0; r < runs; r++) {
        if (r % 2 == 0) {
            ours[r] = time_in_child(time_ours, path);
            bare[r] = time_in_child(time_cjson, path);
        } else {
            bare[r] = time_in_child(time_cjson, path);
            ours[r] = time_in_child(time_ours, path);
        }
        if (ours[r] < 0 || bare[r] < 0) {
            return 1;
        }
    }
    double ours_median = median(ours, runs);
    double bare_median = median(bare, runs);
    printf("%s, %zu runs each, interleaved\n", path, runs);
    printf("  ours  (np_loader_load_file):           median %7.1f ms  (%.1f-%.1f)\n",
           ours_median * 1e3, ours[0] * 1e3, ours[runs - 1] * 1e3);
    printf("  cJSON (read + cJSON_ParseWithLength): median %7.1f ms  (%.1f-%.1f)\n",
           bare_median * 1e3, bare[0] * 1e3, bare[runs - 1] * 1e3);
    printf("  ratio ours / cJSON: %.2f  (target <= 1.3)\n", ours_median / bare_median);
    return 0;
}

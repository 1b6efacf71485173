/*
 * What the unit tests of the subcommands (test_merge, test_compare) share: a temporary directory
 * for the files a test writes, removed at teardown (cmocka's state), and the outcome of running a
 * subcommand's main with memory streams for its stdout and stderr. Include after cmocka.h.
 */
#ifndef NP_TESTS_WORKSPACE_H
#define NP_TESTS_WORKSPACE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct workspace {
    char dir[64];
    char paths[16][128]; /* files written, removed at teardown */
    size_t path_count;
} workspace;

/* A new directory /tmp/np-test-NAME-XXXXXX as *state; -1 (cmocka: setup failed) without one. */
static inline int workspace_setup(void **state, const char *name)
{
    workspace *w = calloc(1, sizeof(*w));
    if (!w)
        return -1;
    snprintf(w->dir, sizeof(w->dir), "/tmp/np-test-%s-XXXXXX", name);
    if (!mkdtemp(w->dir)) {
        free(w);
        return -1;
    }
    *state = w;
    return 0;
}

static inline int workspace_teardown(void **state)
{
    workspace *w = *state;
    for (size_t i = 0; i < w->path_count; i++)
        unlink(w->paths[i]);
    rmdir(w->dir);
    free(w);
    return 0;
}

/* Registers DIR/name for removal at teardown and returns it (owned by the workspace). */
static inline char *new_path(workspace *w, const char *name)
{
    assert_true(w->path_count < sizeof(w->paths) / sizeof(w->paths[0]));
    char path[sizeof(w->paths[0])]; /* formatted apart: the directory lives in *w too */
    snprintf(path, sizeof(path), "%s/%s", w->dir, name);
    return memcpy(w->paths[w->path_count++], path, sizeof(path));
}

/* Writes text to DIR/name and returns the path (owned by the workspace). */
static inline char *write_file(workspace *w, const char *name, const char *text)
{
    char *path = new_path(w, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A subcommand's exit status and what it wrote to stdout and stderr (free with outcome_free). */
typedef struct outcome {
    int status;
    char *out;
    char *err;
} outcome;

static inline outcome run_main(int (*main_fn)(int, char **, FILE *, FILE *), int argc, char **argv)
{
    outcome o = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&o.out, &out_len);
    FILE *err = open_memstream(&o.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    o.status = main_fn(argc, argv, out, err);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(fclose(err), 0);
    return o;
}

static inline void outcome_free(outcome *o)
{
    free(o->out);
    free(o->err);
}

static inline void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("expected to find \"%s\" in:\n%s", needle, haystack);
}

#endif

/*
 * Unit tests of atomic file replacement (issue 10 items 6, 17, 18): a replaced file keeps its
 * mode, a new one gets 0666 & ~umask, a 255-byte name works, a dangling link is written through a
 * temporary and stays a link, a failed sync reports the write's error (never a stale errno) and
 * its abort leaves no temporary behind.
 *
 * Each test works in a fresh directory of its own under /tmp.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/atomic_file.h"

typedef struct scratch {
    char dir[64];
    char path[PATH_MAX];
} scratch;

static int make_scratch(void **state)
{
    scratch *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    strcpy(s->dir, "/tmp/np_atomic_file.XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    *state = s;
    return 0;
}

/* Removes the directory and what is in it (files and links only: the tests make nothing else). */
static int remove_scratch(void **state)
{
    scratch *s = *state;
    DIR *d = opendir(s->dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, e->d_name);
        unlink(s->path);
    }
    if (d)
        closedir(d);
    rmdir(s->dir);
    free(s);
    return 0;
}

static const char *in_scratch(scratch *s, const char *name)
{
    snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, name);
    return s->path;
}

/* How many entries the directory holds (".", ".." not counted). */
static int entries(const scratch *s)
{
    DIR *d = opendir(s->dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void expect_content(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

static void write_through(const char *path, mode_t umask_value, const char *text)
{
    np_atomic_file file;
    assert_int_equal(np_atomic_file_open(&file, path, umask_value, -1), 0);
    assert_non_null(file.temporary_path);
    fputs(text, file.stream);
    assert_int_equal(np_atomic_file_commit(&file), 0);
}

static void test_replaced_file_keeps_its_mode(void **state)
{
    scratch *s = *state;
    const char *path = in_scratch(s, "secret.json");
    write_file(path, "old", 0600);
    write_through(path, 022, "new");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    expect_content(path, "new");
    assert_int_equal(entries(s), 1);
}

static void test_new_file_gets_0666_without_the_umask(void **state)
{
    scratch *s = *state;
    static const mode_t masks[] = {022, 077, 0};
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "new%zu.json", i);
        const char *path = in_scratch(s, name);
        write_through(path, masks[i], "x");
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0666 & ~masks[i]);
    }
}

/* Item 18: the temporary's name (".NAME.XXXXXX") was longer than NAME_MAX for names of 248-255
 * bytes, and the write failed with "File name too long". */
static void test_name_of_255_bytes_works(void **state)
{
    scratch *s = *state;
    char name[NAME_MAX + 1];
    memset(name, 'n', NAME_MAX);
    name[NAME_MAX] = '\0';
    const char *path = in_scratch(s, name);
    write_through(path, 022, "long");
    expect_content(in_scratch(s, name), "long");
    assert_int_equal(entries(s), 1);
}

/* Item 18: a dangling link was opened and written in place; now the file it names is created
 * through a temporary beside it, and the link stays a link. */
static void test_dangling_link_target_is_created_and_the_link_stays(void **state)
{
    scratch *s = *state;
    char link_path[PATH_MAX];
    snprintf(link_path, sizeof(link_path), "%s", in_scratch(s, "link.json"));
    assert_int_equal(symlink("target.json", link_path), 0);
    np_atomic_file file;
    assert_int_equal(np_atomic_file_open(&file, link_path, 022, -1), 0);
    assert_non_null(file.temporary_path); /* not written in place */
    fputs("through", file.stream);
    /* Nothing is at the target before the commit. */
    struct stat st;
    assert_int_equal(stat(in_scratch(s, "target.json"), &st), -1);
    assert_int_equal(np_atomic_file_commit(&file), 0);
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_content(in_scratch(s, "target.json"), "through");
    assert_int_equal(entries(s), 2);
}

/* Sets the stream's error flag the way a failed earlier operation does, with the file itself
 * still writable: a read from a write-only stream fails (EBADF) and marks the stream. */
static void mark_stream_failed(FILE *stream)
{
    assert_int_equal(fgetc(stream), EOF);
    assert_true(ferror(stream));
}

/* Item 17: the error flag was set by an earlier write whose errno is gone; fflush succeeds. The
 * old code reported whatever errno then held (here a stale ENOENT). */
static void test_sync_after_an_earlier_error_never_reports_a_stale_errno(void **state)
{
    scratch *s = *state;
    const char *path = in_scratch(s, "out.json");
    write_file(path, "kept", 0644);
    np_atomic_file file;
    assert_int_equal(np_atomic_file_open(&file, path, 022, -1), 0);
    fputs("lost", file.stream);
    mark_stream_failed(file.stream);
    errno = ENOENT; /* stale, from something unrelated */
    assert_int_equal(np_atomic_file_sync(&file), -1);
    assert_int_not_equal(errno, ENOENT);
    assert_true(errno == EIO || errno == EBADF);
    np_atomic_file_abort(&file);
    /* The abort leaves no temporary, and the target as it was. */
    assert_int_equal(entries(s), 1);
    expect_content(path, "kept");
}

static void test_failed_commit_leaves_no_temporary(void **state)
{
    scratch *s = *state;
    const char *path = in_scratch(s, "new.json");
    np_atomic_file file;
    assert_int_equal(np_atomic_file_open(&file, path, 022, -1), 0);
    fputs("lost", file.stream);
    mark_stream_failed(file.stream);
    errno = ENOENT;
    assert_int_equal(np_atomic_file_commit(&file), -1);
    assert_int_not_equal(errno, ENOENT);
    assert_int_equal(entries(s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replaced_file_keeps_its_mode, make_scratch,
                                        remove_scratch),
        cmocka_unit_test_setup_teardown(test_new_file_gets_0666_without_the_umask, make_scratch,
                                        remove_scratch),
        cmocka_unit_test_setup_teardown(test_name_of_255_bytes_works, make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(test_dangling_link_target_is_created_and_the_link_stays,
                                        make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(
            test_sync_after_an_earlier_error_never_reports_a_stale_errno, make_scratch,
            remove_scratch),
        cmocka_unit_test_setup_teardown(test_failed_commit_leaves_no_temporary, make_scratch,
                                        remove_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

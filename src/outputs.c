/*
 * A run's output files, committed all or none. The mutex guards the list and every temporary
 * path in it; it is held while a file is added, for each rename of a commit, while an abort
 * removes temporaries, and for good by an emergency cleanup. Syncing (the slow part: fsync) runs
 * without it, on files only the owning thread touches.
 *
 * A commit of several files is all or none even when a rename fails (or the process must exit in
 * the middle): before the first rename, each target that exists gets a second name, a hard link
 * beside it ("TEMPORARY-old"); a failure, or an emergency cleanup between two renames, puts every
 * replaced target back from its link, removes the files that did not exist before, and removes
 * the temporaries. A target that cannot get such a link (a file system without hard links, a
 * protected one) fails the commit before anything is renamed.
 */
#include "np/outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np/atomic_file.h"

/* More than the four files a run can write (results, report, trace, timeline). */
#define OUTPUTS_MAX 8

struct np_outputs {
    pthread_mutex_t mutex;
    np_atomic_file file[OUTPUTS_MAX];
    size_t count;
    mode_t umask_value;
    int cancel_fd;
    int stdout_fd;        /* guarded standard output, or -1 */
    off_t stdout_restore; /* its length before the document */
    char *failed_name;    /* the target a commit failed to rename (owned) */
    /* Set by an emergency cleanup before it waits for the mutex, so that a commit holding it
     * stops at its next rename instead of finishing (a mutex is not fair: the committing thread
     * could take it again first). */
    atomic_int emergency;
    /* During a commit of several files, under the mutex: */
    int committing;
    char *backup[OUTPUTS_MAX]; /* the replaced target's second name, or NULL (owned) */
    int existed[OUTPUTS_MAX];  /* the target existed before the commit */
    int renamed[OUTPUTS_MAX];  /* the temporary is in place */
};

np_outputs *np_outputs_create(mode_t umask_value, int cancel_fd)
{
    np_outputs *outputs = calloc(1, sizeof(*outputs));
    if (!outputs)
        return NULL;
    if (pthread_mutex_init(&outputs->mutex, NULL) != 0) {
        free(outputs);
        return NULL;
    }
    atomic_init(&outputs->emergency, 0);
    outputs->umask_value = umask_value;
    outputs->cancel_fd = cancel_fd;
    outputs->stdout_fd = -1;
    return outputs;
}

FILE *np_outputs_open(np_outputs *outputs, const char *path)
{
    if (outputs->count == OUTPUTS_MAX) {
        errno = EMFILE;
        return NULL;
    }
    /* Under the mutex, so an emergency cleanup cannot come between the temporary's creation and
     * its entry in the list. A FIFO waiting for its reader keeps it only until the run is
     * cancelled (the first signal), which ends that wait. */
    pthread_mutex_lock(&outputs->mutex);
    np_atomic_file *file = &outputs->file[outputs->count];
    int rc = np_atomic_file_open(file, path, outputs->umask_value, outputs->cancel_fd);
    if (rc == 0)
        outputs->count++;
    int saved = errno;
    pthread_mutex_unlock(&outputs->mutex);
    errno = saved;
    return rc == 0 ? file->stream : NULL;
}

int np_outputs_sync(np_outputs *outputs, const char **failed_path)
{
    for (size_t i = 0; i < outputs->count; i++) {
        np_atomic_file *file = &outputs->file[i];
        if (file->stream && np_atomic_file_sync(file) != 0) {
            *failed_path = file->target_path;
            return -1;
        }
    }
    return 0;
}

void np_outputs_guard_stdout(np_outputs *outputs, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return; /* a pipe or a terminal: what is written stays written */
    /* Only what the document adds past the file's end can be taken back: bytes it overwrote in
     * place (stdout opened with 1<>) are gone, so the file is never cut below its length. */
    int flags = fcntl(fd, F_GETFL);
    off_t offset = flags >= 0 && (flags & O_APPEND) ? st.st_size : lseek(fd, 0, SEEK_CUR);
    if (offset < 0)
        return;
    off_t length = offset > st.st_size ? offset : st.st_size;
    pthread_mutex_lock(&outputs->mutex);
    outputs->stdout_fd = fd;
    outputs->stdout_restore = length;
    pthread_mutex_unlock(&outputs->mutex);
}

/* Remembers target as the one a commit failed on, for *failed_path. */
static void set_failed(np_outputs *outputs, const char *target)
{
    free(outputs->failed_name);
    outputs->failed_name = strdup(target);
}

/* The mutex is held: removes the commit's second names. */
static void drop_backups(np_outputs *outputs)
{
    for (size_t i = 0; i < outputs->count; i++) {
        if (outputs->backup[i])
            unlink(outputs->backup[i]);
        free(outputs->backup[i]);
        outputs->backup[i] = NULL;
        outputs->renamed[i] = 0;
    }
    outputs->committing = 0;
}

/* The mutex is held: undoes the renames of a commit in progress (every target as before). */
static void roll_back(np_outputs *outputs)
{
    for (size_t i = 0; i < outputs->count; i++) {
        const np_atomic_file *file = &outputs->file[i];
        if (!outputs->renamed[i])
            continue;
        if (outputs->backup[i])
            rename(outputs->backup[i], file->target_path);
        else if (!outputs->existed[i])
            unlink(file->target_path);
    }
    drop_backups(outputs);
}

/* Whether this process may replace (and so unlink) target, described by st: in a sticky
 * directory (/tmp) only its owner, the directory's owner or root may (EPERM otherwise), and a
 * second name made there could not be removed either. */
static int may_replace(const char *target, const struct stat *st)
{
    const char *slash = strrchr(target, '/');
    char *dir = slash ? strndup(target, (size_t)(slash - target) + 1) : strdup(".");
    struct stat dir_st;
    int ok = 1;
    if (dir && stat(dir, &dir_st) == 0 && (dir_st.st_mode & S_ISVTX) && geteuid() != 0 &&
        st->st_uid != geteuid() && dir_st.st_uid != geteuid())
        ok = 0;
    free(dir);
    return ok;
}

/* The mutex is held: gives each target that exists a second name. Returns 0, or -1 with errno
 * (then none has one). */
static int make_backups(np_outputs *outputs)
{
    for (size_t i = 0; i < outputs->count; i++) {
        const np_atomic_file *file = &outputs->file[i];
        struct stat st;
        outputs->existed[i] = file->temporary_path && lstat(file->target_path, &st) == 0;
        if (outputs->existed[i] && !may_replace(file->target_path, &st)) {
            drop_backups(outputs);
            set_failed(outputs, file->target_path);
            errno = EPERM;
            return -1;
        }
        if (!outputs->existed[i])
            continue;
        size_t size = strlen(file->temporary_path) + 5;
        outputs->backup[i] = malloc(size);
        int err = outputs->backup[i] ? 0 : ENOMEM;
        if (!err) {
            snprintf(outputs->backup[i], size, "%s-old", file->temporary_path);
            if (link(file->target_path, outputs->backup[i]) != 0)
                err = errno;
        }
        if (err) {
            free(outputs->backup[i]);
            outputs->backup[i] = NULL;
            drop_backups(outputs);
            set_failed(outputs, file->target_path);
            errno = err;
            return -1;
        }
    }
    return 0;
}

int np_outputs_commit(np_outputs *outputs, const char **failed_path)
{
    int err = 0;
    pthread_mutex_lock(&outputs->mutex);
    size_t renames = 0;
    for (size_t i = 0; i < outputs->count; i++)
        renames += outputs->file[i].temporary_path != NULL;
    /* One file needs no second names: its rename is atomic by itself. */
    if (renames > 1 && make_backups(outputs) != 0)
        err = errno;
    outputs->committing = err == 0 && renames > 1;
    pthread_mutex_unlock(&outputs->mutex);
    /* One rename at a time under the mutex, so an emergency cleanup can come between two and
     * undo the first. */
    for (size_t i = 0; i < outputs->count && !err; i++) {
        pthread_mutex_lock(&outputs->mutex);
        np_atomic_file *file = &outputs->file[i];
        if (atomic_load(&outputs->emergency)) {
            err = ECANCELED; /* the process is exiting: put back what was renamed, stop */
            roll_back(outputs);
        } else if (file->temporary_path && rename(file->temporary_path, file->target_path) != 0) {
            err = errno;
            set_failed(outputs, file->target_path);
            roll_back(outputs);
        } else {
            outputs->renamed[i] = 1;
        }
        pthread_mutex_unlock(&outputs->mutex);
    }
    pthread_mutex_lock(&outputs->mutex);
    if (err) {
        for (size_t i = 0; i < outputs->count; i++)
            np_atomic_file_abort(&outputs->file[i]); /* removes the temporaries */
        if (outputs->stdout_fd >= 0)
            (void)ftruncate(outputs->stdout_fd, outputs->stdout_restore);
    } else {
        drop_backups(outputs);
        for (size_t i = 0; i < outputs->count; i++) {
            free(outputs->file[i].temporary_path); /* renamed: nothing to remove */
            outputs->file[i].temporary_path = NULL;
            np_atomic_file_abort(&outputs->file[i]);
        }
    }
    outputs->count = 0;
    outputs->stdout_fd = -1;
    pthread_mutex_unlock(&outputs->mutex);
    *failed_path = outputs->failed_name ? outputs->failed_name : "an output file";
    errno = err;
    return err ? -1 : 0;
}

/* The mutex is held. */
static void remove_all(np_outputs *outputs)
{
    for (size_t i = 0; i < outputs->count; i++)
        if (outputs->file[i].temporary_path)
            unlink(outputs->file[i].temporary_path);
    if (outputs->stdout_fd >= 0)
        (void)ftruncate(outputs->stdout_fd, outputs->stdout_restore);
}

void np_outputs_abort(np_outputs *outputs)
{
    pthread_mutex_lock(&outputs->mutex);
    remove_all(outputs);
    for (size_t i = 0; i < outputs->count; i++)
        np_atomic_file_abort(&outputs->file[i]);
    outputs->count = 0;
    outputs->stdout_fd = -1;
    pthread_mutex_unlock(&outputs->mutex);
}

void np_outputs_emergency_cleanup(void *context)
{
    np_outputs *outputs = context;
    atomic_store(&outputs->emergency, 1);
    pthread_mutex_lock(&outputs->mutex);
    if (outputs->committing)
        roll_back(outputs); /* between two renames: every target back as it was */
    remove_all(outputs);
    /* The mutex stays locked: the process ends before anyone else may take it. */
}

void np_outputs_destroy(np_outputs *outputs)
{
    if (!outputs)
        return;
    np_outputs_abort(outputs);
    pthread_mutex_destroy(&outputs->mutex);
    free(outputs->failed_name);
    free(outputs);
}

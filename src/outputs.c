/*
 * A run's output files, committed all or none. The mutex guards the list and every temporary
 * path in it; it is held while a file is added, during the renames of a commit, while an abort
 * removes temporaries, and for good by an emergency cleanup. Syncing (the slow part: fsync) runs
 * without it, on files only the owning thread touches.
 */
#include "np/outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

int np_outputs_commit(np_outputs *outputs, const char **failed_path)
{
    int rc = 0, err = 0;
    pthread_mutex_lock(&outputs->mutex);
    for (size_t i = 0; i < outputs->count; i++) {
        np_atomic_file *file = &outputs->file[i];
        char *target = rc == 0 ? strdup(file->target_path) : NULL; /* the rename frees it */
        if (np_atomic_file_rename(file) != 0 && rc == 0) {
            rc = -1;
            err = errno;
            free(outputs->failed_name);
            outputs->failed_name = target;
            target = NULL;
        }
        free(target);
    }
    outputs->count = 0;
    outputs->stdout_fd = -1;
    pthread_mutex_unlock(&outputs->mutex);
    *failed_path = outputs->failed_name ? outputs->failed_name : "an output file";
    errno = err;
    return rc;
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
    pthread_mutex_lock(&outputs->mutex);
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

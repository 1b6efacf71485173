/*
 * Temporary file + fsync + rename: rename(2) within one directory is atomic, so readers of the
 * target see either the old file or the complete new one, never a truncated write. The temporary
 * file is a dot-file beside the target (mkstemp: mode 0600, then given the replaced file's mode,
 * or 0666 & ~umask for a new file).
 */
#include "np/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Links followed before giving up, as the kernel's own limit (ELOOP). */
#define LINK_HOPS_MAX 40

/* How often an open of a FIFO without a reader is retried (ms): short enough that cancellation
 * never waits on it, long enough to cost nothing. */
#define FIFO_RETRY_MS 20

static void release(np_atomic_file *file)
{
    free(file->target_path);
    free(file->temporary_path);
    file->target_path = NULL;
    file->temporary_path = NULL;
    file->stream = NULL;
}

static int fail_with(np_atomic_file *file, int err)
{
    release(file);
    errno = err;
    return -1;
}

/* The path a symbolic link leads to after every hop, whether or not it exists; malloc'd. */
char *np_atomic_file_destination(const char *path)
{
    char *current = strdup(path);
    for (int hop = 0; current && hop < LINK_HOPS_MAX; hop++) {
        struct stat st;
        if (lstat(current, &st) != 0 || !S_ISLNK(st.st_mode))
            return current;
        char target[PATH_MAX];
        ssize_t n = readlink(current, target, sizeof(target) - 1);
        if (n < 0 || (size_t)n >= sizeof(target) - 1) {
            free(current);
            errno = n < 0 ? errno : ENAMETOOLONG;
            return NULL;
        }
        target[n] = '\0';
        const char *slash = strrchr(current, '/');
        size_t dir_len = target[0] == '/' || !slash ? 0 : (size_t)(slash - current) + 1;
        char *next = malloc(dir_len + (size_t)n + 1);
        if (next) {
            memcpy(next, current, dir_len);
            memcpy(next + dir_len, target, (size_t)n + 1);
        }
        free(current);
        current = next;
    }
    if (current) {
        free(current);
        errno = ELOOP;
    }
    return NULL;
}

/* Gives the temporary file the replaced file's mode (and owner, as root), or a new file's. */
static int set_mode(int fd, const struct stat *replaced, mode_t umask_value)
{
    if (!replaced)
        return fchmod(fd, 0666 & ~umask_value);
    if (fchmod(fd, replaced->st_mode & 07777) != 0)
        return -1;
    if (geteuid() == 0 && (replaced->st_uid != geteuid() || replaced->st_gid != getegid()) &&
        fchown(fd, replaced->st_uid, replaced->st_gid) != 0)
        return -1;
    /* chown clears set-user-ID and set-group-ID bits: put them back. */
    return (replaced->st_mode & 06000) ? fchmod(fd, replaced->st_mode & 07777) : 0;
}

static int open_temporary(np_atomic_file *file, const char *path, const struct stat *replaced,
                          mode_t umask_value)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    if (*base == '\0')
        return fail_with(file, EISDIR);
    /* ".BASE.XXXXXX" must fit in NAME_MAX: a long base is shortened (mkstemp keeps it unique). */
    int base_len = (int)strnlen(base, NAME_MAX);
    if (base_len > NAME_MAX - 8)
        base_len = NAME_MAX - 8;
    size_t size = strlen(path) + 16;
    file->target_path = strdup(path);
    file->temporary_path = malloc(size);
    if (!file->target_path || !file->temporary_path)
        return fail_with(file, ENOMEM);
    snprintf(file->temporary_path, size, "%.*s.%.*s.XXXXXX", (int)dir_len, path, base_len, base);
    int fd = mkstemp(file->temporary_path);
    if (fd < 0)
        return fail_with(file, errno);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (set_mode(fd, replaced, umask_value) == 0)
        file->stream = fdopen(fd, "w");
    if (!file->stream) {
        int saved = errno;
        close(fd);
        unlink(file->temporary_path);
        return fail_with(file, saved);
    }
    return 0;
}

/* Opens a device, FIFO or socket for writing in place. A FIFO without a reader is opened again
 * every FIFO_RETRY_MS until one comes or cancel_fd is readable. */
static int open_direct(np_atomic_file *file, const char *path, int is_fifo, int cancel_fd)
{
    file->target_path = strdup(path);
    if (!file->target_path)
        return fail_with(file, ENOMEM);
    int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (cancel_fd >= 0 ? O_NONBLOCK : 0);
    int fd;
    while ((fd = open(path, flags)) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != ENXIO || !is_fifo)
            return fail_with(file, errno);
        struct pollfd cancelled = {.fd = cancel_fd, .events = POLLIN};
        if (poll(&cancelled, 1, FIFO_RETRY_MS) > 0)
            return fail_with(file, ECANCELED);
    }
    int fd_flags = fcntl(fd, F_GETFL);
    if (fd_flags >= 0 && fcntl(fd, F_SETFL, fd_flags & ~O_NONBLOCK) == 0)
        file->stream = fdopen(fd, "w");
    if (!file->stream) {
        int saved = errno;
        close(fd);
        return fail_with(file, saved);
    }
    return 0;
}

/* A target that does not exist: created through a temporary file, also when path is a link to it
 * (a dangling link), in the directory the link leads to, so the link stays a link. */
static int open_new(np_atomic_file *file, const char *path, mode_t umask_value)
{
    struct stat link_st;
    if (lstat(path, &link_st) != 0 || !S_ISLNK(link_st.st_mode))
        return open_temporary(file, path, NULL, umask_value);
    char *resolved = np_atomic_file_destination(path);
    if (!resolved)
        return -1;
    int rc = open_temporary(file, resolved, NULL, umask_value);
    int saved = errno;
    free(resolved);
    errno = saved;
    return rc;
}

int np_atomic_file_open(np_atomic_file *file, const char *path, mode_t umask_value, int cancel_fd)
{
    memset(file, 0, sizeof(*file));
    if (*path == '\0') {
        errno = ENOENT;
        return -1;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? open_new(file, path, umask_value) : -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        return open_direct(file, path, S_ISFIFO(st.st_mode), cancel_fd);
    /* A regular file, perhaps behind links (/dev/stdout redirected to a file): replace the file,
     * in its own directory, and leave the links alone. */
    char *resolved = realpath(path, NULL);
    if (!resolved)
        return open_direct(file, path, 0, cancel_fd); /* e.g. a deleted file behind /proc */
    int rc = open_temporary(file, resolved, &st, umask_value);
    int saved = errno;
    free(resolved);
    errno = saved;
    return rc;
}

int np_atomic_file_sync(np_atomic_file *file)
{
    /* fflush's errno is the write's; an error flag left from an earlier write whose errno is gone
     * is reported as EIO rather than with whatever errno holds now. */
    int err = 0;
    if (fflush(file->stream) != 0)
        err = errno ? errno : EIO;
    else if (ferror(file->stream))
        err = EIO;
    if (!err && file->temporary_path && fsync(fileno(file->stream)) != 0)
        err = errno;
    if (fclose(file->stream) != 0 && !err)
        err = errno;
    file->stream = NULL;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

/* The rename of np_atomic_file_commit, after its sync. */
static int rename_into_place(np_atomic_file *file)
{
    int err = 0;
    if (file->temporary_path && rename(file->temporary_path, file->target_path) != 0) {
        err = errno;
        unlink(file->temporary_path);
    }
    release(file);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

int np_atomic_file_commit(np_atomic_file *file)
{
    if (np_atomic_file_sync(file) != 0) {
        int saved = errno;
        np_atomic_file_abort(file);
        errno = saved;
        return -1;
    }
    return rename_into_place(file);
}

void np_atomic_file_abort(np_atomic_file *file)
{
    if (file->stream)
        fclose(file->stream);
    if (file->temporary_path)
        unlink(file->temporary_path);
    release(file);
}

/*
 * Temporary file + fsync + rename: rename(2) within one directory is atomic, so readers of the
 * target see either the old file or the complete new one, never a truncated write. The temporary
 * file is a dot-file beside the target (mkstemp, mode 0600 then widened to the usual 0666 & ~umask,
 * as a plain fopen would create it).
 */
#include "np/atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(np_atomic_file *file)
{
    free(file->target_path);
    free(file->temporary_path);
    file->target_path = NULL;
    file->temporary_path = NULL;
    file->stream = NULL;
}

static int open_temporary(np_atomic_file *file, const char *path);

/* Opens path for writing directly, for targets that must not be replaced. */
static int open_direct(np_atomic_file *file, const char *path)
{
    file->target_path = strdup(path);
    file->stream = file->target_path ? fopen(path, "w") : NULL;
    if (!file->stream) {
        int saved = file->target_path ? errno : ENOMEM;
        release(file);
        errno = saved;
        return -1;
    }
    return 0;
}

int np_atomic_file_open(np_atomic_file *file, const char *path)
{
    memset(file, 0, sizeof(*file));
    struct stat link_st, st;
    if (lstat(path, &link_st) != 0)
        return open_temporary(file, path); /* a new file */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    if (S_ISREG(link_st.st_mode))
        return open_temporary(file, path);
    if (S_ISLNK(link_st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        /* A link to a regular file (e.g. /dev/stdout redirected to a file): replace the file it
         * points to, in that file's directory, and leave the link alone. */
        char *resolved = realpath(path, NULL);
        if (resolved) {
            struct stat resolved_st;
            int rc = stat(resolved, &resolved_st) == 0 && S_ISREG(resolved_st.st_mode)
                         ? open_temporary(file, resolved)
                         : open_direct(file, path);
            int saved = errno;
            free(resolved);
            errno = saved;
            return rc;
        }
    }
    /* A device, pipe, socket, or a link we cannot resolve: renaming over it would replace it
     * with a plain file, so write to it in place. */
    return open_direct(file, path);
}

static int open_temporary(np_atomic_file *file, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    if (*base == '\0') {
        errno = EISDIR;
        return -1;
    }
    size_t size = strlen(path) + 16;
    file->target_path = strdup(path);
    file->temporary_path = malloc(size);
    if (!file->target_path || !file->temporary_path) {
        release(file);
        errno = ENOMEM;
        return -1;
    }
    snprintf(file->temporary_path, size, "%.*s.%s.XXXXXX", (int)dir_len, path, base);
    int fd = mkstemp(file->temporary_path);
    if (fd < 0) {
        int saved = errno;
        release(file);
        errno = saved;
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    file->stream = fdopen(fd, "w");
    if (!file->stream) {
        int saved = errno;
        close(fd);
        unlink(file->temporary_path);
        release(file);
        errno = saved;
        return -1;
    }
    return 0;
}

int np_atomic_file_commit(np_atomic_file *file)
{
    int failed = fflush(file->stream) != 0 || ferror(file->stream);
    int saved = errno;
    if (!file->temporary_path) {
        /* Direct write to a device or pipe: nothing to sync or rename. */
        if (fclose(file->stream) != 0 && !failed) {
            failed = 1;
            saved = errno;
        }
        release(file);
        if (failed) {
            errno = saved ? saved : EIO;
            return -1;
        }
        return 0;
    }
    if (!failed && fsync(fileno(file->stream)) != 0) {
        failed = 1;
        saved = errno;
    }
    if (fclose(file->stream) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && rename(file->temporary_path, file->target_path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed)
        unlink(file->temporary_path);
    release(file);
    if (failed) {
        errno = saved ? saved : EIO;
        return -1;
    }
    return 0;
}

void np_atomic_file_abort(np_atomic_file *file)
{
    if (file->stream)
        fclose(file->stream);
    if (file->temporary_path)
        unlink(file->temporary_path);
    release(file);
}

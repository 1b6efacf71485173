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

int np_atomic_file_open(np_atomic_file *file, const char *path)
{
    memset(file, 0, sizeof(*file));
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

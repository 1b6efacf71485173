/*
 * Cancellable writes: poll the descriptor and the cancellation descriptor together, and to a pipe
 * write at most PIPE_BUF bytes at a time, which a pipe that polled writable always takes at once,
 * so write(2) itself never blocks.
 */
#include "np/fd_write.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

/* What one write may carry without blocking once poll said POLLOUT: a pipe then has a free slot,
 * which takes PIPE_BUF bytes; anything else, everything. */
static size_t room_in(int is_pipe, size_t want)
{
    return is_pipe && want > PIPE_BUF ? PIPE_BUF : want;
}

int np_fd_write_all(int fd, const char *buf, size_t len, int cancel_fd)
{
    if (fd < 0)
        return EBADF;
    struct stat st;
    int is_pipe = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
    size_t done = 0;
    while (done < len) {
        struct pollfd fds[2] = {{.fd = fd, .events = POLLOUT}, {.fd = cancel_fd, .events = POLLIN}};
        int cancelled = 0;
        if (cancel_fd >= 0) {
            struct pollfd check = {.fd = cancel_fd, .events = POLLIN};
            cancelled = poll(&check, 1, 0) > 0;
        }
        /* Before the cancellation: wait for room or for the cancellation; after it: wait for
         * room for a grace period only. */
        int n =
            cancelled ? poll(fds, 1, NP_FD_WRITE_GRACE_MS) : poll(fds, cancel_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (cancelled && n == 0)
            return ECANCELED;
        if (!(fds[0].revents & (POLLOUT | POLLERR | POLLHUP)))
            continue; /* only the cancellation: loop to take the grace period */
        size_t chunk = room_in(is_pipe, len - done);
        ssize_t written = write(fd, buf + done, chunk);
        if (written < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (written < 0)
            return errno;
        done += (size_t)written;
    }
    return 0;
}

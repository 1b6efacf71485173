/*
 * Cancellable input: every blocking step is a poll on the input's descriptor and the
 * cancellation descriptor together, then a read that poll said would not block. Standard input's
 * file description is shared with other processes, so its flags are never changed; a file we
 * open ourselves is opened non-blocking (a FIFO's open then returns at once) and made blocking
 * again once open.
 */
#include "np/input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Waits until fd is readable. Returns 0, or ECANCELED when cancel_fd became readable first. */
static int wait_readable(int fd, int cancel_fd)
{
    if (cancel_fd < 0)
        return 0; /* the read itself will block */
    for (;;) {
        struct pollfd fds[2] = {{.fd = cancel_fd, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (fds[0].revents)
            return ECANCELED;
        return 0; /* readable, at its end, or in error: the read says which */
    }
}

/* One read of at most size bytes. Returns the count (0 at the end) or -1 with errno set. */
static ssize_t read_some(np_input *input, char *buf, size_t size)
{
    for (;;) {
        int err = wait_readable(input->fd, input->cancel_fd);
        if (err) {
            errno = err;
            return -1;
        }
        ssize_t n = read(input->fd, buf, size);
        if (n >= 0)
            return n;
        if (errno != EINTR && errno != EAGAIN)
            return -1;
    }
}

int np_input_open(np_input *input, const char *path, int cancel_fd)
{
    memset(input, 0, sizeof(*input));
    input->fd = -1;
    input->cancel_fd = cancel_fd;
    if (strcmp(path, "-") == 0) {
        input->fd = STDIN_FILENO;
        input->name = "<stdin>";
    } else {
        input->name = path;
        /* Non-blocking, so a FIFO without a writer does not hold us in open(2). */
        input->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (input->fd < 0)
            return errno;
        input->owns_fd = 1;
    }
    struct stat st;
    if (fstat(input->fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        np_input_close(input);
        return err;
    }
    if (!input->owns_fd)
        return 0;
    if (S_ISFIFO(st.st_mode) && cancel_fd >= 0) {
        /* Linux reports no POLLHUP on a FIFO that never had a writer: poll waits for the first. */
        int err = wait_readable(input->fd, cancel_fd);
        if (err) {
            np_input_close(input);
            return err;
        }
    }
    int flags = fcntl(input->fd, F_GETFL);
    if (flags < 0 || fcntl(input->fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int err = errno;
        np_input_close(input);
        return err;
    }
    return 0;
}

int np_input_read_all(np_input *input, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    size_t capacity = 65536;
    if (fstat(input->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < SIZE_MAX - 1 && (size_t)st.st_size + 1 > capacity)
        capacity = (size_t)st.st_size + 1;
    size_t used = 0;
    char *buf = malloc(capacity);
    if (!buf)
        return ENOMEM;
    for (;;) {
        if (used + 1 == capacity) {
            char *bigger = capacity <= SIZE_MAX / 2 ? realloc(buf, capacity * 2) : NULL;
            if (!bigger) {
                free(buf);
                return ENOMEM;
            }
            buf = bigger;
            capacity *= 2;
        }
        ssize_t n = read_some(input, buf + used, capacity - 1 - used);
        if (n < 0) {
            int err = errno;
            free(buf);
            return err;
        }
        if (n == 0)
            break;
        int has_nul = memchr(buf + used, '\0', (size_t)n) != NULL;
        used += (size_t)n;
        if (has_nul)
            break;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

/* Makes room to read after the buffered bytes (moving them to the front first), always keeping one
 * spare byte for the terminator read_line writes. Returns 0 or ENOMEM. */
static int make_room(np_input *input)
{
    if (input->start > 0) {
        memmove(input->buffer, input->buffer + input->start, input->end - input->start);
        input->end -= input->start;
        input->start = 0;
    }
    if (input->capacity > 0 && input->capacity - input->end > 1)
        return 0;
    size_t capacity = input->capacity ? input->capacity * 2 : 65536;
    char *bigger = capacity > input->capacity ? realloc(input->buffer, capacity) : NULL;
    if (!bigger)
        return ENOMEM;
    input->buffer = bigger;
    input->capacity = capacity;
    return 0;
}

/* Returns the buffered bytes [start, start + n) as a line and skips `skip` more (the '\n'). */
static int take_line(np_input *input, size_t n, size_t skip, char **line, size_t *len)
{
    *line = input->buffer + input->start;
    *len = n;
    (*line)[n] = '\0'; /* over the '\n', or in the spare byte make_room keeps */
    input->start += n + skip;
    return 1;
}

int np_input_read_line(np_input *input, char **line, size_t *len)
{
    size_t scanned = 0; /* bytes after start known to hold no '\n' and no NUL */
    for (;;) {
        size_t pending = input->end - input->start;
        if (pending > scanned) {
            const char *from = input->buffer + input->start + scanned;
            const char *newline = memchr(from, '\n', pending - scanned);
            if (newline)
                return take_line(input, (size_t)(newline - input->buffer) - input->start, 1, line,
                                 len);
            if (memchr(from, '\0', pending - scanned)) {
                input->at_end = 1; /* a NUL: the parser reports this line, nothing after matters */
                return take_line(input, pending, 0, line, len);
            }
            scanned = pending;
        }
        if (input->at_end)
            return pending > 0 ? take_line(input, pending, 0, line, len) : 0;
        int err = make_room(input);
        ssize_t n =
            err ? -1
                : read_some(input, input->buffer + input->end, input->capacity - 1 - input->end);
        if (n < 0) {
            /* The line being read cannot be completed: drop it, report, read no more. */
            err = err ? err : errno;
            input->start = input->end;
            input->at_end = 1;
            errno = err;
            return -1;
        }
        if (n == 0)
            input->at_end = 1;
        input->end += (size_t)n;
    }
}

void np_input_close(np_input *input)
{
    if (input->owns_fd && input->fd >= 0)
        close(input->fd);
    free(input->buffer);
    memset(input, 0, sizeof(*input));
    input->fd = -1;
}

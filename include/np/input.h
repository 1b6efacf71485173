/*
 * Reading the input, so that cancellation is never stuck behind it.
 *
 * A read of a pipe or a terminal, or the open of a FIFO that has no writer yet, can block for
 * ever; a flag checked between articles never fires while the main thread sits in one of them.
 * Every wait here polls the input together with a cancellation descriptor (np_cancel_fd): once
 * that is readable, the wait ends with ECANCELED. A FIFO is opened without blocking and then waits
 * in poll for its writer.
 *
 * Reads stop early at a NUL byte: JSON text never contains one (the loader reports it at its
 * position), so reading on (from /dev/zero, say) could only use memory to report the same error.
 *
 * An np_input is used by one thread at a time.
 */
#ifndef NP_INPUT_H
#define NP_INPUT_H

#include <stddef.h>

typedef struct np_input {
    int fd;
    int owns_fd;      /* 0 for standard input */
    int cancel_fd;    /* -1: not cancellable */
    const char *name; /* for messages: the path as given, or "<stdin>" */
    /* read_line's buffer: bytes [start, end) are read but not yet returned. */
    char *buffer;
    size_t start, end, capacity;
    int at_end; /* nothing more will be read: the end, a NUL byte, or a failed read */
} np_input;

/*
 * Opens path for reading ("-" is standard input, named "<stdin>"), waiting for a FIFO's writer.
 * Returns 0, or an errno value: EISDIR for a directory, ECANCELED when cancel_fd became readable
 * first. cancel_fd may be -1.
 */
int np_input_open(np_input *input, const char *path, int cancel_fd);

/*
 * Reads everything (up to a NUL byte, included) into a malloc'd buffer, NUL-terminated after len
 * bytes. Returns 0, or an errno value (ECANCELED, ENOMEM, EIO, ...), in which case *data is NULL.
 */
int np_input_read_all(np_input *input, char **data, size_t *len);

/*
 * The next line, without its '\n': *line points into the input's buffer (valid until the next
 * call), NUL-terminated after *len bytes. A line that holds a NUL byte is returned as far as it
 * has been read, and is the last. Returns 1 for a line, 0 at the end of the input, or -1 with
 * errno set when the read failed (ECANCELED when cancelled, ENOMEM when the line does not fit in
 * memory): then nothing more is read.
 */
int np_input_read_line(np_input *input, char **line, size_t *len);

/* Closes the input (not standard input's descriptor) and frees its buffer. */
void np_input_close(np_input *input);

#endif

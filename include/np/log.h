/*
 * Diagnostics on stderr, at three levels. A logger is a small value passed to whoever needs it,
 * not a global. Each message is formatted into one buffer and written with a single call, so
 * lines from different threads never interleave (stdio locks the stream per call).
 */
#ifndef NP_LOG_H
#define NP_LOG_H

#include <stdio.h>

typedef enum np_log_level {
    NP_LOG_QUIET,   /* errors only (-q) */
    NP_LOG_NORMAL,  /* plus the closing summary line */
    NP_LOG_VERBOSE, /* plus a line per stage start and finish (-v) */
    NP_LOG_LEVEL_COUNT
} np_log_level;

typedef struct np_log {
    FILE *stream;
    np_log_level level;
} np_log;

/* Whether messages at level would be written. A NULL log writes nothing. */
int np_log_enabled(const np_log *log, np_log_level level);

/* Writes one line (a newline is added) if level is enabled. */
void np_log_line(const np_log *log, np_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats a message into err (err_size bytes) and returns status: `return np_error_message(...)`
 * for the modules that hand their errors back to main. */
int np_error_message(char *err, size_t err_size, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

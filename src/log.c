/*
 * Line-at-a-time logging. The line is built in a local buffer and written with one fwrite: stdio
 * takes the stream lock for the whole call, so concurrent lines stay whole.
 */
#include "np/log.h"

#include <stdarg.h>

int np_log_enabled(const np_log *log, np_log_level level)
{
    return log && log->stream && level <= log->level;
}

void np_log_line(const np_log *log, np_log_level level, const char *fmt, ...)
{
    if (!np_log_enabled(log, level))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    fwrite(line, 1, len, log->stream);
}

int np_error_message(char *err, size_t err_size, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return status;
}

/*
 * The server-sent events parser (np/sse.h): bytes collect into a line; each finished line is a
 * field; a blank line hands the event's data to the callback.
 */
#include "np/sse.h"

#include <stdlib.h>
#include <string.h>

static int append(char **buf, size_t *len, size_t *cap, const char *bytes, size_t n)
{
    if (*len + n + 1 > NP_SSE_MAX_EVENT)
        return -1;
    if (*len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 256;
        while (want < *len + n + 1)
            want *= 2;
        char *grown = realloc(*buf, want);
        if (!grown)
            return -1;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, bytes, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* One complete line (without its end). */
static int take_line(np_sse *sse, np_sse_event_fn on_event, void *context)
{
    const char *line = sse->line ? sse->line : "";
    size_t len = sse->line_len;
    sse->line_len = 0;
    if (len == 0) {
        if (!sse->has_data)
            return 0;
        sse->has_data = 0;
        size_t data_len = sse->data_len;
        sse->data_len = 0;
        return on_event(context, sse->data ? sse->data : "", data_len);
    }
    if (len < 5 || memcmp(line, "data:", 5) != 0)
        return 0; /* a comment, or a field a chat completion does not use */
    const char *value = line + 5;
    size_t value_len = len - 5;
    if (value_len > 0 && *value == ' ') {
        value++;
        value_len--;
    }
    if (sse->has_data && append(&sse->data, &sse->data_len, &sse->data_cap, "\n", 1) != 0)
        return -1;
    sse->has_data = 1;
    /* An empty append still sets up the buffer, so data is never NULL once has_data is set. */
    return append(&sse->data, &sse->data_len, &sse->data_cap, value, value_len);
}

int np_sse_feed(np_sse *sse, const char *bytes, size_t n, np_sse_event_fn on_event, void *context)
{
    size_t i = 0;
    while (i < n) {
        char c = bytes[i];
        if (c == '\n' && sse->after_cr) {
            sse->after_cr = 0;
            i++;
            continue;
        }
        sse->after_cr = 0;
        if (c == '\n' || c == '\r') {
            sse->after_cr = c == '\r';
            int rc = take_line(sse, on_event, context);
            if (rc != 0)
                return rc;
            i++;
            continue;
        }
        size_t run = i;
        while (run < n && bytes[run] != '\n' && bytes[run] != '\r')
            run++;
        if (append(&sse->line, &sse->line_len, &sse->line_cap, bytes + i, run - i) != 0)
            return -1;
        i = run;
    }
    return 0;
}

void np_sse_free(np_sse *sse)
{
    free(sse->line);
    free(sse->data);
    memset(sse, 0, sizeof(*sse));
}

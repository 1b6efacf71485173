/*
 * Server-sent events (the text/event-stream framing a streaming chat completion arrives in),
 * parsed as the bytes come: lines end in LF, CRLF or CR; "data:" lines of one event are joined
 * with LF; a blank line dispatches the event; comments (":...") and other fields are ignored.
 *
 * One parser per response, used by one thread. Its buffers are malloc'd and grow up to
 * NP_SSE_MAX_EVENT bytes; np_sse_free releases them.
 */
#ifndef NP_SSE_H
#define NP_SSE_H

#include <stddef.h>

#define NP_SSE_MAX_EVENT (1u << 20)

typedef struct np_sse {
    char *line; /* the line being received */
    size_t line_len, line_cap;
    char *data; /* the event's data so far */
    size_t data_len, data_cap;
    int has_data;
    int after_cr; /* the last byte was CR: a following LF belongs to the same line end */
} np_sse;

/* Called for each event with data (NUL-terminated at data[len]); returns 0 to go on, else the
 * parse stops and np_sse_feed returns that value. */
typedef int (*np_sse_event_fn)(void *context, const char *data, size_t len);

/* Feeds bytes[0..n). Returns 0, a callback's non-zero value, or -1 when an event outgrows
 * NP_SSE_MAX_EVENT or memory runs out. */
int np_sse_feed(np_sse *sse, const char *bytes, size_t n, np_sse_event_fn on_event, void *context);

void np_sse_free(np_sse *sse);

#endif

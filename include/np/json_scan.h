/*
 * Reading a JSON text in place: just enough to take fields out of a model server's reply
 * without building a tree.
 *
 * Why not cJSON: its parser writes a process-wide error record on every call, so parsing on
 * worker threads races with the loader (which parses NDJSON lines on the dispatcher while the
 * run goes on). These functions keep no state, allocate nothing, and are safe on any thread.
 *
 * A position is a pointer into [p, end); a value starts at its first byte (whitespace skipped by
 * the functions that return one). Strictly RFC 8259, nesting up to NP_JSON_SCAN_DEPTH levels.
 */
#ifndef NP_JSON_SCAN_H
#define NP_JSON_SCAN_H

#include <stddef.h>

#define NP_JSON_SCAN_DEPTH 64

/* Skips whitespace from p; returns the first other byte's position (end if none). */
const char *np_json_skip_space(const char *p, const char *end);

/* Whether [p, end) is exactly one JSON value, whitespace around it allowed. */
int np_json_valid(const char *p, const char *end);

/* The value of member key (compared byte for byte, unescaped keys only) in the object at p, or
 * NULL when p is not an object or has no such member. The first of duplicate keys wins. */
const char *np_json_member(const char *p, const char *end, const char *key);

/* The first element of the array at p, or NULL when p is not a non-empty array. */
const char *np_json_first(const char *p, const char *end);

/*
 * Decodes the string at p into out[0..cap) as UTF-8, NUL-terminated, its length in *len.
 * Returns 0, or -1 when p is not a string, holds \u0000, invalid UTF-8 or an unpaired
 * surrogate, or does not fit in cap bytes with its NUL.
 */
int np_json_string(const char *p, const char *end, char *out, size_t cap, size_t *len);

/* The number at p in *out. Returns 0, or -1 when p is not a number (or it is not finite). */
int np_json_number(const char *p, const char *end, double *out);

/* The first byte of the first complete JSON object in text[0..len) (e.g. one inside a Markdown
 * code fence, or after a sentence), and its end in *object_end; NULL when there is none. */
const char *np_json_find_object(const char *text, size_t len, const char **object_end);

#endif

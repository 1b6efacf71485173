/*
 * Writing JSON values to a stdio stream: the few primitives the output, report and trace writers
 * share. Strings must be valid UTF-8 (the loader guarantees it for everything from the input);
 * they are written as-is except for the escapes JSON requires.
 */
#ifndef NP_JSON_WRITE_H
#define NP_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "np/article.h"

/* Size of a buffer that holds any uint64_t in decimal (20 digits), without a terminator. */
#define NP_U64_DIGITS 20

/*
 * Formats v in decimal, as "%" PRIu64 would, right-aligned at the end of digits[NP_U64_DIGITS]
 * (no NUL). Returns where the number starts; its length is NP_U64_DIGITS minus that.
 */
size_t np_json_format_u64(char digits[NP_U64_DIGITS], uint64_t v);

/*
 * Text gathered in memory and written to a stream in large pieces: a large output is many short
 * pieces (a field name, a number, a title), and each stdio call costs more than copying one.
 * text[0..len) is what is not written yet, cap its size (any size works: a piece that does not
 * fit is written out directly). Owned by one thread; the caller provides text.
 */
typedef struct np_json_buffer {
    FILE *out;
    char *text;
    size_t len;
    size_t cap;
} np_json_buffer;

/* Adds s[0..n) when it does not fit: writes what was gathered first (np_json_buffer_add). */
void np_json_buffer_add_slow(np_json_buffer *b, const char *s, size_t n);

/* Adds s[0..n). Inline: most pieces are a few bytes, often a literal, which a call would cost
 * more than copying. */
static inline void np_json_buffer_add(np_json_buffer *b, const char *s, size_t n)
{
    if (n <= b->cap - b->len) {
        memcpy(b->text + b->len, s, n);
        b->len += n;
    } else {
        np_json_buffer_add_slow(b, s, n);
    }
}

/* Adds s[0..len) as a JSON string literal, quotes included. */
void np_json_buffer_add_string(np_json_buffer *b, const char *s, size_t len);

/* Writes what was gathered to b->out (its errors are the stream's: check ferror). */
void np_json_buffer_flush(np_json_buffer *b);

/*
 * Formats v as "%.4f" does (round half to even on v's exact binary value, "-0.0000" for a
 * negative v that rounds to zero) into text, for |v| < 1e9; returns the length, or 0 when v is
 * outside that range or not finite (the caller then asks printf).
 */
size_t np_json_format_fixed4(char text[32], double v);

/* Writes s[0..len) as a JSON string literal, quotes included. */
void np_json_write_string(FILE *out, const char *s, size_t len);

/* Writes an id with its JSON type: a number as an integer, a string as a string literal. */
void np_json_write_id(FILE *out, const np_id *id);

/* Writes v in the shortest form that reads back as the same double ("%.15g", else "%.17g"), or
 * null when it is not finite. */
void np_json_write_double(FILE *out, double v);

/* Writes a duration given in nanoseconds as milliseconds with three decimals (µs resolution). */
void np_json_write_ms(FILE *out, long long ns);

#endif

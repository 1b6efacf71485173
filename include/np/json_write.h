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

#include "np/article.h"

/* Size of a buffer that holds any uint64_t in decimal (20 digits), without a terminator. */
#define NP_U64_DIGITS 20

/*
 * Formats v in decimal, as "%" PRIu64 would, right-aligned at the end of digits[NP_U64_DIGITS]
 * (no NUL). Returns where the number starts; its length is NP_U64_DIGITS minus that.
 */
size_t np_json_format_u64(char digits[NP_U64_DIGITS], uint64_t v);

/* Writes s[0..len) as a JSON string literal, quotes included. */
void np_json_write_string(FILE *out, const char *s, size_t len);

/* Writes an id with its JSON type: a number as an integer, a string as a string literal. */
void np_json_write_id(FILE *out, const np_id *id);

/* Writes a duration given in nanoseconds as milliseconds with three decimals (µs resolution). */
void np_json_write_ms(FILE *out, long long ns);

#endif

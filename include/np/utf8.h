/*
 * UTF-8 and JSON's hex digits, as the loader's strict pass, np/json_scan.h and the SVG timeline's
 * text escaping check UTF-8, and the two JSON readers read \u escapes. Pure functions; no state.
 */
#ifndef NP_UTF8_H
#define NP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of the valid UTF-8 sequence at s[0..len) (len >= 1), or 0 if it is not valid
 * (RFC 3629: overlong forms, UTF-16 surrogates and values past U+10FFFF are not); *cp receives
 * the code point. An ASCII byte is a sequence of 1. Inline: the loader's strict pass calls it for
 * every non-ASCII character, and a call there cost a fifth more on mostly non-ASCII text.
 */
static inline size_t np_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        *cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        *cp = c & 0x0Fu;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong below */
        hi = c == 0xED ? 0x9F : 0xBF; /* surrogates above */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        *cp = c & 0x07u;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong below */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* past U+10FFFF above */
    } else {
        return 0;
    }
    if (len < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if (i > 1 && (s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3Fu);
    }
    return need;
}

/* The value of the four hex digits at p (4 bytes readable), or -1 if they are not all hex. */
long np_hex4(const char *p);

#endif

/*
 * UTF-8 and JSON's hex digits, as np/json_scan.h and the SVG timeline's text escaping check UTF-8
 * and both JSON readers (it and the loader) read \u escapes. Pure functions; no state.
 */
#ifndef NP_UTF8_H
#define NP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of the valid UTF-8 sequence at s[0..len) (len >= 1), or 0 if it is not valid
 * (RFC 3629: overlong forms, UTF-16 surrogates and values past U+10FFFF are not); *cp receives
 * the code point. An ASCII byte is a sequence of 1.
 */
size_t np_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* The value of the four hex digits at p (4 bytes readable), or -1 if they are not all hex. */
long np_hex4(const char *p);

#endif

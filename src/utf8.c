/* UTF-8 sequences and hex digits (np/utf8.h): one implementation for json_scan, the timeline and
 * (hex digits) the loader. */
#include "np/utf8.h"

size_t np_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
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

long np_hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0)
            return -1;
        v = v * 16 + digit;
    }
    return v;
}

/*
 * An in-place JSON reader (np/json_scan.h): a recursive skipper that validates as it goes, and
 * lookups built on it. The recursion is bounded by NP_JSON_SCAN_DEPTH, so a hostile reply cannot
 * exhaust a worker's small stack.
 */
#include "np/json_scan.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np/utf8.h"

const char *np_json_skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static size_t put_utf8(uint32_t cp, char *out)
{
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        out[i] = (char)(0x80 | (cp & 0x3F));
    out[0] = (char)(lead[n] | cp);
    return n;
}

/*
 * Walks the string at p (its opening quote), decoding into out when out is not NULL (room for
 * cap bytes, NUL included). Returns the position after the closing quote, or NULL when invalid
 * or out of room; *len gets the decoded length.
 */
static const char *scan_string(const char *p, const char *end, char *out, size_t cap, size_t *len)
{
    if (p >= end || *p != '"')
        return NULL;
    p++;
    size_t n = 0;
    char buf[4];
    while (p < end && *p != '"') {
        const char *piece = p;
        size_t piece_len;
        unsigned char c = (unsigned char)*p;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (end - p < 2)
                return NULL;
            static const char escaped[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
            char e = p[1];
            const char *simple = e ? strchr(escaped, e) : NULL;
            p += 2;
            piece = buf;
            piece_len = 1;
            if (simple) {
                buf[0] = meant[simple - escaped];
            } else if (e == 'u') {
                if (end - p < 4)
                    return NULL;
                long cp = np_hex4(p);
                p += 4;
                if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                    return NULL; /* \u0000 would cut the text short; a lone low surrogate */
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                        return NULL;
                    long low = np_hex4(p + 2);
                    if (low < 0xDC00 || low > 0xDFFF)
                        return NULL;
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                piece_len = put_utf8((uint32_t)cp, buf);
            } else {
                return NULL;
            }
        } else {
            uint32_t code_point;
            piece_len = np_utf8_decode((const unsigned char *)p, (size_t)(end - p), &code_point);
            if (piece_len == 0)
                return NULL;
            p += piece_len;
        }
        if (out) {
            if (cap - n <= piece_len)
                return NULL;
            memcpy(out + n, piece, piece_len);
        }
        n += piece_len;
    }
    if (p >= end)
        return NULL;
    if (out)
        out[n] = '\0';
    if (len)
        *len = n;
    return p + 1;
}

static const char *scan_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

static const char *skip_literal(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

static const char *skip_value(const char *p, const char *end, int depth);

/* Skips the object or array at p (its opening bracket). */
static const char *skip_container(const char *p, const char *end, int depth)
{
    char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    if (depth >= NP_JSON_SCAN_DEPTH)
        return NULL;
    p = np_json_skip_space(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            p = scan_string(p, end, NULL, 0, NULL);
            if (!p)
                return NULL;
            p = np_json_skip_space(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p++;
        }
        p = skip_value(p, end, depth + 1);
        if (!p)
            return NULL;
        p = np_json_skip_space(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = np_json_skip_space(p + 1, end);
    }
}

static const char *skip_value(const char *p, const char *end, int depth)
{
    p = np_json_skip_space(p, end);
    if (p >= end)
        return NULL;
    switch (*p) {
    case '{':
    case '[':
        return skip_container(p, end, depth);
    case '"':
        return scan_string(p, end, NULL, 0, NULL);
    case 't':
        return skip_literal(p, end, "true");
    case 'f':
        return skip_literal(p, end, "false");
    case 'n':
        return skip_literal(p, end, "null");
    default:
        return scan_number(p, end);
    }
}

int np_json_valid(const char *p, const char *end)
{
    p = skip_value(p, end, 0);
    return p && np_json_skip_space(p, end) == end;
}

const char *np_json_member(const char *p, const char *end, const char *key)
{
    p = np_json_skip_space(p, end);
    if (p >= end || *p != '{')
        return NULL;
    size_t key_len = strlen(key);
    p = np_json_skip_space(p + 1, end);
    while (p < end && *p == '"') {
        const char *name = p + 1;
        const char *after = scan_string(p, end, NULL, 0, NULL);
        if (!after)
            return NULL;
        int match = (size_t)(after - 1 - name) == key_len && memcmp(name, key, key_len) == 0;
        p = np_json_skip_space(after, end);
        if (p >= end || *p != ':')
            return NULL;
        p = np_json_skip_space(p + 1, end);
        if (match)
            return p < end ? p : NULL;
        p = skip_value(p, end, 0);
        if (!p)
            return NULL;
        p = np_json_skip_space(p, end);
        if (p >= end || *p != ',')
            return NULL;
        p = np_json_skip_space(p + 1, end);
    }
    return NULL;
}

const char *np_json_first(const char *p, const char *end)
{
    p = np_json_skip_space(p, end);
    if (p >= end || *p != '[')
        return NULL;
    p = np_json_skip_space(p + 1, end);
    return p < end && *p != ']' ? p : NULL;
}

int np_json_string(const char *p, const char *end, char *out, size_t cap, size_t *len)
{
    p = np_json_skip_space(p, end);
    if (cap == 0)
        return -1;
    return scan_string(p, end, out, cap, len) ? 0 : -1;
}

int np_json_number(const char *p, const char *end, double *out)
{
    p = np_json_skip_space(p, end);
    const char *after = scan_number(p, end);
    if (!after)
        return -1;
    char buf[64];
    size_t n = (size_t)(after - p);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

const char *np_json_find_object(const char *text, size_t len, const char **object_end)
{
    const char *end = text + len;
    for (const char *p = text; p < end; p++) {
        if (*p != '{')
            continue;
        const char *after = skip_container(p, end, 0);
        if (after) {
            *object_end = after;
            return p;
        }
    }
    return NULL;
}

/*
 * JSON string escaping and number writing, shared by the output, report and trace writers.
 *
 * These run for every field of every article of a large output, so:
 *   - Text is gathered in an np_json_buffer and reaches stdio in large pieces: 100,000 articles
 *     took some 1.4 million stdio calls (each takes the stream's lock), about a fifth of writing
 *     them.
 *   - A string is scanned eight bytes at a time for what JSON must escape (control characters,
 *     '"' and '\\'), and each run of bytes between escapes is copied whole.
 *   - Integers are formatted by hand: fprintf parses its format string on every call, which
 *     showed up in profiles of large outputs. So is a score's "%.4f" (np_json_format_fixed4),
 *     exactly: printf's general decimal conversion was another fifth of writing the articles.
 * The bytes written are exactly those of the printf formats they replace ("%" PRIu64, "%lld",
 * "%.4f").
 */
#include "np/json_write.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A byte value times BYTES_01 is that byte in each of the 8 bytes of a uint64_t. */
#define BYTES_01 0x0101010101010101u
#define BYTES_7F (0x7F * BYTES_01)

/*
 * Bit 7 of each byte of the result is set exactly where that byte of chunk is zero. No byte can
 * carry into the next: (byte & 0x7F) + 0x7F is at most 0xFE.
 */
static uint64_t zero_bytes(uint64_t chunk)
{
    return ~(((chunk & BYTES_7F) + BYTES_7F) | chunk | BYTES_7F);
}

/* Whether any of the 8 bytes in chunk is a control character, '"' or '\\'. */
static int chunk_needs_escape(uint64_t chunk)
{
    return (zero_bytes(chunk & (0xE0 * BYTES_01)) | zero_bytes(chunk ^ ('"' * BYTES_01)) |
            zero_bytes(chunk ^ ('\\' * BYTES_01))) != 0;
}

static int needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* The index of the first byte of s[i..len) that must be escaped, or len. */
static size_t next_escape(const char *s, size_t i, size_t len)
{
    for (; len - i >= 8; i += 8) {
        uint64_t chunk;
        memcpy(&chunk, s + i, sizeof chunk); /* byte order does not matter: any byte will do */
        if (chunk_needs_escape(chunk))
            break; /* the byte loop below finds it within these 8 bytes */
    }
    for (; i < len; i++)
        if (needs_escape((unsigned char)s[i]))
            return i;
    return len;
}

void np_json_buffer_flush(np_json_buffer *b)
{
    if (b->len > 0)
        fwrite(b->text, 1, b->len, b->out);
    b->len = 0;
}

void np_json_buffer_add_slow(np_json_buffer *b, const char *s, size_t n)
{
    np_json_buffer_flush(b);
    if (n > b->cap) {
        fwrite(s, 1, n, b->out);
        return;
    }
    memcpy(b->text, s, n);
    b->len = n;
}

/* Adds the escape of c, a byte that needs one: a short one (\n) where JSON has it, else \u00XX. */
static void add_escape(np_json_buffer *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef", plain[] = "\"\\\n\r\t\b\f", named[] = "\"\\nrtbf";
    const char *short_form = c ? strchr(plain, c) : NULL;
    char escape[6] = {
        '\\', short_form ? named[short_form - plain] : 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    np_json_buffer_add(b, escape, short_form ? 2 : sizeof escape);
}

void np_json_buffer_add_string(np_json_buffer *b, const char *s, size_t len)
{
    np_json_buffer_add(b, "\"", 1);
    size_t run_start = 0;
    size_t i = next_escape(s, 0, len);
    while (i < len) {
        np_json_buffer_add(b, s + run_start, i - run_start);
        add_escape(b, (unsigned char)s[i]);
        run_start = i + 1;
        i = next_escape(s, run_start, len);
    }
    np_json_buffer_add(b, s + run_start, len - run_start);
    np_json_buffer_add(b, "\"", 1);
}

void np_json_write_string(FILE *out, const char *s, size_t len)
{
    char text[256];
    np_json_buffer b = {.out = out, .text = text, .cap = sizeof text};
    np_json_buffer_add_string(&b, s, len);
    np_json_buffer_flush(&b);
}

/*
 * Why this is exact. Any finite double is m * 2^e with m an integer below 2^53 (frexp gives
 * them). With |v| < 1e9 < 2^30, e < -23, and v * 10^4 = m * 625 * 2^(e + 4), where m * 625 <
 * 2^63 fits in 64 bits: shifting it right by k = -(e + 4) bits gives the integer part of v * 10^4,
 * and the bits shifted out compare exactly with one half. Past 63 bits v * 10^4 < 1/2 and rounds
 * to 0. Ties (v * 10^4 ending in exactly .5, such as 0.03125) go to the even neighbour, as
 * glibc's printf does in the default rounding mode.
 */
size_t np_json_format_fixed4(char text[32], double v)
{
    if (!(fabs(v) < 1e9))
        return 0; /* not finite, or past the range the proof above covers */
    int exponent;
    double fraction = frexp(fabs(v), &exponent); /* |v| = fraction * 2^exponent, in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(fraction, 53);
    int k = 53 - exponent - 4; /* v * 10^4 = m * 625 / 2^k */
    uint64_t p = m * 625;
    uint64_t q = 0;
    if (k < 64) {
        q = p >> k;
        uint64_t rest = p & ((UINT64_C(1) << k) - 1);
        uint64_t half = UINT64_C(1) << (k - 1);
        q += rest > half || (rest == half && (q & 1));
    }
    size_t n = 0;
    if (signbit(v))
        text[n++] = '-';
    char digits[NP_U64_DIGITS];
    size_t start = np_json_format_u64(digits, q / 10000);
    memcpy(text + n, digits + start, NP_U64_DIGITS - start);
    n += NP_U64_DIGITS - start;
    unsigned decimals = (unsigned)(q % 10000);
    text[n++] = '.';
    text[n++] = (char)('0' + decimals / 1000);
    text[n++] = (char)('0' + decimals / 100 % 10);
    text[n++] = (char)('0' + decimals / 10 % 10);
    text[n++] = (char)('0' + decimals % 10);
    return n;
}

size_t np_json_format_u64(char digits[NP_U64_DIGITS], uint64_t v)
{
    size_t start = NP_U64_DIGITS;
    do {
        digits[--start] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return start;
}

/* Writes the decimal digits of v, as "%" PRIu64 would. */
static void write_u64(FILE *out, uint64_t v)
{
    char digits[NP_U64_DIGITS];
    size_t start = np_json_format_u64(digits, v);
    fwrite(digits + start, 1, NP_U64_DIGITS - start, out);
}

void np_json_write_id(FILE *out, const np_id *id)
{
    if (id->kind == NP_ID_NUMBER)
        write_u64(out, id->number);
    else
        np_json_write_string(out, id->text, id->text_len);
}

void np_json_write_ms(FILE *out, long long ns)
{
    if (ns < 0)
        ns = 0;
    long long frac = (ns / 1000) % 1000; /* microseconds, as "%03lld" */
    char tail[4] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                    (char)('0' + frac % 10)};
    write_u64(out, (uint64_t)(ns / 1000000));
    fwrite(tail, 1, sizeof tail, out);
}

void np_json_write_double(FILE *out, double v)
{
    char text[32];
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    snprintf(text, sizeof(text), "%.15g", v);
    if (strtod(text, NULL) != v)
        snprintf(text, sizeof(text), "%.17g", v);
    fputs(text, out);
}

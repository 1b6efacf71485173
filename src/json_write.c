/*
 * JSON string escaping and number writing, shared by the output, report and trace writers.
 *
 * These run for every field of every article of a large output, so:
 *   - A string is scanned eight bytes at a time for what JSON must escape (control characters,
 *     '"' and '\\'), and each run of bytes between escapes is written with one fwrite: an article
 *     text costs a handful of stdio calls and a few operations per eight bytes.
 *   - Integers are formatted by hand into a small buffer and written with one fwrite: fprintf
 *     parses its format string on every call, which showed up in profiles of large outputs.
 * The bytes written are exactly those of the printf formats they replace ("%" PRIu64, "%lld").
 */
#include "np/json_write.h"

#include <stdint.h>
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
        if (chunk_needs_escape(chunk)) {
            break; /* the byte loop below finds it within these 8 bytes */
        }
    }
    for (; i < len; i++) {
        if (needs_escape((unsigned char)s[i])) {
            return i;
        }
    }
    return len;
}

static void write_escape(FILE *out, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        fwrite("\\\"", 1, 2, out);
        break;
    case '\\':
        fwrite("\\\\", 1, 2, out);
        break;
    case '\n':
        fwrite("\\n", 1, 2, out);
        break;
    case '\r':
        fwrite("\\r", 1, 2, out);
        break;
    case '\t':
        fwrite("\\t", 1, 2, out);
        break;
    case '\b':
        fwrite("\\b", 1, 2, out);
        break;
    case '\f':
        fwrite("\\f", 1, 2, out);
        break;
    default: {
        char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        fwrite(escape, 1, sizeof escape, out);
    }
    }
}

void np_json_write_string(FILE *out, const char *s, size_t len)
{
    putc('"', out);
    size_t run_start = 0;
    size_t i = next_escape(s, 0, len);
    while (i < len) {
        fwrite(s + run_start, 1, i - run_start, out);
        write_escape(out, (unsigned char)s[i]);
        run_start = i + 1;
        i = next_escape(s, run_start, len);
    }
    fwrite(s + run_start, 1, len - run_start, out);
    putc('"', out);
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

/*
 * JSON string escaping. Runs of characters that need no escape are written with one fwrite, so
 * long article texts cost a handful of calls, not one per byte.
 */
#include "np/json_write.h"

#include <inttypes.h>

void np_json_write_string(FILE *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    size_t run_start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(s + run_start, 1, i - run_start, out);
        run_start = i + 1;
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        default: {
            char escape[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0'};
            fputs(escape, out);
        }
        }
    }
    fwrite(s + run_start, 1, len - run_start, out);
    fputc('"', out);
}

void np_json_write_id(FILE *out, const np_id *id)
{
    if (id->kind == NP_ID_NUMBER)
        fprintf(out, "%" PRIu64, id->number);
    else
        np_json_write_string(out, id->text, id->text_len);
}

void np_json_write_ms(FILE *out, long long ns)
{
    if (ns < 0)
        ns = 0;
    fprintf(out, "%lld.%03lld", ns / 1000000, (ns / 1000) % 1000);
}

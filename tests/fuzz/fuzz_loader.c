/*
 * libFuzzer target for the loader (np_loader_parse, and np_loader_parse_object on the same input
 * as one NDJSON line), built and run by tests/fuzz/run.sh.
 *
 * Design: every input is copied into a fresh malloc'd buffer with a '\0' after it (the loader's
 * contract), so AddressSanitizer catches any read past the document. The sanitizers catch memory
 * errors, undefined behaviour and leaks; this file adds what they cannot see, the loader's
 * contract, and abort()s when it is broken:
 *   accepted input  the input is strict JSON (checked by an independent recogniser below); the
 *                   article count and every id, title and content match what cJSON reads from
 *                   the same document; titles and contents are NUL-terminated at their stated
 *                   length, valid UTF-8 without NUL; numeric ids are <= 2^53-1, string ids are
 *                   non-empty valid UTF-8 without NUL; ids are unique.
 *   refused input   the list is left empty, and the message is one non-empty line
 *                   "NAME:..." or "NAME: ..." without a newline, NUL-terminated within the buffer.
 * The list is freed on every path, so a leak in the loader is reported by LeakSanitizer.
 * Single-threaded, like the loader's only caller; no state survives between inputs.
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/article.h"
#include "np/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char input_name[] = "fuzz.json";

/* Reports which invariant broke, then aborts so libFuzzer saves the input. */
static void violated(const char *what)
{
    fprintf(stderr, "fuzz_loader: invariant violated: %s\n", what);
    abort();
}

static void check(int ok, const char *what)
{
    if (!ok)
        violated(what);
}

/* Whether s[0..len) is valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 4;
            cp = c & 0x07u;
        } else {
            return 0;
        }
        if (len - i < need)
            return 0;
        for (size_t k = 1; k < need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need;
    }
    return 1;
}

/* A text the loader hands out: NUL-terminated at len, no NUL before, valid UTF-8. */
static void check_text(const char *text, size_t len, const char *what)
{
    check(text != NULL, what);
    check(text[len] == '\0', what);
    check(memchr(text, '\0', len) == NULL, what);
    check(valid_utf8((const unsigned char *)text, len), what);
}

/*
 * An independent recogniser of strict JSON (RFC 8259) over s[0..len), without building a tree.
 * Recursion depth is bounded by the loader's own nesting limit, which is checked first, so this
 * only ever runs on documents nested at most 1000 deep (well within the stack).
 */
typedef struct json_reader {
    const unsigned char *s;
    size_t len;
    size_t pos;
} json_reader;

static void skip_whitespace(json_reader *r)
{
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                               r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
        r->pos++;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int read_string(json_reader *r)
{
    if (r->pos >= r->len || r->s[r->pos] != '"')
        return 0;
    size_t start = ++r->pos;
    while (r->pos < r->len && r->s[r->pos] != '"') {
        unsigned char c = r->s[r->pos];
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (r->pos + 1 >= r->len)
                return 0;
            unsigned char e = r->s[r->pos + 1];
            if (e == 'u') {
                if (r->len - r->pos < 6)
                    return 0;
                for (size_t k = 2; k < 6; k++)
                    if (!is_hex(r->s[r->pos + k]))
                        return 0;
                r->pos += 6;
            } else if (strchr("\"\\/bfnrt", e) && e != '\0') {
                r->pos += 2;
            } else {
                return 0;
            }
        } else {
            r->pos++;
        }
    }
    if (r->pos >= r->len)
        return 0;
    /* Raw bytes between the quotes must be UTF-8 (escapes are ASCII, so this covers them). */
    if (!valid_utf8(r->s + start, r->pos - start))
        return 0;
    r->pos++;
    return 1;
}

static int read_number(json_reader *r)
{
    const unsigned char *s = r->s;
    size_t p = r->pos;
    if (p < r->len && s[p] == '-')
        p++;
    if (p >= r->len || !is_digit(s[p]))
        return 0;
    if (s[p] == '0')
        p++;
    else
        while (p < r->len && is_digit(s[p]))
            p++;
    if (p < r->len && s[p] == '.') {
        p++;
        if (p >= r->len || !is_digit(s[p]))
            return 0;
        while (p < r->len && is_digit(s[p]))
            p++;
    }
    if (p < r->len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < r->len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= r->len || !is_digit(s[p]))
            return 0;
        while (p < r->len && is_digit(s[p]))
            p++;
    }
    r->pos = p;
    return 1;
}

static int read_literal(json_reader *r, const char *word)
{
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
        return 0;
    r->pos += n;
    return 1;
}

static int read_value(json_reader *r);

/* An array or object: open and close are its brackets; members have "name": before values. */
static int read_container(json_reader *r, unsigned char close, int members)
{
    r->pos++; /* the opening bracket */
    skip_whitespace(r);
    if (r->pos < r->len && r->s[r->pos] == close) {
        r->pos++;
        return 1;
    }
    for (;;) {
        skip_whitespace(r);
        if (members) {
            if (!read_string(r))
                return 0;
            skip_whitespace(r);
            if (r->pos >= r->len || r->s[r->pos] != ':')
                return 0;
            r->pos++;
        }
        if (!read_value(r))
            return 0;
        skip_whitespace(r);
        if (r->pos >= r->len)
            return 0;
        if (r->s[r->pos] == close) {
            r->pos++;
            return 1;
        }
        if (r->s[r->pos] != ',')
            return 0;
        r->pos++;
    }
}

static int read_value(json_reader *r)
{
    skip_whitespace(r);
    if (r->pos >= r->len)
        return 0;
    switch (r->s[r->pos]) {
    case '{':
        return read_container(r, '}', 1);
    case '[':
        return read_container(r, ']', 0);
    case '"':
        return read_string(r);
    case 't':
        return read_literal(r, "true");
    case 'f':
        return read_literal(r, "false");
    case 'n':
        return read_literal(r, "null");
    default:
        return read_number(r);
    }
}

static int is_strict_json(const unsigned char *s, size_t len)
{
    json_reader r = {.s = s, .len = len, .pos = 0};
    if (!read_value(&r))
        return 0;
    skip_whitespace(&r);
    return r.pos == len;
}

/* Orders ids of any kind, so that duplicates end up next to each other after sorting. */
static int compare_ids(const void *pa, const void *pb)
{
    const np_id *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->kind == NP_ID_NUMBER)
        return a->number < b->number ? -1 : a->number > b->number;
    size_t n = a->text_len < b->text_len ? a->text_len : b->text_len;
    int c = memcmp(a->text, b->text, n);
    if (c != 0)
        return c;
    return a->text_len < b->text_len ? -1 : a->text_len > b->text_len;
}

/* The accepted document, read again by cJSON alone: the loader must agree with it. */
/* An accepted text, after at most one byte order mark: strict JSON, and as cJSON reads it. */
static cJSON *read_accepted(const char *buf, size_t len)
{
    size_t start = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    check(is_strict_json((const unsigned char *)buf + start, len - start),
          "accepted input is not strict JSON");
    cJSON *root = cJSON_ParseWithLengthOpts(buf + start, len - start + 1, NULL, 1);
    check(root != NULL, "accepted input is refused by cJSON");
    return root;
}

/* The article the loader read is the one cJSON reads from the same object. */
static void check_article_matches(const cJSON *element, const np_article *a)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(element, "id");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(element, "title");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(element, "content");
    check(cJSON_IsString(title) && strcmp(title->valuestring, a->title) == 0,
          "title differs from the document");
    check(cJSON_IsString(content) && strcmp(content->valuestring, a->content) == 0,
          "content differs from the document");
    if (a->id.kind == NP_ID_NUMBER)
        check(cJSON_IsNumber(id) && id->valuedouble == (double)a->id.number,
              "numeric id differs from the document");
    else
        check(cJSON_IsString(id) && strcmp(id->valuestring, a->id.text) == 0,
              "string id differs from the document");
}

static void check_against_cjson(const char *buf, size_t len, const np_article_list *list)
{
    cJSON *root = read_accepted(buf, len);
    const cJSON *array =
        cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "articles") : root;
    check(cJSON_IsArray(array), "accepted input has no article array");
    size_t k = 0;
    const cJSON *element;
    cJSON_ArrayForEach(element, array)
    {
        check(k < list->count, "more articles in the document than in the list");
        check_article_matches(element, &list->items[k++]);
    }
    check(k == list->count, "fewer articles in the document than in the list");
    cJSON_Delete(root);
}

/* What every accepted article must be, and ids unique within the list. */
static void check_articles(const np_article_list *list)
{
    check(list->count == 0 || list->items != NULL, "articles but no items");
    for (size_t i = 0; i < list->count; i++) {
        const np_article *a = &list->items[i];
        check_text(a->title, a->title_len, "title is not NUL-free UTF-8 of its stated length");
        check_text(a->content, a->content_len,
                   "content is not NUL-free UTF-8 of its stated length");
        if (a->id.kind == NP_ID_NUMBER) {
            check(a->id.number <= NP_ID_MAX, "numeric id above 2^53-1");
        } else {
            check(a->id.kind == NP_ID_STRING, "id of an unknown kind");
            check(a->id.text_len > 0, "empty string id");
            check_text(a->id.text, a->id.text_len,
                       "string id is not NUL-free UTF-8 of its stated length");
        }
    }
    if (list->count > 1) {
        np_id *ids = malloc(list->count * sizeof(*ids));
        check(ids != NULL, "out of memory in the fuzzer");
        for (size_t i = 0; i < list->count; i++)
            ids[i] = list->items[i].id;
        qsort(ids, list->count, sizeof(*ids), compare_ids);
        for (size_t i = 1; i < list->count; i++)
            check(compare_ids(&ids[i - 1], &ids[i]) != 0, "two articles share an id");
        free(ids);
    }
}

static void check_accepted(const char *buf, size_t len, const np_article_list *list)
{
    check_articles(list);
    check_against_cjson(buf, len, list);
}

/* A refusal's message: one NUL-terminated line that starts with "NAME:". */
static void check_message(const char *err, size_t err_size, const char *name)
{
    size_t err_len = strnlen(err, err_size);
    check(err_len < err_size, "error message not NUL-terminated");
    size_t name_len = strlen(name);
    check(err_len > name_len + 2 && memcmp(err, name, name_len) == 0 && err[name_len] == ':',
          "error message does not start with \"NAME:\"");
    check(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL, "error message is not one line");
}

static void check_refused(const np_article_list *list, const char *err, size_t err_size)
{
    check(list->items == NULL && list->count == 0 && list->storage == NULL,
          "refused input left articles in the list");
    check_message(err, err_size, input_name);
}

static const char line_name[] = "fuzz.ndjson";

/*
 * The same input as one NDJSON line (np_loader_parse_object): accepted, it is strict JSON after
 * at most one byte order mark, an object whose article is what cJSON reads and passes the checks
 * above; refused, nothing is returned and the message is one "fuzz.ndjson:..." line.
 */
static void check_as_line(const char *buf, size_t len)
{
    np_article *article = NULL;
    char err[NP_LOADER_ERROR_SIZE];
    memset(err, 'x', sizeof(err));
    if (np_loader_parse_object(buf, len, line_name, 1, 1, &article, err, sizeof(err)) == 0) {
        check(article != NULL, "accepted line gave no article");
        np_article_list one = {.items = article, .count = 1};
        check_articles(&one);
        cJSON *root = read_accepted(buf, len);
        check(cJSON_IsObject(root), "accepted line is not an object");
        check_article_matches(root, article);
        cJSON_Delete(root);
        free(article);
    } else {
        check(article == NULL, "refused line left an article");
        check_message(err, sizeof(err), line_name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    buf[size] = '\0';

    np_article_list list;
    char err[NP_LOADER_ERROR_SIZE];
    memset(err, 'x', sizeof(err)); /* so an unterminated message is noticed */
    if (np_loader_parse(buf, size, input_name, &list, err, sizeof(err)) == 0)
        check_accepted(buf, size, &list);
    else
        check_refused(&list, err, sizeof(err));
    np_article_list_free(&list);
    check_as_line(buf, size);
    free(buf);
    return 0;
}

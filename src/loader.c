/*
 * Loading articles: read the input, parse it with cJSON, then close the gaps cJSON leaves open,
 * then check the schema.
 *
 * cJSON builds the tree and finds structural errors, but it is lenient in ways that would let
 * input be silently changed: it truncates strings at "\u0000", accepts raw control characters
 * and invalid UTF-8 inside strings, any byte below 0x20 as whitespace, and numbers such as "01"
 * or "1.". So after cJSON accepts a document, one linear pass over the bytes (strict_scan) checks
 * exactly those lexical rules; the document is then known to be well-formed, which keeps that
 * pass simple. Every error carries a byte offset that is turned into LINE:COL here, where the
 * text is known. Strings of the articles point into the cJSON tree, which the list then owns; a
 * whole document is parsed into an arena (np/json_arena.h), which frees it in one go.
 *
 * Runs before any worker starts: cJSON's error pointer is process-wide. The strict pass runs after
 * cJSON, on the same thread; it passes over the text of strings (most of a news document) eight
 * bytes at a time, and the schema checks walk cJSON's list once, which keeps the whole load
 * within 1.3x of a bare cJSON parse of the same file (bench/load_bench.sh).
 */
#include "np/loader.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np/file_text.h"
#include "np/input.h"
#include "np/json_arena.h"
#include "np/utf8.h"

/* An error found at a byte offset of the input; offset < 0 means "no position". */
typedef struct scan_error {
    long long offset;
    char message[160];
} scan_error;

static void set_scan_error(scan_error *se, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_scan_error(scan_error *se, size_t offset, const char *fmt, ...)
{
    va_list ap;
    se->offset = (long long)offset;
    va_start(ap, fmt);
    vsnprintf(se->message, sizeof(se->message), fmt, ap);
    va_end(ap);
}

/*
 * cJSON returns NULL both for a syntax error and when an allocation fails. A failed malloc sets
 * errno to ENOMEM (POSIX) and nothing else a parse calls does, so errno tells the two apart when
 * it is cleared before the parse. Out of memory has no position.
 */
static void set_out_of_memory(scan_error *se)
{
    se->offset = -1;
    snprintf(se->message, sizeof(se->message), "out of memory");
}

static int is_json_whitespace(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The value of the 4 hex digits at s[i..i+4), or -1 if they are not all hex digits. */
static long hex4_value(const unsigned char *s, size_t len, size_t i)
{
    return i + 4 > len ? -1 : np_hex4((const char *)s + i);
}

/*
 * Checks the escape starting at the backslash s[*p]; leaves *p past it. cJSON does not check
 * everything here: it reads "\uVear" as U+0000 and so silently cuts the string short.
 */
static int scan_escape(const unsigned char *s, size_t len, size_t *p, scan_error *se)
{
    size_t at = *p;
    if (at + 1 >= len || !strchr("\"\\/bfnrtu", s[at + 1]) || s[at + 1] == '\0') {
        set_scan_error(se, at, "invalid escape in string");
        return -1;
    }
    if (s[at + 1] != 'u') {
        *p = at + 2;
        return 0;
    }
    long unit = hex4_value(s, len, at + 2);
    if (unit < 0) {
        set_scan_error(se, at, "invalid \\u escape: four hex digits expected");
        return -1;
    }
    if (unit == 0) {
        set_scan_error(se, at, "\"\\u0000\" (a NUL character) is not supported in strings");
        return -1;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
        set_scan_error(se, at, "invalid \\u escape: unpaired low surrogate");
        return -1;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        long low =
            at + 7 < len && s[at + 6] == '\\' && s[at + 7] == 'u' ? hex4_value(s, len, at + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF) {
            set_scan_error(se, at, "invalid \\u escape: unpaired high surrogate");
            return -1;
        }
        *p = at + 12;
        return 0;
    }
    *p = at + 6;
    return 0;
}

/* A byte value times BYTES_01 is that byte in each of the 8 bytes of a uint64_t. */
#define BYTES_01 0x0101010101010101u
#define BYTES_80 (0x80 * BYTES_01)

/*
 * Non-zero when one of the 8 bytes at s needs a look of its own inside a string: a quote, a
 * backslash, a control character or a non-ASCII byte; where none is, scan_string steps over all
 * 8 at once. Subtracting n from every byte of x sets bit 7 of a byte of x below 0x80 exactly
 * when that byte is below n, or when a byte below it borrowed, which takes a byte below n: so
 * x - n * BYTES_01 has bit 7 set in some ASCII byte exactly when x has an ASCII byte below n
 * (a quote is the byte that x ^ ('"' * BYTES_01) has at 0). Non-ASCII bytes are marked anyway.
 * Only whether a byte is marked matters, not which, so the byte order does not either.
 */
static uint64_t string_bytes_to_look_at(const unsigned char *s)
{
    uint64_t chunk;
    memcpy(&chunk, s, sizeof chunk);
    return (((chunk ^ '"' * BYTES_01) - BYTES_01) | ((chunk ^ '\\' * BYTES_01) - BYTES_01) |
            (chunk - 0x20 * BYTES_01) | chunk) &
           BYTES_80;
}

/* Checks the string starting at the opening quote s[*i]; leaves *i past the closing quote. */
static int scan_string(const unsigned char *s, size_t len, size_t *i, scan_error *se)
{
    size_t p = *i + 1;
    for (;;) {
        /* Most of a news document is the text of its strings: 8 bytes a step, then the bytes
         * before the next one that matters (at the latest the closing quote) one by one. */
        while (len - p >= 8 && string_bytes_to_look_at(s + p) == 0)
            p += 8;
        while (p < len && s[p] >= 0x20 && s[p] < 0x80 && s[p] != '"' && s[p] != '\\')
            p++;
        if (p >= len || s[p] == '"')
            break;
        unsigned char c = s[p];
        if (c < 0x20) {
            set_scan_error(se, p, "control character U+%04X must be escaped in a string", c);
            return -1;
        }
        if (c == '\\') {
            if (scan_escape(s, len, &p, se) != 0)
                return -1;
            continue;
        }
        if (c >= 0x80) {
            uint32_t code_point;
            size_t n = np_utf8_decode(s + p, len - p, &code_point);
            if (n == 0) {
                set_scan_error(se, p, "invalid UTF-8 in string (byte 0x%02X)", c);
                return -1;
            }
            p += n;
        }
    }
    *i = p + 1;
    return 0;
}

/* Checks a number token against the JSON grammar; leaves *i past it. */
static int scan_number(const unsigned char *s, size_t len, size_t *i, scan_error *se)
{
    size_t start = *i, p = *i;
    if (p < len && s[p] == '-')
        p++;
    if (p >= len || !is_digit(s[p])) {
        set_scan_error(se, start, "invalid number: digit expected after '-'");
        return -1;
    }
    if (s[p] == '0') {
        p++;
        if (p < len && is_digit(s[p])) {
            set_scan_error(se, start, "invalid number: leading zeros are not allowed");
            return -1;
        }
    } else {
        while (p < len && is_digit(s[p]))
            p++;
    }
    if (p < len && s[p] == '.') {
        p++;
        if (p >= len || !is_digit(s[p])) {
            set_scan_error(se, start, "invalid number: digit expected after '.'");
            return -1;
        }
        while (p < len && is_digit(s[p]))
            p++;
    }
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= len || !is_digit(s[p])) {
            set_scan_error(se, start, "invalid number: digit expected in exponent");
            return -1;
        }
        while (p < len && is_digit(s[p]))
            p++;
    }
    *i = p;
    return 0;
}

/*
 * Whether the number literal s[start..end), valid JSON, has a non-zero digit yet reads as 0: too
 * small for a double, so cJSON would silently hand on 0 (an id of 1e-400 would become id 0).
 * A literal without a fraction or an exponent cannot underflow, so only one with either is
 * converted. s holds a NUL-terminated document, so strtod stops at the literal's end.
 */
static int number_underflows(const unsigned char *s, size_t start, size_t end)
{
    size_t p = start;
    int nonzero = 0;
    for (; p < end && s[p] != 'e' && s[p] != 'E'; p++)
        if (s[p] >= '1' && s[p] <= '9')
            nonzero = 1;
    int whole = p == end && !memchr(s + start, '.', end - start);
    return nonzero && !whole && strtod((const char *)s + start, NULL) == 0;
}

/* The lexical checks cJSON does not make, over a document cJSON has accepted. */
static int strict_scan(const unsigned char *s, size_t start, size_t len, scan_error *se)
{
    size_t i = start;
    while (i < len) {
        unsigned char c = s[i];
        if (c == '"') {
            if (scan_string(s, len, &i, se) != 0)
                return -1;
        } else if (c == '-' || is_digit(c)) {
            size_t number = i;
            if (scan_number(s, len, &i, se) != 0)
                return -1;
            if (number_underflows(s, number, i)) {
                set_scan_error(se, number,
                               "number underflows to 0 (a non-zero literal too small for a "
                               "double)");
                return -1;
            }
        } else if (c < 0x20 && !is_json_whitespace(c)) {
            set_scan_error(se, i, "control character U+%04X is not JSON whitespace", c);
            return -1;
        } else if (c >= 0x80) {
            /* Outside strings cJSON refuses every non-ASCII byte but one: it skips a byte order
             * mark at the start of what it is given, so after the one the loader skips, a second
             * would pass (found by the fuzzer). */
            set_scan_error(se, i, "syntax error at byte 0x%02X", c);
            return -1;
        } else {
            i++;
        }
    }
    return 0;
}

/* The deepest bracket nesting reached in s[start..end), outside strings. */
static size_t nesting_depth(const unsigned char *s, size_t start, size_t end)
{
    size_t depth = 0, deepest = 0;
    int in_string = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest)
                deepest = depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

/*
 * The offset of the opening quote of the string that byte pos is in (or starts at), or -1 when
 * pos is outside any string.
 */
static long long opening_quote_before(const unsigned char *s, size_t start, size_t pos)
{
    long long quote = -1;
    for (size_t i = start; i < pos; i++) {
        if (quote >= 0) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                quote = -1;
        } else if (s[i] == '"') {
            quote = (long long)i;
        }
    }
    return quote;
}

/* Explains why cJSON refused the document, whose parse stopped at byte offset pos. */
static void explain_parse_failure(const char *buf, size_t start, size_t len, size_t pos,
                                  scan_error *se)
{
    const unsigned char *s = (const unsigned char *)buf;
    if (pos > len)
        pos = len;
    if (nesting_depth(s, start, pos < len ? pos + 1 : len) > CJSON_NESTING_LIMIT) {
        set_scan_error(se, pos, "nested too deeply (more than %d levels)", CJSON_NESTING_LIMIT);
        return;
    }
    /* A document that parses when trailing data is allowed has exactly that problem. */
    const char *end = NULL;
    errno = 0;
    cJSON *lenient = cJSON_ParseWithLengthOpts(buf + start, len - start + 1, &end, 0);
    if (!lenient && errno == ENOMEM) {
        set_out_of_memory(se);
        return;
    }
    if (lenient) {
        cJSON_Delete(lenient);
        size_t after = (size_t)(end - buf);
        while (after < len && is_json_whitespace(s[after]))
            after++;
        set_scan_error(se, after, "unexpected data after the JSON document");
        return;
    }
    /*
     * A trailing comma: cJSON stops at the closing bracket after the comma, or (in an object)
     * one past it. Look at the byte there and at the last significant byte before it.
     */
    size_t previous = pos < len ? pos : len;
    while (previous > start && is_json_whitespace(s[previous - 1]))
        previous--;
    size_t candidates[2] = {pos, previous > start ? previous - 1 : len};
    for (int k = 0; k < 2; k++) {
        size_t closer = candidates[k];
        if (closer >= len || (s[closer] != ']' && s[closer] != '}'))
            continue;
        size_t before = closer;
        while (before > start && is_json_whitespace(s[before - 1]))
            before--;
        if (before > start && s[before - 1] == ',') {
            set_scan_error(se, before - 1, "trailing comma before '%c'", s[closer]);
            return;
        }
    }
    if (pos >= len) {
        set_scan_error(se, len, "unexpected end of input");
        return;
    }
    long long quote = opening_quote_before(s, start, pos);
    if (quote >= 0) {
        /* cJSON points into the string; find the escape it choked on, or its missing end. */
        size_t p = (size_t)quote + 1, culprit = 0;
        int found = 0;
        while (p < len && s[p] != '"') {
            if (s[p] == '\\' && p + 1 < len) {
                int valid = strchr("\"\\/bfnrt", s[p + 1]) != NULL && s[p + 1] != '\0';
                if (s[p + 1] == 'u')
                    valid = p + 5 < len && np_hex4((const char *)s + p + 2) >= 0 &&
                            (s[p + 2] | 0x20) != 'd'; /* D800-DFFF: surrogates need pairing */
                if (!valid && !found) {
                    culprit = p;
                    found = 1;
                }
                p++;
            }
            p++;
        }
        if (p >= len) {
            set_scan_error(se, (size_t)quote, "unterminated string");
            return;
        }
        if (found)
            pos = culprit;
    }
    unsigned char c = s[pos];
    size_t number_end = pos;
    if (c == '\\' && pos + 1 < len && s[pos + 1] == 'u')
        set_scan_error(se, pos, "invalid \\u escape (bad hex digits or an unpaired surrogate)");
    else if (c == '\\' && pos + 1 < len && s[pos + 1] >= 0x21 && s[pos + 1] < 0x7f)
        set_scan_error(se, pos, "invalid escape '\\%c' in string", s[pos + 1]);
    else if ((c == '-' || is_digit(c)) && scan_number(s, len, &number_end, se) != 0)
        return; /* scan_number has said what is wrong with it */
    else if (c == '-' || is_digit(c))
        set_scan_error(se, pos, "unexpected number");
    else if (c >= 0x21 && c < 0x7f)
        set_scan_error(se, pos, "syntax error at '%c'", c);
    else
        set_scan_error(se, pos, "syntax error at byte 0x%02X", c);
}

static const char *json_type_name(const cJSON *item)
{
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "a boolean";
    return "null";
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t member_count(const cJSON *object)
{
    size_t count = 0;
    const cJSON *member;
    cJSON_ArrayForEach(member, object) count++;
    return count;
}

/*
 * Finds a member name used twice in object; returns it, or NULL (also when memory runs out, which
 * sets *out_of_memory). A few members (an article has three) are compared pairwise in place; more
 * are sorted in a scratch array, which keeps this O(m log m) for objects with many members.
 */
static const char *duplicate_member(const cJSON *object, int *out_of_memory)
{
    enum { PAIRWISE_MAX = 8 };
    size_t count = member_count(object);
    if (count <= PAIRWISE_MAX) {
        for (const cJSON *a = object->child; a; a = a->next)
            for (const cJSON *b = object->child; b != a; b = b->next)
                if (strcmp(b->string, a->string) == 0)
                    return a->string;
        return NULL;
    }
    const char **scratch = malloc(count * sizeof(*scratch));
    if (!scratch) {
        *out_of_memory = 1;
        return NULL;
    }
    count = 0;
    const cJSON *member;
    cJSON_ArrayForEach(member, object) scratch[count++] = member->string;
    qsort(scratch, count, sizeof(*scratch), compare_names);
    const char *dup = NULL;
    for (size_t i = 1; i < count && !dup; i++)
        if (strcmp(scratch[i - 1], scratch[i]) == 0)
            dup = scratch[i];
    free(scratch);
    return dup;
}

/* Reads "id" into *id; returns NULL, or what is wrong with it. */
static const char *read_id(const cJSON *value, np_id *id)
{
    if (cJSON_IsString(value)) {
        size_t text_len = strlen(value->valuestring);
        if (text_len == 0)
            return "\"id\" must not be an empty string";
        id->kind = NP_ID_STRING;
        id->text = value->valuestring;
        id->text_len = text_len;
        return NULL;
    }
    if (cJSON_IsNumber(value)) {
        double d = value->valuedouble; /* valueint saturates; the double is the real value */
        if (!isfinite(d) || d < 0 || d > (double)NP_ID_MAX || d != floor(d))
            return "\"id\" must be a whole number from 0 to 9007199254740991, or a string";
        id->kind = NP_ID_NUMBER;
        id->number = (uint64_t)d;
        return NULL;
    }
    return "\"id\" must be a whole number or a non-empty string";
}

/* Open addressing over article indices, to find duplicate ids in O(n). */
typedef struct id_set {
    size_t *slots; /* article index + 1, 0 = empty */
    size_t mask;
} id_set;

static int id_set_init(id_set *set, size_t count)
{
    size_t size = 16;
    while (size < count * 2)
        size *= 2;
    set->slots = calloc(size, sizeof(*set->slots));
    set->mask = size - 1;
    return set->slots ? 0 : -1;
}

/* Inserts article index; returns the index of an earlier article with the same id, or -1. */
static long long id_set_insert(id_set *set, const np_article *items, size_t index)
{
    size_t slot = (size_t)np_id_hash(&items[index].id) & set->mask;
    while (set->slots[slot]) {
        size_t other = set->slots[slot] - 1;
        if (np_id_equal(&items[other].id, &items[index].id))
            return (long long)other;
        slot = (slot + 1) & set->mask;
    }
    set->slots[slot] = index + 1;
    return -1;
}

static void free_document(void *arena)
{
    np_json_arena_free(arena);
}

/*
 * Checks one article object (the k-th, from 1) and points *a into it. Returns 0, or -1 with
 * "article #K ...: ..." (or "out of memory") in err.
 */
static int read_article(const cJSON *element, size_t k, np_article *a, char *err, size_t err_size)
{
    /* The id as text, for messages only: formatted on the error paths, not for every article. */
    char id_text[96];
    if (!cJSON_IsObject(element)) {
        snprintf(err, err_size, "article #%zu: expected an object, found %s", k,
                 json_type_name(element));
        return -1;
    }
    int out_of_memory = 0;
    const char *dup = duplicate_member(element, &out_of_memory);
    if (out_of_memory) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(element, "id");
    if (!id) {
        snprintf(err, err_size, "article #%zu: missing \"id\"", k);
        return -1;
    }
    const char *problem = read_id(id, &a->id);
    if (problem) {
        snprintf(err, err_size, "article #%zu: %s", k, problem);
        return -1;
    }
    if (dup) {
        /* The member's name quoted as an id is: escaped, it cannot break the message's line. */
        const np_id name = {.kind = NP_ID_STRING, .text = dup, .text_len = strlen(dup)};
        char name_text[sizeof(id_text)];
        np_id_format(&a->id, id_text, sizeof(id_text));
        np_id_format(&name, name_text, sizeof(name_text));
        snprintf(err, err_size, "article #%zu (id %s): member %s appears twice", k, id_text,
                 name_text);
        return -1;
    }
    static const char *const text_members[] = {"title", "content"};
    for (size_t m = 0; m < 2; m++) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(element, text_members[m]);
        if (!value || !cJSON_IsString(value)) {
            np_id_format(&a->id, id_text, sizeof(id_text));
            if (!value)
                snprintf(err, err_size, "article #%zu (id %s): missing \"%s\"", k, id_text,
                         text_members[m]);
            else
                snprintf(err, err_size, "article #%zu (id %s): \"%s\" must be a string, not %s", k,
                         id_text, text_members[m], json_type_name(value));
            return -1;
        }
        if (m == 0) {
            a->title = value->valuestring;
            a->title_len = strlen(a->title);
        } else {
            a->content = value->valuestring;
            a->content_len = strlen(a->content);
        }
    }
    return 0;
}

/*
 * Checks the schema of the parsed document and fills out. err gets "article #K ...: ..."
 * (without the file name) on failure.
 */
static int read_articles(const cJSON *root, np_article_list *out, char *err, size_t err_size)
{
    const cJSON *array = root;
    if (cJSON_IsObject(root)) {
        size_t count = 0;
        const cJSON *member;
        cJSON_ArrayForEach(member, root)
        {
            if (strcmp(member->string, "articles") == 0)
                count++;
        }
        if (count > 1) {
            snprintf(err, err_size, "duplicate member \"articles\" in the top-level object");
            return -1;
        }
        array = cJSON_GetObjectItemCaseSensitive(root, "articles");
        if (!array) {
            /* A timing report given where articles are expected: say what it is. */
            snprintf(err, err_size,
                     cJSON_GetObjectItemCaseSensitive(root, "runs")
                         ? "this is a timing report, not articles (compare reports with "
                           "'news-processor compare')"
                         : "the top-level object has no \"articles\" member");
            return -1;
        }
        if (!cJSON_IsArray(array)) {
            snprintf(err, err_size, "\"articles\" must be an array, not %s", json_type_name(array));
            return -1;
        }
    } else if (!cJSON_IsArray(root)) {
        snprintf(err, err_size,
                 "expected an array of articles, or an object with an \"articles\" array; "
                 "found %s",
                 json_type_name(root));
        return -1;
    }

    /*
     * One walk over the articles, in order, until the first that is wrong; items grows as it
     * goes. (Counting them first cost a walk of its own: cJSON's list is pointer chasing, one
     * cache miss per article, some 15 ms for 100,000.) Then the ids of the articles read, in the
     * same order, from the items array: a duplicate among them comes before the wrong article.
     */
    size_t count = 0, capacity = 64;
    np_article *items = malloc(capacity * sizeof(*items));
    id_set ids = {0};
    int wrong = 0; /* article #count + 1 is wrong, as err says */
    if (!items) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    const cJSON *element;
    cJSON_ArrayForEach(element, array)
    {
        if (count == capacity) {
            np_article *bigger = realloc(items, 2 * capacity * sizeof(*items));
            if (!bigger) {
                snprintf(err, err_size, "out of memory");
                goto fail;
            }
            items = bigger;
            capacity *= 2;
        }
        items[count] = (np_article){0};
        if (read_article(element, count + 1, &items[count], err, err_size) != 0) {
            wrong = 1;
            break;
        }
        count++;
    }
    if (id_set_init(&ids, count) != 0) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < count; k++) {
        long long first = id_set_insert(&ids, items, k);
        if (first >= 0) {
            char id_text[96];
            np_id_format(&items[k].id, id_text, sizeof(id_text));
            snprintf(err, err_size, "article #%zu (id %s): duplicate id (also article #%lld)",
                     k + 1, id_text, first + 1);
            goto fail;
        }
    }
    if (wrong)
        goto fail;
    free(ids.slots);
    out->items = items;
    out->count = count;
    return 0;

fail:
    free(ids.slots);
    free(items);
    return -1;
}

/*
 * Parses buf[start..len) (buf[len] == '\0') with cJSON, then makes the strict lexical pass.
 * Returns the tree, or NULL with the error and its byte offset in *se: cJSON's error first, so a
 * document both would refuse is reported where cJSON stopped. arena: NULL, or where the tree's
 * arena goes (np/json_arena.h; a whole document is parsed into one, freed in one go), then the
 * tree is freed with it; NULL on failure.
 */
static cJSON *parse_strict(const char *buf, size_t start, size_t len, scan_error *se,
                           np_json_arena **arena)
{
    *se = (scan_error){.offset = -1, .message = ""};
    if (arena)
        *arena = NULL;
    const char *nul = memchr(buf + start, '\0', len - start);
    if (nul) {
        set_scan_error(se, (size_t)(nul - buf), "NUL byte in input");
        return NULL;
    }
    const char *end = NULL;
    errno = 0;
    cJSON *root = arena ? np_json_arena_parse(buf + start, len - start + 1, &end, 1, arena)
                        : cJSON_ParseWithLengthOpts(buf + start, len - start + 1, &end, 1);
    if (!root && errno == ENOMEM) {
        set_out_of_memory(se);
        return NULL;
    }
    if (!root) {
        explain_parse_failure(buf, start, len, end ? (size_t)(end - buf) : len, se);
        return NULL;
    }
    if (strict_scan((const unsigned char *)buf, start, len, se) != 0) {
        if (arena) {
            np_json_arena_free(*arena);
            *arena = NULL;
        } else {
            cJSON_Delete(root);
        }
        return NULL;
    }
    return root;
}

/* RFC 8259 lets parsers ignore a UTF-8 byte order mark at the start of a JSON text; editors on
 * Windows write one. Its length at buf: 3 or 0. */
static size_t byte_order_mark_length(const char *buf, size_t len)
{
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

int np_loader_parse(const char *buf, size_t len, const char *name, np_article_list *out, char *err,
                    size_t err_size)
{
    const unsigned char *s = (const unsigned char *)buf;
    memset(out, 0, sizeof(*out));

    size_t start = byte_order_mark_length(buf, len);
    size_t first = start;
    while (first < len && is_json_whitespace(s[first]))
        first++;
    if (first == len) {
        snprintf(err, err_size, "%s: empty input: expected a JSON array of articles", name);
        return -1;
    }

    scan_error se;
    np_json_arena *arena;
    cJSON *root = parse_strict(buf, start, len, &se, &arena);
    if (!root && se.offset < 0) {
        snprintf(err, err_size, "%s: %s", name, se.message);
        return -1;
    }
    if (!root) {
        size_t line, col;
        np_file_text_position(buf + start, (size_t)se.offset - start, &line, &col);
        snprintf(err, err_size, "%s:%zu:%zu: %s", name, line, col, se.message);
        return -1;
    }

    char detail[NP_LOADER_ERROR_SIZE];
    if (read_articles(root, out, detail, sizeof(detail)) != 0) {
        np_json_arena_free(arena);
        snprintf(err, err_size, "%s: %s", name, detail);
        return -1;
    }
    out->storage = arena;
    out->free_storage = free_document;
    return 0;
}

int np_loader_error_is_out_of_memory(const char *err)
{
    static const char suffix[] = "out of memory";
    size_t len = strlen(err);
    return len >= sizeof(suffix) - 1 && strcmp(err + len - (sizeof(suffix) - 1), suffix) == 0;
}

int np_loader_load_file(const char *path, np_article_list *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    np_input input;
    int e = np_input_open(&input, path, -1);
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    if (e == EISDIR) {
        snprintf(err, err_size, "%s: is a directory, not a JSON file", name);
        return -1;
    }
    if (e) {
        snprintf(err, err_size, "%s: cannot open: %s", name, strerror(e));
        return -1;
    }
    char *data = NULL;
    size_t len = 0;
    e = np_input_read_all(&input, &data, &len);
    np_input_close(&input);
    if (e == ENOMEM) {
        snprintf(err, err_size, "%s: out of memory", name); /* not a read error */
        return -1;
    }
    if (e) {
        snprintf(err, err_size, "%s: cannot read: %s", name, strerror(e));
        return -1;
    }
    int rc = np_loader_parse(data, len, name, out, err, err_size);
    free(data); /* the articles point into the parsed tree, not into data */
    return rc;
}

int np_loader_parse_object(const char *buf, size_t len, const char *name, size_t line,
                           size_t article_number, np_article **out, char *err, size_t err_size)
{
    *out = NULL;
    /* Each line is a JSON text, which may begin with a byte order mark (as the first line of a
     * file written on Windows does). */
    size_t start = byte_order_mark_length(buf, len);
    scan_error se;
    cJSON *root = parse_strict(buf, start, len, &se, NULL);
    if (!root && se.offset < 0) {
        snprintf(err, err_size, "%s:%zu: %s", name, line, se.message);
        return -1;
    }
    if (!root) {
        size_t ignored_line, col;
        np_file_text_position(buf + start, (size_t)se.offset - start, &ignored_line, &col);
        snprintf(err, err_size, "%s:%zu:%zu: %s", name, line, col, se.message);
        return -1;
    }
    np_article parsed = {0};
    char detail[NP_LOADER_ERROR_SIZE];
    int rc = -1;
    if (read_article(root, article_number, &parsed, detail, sizeof(detail)) != 0) {
        snprintf(err, err_size, "%s:%zu: %s", name, line, detail);
    } else {
        /* One block: the article, then its id text, title and content, each NUL-terminated. */
        size_t id_len = parsed.id.kind == NP_ID_STRING ? parsed.id.text_len + 1 : 0;
        size_t size = sizeof(np_article) + id_len + parsed.title_len + 1 + parsed.content_len + 1;
        np_article *a = malloc(size);
        if (!a) {
            snprintf(err, err_size, "%s:%zu: out of memory", name, line);
        } else {
            char *text = (char *)(a + 1);
            *a = parsed;
            if (id_len) {
                memcpy(text, parsed.id.text, id_len);
                a->id.text = text;
                text += id_len;
            }
            memcpy(text, parsed.title, parsed.title_len + 1);
            a->title = text;
            text += parsed.title_len + 1;
            memcpy(text, parsed.content, parsed.content_len + 1);
            a->content = text;
            *out = a;
            rc = 0;
        }
    }
    cJSON_Delete(root);
    return rc;
}

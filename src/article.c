/*
 * Article ids and the article list: hashing, comparing and formatting ids for messages.
 */
#include "np/article.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void np_article_list_free(np_article_list *list)
{
    free(list->items);
    if (list->storage && list->free_storage)
        list->free_storage(list->storage);
    *list = (np_article_list){0};
}

/* FNV-1a over the bytes, then a final avalanche so that close ids spread over the table. */
uint64_t np_id_hash(const np_id *id)
{
    uint64_t h = 14695981039346656037ULL;
    if (id->kind == NP_ID_NUMBER) {
        h ^= id->number;
        h *= 1099511628211ULL;
    } else {
        h ^= 0xa5; /* kind tag: "1" and 1 must not collide systematically */
        for (size_t i = 0; i < id->text_len; i++) {
            h ^= (unsigned char)id->text[i];
            h *= 1099511628211ULL;
        }
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

int np_id_equal(const np_id *a, const np_id *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == NP_ID_NUMBER)
        return a->number == b->number;
    return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
}

const char *np_id_format(const np_id *id, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (id->kind == NP_ID_NUMBER) {
        snprintf(buf, size, "%" PRIu64, id->number);
        return buf;
    }
    /* JSON-style quoting keeps control characters and quotes from breaking the message line. */
    size_t limit = size < 72 ? size : 72;
    size_t used = 0;
    buf[used++] = '"';
    for (size_t i = 0; i < id->text_len; i++) {
        unsigned char c = (unsigned char)id->text[i];
        char piece[8];
        if (c == '"' || c == '\\')
            snprintf(piece, sizeof(piece), "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            snprintf(piece, sizeof(piece), "\\u%04x", c);
        else
            snprintf(piece, sizeof(piece), "%c", c);
        size_t piece_len = strlen(piece);
        /* Keep room for "...\"" and the NUL; never cut inside a UTF-8 sequence. */
        int starts_char = (c & 0xC0) != 0x80;
        if (used + piece_len + 5 > limit && starts_char) {
            memcpy(buf + used, "...", 3);
            used += 3;
            break;
        }
        memcpy(buf + used, piece, piece_len);
        used += piece_len;
    }
    buf[used++] = '"';
    buf[used] = '\0';
    return buf;
}

/*
 * An article as loaded from the input, and the list that owns them.
 *
 * Articles are immutable once loaded: every thread may read any article without locking.
 */
#ifndef NP_ARTICLE_H
#define NP_ARTICLE_H

#include <stddef.h>
#include <stdint.h>

/* The largest integer id: 2^53 - 1, the last integer a JSON number (a double) holds exactly. */
#define NP_ID_MAX ((uint64_t)9007199254740991ULL)

typedef enum np_id_kind { NP_ID_NUMBER, NP_ID_STRING } np_id_kind;

/* An article id keeps its JSON type: 1 and "1" are different ids and print differently. */
typedef struct np_id {
    np_id_kind kind;
    uint64_t number;  /* when kind == NP_ID_NUMBER */
    const char *text; /* when kind == NP_ID_STRING: valid UTF-8, no NUL, length text_len > 0 */
    size_t text_len;
} np_id;

typedef struct np_article {
    np_id id;
    const char *title; /* valid UTF-8 without NUL bytes, NUL-terminated */
    size_t title_len;
    const char *content; /* valid UTF-8 without NUL bytes, NUL-terminated, may be empty */
    size_t content_len;
} np_article;

/*
 * Owns the articles and every string they point into. The strings live in storage (the parsed
 * document), released by free_storage: pointing into it instead of copying keeps peak memory
 * near the input size.
 */
typedef struct np_article_list {
    np_article *items;
    size_t count;
    void *storage;
    void (*free_storage)(void *storage);
} np_article_list;

/* Frees everything the list owns and resets it to empty. Safe on an empty or zeroed list. */
void np_article_list_free(np_article_list *list);

/* 64-bit hash of an id, the same on every run; ids of different kinds hash differently. */
uint64_t np_id_hash(const np_id *id);

/* Whether two ids are the same id (same kind and same value). */
int np_id_equal(const np_id *a, const np_id *b);

/*
 * Formats an id for messages into buf: numbers as digits, strings JSON-quoted and escaped,
 * cut with "..." past about 60 bytes. Always NUL-terminates; returns buf.
 */
const char *np_id_format(const np_id *id, char *buf, size_t size);

#endif

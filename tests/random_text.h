/*
 * Random texts for tests that compare two implementations on many inputs: a text is a random run
 * of pieces (the caller's list of the byte classes that matter to it), from a deterministic
 * xorshift64 generator, so that a failing text can be replayed from the seed.
 */
#ifndef NP_TESTS_RANDOM_TEXT_H
#define NP_TESTS_RANDOM_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The next number of the xorshift64 sequence in *x (which must not be 0). */
static inline uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/*
 * Fills text[0..size) with random pieces up to a random length below max_len (max_len >= 1) and
 * returns that length; text is also NUL-terminated. Pieces that would not fit are left out.
 */
static inline size_t random_text(char *text, size_t size, size_t max_len, const char *const *pieces,
                                 size_t piece_count, uint64_t *x)
{
    size_t len = 0;
    size_t target = next_random(x) % max_len;
    text[0] = '\0';
    while (len < target) {
        const char *piece = pieces[next_random(x) % piece_count];
        size_t n = strlen(piece);
        if (len + n + 1 > size)
            break;
        memcpy(text + len, piece, n + 1); /* its NUL is overwritten by the next piece */
        len += n;
    }
    return len;
}

#endif

/*
 * Lexicon-based sentiment analysis, a simplified VADER.
 *
 * Design: one left-to-right pass over the bytes, splitting them into words (no allocation,
 * O(len)). Each word is either a sentiment word from the lexicon, a
 * modifier (negator, booster, dampener), or plain. A sentiment word's weight is adjusted by the
 * modifiers just before it and added to a running sum s:
 *   - negation scope: a negator ("not", "never", any "...n't") flips, by NEGATION_SCALE, every
 *     sentiment word among the next NEGATION_SCOPE words ("not good", "not very good",
 *     "no one was injured"). The scope also ends at sentence punctuation (. ! ? ; :), because
 *     a negation rarely reaches into the next clause ("Not today. Results were good.").
 *   - a booster ("very") or dampener ("slightly") scales the first sentiment word that follows
 *     it directly or after one other word ("very good", "really quite good").
 * The sum is unbounded (it grows with the length of the text), so it is mapped into (-1, 1) the
 * way VADER does, score = s / sqrt(s * s + NORMALIZATION_ALPHA): the sign is kept, one strong
 * word already gives a clear score (+3 -> 0.61), and long texts saturate towards +-1 instead of
 * overflowing a fixed range. Text without sentiment words scores exactly 0.
 *
 * Tokenizing: a word is a maximal run of ASCII letters (lowercased), non-ASCII bytes, and
 * apostrophes inside the word (' and the curly quotes U+2018/U+2019, all stored as '), so
 * "Don't" and "don’t" both become "don't". Quote marks at the ends of a word are dropped.
 * Non-ASCII letters stay in the word ("café"), which then simply is not in the lexicon; but
 * U+00A0 and U+2000..U+203F (spaces, dashes, curly double quotes, ellipsis) separate words, so
 * that “good” and "good—bad" still match. Everything else ASCII separates words.
 *
 * Cost: this runs over every byte of every article (it was the program's largest cost), so it
 * does little per byte and about one load and one well-predicted branch per word:
 *   - Lookup goes through sentiment_index, a hash table over both word tables, whose slots carry
 *     a tag of their word's hash (see sentiment_lexicon.inc). Most words are in neither table:
 *     they cost their hash (of their length and first 8 bytes: one load, one multiply), one load
 *     and a tag comparison, with no branch on their length, which no predictor gets right for
 *     text. The tables store words as two zero-padded 8-byte chunks, so a word that may be in one
 *     is compared as two numbers, not byte by byte.
 *   - The scan goes from byte to byte between words and finds a word's end eight bytes at a time
 *     with word-wide operations (portable C, any byte order).
 *   - Only a word that goes on with an apostrophe or a non-ASCII byte takes the general path,
 *     which copies it byte by byte into a buffer as the tables spell words; no table word has
 *     an apostrophe or a non-ASCII byte, so such a word is only checked for the "n't" ending.
 * About 1.4 us for a 600-byte news article on the development VM. (An SSE2 scan, 64 bytes at a
 * time, took 0.8 us: some 60 ms of CPU per 100,000 articles at zero latency, invisible next to
 * any real latency, for twice the code to test; it was removed.) tests/test_sentiment.c pins the
 * behaviour, with every table word at every offset and digests of many generated texts.
 *
 * Thread safety: the word tables are constant, and the index is built from them once, on the
 * first call, under pthread_once (see index_ready); all other state lives on the caller's stack.
 */
#include "np/sentiment.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sentiment_lexicon.inc"

/*
 * The lookup index, built from the word tables by sentiment_index_build on the first call. It is
 * the one piece of global state here, and it is acceptable as such: it is written exactly once,
 * inside pthread_once, before any lookup, and only read after; pthread_once makes that write
 * visible to every thread that returns from it, so readers need no lock, and no caller has to
 * remember to initialise anything. Building it takes a few microseconds (some 500 inserts); a
 * call then pays one pthread_once check, an atomic load and a branch. (It used to be pasted into
 * the source as ~510 generated lines, because C cannot build it at compile time.)
 */
static uint32_t sentiment_index[SENTIMENT_INDEX_SIZE];
static pthread_once_t sentiment_index_once = PTHREAD_ONCE_INIT;

static void build_sentiment_index(void)
{
    sentiment_index_build(sentiment_index);
}

/* Makes sure sentiment_index is built; every entry point calls it before a lookup. */
static void index_ready(void)
{
    (void)pthread_once(&sentiment_index_once, build_sentiment_index); /* fails only on misuse */
}

/* VADER's constants: a negated word keeps about three quarters of its weight, with sign flipped. */
#define NEGATION_SCALE      (-0.74)
#define NEGATION_SCOPE      3
#define BOOSTER_SCALE       1.5
#define DAMPENER_SCALE      0.5
#define BOOSTER_REACH       2 /* the sentiment word itself or one word between */
#define NORMALIZATION_ALPHA 15.0

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum word_kind { WORD_PLAIN, WORD_SENTIMENT, WORD_NEGATOR, WORD_SCALER };

/* What the scorer remembers about a recent word. */
struct recent_word {
    enum word_kind kind;
    double scale; /* WORD_SCALER only: BOOSTER_SCALE or DAMPENER_SCALE */
};

struct scorer {
    /* recent[0] is the previous word; only as far back as a modifier can reach. */
    struct recent_word recent[NEGATION_SCOPE > BOOSTER_REACH ? NEGATION_SCOPE : BOOSTER_REACH];
    /* How many of the latest words were plain, counting up to the length of recent[]: once all of
     * recent[] is plain, another plain word (most words are) leaves it as it is. */
    size_t plain_run;
    double sum;
};

/* A word on the general path (see take_buffered_word), as the tables spell words. */
struct word_buffer {
    char text[SENTIMENT_WORD_MAX];
    size_t len;
    bool too_long; /* the word did not fit: treated as plain, never looked up */
};

enum byte_class { BYTE_WORD, BYTE_APOSTROPHE, BYTE_SEPARATOR, BYTE_SENTENCE_END };

static bool is_ascii_letter(unsigned char c)
{
    /* One compare instead of two ranges: setting bit 5 maps 'A'..'Z' onto 'a'..'z'. */
    return (unsigned)(c | 0x20) - 'a' < 26u;
}

static bool is_ascii_alnum(unsigned char c)
{
    return is_ascii_letter(c) || (c >= '0' && c <= '9');
}

/* The byte a word keeps for c: ASCII letters lowercased, anything else as it is. */
static char word_byte(unsigned char c)
{
    return (char)(is_ascii_letter(c) ? c | 0x20 : c);
}

/*
 * Classifies the ASCII character p[0] (left >= 1 bytes remain), one byte long.
 * ASCII case is handled by hand rather than with <ctype.h>, whose answers depend on the locale.
 */
static enum byte_class classify_ascii(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];

    if (is_ascii_letter(c)) {
        return BYTE_WORD;
    }
    if (c == '\'') {
        return BYTE_APOSTROPHE;
    }
    if (c == '!' || c == '?' || c == ';') {
        return BYTE_SENTENCE_END;
    }
    if (c == '.' || c == ':') {
        /* "3.5", "U.S" and "10:30" continue the sentence; "end. Next" does not. */
        return left > 1 && is_ascii_alnum(p[1]) ? BYTE_SEPARATOR : BYTE_SENTENCE_END;
    }
    return BYTE_SEPARATOR;
}

/* Classifies the character at p (left >= 1 bytes remain) and stores its length in bytes in *n. */
static enum byte_class classify(const unsigned char *p, size_t left, size_t *n)
{
    unsigned char c = p[0];

    *n = 1;
    if (c < 0x80) {
        return classify_ascii(p, left);
    }
    if (c == 0xC2 && left >= 2 && p[1] == 0xA0) { /* U+00A0 no-break space */
        *n = 2;
        return BYTE_SEPARATOR;
    }
    if (c == 0xE2 && left >= 3 && p[1] == 0x80 && p[2] >= 0x80 && p[2] <= 0xBF) {
        *n = 3; /* U+2000..U+203F, General Punctuation */
        if (p[2] == 0x98 || p[2] == 0x99) {
            return BYTE_APOSTROPHE; /* U+2018, U+2019 */
        }
        if (p[2] == 0xA6) {
            return BYTE_SENTENCE_END; /* U+2026 horizontal ellipsis */
        }
        return BYTE_SEPARATOR;
    }
    /* Any other non-ASCII byte, including stray or truncated UTF-8, is part of a word. */
    return BYTE_WORD;
}

/* Whether the character at p (left >= 1 bytes) belongs to the word just before it. */
static bool continues_word(const unsigned char *p, size_t left)
{
    if (p[0] < 0x80) { /* the common case, without the full classification */
        return is_ascii_letter(p[0]) || p[0] == '\'';
    }
    size_t n;
    enum byte_class c = classify(p, left, &n);
    return c == BYTE_WORD || c == BYTE_APOSTROPHE;
}

static void word_append(struct word_buffer *w, char c)
{
    if (w->len < SENTIMENT_WORD_MAX) {
        w->text[w->len++] = c;
    } else {
        w->too_long = true;
    }
}

static enum word_kind modifier_kind(enum sentiment_modifier_kind kind, double *value)
{
    switch (kind) {
    case SENTIMENT_NEGATOR:
        break;
    case SENTIMENT_BOOSTER:
        *value = BOOSTER_SCALE;
        return WORD_SCALER;
    case SENTIMENT_DAMPENER:
        *value = DAMPENER_SCALE;
        return WORD_SCALER;
    }
    return WORD_NEGATOR;
}

/* A byte value times BYTES_01 is that byte in each of the 8 bytes of a uint64_t. */
#define BYTES_01 0x0101010101010101u
#define BYTES_80 (0x80 * BYTES_01)

/* The 8 bytes at p as a little-endian number, on any host: the hash must not depend on it. */
static uint64_t load_chunk(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* One load. gcc 12 merges the bytes of the form below into one load in some places only. */
    uint64_t chunk;
    memcpy(&chunk, p, sizeof chunk);
    return chunk;
#else
    /* Written out rather than as a loop, so that compilers recognize it as one load. */
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
#endif
}

/* first_bytes[k] keeps the first (lowest) k bytes of a chunk. */
static const uint64_t first_bytes[9] = {
    0,          0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFF, 0xFFFFFFFFFFFF, 0xFFFFFFFFFFFFFF,
    UINT64_MAX,
};

/*
 * Classifies w[0..n), 1 <= n < SENTIMENT_ENTRY_SIZE ASCII letters in any case, where
 * SENTIMENT_ENTRY_SIZE bytes from w are readable; for WORD_SENTIMENT and WORD_SCALER also sets
 * *value. Such a word cannot end in "n't", so only the tables can make it more than plain.
 *
 * The word is taken as two chunks, lowercased (bit 5 set: they are letters) and cut after the
 * last letter, zero bytes after it, as the tables store words. It is hashed as sentiment_hash
 * hashes a table word, from its length and first chunk, with one multiply and no branch on its
 * length (word lengths vary too much for one to be predicted). Only a word whose home slot may
 * hold it needs its second chunk, to be compared with a table word as two numbers.
 */
static inline enum word_kind lookup_word(const unsigned char *w, size_t n, double *value)
{
    uint64_t lower = 0x20 * BYTES_01;
    uint64_t first = (load_chunk(w) | lower) & first_bytes[n < 8 ? n : 8];
    uint64_t h = sentiment_hash_chunk(n, first);
    size_t slot = sentiment_index_slot(h);
    uint32_t tag = sentiment_tag(h);
    uint32_t home = sentiment_index[slot];
    if (sentiment_slot_tag(home) != tag && (home & SENTIMENT_SLOT_OVERFLOW) == 0) {
        return WORD_PLAIN; /* most words: the one branch is well predicted */
    }
    uint64_t second = (load_chunk(w + 8) | lower) & first_bytes[n > 8 ? n - 8 : 0];
    /* The index is never full (the test checks), so an empty slot ends every search. */
    for (;; slot = (slot + 1) % SENTIMENT_INDEX_SIZE) {
        uint32_t x = sentiment_index[slot];
        if (x == 0) {
            return WORD_PLAIN;
        }
        if (sentiment_slot_tag(x) != tag) {
            continue;
        }
        size_t entry = sentiment_slot_entry(x);
        if (entry <= SENTIMENT_MODIFIER_COUNT) {
            const struct sentiment_modifier *modifier = &sentiment_modifiers[entry - 1];
            const unsigned char *word = (const unsigned char *)modifier->word;
            if (load_chunk(word) == first && load_chunk(word + 8) == second) {
                return modifier_kind(modifier->kind, value);
            }
        } else {
            const struct sentiment_entry *lexicon =
                &sentiment_lexicon[entry - 1 - SENTIMENT_MODIFIER_COUNT];
            const unsigned char *word = (const unsigned char *)lexicon->word;
            if (load_chunk(word) == first && load_chunk(word + 8) == second) {
                *value = lexicon->weight;
                return WORD_SENTIMENT;
            }
        }
    }
}

/*
 * Classifies a buffered word that is not too long: a word of letters only goes to the tables;
 * one with an apostrophe or a non-ASCII byte is in neither, and is a negator or plain.
 */
static enum word_kind classify_buffered(const struct word_buffer *w, double *value)
{
    for (size_t i = 0; i < w->len; i++) {
        if (!is_ascii_letter((unsigned char)w->text[i])) {
            return w->len >= 3 && memcmp(w->text + w->len - 3, "n't", 3) == 0 ? WORD_NEGATOR
                                                                              : WORD_PLAIN;
        }
    }
    /* text[] holds SENTIMENT_WORD_MAX > SENTIMENT_ENTRY_SIZE bytes. */
    return w->len < SENTIMENT_ENTRY_SIZE
               ? lookup_word((const unsigned char *)w->text, w->len, value)
               : WORD_PLAIN;
}

/* Weight of a sentiment word after the modifiers among the words just before it. */
static double adjusted_weight(const struct scorer *s, double weight)
{
    for (size_t i = 0; i < BOOSTER_REACH; i++) {
        if (s->recent[i].kind == WORD_SENTIMENT) {
            break; /* a booster applies to the first sentiment word after it only */
        }
        if (s->recent[i].kind == WORD_SCALER) {
            weight *= s->recent[i].scale;
        }
    }
    for (size_t i = 0; i < NEGATION_SCOPE; i++) {
        if (s->recent[i].kind == WORD_NEGATOR) {
            weight *= NEGATION_SCALE; /* twice negated is positive again, but weaker */
        }
    }
    return weight;
}

static void scorer_forget(struct scorer *s)
{
    for (size_t i = 0; i < ARRAY_LEN(s->recent); i++) {
        s->recent[i] = (struct recent_word){.kind = WORD_PLAIN, .scale = 1.0};
    }
    s->plain_run = ARRAY_LEN(s->recent);
}

/* Scores a word of the given kind (value as lookup_letters sets it) and remembers it. */
static void scorer_remember(struct scorer *s, enum word_kind kind, double value)
{
    struct recent_word current = {.kind = kind, .scale = 1.0};
    if (kind == WORD_SENTIMENT) {
        s->sum += adjusted_weight(s, value);
    } else if (kind == WORD_SCALER) {
        current.scale = value;
    }
    for (size_t i = ARRAY_LEN(s->recent) - 1; i > 0; i--) {
        s->recent[i] = s->recent[i - 1];
    }
    s->recent[0] = current;
}

/* scorer_remember, skipped when it would change nothing: a plain word after only plain ones. */
static inline void scorer_take(struct scorer *s, enum word_kind kind, double value)
{
    if (kind != WORD_PLAIN) {
        s->plain_run = 0;
    } else if (s->plain_run < ARRAY_LEN(s->recent)) {
        s->plain_run++;
    } else {
        return;
    }
    scorer_remember(s, kind, value);
}

/*
 * The general path for a word that goes on past its leading letters (an apostrophe or a non-ASCII
 * byte follows them, or it starts with a non-ASCII byte): the word from p[i] is copied into a
 * buffer character by character, then scored. Returns the index just past the word.
 */
static size_t take_buffered_word(struct scorer *s, const unsigned char *p, size_t len, size_t i)
{
    struct word_buffer w = {.len = 0, .too_long = false};
    for (size_t n = 1; i < len; i += n) {
        enum byte_class c = classify(p + i, len - i, &n);
        if (c == BYTE_WORD) {
            word_append(&w, word_byte(p[i]));
        } else if (c == BYTE_APOSTROPHE) {
            word_append(&w, '\''); /* inside the word: it began with a word byte */
        } else {
            break;
        }
    }
    /* A quote mark after the word ("students'", “good’”) is not part of it. */
    while (w.len > 0 && w.text[w.len - 1] == '\'') {
        w.len--;
    }
    double value = 0.0;
    /* too_long: the word did not fit, so it is plain, never looked up. */
    enum word_kind kind = w.too_long ? WORD_PLAIN : classify_buffered(&w, &value);
    scorer_take(s, kind, value);
    return i;
}

/*
 * Bit 7 of each byte of the result is set where that byte of chunk is not an ASCII letter. No
 * byte carries into the next: y is at most 0x7F, so y + 0x1F and y + 0x05 stay below 0x100.
 */
static uint64_t non_letter_bytes(uint64_t chunk)
{
    uint64_t y = (chunk | 0x20 * BYTES_01) & 0x7F * BYTES_01; /* fold case, drop bit 7 */
    uint64_t at_least_a = y + (0x80 - 'a') * BYTES_01;
    uint64_t past_z = y + (0x80 - 'z' - 1) * BYTES_01;
    return ~(at_least_a & ~past_z & ~chunk) & BYTES_80; /* ~chunk: non-ASCII is no letter */
}

/* The index (0 to 7) of the lowest byte that has bit 7 set in bits, which is not 0. */
static size_t first_marked_byte(uint64_t bits)
{
    /* bits & -bits keeps bit 8k+7 alone; moved to bit 8k it shifts the constant left by k bytes,
     * which brings its byte 7 - k, whose value is k, to the top. */
    return (size_t)((((bits & (0 - bits)) >> 7) * 0x0001020304050607u) >> 56);
}

/*
 * Scores the word that starts at p[start], a word byte, and returns the index just past it
 * (its closing quote marks included; the separator after it is left to the caller).
 *
 * The leading run of ASCII letters is found eight bytes at a time while eight bytes remain, else
 * byte by byte. A word that goes on past that run takes the general path; one that does not is
 * looked up in place, or from a copy near the end of the text, where fewer than the
 * SENTIMENT_ENTRY_SIZE bytes lookup_word reads are left.
 */
static size_t take_word(struct scorer *s, const unsigned char *p, size_t len, size_t start)
{
    size_t i = start;
    for (; len - i >= 8; i += 8) {
        uint64_t stops = non_letter_bytes(load_chunk(p + i));
        if (stops != 0) {
            i += first_marked_byte(stops);
            break;
        }
    }
    if (len - i < 8) {
        while (i < len && is_ascii_letter(p[i])) {
            i++;
        }
    }
    if (i < len && continues_word(p + i, len - i)) {
        return take_buffered_word(s, p, len, start);
    }
    double value = 0.0;
    enum word_kind kind = WORD_PLAIN;
    size_t n = i - start;
    if (n < SENTIMENT_ENTRY_SIZE) {
        unsigned char copy[SENTIMENT_ENTRY_SIZE];
        const unsigned char *w = p + start;
        if (len - start < SENTIMENT_ENTRY_SIZE) {
            memset(copy, 0, sizeof copy);
            memcpy(copy, w, n);
            w = copy;
        }
        kind = lookup_word(w, n, &value);
    }
    scorer_take(s, kind, value);
    return i;
}

static np_sentiment sentiment_from_sum(double sum)
{
    /* hypot(s, sqrt(alpha)) is sqrt(s * s + alpha) without overflow for huge s. */
    double score = sum / hypot(sum, sqrt(NORMALIZATION_ALPHA));
    if (score > 1.0) {
        score = 1.0;
    } else if (score < -1.0) {
        score = -1.0;
    }

    np_sentiment result = {.label = NP_SENTIMENT_NEUTRAL, .score = score};
    if (score < -NP_SENTIMENT_NEUTRAL_BAND) {
        result.label = NP_SENTIMENT_NEGATIVE;
    } else if (score > NP_SENTIMENT_NEUTRAL_BAND) {
        result.label = NP_SENTIMENT_POSITIVE;
    }
    return result;
}

/*
 * Scores what the character at p[i], which is no ASCII letter, means between words, and returns
 * the index just past it (or past the word it starts).
 */
static size_t take_between_words(struct scorer *s, const unsigned char *p, size_t len, size_t i)
{
    if (p[i] < 0x80) { /* a separator, sentence end or opening quote mark: one byte */
        if (classify_ascii(p + i, len - i) == BYTE_SENTENCE_END) {
            scorer_forget(s);
        }
        return i + 1;
    }
    size_t n;
    switch (classify(p + i, len - i, &n)) {
    case BYTE_WORD: /* a non-ASCII byte starts this word: no letters to scan first */
        return take_buffered_word(s, p, len, i);
    case BYTE_APOSTROPHE: /* before a word it is an opening quote mark, not part of it */
    case BYTE_SEPARATOR:
        break;
    case BYTE_SENTENCE_END:
        scorer_forget(s);
        break;
    }
    return i + n;
}

/* The scan between words, one character at a time. */
static void scan_bytes(struct scorer *s, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        i = is_ascii_letter(p[i]) ? take_word(s, p, len, i) : take_between_words(s, p, len, i);
    }
}

np_sentiment np_sentiment_analyze(const char *text, size_t len)
{
    struct scorer s = {.sum = 0.0};

    scorer_forget(&s);
    if (text != NULL) {
        index_ready();
        scan_bytes(&s, (const unsigned char *)text, len);
    }
    return sentiment_from_sum(s.sum);
}

const char *np_sentiment_label_name(np_sentiment_label label)
{
    switch (label) {
    case NP_SENTIMENT_NEGATIVE:
        return "negative";
    case NP_SENTIMENT_NEUTRAL:
        return "neutral";
    case NP_SENTIMENT_POSITIVE:
        return "positive";
    case NP_SENTIMENT_COUNT:
        break;
    }
    return "unknown"; /* not a label: a caller bug, but printing it must not crash */
}

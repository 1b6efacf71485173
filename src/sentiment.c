/*
 * Lexicon-based sentiment analysis, a simplified VADER.
 *
 * Design: one left-to-right pass over the bytes, splitting them into words in a fixed buffer on
 * the stack (no allocation, O(len)). Each word is either a sentiment word from the lexicon, a
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
 * Thread safety: the tables are constant and all state lives on the caller's stack.
 */
#include "np/sentiment.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sentiment_lexicon.inc"

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
    double sum;
};

struct word_buffer {
    char text[SENTIMENT_WORD_MAX + 1];
    size_t len;
    bool too_long; /* the word did not fit: treated as plain, never looked up */
};

enum byte_class { BYTE_WORD, BYTE_APOSTROPHE, BYTE_SEPARATOR, BYTE_SENTENCE_END };

static bool is_ascii_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ascii_alnum(unsigned char c)
{
    return is_ascii_letter(c) || (c >= '0' && c <= '9');
}

/*
 * Classifies the character at p (left >= 1 bytes remain) and stores its length in bytes in *n.
 * ASCII case is handled by hand rather than with <ctype.h>, whose answers depend on the locale.
 */
static enum byte_class classify(const unsigned char *p, size_t left, size_t *n)
{
    unsigned char c = p[0];

    *n = 1;
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
    if (c < 0x80) {
        return BYTE_SEPARATOR;
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

static void word_append(struct word_buffer *w, char c)
{
    if (w->len < SENTIMENT_WORD_MAX) {
        w->text[w->len++] = c;
    } else {
        w->too_long = true;
    }
}

static int compare_entry(const void *key, const void *entry)
{
    return strcmp(key, ((const struct sentiment_entry *)entry)->word);
}

static int compare_modifier(const void *key, const void *modifier)
{
    return strcmp(key, ((const struct sentiment_modifier *)modifier)->word);
}

/* Classifies the NUL-terminated word; for WORD_SENTIMENT and WORD_SCALER also sets *value. */
static enum word_kind lookup_word(const char *word, size_t len, double *value)
{
    const struct sentiment_modifier *modifier =
        bsearch(word, sentiment_modifiers, ARRAY_LEN(sentiment_modifiers),
                sizeof(sentiment_modifiers[0]), compare_modifier);
    if (modifier != NULL) {
        switch (modifier->kind) {
        case SENTIMENT_NEGATOR:
            return WORD_NEGATOR;
        case SENTIMENT_BOOSTER:
            *value = BOOSTER_SCALE;
            return WORD_SCALER;
        case SENTIMENT_DAMPENER:
            *value = DAMPENER_SCALE;
            return WORD_SCALER;
        }
    }
    if (len >= 3 && memcmp(word + len - 3, "n't", 3) == 0) {
        return WORD_NEGATOR;
    }
    const struct sentiment_entry *entry =
        bsearch(word, sentiment_lexicon, ARRAY_LEN(sentiment_lexicon), sizeof(sentiment_lexicon[0]),
                compare_entry);
    if (entry != NULL) {
        *value = entry->weight;
        return WORD_SENTIMENT;
    }
    return WORD_PLAIN;
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
}

/* Scores the buffered word, if any, and empties the buffer. */
static void scorer_take_word(struct scorer *s, struct word_buffer *w)
{
    /* A quote mark after the word ("students'", “good’”) is not part of it. */
    while (w->len > 0 && w->text[w->len - 1] == '\'') {
        w->len--;
    }
    if (w->len == 0 && !w->too_long) {
        return;
    }

    struct recent_word current = {.kind = WORD_PLAIN, .scale = 1.0};
    if (!w->too_long) {
        double value = 0.0;
        w->text[w->len] = '\0';
        current.kind = lookup_word(w->text, w->len, &value);
        if (current.kind == WORD_SENTIMENT) {
            s->sum += adjusted_weight(s, value);
        } else if (current.kind == WORD_SCALER) {
            current.scale = value;
        }
    }
    for (size_t i = ARRAY_LEN(s->recent) - 1; i > 0; i--) {
        s->recent[i] = s->recent[i - 1];
    }
    s->recent[0] = current;

    w->len = 0;
    w->too_long = false;
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

np_sentiment np_sentiment_analyze(const char *text, size_t len)
{
    struct scorer s = {.sum = 0.0};
    struct word_buffer w = {.len = 0, .too_long = false};
    const unsigned char *p = (const unsigned char *)text;

    scorer_forget(&s);
    if (text == NULL) {
        len = 0;
    }
    for (size_t i = 0, n = 1; i < len; i += n) {
        switch (classify(p + i, len - i, &n)) {
        case BYTE_WORD:
            word_append(&w, is_ascii_letter(p[i]) ? (char)(p[i] | 0x20) : (char)p[i]);
            break;
        case BYTE_APOSTROPHE:
            /* Inside a word it is an apostrophe; before one it is an opening quote mark. */
            if (w.len > 0 || w.too_long) {
                word_append(&w, '\'');
            }
            break;
        case BYTE_SEPARATOR:
            scorer_take_word(&s, &w);
            break;
        case BYTE_SENTENCE_END:
            scorer_take_word(&s, &w);
            scorer_forget(&s);
            break;
        }
    }
    scorer_take_word(&s, &w);
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

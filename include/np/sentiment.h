/*
 * Lexicon-based sentiment analysis of English text.
 *
 * A built-in table of a few hundred common English words with weights, simple negation
 * ("not good", "never", "n't") and intensifiers ("very good") / downtoners ("slightly bad").
 * Pure and thread-safe: the lexicon is constant, and its lookup index is built from it once, on
 * the first call (under pthread_once), so no lock is needed and nothing needs initialising.
 */
#ifndef NP_SENTIMENT_H
#define NP_SENTIMENT_H

#include <stddef.h>

typedef enum np_sentiment_label {
    NP_SENTIMENT_NEGATIVE,
    NP_SENTIMENT_NEUTRAL,
    NP_SENTIMENT_POSITIVE,
    NP_SENTIMENT_COUNT
} np_sentiment_label;

typedef struct np_sentiment {
    np_sentiment_label label;
    double score; /* in [-1, 1]: below 0 negative, above 0 positive */
} np_sentiment;

/* Scores below -NP_SENTIMENT_NEUTRAL_BAND are negative, above it positive, neutral between. */
#define NP_SENTIMENT_NEUTRAL_BAND 0.05

/* Analyzes text[0..len) (UTF-8; non-ASCII letters are kept in words and simply not in the lexicon).
 */
np_sentiment np_sentiment_analyze(const char *text, size_t len);

/* "negative", "neutral" or "positive". */
const char *np_sentiment_label_name(np_sentiment_label label);

#endif

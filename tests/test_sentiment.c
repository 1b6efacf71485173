/*
 * Unit tests for the lexicon-based sentiment analyzer (src/sentiment.c).
 *
 * The lexicon tables are included directly so their invariants (sorted, lowercase, unique, large
 * enough, and the lookup index built from them sparse enough) can be checked without exposing
 * them in the public header. Texts that
 * must not be read past their length are copied into exactly-sized heap buffers, so
 * AddressSanitizer catches any over-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "random_text.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/sentiment.h"

#include "../src/sentiment_lexicon.inc"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static np_sentiment analyze(const char *text)
{
    return np_sentiment_analyze(text, strlen(text));
}

/* The score of a text whose adjusted weights sum to sum, as documented in src/sentiment.c. */
static double normalised(double sum)
{
    return sum / sqrt(sum * sum + 15.0);
}

static double score_of(const char *text)
{
    return analyze(text).score;
}

static void assert_label(const char *text, np_sentiment_label expected)
{
    np_sentiment result = analyze(text);
    if (result.label != expected) {
        print_error("\"%s\": expected %s, got %s (score %.4f)\n", text,
                    np_sentiment_label_name(expected), np_sentiment_label_name(result.label),
                    result.score);
    }
    assert_int_equal(result.label, expected);
}

/* A heap copy of text without the terminating NUL: reading past len is an ASan error. */
static char *copy_unterminated(const char *text, size_t len)
{
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, text, len);
    return copy;
}

/* count copies of word, each followed by a space, with no terminating NUL. */
static char *repeat_word(const char *word, size_t count, size_t *len)
{
    size_t word_len = strlen(word);
    *len = count * (word_len + 1);
    char *text = malloc(*len);
    assert_non_null(text);
    for (size_t i = 0; i < count; i++) {
        memcpy(text + i * (word_len + 1), word, word_len);
        text[i * (word_len + 1) + word_len] = ' ';
    }
    return text;
}

static void test_positive_news_is_positive(void **state)
{
    (void)state;
    assert_label("The company reported record profits and strong growth, and investors celebrated.",
                 NP_SENTIMENT_POSITIVE);
    assert_label("Scientists announced a breakthrough that could save thousands of lives.",
                 NP_SENTIMENT_POSITIVE);
    assert_label("The economy is recovering and unemployment has improved.", NP_SENTIMENT_POSITIVE);
}

static void test_negative_news_is_negative(void **state)
{
    (void)state;
    assert_label("The earthquake killed dozens and destroyed hundreds of homes.",
                 NP_SENTIMENT_NEGATIVE);
    assert_label("The firm announced massive layoffs after a disastrous quarter of losses.",
                 NP_SENTIMENT_NEGATIVE);
    assert_label("Floods caused a power outage across the region amid a deepening crisis.",
                 NP_SENTIMENT_NEGATIVE);
}

static void test_factual_news_is_neutral_with_score_zero(void **state)
{
    (void)state;
    const char *texts[] = {
        "The council will meet on Tuesday to discuss the budget.",
        "The minister said the report will be published in March.",
        "12,345 -- 67.8% ; ... ?!",
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        np_sentiment result = analyze(texts[i]);
        assert_true(result.score == 0.0);
        assert_int_equal(result.label, NP_SENTIMENT_NEUTRAL);
    }
}

static void test_empty_text_is_neutral_with_score_zero(void **state)
{
    (void)state;
    np_sentiment result = np_sentiment_analyze("", 0);
    assert_true(result.score == 0.0);
    assert_int_equal(result.label, NP_SENTIMENT_NEUTRAL);

    result = np_sentiment_analyze(NULL, 0);
    assert_true(result.score == 0.0);
    assert_int_equal(result.label, NP_SENTIMENT_NEUTRAL);
}

static void test_single_word_score_is_vader_normalised(void **state)
{
    (void)state;
    /* "good" is +2 and "bad" -2 in the lexicon: +-2 / sqrt(4 + 15). */
    assert_true(fabs(score_of("good") - 2.0 / sqrt(19.0)) < 1e-12);
    assert_true(fabs(score_of("bad") + 2.0 / sqrt(19.0)) < 1e-12);
}

static void test_negation_flips_sentiment(void **state)
{
    (void)state;
    assert_label("good", NP_SENTIMENT_POSITIVE);
    assert_label("not good", NP_SENTIMENT_NEGATIVE);
    assert_label("The results were not bad.", NP_SENTIMENT_POSITIVE);
    assert_true(score_of("The results were not bad.") > 0.0);
    assert_label("The plan was never successful.", NP_SENTIMENT_NEGATIVE);
    assert_label("No one was injured.", NP_SENTIMENT_POSITIVE);
}

static void test_negation_reaches_three_words_only(void **state)
{
    (void)state;
    assert_label("not one two good", NP_SENTIMENT_NEGATIVE);
    assert_label("not one two three good", NP_SENTIMENT_POSITIVE);
}

static void test_negation_scope_ends_at_sentence_punctuation(void **state)
{
    (void)state;
    assert_label("Not today. The results were good.", NP_SENTIMENT_POSITIVE);
    assert_label("Not yet! Good.", NP_SENTIMENT_POSITIVE);
    assert_label("Not now; good", NP_SENTIMENT_POSITIVE);
    assert_label("Not so: good", NP_SENTIMENT_POSITIVE);
    /* A comma does not end the clause, so the negation still applies. */
    assert_label("Not, good", NP_SENTIMENT_NEGATIVE);
}

static void test_decimal_point_and_clock_colon_do_not_end_sentence(void **state)
{
    (void)state;
    assert_label("Sales were not 2.5 times better.", NP_SENTIMENT_NEGATIVE);
    assert_label("Not before 10:30 good", NP_SENTIMENT_NEGATIVE);
}

static void test_double_negation_is_weakly_positive(void **state)
{
    (void)state;
    double twice = score_of("not never good");
    assert_true(twice > 0.0);
    assert_true(twice < score_of("good"));
}

static void test_contraction_negates_with_straight_or_curly_apostrophe(void **state)
{
    (void)state;
    assert_label("I don't like it.", NP_SENTIMENT_NEGATIVE);
    assert_label("I don\u2019t like it.", NP_SENTIMENT_NEGATIVE);
    assert_label("Investors didn't panic.", NP_SENTIMENT_POSITIVE);
    assert_label("The outlook isn\u2019t bad.", NP_SENTIMENT_POSITIVE);
    assert_label("I like it.", NP_SENTIMENT_POSITIVE);
    assert_true(score_of("don't like") == score_of("don\u2019t like"));
}

static void test_quote_marks_around_words_are_ignored(void **state)
{
    (void)state;
    double good = score_of("good");
    assert_true(score_of("'good'") == good);
    assert_true(score_of("\"good\"") == good);
    assert_true(score_of("\u201cgood\u201d") == good);
    assert_true(score_of("\u2018good\u2019") == good);
}

static void test_unicode_spaces_and_dashes_separate_words(void **state)
{
    (void)state;
    assert_true(score_of("good\u2014bad") == 0.0);
    assert_label("not\u00a0good", NP_SENTIMENT_NEGATIVE);
    assert_label("not\u2009good", NP_SENTIMENT_NEGATIVE);
    /* An ellipsis ends the sentence like "...". */
    assert_label("Not yet\u2026 good", NP_SENTIMENT_POSITIVE);
    assert_label("Not yet... good", NP_SENTIMENT_POSITIVE);
}

static void test_intensifier_raises_magnitude(void **state)
{
    (void)state;
    assert_true(score_of("very good") > score_of("good"));
    assert_true(score_of("extremely bad") < score_of("bad"));
    /* One word may sit between the intensifier and the word it strengthens, but not two. */
    assert_true(score_of("really quite good") > score_of("good"));
    assert_true(score_of("really quite frankly good") == score_of("good"));
}

static void test_intensifier_applies_to_first_sentiment_word_only(void **state)
{
    (void)state;
    /* 2 * 1.5 - 2 = 1: "bad" is not strengthened by the "very" before "good". */
    assert_true(fabs(score_of("very good bad") - normalised(1.0)) < 1e-12);
    /* 2 - 2 * 1.5 = -1: "very" reaches over no sentiment word, only forward. */
    assert_true(fabs(score_of("good very bad") - normalised(-1.0)) < 1e-12);
}

static void test_downtoner_lowers_magnitude(void **state)
{
    (void)state;
    double good = score_of("good");
    double slightly_good = score_of("slightly good");
    assert_true(slightly_good > 0.0);
    assert_true(slightly_good < good);

    double bad = score_of("bad");
    double somewhat_bad = score_of("somewhat bad");
    assert_true(somewhat_bad < 0.0);
    assert_true(somewhat_bad > bad);
}

static void test_modifiers_alone_carry_no_weight(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(sentiment_modifiers); i++) {
        np_sentiment result = analyze(sentiment_modifiers[i].word);
        assert_true(result.score == 0.0);
    }
    assert_true(score_of("not very slightly don't") == 0.0);
}

static void test_matching_is_case_insensitive(void **state)
{
    (void)state;
    assert_true(score_of("GOOD") == score_of("good"));
    assert_true(score_of("Good") == score_of("good"));
    assert_true(score_of("NOT VERY GOOD") == score_of("not very good"));
    assert_true(score_of("DON'T LIKE") == score_of("don't like"));
}

static void test_small_nonzero_score_is_neutral(void **state)
{
    (void)state;
    /* +0.5 then -0.37: a score of about 0.034, inside the neutral band. */
    np_sentiment result = analyze("slightly like. not slightly like.");
    assert_true(result.score > 0.0);
    assert_true(result.score <= NP_SENTIMENT_NEUTRAL_BAND);
    assert_int_equal(result.label, NP_SENTIMENT_NEUTRAL);
}

static void test_score_stays_in_range_for_long_text(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = repeat_word("excellent", 10000, &len);
    np_sentiment result = np_sentiment_analyze(text, len);
    assert_true(result.score <= 1.0);
    assert_true(result.score > 0.999);
    assert_int_equal(result.label, NP_SENTIMENT_POSITIVE);
    free(text);

    text = repeat_word("catastrophic", 10000, &len);
    result = np_sentiment_analyze(text, len);
    assert_true(result.score >= -1.0);
    assert_true(result.score < -0.999);
    assert_int_equal(result.label, NP_SENTIMENT_NEGATIVE);
    free(text);
}

static void test_text_need_not_be_nul_terminated(void **state)
{
    (void)state;
    const char *full = "The results were good. Terrible awful disastrous losses";
    size_t prefix = strlen("The results were good.");
    char *text = copy_unterminated(full, strlen(full));

    assert_label(full, NP_SENTIMENT_NEGATIVE);
    assert_int_equal(np_sentiment_analyze(text, prefix).label, NP_SENTIMENT_POSITIVE);
    assert_true(np_sentiment_analyze(text, prefix).score == score_of("good"));
    /* A word cut by len is only its first part: "good" cut after "go" is not a word we know. */
    assert_true(np_sentiment_analyze(text, strlen("The results were go")).score == 0.0);
    free(text);
}

static void test_word_ending_at_buffer_end_is_counted(void **state)
{
    (void)state;
    char *text = copy_unterminated("not good", strlen("not good"));
    assert_int_equal(np_sentiment_analyze(text, strlen("not good")).label, NP_SENTIMENT_NEGATIVE);
    free(text);

    /* Characters cut by len, or looking ahead at len, must not read past it (ASan checks). */
    const char *cut[] = {"don\u2019t", "don\u2019t", "not\u00a0good", "not."};
    size_t cut_len[] = {4, 5, 4, 4};
    for (size_t i = 0; i < ARRAY_LEN(cut); i++) {
        text = copy_unterminated(cut[i], cut_len[i]);
        assert_true(np_sentiment_analyze(text, cut_len[i]).score == 0.0);
        free(text);
    }
}

static void test_overlong_word_does_not_match(void **state)
{
    (void)state;
    char text[300];
    memset(text, 'a', sizeof(text));
    memcpy(text, "good", 4);
    /* One 300-byte word that starts with "good" is not "good". */
    assert_true(np_sentiment_analyze(text, sizeof(text)).score == 0.0);

    /* An overlong word still counts as a word, and the next one is scored. */
    text[sizeof(text) - 5] = ' ';
    memcpy(text + sizeof(text) - 4, "good", 4);
    assert_true(np_sentiment_analyze(text, sizeof(text)).score == score_of("good"));
}

static void test_non_ascii_letters_stay_in_word(void **state)
{
    (void)state;
    assert_true(score_of("caf\u00e9 na\u00efve") == 0.0);
    assert_true(score_of("good\u00e9") == 0.0);
    assert_true(score_of("\u00e9 good") == score_of("good"));
    /* Digits separate words. */
    assert_true(score_of("2good4") == score_of("good"));
}

static void test_label_names(void **state)
{
    (void)state;
    assert_string_equal(np_sentiment_label_name(NP_SENTIMENT_NEGATIVE), "negative");
    assert_string_equal(np_sentiment_label_name(NP_SENTIMENT_NEUTRAL), "neutral");
    assert_string_equal(np_sentiment_label_name(NP_SENTIMENT_POSITIVE), "positive");
    assert_string_equal(np_sentiment_label_name(NP_SENTIMENT_COUNT), "unknown");
}

/* Whether a table word (SENTIMENT_ENTRY_SIZE bytes) is lowercase letters followed by a NUL. */
static bool is_lowercase_word(const char *word)
{
    /* A word of SENTIMENT_ENTRY_SIZE letters would fit its array without the NUL. */
    if (*word == '\0' || memchr(word, '\0', SENTIMENT_ENTRY_SIZE) == NULL) {
        return false;
    }
    for (const char *c = word; *c != '\0'; c++) {
        if (*c < 'a' || *c > 'z') {
            return false;
        }
    }
    return true;
}

/* Whether word is in either table. */
static bool is_table_word(const char *word)
{
    for (size_t i = 0; i < ARRAY_LEN(sentiment_lexicon); i++) {
        if (strcmp(sentiment_lexicon[i].word, word) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(sentiment_modifiers); i++) {
        if (strcmp(sentiment_modifiers[i].word, word) == 0) {
            return true;
        }
    }
    return false;
}

static void test_lexicon_is_sorted_unique_lowercase_and_large(void **state)
{
    (void)state;
    assert_true(ARRAY_LEN(sentiment_lexicon) >= 300);
    for (size_t i = 0; i < ARRAY_LEN(sentiment_lexicon); i++) {
        const struct sentiment_entry *entry = &sentiment_lexicon[i];
        if (!is_lowercase_word(entry->word)) {
            print_error("bad lexicon word \"%s\"\n", entry->word);
            fail();
        }
        /* Weights are non-zero half steps within [-4, 4]. */
        assert_true(entry->weight != 0.0);
        assert_true(entry->weight >= -4.0 && entry->weight <= 4.0);
        assert_true(entry->weight * 2.0 == floor(entry->weight * 2.0));
        if (i > 0 && strcmp(sentiment_lexicon[i - 1].word, entry->word) >= 0) {
            print_error("lexicon not strictly sorted at \"%s\"\n", entry->word);
            fail();
        }
    }
}

static void test_modifiers_are_sorted_unique_and_not_in_lexicon(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(sentiment_modifiers); i++) {
        const char *word = sentiment_modifiers[i].word;
        assert_true(is_lowercase_word(word));
        if (i > 0 && strcmp(sentiment_modifiers[i - 1].word, word) >= 0) {
            print_error("modifiers not strictly sorted at \"%s\"\n", word);
            fail();
        }
        for (size_t j = 0; j < ARRAY_LEN(sentiment_lexicon); j++) {
            if (strcmp(sentiment_lexicon[j].word, word) == 0) {
                print_error("\"%s\" is both a modifier and a lexicon word\n", word);
                fail();
            }
        }
    }
}

static void test_every_lexicon_word_is_found_with_its_weight(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(sentiment_lexicon); i++) {
        const struct sentiment_entry *entry = &sentiment_lexicon[i];
        double expected = normalised(entry->weight);
        double score = score_of(entry->word);
        if (fabs(score - expected) > 1e-12) {
            print_error("\"%s\": expected %f, got %f\n", entry->word, expected, score);
            fail();
        }
    }
}

static void test_index_is_sparse_with_short_probe_runs(void **state)
{
    (void)state;
    /* The index sentiment.c builds from the word tables, built here the same way. */
    static uint32_t index[SENTIMENT_INDEX_SIZE];
    sentiment_index_build(index);
    /* Lookups stay cheap: at most half full (so misses end soon), and no long probe runs. */
    size_t used = 0;
    size_t run = 0;
    size_t longest_run = 0;
    for (size_t slot = 0; slot < SENTIMENT_INDEX_SIZE; slot++) {
        used += index[slot] != 0;
        run = index[slot] != 0 ? run + 1 : 0;
        longest_run = run > longest_run ? run : longest_run;
    }
    assert_true(used == ARRAY_LEN(sentiment_modifiers) + ARRAY_LEN(sentiment_lexicon));
    assert_true(used * 2 <= SENTIMENT_INDEX_SIZE);
    assert_true(longest_run <= 16);
}

/* word at offset pad (spaces before it), then enough text after it for 8-byte steps. */
static np_sentiment analyze_padded(const char *word, size_t pad, bool upper)
{
    char text[SENTIMENT_WORD_MAX + 64];
    size_t word_len = strlen(word);
    assert_true(pad + word_len + 32 < sizeof text);
    memset(text, ' ', pad);
    for (size_t i = 0; i < word_len; i++) {
        text[pad + i] = upper ? (char)(word[i] & ~0x20) : word[i];
    }
    /* Plain words only, so that the score is that of word alone. */
    const char tail[] = ", said the people there on Monday";
    memcpy(text + pad + word_len, tail, sizeof tail - 1);
    return np_sentiment_analyze(text, pad + word_len + sizeof tail - 1);
}

static void test_words_are_found_at_every_offset_in_any_case(void **state)
{
    (void)state;
    /* The scanner reads words eight bytes at a time where it can and byte by byte near the end of
     * the text; both must find every word wherever it starts. */
    for (size_t i = 0; i < ARRAY_LEN(sentiment_lexicon); i++) {
        double expected = score_of(sentiment_lexicon[i].word);
        for (size_t pad = 0; pad < 9; pad++) {
            if (analyze_padded(sentiment_lexicon[i].word, pad, pad % 2 == 1).score != expected) {
                print_error("\"%s\" not found at offset %zu\n", sentiment_lexicon[i].word, pad);
                fail();
            }
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(sentiment_modifiers); i++) {
        /* A modifier before "good" changes its score, whichever kind it is. */
        char text[64];
        /* The precision bounds the word by its array for gcc's -Wformat-truncation. */
        snprintf(text, sizeof text, "%.*s good", SENTIMENT_ENTRY_SIZE, sentiment_modifiers[i].word);
        double expected = score_of(text);
        assert_true(expected != score_of("good"));
        for (size_t pad = 0; pad < 9; pad++) {
            assert_true(analyze_padded(text, pad, pad % 2 == 0).score == expected);
        }
    }
}

static void test_words_longer_than_eight_bytes_are_not_confused(void **state)
{
    (void)state;
    /* Sharing a first 8-byte chunk with a lexicon word is not enough. */
    assert_true(score_of("achievementsx and so on, said the people") == 0.0);
    assert_true(score_of("achievement and so on, said the people") == score_of("achievement"));
    assert_true(score_of("xachievement and so on, said the people") == 0.0);
    /* Nor sharing the first chunk and the length, which is all the hash sees ("celebrated" and
     * "celebrates" share hash and tag): every table word of more than 8 letters with its last
     * letter changed is plain, unless that makes another table word. */
    for (size_t i = 0; i < ARRAY_LEN(sentiment_lexicon); i++) {
        size_t len = strlen(sentiment_lexicon[i].word);
        if (len <= 8) {
            continue;
        }
        char changed[SENTIMENT_ENTRY_SIZE];
        memcpy(changed, sentiment_lexicon[i].word, len + 1);
        for (char c = 'a'; c <= 'z'; c++) {
            changed[len - 1] = c;
            if (strcmp(changed, sentiment_lexicon[i].word) != 0 && !is_table_word(changed)) {
                assert_true(score_of(changed) == 0.0);
            }
        }
    }
    /* A word is its whole run of letters, however long, and a 63-letter word is still looked up
     * (it is simply not in the lexicon). */
    char text[200];
    int len = snprintf(text, sizeof text, "%.63s good, said the people there",
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_true(len > 63);
    assert_true(np_sentiment_analyze(text, (size_t)len).score == score_of("good"));
}

/*
 * Analyzes text[0..len) from an exactly-sized heap copy (so AddressSanitizer sees any read past
 * len) and folds the label and the bits of the score into *digest (FNV-1a, 64 bits). The tests
 * below compare the digest of a whole series of texts with the value the analyzer gave when it
 * also had an SSE2 scan, which agreed with the portable one to the bit on every such text; so a
 * change to any score shows. Returns the result.
 */
static np_sentiment digest_sentiment(const char *text, size_t len, uint64_t *digest)
{
    char *copy = copy_unterminated(text, len);
    np_sentiment result = np_sentiment_analyze(copy, len);
    free(copy);
    uint64_t bits; /* the score must be the same to the bit, not only as a value */
    memcpy(&bits, &result.score, sizeof bits);
    unsigned char bytes[9] = {(unsigned char)result.label};
    for (size_t k = 0; k < 8; k++) {
        bytes[1 + k] = (unsigned char)(bits >> (8 * k));
    }
    for (size_t k = 0; k < sizeof bytes; k++) {
        *digest = (*digest ^ bytes[k]) * 0x100000001B3u;
    }
    return result;
}

#define FNV_OFFSET_BASIS 0xCBF29CE484222325u
/* The digests of the two series below, as both former scans of the analyzer gave them. */
#define OFFSETS_DIGEST 0xD67597333A3FE9BDu
#define RANDOM_DIGEST  0x5FB29FCF559EC697u

static void assert_digest(uint64_t digest, uint64_t expected)
{
    if (digest != expected) {
        fail_msg("scores changed: digest 0x%016llX, expected 0x%016llX", (unsigned long long)digest,
                 (unsigned long long)expected);
    }
}

/* Whether two results are the same, the score to the bit. */
static bool same_result(np_sentiment a, np_sentiment b)
{
    return a.label == b.label && memcmp(&a.score, &b.score, sizeof a.score) == 0;
}

static void test_words_at_every_offset_give_pinned_scores(void **state)
{
    (void)state;
    /* Words of every kind, from every offset up to past two 64-byte blocks (and their 16-byte
     * lookahead, where the SSE2 scan looked), at the very end of the text or followed by something
     * that ends or continues them. Spaces make no word, so every offset scores as the first. */
    static const char *const words[] = {
        "good",
        "Good",
        "not",
        "don't",
        "don\xE2\x80\x99t",
        "caf\xC3\xA9",
        "goodness",
        "bad",
        "congratulations",
        "congratulationsx",
        "extremely",
        "achievements",
        "N'T",
        "a",
        "aaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    static const char *const after[] = {
        "",          " ",        ".", ". x", "'",           "'s", "\xE2\x80\x99",
        "\xC2\xA0!", "\xE2\x80", "3", ":5",  "\xE2\x80\xA6"};
    char text[256];
    uint64_t digest = FNV_OFFSET_BASIS;
    for (size_t w = 0; w < ARRAY_LEN(words); w++) {
        for (size_t a = 0; a < ARRAY_LEN(after); a++) {
            np_sentiment first[2];
            for (size_t pad = 0; pad < 150; pad++) {
                /* "not very " before the padding, so that the word's score depends on it. */
                int len = snprintf(text, sizeof text, "not very %*s%s%s", (int)pad, "", words[w],
                                   after[a]);
                assert_true(len > 0 && (size_t)len < sizeof text);
                np_sentiment result[2] = {digest_sentiment(text, (size_t)len, &digest),
                                          digest_sentiment(text + 9, (size_t)len - 9, &digest)};
                for (size_t k = 0; k < 2; k++) {
                    if (pad == 0) {
                        first[k] = result[k];
                    } else if (!same_result(result[k], first[k])) {
                        fail_msg("\"%s\": %.17g at offset %zu, %.17g at offset 0", text + 9 * k,
                                 result[k].score, pad, first[k].score);
                    }
                }
            }
        }
    }
    assert_digest(digest, OFFSETS_DIGEST);
}

static void test_random_texts_give_pinned_scores(void **state)
{
    (void)state;
    /* Pieces that exercise every class of byte: letters in both cases, table words, negators,
     * apostrophes straight and curly, non-ASCII letters, Unicode spaces, dashes and ellipsis,
     * truncated and stray UTF-8, sentence punctuation and decimal points, long words. */
    static const char *const pieces[] = {
        " ",
        "  ",
        "\n",
        ", ",
        ". ",
        "!",
        "?",
        ";",
        ":",
        ".",
        "3.5",
        "10:30",
        "U.S.",
        "'",
        "\"",
        "(",
        "-",
        "\xE2\x80\x98",
        "\xE2\x80\x99",
        "\xE2\x80\x9C",
        "\xE2\x80\x9D",
        "\xE2\x80\x94",
        "\xE2\x80\xA6",
        "\xC2\xA0",
        "\xC3\xA9",
        "\xE2\x80",
        "\xE2",
        "\xC2",
        "\x80",
        "\xF0\x9F\x98\x80",
        "\x01",
        "a",
        "Z",
        "good",
        "GREAT",
        "bad",
        "crisis",
        "not",
        "never",
        "don't",
        "isnt",
        "very",
        "slightly",
        "extremely",
        "no",
        "the",
        "people",
        "company",
        "achievement",
        "achievements",
        "congratulations",
        "disappointment",
        "xxxxxxxxxxxxxxxx",
        "n't",
    };
    uint64_t x = 0x9E3779B97F4A7C15u;
    char text[400];
    uint64_t digest = FNV_OFFSET_BASIS;
    for (int round = 0; round < 20000; round++) {
        size_t len =
            random_text(text, sizeof text, 300, pieces, sizeof pieces / sizeof pieces[0], &x);
        digest_sentiment(text, len, &digest);
    }
    assert_digest(digest, RANDOM_DIGEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positive_news_is_positive),
        cmocka_unit_test(test_negative_news_is_negative),
        cmocka_unit_test(test_factual_news_is_neutral_with_score_zero),
        cmocka_unit_test(test_empty_text_is_neutral_with_score_zero),
        cmocka_unit_test(test_single_word_score_is_vader_normalised),
        cmocka_unit_test(test_negation_flips_sentiment),
        cmocka_unit_test(test_negation_reaches_three_words_only),
        cmocka_unit_test(test_negation_scope_ends_at_sentence_punctuation),
        cmocka_unit_test(test_decimal_point_and_clock_colon_do_not_end_sentence),
        cmocka_unit_test(test_double_negation_is_weakly_positive),
        cmocka_unit_test(test_contraction_negates_with_straight_or_curly_apostrophe),
        cmocka_unit_test(test_quote_marks_around_words_are_ignored),
        cmocka_unit_test(test_unicode_spaces_and_dashes_separate_words),
        cmocka_unit_test(test_intensifier_raises_magnitude),
        cmocka_unit_test(test_intensifier_applies_to_first_sentiment_word_only),
        cmocka_unit_test(test_downtoner_lowers_magnitude),
        cmocka_unit_test(test_modifiers_alone_carry_no_weight),
        cmocka_unit_test(test_matching_is_case_insensitive),
        cmocka_unit_test(test_small_nonzero_score_is_neutral),
        cmocka_unit_test(test_score_stays_in_range_for_long_text),
        cmocka_unit_test(test_text_need_not_be_nul_terminated),
        cmocka_unit_test(test_word_ending_at_buffer_end_is_counted),
        cmocka_unit_test(test_overlong_word_does_not_match),
        cmocka_unit_test(test_non_ascii_letters_stay_in_word),
        cmocka_unit_test(test_label_names),
        cmocka_unit_test(test_lexicon_is_sorted_unique_lowercase_and_large),
        cmocka_unit_test(test_modifiers_are_sorted_unique_and_not_in_lexicon),
        cmocka_unit_test(test_every_lexicon_word_is_found_with_its_weight),
        cmocka_unit_test(test_index_is_sparse_with_short_probe_runs),
        cmocka_unit_test(test_words_are_found_at_every_offset_in_any_case),
        cmocka_unit_test(test_words_longer_than_eight_bytes_are_not_confused),
        cmocka_unit_test(test_words_at_every_offset_give_pinned_scores),
        cmocka_unit_test(test_random_texts_give_pinned_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

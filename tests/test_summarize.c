/*
 * Unit tests for np_summarize: whitespace normalization, sentence boundaries (abbreviations,
 * initials, decimals, ?! runs, closing quotes), the 200-code-point limit at its exact edges, the
 * word-boundary and code-point cuts with "…", UTF-8 safety, and reading only text[0..len).
 *
 * Most boundary tests follow one pattern: a candidate first sentence, then a second sentence too
 * long to fit. If the candidate really ends a sentence the summary is exactly it; if it does
 * not, no whole sentence fits and the summary must be a cut ending in "…".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "random_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/summarize.h"

#define ELLIPSIS "\xE2\x80\xA6"

/* Lowercase words only, no punctuation, longer than the limit: it can never end a sentence. */
#define LONG_TAIL                                                                                  \
    " and the talks went on late into the night and the talks went on late into the night"         \
    " and the talks went on late into the night and the talks went on late into the night"         \
    " and the talks went on late into the night and the talks went on late into the night"

static size_t count_code_points(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            count++;
        }
    }
    return count;
}

/* Strict UTF-8: no truncated sequences, overlong forms, surrogates or values above U+10FFFF. */
static bool is_valid_utf8(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < n) {
        size_t len;
        uint32_t cp;
        if (s[i] < 0x80) {
            i++;
            continue;
        } else if (s[i] >= 0xC2 && s[i] <= 0xDF) {
            len = 2;
            cp = s[i] & 0x1F;
        } else if ((s[i] & 0xF0) == 0xE0) {
            len = 3;
            cp = s[i] & 0x0F;
        } else if (s[i] >= 0xF0 && s[i] <= 0xF4) {
            len = 4;
            cp = s[i] & 0x07;
        } else {
            return false;
        }
        if (n - i < len) {
            return false;
        }
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

static bool ends_with_ellipsis(const char *s, size_t n)
{
    return n >= 3 && memcmp(s + n - 3, ELLIPSIS, 3) == 0;
}

/* A malloc'd string of unit repeated times times. */
static char *repeat(const char *unit, size_t times)
{
    size_t unit_len = strlen(unit);
    char *s = malloc(unit_len * times + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++) {
        memcpy(s + i * unit_len, unit, unit_len);
    }
    s[unit_len * times] = '\0';
    return s;
}

/* A malloc'd concatenation of a and b. */
static char *concat(const char *a, const char *b)
{
    size_t a_len = strlen(a);
    size_t b_len = strlen(b);
    char *s = malloc(a_len + b_len + 1);
    assert_non_null(s);
    memcpy(s, a, a_len);
    memcpy(s + a_len, b, b_len + 1);
    return s;
}

/* Summarizes the NUL-terminated input and checks the result and its reported length. */
static void assert_summary(const char *input, const char *expected)
{
    size_t out_len = 12345;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    assert_string_equal(out, expected);
    assert_int_equal(out_len, strlen(expected));
    free(out);
}

/* The candidate, followed by a sentence that cannot fit, must be summarized as exactly itself. */
static void assert_ends_sentence(const char *candidate)
{
    char *input = concat(candidate, " Then" LONG_TAIL);
    assert_summary(input, candidate);
    free(input);
}

/* The candidate, followed by an unending tail, must not end a sentence: the summary is a cut. */
static void assert_does_not_end_sentence(const char *candidate)
{
    char *input = concat(candidate, LONG_TAIL);
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    if (!ends_with_ellipsis(out, out_len)) {
        fail_msg("\"%s\" ended a sentence: summary \"%s\"", candidate, out);
    }
    free(out);
    free(input);
}

static void test_empty_text_gives_empty_string(void **state)
{
    (void)state;
    size_t out_len = 12345;
    char *out = np_summarize("", 0, &out_len);
    assert_non_null(out);
    assert_string_equal(out, "");
    assert_int_equal(out_len, 0);
    free(out);
}

static void test_whitespace_only_text_gives_empty_string(void **state)
{
    (void)state;
    assert_summary(" \t\r\n\v\f  \n\n\t ", "");
}

static void test_short_single_sentence_is_returned_whole(void **state)
{
    (void)state;
    assert_summary("The council approved the budget.", "The council approved the budget.");
}

static void test_short_fragment_without_terminator_is_returned_whole(void **state)
{
    (void)state;
    assert_summary("Breaking: markets rally after rate cut",
                   "Breaking: markets rally after rate cut");
}

static void test_whitespace_runs_collapse_to_one_space(void **state)
{
    (void)state;
    assert_summary("  \n\tRain  fell\non\t\tMonday.\r\n\r\n  Roads   closed. \v\f",
                   "Rain fell on Monday. Roads closed.");
}

static void test_takes_as_many_leading_sentences_as_fit(void **state)
{
    (void)state;
    const char *three = "Polls opened at seven. Turnout was high. Results are due tonight.";
    char *input = concat(three, " Officials said" LONG_TAIL ".");
    assert_summary(input, three);
    free(input);
}

static void test_long_first_sentence_is_cut_at_word_end_with_ellipsis(void **state)
{
    (void)state;
    const char *input = "The committee" LONG_TAIL ".";
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);

    assert_true(ends_with_ellipsis(out, out_len));
    assert_true(count_code_points(out, out_len) <= NP_SUMMARY_MAX_CHARS);
    size_t prefix_len = out_len - 3;
    assert_true(prefix_len > 0);
    assert_memory_equal(out, input, prefix_len); /* the input is already normalized */
    assert_int_equal(input[prefix_len], ' ');    /* the cut is at the end of a word */
    /* It is the last such cut: the next word would not have fit with the ellipsis. */
    const char *next_space = strchr(input + prefix_len + 1, ' ');
    assert_non_null(next_space);
    assert_true(count_code_points(input, (size_t)(next_space - input)) + 1 > NP_SUMMARY_MAX_CHARS);
    free(out);
}

static void test_comma_before_cut_is_dropped(void **state)
{
    (void)state;
    /* 190 letters, ", " then a long word: the only word boundary leaves a dangling comma. */
    char *word = repeat("a", 190);
    char *tail = concat(word, ", ");
    char *input =
        concat(tail, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    char *expected = concat(word, ELLIPSIS);
    assert_summary(input, expected);
    free(expected);
    free(input);
    free(tail);
    free(word);
}

/* prefix, then a word too long to fit: the cut lands right after prefix, which ends in junk. */
static void assert_cut_after(const char *prefix, const char *expected_prefix)
{
    char *input = concat(prefix, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    char *expected = concat(expected_prefix, ELLIPSIS);
    assert_summary(input, expected);
    free(expected);
    free(input);
}

static void test_dashes_semicolons_and_colons_before_cut_are_dropped(void **state)
{
    (void)state;
    static const char *const endings[] = {" x \xE2\x80\x94 ",
                                          " x \xE2\x80\x93 ",
                                          " x - ",
                                          " x; ",
                                          " x: ",
                                          " x, \xE2\x80\x94 ",
                                          " x -- "};
    char *word = repeat("a", 185);
    char *expected = concat(word, " x");
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++) {
        char *prefix = concat(word, endings[i]);
        assert_cut_after(prefix, expected);
        free(prefix);
    }
    free(expected);
    free(word);
}

static void test_overlong_two_byte_word_is_cut_at_199_code_points(void **state)
{
    (void)state;
    char *input = repeat("\xC3\xA9", 300); /* é */
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    assert_true(is_valid_utf8(out, out_len));
    assert_int_equal(count_code_points(out, out_len), NP_SUMMARY_MAX_CHARS);
    assert_int_equal(out_len, 199 * 2 + 3);
    assert_memory_equal(out, input, 199 * 2);
    assert_true(ends_with_ellipsis(out, out_len));
    free(out);
    free(input);
}

static void test_overlong_three_byte_word_is_cut_at_199_code_points(void **state)
{
    (void)state;
    char *word = repeat("\xE6\x97\xA5", 300);     /* 日 */
    char *input = concat(word, " \xE6\x9C\xAC."); /* a second word must not change the cut */
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    assert_true(is_valid_utf8(out, out_len));
    assert_int_equal(count_code_points(out, out_len), NP_SUMMARY_MAX_CHARS);
    assert_int_equal(out_len, 199 * 3 + 3);
    assert_memory_equal(out, input, 199 * 3);
    assert_true(ends_with_ellipsis(out, out_len));
    free(out);
    free(input);
    free(word);
}

static void test_first_word_of_199_code_points_fits_with_ellipsis(void **state)
{
    (void)state;
    char *word = repeat("z", 199);
    char *input = concat(word, " and more words follow here");
    char *expected = concat(word, ELLIPSIS);
    assert_summary(input, expected);
    free(expected);
    free(input);
    free(word);
}

static void test_emoji_sentence_is_never_split_inside_a_sequence(void **state)
{
    (void)state;
    /* Units of two 4-byte emoji and a space: the last space within reach is code point 197. */
    char *input = repeat("\xF0\x9F\x98\x80\xF0\x9F\x8E\x89 ", 100);
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    assert_true(is_valid_utf8(out, out_len));
    assert_true(ends_with_ellipsis(out, out_len));
    assert_int_equal(count_code_points(out, out_len), 197 + 1);
    assert_int_equal(out_len, 66 * 8 + 65 + 3);
    assert_memory_equal(out, input, out_len - 3);
    free(out);
    free(input);
}

static void test_exactly_200_code_points_are_returned_whole(void **state)
{
    (void)state;
    char *ascii = repeat("a", 99);
    char *accents = repeat("\xC3\xA9", 99);
    char *first = concat(ascii, " ");
    char *second = concat(accents, ".");
    char *input = concat(first, second); /* 99 + 1 + 99 + 1 = 200 code points */
    assert_int_equal(count_code_points(input, strlen(input)), 200);
    assert_summary(input, input);
    free(input);
    free(second);
    free(first);
    free(accents);
    free(ascii);
}

static void test_201_code_points_are_cut(void **state)
{
    (void)state;
    char *ascii = repeat("a", 100);
    char *accents = repeat("\xC3\xA9", 99);
    char *first = concat(ascii, " ");
    char *second = concat(accents, ".");
    char *input = concat(first, second); /* 201 code points, one sentence */
    char *expected = concat(ascii, ELLIPSIS);
    assert_summary(input, expected);
    free(expected);
    free(input);
    free(second);
    free(first);
    free(accents);
    free(ascii);
}

static void test_sentence_ending_at_code_point_200_is_kept_whole(void **state)
{
    (void)state;
    char *word = repeat("w", 199);
    char *sentence = concat(word, "."); /* 200 code points */
    char *input = concat(sentence, " \n Then more news arrived.");
    assert_summary(input, sentence);
    free(input);
    free(sentence);
    free(word);
}

static void test_sentence_ending_at_code_point_201_is_cut(void **state)
{
    (void)state;
    char *word = repeat("w", 200);
    char *sentence = concat(word, "."); /* 201 code points */
    char *input = concat(sentence, " Then more news arrived.");
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    assert_int_equal(out_len, 199 + 3);
    assert_memory_equal(out, word, 199);
    assert_true(ends_with_ellipsis(out, out_len));
    free(out);
    free(input);
    free(sentence);
    free(word);
}

static void test_abbreviations_and_initials_do_not_end_sentences(void **state)
{
    (void)state;
    static const char *const candidates[] = {
        "Dr. Smith",
        "Mr. Jones",
        "Mrs. Brown",
        "Ms. Green",
        "Prof. Lee",
        "Sen. Warren",
        "Gov. Newsom",
        "Gen. Milley",
        "Acme Inc. Shares",
        "Acme Corp. Chief",
        "vs. Chelsea",
        "No. 10",
        "St. Louis",
        "Jan. 6",
        "Sept. 11",
        "the U.S. Army",
        "the U.K. Government",
        "e.g. Paris",
        "J. K. Rowling",
        "(Dr. Who",
        "“Mr. Big",
        "It rained. then",
        "approx. five",
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        assert_does_not_end_sentence(candidates[i]);
    }
}

static void test_dr_smith_sentence_ends_at_its_real_period(void **state)
{
    (void)state;
    const char *first = "Dr. Smith met Mr. Jones in the U.S. capital.";
    char *input = concat(first, " Then" LONG_TAIL ".");
    assert_summary(input, first);
    free(input);
}

static void test_abbreviations_are_case_sensitive(void **state)
{
    (void)state;
    /* "no." is a word, not "No." the number abbreviation. */
    assert_ends_sentence("The answer was no.");
}

static void test_decimal_number_does_not_end_sentence(void **state)
{
    (void)state;
    assert_does_not_end_sentence("Shares rose 3.5% to 12.75 Euros");
    assert_ends_sentence("Shares rose 3.5% on Monday.");
}

static void test_terminator_runs_end_sentences(void **state)
{
    (void)state;
    assert_ends_sentence("Really?!");
    assert_ends_sentence("He waited...");
    assert_ends_sentence("Stop!!!");
}

static void test_sentence_ends_after_closing_quote(void **state)
{
    (void)state;
    assert_ends_sentence("He asked \"Why?\"");
    assert_ends_sentence("She said, \xE2\x80\x9CWe won.\xE2\x80\x9D"); /* ” */
    assert_ends_sentence("It was \xC2\xAB"
                         "fini!\xC2\xBB"); /* » */
    assert_ends_sentence("(The vote was close.)");
    assert_ends_sentence("He called it 'absurd.'");
}

static void test_closing_quote_example_keeps_both_sentences(void **state)
{
    (void)state;
    const char *two = "He asked \"Why?\" Nobody answered.";
    char *input = concat(two, " Later" LONG_TAIL ".");
    assert_summary(input, two);
    free(input);
}

static void test_next_sentence_may_start_with_digit_quote_or_non_ascii(void **state)
{
    (void)state;
    const char *starts[] = {"2024 was hot.", "\"Go home,\" he said.", "(Later) it rained.",
                            "\xC3\x80 Paris, rien.", "\xE2\x80\x9CNo,\xE2\x80\x9D he said."};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        char *first = concat("It ended. ", starts[i]);
        char *input = concat(first, LONG_TAIL);
        assert_summary(input, "It ended.");
        free(input);
        free(first);
    }
}

static void test_period_without_following_space_does_not_end_sentence(void **state)
{
    (void)state;
    assert_does_not_end_sentence("Visit example.com.Now");
}

static void test_only_len_bytes_are_read(void **state)
{
    (void)state;
    const char *buffer = "Markets rose. Bonds fell sharply.";
    size_t out_len;
    char *out = np_summarize(buffer, strlen("Markets rose. Bo"), &out_len);
    assert_non_null(out);
    assert_string_equal(out, "Markets rose. Bo");
    assert_int_equal(out_len, 16);
    free(out);
}

static void test_input_need_not_be_nul_terminated(void **state)
{
    (void)state;
    /* Exactly len bytes on the heap, so a read past the end is caught by AddressSanitizer. */
    const char text[] = "Rates held.  Stocks rose\n";
    size_t len = sizeof text - 1;
    char *exact = malloc(len);
    assert_non_null(exact);
    memcpy(exact, text, len);
    size_t out_len;
    char *out = np_summarize(exact, len, &out_len);
    assert_non_null(out);
    assert_string_equal(out, "Rates held. Stocks rose");
    assert_int_equal(out_len, 23);
    free(out);
    free(exact);
}

static void test_news_paragraph_keeps_leading_sentences(void **state)
{
    (void)state;
    assert_summary(
        "  WASHINGTON (AP) \xE2\x80\x94 The U.S. economy added 256,000 jobs in December, "
        "far more than\n  economists had expected. The unemployment rate dipped to "
        "4.1% from 4.2%, the Labor\n  Department said Friday.   \"It's a strong "
        "report,\" said Dr. Jane Miller, chief economist at\n  Acme Corp. in New "
        "York.\n",
        "WASHINGTON (AP) \xE2\x80\x94 The U.S. economy added 256,000 jobs in December, "
        "far more than economists had expected. The unemployment rate dipped to 4.1% "
        "from 4.2%, the Labor Department said Friday.");
}

static void test_news_paragraph_with_long_lead_is_cut(void **state)
{
    (void)state;
    assert_summary("LONDON (Reuters) - Britain's biggest supermarket chains agreed on Tuesday to "
                   "cap the price of\n bread, milk and eggs until the end of March, the government "
                   "said, in a voluntary deal aimed at\n easing a cost-of-living squeeze that has "
                   "pushed food inflation to its highest level in 45 years. Officials declined "
                   "to say how much it would cost.",
                   "LONDON (Reuters) - Britain's biggest supermarket chains agreed on Tuesday to "
                   "cap the price of bread, milk and eggs until the end of March, the government "
                   "said, in a voluntary deal aimed at easing a" ELLIPSIS);
}

/* The text with leading and trailing whitespace dropped and inner runs made one space. */
static char *collapse_whitespace(const char *text)
{
    char *out = malloc(strlen(text) + 1);
    assert_non_null(out);
    size_t n = 0;
    bool pending = false;
    for (const char *c = text; *c != '\0'; c++) {
        if (strchr(" \t\n\v\f\r", *c) != NULL) {
            pending = n > 0;
            continue;
        }
        if (pending) {
            out[n++] = ' ';
            pending = false;
        }
        out[n++] = *c;
    }
    out[n] = '\0';
    return out;
}

static void test_whitespace_collapses_at_every_offset(void **state)
{
    (void)state;
    /* Normalization copies eight bytes at a time where nothing needs changing, and byte by byte
     * around whitespace runs, tabs, newlines and non-ASCII text: every placement of a run must
     * give the same result. The texts stay under the limit, so the summary is the whole text. */
    const char *runs[] = {"  ", "\t", "\n", " \r\n ", "   \t", " \xC3\xA9 ", "\xE2\x80\x94"};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        for (size_t at = 0; at < 24; at++) {
            char text[160];
            const char *words = "Rates held steady on Monday while markets waited";
            snprintf(text, sizeof text, "%.*s%s%s  ", (int)at, words, runs[r], words + at);
            char *expected = collapse_whitespace(text);
            assert_summary(text, expected);
            free(expected);
        }
    }
}

static void test_exactly_200_code_points_with_trailing_whitespace_are_returned_whole(void **state)
{
    (void)state;
    /* The whitespace after the 200th code point is dropped, not kept as a 201st. */
    char *words = repeat("abcd ", 40); /* 200 code points ending in a space */
    words[199] = 'e';
    char *input = concat(words, " \t\n  ");
    assert_summary(input, words);
    free(input);

    /* The same in a text that is not all ASCII. */
    words[198] = (char)0xC3; /* U+00E9 in two bytes: 199 code points now */
    words[199] = (char)0xA9;
    char *wide = concat(words, "x");
    char *wide_input = concat(wide, " \n ");
    assert_summary(wide_input, wide);
    free(wide_input);
    free(wide);
    free(words);
}

static void test_long_text_is_summarized_from_its_first_window(void **state)
{
    (void)state;
    /* 1 MB of text: only its first 202 code points decide the summary. */
    char *tail = repeat(" and the talks went on", 50000);
    char *input = concat("Markets rose. Bonds fell.", tail);
    size_t out_len;
    char *out = np_summarize(input, strlen(input), &out_len);
    assert_non_null(out);
    assert_string_equal(out, "Markets rose.");
    free(out);
    free(input);
    free(tail);
}

static void test_summary_bound_is_close_for_long_ascii_text(void **state)
{
    (void)state;
    /* The room reserved per article before its work: about the limit, not the text's length. */
    char *tail = repeat(" and the talks went on", 50000);
    char *input = concat("Markets rose. Bonds fell.", tail);
    size_t bound = np_summarize_bound(input, strlen(input));
    assert_true(bound >= NP_SUMMARY_MAX_CHARS);
    assert_true(bound <= NP_SUMMARY_MAX_CHARS + 4);
    assert_int_equal(np_summarize_bound("", 0), 4);
    assert_int_equal(np_summarize_bound(NULL, 0), 4);
    free(input);
    free(tail);
}

/*
 * np_summarize_bound as its proof reads (summarize.c), one byte at a time: the function counts
 * most text eight bytes at a time, and must give exactly this.
 */
static size_t reference_bound(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t starts = 0, bytes = 0, runs = 0;
    int in_space = 1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
            runs += !in_space;
            in_space = 1;
            continue;
        }
        in_space = 0;
        if ((s[i] & 0xC0) != 0x80 && ++starts > NP_SUMMARY_MAX_CHARS)
            return bytes + 3 + 1;
        bytes++;
    }
    return bytes + runs + 3 + 1;
}

/*
 * Pins the summaries of many generated texts to the bit: each text is summarized from an
 * exactly-sized heap copy (so AddressSanitizer sees any read past len), checked for what holds of
 * every summary (valid UTF-8 of a valid text, within the limit), and folded into *digest
 * (FNV-1a, 64 bits, over each summary's length and bytes); its bound is checked against one
 * counted byte by byte. The tests below compare the digest of a whole series with the value the
 * summarizer gave when it also had an SSE2 path, which agreed with the portable one to the byte
 * on every such text; so a change to any summary shows.
 */
static void digest_summary(const char *text, size_t len, uint64_t *digest)
{
    char *copy = malloc(len + (len == 0));
    assert_non_null(copy);
    memcpy(copy, text, len);
    size_t out_len = 0;
    char *out = np_summarize(copy, len, &out_len);
    assert_non_null(out);
    assert_int_equal(strlen(out), out_len);
    assert_true(count_code_points(out, out_len) <= NP_SUMMARY_MAX_CHARS);
    if (is_valid_utf8(text, len) && !is_valid_utf8(out, out_len)) {
        fail_msg("invalid UTF-8 in the summary of \"%.*s\": \"%s\"", (int)len, text, out);
    }
    /* The room reserved before the work is enough, and summarizing into it gives the same. */
    size_t bound = np_summarize_bound(copy, len);
    if (bound < out_len + 1)
        fail_msg("bound %zu < %zu + 1 for \"%.*s\"", bound, out_len, (int)len, text);
    if (bound != reference_bound(copy, len))
        fail_msg("bound %zu, counted byte by byte %zu, for \"%.*s\"", bound,
                 reference_bound(copy, len), (int)len, text);
    char *into = malloc(bound);
    assert_non_null(into);
    assert_int_equal(np_summarize_into(copy, len, into), out_len);
    assert_string_equal(into, out);
    free(into);
    unsigned char len_bytes[8];
    for (size_t k = 0; k < 8; k++) {
        len_bytes[k] = (unsigned char)(out_len >> (8 * k));
    }
    const unsigned char *parts[2] = {len_bytes, (const unsigned char *)out};
    size_t part_len[2] = {sizeof len_bytes, out_len};
    for (size_t p = 0; p < 2; p++) {
        for (size_t k = 0; k < part_len[p]; k++) {
            *digest = (*digest ^ parts[p][k]) * 0x100000001B3u;
        }
    }
    free(out);
    free(copy);
}

#define FNV_OFFSET_BASIS 0xCBF29CE484222325u
/* The digests of the two series below, as both former paths of the summarizer gave them. */
#define PIECES_DIGEST 0x4DFF320CC98A3CF3u
#define RANDOM_DIGEST 0x78EE833BA8EAB545u

static void assert_digest(uint64_t digest, uint64_t expected)
{
    if (digest != expected) {
        fail_msg("summaries changed: digest 0x%016llX, expected 0x%016llX",
                 (unsigned long long)digest, (unsigned long long)expected);
    }
}

static void test_pieces_at_every_offset_give_pinned_summaries(void **state)
{
    (void)state;
    /* Each piece at every offset up to past the window, so that it falls at every place in and
     * around an 8-byte step of the normalizer and of the sentence-end search. */
    static const char *const pieces[] = {
        "  ",
        "\t",
        " \r\n ",
        ". Next",
        "! Next",
        "? \"Next",
        ". next",
        "Mr. Smith",
        "U.S. Army",
        " \xC3\xA9 ",
        "\xE2\x80\x94",
        ".",
        "",
        "\xF0\x9F\x98\x80. Next",
    };
    char text[600] = {0};
    uint64_t digest = FNV_OFFSET_BASIS;
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        for (size_t at = 0; at < 240; at++) {
            memset(text, 'a', at);
            for (size_t i = 5; i < at; i += 6) {
                text[i] = ' ';
            }
            int n = snprintf(text + at, sizeof text - at, "%s%s", pieces[k], LONG_TAIL);
            assert_true(n > 0);
            size_t len = at + (size_t)n;
            for (size_t cut = 0; cut <= 24; cut++) { /* the text also ends at every place */
                digest_summary(text, at + strlen(pieces[k]) + cut, &digest);
            }
            digest_summary(text, len, &digest);
        }
    }
    assert_digest(digest, PIECES_DIGEST);
}

static void test_random_texts_give_pinned_summaries(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        " ",
        "  ",
        "\t",
        "\n",
        " \r\n",
        "word",
        "Words",
        "A",
        "sentence",
        ". ",
        "! ",
        "? ",
        "...",
        ".",
        "!?",
        "\"",
        "'",
        ")",
        "(",
        "]",
        "Mr.",
        "Dr. ",
        "No.",
        "no. ",
        "U.S.",
        "e.g.",
        "3.5",
        "J. ",
        "etc.",
        ", ",
        "; ",
        ": ",
        "-",
        " - ",
        "\xC3\xA9",
        "\xE2\x80\x94",
        "\xE2\x80\x9C",
        "\xE2\x80\x9D",
        "\xC2\xBB",
        "\xC2\xAB",
        "\xE2\x80\x99",
        "\xF0\x9F\x98\x80",
        "\xE2\x80\xA6",
        "The",
        "Markets",
        "rose",
        "sharply",
    };
    uint64_t x = 0x2545F4914F6CDD1Du;
    char text[700];
    uint64_t digest = FNV_OFFSET_BASIS;
    for (int round = 0; round < 20000; round++) {
        size_t len =
            random_text(text, sizeof text, 600, pieces, sizeof pieces / sizeof pieces[0], &x);
        digest_summary(text, len, &digest);
    }
    assert_digest(digest, RANDOM_DIGEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_text_gives_empty_string),
        cmocka_unit_test(test_whitespace_only_text_gives_empty_string),
        cmocka_unit_test(test_short_single_sentence_is_returned_whole),
        cmocka_unit_test(test_short_fragment_without_terminator_is_returned_whole),
        cmocka_unit_test(test_whitespace_runs_collapse_to_one_space),
        cmocka_unit_test(test_takes_as_many_leading_sentences_as_fit),
        cmocka_unit_test(test_long_first_sentence_is_cut_at_word_end_with_ellipsis),
        cmocka_unit_test(test_comma_before_cut_is_dropped),
        cmocka_unit_test(test_dashes_semicolons_and_colons_before_cut_are_dropped),
        cmocka_unit_test(test_overlong_two_byte_word_is_cut_at_199_code_points),
        cmocka_unit_test(test_overlong_three_byte_word_is_cut_at_199_code_points),
        cmocka_unit_test(test_first_word_of_199_code_points_fits_with_ellipsis),
        cmocka_unit_test(test_emoji_sentence_is_never_split_inside_a_sequence),
        cmocka_unit_test(test_exactly_200_code_points_are_returned_whole),
        cmocka_unit_test(test_201_code_points_are_cut),
        cmocka_unit_test(test_sentence_ending_at_code_point_200_is_kept_whole),
        cmocka_unit_test(test_sentence_ending_at_code_point_201_is_cut),
        cmocka_unit_test(test_abbreviations_and_initials_do_not_end_sentences),
        cmocka_unit_test(test_dr_smith_sentence_ends_at_its_real_period),
        cmocka_unit_test(test_abbreviations_are_case_sensitive),
        cmocka_unit_test(test_decimal_number_does_not_end_sentence),
        cmocka_unit_test(test_terminator_runs_end_sentences),
        cmocka_unit_test(test_sentence_ends_after_closing_quote),
        cmocka_unit_test(test_closing_quote_example_keeps_both_sentences),
        cmocka_unit_test(test_next_sentence_may_start_with_digit_quote_or_non_ascii),
        cmocka_unit_test(test_period_without_following_space_does_not_end_sentence),
        cmocka_unit_test(test_only_len_bytes_are_read),
        cmocka_unit_test(test_input_need_not_be_nul_terminated),
        cmocka_unit_test(test_news_paragraph_keeps_leading_sentences),
        cmocka_unit_test(test_news_paragraph_with_long_lead_is_cut),
        cmocka_unit_test(test_whitespace_collapses_at_every_offset),
        cmocka_unit_test(test_exactly_200_code_points_with_trailing_whitespace_are_returned_whole),
        cmocka_unit_test(test_long_text_is_summarized_from_its_first_window),
        cmocka_unit_test(test_pieces_at_every_offset_give_pinned_summaries),
        cmocka_unit_test(test_random_texts_give_pinned_summaries),
        cmocka_unit_test(test_summary_bound_is_close_for_long_ascii_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

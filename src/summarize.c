/*
 * Extractive summarization: the leading whole sentences of a text that fit in
 * NP_SUMMARY_MAX_CHARS code points, or a cut of the first sentence with "…" when none fits.
 *
 * Design, in three steps over a bounded window:
 *   1. Normalize. One pass over the input collapses every run of ASCII whitespace into one space
 *      and drops leading/trailing whitespace, decoding UTF-8 into a window of at most
 *      NP_SUMMARY_MAX_CHARS + 2 code points (their bytes, offsets and values). A summary never
 *      extends past code point NP_SUMMARY_MAX_CHARS, and deciding whether a sentence ends there
 *      needs two more code points of lookahead (the space and the character after it), so
 *      nothing beyond the window is ever copied: the work is O(position where the window fills),
 *      which is at most O(len), and the memory is a fixed few kilobytes on the stack.
 *   2. Find sentence ends. A run of . ! ? followed by closing quotes/brackets ends a sentence when
 *      a space and a character that can start a sentence follow (uppercase, digit, opening
 *      quote/bracket, any non-ASCII character), or the text ends there. A lone '.' does not end
 *      one after an abbreviation, an initial, or a word with an inner '.' ("U.S."). The last end
 *      within the limit wins; a text that fits whole ends at its last character.
 *   3. Cut. With no sentence end in reach, the first sentence is cut at the last space that
 *      leaves room for the ellipsis, dangling , ; : and dashes are dropped, and "…" appended;
 *      a first word too long for that is cut at a code point boundary.
 * The result is the single allocation. Working in whole code points of the window means a UTF-8
 * sequence is never split.
 *
 * Cost: the window is filled for every article, so its common case is made cheap. While the text
 * is ASCII the window keeps only the bytes (a code point is its byte, its offset its index) and
 * code points and offsets are written out only once a non-ASCII character arrives; runs of 8
 * bytes that need no change (words and single spaces) are copied whole; sentence ends are
 * searched 8 bytes at a time; and the abbreviation table is only searched for a word short enough
 * to be in it. No step looks at the text past the window, except to skip the whitespace right
 * after it. All of it is portable C: word-wide operations on 8-byte chunks, in any byte order.
 *
 * Thread safety: no global mutable state (the abbreviation table is const), everything lives in
 * the caller's stack frame, so any number of threads may call np_summarize at once.
 */
#include "np/summarize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A sentence end at code point MAX needs the space at MAX and the sentence start at MAX + 1. */
enum { WINDOW_CHARS = NP_SUMMARY_MAX_CHARS + 2, MAX_SEQ_BYTES = 4 };

static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026, one code point */
enum { ELLIPSIS_BYTES = sizeof ellipsis - 1 };

/*
 * Words whose trailing '.' is not a sentence end. Case-sensitive: "No." is the abbreviation of
 * "number", "no." at the end of a sentence is not. Dotted forms (U.S., e.g., i.e.) need no entry:
 * any word with an inner '.' is already treated as an abbreviation. None is longer than 4
 * letters (the array bound leaves room for the NUL), so a longer word need not be searched for.
 */
static const char abbreviations[][5] = {
    "Mr",   "Mrs", "Ms",  "Mx",   "Dr",   "Prof", "Sr",  "Jr",   "St",  "Mt",  "Rev", "vs",
    "etc",  "Inc", "Ltd", "Co",   "Corp", "Gov",  "Sen", "Rep",  "Gen", "Lt",  "Col", "Sgt",
    "Capt", "No",  "Ave", "Blvd", "Jan",  "Feb",  "Aug", "Sept", "Oct", "Nov", "Dec",
};

/*
 * The normalized prefix of the text, count code points: code point i is cp_at(w, i) and starts at
 * bytes[off_at(w, i)]; off_at(w, count) is the end.
 *
 * Most text is ASCII, where a code point is its byte and its offset its index. While that holds
 * (ascii), only bytes[] is written; cp[] and off[] are filled in only when the first non-ASCII
 * character arrives. Offsets are 16-bit: the window holds at most WINDOW_CHARS * MAX_SEQ_BYTES
 * bytes.
 */
struct window {
    char bytes[WINDOW_CHARS * MAX_SEQ_BYTES];
    uint32_t cp[WINDOW_CHARS];      /* only when !ascii */
    uint16_t off[WINDOW_CHARS + 1]; /* only when !ascii */
    size_t count;
    bool ascii;
};

static uint32_t cp_at(const struct window *w, size_t i)
{
    return w->ascii ? (unsigned char)w->bytes[i] : w->cp[i];
}

static size_t off_at(const struct window *w, size_t i)
{
    return w->ascii ? i : w->off[i];
}

static bool is_ascii_space(unsigned char c)
{
    /* '\t', '\n', '\v', '\f' and '\r' are the consecutive codes 9 to 13. */
    return c == ' ' || (unsigned)c - '\t' <= (unsigned)('\r' - '\t');
}

/* A byte value times BYTES_01 is that byte in each of the 8 bytes of a uint64_t. */
#define BYTES_01 0x0101010101010101u
#define BYTES_7F (0x7F * BYTES_01)
#define BYTES_80 (0x80 * BYTES_01)

/* 8 bytes at p as one number, in host byte order: only which bytes match matters, not where. */
static uint64_t load_chunk(const void *p)
{
    uint64_t chunk;
    memcpy(&chunk, p, sizeof chunk);
    return chunk;
}

/*
 * Bit 7 of each byte of the result is set exactly where that byte of chunk is zero. No byte can
 * carry into the next: (byte & 0x7F) + 0x7F is at most 0xFE.
 */
static uint64_t zero_bytes(uint64_t chunk)
{
    return ~(((chunk & BYTES_7F) + BYTES_7F) | chunk | BYTES_7F);
}

/*
 * Whether the 8 bytes need nothing from normalization but a copy: all are printable ASCII or
 * spaces (nothing below ' ', nothing non-ASCII), and no two spaces are neighbours (a shift by
 * one byte pairs each byte with a neighbour, whichever the byte order).
 */
static bool chunk_is_plain(uint64_t chunk)
{
    uint64_t spaces = zero_bytes(chunk ^ (' ' * BYTES_01));
    return ((chunk & BYTES_80) | zero_bytes(chunk & (0xE0 * BYTES_01)) |
            (spaces & (spaces << 8))) == 0;
}

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/*
 * Decodes the sequence at s[0..avail), avail >= 1, into *cp and returns its length in bytes.
 * The input is promised to be valid UTF-8; should it not be, a malformed sequence is taken as
 * short as it really is (at least one byte, at most four), so a window slot never overflows and
 * nothing past avail is read.
 */
static size_t decode_utf8(const unsigned char *s, size_t avail, uint32_t *cp)
{
    size_t want;
    uint32_t value;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        want = 2;
        value = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        want = 3;
        value = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        want = 4;
        value = s[0] & 0x07;
    } else {
        *cp = 0xFFFD; /* stray continuation or invalid lead byte */
        return 1;
    }
    size_t n = 1;
    while (n < want && n < avail && is_continuation(s[n])) {
        value = (value << 6) | (s[n] & 0x3F);
        n++;
    }
    *cp = n == want ? value : 0xFFFD;
    return n;
}

/* Leaves the ASCII representation: writes cp[] and off[] for the code points so far. */
static void window_widen(struct window *w)
{
    for (size_t i = 0; i < w->count; i++) {
        w->cp[i] = (unsigned char)w->bytes[i];
        w->off[i] = (uint16_t)i;
    }
    w->off[w->count] = (uint16_t)w->count;
    w->ascii = false;
}

/* Appends one code point cp, encoded as seq[0..n); the window is wide and has room for it. */
static void window_push(struct window *w, uint32_t cp, const unsigned char *seq, size_t n)
{
    size_t at = w->off[w->count];
    memcpy(w->bytes + at, seq, n);
    w->cp[w->count] = cp;
    w->count++;
    w->off[w->count] = (uint16_t)(at + n);
}

/* Whether text[i..len) is whitespace only (or empty). */
static bool only_space_left(const unsigned char *text, size_t i, size_t len)
{
    while (i < len && is_ascii_space(text[i])) {
        i++;
    }
    return i == len;
}

/*
 * Step 1: collapse whitespace into w until the text ends or the window is full. Stopping as soon
 * as the window is full is what bounds the cost: nothing after it can be in the summary.
 *
 * Leading whitespace is skipped; after that a run of whitespace is written as one space at once,
 * and a space left at the very end is taken back if nothing but whitespace follows it in the text.
 * The ASCII loop copies 8 bytes at a time where they need no change (the usual case: words and
 * single spaces), keeps its state in locals (a store through char * could alias the window's
 * other members and force reloads), and is left for good at the first non-ASCII byte; the
 * general loop, which decodes, goes on from there.
 */
static void normalize(struct window *w, const unsigned char *text, size_t len)
{
    static const unsigned char space = ' ';
    w->count = 0;
    w->ascii = true;
    char *bytes = w->bytes;
    bool after_space = false; /* the last character written is a space */
    size_t count = 0;
    size_t i = 0;
    while (i < len && is_ascii_space(text[i])) {
        i++;
    }
    while (i < len && count < WINDOW_CHARS) {
        if (len - i >= 8 && WINDOW_CHARS - count >= 8 && !(after_space && text[i] == ' ') &&
            chunk_is_plain(load_chunk(text + i))) {
            memcpy(bytes + count, text + i, 8);
            count += 8;
            i += 8;
            after_space = text[i - 1] == ' ';
            continue;
        }
        unsigned char c = text[i];
        if (c >= 0x80) {
            break;
        }
        if (is_ascii_space(c)) {
            if (!after_space) {
                bytes[count++] = ' ';
                after_space = true;
            }
        } else {
            bytes[count++] = (char)c;
            after_space = false;
        }
        i++;
    }
    w->count = count;

    if (i < len && count < WINDOW_CHARS) { /* stopped at a non-ASCII byte */
        window_widen(w);
        while (i < len && w->count < WINDOW_CHARS) {
            if (is_ascii_space(text[i])) {
                if (!after_space) {
                    window_push(w, ' ', &space, 1);
                    after_space = true;
                }
                i++;
                continue;
            }
            uint32_t cp;
            size_t n = decode_utf8(text + i, len - i, &cp);
            window_push(w, cp, text + i, n);
            after_space = false;
            i += n;
        }
    }
    if (after_space && only_space_left(text, i, len)) {
        w->count--; /* trailing whitespace: off_at(w, count) is still the end of the text */
    }
}

static bool is_terminator(uint32_t cp)
{
    return cp == '.' || cp == '!' || cp == '?';
}

/* Closing quotes/brackets that belong to the sentence they follow: ?" ." ) ] ” ’ » */
static bool is_closer(uint32_t cp)
{
    return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x201D || cp == 0x2019 ||
           cp == 0x00BB;
}

/* Opening quotes/brackets that may precede a word: " ' ( [ “ ‘ « */
static bool is_opener(uint32_t cp)
{
    return cp == '"' || cp == '\'' || cp == '(' || cp == '[' || cp == 0x201C || cp == 0x2018 ||
           cp == 0x00AB;
}

/*
 * A lowercase letter after ". " means the '.' was not a sentence end (an unknown abbreviation,
 * "approx. five"); anything non-ASCII is allowed because we cannot tell case cheaply and
 * non-Latin scripts have none.
 */
static bool can_start_sentence(uint32_t cp)
{
    return (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || is_opener(cp) || cp >= 0x80;
}

/* Whether the n code points from start are the ASCII string s. */
static bool word_equals(const struct window *w, size_t start, size_t n, const char *s)
{
    size_t i = 0;
    for (; i < n && s[i] != '\0'; i++) {
        if (cp_at(w, start + i) != (unsigned char)s[i]) {
            return false;
        }
    }
    return i == n && s[i] == '\0';
}

/* True when the word just before the '.' at dot makes that '.' part of the word, not an end. */
static bool is_abbreviation_before(const struct window *w, size_t dot)
{
    size_t start = dot;
    while (start > 0 && cp_at(w, start - 1) != ' ') {
        start--;
    }
    /* "(Dr. Smith)" or "“Mr. Jones" are still abbreviations. */
    while (start < dot && is_opener(cp_at(w, start))) {
        start++;
    }
    size_t n = dot - start;
    if (n == 1 && cp_at(w, start) >= 'A' && cp_at(w, start) <= 'Z') {
        return true; /* an initial: "J. K. Rowling" */
    }
    for (size_t i = start; i < dot; i++) {
        if (cp_at(w, i) == '.') {
            return true; /* "U.S.", "e.g.", "Ph.D." */
        }
    }
    if (n >= sizeof abbreviations[0]) {
        return false; /* longer than any abbreviation: most words that end a sentence */
    }
    for (size_t i = 0; i < sizeof abbreviations / sizeof abbreviations[0]; i++) {
        if (word_equals(w, start, n, abbreviations[i])) {
            return true;
        }
    }
    return false;
}

/*
 * The first code point in [i, end) that is '.', '!' or '?', or end. This scan covers the whole
 * window for every text, so an ASCII window gets a loop of its own over the bytes.
 */
static size_t next_terminator(const struct window *w, size_t i, size_t end)
{
    if (w->ascii) {
        const char *bytes = w->bytes;
        for (; i + 8 <= end; i += 8) {
            uint64_t chunk = load_chunk(bytes + i);
            if ((zero_bytes(chunk ^ ('.' * BYTES_01)) | zero_bytes(chunk ^ ('!' * BYTES_01)) |
                 zero_bytes(chunk ^ ('?' * BYTES_01))) != 0) {
                break; /* the byte loop below finds it within these 8 bytes */
            }
        }
        while (i < end && bytes[i] != '.' && bytes[i] != '!' && bytes[i] != '?') {
            i++;
        }
        return i;
    }
    while (i < end && !is_terminator(w->cp[i])) {
        i++;
    }
    return i;
}

/*
 * Step 2: the number of code points in the longest run of whole leading sentences that fits in
 * NP_SUMMARY_MAX_CHARS, or 0 when not even the first sentence fits.
 */
static size_t whole_sentences_end(const struct window *w)
{
    if (w->count <= NP_SUMMARY_MAX_CHARS) {
        /* The window was not filled, so this is the whole text and it ends a sentence. */
        return w->count;
    }
    size_t best = 0;
    size_t i = 0;
    while (i < NP_SUMMARY_MAX_CHARS) {
        i = next_terminator(w, i, NP_SUMMARY_MAX_CHARS);
        if (i == NP_SUMMARY_MAX_CHARS) {
            break;
        }
        size_t run_end = i;
        while (run_end < w->count && is_terminator(cp_at(w, run_end))) {
            run_end++;
        }
        size_t end = run_end;
        while (end < w->count && is_closer(cp_at(w, end))) {
            end++;
        }
        /* The window holds two code points past the limit, so end + 1 exists when end fits. */
        bool fits = end <= NP_SUMMARY_MAX_CHARS && end + 1 < w->count;
        bool lone_dot = run_end == i + 1 && cp_at(w, i) == '.';
        if (fits && cp_at(w, end) == ' ' && can_start_sentence(cp_at(w, end + 1)) &&
            !(lone_dot && is_abbreviation_before(w, i))) {
            best = end;
        }
        i = end;
    }
    return best;
}

/* Punctuation that would dangle before the ellipsis: "rose sharply, …" reads as a glitch. */
static bool is_dangling(uint32_t cp)
{
    return cp == ' ' || cp == ',' || cp == ';' || cp == ':' || cp == '-' || cp == 0x2013 ||
           cp == 0x2014;
}

/*
 * Step 3: the number of code points of the first sentence to keep before "…". Only called when
 * the text is longer than the limit, so code point NP_SUMMARY_MAX_CHARS - 1 exists.
 */
static size_t cut_first_sentence(const struct window *w)
{
    const size_t room = NP_SUMMARY_MAX_CHARS - 1; /* one code point is left for the ellipsis */
    size_t end = room;
    while (end > 0 && cp_at(w, end) != ' ') {
        end--;
    }
    while (end > 0 && is_dangling(cp_at(w, end - 1))) {
        end--;
    }
    /* No usable word boundary: the first word alone is too long (or is only punctuation). */
    return end > 0 ? end : room;
}

/*
 * The summary of the text normalized into w: returns the byte length n of what to keep of
 * w->bytes, and whether "…" follows it.
 */
static size_t summary_extent(const struct window *w, bool *cut)
{
    size_t keep = whole_sentences_end(w);
    /* keep is 0 for a text past the limit only (one within it is whole), as cut_first_sentence
     * needs it to be. */
    *cut = keep == 0 && w->count > NP_SUMMARY_MAX_CHARS;
    if (*cut) {
        keep = cut_first_sentence(w);
    }
    return off_at(w, keep);
}

/* Writes the summary (n bytes of the window, then "…" if cut, then a NUL); returns its length. */
static size_t write_summary(const struct window *w, size_t n, bool cut, char *out)
{
    memcpy(out, w->bytes, n);
    if (cut) {
        memcpy(out + n, ellipsis, ELLIPSIS_BYTES);
        n += ELLIPSIS_BYTES;
    }
    out[n] = '\0';
    return n;
}

char *np_summarize(const char *text, size_t len, size_t *out_len)
{
    struct window w;
    normalize(&w, (const unsigned char *)text, text != NULL ? len : 0);
    bool cut;
    size_t n = summary_extent(&w, &cut);
    char *summary = malloc(n + (cut ? ELLIPSIS_BYTES : 0) + 1);
    if (summary == NULL) {
        return NULL;
    }
    n = write_summary(&w, n, cut, summary);
    if (out_len != NULL) {
        *out_len = n;
    }
    return summary;
}

size_t np_summarize_into(const char *text, size_t len, char *out)
{
    struct window w;
    normalize(&w, (const unsigned char *)text, text != NULL ? len : 0);
    bool cut;
    size_t n = summary_extent(&w, &cut);
    return write_summary(&w, n, cut, out);
}

/*
 * Why the bound holds. The summary is at most NP_SUMMARY_MAX_CHARS (K) code points of the
 * normalized text, or at most K - 1 of them and "…" (3 bytes, so at most 2 more). Normalizing
 * copies every code point that is not whitespace byte for byte and writes each run of whitespace
 * as one space (1 byte). Every byte that is not whitespace and not a UTF-8 continuation byte
 * starts a code point; call those starts. If the text has more than K starts, let b be the bytes
 * that are not whitespace before the (K + 1)-th: the first K normalized code points are M copied
 * ones, all before the (M + 1)-th start, and at most K - M spaces, and each of starts M + 1 .. K
 * adds at least a byte to b, so they take at most b bytes. Otherwise the whole normalized text
 * is at most b plus one space per run of whitespace that follows a character.
 */
size_t np_summarize_bound(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t starts = 0, bytes = 0, runs = 0;
    bool in_space = true; /* leading whitespace is dropped, so it is not a run */
    for (size_t i = 0; text != NULL && i < len;) {
        /* The dispatcher runs this for every article before any worker can start on it, so the
         * usual 8 bytes (chunk_is_plain: no space next to a space, nothing to decode) are counted
         * at once: each byte but a space starts a code point, and each space is a run of its own,
         * except a first one that goes on from the chunk before. */
        uint64_t chunk;
        if (len - i >= 8 && chunk_is_plain(chunk = load_chunk(s + i))) {
            /* Bit 7 of each space byte, times BYTES_01: their count lands in the top byte. */
            size_t spaces =
                (size_t)(((zero_bytes(chunk ^ (' ' * BYTES_01)) >> 7) * BYTES_01) >> 56);
            if (starts + (8 - spaces) <= NP_SUMMARY_MAX_CHARS) {
                starts += 8 - spaces;
                bytes += 8 - spaces;
                runs += spaces - (in_space && s[i] == ' ');
                in_space = s[i + 7] == ' ';
                i += 8;
                continue;
            }
        }
        if (is_ascii_space(s[i])) {
            runs += !in_space;
            in_space = true;
            i++;
            continue;
        }
        in_space = false;
        if (!is_continuation(s[i]) && ++starts > NP_SUMMARY_MAX_CHARS) {
            return bytes + ELLIPSIS_BYTES + 1;
        }
        bytes++;
        i++;
    }
    return bytes + runs + ELLIPSIS_BYTES + 1;
}

/*
 * Extractive summarization: the leading sentence(s) of a text, at most NP_SUMMARY_MAX_CHARS
 * Unicode code points.
 *
 * Pure and thread-safe: no shared state, so any number of article threads may call it at once.
 */
#ifndef NP_SUMMARIZE_H
#define NP_SUMMARIZE_H

#include <stddef.h>

/* The longest summary, in code points, the ellipsis included. */
#define NP_SUMMARY_MAX_CHARS 200

/* The largest np_summarize_bound of any text: up to 4 bytes for each of NP_SUMMARY_MAX_CHARS code
 * points, a space after each, the ellipsis (3 bytes) and the NUL. A buffer this size holds the
 * summary of anything. */
#define NP_SUMMARY_MAX_BYTES (5 * NP_SUMMARY_MAX_CHARS + 3 + 1)

/*
 * Summarizes text[0..len), which is valid UTF-8 without NUL bytes.
 *
 * Runs of whitespace (spaces, tabs, newlines) become one space, leading and trailing whitespace is
 * dropped. The summary is the longest run of whole leading sentences that fits in
 * NP_SUMMARY_MAX_CHARS code points. When even the first sentence does not fit, it is cut at the
 * last word boundary that leaves room for "…" (U+2026), which is appended; a first word longer
 * than the limit is cut at a code point boundary. A UTF-8 sequence is never split.
 * Empty (or whitespace-only) text gives an empty summary.
 *
 * Returns a malloc'd NUL-terminated string (the caller frees it) and its length in bytes in
 * *out_len, or NULL when memory runs out.
 */
char *np_summarize(const char *text, size_t len, size_t *out_len);

/*
 * The room, in bytes, that the summary of text[0..len) can need, its terminating NUL included:
 * at least np_summarize's out_len + 1, and close to it (about NP_SUMMARY_MAX_CHARS bytes for a
 * long ASCII text). Reads at most the first NP_SUMMARY_MAX_CHARS + 1 non-space code points, so
 * it costs a fraction of summarizing; it lets a caller allocate the summary's memory before it
 * starts the work (see np_process_reserve).
 */
size_t np_summarize_bound(const char *text, size_t len);

/*
 * np_summarize into out, which has room for np_summarize_bound(text, len) bytes: writes the
 * NUL-terminated summary there and returns its length in bytes. Never allocates.
 */
size_t np_summarize_into(const char *text, size_t len, char *out);

#endif

/*
 * A text file read whole, and positions in it: what compare, merge and --latency-from's loader
 * share to read their files and to say where a syntax error is (FILE:LINE:COL).
 *
 * Pure functions over the caller's stream and memory; no global state.
 */
#ifndef NP_FILE_TEXT_H
#define NP_FILE_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads f to its end into a malloc'd buffer, NUL-terminated after *len bytes (the caller frees
 * it). Returns NULL with errno set when memory ran out (ENOMEM) or the read failed (its error,
 * e.g. EISDIR; EIO when the stream gave none). f stays open.
 */
char *np_file_text_read(FILE *f, size_t *len);

/* LINE and COL (both from 1) of byte offset in text; COL counts characters (UTF-8 continuation
 * bytes do not count), so it is what an editor shows. */
void np_file_text_position(const char *text, size_t offset, size_t *line, size_t *column);

#endif

/*
 * Where articles come from: an article list already in memory (JSON input), or an NDJSON stream
 * read one line at a time (so memory stays bounded whatever the input size).
 *
 * A source is used by one thread at a time (the dispatcher).
 */
#ifndef NP_SOURCE_H
#define NP_SOURCE_H

#include <stddef.h>
#include <stdio.h>

#include "np/article.h"
#include "np/input.h"

/* Large enough for any message a source produces. */
#define NP_SOURCE_ERROR_SIZE 640

/* One article to process: where it stands in the input, and who owns its memory. */
typedef struct np_work {
    const np_article *article;
    size_t index; /* position in the input, from 0 */
    void *owned;  /* non-NULL when the receiver must free() it after use (streamed articles) */
} np_work;

typedef struct np_source np_source;

/* A source over list's articles, in order (the list must outlive the source). NULL: no memory. */
np_source *np_source_from_list(const np_article_list *list);

/*
 * A source reading NDJSON from an opened input: one article object per line; blank lines are
 * skipped. Takes over the input (*input is left closed) on success; NULL: no memory, and the
 * input is still the caller's. When the input's cancellation fires, the source ends there.
 */
np_source *np_source_from_input(np_input *input);

/*
 * The next article: returns 1 and fills *work, 0 at the end of the input (or when cancelled), or
 * -1 when a line is malformed or cannot be read (err gets "NAME:LINE:...: message"; nothing more
 * is read after that). A failed read is never taken for the end of the input.
 */
int np_source_next(np_source *source, np_work *work, char *err, size_t err_size);

/* How many articles the source produces in all when that is known in advance (a list), else 0. */
size_t np_source_total(const np_source *source);

/* The list an in-memory source reads (np_source_from_list), or NULL for a stream. */
const np_article_list *np_source_list(const np_source *source);

/* After np_source_next returned -1: the errno of the read that failed (ENOMEM also when memory
 * ran out parsing a line), or 0 for a malformed line (the input is wrong, not the system). */
int np_source_read_errno(const np_source *source);

/* Closes the source and frees it. NULL is allowed. */
void np_source_close(np_source *source);

#endif

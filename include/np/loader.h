/*
 * Loading articles from JSON: read a file (or stdin), parse it strictly, validate the schema.
 *
 * Called once, on the main thread, before any worker starts: cJSON keeps its error position
 * in a process-wide global, so parsing must not run concurrently with anything else using cJSON.
 */
#ifndef NP_LOADER_H
#define NP_LOADER_H

#include <stddef.h>

#include "np/article.h"

/* Large enough for any message the loader produces (ids in messages are shortened). */
#define NP_LOADER_ERROR_SIZE 512

/*
 * Parses a whole JSON document held in buf[0..len) into articles. name is used only in messages.
 * The document is an array of article objects, or an object whose "articles" member is one.
 *
 * On success returns 0 and fills *out (the caller frees it with np_article_list_free).
 * On failure returns -1, leaves *out empty, and writes into err one line without the program
 * name and without a newline, in one of these forms:
 *   NAME:LINE:COL: message                       (syntax: LINE and COL count from 1, COL in
 *                                                 characters, so a multi-byte one counts once)
 *   NAME: article #K (id ID): message             (schema, K counts from 1)
 *   NAME: message                                 (anything else: empty input, out of memory)
 * buf[len] must be '\0' (cJSON needs the terminator to reject trailing data); buf is not
 * modified and may be freed once this returns.
 */
int np_loader_parse(const char *buf, size_t len, const char *name, np_article_list *out, char *err,
                    size_t err_size);

/*
 * Reads the file at path ("-" means stdin) and parses it as np_loader_parse does.
 * Messages name the file as given ("-" is shown as "<stdin>").
 */
int np_loader_load_file(const char *path, np_article_list *out, char *err, size_t err_size);

/* Whether a message from this module reports that memory ran out (an environment failure, not
 * bad input). */
int np_loader_error_is_out_of_memory(const char *err);

/*
 * Parses one article object held in buf[0..len) (buf[len] == '\0'): one line of NDJSON input,
 * line `line` of the file, the article_number-th article (from 1). The same strict rules and
 * schema as np_loader_parse apply, except that duplicate ids cannot be detected here.
 * On success returns 0 and *out points to one malloc'd block holding the article and copies of
 * its strings (free it with free()). On failure returns -1 and writes into err:
 *   NAME:LINE:COL: message                  (syntax; COL within the line)
 *   NAME:LINE: article #K (id ID): message  (schema)
 */
int np_loader_parse_object(const char *buf, size_t len, const char *name, size_t line,
                           size_t article_number, np_article **out, char *err, size_t err_size);

#endif

/*
 * Article sources. The list source walks an array already loaded; the NDJSON source reads one
 * line at a time (np_input: cancellable, and a failed read is an error, never the end) and parses
 * it with the loader's strict single-object parser, so only the current line and the articles
 * still in flight are in memory.
 */
#include "np/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "np/loader.h"

struct np_source {
    const np_article_list *list; /* list source */
    np_input input;              /* NDJSON source (owned) */
    size_t line_number;
    size_t produced;
    int failed;
    int read_errno; /* the read error that ended the input, or 0 */
};

np_source *np_source_from_list(const np_article_list *list)
{
    np_source *source = calloc(1, sizeof(*source));
    if (source)
        source->list = list;
    return source;
}

np_source *np_source_from_input(np_input *input)
{
    np_source *source = calloc(1, sizeof(*source));
    if (!source)
        return NULL;
    source->input = *input;
    memset(input, 0, sizeof(*input));
    input->fd = -1;
    return source;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int np_source_next(np_source *source, np_work *work, char *err, size_t err_size)
{
    if (source->list) {
        if (source->produced >= source->list->count)
            return 0;
        *work =
            (np_work){.article = &source->list->items[source->produced], .index = source->produced};
        source->produced++;
        return 1;
    }
    if (source->failed)
        return -1;
    for (;;) {
        char *line;
        size_t len;
        int got = np_input_read_line(&source->input, &line, &len);
        if (got == 0)
            return 0;
        if (got < 0 && errno == ECANCELED)
            return 0; /* the run is cancelled: what was read is all there is */
        source->line_number++;
        if (got < 0) {
            source->read_errno = errno;
            snprintf(err, err_size, "%s:%zu: cannot read: %s", source->input.name,
                     source->line_number, errno == ENOMEM ? "out of memory" : strerror(errno));
            source->failed = 1;
            return -1;
        }
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        /* A NUL inside the line would hide the rest from the parser: report it as such. */
        if (memchr(line, '\0', len) == NULL && is_blank(line, len))
            continue;
        np_article *article = NULL;
        if (np_loader_parse_object(line, len, source->input.name, source->line_number,
                                   source->produced + 1, &article, err, err_size) != 0) {
            /* Memory running out while parsing the line is the system's failure, not the line's. */
            if (np_loader_error_is_out_of_memory(err))
                source->read_errno = ENOMEM;
            source->failed = 1;
            return -1;
        }
        *work = (np_work){.article = article, .index = source->produced, .owned = article};
        source->produced++;
        return 1;
    }
}

size_t np_source_total(const np_source *source)
{
    return source->list ? source->list->count : 0;
}

const np_article_list *np_source_list(const np_source *source)
{
    return source->list;
}

int np_source_read_errno(const np_source *source)
{
    return source->read_errno;
}

void np_source_close(np_source *source)
{
    if (!source)
        return;
    if (!source->list)
        np_input_close(&source->input);
    free(source);
}

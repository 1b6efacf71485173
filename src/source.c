/*
 * Article sources. The list source walks an array already loaded; the NDJSON source reads one
 * line at a time with getline and parses it with the loader's strict single-object parser, so
 * only the current line and the articles still in flight are in memory.
 */
#include "np/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "np/loader.h"

struct np_source {
    const np_article_list *list; /* list source */
    FILE *stream;                /* NDJSON source */
    int close_stream;
    const char *name;
    char *line;
    size_t line_capacity;
    size_t line_number;
    size_t produced;
    int failed;
};

np_source *np_source_from_list(const np_article_list *list)
{
    np_source *source = calloc(1, sizeof(*source));
    if (source)
        source->list = list;
    return source;
}

np_source *np_source_open_ndjson(const char *path, char *err, size_t err_size)
{
    int from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "<stdin>" : path;
    FILE *stream = from_stdin ? stdin : fopen(path, "r");
    if (!stream) {
        snprintf(err, err_size, "%s: cannot open: %s", name, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(stream), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a directory, not a JSON file", name);
        if (!from_stdin)
            fclose(stream);
        return NULL;
    }
    np_source *source = calloc(1, sizeof(*source));
    if (!source) {
        snprintf(err, err_size, "%s: out of memory", name);
        if (!from_stdin)
            fclose(stream);
        return NULL;
    }
    source->stream = stream;
    source->close_stream = !from_stdin;
    source->name = name;
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
        errno = 0;
        ssize_t n = getline(&source->line, &source->line_capacity, source->stream);
        if (n < 0) {
            if (ferror(source->stream)) {
                snprintf(err, err_size, "%s: cannot read: %s", source->name,
                         strerror(errno ? errno : EIO));
                source->failed = 1;
                return -1;
            }
            return 0;
        }
        source->line_number++;
        size_t len = (size_t)n;
        if (len > 0 && source->line[len - 1] == '\n')
            len--;
        if (len > 0 && source->line[len - 1] == '\r')
            len--;
        /* A NUL inside the line would hide the rest from the parser: report it as such. */
        if (memchr(source->line, '\0', len) == NULL && is_blank(source->line, len))
            continue;
        source->line[len] = '\0';
        np_article *article = NULL;
        if (np_loader_parse_object(source->line, len, source->name, source->line_number,
                                   source->produced + 1, &article, err, err_size) != 0) {
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

size_t np_source_count(const np_source *source)
{
    return source->produced;
}

void np_source_close(np_source *source)
{
    if (!source)
        return;
    if (source->close_stream)
        fclose(source->stream);
    free(source->line);
    free(source);
}

/*
 * Building a chat-completions request body (np/chat_request.h) into a growing buffer. The
 * article's strings are valid UTF-8 without NUL (the loader guarantees it), so escaping the
 * characters JSON requires is all they need.
 */
#include "np/chat_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buffer {
    char *data;
    size_t len, cap;
    int failed;
} buffer;

static void put(buffer *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t want = b->cap ? b->cap * 2 : 1024;
        while (want < b->len + n + 1)
            want *= 2;
        char *grown = realloc(b->data, want);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = want;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void put_text(buffer *b, const char *s)
{
    put(b, s, strlen(s));
}

/* s[0..n) escaped for the inside of a JSON string. */
static void put_escaped(buffer *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, s + run, i - run);
        run = i + 1;
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof(esc), "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\t')
            snprintf(esc, sizeof(esc), "\\t");
        else
            snprintf(esc, sizeof(esc), "\\u%04x", c);
        put_text(b, esc);
    }
    put(b, s + run, n - run);
}

static void put_string(buffer *b, const char *s, size_t n)
{
    put(b, "\"", 1);
    put_escaped(b, s, n);
    put(b, "\"", 1);
}

/* "Title: <title>\n\n<content>" as one JSON string. */
static void put_user_message(buffer *b, const np_article *article)
{
    put_text(b, "\"Title: ");
    put_escaped(b, article->title, article->title_len);
    put_text(b, "\\n\\n");
    put_escaped(b, article->content, article->content_len);
    put_text(b, "\"");
}

char *np_chat_request_body(const np_chat_settings *settings, const np_article *article,
                           np_stage stage, int json_mode, size_t *len)
{
    buffer b = {0};
    char number[64];
    put_text(&b, "{\"model\":");
    put_string(&b, settings->model, strlen(settings->model));
    put_text(&b, ",\"messages\":[{\"role\":\"system\",\"content\":");
    const char *system = stage == NP_STAGE_SUMMARIZATION ? NP_PROMPT_SUMMARY : NP_PROMPT_SENTIMENT;
    put_string(&b, system, strlen(system));
    put_text(&b, "},{\"role\":\"user\",\"content\":");
    put_user_message(&b, article);
    put_text(&b, "}]");
    snprintf(number, sizeof(number), ",\"temperature\":%.17g", settings->temperature);
    put_text(&b, number);
    if (settings->max_tokens[stage]) {
        snprintf(number, sizeof(number), ",\"max_tokens\":%" PRIu32, settings->max_tokens[stage]);
        put_text(&b, number);
    }
    snprintf(number, sizeof(number), ",\"seed\":%" PRIu64, settings->seed);
    put_text(&b, number);
    if (json_mode && stage == NP_STAGE_SENTIMENT)
        put_text(&b, ",\"response_format\":{\"type\":\"json_object\"}");
    if (settings->stream)
        put_text(&b, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    put_text(&b, "}");
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

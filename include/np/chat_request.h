/*
 * What is sent to a chat-completions server: the prompts (all of them are here, and only here;
 * README "What is sent" quotes them) and the request body built from them.
 *
 * Summarization: the system prompt NP_PROMPT_SUMMARY, then the user message
 *   "Title: <title>\n\n<content>".
 * Sentiment: the system prompt NP_PROMPT_SENTIMENT, then the same user message; the body also
 *   asks for a JSON object (response_format {"type": "json_object"}) unless the server has
 *   refused that field once in this run.
 * Both: "model", "temperature", "max_tokens", "seed"; with streaming, "stream": true and
 * "stream_options": {"include_usage": true}. Nothing else: no key (it goes in a header), no
 * article id.
 *
 * Pure; safe on any thread.
 */
#ifndef NP_CHAT_REQUEST_H
#define NP_CHAT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "np/article.h"
#include "np/llm.h"

#define NP_PROMPT_SUMMARY                                                                          \
    "You summarize news articles. Reply with the summary only: one or two sentences, at most "     \
    "200 characters, in the article's language, without a preamble."

#define NP_PROMPT_SENTIMENT                                                                        \
    "You rate the sentiment of news articles. Reply with one JSON object and nothing else: "       \
    "{\"label\": \"positive\" or \"negative\" or \"neutral\", \"score\": a number from -1 (most "  \
    "negative) to 1 (most positive)}."

typedef struct np_chat_settings {
    const char *model;
    double temperature;
    uint32_t max_tokens[NP_STAGE_COUNT]; /* 0: not sent */
    uint64_t seed;
    int stream;
} np_chat_settings;

/*
 * The body of the request for article's stage, malloc'd and NUL-terminated (length in *len), or
 * NULL when memory runs out. json_mode: ask for a JSON object (sentiment only).
 */
char *np_chat_request_body(const np_chat_settings *settings, const np_article *article,
                           np_stage stage, int json_mode, size_t *len);

#endif

/*
 * What a chat-completions server's reply means: the text of a reply (whole, or streamed in
 * chunks), the token counts it reports, the sentiment object a sentiment reply must hold, and how
 * long a Retry-After header asks to wait.
 *
 * Pure functions over the bytes they are given (np/json_scan.h, no shared state): safe on any
 * thread.
 */
#ifndef NP_CHAT_REPLY_H
#define NP_CHAT_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "np/sentiment.h"

/* The token counts of a reply's "usage" object; a member not given stays as it was. */
typedef struct np_chat_usage {
    uint32_t prompt_tokens;
    uint32_t completion_tokens;
    int seen; /* a usage object was found */
} np_chat_usage;

/*
 * A whole (non-streamed) reply body[0..len): decodes choices[0].message.content into
 * text[0..cap) (NUL-terminated, length in *text_len) and reads usage into *usage. Returns 0, or
 * -1 when the body is not valid JSON, has no string content, or the text does not fit.
 */
int np_chat_reply_text(const char *body, size_t len, char *text, size_t cap, size_t *text_len,
                       np_chat_usage *usage);

/*
 * One streamed chunk (an SSE event's data): appends choices[0].delta.content, if any, to
 * text[*text_len..cap) and reads usage if present. *got_text is set to whether the chunk carried
 * text (a token). Returns 0, 1 for the "[DONE]" marker, or -1 when the chunk is not valid JSON or
 * the text no longer fits.
 */
int np_chat_chunk(const char *data, size_t len, char *text, size_t cap, size_t *text_len,
                  int *got_text, np_chat_usage *usage);

/*
 * The sentiment in a model's text: the first JSON object in it (a Markdown code fence or a
 * sentence around it is allowed) with "label" one of "positive", "negative", "neutral" and
 * "score" a number in [-1, 1]. Returns 0, or -1 when there is no such object.
 */
int np_chat_sentiment(const char *text, size_t len, np_sentiment *out);

/*
 * A Retry-After header's value (delay-seconds, or an HTTP date) as ms from now (unix seconds
 * now_s): a date in the past gives 0. Returns -1 when the value is neither.
 */
long long np_chat_retry_after_ms(const char *value, time_t now_s);

/* Whether an error reply's body names the response_format field (a server without JSON mode). */
int np_chat_mentions_response_format(const char *body, size_t len);

#endif

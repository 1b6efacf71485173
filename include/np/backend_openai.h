/*
 * The OpenAI-compatible backend: each stage call is one POST {base_url}/chat/completions to a
 * model server (llama-server, vLLM, Ollama, LM Studio, OpenAI), through libcurl.
 *
 * What is sent is np/chat_request.h's body, with "Content-Type: application/json" and, when there
 * is a key, "Authorization: Bearer <key>" -- the only place the key ever goes (it is never
 * logged, reported or put in an error message). TLS peers are verified (options->cacert for a
 * private CA); HTTP/2 is used where TLS offers it.
 *
 * How replies map onto a call's status (np/backend.h):
 *   200 with usable content   OK (summaries cut to the simulator's 200-code-point rule)
 *   200 without it            FAILED, invalid model output (a summary must be non-empty text; a
 *                             sentiment must hold a {"label", "score"} object)
 *   429                       FAILED, rate limited, with the Retry-After it gave
 *   5xx, 408                  FAILED, transient, with any Retry-After
 *   no reply, reset, cut short FAILED, connection
 *   400 naming response_format  asked again at once without it, and never again in this run
 *   400, 401, 403, 404, other REJECTED with a message that says what to check
 *   config->timeout_ms passed TIMED_OUT (the request is abandoned)
 *   run cancelled             CANCELLED within a poll wake-up (the request is abandoned)
 *   libcurl spins             FAILED, connection: ready 1,000 wake-ups in a row with no byte
 *                             moved (the channel is dropped with its connection)
 *
 * Connections: a call borrows a channel (a curl multi handle with its easy handle) from a pool,
 * most recently returned first, and gives it back after; a channel keeps its connection alive, so
 * the next call on it reuses it. A pool rather than a curl share of connections: libcurl does not
 * support sharing one connection cache between concurrent threads. DNS answers are shared between
 * channels (a curl share handle with a mutex per kind of data); TLS sessions are not (libcurl
 * before 8.10 lets handshakes on several threads write to one shared session). A call waits
 * in curl_multi_poll with the cancellation descriptor beside the transfer's sockets, so
 * cancelling wakes it at once.
 *
 * Create and destroy on one thread, before any call and after the last one (curl's global set-up
 * is not thread-safe); calls may then run on any number of threads at once.
 */
#ifndef NP_BACKEND_OPENAI_H
#define NP_BACKEND_OPENAI_H

#include <stddef.h>
#include <stdint.h>

#include "np/backend.h"
#include "np/llm.h"

typedef struct np_openai_options {
    const char *base_url; /* e.g. http://127.0.0.1:8080/v1 (a trailing slash is allowed) */
    const char *model;
    const char *api_key; /* NULL or "": no Authorization header */
    const char *cacert;  /* a CA bundle file for TLS; NULL: the system's */
    double temperature;
    uint32_t max_tokens[NP_STAGE_COUNT]; /* 0: not sent */
    uint64_t seed;
    int stream; /* ask for server-sent events and record each call's first token */
} np_openai_options;

/*
 * Sets up the backend (copies what it needs from options). Returns it, or NULL with a message in
 * err (never quoting the key).
 */
np_backend *np_backend_openai_create(const np_openai_options *options, char *err, size_t err_size);

/* Frees everything, the key's copies wiped first. No call may be running. NULL is ignored. */
void np_backend_openai_destroy(np_backend *backend);

#endif

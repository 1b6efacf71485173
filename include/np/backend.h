/*
 * The backend: what carries out one stage call. Two implement it: the simulator
 * (np/backend_sim.h, the default: a reproducible latency, then the real result computed here) and
 * an OpenAI-compatible HTTP server (np/backend_openai.h). Everything around a call is shared and
 * lives above this interface, in np/process.h: retries and their backoff, the accounting of
 * failed and timed-out time, rate limits, cancellation between calls, the result, and from it the
 * trace, the report and compare. A backend only makes one attempt and says how it went.
 *
 * A backend may know a call's time before making it (the simulator draws it from the seed): it
 * then answers plan, and the ideal schedule is built in advance from those plans. A backend that
 * cannot know (a real server) answers 0, and the ideal time of an article is what its calls were
 * measured to take, known only once they are done (docs/report.md, "ideal").
 *
 * Thread-safety: plan and call are called from any number of threads at once, for different
 * calls; a backend's state must be immutable or synchronised by the backend itself.
 */
#ifndef NP_BACKEND_H
#define NP_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "np/article.h"
#include "np/llm.h"
#include "np/sentiment.h"
#include "np/token_gaps.h"

struct np_process_config;

/* How one call (one attempt) ended. */
typedef enum np_call_status {
    NP_CALL_OK,        /* the stage's result is in the call */
    NP_CALL_FAILED,    /* a transient failure: retried while retries are left */
    NP_CALL_TIMED_OUT, /* the call took --timeout-ms and was abandoned: retried likewise */
    NP_CALL_REJECTED,  /* a permanent failure (a bad request, key or model): never retried */
    NP_CALL_CANCELLED, /* the run was cancelled while the call was in flight */
    NP_CALL_STATUS_COUNT
} np_call_status;

/* Why a call that is retried failed; the report counts retries by it. */
typedef enum np_retry_cause {
    NP_CAUSE_TIMEOUT,        /* the call exceeded --timeout-ms */
    NP_CAUSE_TRANSIENT,      /* a simulated fault, or an HTTP 5xx */
    NP_CAUSE_RATE_LIMITED,   /* HTTP 429 */
    NP_CAUSE_CONNECTION,     /* no connection, a reset, a reply cut short */
    NP_CAUSE_INVALID_OUTPUT, /* the reply was not what the stage asked for */
    NP_CAUSE_COUNT
} np_retry_cause;

/* "timeout", "transient", "rate_limited", "connection" or "invalid_output". */
const char *np_retry_cause_name(np_retry_cause cause);

/* The HTTP version a reply came in, as libcurl negotiated it (ALPN over TLS). */
typedef enum np_http_version {
    NP_HTTP_NONE, /* no reply (the simulator, or no HTTP reply at all) */
    NP_HTTP_1_0,
    NP_HTTP_1_1,
    NP_HTTP_2,
    NP_HTTP_3,
    NP_HTTP_VERSION_COUNT
} np_http_version;

/* "1.0", "1.1", "2", "3"; "" for NP_HTTP_NONE. */
const char *np_http_version_name(np_http_version version);

/* A call's time, known before it is made (see plan). */
typedef struct np_call_plan {
    uint32_t latency_ms;   /* the latency the call will have */
    uint32_t spent_ms;     /* what the attempt takes: the latency, or the timeout if less */
    np_call_status status; /* OK, FAILED or TIMED_OUT */
} np_call_plan;

typedef struct np_call {
    /* In. */
    const np_article *article;
    np_stage stage;
    uint32_t attempt;         /* 0 for the first call of the stage */
    const np_call_plan *plan; /* the backend's own plan for this call, when it has one */
    char *summary;            /* summarization writes its result here (np_summarize_bound bytes,
                                 NUL-terminated); sentiment may read the summary there */
    /* In for sentiment (the summary's length), out for summarization. */
    size_t summary_len;

    /* Out (zeroed by the caller before the call). */
    np_call_status status;
    np_retry_cause cause;      /* FAILED and TIMED_OUT: why */
    const char *error;         /* static text for a failure; NULL: the caller's generic message */
    uint32_t latency_ms;       /* the call's latency: planned (sim) or measured (a server) */
    uint32_t retry_after_ms;   /* the server asked to wait this long before the next call */
    np_sentiment sentiment;    /* sentiment, when OK */
    uint32_t tokens_in;        /* prompt tokens (as the server counted them; 0 = unknown) */
    uint32_t tokens_out;       /* completion tokens */
    long long first_token_ns;  /* streaming: when the first token arrived; 0 = not streamed */
    np_gap_summary token_gaps; /* streaming: the gaps between the reply's tokens */
    int http_status;           /* the reply's HTTP status; 0 = none (sim, or no reply) */
    np_http_version http_version; /* the protocol the reply came in; NONE with no reply */
} np_call;

typedef struct np_backend np_backend;

typedef struct np_backend_ops {
    const char *name; /* "sim", "openai" */
    /*
     * Fills *plan for the given call, from its arguments alone, when the backend knows in advance
     * how a call will go; NULL when it cannot (a real server).
     */
    void (*plan)(const np_backend *backend, const struct np_process_config *config,
                 const np_article *article, np_stage stage, uint32_t attempt, np_call_plan *plan);
    /*
     * Makes one attempt of call->stage for call->article, fills call's out fields. Waits only
     * cancellably (config->cancel): a cancelled run ends a call in flight within 100 ms with
     * NP_CALL_CANCELLED. Honours config->timeout_ms. Never allocates memory that outlives it.
     */
    void (*call)(const np_backend *backend, const struct np_process_config *config, np_call *call);
    /* Whether a call can take time (a wait, a network round trip), see np_process_can_wait. */
    int (*can_wait)(const np_backend *backend, const struct np_process_config *config);
} np_backend_ops;

struct np_backend {
    const np_backend_ops *ops;
    void *state; /* the backend's own; NULL for the simulator */
};

#endif

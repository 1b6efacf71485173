/*
 * The OpenAI-compatible backend (np/backend_openai.h): one stage call, one HTTP request.
 *
 * A call builds its body (np/chat_request.h), borrows a channel from the pool, runs the transfer
 * on the channel's multi handle -- curl_multi_poll with the cancellation descriptor as an extra
 * descriptor, woken at the latest when the call's timeout comes -- and reads the reply
 * (np/chat_reply.h): whole, or as server-sent events when streaming, stamping the first token.
 * Then it maps what happened onto the call's status and a static message.
 *
 * Threads: the pool's list is guarded by pool_lock, the curl share by its per-data mutexes; a
 * channel belongs to one call at a time; everything else is written once at creation and only
 * read after. The one flag that changes during the run (the server refused response_format) is
 * atomic: once set it stays set.
 */
#include "np/backend_openai.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "np/chat_reply.h"
#include "np/chat_request.h"
#include "np/clock.h"
#include "np/curl_api.h"
#include "np/process.h"
#include "np/sse.h"
#include "np/summarize.h"

/* The largest reply body kept (an error page, a whole completion) and the largest text. */
#define MAX_BODY (1u << 20)
#define MAX_TEXT ((size_t)64 * 1024)
/* The longest a call sleeps in curl_multi_poll before looking at the clock again. */
#define POLL_MS 1000
/*
 * How many times in a row curl_multi_poll may report a descriptor ready while not a byte of the
 * transfer moves before the transfer is given up as spinning. Seen with Debian 12's libcurl 7.88
 * after OpenSSL was refused memory inside SSL_read (ulimit -v): the socket stays readable,
 * libcurl never reads it, and the call would burn a CPU forever. A working transfer moves bytes
 * when woken (a TLS handshake: within a few wake-ups) and otherwise sleeps in the poll. Counted
 * in wake-ups, not time: spinning threads that share the CPUs each spin slower.
 */
#define STALL_WAKEUPS 1000

typedef struct channel {
    const np_curl_api *curl;
    CURLM *multi;
    CURL *easy;
    struct channel *next;
} channel;

typedef struct openai {
    np_backend backend;
    np_curl_api curl; /* loaded at creation (np/curl_api.h) */
    np_chat_settings settings;
    char *model;
    char *url;
    char *cacert;
    struct curl_slist *headers; /* holds the Authorization header, wiped before it is freed */
    CURLSH *share;
    pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
    int share_locks_ready;
    pthread_mutex_t pool_lock;
    channel *idle;   /* most recently returned first */
    size_t channels; /* created, under pool_lock */
    atomic_int json_mode_refused;
} openai;

/* The messages of a failed call, one per stage. */
typedef enum failure {
    FAIL_SERVER,
    FAIL_RATE_LIMITED,
    FAIL_CONNECTION,
    FAIL_STALLED,
    FAIL_INVALID_OUTPUT,
    FAIL_TOO_LARGE,
    FAIL_SETUP,
    FAIL_BAD_REQUEST,
    FAIL_UNAUTHORIZED,
    FAIL_FORBIDDEN,
    FAIL_NOT_FOUND,
    FAIL_REFUSED,
    FAIL_TLS,
    FAIL_CA_STORE,
    FAIL_URL,
    FAIL_NOT_HTTP,
    FAIL_COUNT
} failure;

#define BOTH_STAGES(what)                                                                          \
    {                                                                                              \
        "summarization failed: " what, "sentiment failed: " what                                   \
    }

static const char *const failure_messages[FAIL_COUNT][NP_STAGE_COUNT] = {
    [FAIL_SERVER] = BOTH_STAGES("server error (HTTP 5xx), retries exhausted"),
    [FAIL_RATE_LIMITED] = BOTH_STAGES("rate limited (HTTP 429), retries exhausted"),
    [FAIL_CONNECTION] =
        BOTH_STAGES("no complete reply (connection refused, reset or cut short), retries "
                    "exhausted"),
    [FAIL_STALLED] = BOTH_STAGES("the connection stopped making progress (libcurl kept waking "
                                 "without reading), retries exhausted"),
    [FAIL_INVALID_OUTPUT] = BOTH_STAGES("invalid model output, retries exhausted"),
    [FAIL_TOO_LARGE] = BOTH_STAGES("invalid model output (reply too large), retries exhausted"),
    [FAIL_SETUP] = BOTH_STAGES("cannot set up an HTTP transfer (out of memory or descriptors)"),
    [FAIL_BAD_REQUEST] =
        BOTH_STAGES("HTTP 400 Bad Request: check --model, --max-tokens and --temperature "
                    "against what the server accepts"),
    [FAIL_UNAUTHORIZED] = BOTH_STAGES("HTTP 401 Unauthorized: check the API key (OPENAI_API_KEY or "
                                      "--api-key-file)"),
    [FAIL_FORBIDDEN] = BOTH_STAGES("HTTP 403 Forbidden: check that the API key may use this model"),
    [FAIL_NOT_FOUND] =
        BOTH_STAGES("HTTP 404 Not Found: check --model and --base-url (the URL before "
                    "/chat/completions, e.g. http://127.0.0.1:8080/v1)"),
    [FAIL_REFUSED] = BOTH_STAGES("the server refused the request (an unexpected HTTP status)"),
    [FAIL_TLS] = BOTH_STAGES("TLS: the server's certificate could not be verified (check "
                             "--cacert)"),
    [FAIL_CA_STORE] = BOTH_STAGES("TLS: no trusted certificates could be read (the system's, from "
                                  "the Debian package ca-certificates, or the --cacert file)"),
    [FAIL_URL] = BOTH_STAGES("cannot use --base-url (check its host and port)"),
    [FAIL_NOT_HTTP] = BOTH_STAGES("the server's reply is not HTTP (check that --base-url names "
                                  "an HTTP API, and its port)"),
};

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)handle;
    (void)access;
    openai *o = user;
    pthread_mutex_lock(&o->share_lock[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *user)
{
    (void)handle;
    openai *o = user;
    pthread_mutex_unlock(&o->share_lock[data]);
}

/* What one transfer gathered; lives on the calling thread's stack. */
typedef struct transfer {
    int stream;
    int status;               /* of the last status line (after any 100 Continue) */
    long long retry_after_ms; /* -1: none */
    char *body;               /* the raw body, unless streamed with 200 */
    size_t body_len, body_cap;
    int too_large;
    char *text; /* streamed: the content so far (MAX_TEXT bytes) */
    size_t text_len;
    np_sse sse;
    np_chat_usage usage;
    int stream_invalid;
    uint32_t token_chunks;
    long long first_token_ns;
    long long last_token_ns;
    np_gap_recorder gaps; /* between content events, as they arrived */
} transfer;

static size_t on_header(char *bytes, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t n = size * count;
    char line[256];
    size_t keep = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
    memcpy(line, bytes, keep);
    line[keep] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) {
        const char *space = strchr(line, ' ');
        t->status = space ? (int)strtol(space + 1, NULL, 10) : 0;
        t->retry_after_ms = -1;
    } else if (strncasecmp(line, "retry-after:", 12) == 0) {
        t->retry_after_ms = np_chat_retry_after_ms(line + 12, time(NULL));
    }
    return n;
}

static int on_event(void *user, const char *data, size_t len)
{
    transfer *t = user;
    int got_text = 0;
    int rc = np_chat_chunk(data, len, t->text, MAX_TEXT, &t->text_len, &got_text, &t->usage);
    if (rc < 0) {
        t->stream_invalid = 1;
        return -1;
    }
    if (got_text) {
        long long now = np_clock_now_ns();
        if (t->first_token_ns == 0)
            t->first_token_ns = now;
        else
            np_gap_record(&t->gaps, now - t->last_token_ns);
        t->last_token_ns = now;
        t->token_chunks++;
    }
    return 0;
}

static size_t on_body(char *bytes, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t n = size * count;
    if (t->stream && t->status == 200) {
        if (np_sse_feed(&t->sse, bytes, n, on_event, t) != 0) {
            t->stream_invalid = 1;
            return 0; /* stops the transfer */
        }
        return n;
    }
    if (t->body_len + n + 1 > MAX_BODY) {
        t->too_large = 1;
        return 0;
    }
    if (t->body_len + n + 1 > t->body_cap) {
        size_t want = t->body_cap ? t->body_cap : 4096;
        while (want < t->body_len + n + 1)
            want *= 2;
        char *grown = realloc(t->body, want);
        if (!grown) {
            t->too_large = 1;
            return 0;
        }
        t->body = grown;
        t->body_cap = want;
    }
    memcpy(t->body + t->body_len, bytes, n);
    t->body_len += n;
    t->body[t->body_len] = '\0';
    return n;
}

static void channel_free(channel *ch)
{
    if (!ch)
        return;
    if (ch->easy)
        ch->curl->easy_cleanup(ch->easy);
    if (ch->multi)
        ch->curl->multi_cleanup(ch->multi);
    free(ch);
}

/* A new channel with everything set that does not change between calls; NULL when refused. */
static channel *channel_new(openai *o)
{
    channel *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    ch->curl = &o->curl;
    ch->multi = o->curl.multi_init();
    ch->easy = o->curl.easy_init();
    if (!ch->multi || !ch->easy) {
        channel_free(ch);
        return NULL;
    }
    CURL *e = ch->easy;
    int bad = 0;
    bad |= o->curl.easy_setopt(e, CURLOPT_URL, o->url) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_HTTPHEADER, o->headers) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_SHARE, o->share) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= o->curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    if (o->cacert)
        bad |= o->curl.easy_setopt(e, CURLOPT_CAINFO, o->cacert) != CURLE_OK;
    if (bad) {
        channel_free(ch);
        return NULL;
    }
    return ch;
}

static channel *channel_take(openai *o)
{
    pthread_mutex_lock(&o->pool_lock);
    channel *ch = o->idle;
    if (ch)
        o->idle = ch->next;
    pthread_mutex_unlock(&o->pool_lock);
    if (ch)
        return ch;
    return channel_new(o);
}

static void channel_give_back(openai *o, channel *ch)
{
    pthread_mutex_lock(&o->pool_lock);
    ch->next = o->idle;
    o->idle = ch;
    pthread_mutex_unlock(&o->pool_lock);
}

typedef enum stop { STOP_NONE, STOP_CANCELLED, STOP_TIMED_OUT, STOP_STALLED } stop;

/* Bytes of the transfer's request and reply so far, headers included. */
static curl_off_t bytes_moved(const channel *ch)
{
    curl_off_t down = 0, up = 0;
    long headers = 0;
    ch->curl->easy_getinfo(ch->easy, CURLINFO_SIZE_DOWNLOAD_T, &down);
    ch->curl->easy_getinfo(ch->easy, CURLINFO_SIZE_UPLOAD_T, &up);
    ch->curl->easy_getinfo(ch->easy, CURLINFO_HEADER_SIZE, &headers);
    return down + up + headers;
}

/*
 * Runs the channel's transfer until it completes, the run is cancelled, deadline_ns (0: none)
 * passes, or it spins (STALL_WAKEUPS). Returns how it stopped; *result is curl's result when it
 * completed.
 */
static stop run_transfer(channel *ch, np_cancel *cancel, long long deadline_ns, CURLcode *result)
{
    *result = CURLE_GOT_NOTHING;
    if (ch->curl->multi_add_handle(ch->multi, ch->easy) != CURLM_OK) {
        *result = CURLE_OUT_OF_MEMORY;
        return STOP_NONE;
    }
    stop how = STOP_NONE;
    int idle_wakeups = 0; /* in a row: a descriptor was ready and nothing moved */
    curl_off_t moved = -1;
    struct curl_waitfd wake = {.fd = cancel ? np_cancel_fd(cancel) : -1,
                               .events = CURL_WAIT_POLLIN};
    for (;;) {
        int running = 0;
        if (ch->curl->multi_perform(ch->multi, &running) != CURLM_OK)
            break;
        CURLMsg *msg;
        int queued, done = 0;
        while ((msg = ch->curl->multi_info_read(ch->multi, &queued)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                *result = msg->data.result;
                done = 1;
            }
        }
        if (done || !running)
            break;
        if (np_cancel_reason_of(cancel) != NP_CANCEL_NONE) {
            how = STOP_CANCELLED;
            break;
        }
        long long now = np_clock_now_ns();
        if (deadline_ns && now >= deadline_ns) {
            how = STOP_TIMED_OUT;
            break;
        }
        int wait_ms = POLL_MS;
        if (deadline_ns) {
            long long left_ms = (deadline_ns - now + 999999) / 1000000;
            if (left_ms < wait_ms)
                wait_ms = (int)left_ms;
        }
        int ready = 0;
        ch->curl->multi_poll(ch->multi, cancel ? &wake : NULL, cancel ? 1 : 0, wait_ms, &ready);
        curl_off_t moved_now = bytes_moved(ch);
        idle_wakeups = ready > 0 && moved_now == moved ? idle_wakeups + 1 : 0;
        moved = moved_now;
        if (idle_wakeups >= STALL_WAKEUPS) {
            how = STOP_STALLED;
            break;
        }
    }
    ch->curl->multi_remove_handle(ch->multi, ch->easy);
    return how;
}

/* The HTTP version of the channel's last reply, as libcurl negotiated it. */
static np_http_version negotiated_version(const channel *ch)
{
    long version = 0;
    if (ch->curl->easy_getinfo(ch->easy, CURLINFO_HTTP_VERSION, &version) != CURLE_OK)
        return NP_HTTP_NONE;
    switch (version) {
    case CURL_HTTP_VERSION_1_0:
        return NP_HTTP_1_0;
    case CURL_HTTP_VERSION_1_1:
        return NP_HTTP_1_1;
    case CURL_HTTP_VERSION_2_0:
        return NP_HTTP_2;
    case CURL_HTTP_VERSION_3:
        return NP_HTTP_3;
    default:
        return NP_HTTP_NONE;
    }
}

static void fail(np_call *call, np_call_status status, np_retry_cause cause, failure what)
{
    call->status = status;
    call->cause = cause;
    call->error = failure_messages[what][call->stage];
}

/* A curl error before any HTTP status: the connection, TLS, or the URL. A CA store that cannot be
 * read leaves nothing to verify with: not the server's fault. The scheme was checked at start, so
 * an unsupported protocol is an HTTP/0.9 reply. */
static void fail_transport(np_call *call, CURLcode result)
{
    failure what = result == CURLE_SSL_CACERT_BADFILE ? FAIL_CA_STORE
                   : result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CERTPROBLEM ||
                           result == CURLE_SSL_ISSUER_ERROR
                       ? FAIL_TLS
                   : result == CURLE_UNSUPPORTED_PROTOCOL ? FAIL_NOT_HTTP
                   : result == CURLE_URL_MALFORMAT        ? FAIL_URL
                   : result == CURLE_OUT_OF_MEMORY        ? FAIL_SETUP
                                                          : FAIL_CONNECTION;
    int retried = what == FAIL_SETUP || what == FAIL_CONNECTION;
    fail(call, retried ? NP_CALL_FAILED : NP_CALL_REJECTED, NP_CAUSE_CONNECTION, what);
}

/* A complete 200 reply: the stage's result, or invalid model output. */
static void take_reply(np_call *call, transfer *t)
{
    char *text = t->text;
    size_t text_len = t->text_len;
    char *whole = NULL;
    if (!t->stream) {
        size_t cap = t->body_len + 1;
        whole = malloc(cap);
        if (!whole) {
            fail(call, NP_CALL_FAILED, NP_CAUSE_CONNECTION, FAIL_SETUP);
            return;
        }
        if (np_chat_reply_text(t->body ? t->body : "", t->body_len, whole, cap, &text_len,
                               &t->usage) != 0) {
            free(whole);
            fail(call, NP_CALL_FAILED, NP_CAUSE_INVALID_OUTPUT, FAIL_INVALID_OUTPUT);
            return;
        }
        text = whole;
    }
    int ok;
    if (call->stage == NP_STAGE_SUMMARIZATION) {
        /* The reply is cut by the simulator's rule; its bound fits the reserved buffer
         * (np_process_reserve reserves the largest summary for a backend that cannot plan). */
        ok = text_len > 0;
        if (ok)
            call->summary_len = np_summarize_into(text, text_len, call->summary);
        ok = ok && call->summary_len > 0;
    } else {
        ok = np_chat_sentiment(text, text_len, &call->sentiment) == 0;
    }
    free(whole);
    call->tokens_in = t->usage.prompt_tokens;
    call->tokens_out = t->usage.seen ? t->usage.completion_tokens : t->token_chunks;
    if (ok)
        call->status = NP_CALL_OK;
    else
        fail(call, NP_CALL_FAILED, NP_CAUSE_INVALID_OUTPUT, FAIL_INVALID_OUTPUT);
}

/* An HTTP status other than 200. Returns 1 when the request should be made again at once
 * without response_format. */
static int take_status(openai *o, np_call *call, const transfer *t, int json_mode)
{
    int status = t->status;
    if (t->retry_after_ms > 0)
        call->retry_after_ms =
            t->retry_after_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)t->retry_after_ms;
    if (status == 429) {
        fail(call, NP_CALL_FAILED, NP_CAUSE_RATE_LIMITED, FAIL_RATE_LIMITED);
    } else if (status >= 500 || status == 408) {
        fail(call, NP_CALL_FAILED, NP_CAUSE_TRANSIENT, FAIL_SERVER);
    } else if (status == 400 && json_mode &&
               np_chat_mentions_response_format(t->body ? t->body : "", t->body_len)) {
        atomic_store(&o->json_mode_refused, 1);
        return 1;
    } else {
        fail(call, NP_CALL_REJECTED, NP_CAUSE_TRANSIENT,
             status == 400   ? FAIL_BAD_REQUEST
             : status == 401 ? FAIL_UNAUTHORIZED
             : status == 403 ? FAIL_FORBIDDEN
             : status == 404 ? FAIL_NOT_FOUND
                             : FAIL_REFUSED);
    }
    return 0;
}

/* One HTTP request for the call. Returns 1 when it must be made again without JSON mode. */
static int request_once(openai *o, const np_process_config *config, np_call *call,
                        long long deadline_ns, int json_mode)
{
    size_t body_len = 0;
    char *body =
        np_chat_request_body(&o->settings, call->article, call->stage, json_mode, &body_len);
    transfer t = {.stream = o->settings.stream, .retry_after_ms = -1};
    if (t.stream)
        t.text = malloc(MAX_TEXT);
    channel *ch = body && (!t.stream || t.text) ? channel_take(o) : NULL;
    if (!ch) {
        free(body);
        free(t.text);
        fail(call, NP_CALL_FAILED, NP_CAUSE_CONNECTION, FAIL_SETUP);
        return 0;
    }
    if (t.text)
        t.text[0] = '\0';
    CURL *e = ch->easy;
    ch->curl->easy_setopt(e, CURLOPT_POSTFIELDS, body);
    ch->curl->easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    ch->curl->easy_setopt(e, CURLOPT_HEADERDATA, &t);
    ch->curl->easy_setopt(e, CURLOPT_WRITEDATA, &t);
    CURLcode result;
    stop how = run_transfer(ch, config->cancel, deadline_ns, &result);
    if (t.status)
        call->http_version = negotiated_version(ch);
    /* The channel holds nothing of this call now but pointers it no longer follows. One that
     * spun is dropped with its connection: libcurl would take that connection up again. */
    if (how == STOP_STALLED)
        channel_free(ch);
    else
        channel_give_back(o, ch);
    free(body);
    int again = 0;
    call->http_status = t.status;
    call->first_token_ns = t.first_token_ns;
    np_gap_summarize(&t.gaps, &call->token_gaps);
    if (how == STOP_CANCELLED) {
        call->status = NP_CALL_CANCELLED;
    } else if (how == STOP_TIMED_OUT) {
        call->status = NP_CALL_TIMED_OUT;
        call->cause = NP_CAUSE_TIMEOUT;
    } else if (how == STOP_STALLED) {
        fail(call, NP_CALL_FAILED, NP_CAUSE_CONNECTION, FAIL_STALLED); /* retried */
    } else if (t.too_large) {
        fail(call, NP_CALL_FAILED, NP_CAUSE_INVALID_OUTPUT, FAIL_TOO_LARGE);
    } else if (t.stream_invalid) {
        fail(call, NP_CALL_FAILED, NP_CAUSE_INVALID_OUTPUT, FAIL_INVALID_OUTPUT);
    } else if (result != CURLE_OK) {
        fail_transport(call, result);
    } else if (t.status != 200) {
        again = take_status(o, call, &t, json_mode);
    } else {
        take_reply(call, &t);
    }
    free(t.body);
    free(t.text);
    np_sse_free(&t.sse);
    return again;
}

static void openai_call(const np_backend *backend, const np_process_config *config, np_call *call)
{
    openai *o = backend->state;
    long long start = np_clock_now_ns();
    long long deadline_ns =
        config->timeout_ms ? start + (long long)config->timeout_ms * 1000000LL : 0;
    int json_mode = call->stage == NP_STAGE_SENTIMENT && !atomic_load(&o->json_mode_refused);
    if (request_once(o, config, call, deadline_ns, json_mode)) {
        /* The server has no JSON mode: ask again at once, within the same call and timeout. */
        np_call fresh = *call;
        request_once(o, config, &fresh, deadline_ns, 0);
        *call = fresh;
    }
    long long took_ms = (np_clock_now_ns() - start + 500000) / 1000000;
    call->latency_ms = took_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)took_ms;
}

static int openai_can_wait(const np_backend *backend, const np_process_config *config)
{
    (void)backend;
    (void)config;
    return 1; /* every call is a network round trip */
}

static const np_backend_ops openai_ops = {
    .name = "openai", .plan = NULL, .call = openai_call, .can_wait = openai_can_wait};

static void wipe(char *s)
{
    if (s) {
        volatile char *v = s;
        while (*v)
            *v++ = '\0';
    }
}

void np_backend_openai_destroy(np_backend *backend)
{
    if (!backend)
        return;
    openai *o = backend->state;
    while (o->idle) {
        channel *next = o->idle->next;
        channel_free(o->idle);
        o->idle = next;
    }
    if (o->share)
        o->curl.share_cleanup(o->share);
    for (struct curl_slist *h = o->headers; h; h = h->next)
        wipe(h->data);
    o->curl.slist_free_all(o->headers);
    if (o->share_locks_ready)
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&o->share_lock[i]);
    pthread_mutex_destroy(&o->pool_lock);
    free(o->model);
    free(o->url);
    free(o->cacert);
    np_curl_api curl = o->curl;
    free(o);
    curl.global_cleanup();
    np_curl_api_unload(&curl);
}

/* The request URL: the base without trailing slashes, then /chat/completions. */
static char *request_url(const char *base)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    static const char path[] = "/chat/completions";
    char *url = malloc(n + sizeof(path));
    if (url)
        snprintf(url, n + sizeof(path), "%.*s%s", (int)n, base, path);
    return url;
}

static struct curl_slist *request_headers(const np_curl_api *curl, const char *key)
{
    struct curl_slist *list = curl->slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *next = list ? curl->slist_append(list, "Expect:") : NULL;
    if (next && key && *key) {
        size_t n = strlen(key);
        static const char prefix[] = "Authorization: Bearer ";
        char *line = malloc(sizeof(prefix) + n);
        if (line) {
            memcpy(line, prefix, sizeof(prefix) - 1);
            memcpy(line + sizeof(prefix) - 1, key, n + 1);
            next = curl->slist_append(list, line);
            wipe(line);
            free(line);
        } else {
            next = NULL;
        }
    }
    if (!next) {
        for (struct curl_slist *h = list; h; h = h->next)
            wipe(h->data);
        curl->slist_free_all(list);
        return NULL;
    }
    return list;
}

np_backend *np_backend_openai_create(const np_openai_options *options, char *err, size_t err_size)
{
    np_curl_api curl;
    if (np_curl_api_load(&curl, err, err_size) != 0)
        return NULL;
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        np_curl_api_unload(&curl);
        snprintf(err, err_size, "cannot initialize libcurl");
        return NULL;
    }
    openai *o = calloc(1, sizeof(*o));
    if (!o) {
        curl.global_cleanup();
        np_curl_api_unload(&curl);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    o->curl = curl;
    o->backend = (np_backend){.ops = &openai_ops, .state = o};
    pthread_mutex_init(&o->pool_lock, NULL);
    atomic_init(&o->json_mode_refused, 0);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&o->share_lock[i], NULL);
    o->share_locks_ready = 1;
    o->model = strdup(options->model);
    o->url = request_url(options->base_url);
    o->cacert = options->cacert ? strdup(options->cacert) : NULL;
    o->headers = request_headers(&o->curl, options->api_key);
    o->share = o->curl.share_init();
    int bad = !o->model || !o->url || (options->cacert && !o->cacert) || !o->headers || !o->share;
    if (!bad) {
        bad |= o->curl.share_setopt(o->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK;
        bad |= o->curl.share_setopt(o->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK;
        bad |= o->curl.share_setopt(o->share, CURLSHOPT_USERDATA, o) != CURLSHE_OK;
        /* DNS answers only, not TLS sessions: before 8.10 libcurl hands one cached SSL_SESSION
         * to handshakes on several threads at once, and OpenSSL writes to it during them (a
         * data race ThreadSanitizer reported here with Debian 12's 7.88; curl pull 14751). */
        bad |= o->curl.share_setopt(o->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK;
    }
    if (bad) {
        np_backend_openai_destroy(&o->backend);
        snprintf(err, err_size, "cannot set up the HTTP client (out of memory)");
        return NULL;
    }
    o->settings = (np_chat_settings){.model = o->model,
                                     .temperature = options->temperature,
                                     .seed = options->seed,
                                     .stream = options->stream};
    memcpy(o->settings.max_tokens, options->max_tokens, sizeof(o->settings.max_tokens));
    return &o->backend;
}

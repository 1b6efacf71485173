/*
 * llm_server: a small, real HTTP/1.1 server that speaks the OpenAI chat-completions API, for
 * testing news-processor's openai backend (issue 14). Test-only: built when BUILD_TESTING is on.
 *
 * Command line:
 *   llm_server --port-file FILE [--max-concurrent N] [--log FILE] [--latency-ms N]
 *              [--first-token-ms N] [--token-ms N] [--idle-exit-s N] [--exit-on-stdin-eof]
 *              [--outlive-parent] [--watch-pid PID]
 * It listens on 127.0.0.1, port 0 (the kernel picks one), and once listening writes the port and
 * a newline to FILE atomically (FILE.tmp, then rename). It exits cleanly (all threads joined) on
 * SIGTERM or SIGINT, when its parent dies (PR_SET_PDEATHSIG and a getppid check; off with
 * --outlive-parent, which requires --idle-exit-s or --watch-pid), when process PID ends with
 * --watch-pid, at EOF on stdin with --exit-on-stdin-eof, and after --idle-exit-s seconds with
 * none in flight and none finished. The watches are checked every 200 ms. It removes FILE on
 * exit.
 *
 * Requests: `POST <any prefix>/chat/completions` (keep-alive, Content-Length bodies, Expect:
 * 100-continue honoured) and `GET /stats` -> {"requests","connections","max_concurrent",
 * "in_flight"}, all about chat-completions requests: "connections" counts the connections that
 * carried at least one, "max_concurrent" the most ever in flight at once.
 * --max-concurrent N: at most N chat requests are served at once (a hung one holds its place),
 * the others wait in line.
 *
 * The reply's content is computed from the request, so a test can tell it came from here:
 * - sentiment, when a system or user message contains "sentiment" (any case): the JSON object
 *   {"label": L, "score": S} with h = FNV-1a 64 of the last user message's content,
 *   L = ["negative", "neutral", "positive"][h % 3], S = 0 for neutral, otherwise
 *   +-((h >> 8) % 90 + 10) / 100 (0.10 .. 0.99, negative for "negative"). With the `fence` knob
 *   (or a model name whose first part contains "fence") it is wrapped in "```json\n" .. "\n```".
 * - otherwise "SERVER SUMMARY: " followed by the first 40 code points of the last line (after
 *   trailing newlines are dropped) of the last user message.
 * Tokens: the content splits into tokens, each a run of non-space bytes with the whitespace
 * after it (leading whitespace joins the first), so the tokens concatenate back to the content.
 * usage.prompt_tokens = whitespace-separated words over all messages' contents;
 * usage.completion_tokens = tokens sent. A positive max_tokens below the token count cuts the
 * content to max_tokens tokens, finish_reason "length" (otherwise "stop").
 * Streaming ("stream": true): text/event-stream, chunked, one event per token
 * (data: {"id","object":"chat.completion.chunk","created":0,"model","choices":[{"index":0,
 * "delta":{"content":TOKEN},"finish_reason":null}]}), then an event with an empty delta and the
 * finish_reason, then with stream_options.include_usage an event {"choices":[],"usage":{..}},
 * then data: [DONE]. Timing: latency, then the first token after first-token ms, then one every
 * token ms; a non-streamed reply is sent after the same total (latency + first-token + token x
 * (tokens - 1)).
 *
 * Knobs: the model name is a '+'-separated list, a free name then knobs, e.g.
 * "test+latency=50+status=429+retry-after=1+times=2". Unknown knobs: 400.
 *   latency=MS first-token=MS token=MS   override --latency-ms/--first-token-ms/--token-ms
 *   status=CODE            reply CODE with an OpenAI-style {"error":{"message","type","code"}}
 *   retry-after=S          with status: a Retry-After: S header
 *   retry-after-date[=S]   with status: Retry-After as an HTTP date S (default 1) s ahead
 *   times=K                the failure knobs (status, malformed, bad-output, cut-short,
 *                          stall, reset, hang) apply to the first K requests with this model
 *                          string and these messages (FNV-1a of the model and each role and
 *                          content), then requests succeed
 *   reject-response-format 400 "response_format is not supported" when response_format is sent
 *   malformed              200 with a body that is not valid JSON (stream: events that are not)
 *   bad-output             200, a valid reply whose content is {"mood": "unclear"}
 *   cut-short              Content-Length promises more than is sent, then the connection
 *                          closes (stream: half the tokens, then a close before the last chunk)
 *   stall                  part of the reply (plain: the head and half the body; stream: the
 *                          first token), then nothing more, as hang
 *   reset                  read the request, then close with SO_LINGER 0 (a TCP RST)
 *   hang                   read the request and never answer; ends when the client closes the
 *                          connection or the server stops
 *   fence                  sentiment in a ```json code fence
 *
 * --log FILE appends one JSON line per request (GET /stats excepted), flushed at once:
 * {"seq","conn" (connection number, in accept order),"method","path","model","authorization"
 * (the exact header or null),"stream","has_response_format","max_tokens","temperature","seed"
 * (as sent, null when absent),"status" (0 when no status line was sent),"outcome" ("ok",
 * "error" (a status knob or a 4xx), "malformed","bad-output","cut-short","reset",
 * "client-closed" (the client closed first: how a hang ends) or "stopped" (the server stopped
 * first)),"prompt_tokens","completion_tokens" (the usage it reported; when streaming, the tokens
 * sent),"received_ms","started_ms","finished_ms"
 * (monotonic ms since server start; started = when a --max-concurrent slot was taken),
 * "concurrent" (chat requests in flight once it started, itself included)}, and every
 * request's raw head and body, as received, to FILE.raw.
 *
 * Threads: the main thread accepts and watches signals (signalfd), stdin and the parent; one
 * thread per connection. Shared counters, the knob counts and the log are under srv->lock.
 * Every wait (socket I/O, pacing, hang) polls the stop pipe too, whose write end is closed at
 * shutdown, so every connection thread ends promptly and is joined.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD     ((size_t)64 * 1024)
#define MAX_BODY     ((size_t)16 * 1024 * 1024)
#define THREAD_STACK ((size_t)512 * 1024)

struct options {
    const char *port_file, *log_file;
    long max_concurrent; /* 0: no limit */
    long latency_ms, first_token_ms, token_ms, idle_exit_s, watch_pid;
    bool exit_on_stdin_eof, outlive_parent;
};

struct conn {
    struct server *srv;
    int fd;
    long id;           /* accept order, from 1 */
    bool carried_chat; /* counted in srv->chat_connections; this thread only */
    pthread_t thread;
    bool finished; /* under srv->lock */
    struct conn *next;
    char *buf; /* bytes read and not yet consumed */
    size_t len, cap;
};

struct knob_count {
    uint64_t key;
    long count;
};

struct server {
    struct options opt;
    struct timespec start;
    int listen_fd, stop_pipe[2];
    pthread_mutex_t parse_lock; /* cJSON's parser writes a process-wide error pointer */
    pthread_mutex_t lock;
    pthread_cond_t slot_free;
    /* Under lock: */
    bool stopping;
    long requests, connections, chat_connections, max_seen, in_flight, seq;
    double last_activity_ms;
    struct knob_count *counts;
    size_t ncounts, counts_cap;
    FILE *log, *raw;
    struct conn *conns;
};

struct request {
    char method[16], path[2048];
    bool keep_alive;
    char *authorization; /* exact value, or NULL */
    const char *head, *body;
    size_t head_len, body_len;
};

struct knobs {
    long latency_ms, first_token_ms, token_ms; /* -1: the server's default */
    long status, retry_after_s, retry_after_date_s, times;
    bool reject_response_format, malformed, bad_output, cut_short, stall, reset, hang, fence;
};

/* What one chat request asked for and how it went, for the log line. */
struct exchange {
    const char *model;
    bool stream, include_usage, has_response_format;
    const cJSON *max_tokens, *temperature, *seed; /* inside the parsed body, or NULL */
    long prompt_tokens, completion_tokens;
    long status;
    const char *outcome;
    double received_ms, started_ms;
    long seq, concurrent;
};

static double now_ms(const struct server *srv)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double ms = (double)(t.tv_sec - srv->start.tv_sec) * 1e3 +
                (double)(t.tv_nsec - srv->start.tv_nsec) / 1e6;
    return (double)(long long)(ms * 1000.0 + 0.5) / 1000.0;
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- waiting and writing, always abandoned when the server stops ---- */

/* Polls fd for events (or only the stop pipe when fd < 0) up to timeout_ms (-1: no limit).
 * Returns 1 when fd is ready, 0 on timeout, -1 when the server is stopping. */
static int wait_fd(const struct server *srv, int fd, short events, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = srv->stop_pipe[0], .events = POLLIN},
                          {.fd = fd, .events = events}};
    for (;;) {
        int n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[0].revents)
            return -1;
        return n > 0 ? 1 : 0;
    }
}

/* Sleeps ms; false when the server began stopping meanwhile. */
static bool pause_ms(const struct server *srv, long ms)
{
    struct timespec t, end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = (long)(end.tv_sec - t.tv_sec) * 1000 + (end.tv_nsec - t.tv_nsec) / 1000000;
        if (left <= 0)
            return true;
        if (wait_fd(srv, -1, 0, (int)(left > INT_MAX ? INT_MAX : left)) < 0)
            return false;
    }
}

static bool send_all(const struct conn *c, const char *data, size_t len)
{
    while (len > 0) {
        if (wait_fd(c->srv, c->fd, POLLOUT, -1) < 0)
            return false;
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static bool send_str(const struct conn *c, const char *s)
{
    return send_all(c, s, strlen(s));
}

/* One server-sent event ("data: TEXT\n\n") as one chunk of a chunked body, in one send. */
static bool send_event(const struct conn *c, const char *text)
{
    size_t n = strlen(text) + 32;
    char *chunk = malloc(n);
    if (!chunk)
        return false;
    int len = snprintf(chunk, n, "%zx\r\ndata: %s\n\n\r\n", strlen(text) + 8, text);
    bool ok = send_all(c, chunk, (size_t)len);
    free(chunk);
    return ok;
}

static const char *reason_phrase(long status)
{
    static const struct {
        long status;
        const char *phrase;
    } phrases[] = {{200, "OK"},
                   {400, "Bad Request"},
                   {401, "Unauthorized"},
                   {403, "Forbidden"},
                   {404, "Not Found"},
                   {405, "Method Not Allowed"},
                   {411, "Length Required"},
                   {413, "Payload Too Large"},
                   {429, "Too Many Requests"},
                   {431, "Request Header Fields Too Large"},
                   {500, "Internal Server Error"},
                   {502, "Bad Gateway"},
                   {503, "Service Unavailable"},
                   {504, "Gateway Timeout"}};
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (phrases[i].status == status)
            return phrases[i].phrase;
    return "Status";
}

/* A response with a Content-Length, head and body in one send; extra_headers end in CRLF (or
 * are ""). With a positive cut_short, the Content-Length promises that many bytes more. */
static bool send_response(const struct conn *c, long status, const char *content_type,
                          const char *extra_headers, const char *body, bool keep_alive,
                          size_t cut_short)
{
    size_t len = strlen(body), size = len + strlen(extra_headers) + 256;
    char *response = malloc(size);
    if (!response)
        return false;
    int head = snprintf(response, size,
                        "HTTP/1.1 %ld %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                        status, reason_phrase(status), content_type, len + cut_short, extra_headers,
                        keep_alive ? "" : "Connection: close\r\n");
    memcpy(response + head, body, len + 1);
    bool ok = send_all(c, response, (size_t)head + len);
    free(response);
    return ok;
}

/* An OpenAI-style error: {"error":{"message","type","code"}}. */
static bool send_error(const struct conn *c, long status, const char *message,
                       const char *extra_headers, bool keep_alive)
{
    const char *type = status >= 500   ? "server_error"
                       : status == 401 ? "authentication_error"
                       : status == 429 ? "rate_limit_error"
                                       : "invalid_request_error";
    cJSON *root = cJSON_CreateObject(), *error = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(error, "message", message);
    cJSON_AddStringToObject(error, "type", type);
    cJSON_AddNumberToObject(error, "code", (double)status);
    char *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    bool ok =
        body && send_response(c, status, "application/json", extra_headers, body, keep_alive, 0);
    free(body);
    return ok;
}

/* ---- the request: reading and parsing ---- */

static const char *find_head_end(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n')
            return buf + i + 1;
    return NULL;
}

/* Reads more bytes into c->buf. 1: read some, 0: the client closed, -1: error or stopping. */
static int read_more(struct conn *c)
{
    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : 16384;
        char *grown = realloc(c->buf, cap);
        if (!grown)
            return -1;
        c->buf = grown;
        c->cap = cap;
    }
    for (;;) {
        if (wait_fd(c->srv, c->fd, POLLIN, -1) < 0)
            return -1;
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? 0 : -1;
        c->len += (size_t)n;
        return n > 0 ? 1 : 0;
    }
}

/* The value of header `name` in the head (case-insensitive name), trimmed, or NULL. */
static char *header_value(const char *head, size_t head_len, const char *name)
{
    size_t name_len = strlen(name);
    const char *line = memchr(head, '\n', head_len), *end = head + head_len;
    while (line && ++line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        if ((size_t)(eol - line) > name_len && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            return strndup(v, (size_t)(ve - v));
        }
        line = eol;
    }
    return NULL;
}

/* Reads one request into req (pointing into c->buf). 1: a request, 0: the client closed
 * between requests, -1: stop (error, stopping, or a bad request already answered). */
static int read_request(struct conn *c, struct request *req)
{
    const char *head_end;
    while (!(head_end = find_head_end(c->buf, c->len))) {
        if (c->len > MAX_HEAD) {
            send_error(c, 431, "request head too large", "", false);
            return -1;
        }
        int r = read_more(c);
        if (r <= 0)
            return r == 0 && c->len == 0 ? 0 : -1;
    }
    size_t head_len = (size_t)(head_end - c->buf);
    char version[16] = "";
    if (sscanf(c->buf, "%15s %2047s %15s", req->method, req->path, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        send_error(c, 400, "malformed request line", "", false);
        return -1;
    }
    char *connection = header_value(c->buf, head_len, "Connection");
    req->keep_alive = strcmp(version, "HTTP/1.1") == 0;
    if (connection && strcasecmp(connection, "close") == 0)
        req->keep_alive = false;
    if (connection && strcasecmp(connection, "keep-alive") == 0)
        req->keep_alive = true;
    free(connection);
    char *chunked = header_value(c->buf, head_len, "Transfer-Encoding");
    bool has_chunked = chunked != NULL;
    free(chunked);
    if (has_chunked) {
        send_error(c, 411, "chunked request bodies are not supported: send Content-Length", "",
                   false);
        return -1;
    }
    char *length = header_value(c->buf, head_len, "Content-Length");
    char *end = NULL;
    unsigned long long body_len = length ? strtoull(length, &end, 10) : 0;
    bool length_ok = !length || (*length && !*end && length[0] != '-');
    free(length);
    if (!length_ok || body_len > MAX_BODY) {
        send_error(c, length_ok ? 413 : 400, length_ok ? "body too large" : "bad Content-Length",
                   "", false);
        return -1;
    }
    char *expect = header_value(c->buf, head_len, "Expect");
    bool wants_continue = expect && strcasecmp(expect, "100-continue") == 0;
    free(expect);
    if (wants_continue && c->len < head_len + body_len &&
        !send_str(c, "HTTP/1.1 100 Continue\r\n\r\n"))
        return -1;
    while (c->len < head_len + body_len)
        if (read_more(c) <= 0)
            return -1;
    req->authorization = header_value(c->buf, head_len, "Authorization");
    req->head = c->buf;
    req->head_len = head_len;
    req->body = c->buf + head_len;
    req->body_len = (size_t)body_len;
    return 1;
}

/* Drops the request just handled from the front of c->buf (pipelined bytes stay). */
static void consume_request(struct conn *c, struct request *req)
{
    size_t used = req->head_len + req->body_len;
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    free(req->authorization);
    req->authorization = NULL;
}

/* ---- knobs ---- */

static bool parse_number(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* Parses the knobs after the first '+' of model; on an error, writes a message and fails. */
static bool parse_knobs(const char *model, struct knobs *k, char *error, size_t error_size)
{
    *k = (struct knobs){.latency_ms = -1,
                        .first_token_ms = -1,
                        .token_ms = -1,
                        .retry_after_s = -1,
                        .retry_after_date_s = -1};
    const char *plus = strchr(model, '+');
    k->fence = strstr(model, "fence") && (!plus || strstr(model, "fence") < plus);
    char *copy = strdup(plus ? plus + 1 : ""), *save = NULL;
    bool ok = copy != NULL;
    for (char *knob = copy ? strtok_r(copy, "+", &save) : NULL; ok && knob;
         knob = strtok_r(NULL, "+", &save)) {
        char *value = strchr(knob, '=');
        if (value)
            *value++ = '\0';
        struct {
            const char *name;
            long *number;
            bool *flag;
        } table[] = {
            {"latency", &k->latency_ms, NULL},
            {"first-token", &k->first_token_ms, NULL},
            {"token", &k->token_ms, NULL},
            {"status", &k->status, NULL},
            {"retry-after", &k->retry_after_s, NULL},
            {"retry-after-date", &k->retry_after_date_s, NULL},
            {"times", &k->times, NULL},
            {"reject-response-format", NULL, &k->reject_response_format},
            {"malformed", NULL, &k->malformed},
            {"bad-output", NULL, &k->bad_output},
            {"cut-short", NULL, &k->cut_short},
            {"stall", NULL, &k->stall},
            {"reset", NULL, &k->reset},
            {"hang", NULL, &k->hang},
            {"fence", NULL, &k->fence},
        };
        size_t i = 0, n = sizeof table / sizeof table[0];
        while (i < n && strcmp(table[i].name, knob) != 0)
            i++;
        if (i == n) {
            snprintf(error, error_size, "test server: unknown knob '%s' in model '%s'", knob,
                     model);
            ok = false;
        } else if (table[i].flag && !value) {
            *table[i].flag = true;
        } else if (table[i].number == &k->retry_after_date_s && !value) {
            k->retry_after_date_s = 1;
        } else if (!table[i].number || !value || !parse_number(value, table[i].number)) {
            snprintf(error, error_size, "test server: knob '%s' in model '%s' %s", knob, model,
                     table[i].number ? "needs a number (knob=N)" : "takes no value");
            ok = false;
        }
    }
    if (ok && k->status && (k->status < 200 || k->status > 599)) {
        snprintf(error, error_size, "test server: status=%ld is not 200..599", k->status);
        ok = false;
    }
    free(copy);
    return ok;
}

/* Counts a request keyed by (model, messages); true while the failure knobs still apply. */
static bool failure_applies(struct server *srv, const struct knobs *k, uint64_t key)
{
    if (k->times == 0)
        return true;
    bool applies = false;
    pthread_mutex_lock(&srv->lock);
    size_t i = 0;
    while (i < srv->ncounts && srv->counts[i].key != key)
        i++;
    if (i == srv->ncounts && srv->ncounts == srv->counts_cap) {
        size_t cap = srv->counts_cap ? srv->counts_cap * 2 : 64;
        struct knob_count *grown = realloc(srv->counts, cap * sizeof *grown);
        if (grown) {
            srv->counts = grown;
            srv->counts_cap = cap;
        }
    }
    if (i < srv->counts_cap) {
        if (i == srv->ncounts)
            srv->counts[srv->ncounts++] = (struct knob_count){key, 0};
        applies = ++srv->counts[i].count <= k->times;
    }
    pthread_mutex_unlock(&srv->lock);
    return applies;
}

/* ---- the reply's content ---- */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static long count_words(const char *s)
{
    long words = 0;
    for (bool in_word = false; *s; s++) {
        words += !is_space(*s) && !in_word;
        in_word = !is_space(*s);
    }
    return words;
}

static bool mentions_sentiment(const char *s)
{
    for (; *s; s++)
        if ((*s == 's' || *s == 'S') && strncasecmp(s, "sentiment", 9) == 0)
            return true;
    return false;
}

/* The sentiment rule of the header: a JSON object from FNV-1a of the user message. */
static void sentiment_content(const char *user, bool fence, char *out, size_t size)
{
    static const char *const labels[] = {"negative", "neutral", "positive"};
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, user, strlen(user));
    int label = (int)(h % 3);
    double score = label == 1 ? 0.0 : (double)((h >> 8) % 90 + 10) / 100.0;
    snprintf(out, size, "%s{\"label\": \"%s\", \"score\": %.2f}%s", fence ? "```json\n" : "",
             labels[label], label == 0 ? -score : score, fence ? "\n```" : "");
}

/* "SERVER SUMMARY: " and the first 40 code points of the user message's last line. */
static void summary_content(const char *user, char *out, size_t size)
{
    size_t end = strlen(user);
    while (end > 0 && (user[end - 1] == '\n' || user[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start > 0 && user[start - 1] != '\n')
        start--;
    size_t stop = start;
    for (int points = 0; stop < end; stop++) {
        bool continuation = ((unsigned char)user[stop] & 0xC0) == 0x80;
        if (!continuation && ++points > 40)
            break;
    }
    snprintf(out, size, "SERVER SUMMARY: %.*s", (int)(stop - start), user + start);
}

/* A parsed chat request: what its reply is computed from. */
struct chat {
    cJSON *body;
    struct knobs knobs;
    const char *last_user; /* inside body */
    bool sentiment;
    uint64_t key;       /* FNV-1a of the model and the messages, for times=K */
    char content[512];  /* the reply's content, cut to max_tokens tokens */
    size_t starts[512]; /* token i is content[starts[i] .. starts[i + 1]) */
    size_t tokens;
    const char *finish; /* "stop" or "length" */
};

/* Checks messages is [{"role": string, "content": string}...] with a user message; finds the
 * last user message, whether sentiment is asked, and the prompt's word count. */
static bool read_messages(struct chat *chat, struct exchange *x, char *error, size_t size)
{
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(chat->body, "messages"), *m;
    if (!cJSON_IsArray(messages)) {
        snprintf(error, size, "'messages' must be an array");
        return false;
    }
    chat->key = fnv1a(0xcbf29ce484222325ULL, x->model, strlen(x->model) + 1);
    cJSON_ArrayForEach(m, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsString(role) || !cJSON_IsString(content)) {
            snprintf(error, size, "each message needs a string 'role' and 'content'");
            return false;
        }
        x->prompt_tokens += count_words(content->valuestring);
        /* Each string with its NUL, so ("ab", "c") and ("a", "bc") differ. */
        chat->key = fnv1a(chat->key, role->valuestring, strlen(role->valuestring) + 1);
        chat->key = fnv1a(chat->key, content->valuestring, strlen(content->valuestring) + 1);
        bool user = strcmp(role->valuestring, "user") == 0;
        if (user)
            chat->last_user = content->valuestring;
        if ((user || strcmp(role->valuestring, "system") == 0) &&
            mentions_sentiment(content->valuestring))
            chat->sentiment = true;
    }
    if (!chat->last_user) {
        snprintf(error, size, "'messages' has no user message");
        return false;
    }
    return true;
}

/* Parses the body and the knobs into chat and x; false with a message in error for a request
 * to answer 400. */
static bool read_chat(struct server *srv, const struct request *req, struct chat *chat,
                      struct exchange *x, char *error, size_t size)
{
    const char *end = NULL;
    pthread_mutex_lock(&srv->parse_lock);
    chat->body = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
    pthread_mutex_unlock(&srv->parse_lock);
    const cJSON *body = chat->body, *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    x->model = cJSON_IsString(model) ? model->valuestring : NULL;
    x->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream"));
    x->include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(options, "include_usage"));
    x->has_response_format = cJSON_GetObjectItemCaseSensitive(body, "response_format") != NULL;
    x->max_tokens = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
    x->temperature = cJSON_GetObjectItemCaseSensitive(body, "temperature");
    x->seed = cJSON_GetObjectItemCaseSensitive(body, "seed");
    if (!cJSON_IsObject(body)) {
        snprintf(error, size, "the request body is not a JSON object");
        return false;
    }
    if (!x->model) {
        snprintf(error, size, "'model' must be a string");
        return false;
    }
    return parse_knobs(x->model, &chat->knobs, error, size) && read_messages(chat, x, error, size);
}

/* Sets the reply's content (bad_output: one without label and score) and its tokens (see the
 * header), cut to max_tokens. */
static void make_content(struct chat *chat, const struct exchange *x, bool bad_output)
{
    char *s = chat->content;
    size_t n = 0, i = 0, len;
    if (bad_output)
        snprintf(s, sizeof chat->content, "{\"mood\": \"unclear\"}");
    else if (chat->sentiment)
        sentiment_content(chat->last_user, chat->knobs.fence, s, sizeof chat->content);
    else
        summary_content(chat->last_user, s, sizeof chat->content);
    len = strlen(s);
    while (i < len) {
        chat->starts[n++] = i;
        while (i < len && is_space(s[i]) && n == 1)
            i++;
        while (i < len && !is_space(s[i]))
            i++;
        while (i < len && is_space(s[i]))
            i++;
    }
    chat->starts[n] = len;
    chat->tokens = n;
    chat->finish = "stop";
    if (cJSON_IsNumber(x->max_tokens) && x->max_tokens->valuedouble >= 1 &&
        x->max_tokens->valuedouble < (double)n) {
        chat->tokens = (size_t)x->max_tokens->valuedouble;
        s[chat->starts[chat->tokens]] = '\0';
        chat->finish = "length";
    }
}

static cJSON *reply_envelope(const char *model, const char *object, long seq)
{
    char id[48]; /* "chatcmpl-test-" and any long */
    snprintf(id, sizeof id, "chatcmpl-test-%ld", seq);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "object", object);
    cJSON_AddNumberToObject(root, "created", 0);
    cJSON_AddStringToObject(root, "model", model);
    return root;
}

static cJSON *add_usage(cJSON *root, const struct exchange *x)
{
    cJSON *usage = cJSON_AddObjectToObject(root, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", (double)x->prompt_tokens);
    cJSON_AddNumberToObject(usage, "completion_tokens", (double)x->completion_tokens);
    cJSON_AddNumberToObject(usage, "total_tokens",
                            (double)(x->prompt_tokens + x->completion_tokens));
    return root;
}

/* One choice in root's "choices"; content NULL for an empty delta. */
static cJSON *add_choice(cJSON *root, const char *field, const char *content, const char *finish)
{
    cJSON *choice = cJSON_CreateObject(), *message = cJSON_AddObjectToObject(choice, field);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "choices"), choice);
    cJSON_AddNumberToObject(choice, "index", 0);
    if (strcmp(field, "message") == 0)
        cJSON_AddStringToObject(message, "role", "assistant");
    if (content)
        cJSON_AddStringToObject(message, "content", content);
    if (finish)
        cJSON_AddStringToObject(choice, "finish_reason", finish);
    else
        cJSON_AddNullToObject(choice, "finish_reason");
    return root;
}

/* Prints and deletes root as an event (malformed: only its first half); false if not sent. */
static bool send_json_event(const struct conn *c, cJSON *root, bool malformed)
{
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text && malformed)
        text[strlen(text) / 2] = '\0';
    bool ok = text && send_event(c, text);
    free(text);
    return ok;
}

/* ---- answers: each sets x->status and x->outcome, and returns whether to keep the
 * connection ---- */

/* Waits, without reading, until the client closes the connection or the server stops. */
static bool answer_hang(const struct conn *c, struct exchange *x)
{
    char byte;
    for (;;) {
        if (wait_fd(c->srv, c->fd, POLLIN, -1) < 0) {
            x->outcome = "stopped";
            return false;
        }
        ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK);
        if (n == 0 || (n < 0 && errno != EINTR)) {
            x->outcome = "client-closed";
            return false;
        }
        if (n > 0 && !pause_ms(c->srv, 10)) { /* pipelined bytes, not a close: wait on */
            x->outcome = "stopped";
            return false;
        }
    }
}

static bool answer_error(const struct conn *c, const struct request *req, struct exchange *x,
                         long status, const char *message, const char *extra_headers)
{
    x->status = status;
    x->outcome = "error";
    return send_error(c, status, message, extra_headers, req->keep_alive) && req->keep_alive;
}

static bool answer_status_knob(const struct conn *c, const struct request *req, struct exchange *x,
                               const struct knobs *k)
{
    char headers[128] = "", message[128];
    if (k->retry_after_s >= 0)
        snprintf(headers, sizeof headers, "Retry-After: %ld\r\n", k->retry_after_s);
    if (k->retry_after_date_s >= 0) {
        time_t at = time(NULL) + k->retry_after_date_s;
        struct tm tm;
        gmtime_r(&at, &tm);
        strftime(headers, sizeof headers, "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    }
    snprintf(message, sizeof message, "test server: status=%ld knob in model", k->status);
    return answer_error(c, req, x, k->status, message, headers);
}

static bool answer_plain(const struct conn *c, const struct request *req, struct exchange *x,
                         const struct chat *chat)
{
    const struct knobs *k = &chat->knobs;
    long first = k->first_token_ms >= 0 ? k->first_token_ms : c->srv->opt.first_token_ms;
    long each = k->token_ms >= 0 ? k->token_ms : c->srv->opt.token_ms;
    /* As long as generating the tokens would take. */
    if (!pause_ms(c->srv, chat->tokens ? first + each * (long)(chat->tokens - 1) : 0)) {
        x->outcome = "stopped";
        return false;
    }
    x->completion_tokens = (long)chat->tokens;
    cJSON *root = reply_envelope(x->model, "chat.completion", x->seq);
    add_usage(add_choice(root, "message", chat->content, chat->finish), x);
    char *reply = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!reply)
        return answer_error(c, req, x, 500, "test server: out of memory", "");
    size_t missing = 0;
    if (k->malformed)
        reply[strlen(reply) / 2] = '\0'; /* half an object, with a true Content-Length */
    if (k->cut_short || k->stall) {
        missing = strlen(reply) / 2; /* half the body, and the length of all of it */
        reply[strlen(reply) - missing] = '\0';
    }
    x->status = 200;
    x->outcome = k->malformed    ? "malformed"
                 : k->cut_short  ? "cut-short"
                 : k->bad_output ? "bad-output"
                                 : "ok";
    bool sent = send_response(c, 200, "application/json", "", reply, req->keep_alive, missing);
    free(reply);
    if (sent && k->stall)
        return answer_hang(c, x);
    return sent && req->keep_alive && !k->cut_short;
}

static bool answer_stream(const struct conn *c, const struct request *req, struct exchange *x,
                          const struct chat *chat)
{
    const struct knobs *k = &chat->knobs;
    long first = k->first_token_ms >= 0 ? k->first_token_ms : c->srv->opt.first_token_ms;
    long each = k->token_ms >= 0 ? k->token_ms : c->srv->opt.token_ms;
    x->status = 200;
    x->outcome = "client-closed";
    if (!send_str(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"))
        return false;
    size_t tokens = k->cut_short ? chat->tokens / 2 : chat->tokens;
    if (k->stall && tokens > 1)
        tokens = 1;
    for (size_t i = 0; i < tokens; i++) {
        if (!pause_ms(c->srv, i == 0 ? first : each)) {
            x->outcome = "stopped";
            return false;
        }
        char token[sizeof chat->content];
        snprintf(token, sizeof token, "%.*s", (int)(chat->starts[i + 1] - chat->starts[i]),
                 chat->content + chat->starts[i]);
        cJSON *root = reply_envelope(x->model, "chat.completion.chunk", x->seq);
        if (!send_json_event(c, add_choice(root, "delta", token, NULL), k->malformed))
            return false;
        x->completion_tokens++;
    }
    if (k->cut_short) { /* the connection closes without the chunked body's last chunk */
        x->outcome = "cut-short";
        return false;
    }
    if (k->stall)
        return answer_hang(c, x);
    cJSON *finish = reply_envelope(x->model, "chat.completion.chunk", x->seq);
    if (!send_json_event(c, add_choice(finish, "delta", NULL, chat->finish), false))
        return false;
    if (x->include_usage) {
        cJSON *usage = reply_envelope(x->model, "chat.completion.chunk", x->seq);
        cJSON_AddArrayToObject(usage, "choices");
        if (!send_json_event(c, add_usage(usage, x), false))
            return false;
    }
    if (!send_event(c, "[DONE]") || !send_str(c, "0\r\n\r\n"))
        return false;
    x->outcome = k->malformed ? "malformed" : k->bad_output ? "bad-output" : "ok";
    return req->keep_alive;
}

/* A valid request: latency, then the knobs' behaviour or the reply. */
static bool answer_chat(const struct conn *c, const struct request *req, struct exchange *x,
                        struct chat *chat)
{
    struct knobs *k = &chat->knobs;
    if (!pause_ms(c->srv, k->latency_ms >= 0 ? k->latency_ms : c->srv->opt.latency_ms)) {
        x->outcome = "stopped";
        return false;
    }
    if (k->reject_response_format && x->has_response_format)
        return answer_error(c, req, x, 400, "response_format is not supported", "");
    bool failing = k->status || k->malformed || k->bad_output || k->cut_short || k->stall ||
                   k->reset || k->hang;
    if (failing && !failure_applies(c->srv, k, chat->key)) {
        k->status = 0;
        k->malformed = k->bad_output = k->cut_short = k->stall = k->reset = k->hang = false;
    }
    if (k->reset) {
        struct linger rst = {.l_onoff = 1, .l_linger = 0}; /* close() then sends a RST */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
        x->outcome = "reset";
        return false;
    }
    if (k->hang)
        return answer_hang(c, x);
    if (k->status && k->status != 200)
        return answer_status_knob(c, req, x, k);
    make_content(chat, x, k->bad_output);
    return x->stream ? answer_stream(c, req, x, chat) : answer_plain(c, req, x, chat);
}

/* ---- one chat request ---- */

static void take_slot(struct conn *c, struct exchange *x)
{
    struct server *srv = c->srv;
    pthread_mutex_lock(&srv->lock);
    srv->requests++;
    if (!c->carried_chat)
        srv->chat_connections++;
    c->carried_chat = true;
    x->seq = ++srv->seq;
    while (srv->opt.max_concurrent > 0 && srv->in_flight >= srv->opt.max_concurrent &&
           !srv->stopping)
        pthread_cond_wait(&srv->slot_free, &srv->lock);
    x->concurrent = ++srv->in_flight;
    if (srv->in_flight > srv->max_seen)
        srv->max_seen = srv->in_flight;
    pthread_mutex_unlock(&srv->lock);
    x->started_ms = now_ms(srv);
}

static void release_slot(struct server *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->in_flight--;
    pthread_cond_signal(&srv->slot_free);
    pthread_mutex_unlock(&srv->lock);
}

static void add_string_or_null(cJSON *object, const char *name, const char *value)
{
    cJSON_AddItemToObject(object, name, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

static void log_exchange(struct server *srv, const struct conn *c, const struct request *req,
                         const struct exchange *x)
{
    double finished = now_ms(srv);
    cJSON *line = cJSON_CreateObject();
    cJSON_AddNumberToObject(line, "seq", (double)x->seq);
    cJSON_AddNumberToObject(line, "conn", (double)c->id);
    cJSON_AddStringToObject(line, "method", req->method);
    cJSON_AddStringToObject(line, "path", req->path);
    add_string_or_null(line, "model", x->model);
    add_string_or_null(line, "authorization", req->authorization);
    cJSON_AddBoolToObject(line, "stream", x->stream);
    cJSON_AddBoolToObject(line, "has_response_format", x->has_response_format);
    const cJSON *given[] = {x->max_tokens, x->temperature, x->seed};
    const char *names[] = {"max_tokens", "temperature", "seed"};
    for (size_t i = 0; i < 3; i++)
        cJSON_AddItemToObject(line, names[i],
                              given[i] ? cJSON_Duplicate(given[i], 1) : cJSON_CreateNull());
    cJSON_AddNumberToObject(line, "status", (double)x->status);
    cJSON_AddStringToObject(line, "outcome", x->outcome);
    cJSON_AddNumberToObject(line, "prompt_tokens", (double)x->prompt_tokens);
    cJSON_AddNumberToObject(line, "completion_tokens", (double)x->completion_tokens);
    cJSON_AddNumberToObject(line, "received_ms", x->received_ms);
    cJSON_AddNumberToObject(line, "started_ms", x->started_ms);
    cJSON_AddNumberToObject(line, "finished_ms", finished);
    cJSON_AddNumberToObject(line, "concurrent", (double)x->concurrent);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    pthread_mutex_lock(&srv->lock);
    srv->last_activity_ms = finished;
    if (srv->log && text) {
        fprintf(srv->log, "%s\n", text);
        fflush(srv->log);
    }
    if (srv->raw) {
        fwrite(req->head, 1, req->head_len + req->body_len, srv->raw);
        fflush(srv->raw);
    }
    pthread_mutex_unlock(&srv->lock);
    free(text);
}

/* Answers one chat request, in its turn under --max-concurrent. Returns whether the connection
 * stays open. */
static bool serve_chat(struct conn *c, const struct request *req)
{
    struct exchange x = {.received_ms = now_ms(c->srv), .outcome = "error"};
    struct chat *chat = calloc(1, sizeof *chat);
    char error[512] = "";
    bool valid = chat && read_chat(c->srv, req, chat, &x, error, sizeof error);
    take_slot(c, &x);
    bool keep = valid   ? answer_chat(c, req, &x, chat)
                : !chat ? answer_error(c, req, &x, 500, "test server: out of memory", "")
                        : answer_error(c, req, &x, 400, error, "");
    release_slot(c->srv);
    log_exchange(c->srv, c, req, &x);
    if (chat)
        cJSON_Delete(chat->body);
    free(chat);
    return keep;
}

static bool serve_stats(struct conn *c, const struct request *req)
{
    struct server *srv = c->srv;
    pthread_mutex_lock(&srv->lock);
    char body[256];
    snprintf(body, sizeof body,
             "{\"requests\":%ld,\"connections\":%ld,\"max_concurrent\":%ld,\"in_flight\":%ld}",
             srv->requests, srv->chat_connections, srv->max_seen, srv->in_flight);
    pthread_mutex_unlock(&srv->lock);
    return send_response(c, 200, "application/json", "", body, req->keep_alive, 0) &&
           req->keep_alive;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static void *serve_connection(void *arg)
{
    struct conn *c = arg;
    struct request req = {0};
    bool keep = true;
    while (keep) {
        int r = read_request(c, &req);
        if (r <= 0)
            break;
        size_t path_len = strcspn(req.path, "?");
        if (strcmp(req.method, "GET") == 0 && strcmp(req.path, "/stats") == 0) {
            keep = serve_stats(c, &req);
        } else if (ends_with(req.path, path_len, "/chat/completions") &&
                   strcmp(req.method, "POST") == 0) {
            keep = serve_chat(c, &req);
        } else {
            bool known = ends_with(req.path, path_len, "/chat/completions");
            struct exchange x = {
                .received_ms = now_ms(c->srv), .outcome = "error", .status = known ? 405 : 404};
            x.started_ms = x.received_ms;
            keep =
                send_error(c, x.status, known ? "use POST" : "unknown path", "", req.keep_alive) &&
                req.keep_alive;
            log_exchange(c->srv, c, &req, &x);
        }
        consume_request(c, &req);
    }
    free(req.authorization);
    close(c->fd);
    c->fd = -1;
    pthread_mutex_lock(&c->srv->lock);
    c->finished = true;
    pthread_mutex_unlock(&c->srv->lock);
    return NULL;
}

/* ---- the main thread: accept, watch, stop ---- */

/* Joins and frees the connections whose threads have finished (all of them when `all`). */
static void reap_connections(struct server *srv, bool all)
{
    struct conn **link = &srv->conns;
    while (*link) {
        struct conn *c = *link;
        pthread_mutex_lock(&srv->lock);
        bool finished = c->finished;
        pthread_mutex_unlock(&srv->lock);
        if (!finished && !all) {
            link = &c->next;
            continue;
        }
        pthread_join(c->thread, NULL);
        *link = c->next;
        free(c->buf);
        free(c);
    }
}

static void accept_connection(struct server *srv, const pthread_attr_t *attr)
{
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    /* Replies are small writes a client waits for: no Nagle delay behind a delayed ACK. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_mutex_lock(&srv->lock);
    c->id = ++srv->connections;
    pthread_mutex_unlock(&srv->lock);
    c->srv = srv;
    c->fd = fd;
    int err = pthread_create(&c->thread, attr, serve_connection, c);
    if (err) {
        fprintf(stderr, "llm_server: pthread_create: %s\n", strerror(err));
        close(fd);
        free(c);
        return;
    }
    c->next = srv->conns;
    srv->conns = c;
}

static bool write_port_file(const char *path, int port)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return false;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

static int open_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

/* Accepts until a signal, stdin's EOF, the parent's death or the idle limit. */
static void run(struct server *srv, int signal_fd, pid_t parent)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    for (;;) {
        struct pollfd p[3] = {{.fd = srv->listen_fd, .events = POLLIN},
                              {.fd = signal_fd, .events = POLLIN},
                              {.fd = srv->opt.exit_on_stdin_eof ? 0 : -1, .events = POLLIN}};
        int n = poll(p, 3, 200);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && p[1].revents)
            break;
        if (n > 0 && p[2].revents) {
            char scratch[512];
            if (read(0, scratch, sizeof scratch) <= 0)
                break;
        }
        if (n > 0 && p[0].revents)
            accept_connection(srv, &attr);
        reap_connections(srv, false);
        if (!srv->opt.outlive_parent && getppid() != parent)
            break;
        if (srv->opt.watch_pid > 0 && kill((pid_t)srv->opt.watch_pid, 0) != 0 && errno == ESRCH)
            break;
        pthread_mutex_lock(&srv->lock);
        bool idle = srv->opt.idle_exit_s > 0 && srv->in_flight == 0 &&
                    now_ms(srv) - srv->last_activity_ms > (double)srv->opt.idle_exit_s * 1e3;
        pthread_mutex_unlock(&srv->lock);
        if (idle) {
            fprintf(stderr, "llm_server: idle for %ld s, exiting\n", srv->opt.idle_exit_s);
            break;
        }
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->slot_free);
    pthread_mutex_unlock(&srv->lock);
    close(srv->stop_pipe[1]); /* every poll on the read end wakes */
    srv->stop_pipe[1] = -1;
    reap_connections(srv, true);
}

static int usage(void)
{
    fprintf(stderr, "usage: llm_server --port-file FILE [--max-concurrent N] [--log FILE] "
                    "[--latency-ms N] [--first-token-ms N] [--token-ms N] [--idle-exit-s N] "
                    "[--exit-on-stdin-eof] [--outlive-parent] [--watch-pid PID]\n");
    return 2;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        struct {
            const char *name;
            long *value;
        } numbers[] = {{"--max-concurrent", &o->max_concurrent}, {"--latency-ms", &o->latency_ms},
                       {"--first-token-ms", &o->first_token_ms}, {"--token-ms", &o->token_ms},
                       {"--idle-exit-s", &o->idle_exit_s},       {"--watch-pid", &o->watch_pid}};
        bool known = false;
        for (size_t j = 0; j < sizeof numbers / sizeof numbers[0]; j++)
            if (strcmp(a, numbers[j].name) == 0) {
                if (i + 1 >= argc || !parse_number(argv[++i], numbers[j].value))
                    return false;
                known = true;
            }
        if (known)
            continue;
        if (strcmp(a, "--port-file") == 0 && i + 1 < argc)
            o->port_file = argv[++i];
        else if (strcmp(a, "--log") == 0 && i + 1 < argc)
            o->log_file = argv[++i];
        else if (strcmp(a, "--exit-on-stdin-eof") == 0)
            o->exit_on_stdin_eof = true;
        else if (strcmp(a, "--outlive-parent") == 0)
            o->outlive_parent = true;
        else
            return false;
    }
    return o->port_file && (!o->outlive_parent || o->idle_exit_s > 0 || o->watch_pid > 0);
}

int main(int argc, char **argv)
{
    struct server srv = {.listen_fd = -1, .stop_pipe = {-1, -1}};
    if (!parse_options(argc, argv, &srv.opt))
        return usage();
    pid_t parent = getppid();
    if (!srv.opt.outlive_parent && (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent))
        return 1;
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    /* Blocked before any thread starts, so they all inherit the mask: only signalfd sees them. */
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    clock_gettime(CLOCK_MONOTONIC, &srv.start);
    int port = 0, status = 1;
    srv.listen_fd = open_listener(&port);
    if (signal_fd < 0 || srv.listen_fd < 0 || pipe2(srv.stop_pipe, O_CLOEXEC) != 0) {
        perror("llm_server: start-up");
        goto out;
    }
    if (srv.opt.log_file) {
        char raw[PATH_MAX];
        snprintf(raw, sizeof raw, "%s.raw", srv.opt.log_file);
        srv.log = fopen(srv.opt.log_file, "a");
        srv.raw = fopen(raw, "ab");
        if (!srv.log || !srv.raw) {
            perror("llm_server: --log");
            goto out;
        }
    }
    pthread_mutex_init(&srv.lock, NULL);
    pthread_mutex_init(&srv.parse_lock, NULL);
    pthread_cond_init(&srv.slot_free, NULL);
    if (!write_port_file(srv.opt.port_file, port)) {
        perror("llm_server: --port-file");
    } else {
        run(&srv, signal_fd, parent);
        unlink(srv.opt.port_file);
        status = 0;
    }
    pthread_cond_destroy(&srv.slot_free);
    pthread_mutex_destroy(&srv.parse_lock);
    pthread_mutex_destroy(&srv.lock);
out:
    if (srv.log)
        fclose(srv.log);
    if (srv.raw)
        fclose(srv.raw);
    free(srv.counts);
    for (int i = 0; i < 2; i++)
        if (srv.stop_pipe[i] >= 0)
            close(srv.stop_pipe[i]);
    if (srv.listen_fd >= 0)
        close(srv.listen_fd);
    if (signal_fd >= 0)
        close(signal_fd);
    return status;
}

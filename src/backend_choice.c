/*
 * From options and environment to a backend (np/backend_choice.h). The key's bytes live in one
 * buffer here only until the backend has copied them into its request header; the buffer is
 * wiped before it is freed.
 */
#include "np/backend_choice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "np/backend_openai.h"
#include "np/exit.h"
#include "np/log.h"

/* The longest key file read; real keys are a few hundred bytes. */
#define KEY_FILE_MAX 16384

static const char *non_empty(const char *s)
{
    return s && *s ? s : NULL;
}

np_backend_target np_backend_target_of(const np_cli_options *opts)
{
    np_backend_target t = {.base_url = opts->base_url, .model = opts->model};
    if (!t.base_url)
        t.base_url = non_empty(getenv("NP_BASE_URL"));
    if (!t.model)
        t.model = non_empty(getenv("NP_MODEL"));
    return t;
}

int np_backend_check(const np_cli_options *opts, char *err, size_t err_size)
{
    if (strcmp(opts->backend, "openai") != 0)
        return 0;
    np_backend_target t = np_backend_target_of(opts);
    if (!t.base_url)
        return np_error_message(
            err, err_size, NP_EXIT_USAGE,
            "--backend openai needs the server's base URL: --base-url URL or NP_BASE_URL "
            "(e.g. http://127.0.0.1:8080/v1)");
    if (strncasecmp(t.base_url, "http://", 7) != 0 && strncasecmp(t.base_url, "https://", 8) != 0) {
        /* Checked here so that a call's "unsupported protocol" can only mean a reply that is
         * not HTTP (see the openai backend's failure messages). */
        snprintf(err, err_size,
                 "--base-url (or NP_BASE_URL) must start with http:// or https:// (e.g. "
                 "http://127.0.0.1:8080/v1)");
        return NP_EXIT_USAGE;
    }
    if (!t.model)
        return np_error_message(err, err_size, NP_EXIT_USAGE,
                                "--backend openai needs a model name: --model NAME or NP_MODEL");
    return 0;
}

static void wipe_free(char *s, size_t n)
{
    if (!s)
        return;
    volatile char *v = s;
    for (size_t i = 0; i < n; i++)
        v[i] = '\0';
    free(s);
}

/* The key in path's first line (surrounding whitespace dropped; blank lines before it skipped) into
 * *key (malloc'd, size in *key_size). Returns 0 or an exit status with err. */
static int read_key_file(const char *path, char **key, size_t *key_size, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, err_size, "cannot read the API key file %s: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR || e == EISDIR ? NP_EXIT_USAGE : NP_EXIT_FAILURE;
    }
    char *buf = malloc(KEY_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, KEY_FILE_MAX + 1, f) : 0;
    int failed = !buf || ferror(f);
    fclose(f);
    if (failed) {
        wipe_free(buf, KEY_FILE_MAX + 1);
        snprintf(err, err_size, "cannot read the API key file %s", path);
        return NP_EXIT_FAILURE;
    }
    if (n > KEY_FILE_MAX) {
        wipe_free(buf, KEY_FILE_MAX + 1);
        snprintf(err, err_size, "the API key file %s is too large to hold a key", path);
        return NP_EXIT_USAGE;
    }
    size_t start = 0, end = n;
    static const char blank[4] = {' ', '\t', '\n', '\r'};
    while (start < end && memchr(blank, buf[start], sizeof(blank)))
        start++;
    const char *newline = memchr(buf + start, '\n', end - start); /* the first line only */
    if (newline)
        end = (size_t)(newline - buf);
    while (end > start && memchr(blank, buf[end - 1], sizeof(blank)))
        end--;
    memmove(buf, buf + start, end - start);
    buf[end - start] = '\0';
    *key = buf;
    *key_size = KEY_FILE_MAX + 1;
    if (end == start)
        return np_error_message(err, err_size, NP_EXIT_USAGE, "the API key file %s holds no key",
                                path);
    return 0;
}

/* A key goes into a header line: one line of printable characters. */
static int key_is_printable(const char *key)
{
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 0;
    return 1;
}

int np_backend_choose(const np_cli_options *opts, np_backend **out, char *err, size_t err_size)
{
    *out = NULL;
    if (strcmp(opts->backend, "openai") != 0)
        return 0;
    int status = np_backend_check(opts, err, err_size);
    if (status)
        return status;
    np_backend_target t = np_backend_target_of(opts);
    char *key = NULL;
    size_t key_size = 0;
    if (opts->api_key_file) {
        status = read_key_file(opts->api_key_file, &key, &key_size, err, err_size);
    } else if (non_empty(getenv("OPENAI_API_KEY"))) {
        const char *from_env = getenv("OPENAI_API_KEY");
        key = from_env ? strdup(from_env) : NULL;
        key_size = key ? strlen(key) : 0;
        if (!key) {
            snprintf(err, err_size, "out of memory");
            status = NP_EXIT_FAILURE;
        }
    }
    if (!status && opts->cacert && access(opts->cacert, R_OK) != 0) {
        int e = errno;
        snprintf(err, err_size, "cannot read the CA file %s: %s", opts->cacert, strerror(e));
        status = e == ENOENT || e == ENOTDIR ? NP_EXIT_USAGE : NP_EXIT_FAILURE;
    }
    if (!status && key && !key_is_printable(key)) {
        snprintf(err, err_size, "the API key (%s) has control characters: it must be one line",
                 opts->api_key_file ? opts->api_key_file : "OPENAI_API_KEY");
        status = NP_EXIT_USAGE;
    }
    if (!status) {
        np_openai_options o = {.base_url = t.base_url,
                               .model = t.model,
                               .api_key = key,
                               .cacert = opts->cacert,
                               .temperature = opts->temperature,
                               .seed = opts->seed,
                               .stream = opts->stream};
        memcpy(o.max_tokens, opts->max_tokens, sizeof(o.max_tokens));
        *out = np_backend_openai_create(&o, err, err_size);
        if (!*out)
            status = NP_EXIT_FAILURE;
    }
    wipe_free(key, key_size);
    return status;
}

void np_backend_choice_free(np_backend *backend)
{
    np_backend_openai_destroy(backend);
}

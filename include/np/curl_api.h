/*
 * libcurl, loaded at run time by the openai backend alone.
 *
 * Linking libcurl would load it and the ~30 libraries it needs (TLS, HTTP/2, IDN, LDAP, ...)
 * into every run, which costs each process ~6 ms of start-up (measured: an empty program linked
 * with libcurl vs without, 50 runs each) -- more than a whole smoke run of the simulator, which
 * never makes a request. So the backend dlopen()s libcurl when it is created, and calls it
 * through this table; the types and constants still come from <curl/curl.h>.
 */
#ifndef NP_CURL_API_H
#define NP_CURL_API_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

typedef struct np_curl_api {
    void *library; /* the dlopen handle; NULL when not loaded */
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
    void (*easy_cleanup)(CURL *easy);
    CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_perform)(CURLM *multi, int *running);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *queued);
    CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd extra[], unsigned extra_count,
                            int timeout_ms, int *ready);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *share, CURLSHoption option, ...);
    CURLSHcode (*share_cleanup)(CURLSH *share);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} np_curl_api;

/*
 * Loads libcurl (libcurl.so.4, else the GnuTLS build's libcurl-gnutls.so.4) and fills *api.
 * Returns 0, or -1 with a message in err (what is missing, and the Debian package to install).
 */
int np_curl_api_load(np_curl_api *api, char *err, size_t err_size);

/* Unloads what np_curl_api_load loaded; a zeroed or unloaded table is left alone. */
void np_curl_api_unload(np_curl_api *api);

#endif

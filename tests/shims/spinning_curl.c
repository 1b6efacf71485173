/*
 * A test stand-in for libcurl, built as libcurl.so.4 and found by the program's dlopen through
 * LD_LIBRARY_PATH: every transfer spins. curl_multi_perform reports the transfer still running
 * and moves nothing, curl_multi_poll returns at once -- what Debian 12's libcurl 7.88 does after
 * OpenSSL was refused memory inside SSL_read. The rest does just enough for the backend to set
 * itself up and tear down: handles are small allocations, options are accepted, and getinfo
 * answers zero.
 */
/* The real definitions below, not curl.h's type-checking macros of the same names. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

CURLcode curl_global_init(long flags)
{
    (void)flags;
    return CURLE_OK;
}

void curl_global_cleanup(void)
{
}

CURL *curl_easy_init(void)
{
    return malloc(1);
}

CURLcode curl_easy_setopt(CURL *easy, CURLoption option, ...)
{
    (void)easy;
    (void)option;
    return CURLE_OK;
}

void curl_easy_cleanup(CURL *easy)
{
    free(easy);
}

CURLcode curl_easy_getinfo(CURL *easy, CURLINFO info, ...)
{
    (void)easy;
    va_list ap;
    va_start(ap, info);
    switch (info & CURLINFO_TYPEMASK) {
    case CURLINFO_LONG:
        *va_arg(ap, long *) = 0;
        break;
    case CURLINFO_OFF_T:
        *va_arg(ap, curl_off_t *) = 0;
        break;
    case CURLINFO_DOUBLE:
        *va_arg(ap, double *) = 0;
        break;
    default:
        *va_arg(ap, void **) = NULL;
        break;
    }
    va_end(ap);
    return CURLE_OK;
}

CURLM *curl_multi_init(void)
{
    return malloc(1);
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *easy)
{
    (void)multi;
    (void)easy;
    return CURLM_OK;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *easy)
{
    (void)multi;
    (void)easy;
    return CURLM_OK;
}

CURLMcode curl_multi_perform(CURLM *multi, int *running)
{
    (void)multi;
    *running = 1;
    return CURLM_OK;
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *queued)
{
    (void)multi;
    *queued = 0;
    return NULL;
}

CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd extra[], unsigned extra_count,
                          int timeout_ms, int *ready)
{
    (void)multi;
    (void)extra;
    (void)extra_count;
    (void)timeout_ms;
    if (ready)
        *ready = 1;
    return CURLM_OK;
}

CURLMcode curl_multi_cleanup(CURLM *multi)
{
    free(multi);
    return CURLM_OK;
}

CURLSH *curl_share_init(void)
{
    return malloc(1);
}

CURLSHcode curl_share_setopt(CURLSH *share, CURLSHoption option, ...)
{
    (void)share;
    (void)option;
    return CURLSHE_OK;
}

CURLSHcode curl_share_cleanup(CURLSH *share)
{
    free(share);
    return CURLSHE_OK;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *text)
{
    struct curl_slist *item = malloc(sizeof(*item));
    if (!item)
        return NULL;
    item->data = strdup(text);
    item->next = NULL;
    if (!item->data) {
        free(item);
        return NULL;
    }
    if (!list)
        return item;
    struct curl_slist *last = list;
    while (last->next)
        last = last->next;
    last->next = item;
    return list;
}

void curl_slist_free_all(struct curl_slist *list)
{
    while (list) {
        struct curl_slist *next = list->next;
        free(list->data);
        free(list);
        list = next;
    }
}

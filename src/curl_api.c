/*
 * libcurl through dlopen (np/curl_api.h). Each symbol is looked up once, at load; a libcurl
 * too old to have one (curl_multi_poll came in 7.66.0) is refused with its name.
 */
#include "np/curl_api.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "np/log.h"

/* Stores dlsym's void * into a function pointer: POSIX guarantees the conversion works, ISO C
 * does not allow it to be written as a cast, so it goes through memcpy. */
static int resolve(void *library, const char *name, void *slot, size_t slot_size, char *err,
                   size_t err_size)
{
    void *symbol = dlsym(library, name);
    if (!symbol)
        return np_error_message(err, err_size, -1,
                                "libcurl has no %s (--backend openai needs libcurl >= 7.66.0)",
                                name);
    memcpy(slot, &symbol, slot_size);
    return 0;
}

#define RESOLVE(field, name)                                                                       \
    resolve(api->library, name, (void *)&api->field, sizeof(api->field), err, err_size)

int np_curl_api_load(np_curl_api *api, char *err, size_t err_size)
{
    memset(api, 0, sizeof(*api));
    api->library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!api->library)
        api->library = dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!api->library)
        return np_error_message(
            err, err_size, -1, "--backend openai needs libcurl (Debian: apt-get install libcurl4)");
    if (RESOLVE(global_init, "curl_global_init") ||
        RESOLVE(global_cleanup, "curl_global_cleanup") || RESOLVE(easy_init, "curl_easy_init") ||
        RESOLVE(easy_setopt, "curl_easy_setopt") || RESOLVE(easy_cleanup, "curl_easy_cleanup") ||
        RESOLVE(easy_getinfo, "curl_easy_getinfo") || RESOLVE(multi_init, "curl_multi_init") ||
        RESOLVE(multi_add_handle, "curl_multi_add_handle") ||
        RESOLVE(multi_remove_handle, "curl_multi_remove_handle") ||
        RESOLVE(multi_perform, "curl_multi_perform") ||
        RESOLVE(multi_info_read, "curl_multi_info_read") ||
        RESOLVE(multi_poll, "curl_multi_poll") || RESOLVE(multi_cleanup, "curl_multi_cleanup") ||
        RESOLVE(share_init, "curl_share_init") || RESOLVE(share_setopt, "curl_share_setopt") ||
        RESOLVE(share_cleanup, "curl_share_cleanup") ||
        RESOLVE(slist_append, "curl_slist_append") ||
        RESOLVE(slist_free_all, "curl_slist_free_all")) {
        np_curl_api_unload(api);
        return -1;
    }
    return 0;
}

void np_curl_api_unload(np_curl_api *api)
{
    if (api->library)
        dlclose(api->library);
    memset(api, 0, sizeof(*api));
}

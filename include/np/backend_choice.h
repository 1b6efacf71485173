/*
 * Choosing the backend from the command line and the environment: --backend, then for openai
 * --base-url / NP_BASE_URL, --model / NP_MODEL, and the API key from --api-key-file or
 * OPENAI_API_KEY (never from the command line). The key is read here and handed to the backend;
 * no message here or anywhere else quotes it.
 *
 * Call on the main thread, before any other thread uses the backend.
 */
#ifndef NP_BACKEND_CHOICE_H
#define NP_BACKEND_CHOICE_H

#include <stddef.h>

#include "np/backend.h"
#include "np/cli.h"

/* The base URL and model the options name, the environment filling what they do not. */
typedef struct np_backend_target {
    const char *base_url;
    const char *model;
} np_backend_target;

np_backend_target np_backend_target_of(const np_cli_options *opts);

/*
 * Checks what can be checked without reading files: an openai backend needs a base URL and a
 * model. Returns 0, or NP_EXIT_USAGE with a message in err.
 */
int np_backend_check(const np_cli_options *opts, char *err, size_t err_size);

/*
 * Sets up the backend opts names in *out: NULL for the simulator (np_process_config's default),
 * else a backend to free with np_backend_choice_free. Returns 0, or an exit status (NP_EXIT_USAGE
 * for what the user gave wrong: a key file that cannot be read or holds no key; NP_EXIT_FAILURE
 * for the environment) with a message in err.
 */
int np_backend_choose(const np_cli_options *opts, np_backend **out, char *err, size_t err_size);

void np_backend_choice_free(np_backend *backend);

#endif

/*
 * The names of the backend interface's enumerations (np/backend.h).
 */
#include "np/backend.h"

static const char *const cause_names[NP_CAUSE_COUNT] = {
    [NP_CAUSE_TIMEOUT] = "timeout",
    [NP_CAUSE_TRANSIENT] = "transient",
    [NP_CAUSE_RATE_LIMITED] = "rate_limited",
    [NP_CAUSE_CONNECTION] = "connection",
    [NP_CAUSE_INVALID_OUTPUT] = "invalid_output",
};

const char *np_retry_cause_name(np_retry_cause cause)
{
    return cause >= 0 && cause < NP_CAUSE_COUNT ? cause_names[cause] : "?";
}

static const char *const http_version_names[NP_HTTP_VERSION_COUNT] = {
    [NP_HTTP_NONE] = "", [NP_HTTP_1_0] = "1.0", [NP_HTTP_1_1] = "1.1",
    [NP_HTTP_2] = "2",   [NP_HTTP_3] = "3",
};

const char *np_http_version_name(np_http_version version)
{
    return version >= 0 && version < NP_HTTP_VERSION_COUNT ? http_version_names[version] : "";
}

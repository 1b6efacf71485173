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

/* Results own their summary; this is the one place that frees it. */
#include "np/result.h"

#include <stdlib.h>

void np_result_clear(np_result *result)
{
    free(result->summary);
    result->summary = NULL;
    result->summary_len = 0;
}

const char *np_status_name(np_status status)
{
    static const char *const names[NP_STATUS_COUNT] = {
        [NP_STATUS_OK] = "ok",
        [NP_STATUS_FAILED] = "failed",
        [NP_STATUS_CANCELLED] = "cancelled",
    };
    return status < NP_STATUS_COUNT ? names[status] : "unknown";
}

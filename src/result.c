/* Results own their summary; this is the one place that frees it. */
#include "np/result.h"

#include <stdlib.h>

void np_result_note_retry(np_result *result, np_stage stage, uint32_t attempt, long long start_ns)
{
    if (attempt == 0)
        return;
    uint32_t slot = attempt - 1 < NP_RETRY_MARKS - 1 ? attempt - 1 : NP_RETRY_MARKS - 1;
    long long after_us = (start_ns - result->stage_start_ns[stage]) / 1000;
    result->retry_at_us[stage][slot] = after_us >= 0 && after_us < (long long)NP_RETRY_AT_UNKNOWN
                                           ? (uint32_t)after_us
                                           : NP_RETRY_AT_UNKNOWN;
}

size_t np_result_retry_marks(const np_result *result, np_stage stage,
                             long long at_ns[NP_RETRY_MARKS], uint32_t attempt[NP_RETRY_MARKS],
                             uint32_t *unmarked)
{
    uint32_t retries = result->attempts[stage] > 0 ? result->attempts[stage] - 1 : 0;
    uint32_t kept = retries < NP_RETRY_MARKS ? retries : NP_RETRY_MARKS;
    size_t count = 0;
    for (uint32_t slot = 0; slot < kept; slot++) {
        uint32_t us = result->retry_at_us[stage][slot];
        if (us == NP_RETRY_AT_UNKNOWN)
            continue;
        at_ns[count] = result->stage_start_ns[stage] + (long long)us * 1000;
        attempt[count] = slot == NP_RETRY_MARKS - 1 ? retries : slot + 1;
        count++;
    }
    *unmarked = retries - (uint32_t)count;
    return count;
}

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

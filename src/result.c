/* Results own their summary; this is the one place that frees it. */
#include "np/result.h"

#include <stdlib.h>

void np_result_clear(np_result *result)
{
    free(result->summary);
    result->summary = NULL;
    result->summary_len = 0;
}

/* Helpers over run records shared by the trace and timeline writers. */
#include "np/run.h"

#include <stdlib.h>

static int compare_keys(const void *a, const void *b)
{
    const np_time_key *x = a;
    const np_time_key *y = b;
    int x_missing = x->ns == 0;
    int y_missing = y->ns == 0;
    if (x_missing != y_missing)
        return x_missing - y_missing;
    if (x->ns != y->ns)
        return x->ns < y->ns ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

void np_time_keys_sort(np_time_key *keys, size_t n)
{
    if (n > 1)
        qsort(keys, n, sizeof(*keys), compare_keys);
}

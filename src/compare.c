/* Placeholder until the compare subcommand lands: refuses clearly instead of misbehaving. */
#include "np/compare.h"

int np_compare_main(int argc, char **argv, FILE *out, FILE *err)
{
    (void)argc;
    (void)argv;
    (void)out;
    fputs("news-processor: compare: not available in this build\n", err);
    return 2;
}

/*
 * `news-processor compare BASE.json NEW.json`: compares two timing reports (see np/report.h and
 * docs/report.md), benchstat-style.
 */
#ifndef NP_COMPARE_H
#define NP_COMPARE_H

#include <stdio.h>

/*
 * Runs the compare subcommand. argv[0] is "compare"; the rest are its arguments. Writes the
 * comparison to out and messages ("news-processor: ...") to err. Returns the exit status:
 * 0 no regression, 1 NEW's wall time regressed beyond the threshold, 2 usage error or a file
 * that cannot be read, is not a report, or has an unknown schema version.
 */
int np_compare_main(int argc, char **argv, FILE *out, FILE *err);

#endif

/*
 * Help text layout shared by the commands' --help: options in a left column, their descriptions
 * word-wrapped in a right one.
 */
#ifndef NP_HELP_H
#define NP_HELP_H

#include <stdio.h>

/* Prints text word-wrapped to width columns, continuation lines indented by indent spaces. */
void np_help_print_wrapped(FILE *out, const char *text, int indent, int width);

/*
 * Prints one option line: "  -k, --long ARG" (key < 256 gives the short form) padded to column,
 * then help wrapped at 79 columns.
 */
void np_help_print_option(FILE *out, int key, const char *long_name, const char *arg_name,
                          const char *help, int column);

#endif

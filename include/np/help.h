/*
 * Help text layout shared by the commands' --help: options in a left column, their descriptions
 * word-wrapped in a right one.
 */
#ifndef NP_HELP_H
#define NP_HELP_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* One command-line option: the single table that drives both parsing and --help. */
typedef struct np_option {
    const char *long_name;
    int key;              /* the short option letter, or a value >= 256 for long-only options */
    int flagged;          /* a command-specific mark (the main command: accepted only by bench) */
    const char *arg_name; /* NULL for flags */
    const char *help;
} np_option;

/*
 * Prints the options that are flagged (flagged != 0) or not (0), in table order, one a line:
 * "  -k, --long ARG" (key < 256 gives the short form) padded to column, then help wrapped at 79.
 */
void np_help_print_options(FILE *out, const np_option *options, size_t count, int flagged,
                           int column);

/*
 * Reports what getopt_long returned key (':' or '?') for, as the subcommand command ("compare")
 * says it: "news-processor: COMMAND: option '--x' requires an argument", or an unknown option
 * and where to look. argv is what getopt_long was given.
 */
void np_help_option_error(FILE *err, const char *command, int key, char **argv);

/*
 * Builds getopt_long's tables from options[0..count), leaving out flagged options unless
 * include_flagged: long_options needs count + 1 entries, short_options 2 * count + 2 bytes (it
 * starts with ':', so a missing argument is reported as ':'); and resets getopt (opterr 0: the
 * caller reports errors).
 */
void np_help_getopt_tables(const np_option *options, size_t count, int include_flagged,
                           struct option *long_options, char *short_options);

#endif

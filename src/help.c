/* Help text layout: one implementation for every command's --help. */
#include "np/help.h"

#include <string.h>

/* Prints text word-wrapped to width columns, continuation lines indented by indent spaces. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    int column = indent;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (column > indent && column + 1 + (int)word > width) {
            fprintf(out, "\n%*s", indent, "");
            column = indent;
        } else if (column > indent) {
            fputc(' ', out);
            column++;
        }
        fwrite(text, 1, word, out);
        column += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

void np_help_print_options(FILE *out, const np_option *options, size_t count, int flagged,
                           int column)
{
    for (size_t i = 0; i < count; i++) {
        const np_option *o = &options[i];
        if (!o->flagged != !flagged)
            continue;
        char left[64];
        char short_part[8] = "    ";
        if (o->key > 0 && o->key < 256)
            snprintf(short_part, sizeof(short_part), "-%c, ", o->key);
        snprintf(left, sizeof(left), "%s--%s%s%s", short_part, o->long_name, o->arg_name ? " " : "",
                 o->arg_name ? o->arg_name : "");
        fprintf(out, "  %-*s ", column - 3, left);
        print_wrapped(out, o->help, column, 79);
    }
}

void np_help_option_error(FILE *err, const char *command, int key, char **argv)
{
    const char *word = argv[optind - 1];
    if (key == ':')
        fprintf(err, "news-processor: %s: option '%s' requires an argument\n", command, word);
    else if (optopt > 0 && optopt < 256)
        fprintf(err, "news-processor: %s: unknown option '-%c' (see 'news-processor %s --help')\n",
                command, optopt, command);
    else
        fprintf(err, "news-processor: %s: unknown option '%s' (see 'news-processor %s --help')\n",
                command, word, command);
}

void np_help_getopt_tables(const np_option *options, size_t count, int include_flagged,
                           struct option *long_options, char *short_options)
{
    opterr = 0;
    optind = 0; /* GNU: 0 re-initializes getopt, so parsing can run more than once (tests) */
    size_t long_count = 0, short_len = 0;
    short_options[short_len++] = ':';
    for (size_t i = 0; i < count; i++) {
        const np_option *o = &options[i];
        if (o->flagged && !include_flagged)
            continue;
        long_options[long_count++] = (struct option){
            o->long_name, o->arg_name ? required_argument : no_argument, NULL, o->key};
        if (o->key < 256) {
            short_options[short_len++] = (char)o->key;
            if (o->arg_name)
                short_options[short_len++] = ':';
        }
    }
    short_options[short_len] = '\0';
    long_options[long_count] = (struct option){NULL, 0, NULL, 0};
}

/* Help text layout: one implementation for every command's --help. */
#include "np/help.h"

#include <string.h>

void np_help_print_wrapped(FILE *out, const char *text, int indent, int width)
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

void np_help_print_option(FILE *out, int key, const char *long_name, const char *arg_name,
                          const char *help, int column)
{
    char left[64];
    char short_part[8] = "    ";
    if (key > 0 && key < 256)
        snprintf(short_part, sizeof(short_part), "-%c, ", key);
    snprintf(left, sizeof(left), "%s--%s%s%s", short_part, long_name, arg_name ? " " : "",
             arg_name ? arg_name : "");
    fprintf(out, "  %-*s ", column - 3, left);
    np_help_print_wrapped(out, help, column, 79);
}

void np_help_print_options(FILE *out, const np_option *options, size_t count, int flagged,
                           int column)
{
    for (size_t i = 0; i < count; i++)
        if (!options[i].flagged == !flagged)
            np_help_print_option(out, options[i].key, options[i].long_name, options[i].arg_name,
                                 options[i].help, column);
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

size_t np_help_getopt_tables(const np_option *options, size_t count, int include_flagged,
                             struct option *long_options, char *short_options)
{
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
    return long_count;
}

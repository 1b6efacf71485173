/*
 * news-processor: load articles, run the pipeline, write the results.
 *
 * main is the one level that knows the exit status: modules return errors with a message, and
 * this file prints each once, prefixed with the program name, and chooses the status (np/exit.h).
 * Output is written only after processing succeeded, so stdout never holds half a document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np/atomic_file.h"
#include "np/cli.h"
#include "np/compare.h"
#include "np/exit.h"
#include "np/loader.h"
#include "np/output.h"
#include "np/pipeline.h"

#ifndef NP_VERSION
#define NP_VERSION "0.0.0-dev"
#endif

static void report_error(const char *fmt, const char *detail)
{
    fprintf(stderr, "%s: ", NP_PROGRAM_NAME);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
}

/* Writes the results to opts->output_path (atomically) or stdout. Returns 0 or -1 (reported). */
static int write_results(const np_cli_options *opts, np_atomic_file *file,
                         const np_article_list *articles, const np_result *results,
                         const np_run_info *run)
{
    if (file->stream) {
        if (np_output_write_json(file->stream, articles, results, run) != 0) {
            report_error("cannot write the output: %s", strerror(errno));
            np_atomic_file_abort(file);
            return -1;
        }
        if (np_atomic_file_commit(file) != 0) {
            char detail[512];
            snprintf(detail, sizeof(detail), "%s: %s", opts->output_path, strerror(errno));
            report_error("cannot write %s", detail);
            return -1;
        }
        return 0;
    }
    /* A full disk or a closed pipe shows up here, not at the fprintf calls: check it. */
    if (np_output_write_json(stdout, articles, results, run) != 0 || fclose(stdout) != 0) {
        report_error("cannot write to standard output: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "compare") == 0) {
        int status = np_compare_main(argc - 1, argv + 1, stdout, stderr);
        if (fclose(stdout) != 0 && status == 0)
            status = NP_EXIT_FAILURE;
        return status;
    }
    np_cli_options opts;
    char err[1024];
    if (np_cli_parse(argc, argv, &opts, err, sizeof(err)) != 0) {
        report_error("%s", err);
        fprintf(stderr, "Try '%s --help' for more information.\n", NP_PROGRAM_NAME);
        return NP_EXIT_USAGE;
    }
    if (opts.show_help) {
        np_cli_print_help(stdout);
        return fclose(stdout) == 0 ? NP_EXIT_OK : NP_EXIT_FAILURE;
    }
    if (opts.show_version) {
        printf("%s %s\n", NP_PROGRAM_NAME, NP_VERSION);
        return fclose(stdout) == 0 ? NP_EXIT_OK : NP_EXIT_FAILURE;
    }
    np_log log = {.stream = stderr, .level = opts.log_level};

    np_article_list articles;
    if (np_loader_load_file(opts.input_path, &articles, err, sizeof(err)) != 0) {
        report_error("%s", err);
        return NP_EXIT_USAGE;
    }

    /* Open the output before the (possibly long) run, so an unwritable path fails at once. */
    np_atomic_file file = {0};
    if (opts.output_path && np_atomic_file_open(&file, opts.output_path) != 0) {
        snprintf(err, sizeof(err), "%s: %s", opts.output_path, strerror(errno));
        report_error("cannot create the output file %s", err);
        np_article_list_free(&articles);
        return NP_EXIT_USAGE;
    }

    int status = NP_EXIT_OK;
    np_result *results = calloc(articles.count ? articles.count : 1, sizeof(*results));
    np_pipeline_config config = {
        .process = {.seed = opts.seed,
                    .latency_min_ms = opts.latency_min_ms,
                    .latency_max_ms = opts.latency_max_ms,
                    .log = &log},
        .queue_capacity = opts.queue_capacity,
    };
    np_run_stats stats;
    if (!results) {
        report_error("%s", "out of memory");
        status = NP_EXIT_FAILURE;
    } else if (np_pipeline_run(&articles, &config, results, &stats, err, sizeof(err)) != 0) {
        report_error("%s", err);
        status = NP_EXIT_FAILURE;
    } else {
        np_run_info run = {.seed = opts.seed,
                           .latency_min_ms = opts.latency_min_ms,
                           .latency_max_ms = opts.latency_max_ms,
                           .queue_capacity = opts.queue_capacity,
                           .wall_ns = stats.wall_ns,
                           .critical_path_ms = stats.critical_path_ms};
        if (write_results(&opts, &file, &articles, results, &run) != 0)
            status = NP_EXIT_FAILURE;
        else
            np_log_line(&log, NP_LOG_NORMAL,
                        "Processed %zu article%s in %.3f s (critical path %.3f s)", articles.count,
                        articles.count == 1 ? "" : "s", (double)stats.wall_ns / 1e9,
                        (double)stats.critical_path_ms / 1e3);
    }
    if (status != NP_EXIT_OK && file.stream)
        np_atomic_file_abort(&file);

    for (size_t i = 0; results && i < articles.count; i++)
        np_result_clear(&results[i]);
    free(results);
    np_article_list_free(&articles);
    return status;
}

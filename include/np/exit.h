/*
 * Exit statuses of news-processor: the one place they are defined.
 * They are part of the command-line contract and documented in --help and the README.
 */
#ifndef NP_EXIT_H
#define NP_EXIT_H

typedef enum np_exit {
    NP_EXIT_OK = 0,         /* every article processed, output written */
    NP_EXIT_FAILURE = 1,    /* the environment failed: an article failed, memory, permissions,
                               reading the input or writing an output; compare: NEW regressed */
    NP_EXIT_USAGE = 2,      /* what the user gave is wrong: the command line, a path that names
                               no usable file, the input's content */
    NP_EXIT_DEADLINE = 124, /* --deadline-ms passed: cancelled, output written (as timeout(1)) */
    NP_EXIT_SIGHUP = 129,   /* cancelled by SIGHUP, output written (128 + 1) */
    NP_EXIT_SIGINT = 130,   /* cancelled by SIGINT, output written (128 + 2) */
    NP_EXIT_SIGPIPE = 141, /* standard output was a closed pipe: the run ended quietly (128 + 13) */
    NP_EXIT_SIGTERM = 143, /* cancelled by SIGTERM, output written (128 + 15) */
} np_exit;

#endif

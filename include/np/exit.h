/*
 * Exit statuses of news-processor: the one place they are defined.
 * They are part of the command-line contract and documented in --help and the README.
 */
#ifndef NP_EXIT_H
#define NP_EXIT_H

typedef enum np_exit {
    NP_EXIT_OK = 0,      /* every article processed, output written */
    NP_EXIT_FAILURE = 1, /* a runtime failure: a thread could not start, output not written */
    NP_EXIT_USAGE = 2,   /* bad command line or bad input: nothing written to stdout */
} np_exit;

#endif

/*
 * The live progress line on stderr: bar, done/total, elapsed, ETA. Shown only when stderr is a
 * terminal, not quiet, and the run has lasted more than a second; redrawn at most 10 times a
 * second; cleared at the end. Updated only by the collector (one thread), finished by main after
 * the collector is joined, so it needs no lock.
 */
#ifndef NP_PROGRESS_H
#define NP_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef struct np_progress {
    FILE *stream;
    int enabled;
    long long start_ns;
    long long last_draw_ns;
    int drawn; /* something is on the line and must be cleared */
    /* Set by the caller after init when known: */
    size_t total; /* articles the run will have (JSON input, after sharding); 0: a stream */
    double rate;  /* --rate, stage calls per second; 0: unlimited */
} np_progress;

/* Prepares the progress line; enabled only if stream is a terminal and enabled is non-zero.
 * The ETA is the time left at the pace so far, or, under a rate limit, at that rate (two stage
 * calls an article), whichever is later. */
void np_progress_init(np_progress *progress, FILE *stream, int enabled);

/* The pipeline's progress callback (context is an np_progress). */
void np_progress_update(void *context, size_t done, size_t dispatched, int input_finished);

/* Clears the line if anything was drawn. */
void np_progress_finish(np_progress *progress);

#endif

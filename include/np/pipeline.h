/*
 * The pipeline: articles from a source are scheduled (one thread per article, a worker pool, or
 * inline), each runs both stages, and every result goes to one collector, the only code that
 * stores results.
 *
 *   source --dispatcher--> [ thread per article | pool workers | inline ]
 *          --push--> [ bounded results queue ] --pop--> collector --> results / NDJSON lines
 *
 * The mode only decides how work is scheduled: the stages, the queue, the collector and the
 * output are the same in every mode, so the same input and seed give the same results.
 */
#ifndef NP_PIPELINE_H
#define NP_PIPELINE_H

#include <stddef.h>
#include <stdio.h>

#include "np/article.h"
#include "np/log.h"
#include "np/process.h"
#include "np/result.h"
#include "np/source.h"

/*
 * The stack of each article or worker thread. The stages need a few KiB (the deepest frame is the
 * summarizer's ~4 KiB buffer); 64 KiB leaves a wide margin and keeps thread creation cheap (fewer
 * pages to map and clear, and glibc's stack cache reuses more of them). Sanitizer builds
 * instrument every frame and need far more. Threads get np_thread_stack_size() of it: never
 * below the platform's minimum (128 KiB on aarch64 and ppc64le).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NP_THREAD_STACK_SIZE ((size_t)1024 * 1024)
#else
#define NP_THREAD_STACK_SIZE ((size_t)64 * 1024)
#endif

/* The thread stack for a backend that makes HTTP calls: libcurl, OpenSSL's handshake and
 * getaddrinfo take tens of KiB of stack; sanitizers again far more. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NP_HTTP_THREAD_STACK_SIZE ((size_t)4 * 1024 * 1024)
#else
#define NP_HTTP_THREAD_STACK_SIZE ((size_t)512 * 1024)
#endif

/* The default number of pool workers when stages wait (see the README: they wait, they do not
 * compute, so a worker is idle nearly all the time). */
#define NP_DEFAULT_WORKERS 64

/* The results queue's default capacity when stages wait, and when they cannot (see
 * np_pipeline_default_queue_capacity). */
#define NP_DEFAULT_QUEUE_CAPACITY 4096
#define NP_BULK_QUEUE_CAPACITY    1024

/* Thread mode has a second dispatcher only when an address-space limit (ulimit -v), if any,
 * leaves this much beyond what the process has mapped: three of glibc's 64 MiB malloc arenas,
 * one of which the second dispatcher's thread takes (src/pipeline.c). */
#define NP_SECOND_DISPATCHER_HEADROOM ((uint64_t)192 * 1024 * 1024)

typedef enum np_mode { NP_MODE_THREAD, NP_MODE_POOL, NP_MODE_SEQUENTIAL, NP_MODE_COUNT } np_mode;

/* "thread", "pool" or "sequential". */
const char *np_mode_name(np_mode mode);

/*
 * The default number of pool workers for stages configured as process: NP_DEFAULT_WORKERS when a
 * stage call can wait (np_process_can_wait), else the number of CPUs this process may run on
 * (its affinity mask): without waits an article is pure computation, and more workers than cores
 * only add switching.
 */
size_t np_pipeline_default_workers(const np_process_config *process);

/*
 * The default capacity of the results queue for stages configured as process:
 * NP_DEFAULT_QUEUE_CAPACITY when a stage call can wait; else NP_BULK_QUEUE_CAPACITY: results then
 * come in a flood, and the room lets the collector wake once per few hundred of them
 * (np/collector.h) rather than once per worker's hand-over.
 * Why 4,096 when stages wait: in thread mode thousands of article threads can finish within a
 * few milliseconds, and a queue that fills makes them block, each then woken and re-taking the
 * queue's mutex, and a herd on that mutex can starve the collector for tens of milliseconds,
 * which fills the queue again. With 16 places, nearly every 10,000-article run at 100:300 fell
 * into it: ~40,000-50,000 futex calls against ~2,500 with 4,096 places (bench/thread_floor.sh
 * and the README's "where the time goes"). The bound still holds a slow collector back (a
 * reader of --format ndjson that stops reading): at most 4,096 results, ~1.6 MB, wait in it.
 */
size_t np_pipeline_default_queue_capacity(const np_process_config *process);

typedef struct np_pipeline_config {
    np_process_config process;
    np_mode mode;
    size_t workers;        /* pool mode: worker threads (>= 1) */
    size_t queue_capacity; /* results queue capacity (>= 1) */
    size_t stack_size;     /* thread stack in bytes; 0 means NP_THREAD_STACK_SIZE */
    size_t shard_index;    /* process only articles whose index % shard_count == shard_index */
    size_t shard_count;    /* 0 or 1: no sharding */
    /* Thread mode: dispatch from the calling thread alone, never from two (np/dispatcher.h), so
     * articles are dispatched, and their memory allocated, strictly in input order. */
    int one_dispatcher;
    /*
     * When set, the collector writes each result to this stream as one NDJSON line as soon as it
     * arrives, flushes it, and keeps nothing; otherwise results are kept for the caller.
     */
    FILE *stream_out;
    /* Called by the collector after each result (and once at the end with done == total). */
    void (*progress)(void *context, size_t done, size_t dispatched, int input_finished);
    void *progress_context;
    const np_log *log; /* warnings (e.g. refused threads) */
} np_pipeline_config;

/* The results a run kept (not in streaming mode), in input order. */
typedef struct np_pipeline_results {
    np_result *results;
    np_article *articles; /* copies of the article structs; strings point into the source's data */
    void **owned;         /* streamed articles' memory, freed with the results */
    size_t count;
} np_pipeline_results;

typedef struct np_run_stats {
    long long start_ns;        /* monotonic time the run began */
    long long wall_ns;         /* from the start to the collector's end */
    uint64_t critical_path_ms; /* the ideal wall time for this mode's schedule */
    size_t dispatched;         /* articles handed to the scheduler (after sharding) */
    size_t dispatchers;        /* threads that dispatched them: 2 in thread mode over an in-memory
                                  input on two usable CPUs or more, unless an address-space
                                  limit leaves less than NP_SECOND_DISPATCHER_HEADROOM (1 if
                                  the second could not start) */
    size_t collected;          /* results the collector received */
    size_t status_count[NP_STATUS_COUNT];
    size_t threads_started; /* article or worker threads started */
    size_t peak_threads;    /* most of them alive at once */
    size_t refused_threads; /* times the system refused a thread (thread mode retries) */
    size_t inline_articles; /* articles run on the dispatcher because no thread could start */
    size_t memory_retries;  /* times memory was refused, a running article finished (or an idle
                               worker was retired), and the dispatcher tried again */
    size_t retired_workers; /* pool mode: idle workers stopped to give back their stacks */
    size_t queue_max_depth;
    long long producer_wait_ns;  /* total time producers were blocked on a full results queue */
    long long collector_wait_ns; /* total time the collector waited for results */
    int output_errno;            /* streaming output: the first write error, or 0 */
} np_run_stats;

/*
 * Processes every article of source. Memory pressure slows a run down rather than failing
 * articles: the dispatcher allocates what an article needs before handing it on (article threads
 * and workers never allocate), and when memory (or, in thread mode, a thread) is refused it waits
 * until an article in flight finishes -- or, in pool mode, retires an idle worker -- and tries
 * again. An article fails with "out of memory" only when nothing is in flight, nothing can be
 * retired, and memory is still refused (np/dispatcher.h). Returns 0 when the input was read to its
 * end, 1 when the source reported an error (err holds it; the articles read before it were
 * processed and are in *out or were streamed), or -1 on a fatal error (err holds it; nothing is
 * kept). In every case every started thread has been joined. The caller frees *out with
 * np_pipeline_results_free.
 */
int np_pipeline_run(np_source *source, const np_pipeline_config *config, np_pipeline_results *out,
                    np_run_stats *stats, char *err, size_t err_size);

void np_pipeline_results_free(np_pipeline_results *out);

#endif

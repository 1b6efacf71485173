/*
 * The result of processing one article: what the stages computed, how it went, and when each
 * step happened.
 *
 * A result is filled by the thread that processed the article, then moved by value through the
 * queue to the collector, which alone stores it into the results array (stamping received_ns and
 * completed). The summary string moves with it: whoever holds the result owns the summary.
 * All *_ns times are CLOCK_MONOTONIC nanoseconds (np_clock_now_ns); 0 means "did not happen".
 */
#ifndef NP_RESULT_H
#define NP_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "np/backend.h"
#include "np/llm.h"
#include "np/sentiment.h"
#include "np/token_gaps.h"

typedef enum np_status {
    NP_STATUS_OK,        /* both stages succeeded */
    NP_STATUS_FAILED,    /* a stage failed after its retries */
    NP_STATUS_CANCELLED, /* the run was cancelled (signal or deadline) before it finished */
    NP_STATUS_COUNT
} np_status;

/* "ok", "failed" or "cancelled". */
const char *np_status_name(np_status status);

/*
 * How many retries of a stage the result places in time: the first NP_RETRY_MARKS - 1 and the
 * latest (the last slot is overwritten by each later retry). --retries allows 100, but a fixed
 * few keep the result small: it moves by value through the queue.
 */
enum { NP_RETRY_MARKS = 4 };

/* A retry_at_us slot that holds no time: the retry began too long after its stage's start. */
#define NP_RETRY_AT_UNKNOWN UINT32_MAX

typedef struct np_result {
    size_t index; /* the article's position in the input, from 0 */
    np_status status;
    const char *error; /* static message when status != OK, else NULL */
    char *summary;     /* malloc'd, NUL-terminated; NULL when not computed */
    size_t summary_len;
    np_sentiment sentiment;
    uint32_t latency_ms[NP_STAGE_COUNT]; /* simulated latency of each stage's last attempt */
    uint32_t attempts[NP_STAGE_COUNT];   /* calls made per stage (0 = stage never started) */
    uint64_t ideal_ms;                   /* sum of all attempts' latencies and backoff waits */
    /* What a server said about each stage's last attempt (all 0 for the simulator). */
    uint32_t tokens_in[NP_STAGE_COUNT];  /* prompt tokens, as the server counted them */
    uint32_t tokens_out[NP_STAGE_COUNT]; /* completion tokens */
    uint16_t http_status[NP_STAGE_COUNT];
    uint16_t retries[NP_CAUSE_COUNT];         /* retries of either stage, by why the call failed */
    uint8_t http_version[NP_STAGE_COUNT];     /* an np_http_version: the reply's protocol */
    long long first_token_ns[NP_STAGE_COUNT]; /* streamed: the first token came; 0 = not streamed */
    /* The inter-token gaps of each stage's last attempt, summarised (np/token_gaps.h). */
    np_gap_summary token_gaps[NP_STAGE_COUNT];
    /* When each kept retry began, in µs after stage_start_ns (np_result_note_retry). */
    uint32_t retry_at_us[NP_STAGE_COUNT][NP_RETRY_MARKS];
    long long started_ns;                       /* the article's work began */
    long long stage_start_ns[NP_STAGE_COUNT];   /* the stage's first attempt began */
    long long attempt_start_ns[NP_STAGE_COUNT]; /* its last attempt began: TTFT counts from here */
    long long stage_end_ns[NP_STAGE_COUNT];
    long long finished_ns;   /* both stages done (or gave up); the push began here */
    long long queue_wait_ns; /* finished_ns to received_ns: blocked pushing, then queued */
    long long failed_ns;     /* time spent in attempts that failed or timed out */
    long long backoff_ns;    /* time spent waiting between retries */
    long long rate_wait_ns;  /* time spent waiting for a rate-limit token */
    long long slot_wait_ns;  /* time spent waiting for an in-flight slot (--max-inflight) */
    long long tpm_wait_ns;   /* time spent waiting for tokens (--tpm) */
    long long received_ns;   /* the collector took it (stamped by the collector) */
    size_t completed;        /* 1-based order of arrival at the collector; 0 = never arrived */
} np_result;

/*
 * Notes that attempt (1 = the first retry) of stage began at start_ns: kept in slot attempt - 1
 * while that is below NP_RETRY_MARKS - 1, else in the last slot (the latest retry wins).
 */
void np_result_note_retry(np_result *result, np_stage stage, uint32_t attempt, long long start_ns);

/*
 * The retries of stage the result placed: fills at_ns[k] and attempt[k] (the 0-based attempt
 * index, so the first retry is 1) for each, in time order, and returns how many (at most
 * NP_RETRY_MARKS); *unmarked gets the number of retries that have no time.
 */
size_t np_result_retry_marks(const np_result *result, np_stage stage,
                             long long at_ns[NP_RETRY_MARKS], uint32_t attempt[NP_RETRY_MARKS],
                             uint32_t *unmarked);

/* Frees what a result owns (its summary) and marks it empty. */
void np_result_clear(np_result *result);

#endif

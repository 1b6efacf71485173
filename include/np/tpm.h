/*
 * `--tpm N`: at most N tokens per minute across all threads, the other limit LLM providers
 * enforce. A token bucket of capacity N refilled continuously at N/60 tokens per second.
 *
 * Before a call the caller reserves the call's estimated tokens and is told how long to wait for
 * them; the wait happens outside the lock, in cancellable sleeps. After the call it corrects the
 * bucket by what the call really used (the server's `usage`, or the simulator's counts): a call
 * that used less than estimated gives the difference back, one that used more takes it.
 * Reservations may drive the bucket below zero: tokens promised to callers already waiting, so
 * callers become ready in reservation order. A waiting caller asks again (np_tpm_wait_left) part
 * way through its wait: tokens given back meanwhile by finished calls shorten it, so generous
 * estimates (a --max-tokens far above the replies) slow a run down only while they are out.
 * A call estimated above N tokens is not refused: it waits until the bucket has refilled to pay
 * for it (longer than a minute), so the bound N per minute holds on average.
 *
 * The clock is a parameter (now_ns, CLOCK_MONOTONIC nanoseconds), so tests drive it by hand.
 * Thread-safe; no global state.
 */
#ifndef NP_TPM_H
#define NP_TPM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* The largest --tpm. */
#define NP_TPM_MAX 1000000000ULL

/* What the estimate adds for a stage's prompt template (the instructions around the text). */
#define NP_TPM_TEMPLATE_TOKENS 40u

/* The estimated completion of a stage call without --max-tokens: a 200-code-point summary is at
 * most about 64 tokens; the sentiment JSON object about 16. */
#define NP_TPM_SUMMARY_TOKENS   64u
#define NP_TPM_SENTIMENT_TOKENS 16u

typedef struct np_tpm {
    pthread_mutex_t mutex;
    double capacity;     /* N */
    double per_ns;       /* N / 60 s, in tokens per nanosecond */
    double tokens;       /* may go negative: promised to waiting callers */
    long long last_ns;   /* when tokens was last refilled */
    uint64_t reserved;   /* total tokens reserved (tickets count it), for the report */
    int64_t corrections; /* total of the corrections (actual - estimate) */
} np_tpm;

/* A full bucket of tokens_per_minute (>= 1) tokens at time now_ns. Returns 0 or an error number. */
int np_tpm_init(np_tpm *tpm, uint64_t tokens_per_minute, long long now_ns);

void np_tpm_destroy(np_tpm *tpm);

/*
 * The documented estimate of a call's tokens: (text_bytes + 3) / 4 for the prompt (about four
 * bytes a token for English text; text_bytes = title + content), plus NP_TPM_TEMPLATE_TOKENS,
 * plus completion_tokens (the --max-tokens of the stage, or NP_TPM_SUMMARY_TOKENS /
 * NP_TPM_SENTIMENT_TOKENS).
 */
uint64_t np_tpm_prompt_tokens(size_t text_bytes);

/* Takes tokens at time now_ns; returns how many nanoseconds the caller must wait before its call
 * may begin (0 = now), and its place in line in *ticket, for np_tpm_wait_left. */
long long np_tpm_reserve(np_tpm *tpm, uint64_t tokens, long long now_ns, uint64_t *ticket);

/* How long the caller holding ticket must still wait at time now_ns (0 = it may begin): the time
 * until the bucket, less what was reserved after the caller, is no longer negative. */
long long np_tpm_wait_left(np_tpm *tpm, uint64_t ticket, long long now_ns);

/* After a call that reserved `estimated`: the call used `actual` tokens (in + out). A call that
 * never began (cancelled while waiting, rejected) passes actual = 0 and gets its tokens back. */
void np_tpm_correct(np_tpm *tpm, uint64_t estimated, uint64_t actual);

#endif

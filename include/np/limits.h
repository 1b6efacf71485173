/*
 * The limits around one stage call, shared by every backend: the circuit breaker (--breaker),
 * requests per second (--rate), tokens per minute (--tpm) and the in-flight slots
 * (--max-inflight). process.c brackets each call with np_limits_enter and np_limits_leave;
 * everything about the four limits lives here.
 *
 * Order on entry: the breaker first (a rejection costs nothing: no --rate token, no --tpm tokens,
 * no slot, no wait), then a --rate token and the --tpm tokens (cancellable sleeps), then a slot (a
 * cancellable wait), so a call holds a slot only while it is really in flight. The waits are
 * added to the result (rate_wait_ns, tpm_wait_ns, slot_wait_ns).
 * Thread-safe as the limits are; the gate is the caller's, one per call.
 */
#ifndef NP_LIMITS_H
#define NP_LIMITS_H

#include <stdint.h>

#include "np/process.h"

typedef enum np_gate_verdict {
    NP_GATE_GO,        /* make the call, then np_limits_leave */
    NP_GATE_REJECTED,  /* the circuit is open: fail the call at once ("circuit open"), no retry */
    NP_GATE_CANCELLED, /* the run was cancelled while waiting: nothing is held */
} np_gate_verdict;

/* What a call holds between enter and leave. */
typedef struct np_call_gate {
    np_breaker_verdict breaker;
    uint64_t estimated_tokens; /* reserved from --tpm (0 without it) */
    int slot;                  /* an in-flight slot is held */
} np_call_gate;

/* Before a call of stage for article: see above. On NP_GATE_GO, np_limits_leave must follow. */
np_gate_verdict np_limits_enter(const np_process_config *config, const np_article *article,
                                np_stage stage, np_call_gate *gate, np_result *result);

/* After the call: gives the slot back, tells the breaker how the call ended, and corrects the
 * tokens by tokens_used (in + out, as the server or simulator counted them). tokens_used 0 means
 * unknown (a failed call, a reply without `usage`): the estimate then stands, since a server may
 * well have spent the tokens. */
void np_limits_leave(const np_process_config *config, np_call_gate *gate,
                     np_breaker_outcome outcome, uint64_t tokens_used);

#endif

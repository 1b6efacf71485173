#!/usr/bin/env bash
# The limits shared by all calls (--max-inflight, --breaker, --tpm), measured at a real HTTP
# server (tests/llm_server): the server counts what was in flight, what was asked and when.
#   bash limits_openai.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT LLM_SERVER
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"
export LLM_SERVER=$4
source "$(dirname "${BASH_SOURCE[0]}")/../llm_server/lib.sh"
unset OPENAI_API_KEY NP_BASE_URL NP_MODEL
"$gen" --seed 2 20 >"$work/twenty.json"

# --- --max-inflight: the server never has more than N of our requests at once ---------------
llm_server_start "$work/a" --latency-ms 50
"$np" -q --backend openai --base-url "$llm_url" --model limited --max-inflight 3 \
    --report "$work/a.json" "$work/twenty.json" >"$work/a_out.json"
check "--max-inflight 3: all 40 requests made" test "$(llm_stats requests)" -eq 40
check "--max-inflight 3: at most 3 at once at the server" test "$(llm_stats max_concurrent)" -eq 3
check "--max-inflight 3: no request saw more than 3 in flight" jq -s -e 'map(.concurrent) | max <= 3' "$llm_log"
check "--max-inflight 3: the report's peak and slot waits" jq -e '.runs[0].limits.inflight.peak == 3 and .runs[0].limits.inflight.slot_wait_ms > 0' "$work/a.json"
llm_server_stop
llm_server_start "$work/b" --latency-ms 50
"$np" -q --backend openai --base-url "$llm_url" --model free "$work/twenty.json" >/dev/null
check "without the limit the server sees more at once (the check can fail)" test "$(llm_stats max_concurrent)" -gt 3
llm_server_stop

# --- --breaker: after N failed calls the server sees no more requests until the cool-down ----
llm_server_start "$work/c" --latency-ms 20
status_of "$np" -q --backend openai --base-url "$llm_url" --model "down+status=500" --mode sequential \
    --retries 2 --breaker 3:3600000 --rate 50 --report "$work/c.json" "$work/twenty.json" >"$work/c_out.json"
check "--breaker 3: exit 1 (articles failed)" test "$status" -eq 1
check "--breaker 3: the server got exactly the 3 calls that opened it" test "$(llm_stats requests)" -eq 3
check "--breaker 3: the other 19 articles were rejected" jq -e '[.articles[1:][].error] | length == 19 and all(. == "circuit open")' "$work/c_out.json"
check "--breaker 3: counted in the report" jq -e '.runs[0].limits.breaker.opens == 1 and .runs[0].limits.breaker.rejected_calls == 19' "$work/c.json"
check "--breaker 3 with --rate: a --rate token for each of the 3 requests, none for the rejected" jq -e '.runs[0].limits.rate.granted == 3' "$work/c.json"
check "--breaker 3: the ideal holds only the calls made (overhead >= 0.95: the ideal is whole ms)" jq -e '.runs[0].overhead >= 0.95 and .runs[0].critical_path_ms >= 60' "$work/c.json"
llm_server_stop
# A trial that succeeds closes it: the server fails each message's first request (times=1), so
# every call opens the breaker (N = 1) and its retry, after a cool-down of 0, is the trial that
# succeeds and closes it again.
llm_server_start "$work/d"
status_of "$np" -q --backend openai --base-url "$llm_url" --model "flaky+status=503+times=1" --mode sequential \
    --retries 1 --breaker 1:0 --report "$work/d.json" --trace "$work/d_trace.json" "$work/twenty.json" >/dev/null
check "--breaker 1:0 with flaky calls: every article ok" test "$status" -eq 0
check "--breaker 1:0: 40 openings, each followed by a trial that closed it" jq -e '.runs[0].limits.breaker | .opens == 40 and .half_opens == 40 and .closes == 40 and .rejected_calls == 0' "$work/d.json"
check "--breaker: the trace marks each change" jq -e '[.traceEvents[] | select(.cat == "breaker") | .args.state] as $s | ($s | length) == 120 and ([range(0; 120; 3) | $s[.:. + 3]] | all(. == ["open", "half-open", "closed"]))' "$work/d_trace.json"
llm_server_stop

# --- --tpm: the server's request times bound what the run used -------------------------------
# The run uses A tokens (the usage the server returned, summed from the report); with --tpm N
# just below A, the last request cannot be received before (A - N) / (N / 60) s: each call's
# estimate (bytes / 4 + 40, plus --max-tokens) is at least what the server counts, so the
# bucket never lends more than it has.
llm_server_start "$work/e"
"$np" -q --backend openai --base-url "$llm_url" --model count --report "$work/e_free.json" "$work/twenty.json" >/dev/null
used=$(jq '[.runs[0].articles_detail[].stages[] | .tokens_in + .tokens_out] | add' "$work/e_free.json")
estimated=$(jq '[.[] | ((((.title + .content) | utf8bytelength) + 3) / 4 | floor) + 40] | add * 2 + 20 * (256 + 64)' "$work/twenty.json")
check "the estimates cover the usage ($estimated >= $used)" test "$estimated" -ge "$used"
tpm=$((used * 100 / 106))
: >"$llm_log"
"$np" -q --backend openai --base-url "$llm_url" --model count --tpm "$tpm" --report "$work/e.json" "$work/twenty.json" >/dev/null
check "--tpm: the last request came at least 80% of (used - N) / (N/60) after the first" jq -s -e --argjson u "$used" --argjson n "$tpm" \
    '(map(.received_ms) | max - min) >= 0.8 * ($u - $n) / ($n / 60) * 1000' "$llm_log"
check "--tpm: corrected by the server's usage" jq -e --argjson u "$used" --argjson e "$estimated" '.runs[0].limits.tpm.reserved == $e and .runs[0].limits.tpm.corrected == $u - $e' "$work/e.json"
llm_server_stop
done_ok

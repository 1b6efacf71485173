# --breaker N:COOLDOWN_MS with the simulator's faults: the breaker opens after N consecutive
# failed calls, then rejects calls at once ("circuit open", no retry); after the cool-down one
# trial goes through, and its outcome closes or re-opens it. Shown in -v, the trace and the report.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 3 20 >"$work/in.json"
# Every call fails: the first article's three attempts open the breaker; with an hour's cool-down
# every later article is rejected at once.
status_of "$np" -v --no-progress --mode sequential --latency 10 --fail-rate 1 --breaker 3:3600000 \
    --report "$work/r.json" --trace "$work/t.json" "$work/in.json" >"$work/out.json" 2>"$work/err"
check "failed articles: exit 1" test "$status" -eq 1
check "the first article failed by its own calls" jq -e '.articles[0].error == "summarization failed: transient error, retries exhausted"' "$work/out.json"
check "the other 19 were rejected" jq -e '[.articles[1:][].error] | length == 19 and all(. == "circuit open")' "$work/out.json"
check "rejected calls are not attempts and take no time" jq -e '[.runs[0].articles_detail[1:][] | .stages.summarization.attempts == 0 and .end_ms - .start_ms < 50] | all' "$work/r.json"
check "the report counts one opening and 19 rejections" jq -e '.runs[0].limits.breaker == {failures: 3, cooldown_ms: 3600000, opens: 1, half_opens: 0, closes: 0, rejected_calls: 19}' "$work/r.json"
check "-v logs the opening" grep -q "circuit breaker open (consecutive calls failed)" "$work/err"
check "-v logs the rejections" test "$(grep -c 'summarization rejected: circuit open' "$work/err")" -eq 19
check "the trace marks the opening" jq -e '[.traceEvents[] | select(.ph == "i" and .cat == "breaker") | .name] == ["circuit open"]' "$work/t.json"
# Rejected calls cost nothing: no --rate token (the breaker is asked first) and no time in the
# ideal, so the critical path holds only the calls made and the overhead (wall / ideal) is >= 1.
status_of "$np" -q --mode sequential --latency 50 --fail-rate 1 --retries 0 --rate 20 \
    --breaker 2:3600000 --report "$work/rr.json" "$work/in.json" >"$work/rr_out.json"
check "--rate with --breaker: 2 calls made, 18 rejected" jq -e --slurpfile out "$work/rr_out.json" \
    '.runs[0].limits.breaker.rejected_calls == 18 and ([$out[0].articles[] | select(.error == "circuit open")] | length) == 18' "$work/rr.json"
check "--rate with --breaker: tokens went only to the 2 calls made" \
    jq -e '.runs[0].limits.rate == {per_second: 20, granted: 2, wait_ms: .runs[0].limits.rate.wait_ms}' "$work/rr.json"
check "--rate with --breaker: the ideal is the 2 calls' latencies, nothing for the rejected" \
    jq -e '.runs[0] | .critical_path_ms == ([.articles_detail[].stages.summarization | select(.attempts > 0) | .simulated_ms] | add) and .critical_path_ms <= 100' "$work/rr.json"
check "--rate with --breaker: overhead (wall / ideal) is at least 1" jq -e '.runs[0].overhead >= 1' "$work/rr.json"
# Without the breaker, every article makes its three attempts.
status_of "$np" -q --mode sequential --latency 0 --fail-rate 1 --report "$work/n.json" "$work/in.json" >/dev/null
check "without a breaker nothing is rejected" jq -e '[.runs[0].articles_detail[].stages.summarization.attempts] | all(. == 3)' "$work/n.json"
# A cool-down of 0: after an opening the next call is the trial. Some trials succeed (closing),
# some fail (re-opening): the states follow one another as the breaker allows.
status_of "$np" -q --mode sequential --latency 0 --fail-rate 0.6 --retries 0 --breaker 2:0 \
    --report "$work/c.json" --trace "$work/ct.json" "$work/in.json" >/dev/null
check "it opened, half-opened and closed again" jq -e '.runs[0].limits.breaker | .opens >= 2 and .half_opens >= 2 and .closes >= 1' "$work/c.json"
check "trace: each half-open follows an open, each close a half-open" jq -e '[.traceEvents[] | select(.cat == "breaker") | .args.state] as $s | [range(1; $s | length) | select(($s[.] == "half-open" and $s[. - 1] != "open") or ($s[.] == "closed" and $s[. - 1] != "half-open") or ($s[.] == "open" and $s[. - 1] == "open"))] | length == 0 and ($s | length) >= 5' "$work/ct.json"
# Thread mode: many calls at once; still a clean run with rejections counted.
status_of "$np" -q --latency 5:20 --fail-rate 1 --retries 1 --breaker 3:3600000 --report "$work/t2.json" "$work/in.json" >"$work/t2_out.json"
check "thread mode: rejections counted as their articles say" jq -e --slurpfile out "$work/t2_out.json" '.runs[0].limits.breaker.rejected_calls == ([$out[0].articles[] | select(.error == "circuit open")] | length) and .runs[0].limits.breaker.rejected_calls > 0' "$work/t2.json"
done_ok

# Faults: with --fail-rate 0.3 and no retries some articles fail (exit 1, each with an error,
# every article still present); with 12 retries they all recover (exit 0). Timeouts give up.
# The trace marks every retry where it began (with more than NP_RETRY_MARKS = 4, the first three
# and the last, the rest counted).
source "$(dirname "$0")/lib.sh"
"$gen" --seed 2 200 >"$work/in.json"
set +e
"$np" -q --latency 0 --fail-rate 0.3 --retries 0 --seed 11 "$work/in.json" >"$work/r0.json"
status=$?
set -e
check "failures exit 1" test "$status" = 1
check "every article present" test "$(jq '.articles | length' "$work/r0.json")" = 200
failed=$(jq '[.articles[] | select(.status == "failed")] | length' "$work/r0.json")
# P(article fails) = 1 - 0.7^2 = 0.51: 200 articles give about 102.
check "about half failed ($failed)" test "$failed" -gt 70 -a "$failed" -lt 135
check "failed ones carry an error and no sentiment" jq -e '[.articles[] | select(.status == "failed")] | all(.error != null and .sentiment == null)' "$work/r0.json"
check "run counts match" jq -e ".run.status.failed == $failed and .run.status.ok == 200 - $failed" "$work/r0.json"
# Same seed, same failures.
"$np" -q --latency 0 --fail-rate 0.3 --retries 0 --seed 11 "$work/in.json" >"$work/r0b.json" || true
check "failures are reproducible" cmp -s <(jq -c '[.articles[] | [.id, .status]]' "$work/r0.json") <(jq -c '[.articles[] | [.id, .status]]' "$work/r0b.json")
"$np" -q --latency 0 --fail-rate 0.3 --retries 12 --seed 11 "$work/in.json" >"$work/r12.json"
check "12 retries recover every article" jq -e '.run.status.ok == 200 and ([.articles[].attempts.summarization] | max) > 1' "$work/r12.json"
check "the first attempts fail exactly where they did without retries" jq -e --slurpfile r0 "$work/r0.json" '[.articles[] | .attempts.summarization > 1] as $retried | [$r0[0].articles[] | .status == "failed" and .summary == null] as $failed_first | [range(0; 200) | select($failed_first[.] and ($retried[.] | not))] | length == 0' "$work/r12.json"
# --- the trace marks each retry ------------------------------------------------------------------
# Per stage event: its retry marks (same id and stage) are attempts - 1, numbered 2..attempts, in
# strictly increasing time, inside the stage's slice (a call lasts at least 2 ms here).
marks_ok='[.traceEvents[] | select(.ph == "X" and .cat == "stage")] as $stages |
    [.traceEvents[] | select(.ph == "i" and .name == "retry")] as $retries |
    [$stages[] | . as $s |
     [$retries[] | select(.args.id == $s.args.id and .args.stage == $s.name)] as $m |
     select(($m | length) != $s.args.attempts - 1 or
         [$m[].args.attempt] != [range(2; $s.args.attempts + 1)] or
         [$m[].ts] != ([$m[].ts] | unique) or
         any($m[]; .ts <= $s.ts or .ts > $s.ts + $s.dur + 0.002))] | length == 0'
"$gen" --seed 3 40 >"$work/forty.json"
"$np" -q --latency 2:6 --fail-rate 0.5 --retries 3 --seed 5 --trace "$work/rt.json" \
    "$work/forty.json" >"$work/rt.out.json" || true
retried=$(jq '[.articles[].attempts | .summarization, .sentiment | select(. > 1) | . - 1] | add' \
    "$work/rt.out.json")
check "the trace has one retry mark per retry ($retried retries, some stage retried 3 times)" \
    test "$(jq '[.traceEvents[] | select(.ph == "i" and .name == "retry")] | length' \
        "$work/rt.json")" = "$retried" -a "$(jq '[.articles[].attempts[]] | max' \
        "$work/rt.out.json")" = 4
check "each stage's retry marks: attempts 2.., in time order, inside the stage" \
    jq -e "$marks_ok" "$work/rt.json"
# Up to 8 retries: stages with more than 4 keep retries 1-3 and the last, and count the others.
"$np" -q --latency 1:2 --fail-rate 0.8 --retries 8 --seed 5 --trace "$work/rt8.json" \
    "$work/forty.json" >/dev/null || true
check "more than 4 retries: the first three and the last are marked, the rest counted" \
    jq -e '[.traceEvents[] | select(.ph == "X" and .cat == "stage")] as $stages |
        [.traceEvents[] | select(.ph == "i" and .name == "retry")] as $retries |
        ([$stages[] | select(.args.attempts > 5)] | length) > 0 and
        ([$stages[] | . as $s |
          [$retries[] | select(.args.id == $s.args.id and .args.stage == $s.name)] as $m |
          (if $s.args.attempts > 5 then [2, 3, 4, $s.args.attempts] else
              [range(2; $s.args.attempts + 1)] end) as $want |
          select([$m[].args.attempt] != $want or
              ($s.args.retries_unmarked // 0) != ([$s.args.attempts - 5, 0] | max) or
              [$m[].ts] != ([$m[].ts] | unique))] | length == 0)' "$work/rt8.json"
set +e
"$np" -q --latency 50:50 --timeout-ms 20 --retries 1 "$repo/data/articles.json" >"$work/timeout.json"
status=$?
set -e
check "timeouts exit 1" test "$status" = 1
check "timed out articles say so" jq -e 'all(.articles[]; .status == "failed" and (.error | test("timed out")) and .attempts.summarization == 2)' "$work/timeout.json"
done_ok

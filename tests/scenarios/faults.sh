# Faults: with --fail-rate 0.3 and no retries some articles fail (exit 1, each with an error,
# every article still present); with 12 retries they all recover (exit 0). Timeouts give up.
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
set +e
"$np" -q --latency 50:50 --timeout-ms 20 --retries 1 "$repo/data/articles.json" >"$work/timeout.json"
status=$?
set -e
check "timeouts exit 1" test "$status" = 1
check "timed out articles say so" jq -e 'all(.articles[]; .status == "failed" and (.error | test("timed out")) and .attempts.summarization == 2)' "$work/timeout.json"
done_ok

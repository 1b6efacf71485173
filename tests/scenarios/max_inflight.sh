# --max-inflight 3: never more than 3 stage calls in flight at once across all threads (from the
# report's per-article stage intervals, which lie inside the slot's hold), waiting for a slot shows
# as slot_wait_ms, and the results are those of an unlimited run. Without the limit the same run
# has more than 3 calls in flight (so the check can fail).
source "$(dirname "$0")/lib.sh"
"$gen" --seed 9 40 >"$work/in.json"
# The most intervals [start, end) open at once: +1 at each start, -1 at each end (ends first).
overlap='[.runs[0].articles_detail[].stages[] | select(.start_ms != null and .end_ms != null)
          | [.start_ms, 1], [.end_ms, -1]] | sort_by(.[0], .[1])
         | reduce .[] as $e ({n: 0, max: 0}; .n += $e[1] | .max = ([.max, .n] | max)) | .max'
"$np" -q --latency 20:60 --max-inflight 3 --report "$work/r.json" "$work/in.json" >"$work/limited.json"
"$np" -q --latency 20:60 --report "$work/u.json" "$work/in.json" >"$work/unlimited.json"
check "at most 3 calls in flight" jq -e "($overlap) <= 3" "$work/r.json"
check "the report's peak is 3" jq -e '.runs[0].limits.inflight == {max: 3, peak: 3, slot_wait_ms: .runs[0].limits.inflight.slot_wait_ms}' "$work/r.json"
check "waiting for slots is reported" jq -e '.runs[0].limits.inflight.slot_wait_ms > 100 and ([.runs[0].articles_detail[].slot_wait_ms] | add) > 100' "$work/r.json"
check "without the limit more are in flight" jq -e "($overlap) > 3" "$work/u.json"
check "same results as without the limit" diff <(stable "$work/limited.json") <(stable "$work/unlimited.json")
# Pool mode too, and a cancellation while 37 threads wait for a slot ends the run at once.
"$np" -q --latency 20:60 --mode pool --workers 8 --max-inflight 2 --report "$work/p.json" "$work/in.json" >/dev/null
check "pool mode: at most 2 in flight" jq -e "($overlap) <= 2" "$work/p.json"
status_of "$np" -q --latency 5000 --max-inflight 3 --deadline-ms 300 --report "$work/d.json" "$work/in.json" >"$work/d_out.json"
check "deadline while waiting for slots: exit 124" test "$status" -eq 124
check "every article cancelled, none waited past the deadline" jq -e '[.articles[].status] | all(. == "cancelled")' "$work/d_out.json"
check "the run ended soon after the deadline" jq -e '.runs[0].wall_ms < 3000' "$work/d.json"
done_ok

# 20,000 synthetic articles through every mode at zero latency: each run finishes (the ctest
# timeout catches a hang) and every article comes out once, ok. Guards the per-article code
# against inputs the small fixtures never show.
source "$(dirname "$0")/lib.sh"
"$gen" 20000 >"$work/in.json"
for mode in sequential pool thread; do
    timeout 60 "$np" -q --latency 0:0 --mode "$mode" --format ndjson "$work/in.json" >"$work/$mode.ndjson"
    check "$mode: 20000 results" test "$(wc -l <"$work/$mode.ndjson")" = 20000
done
check "every article ok" test "$(grep -c '"status": "ok"' "$work/thread.ndjson")" = 20000
check "pool = sequential" cmp -s <(stable_lines "$work/pool.ndjson") <(stable_lines "$work/sequential.ndjson")
done_ok

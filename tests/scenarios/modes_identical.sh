# Every mode gives the same results for the same input and seed; the critical path is each
# mode's ideal schedule (thread <= pool <= sequential).
source "$(dirname "$0")/lib.sh"
"$gen" --seed 3 150 >"$work/in.json"
for mode in thread pool sequential; do
    extra=()
    [ "$mode" = pool ] && extra=(--workers 8)
    "$np" -q --latency 0:3 --seed 9 --mode "$mode" "${extra[@]}" "$work/in.json" >"$work/$mode.json"
    stable "$work/$mode.json" >"$work/$mode.txt"
done
check "pool = thread" cmp -s "$work/thread.txt" "$work/pool.txt"
check "sequential = thread" cmp -s "$work/thread.txt" "$work/sequential.txt"
check "150 articles" test "$(wc -l <"$work/thread.txt")" = 150
t=$(jq .run.critical_path_ms "$work/thread.json")
p=$(jq .run.critical_path_ms "$work/pool.json")
s=$(jq .run.critical_path_ms "$work/sequential.json")
check "critical paths ordered ($t <= $p <= $s)" test "$t" -le "$p" -a "$p" -le "$s"
check "mode recorded" test "$(jq -r '.run.mode + " " + (.run.workers|tostring)' "$work/pool.json")" = "pool 8"
done_ok

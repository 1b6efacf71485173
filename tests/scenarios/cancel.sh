# SIGINT half-way through 200 articles at 300 ms per stage (0.3 s into a 0.6 s run): exit 130 and a complete, valid
# document with every article; SIGTERM: 143; --deadline-ms: 124; with -o the complete document is
# renamed into place and no temporary file is left. A second SIGINT exits at once.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 1 200 >"$work/in.json"
run_and_signal() { # SIGNAL DELAY_S OUTPUT ARGS...
    local signal=$1 delay=$2 output=$3
    shift 3
    "$np" -q --latency 300:300 "$@" "$work/in.json" >"$output" 2>"$work/stderr" &
    local pid=$!
    sleep "$delay"
    kill -s "$signal" "$pid"
    set +e
    wait "$pid"
    status=$?
    set -e
}
run_and_signal INT 0.3 "$work/int.json"
check "SIGINT exits 130" test "$status" = 130
check "complete document, 200 articles" jq -e '.articles | length == 200' "$work/int.json"
check "nothing finished both stages: all cancelled" jq -e 'all(.articles[]; .status == "cancelled") and .run.cancelled_by == "SIGINT"' "$work/int.json"
run_and_signal TERM 0.3 "$work/term.json" --mode pool --workers 20
check "SIGTERM exits 143" test "$status" = 143
check "pool: every article present" jq -e '(.articles | length == 200) and .run.status.cancelled == 200' "$work/term.json"
run_and_signal INT 0.3 "$work/stdout.txt" -o "$work/out.json"
check "-o: exit 130" test "$status" = 130
check "-o: complete document renamed into place" jq -e '.articles | length == 200' "$work/out.json"
check "-o: no temporary file left" test -z "$(find "$work" -name '.out.json.*')"
start=$(date +%s%N)
set +e
"$np" -q --latency 1000:1000 --deadline-ms 300 "$work/in.json" >"$work/deadline.json"
status=$?
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "deadline exits 124" test "$status" = 124
check "deadline wakes sleeping stages early (${elapsed_ms} ms)" test "$elapsed_ms" -lt 1500
check "deadline: every article present" jq -e '(.articles | length == 200) and .run.cancelled_by == "deadline"' "$work/deadline.json"
# A second SIGINT exits at once, leaving no temporary file.
"$np" -q --latency 5000:5000 -o "$work/twice.json" "$work/in.json" &
pid=$!
sleep 0.3
kill -INT "$pid"
sleep 0.05
kill -INT "$pid" 2>/dev/null || true
set +e
wait "$pid"
status=$?
set -e
check "second SIGINT exits 130" test "$status" = 130
check "second SIGINT leaves no temporary file" test -z "$(find "$work" -name '.twice.json.*')"
done_ok

# SIGINT while 200 articles sleep in 30 s stage calls: exit 130 and a complete, valid document with
# every article; SIGTERM: 143; --deadline-ms: 124; with -o the complete document is renamed into
# place and no temporary file is left. A second SIGINT exits at once.
# Signals are sent once the run is under way (a stage call has logged "started"), not after a
# pause that a slow machine may outlast, and the stage calls are far longer than any delay.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 1 200 >"$work/in.json"
# Waits until FILE has a stage call's "started" line (-v), at most 60 s.
wait_for_started() {
    local tries=0
    until grep -q ' started (' "$1" 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -le 6000 ] || fail "no stage call started within 60 s"
        sleep 0.01
    done
}
run_and_signal() { # SIGNAL OUTPUT ARGS...
    local signal=$1 output=$2
    shift 2
    rm -f "$work/stderr" # a previous run's "started" line must not count for this one
    "$np" -v --latency 30000:30000 "$@" "$work/in.json" >"$output" 2>"$work/stderr" &
    local pid=$!
    wait_for_started "$work/stderr"
    kill -s "$signal" "$pid"
    set +e
    wait "$pid"
    status=$?
    set -e
}
run_and_signal INT "$work/int.json"
check "SIGINT exits 130" test "$status" = 130
check "complete document, 200 articles" jq -e '.articles | length == 200' "$work/int.json"
check "nothing finished both stages: all cancelled" jq -e 'all(.articles[]; .status == "cancelled") and .run.cancelled_by == "SIGINT"' "$work/int.json"
run_and_signal TERM "$work/term.json" --mode pool --workers 20
check "SIGTERM exits 143" test "$status" = 143
check "pool: every article present" jq -e '(.articles | length == 200) and .run.status.cancelled == 200' "$work/term.json"
run_and_signal INT "$work/stdout.txt" -o "$work/out.json"
check "-o: exit 130" test "$status" = 130
check "-o: complete document renamed into place" jq -e '.articles | length == 200' "$work/out.json"
check "-o: no temporary file left" test -z "$(find "$work" -name '.out.json.*')"
start=$(date +%s%N)
set +e
"$np" -q --latency 30000:30000 --deadline-ms 300 "$work/in.json" >"$work/deadline.json"
status=$?
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "deadline exits 124" test "$status" = 124
# Stages that slept their latency would need 60 s: anything under 30 s woke them early.
check "deadline wakes sleeping stages early (${elapsed_ms} ms)" test "$elapsed_ms" -lt 30000
check "deadline: every article present" jq -e '(.articles | length == 200) and .run.cancelled_by == "deadline"' "$work/deadline.json"
# A second SIGINT exits at once, leaving no temporary file.
"$np" -v --latency 30000:30000 -o "$work/twice.json" "$work/in.json" 2>"$work/twice.err" &
pid=$!
wait_for_started "$work/twice.err"
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

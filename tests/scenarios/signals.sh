# Signals in every phase (issue 10, items 8, 9, 12, 13):
#  - opening an output FIFO that has no reader can be interrupted (exit 130, nothing written);
#  - a first SIGINT/SIGTERM while the results are written lets the complete output finish and
#    gives 130/143; a second one exits at once, temporaries removed, targets untouched;
#  - a bench interrupted part-way marks the run it was in, counts it nowhere, and compare
#    ignores it and says so;
#  - no catchable signal leaves a temporary file; SIGHUP cancels (129); a closed stdout pipe
#    ends the run quietly with 141.
source "$(dirname "$0")/lib.sh"
cd "$work"
input=$repo/data/articles.json
"$gen" --seed 2 3000 >big.json

# Item 8: -o to a FIFO nobody reads.
mkfifo noreader
"$np" -q --latency 0 -o noreader "$input" &
pid=$!
wait_watching $pid || fail "no watcher"
kill -INT $pid
status_of wait $pid
check "-o FIFO without a reader, SIGINT: exit 130 (was: only SIGKILL ended it)" test "$status" = 130
check "the FIFO is still a FIFO" test -p noreader

# Item 9: signals while the document is written. Standard output is a FIFO we read one byte of:
# the document is written only after the run, so the program is then in its output phase, and
# blocked there until we read on.
output_phase() { # SIGNAL... : start, read one byte, send the signals, read the rest
    mkfifo doc.fifo
    "$np" -q --latency 0 --report rep.json big.json >doc.fifo 2>output.err &
    pid=$!
    exec 3<doc.fifo
    head -c 1 <&3 >doc.json
    for signal in "$@"; do
        kill -s "$signal" $pid
        wait_taken $pid "$(kill -l "$signal")" # else a second one could merge with it
    done
    cat <&3 >>doc.json
    exec 3<&-
    status_of wait $pid
    rm doc.fifo
}
echo '{"precious": true}' >rep.json
output_phase INT
check "SIGINT during output: exit 130 (was: 0)" test "$status" = 130
check "SIGINT during output: the complete document, not cancelled" \
    jq -e '(.articles | length == 3000) and (.run | has("cancelled_by") | not)' doc.json
check "SIGINT during output: the report committed" jq -e '.runs | length == 1' rep.json
output_phase TERM
check "SIGTERM during output: exit 143" test "$status" = 143
echo '{"precious": true}' >rep.json
output_phase INT INT
check "two SIGINTs during output: exit 130" test "$status" = 130
check "two SIGINTs during output: the report not replaced" grep -q precious rep.json
check "two SIGINTs during output: no temporary file" test -z "$(leftovers .)"

# Streaming NDJSON to a reader that stopped reading: the first SIGTERM still ends the run (was:
# blocked in write until the reader read on, or a second signal).
# Titles of 100 KB: one result line is more than a pipe holds, so once the reader stops, the
# writer is stuck whatever the build's speed.
long_title=$(head -c 100000 /dev/zero | tr '\0' t)
for i in $(seq 1 20); do
    printf '{"id": %d, "title": "%s", "content": "Profits rose."}\n' "$i" "$long_title"
done >stream.ndjson
mkfifo stalled
"$np" -q --latency 0 --format ndjson stream.ndjson >stalled 2>stalled.err &
pid=$!
exec 4<stalled
head -c 1 <&4 >/dev/null # the run is writing results; then nobody reads
wait_watching $pid || fail "no watcher"
kill -TERM $pid
status_of wait $pid
exec 4<&-
check "NDJSON to a stalled reader, SIGTERM: exit 143" test "$status" = 143
check "NDJSON to a stalled reader: says what was lost" grep -q 'not being read' stalled.err

# Item 12: an interrupted bench.
"$np" bench --runs 5 --warmup 0 --latency 300 --report bench.json "$input" >bench.out 2>bench.err &
pid=$!
wait_lines bench.err 1 || fail "the first run never finished"
kill -INT $pid
status_of wait $pid
check "bench interrupted: exit 130" test "$status" = 130
check "bench interrupted: the run it was in is marked" \
    jq -e '(.runs | length == 2) and .runs[1].interrupted and (.runs[0].interrupted | not)' bench.json
check "bench interrupted: the summary counts one run and says it was interrupted" \
    grep -q 'Interrupted by SIGINT after 1 of 5 measured runs' bench.out
check "bench interrupted: statistics over 1 run" grep -q '\[1 runs, 0 warm-up\]' bench.out
"$np" bench --runs 2 --warmup 0 --latency 300 --report base.json "$input" >/dev/null 2>&1
status_of "$np" compare base.json bench.json >compare.out
check "compare ignores the interrupted run and says so" \
    grep -q 'new bench.json: 1 run (1 interrupted run ignored)' compare.out

# Each bench run is a process of its own: a first SIGINT reaches it (the run ends at once, not
# after its 5 s of latency); a second one exits at once and leaves neither the run's process nor a
# temporary file behind.
"$np" bench --runs 3 --warmup 0 --latency 5000 --report bench2.json "$input" >bench2.out 2>&1 &
pid=$!
child=$(bench_run_process $pid) || fail "bench started no run process"
start=$(now_ms)
kill -INT $pid
status_of wait $pid
check "bench, SIGINT during a run: exit 130 within 3 s (the run's process got it)" \
    test "$status" = 130 -a $(($(now_ms) - start)) -lt 3000
check "bench, SIGINT: the interrupted run is in the report" jq -e '.runs | length == 1 and .[0].interrupted' bench2.json
"$np" bench --runs 3 --warmup 0 --latency 5000 --report bench3.json "$input" >/dev/null 2>&1 &
pid=$!
child=$(bench_run_process $pid) || fail "bench started no run process"
kill -STOP "$child" # so that only the second SIGINT can end it
two_sigints $pid
status_of wait $pid
check "bench, two SIGINTs: exit 130" test "$status" = 130
for ((i = 0; i < 200; i++)); do kill -0 "$child" 2>/dev/null || break; sleep 0.01; done
check "bench, two SIGINTs: the run's process is gone" bash -c '! kill -0 "$0" 2>/dev/null' "$child"
check "bench, two SIGINTs: no report, no temporary file" test ! -e bench3.json -a -z "$(leftovers .)"

# Item 13: other signals, and a closed stdout pipe.
for signal in QUIT USR1 USR2 ALRM PIPE HUP; do
    "$np" -q --latency 5000 -o out.json --report r.json --trace t.json "$input" 2>/dev/null &
    pid=$!
    wait_watching $pid || fail "no watcher"
    kill -s $signal $pid
    status_of wait $pid
    check "SIG$signal mid-run: no temporary file left" test -z "$(leftovers .)"
    if [ $signal = HUP ]; then
        check "SIGHUP: cancelled, exit 129" test "$status" = 129
        check "SIGHUP: complete output" jq -e '.run.cancelled_by == "SIGHUP"' out.json
    else
        check "SIG$signal mid-run: ends as the signal would (status $status)" test "$status" -gt 128
    fi
done
# A signal ignored by whoever started the program (nohup) stays ignored.
(trap '' HUP && exec "$np_program" -q --latency 3000 "$input" >nohup.json) &
pid=$!
wait_watching $pid || fail "no watcher"
kill -HUP $pid
kill -TERM $pid
status_of wait $pid
check "SIGHUP ignored at start (nohup): the run goes on, SIGTERM then cancels it (143)" \
    test "$status" = 143
check "SIGHUP ignored at start: cancelled by SIGTERM, not SIGHUP" \
    jq -e '.run.cancelled_by == "SIGTERM"' nohup.json
set +o pipefail
"$np" --latency 0 --report rp.json --trace tr.json big.json 2>pipe.err | head -c 100 >/dev/null
status=${PIPESTATUS[0]}
set -o pipefail
check "stdout a pipe closed early: exit 141" test "$status" = 141
check "closed pipe: no temporary file, no report" test -z "$(leftovers .)" -a ! -e rp.json
check "closed pipe: quiet" test ! -s pipe.err
done_ok

# --latency-from a FIFO that has no writer (or any file that is slow to read) waits cancellably,
# as the input does: SIGINT ends it with 130 and SIGTERM with 143, nothing written. Before, the
# report was read before the signal watcher started and only SIGKILL ended the run. And a report
# that does come through the FIFO is used.
source "$(dirname "$0")/lib.sh"
cd "$work"
input=$repo/data/articles.json
for signal in INT TERM; do
    rm -f report.fifo out.json
    mkfifo report.fifo
    echo '{"precious": true}' >out.json
    "$np" --latency-from report.fifo -o out.json --report rep.json "$input" 2>err.txt &
    pid=$!
    wait_watching $pid || fail "no watcher"
    kill -s $signal $pid
    status_of wait $pid
    want=$((128 + $(kill -l $signal)))
    check "--latency-from FIFO without a writer, SIG$signal: exit $want" test "$status" = "$want"
    check "SIG$signal: -o keeps its content" grep -q precious out.json
    check "SIG$signal: no report written" test ! -e rep.json
    check "SIG$signal: says why nothing was written" grep -q 'while reading --latency-from: nothing written' err.txt
    check "SIG$signal: no temporary file left" test -z "$(find . -name '.*' -type f)"
done
# Through the FIFO, a report is read whole and used.
"$np" -q --latency 5:9 --report base.json "$input" >/dev/null
rm -f report.fifo
mkfifo report.fifo
"$np" -q --latency-from report.fifo --report cal.json "$input" >/dev/null &
pid=$!
cat base.json >report.fifo
status_of wait $pid
check "a report written into the FIFO is used: exit 0" test "$status" = 0
check "its latency range is the run's" jq -e '.options.latency_ms == [5, 9]' cal.json
done_ok

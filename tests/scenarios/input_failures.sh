# Input that fails or blocks (issue 10, items 1, 2, 7):
#  - a line that cannot be read is an error, never the end of the input: the articles before it
#    are written, the line is named, exit 1 (the environment failed);
#  - an input that cannot be opened leaves every output untouched and stdout empty;
#  - SIGINT, SIGTERM, SIGHUP and the deadline end a run whose input blocks (an endless stream, a
#    FIFO without a writer, a slow producer): the output holds what was read, exit 130/143/129/124.
source "$(dirname "$0")/lib.sh"
cd "$work"
article() { printf '{"id": %d, "title": "t%d", "content": "Profits rose."}\n' "$1" "$1"; }

# Item 1: a line of 200 MB under a 300 MB address-space limit cannot be read.
if ! sanitized; then
    {
        for i in 1 2 3; do article $i; done
        printf '{"id": 4, "title": "t", "content": "'
        head -c 200000000 /dev/zero | tr '\0' x
        printf '"}\n'
        for i in 5 6 7; do article $i; done
    } >huge.ndjson
    status_of bash -c "ulimit -v 300000; exec \"$np_program\" -q --latency 0 huge.ndjson >huge.json 2>huge.err"
    check "unreadable line: exit 1 (was 0: lines 4-7 lost without a word)" test "$status" = 1
    check "unreadable line: articles 1-3 written" jq -e '[.articles[].id] == [1, 2, 3]' huge.json
    check "unreadable line: stderr names line 4 and the cause" \
        grep -q '^news-processor: huge.ndjson:4: cannot read: out of memory$' huge.err
    rm huge.ndjson
fi
status_of "$np" -q --latency 0 --input-format ndjson /dev/zero >zero.json 2>zero.err
check "/dev/zero as NDJSON: exit 2 at once, the NUL named" test "$status" = 2
check "/dev/zero as NDJSON: line 1" grep -q '^news-processor: /dev/zero:1:1: NUL byte' zero.err

# Item 2: nothing written when the input cannot be opened.
for target in -o --report --trace --timeline; do
    echo '{"precious": true}' >keep.json
    for input in /nonexistent.ndjson "$work" /nonexistent.json; do
        status_of "$np" -q "$target" keep.json "$input" >stdout.txt 2>stderr.txt
        check "$target, input $input: exit 2" test "$status" = 2
        check "$target, input $input: target untouched" grep -q precious keep.json
        check "$target, input $input: stdout empty" test ! -s stdout.txt
        check "$target, input $input: one line on stderr" test "$(wc -l <stderr.txt)" = 1
    done
done
article 1 >one.ndjson
# The smallest descriptor limit at which the input cannot be opened (inherited descriptors vary).
emfile_seen=0
for limit in $(seq 4 64); do
    status_of bash -c "ulimit -n $limit; exec \"$np_program\" -q -o keep.json --report r.json one.ndjson" \
        >stdout.txt 2>stderr.txt
    grep -q 'one.ndjson: cannot open: Too many open files' stderr.txt || continue
    emfile_seen=1
    check "no descriptor left for the input (EMFILE): exit 1" test "$status" = 1
    check "EMFILE: target untouched, stdout empty" grep -q precious keep.json
    check "EMFILE: no report, no temporary" test ! -e r.json -a -z "$(leftovers .)" -a ! -s stdout.txt
    break
done
check "some descriptor limit left no descriptor for the input" test $emfile_seen = 1

# Item 7: cancellation while the input blocks.
cancel_blocked() { # SIGNAL COMMAND... (stdin and stdout as the caller redirects them)
    local signal=$1
    shift
    "$@" <&0 &
    local pid=$!
    wait_watching $pid || fail "the program never started its watcher"
    local start
    start=$(now_ms)
    kill -s "$signal" $pid
    status_of wait $pid
    elapsed=$(($(now_ms) - start))
}
mkfifo endless
yes '"spam",' >endless 2>/dev/null &
writer=$!
cancel_blocked INT "$np" -q - <endless >endless.json
kill $writer 2>/dev/null || true
check "endless JSON on stdin, SIGINT: exit 130" test "$status" = 130
check "endless JSON: a document of the 0 articles read, cancelled" \
    jq -e '.articles == [] and .run.cancelled_by == "SIGINT"' endless.json
echo "    (SIGINT to exit while reading an endless input: ${elapsed} ms)"
mkfifo nowriter.json
cancel_blocked TERM "$np" -q nowriter.json >fifo.json
check "FIFO without a writer, SIGTERM: exit 143" test "$status" = 143
check "FIFO without a writer: a document, cancelled" jq -e '.run.cancelled_by == "SIGTERM"' fifo.json
echo "    (SIGTERM to exit while waiting for a FIFO's writer: ${elapsed} ms)"
cancel_blocked HUP "$np" -q --input-format ndjson nowriter.json >fifo.json
check "FIFO without a writer, SIGHUP: exit 129" test "$status" = 129
check "SIGHUP is named" jq -e '.run.cancelled_by == "SIGHUP"' fifo.json
mkfifo silent
sleep 60 >silent 2>/dev/null &
writer=$!
start=$(now_ms)
status_of "$np" -q --deadline-ms 300 --input-format ndjson - <silent >deadline.json
elapsed=$(($(now_ms) - start))
kill $writer 2>/dev/null || true
check "silent stdin, --deadline-ms 300: exit 124" test "$status" = 124
check "silent stdin: ends long before its writer's 60 s (${elapsed} ms)" test $elapsed -lt 30000
check "silent stdin: a document, cancelled by the deadline" \
    jq -e '.articles == [] and .run.cancelled_by == "deadline"' deadline.json
# A slow producer: three lines, then silence. Its three results are written, then SIGTERM ends it.
mkfifo slow
{ for i in 1 2 3; do article $i; done; exec sleep 60; } >slow 2>/dev/null &
producer=$!
"$np" -q --latency 0 --format ndjson --input-format ndjson slow >slow.out &
pid=$!
wait_lines slow.out 3 || fail "the three results never came"
kill -TERM $pid
status_of wait $pid
kill $producer 2>/dev/null || true
check "slow producer, SIGTERM: exit 143 (was: read to the end)" test "$status" = 143
check "slow producer: the three articles read are written" \
    jq -e -s 'map(.id) | sort == [1, 2, 3]' slow.out
done_ok

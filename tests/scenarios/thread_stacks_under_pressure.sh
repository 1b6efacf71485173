# Issue 10 item 11 with the stack pool (issue 11): thread mode under an address-space limit. The
# article threads' stacks come from the program's pool; when it cannot map another chunk (ENOMEM),
# the dispatcher treats it as a refused thread: it waits for a running article to finish, whose
# stack goes back to the pool, and tries again. Every article then succeeds, none fails "out of
# memory", and the run says how many threads were refused.
#
# The limit is real (ulimit -v): what a run of the same input needs without threads, found by
# bisection, plus 40 MB -- room for a few hundred 64 KiB stacks, not the 3,000 articles' worth
# that would be alive at once. Sanitizer builds reserve terabytes of shadow memory and cannot run
# under any such limit: skipped there (exit 77).
source "$(dirname "$0")/lib.sh"
if sanitized; then
    echo "skipped: a sanitizer build cannot run under ulimit -v"
    exit 77
fi
"$gen" 3000 >"$work/in.json"
fits() { (ulimit -v "$1" && "$np" -q --mode sequential --latency 0:0 -o /dev/null "$work/in.json") 2>/dev/null; }
lo=1000
hi=4000000
check "a run fits in 4 GB of address space" fits "$hi"
while [ $((hi - lo)) -gt 1000 ]; do
    mid=$(((lo + hi) / 2))
    if fits "$mid"; then hi=$mid; else lo=$mid; fi
done
limit=$((hi + 40000))
set +e
(ulimit -v "$limit" && exec "$np" --mode thread --latency 100:300 -o "$work/out.json" \
    "$work/in.json") 2>"$work/err"
status=$?
set -e
check "thread mode under ulimit -v $limit exits 0 (got $status: $(head -c 300 "$work/err"))" \
    test "$status" = 0
check "every article once" test "$(jq '[.articles[].id] | unique | length' "$work/out.json")" = 3000
check "every article ok, none failed for memory" \
    test "$(jq '[.articles[] | select(.status == "ok")] | length' "$work/out.json")" = 3000
check "the limit bit: threads were refused and waited for (stderr says so)" \
    grep -q "refused" "$work/err"
done_ok

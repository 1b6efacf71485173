# Issue 10 item 11: when the system refuses pool workers, run.workers in the output and the
# report's options.workers say how many really ran, not how many were asked for.
#
# The refusal is real: the address space is limited (ulimit -v) to what a run needs without
# threads plus 40 MB, which holds some hundreds of 64 KiB worker stacks, not the 20,000 asked
# for. That baseline is measured here (the smallest limit under which a sequential run
# succeeds, by bisection), not assumed. Sanitizer builds reserve terabytes of shadow memory and
# cannot run under any such limit: skipped there (exit 77).
source "$(dirname "$0")/lib.sh"
skip_if_sanitized
"$gen" 200 >"$work/in.json"
baseline=$(address_space_baseline "$work/in.json") || fail "a run does not fit in 4 GB of address space"
limit=$((baseline + 40000))
set +e
(ulimit -v "$limit" && exec "$np_program" --mode pool --workers 20000 --latency 0:1 \
    --report "$work/report.json" -o "$work/out.json" "$work/in.json") 2>"$work/err"
set -e
started=$(sed -n 's/.*warning: started only \([0-9]*\) of 20000 workers.*/\1/p' "$work/err")
check "the system refused some of 20000 workers under ulimit -v $limit" test -n "$started"
check "run.workers = the $started started" test "$(jq '.run.workers' "$work/out.json")" = "$started"
check "report options.workers = the $started started" \
    test "$(jq '.options.workers' "$work/report.json")" = "$started"
check "every article once" test "$(jq '[.articles[].id] | unique | length' "$work/out.json")" = 200
done_ok

# Issue 10 item 11 (a): idle pool workers whose stacks fill the address space do not fail
# articles. With far more workers asked for than fit (--workers 20000 under a limit of what a run
# needs without threads plus 100 MB), the system starts some 1,400; their idle stacks leave no
# memory for articles, and nothing is in flight for the dispatcher to wait for. It retires idle
# workers (joining them gives their stacks back) until articles get their memory: every article
# is ok, run.workers is the number that started, and a warning says how many were retired.
# Before, 1,477 of the 2,000 articles failed "out of memory" (measured on the branch point).
#
# Why 100 MB: glibc keeps up to 40 MiB of joined threads' stacks cached for reuse, so the first
# ~600 workers retired give nothing back; the limit must hold more stacks than that.
#
# Sanitizer builds reserve terabytes of shadow memory and cannot run under ulimit -v: skipped (77).
source "$(dirname "$0")/lib.sh"
skip_if_sanitized
"$gen" 2000 >"$work/in.json"
baseline=$(address_space_baseline "$work/in.json") || fail "a run does not fit in 4 GB of address space"
limit=$((baseline + 100000))
status_of bash -c 'ulimit -v "$1" && exec "$2" --mode pool --workers 20000 --latency 0:1 \
    -o "$3/out.json" "$3/in.json" 2>"$3/err"' _ "$limit" "$np_program" "$work"
started=$(sed -n 's/.*warning: started only \([0-9]*\) of 20000 workers.*/\1/p' "$work/err")
check "the system refused some of 20000 workers under ulimit -v $limit" test -n "$started"
check "exit 0 (got $status: $(head -c 300 "$work/err"))" test "$status" = 0
check "every article once" test "$(jq '[.articles[].id] | unique | length' "$work/out.json")" = 2000
check "every article ok ($(jq -c .run.status "$work/out.json"))" \
    test "$(jq '.run.status.ok' "$work/out.json")" = 2000
check "run.workers = the $started started" test "$(jq '.run.workers' "$work/out.json")" = "$started"
retired=$(sed -n 's/.*warning: memory ran short: retired \([0-9]*\) of the \([0-9]*\) workers.*/\1 \2/p' \
    "$work/err")
check "a warning says how many workers were retired ($retired)" test -n "$retired"
check "... of the $started started" test "${retired#* }" = "$started"
done_ok

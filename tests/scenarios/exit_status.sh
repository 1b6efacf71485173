# Issue 10 item 14: one rule for exit statuses. 2 = the arguments or the input are wrong (a usage
# error, an input path that names nothing usable, invalid input); 1 = the environment failed
# (permission denied, out of memory, disk full, a failed article).
#
# Permission denied is real: the output directory is mode 555 and the program runs as an
# unprivileged user (as root, through setpriv: root ignores modes). Out of memory is real too: the
# address space is limited (ulimit -v) between the program's own baseline and what the input
# needs, both measured here by bisection, not assumed. Sanitizer builds reserve terabytes of
# shadow memory and cannot run under ulimit -v: that part is skipped there (said on stdout).
source "$(dirname "$0")/lib.sh"
"$gen" 3 >"$work/in.json"

# Wrong input paths: 2, nothing written.
status_of "$np_program" -q --latency 0 "$work/missing.json" >"$work/out" 2>"$work/err"
check "a missing input exits 2 (got $status)" test "$status" = 2
check "a missing input: one line naming it" \
    grep -qx "news-processor: $work/missing.json: cannot open: No such file or directory" "$work/err"
status_of "$np_program" -q --latency 0 "$work" >"$work/out" 2>"$work/err"
check "a directory as input exits 2 (got $status)" test "$status" = 2
check "a directory as input: said so" \
    grep -qx "news-processor: $work: is a directory, not a JSON file" "$work/err"
status_of "$np_program" -q --latency 0 -o "$work/no/such/dir/out.json" "$work/in.json" 2>"$work/err"
check "an output in a directory that does not exist exits 2 (got $status)" test "$status" = 2

# An output in a read-only directory: the environment refused, 1.
unprivileged() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
    echo "skipped: the read-only directory check (root, and no setpriv to drop privileges)"
else
    shared=$work/shared
    mkdir -p "$shared/ro"
    cp "$np_program" "$shared/np" # readable and runnable by the unprivileged user wherever the build is
    cp "$work/in.json" "$shared/in.json"
    chmod 755 "$work" "$shared" "$shared/np"
    chmod 644 "$shared/in.json"
    chmod 555 "$shared/ro"
    status_of unprivileged "$shared/np" -q --latency 0 -o "$shared/ro/out.json" \
        "$shared/in.json" 2>"$work/err"
    check "an output in a read-only directory exits 1 (got $status)" test "$status" = 1
    check "a read-only directory: permission denied, said once" \
        grep -qx "news-processor: cannot create $shared/ro/out.json: Permission denied" "$work/err"
    check "a read-only directory: nothing written in it" test -z "$(ls -A "$shared/ro")"
fi

# Out of memory while loading the input: 1, whichever allocation ran out.
if sanitized; then
    echo "skipped: out of memory under ulimit -v (a sanitizer build)"
    done_ok
    exit 0
fi
"$gen" 20000 >"$work/big.json"
fits() { (ulimit -v "$1" && exec "$np_program" -q --mode sequential --latency 0:0 -o /dev/null "$2") 2>/dev/null; }
smallest_fit() { # smallest_fit INPUT: the least address space (KB, to 500) a run of INPUT needs
    local lo=1000 hi=8000000 mid
    fits "$hi" "$1" || fail "a run of $1 does not fit in 8 GB of address space"
    while [ $((hi - lo)) -gt 500 ]; do
        mid=$(((lo + hi) / 2))
        if fits "$mid" "$1"; then hi=$mid; else lo=$mid; fi
    done
    echo "$hi"
}
base=$(smallest_fit "$work/in.json")
need=$(smallest_fit "$work/big.json")
check "the large input needs more than the baseline ($base KB, $need KB)" test "$need" -gt $((base + 2000))
# Limits from just above the baseline to just below the need: reading fails at the low ones,
# parsing at the high ones; every one is out of memory, exit 1.
for limit in $((base + 1000)) $(((base + need) / 2)) $((need - 600)); do
    set +e
    (ulimit -v "$limit" && exec "$np_program" -q --mode sequential --latency 0:0 -o "$work/oom.json" \
        "$work/big.json") >"$work/out" 2>"$work/err"
    status=$?
    set -e
    check "out of memory loading under ulimit -v $limit exits 1 (got $status: $(cat "$work/err"))" \
        test "$status" = 1
    check "out of memory under ulimit -v $limit: one line" test "$(wc -l <"$work/err")" = 1
    check "out of memory under ulimit -v $limit: said so" \
        grep -qE 'out of memory|Cannot allocate memory' "$work/err"
    check "out of memory under ulimit -v $limit: nothing written" test ! -e "$work/oom.json"
done
done_ok

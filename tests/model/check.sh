#!/bin/sh
# shellcheck disable=SC2317 # the functions are called through xargs (--task)
# Model-checks the queue protocol (tests/model/queue.pml) with spin, in three parts:
#   1. correspondence: every step of the model that cites src/queue.c as queue.c:LINE "text"
#      must find that text on that line, and every part of the model that a comment in
#      src/queue.c names ("model: NAME") must exist, so neither can change alone;
#   2. verification, for every configuration in RUNS below (capacity 1..3, consumer batch 1..2,
#      close concurrent with the pushes or after them, and each producer's item count are chosen
#      inside the model: every combination, in one search per line): one search for assertion
#      violations (exactly once, FIFO per producer, pushes after close fail, the counters'
#      invariants, no lost wake-up, no wasted signal; the watchdog turns any deadlock into one,
#      and main's probe turns "a batch left queued until close" into a deadlock) and for
#      non-progress cycles (-l: no livelock); it must report 0 errors;
#   3. mutation check: each MUTANTS entry breaks the model the way the C code could be broken,
#      and spin must report an error for each, or the proof proves nothing.
# Usage: tests/model/check.sh [JOBS]   (default: one job per CPU). Needs spin and a C compiler.
# Works in a temporary directory; the repository is not written to.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
model=$here/queue.pml
source=$here/../../src/queue.c
jobs=${1:-$(nproc 2>/dev/null || echo 2)}
command -v spin >/dev/null || { echo "model: spin is not installed (sh scripts/setup.sh test)" >&2; exit 1; }

# One configuration per line: PRODUCERS CONSUMERS ITEMS MANY SPURIOUS. Each producer pushes
# 1..ITEMS items (every combination), or exactly 3 where ITEMS is -3; bit p of MANY makes producer
# p push them all with one np_queue_push_many (else one np_queue_push each); SPURIOUS bounds the
# spurious wake-ups and timer expiries the environment may add. The bounds keep the whole check
# under two minutes on two cores: three producers with three items each and two consumers would
# be ~15 million states alone. Largest first, so the parallel jobs end together.
RUNS="3 2 2 5 0
3 1 2 5 0
3 1 -3 5 0
2 2 3 1 0
2 2 2 1 1
2 1 3 1 1
1 2 3 0 1
1 2 3 1 1
1 1 3 0 1
1 1 3 1 1"

# Mutants: NAME, the configuration that must expose it (same columns as RUNS), and whether it
# must also be caught by behaviour alone, the counters' invariants and the rationing check left
# out (1: it loses a thread or an item; 0: it only wastes signals, which only the rationing
# check sees).
MUTANTS="NO_SIGNAL_AT_BATCH 1 1 2 0 0 1
CLOSE_NO_BROADCAST_NOT_EMPTY 1 1 1 0 0 1
CLOSE_NO_BROADCAST_NOT_FULL 2 1 2 0 0 1
LEAVE_KEEPS_PENDING 1 2 3 0 0 1
IF_NOT_WHILE 1 2 3 0 1 1
STRICT_HALF 2 1 2 0 0 1
DOUBLE_DECREMENT 1 2 3 0 0 0
UNCOUNTED_SIGNAL 1 2 3 0 0 0"

# Builds pan in directory $1 from the model with the -D options that follow, and searches it:
# assertions (the watchdog turns a deadlock into one) and non-progress cycles, in one search.
search() {
    dir=$1
    shift
    mkdir -p "$dir"
    cd "$dir"
    spin -a "$@" "$model" >spin.log 2>&1 || { cat spin.log >&2; return 1; }
    cc -O2 -DNP -w -o pan pan.c || return 1
    ./pan -l -m100000 -w24 >pan.out 2>&1 || true
    cd - >/dev/null
}

defines() { # PRODUCERS CONSUMERS ITEMS MANY SPURIOUS
    items=$3
    exact=""
    [ "$items" -lt 0 ] && items=$((-items)) && exact=-DEXACT_ITEMS
    echo "-DPRODUCERS=$1 -DCONSUMERS=$2 -DITEMS=$items -DMANY=$4 -DSPURIOUS=$5 $exact"
}

# Verifies one configuration (its line of RUNS as arguments): prints one line, fails on errors.
verify() {
    dir=$work/run-$1-$2-$3-$4-$5
    # shellcheck disable=SC2046 # the -D options are words
    search "$dir" $(defines "$@") || return 1
    states=$(awk '/states, stored/ {print $1}' "$dir/pan.out")
    seconds=$(awk '/elapsed time/ {print $4}' "$dir/pan.out")
    if grep -q 'errors: 0$' "$dir/pan.out"; then
        printf 'model: producers %s consumers %s items %s many %s spurious %s: %s states, 0 errors (%s s)\n' \
            "$@" "$states" "$seconds"
    else
        printf 'model: producers %s consumers %s items %s many %s spurious %s: ERRORS\n' "$@" >&2
        grep -E 'pan:|errors:' "$dir/pan.out" >&2
        return 1
    fi
}

# What spin's first error means, in words.
explain() {
    case $1 in
    *finished==*) echo "deadlock: a thread never returns (watchdog)" ;;
    *not_empty_set!=0*) echo "a signal wasted on a consumer already woken (rationing)" ;;
    *wakes_pending\<=waiting*) echo "more pending wake-ups than waiters" ;;
    *waiting_consumers\>0*) echo "lost wake-up: a batch queued, consumers waiting, none on its way" ;;
    *waiting_producers\>0*) echo "lost wake-up: room at half, producers waiting, none on its way" ;;
    *timed_out*) echo "a pop without a deadline returned 0 on an open queue" ;;
    *) echo "$1" ;;
    esac
}

# A mutant (its line of MUTANTS as arguments) must make spin report an error: with every
# assertion, and when its last column is 1 also without the invariants.
mutant() {
    name=$1
    shift
    # shellcheck disable=SC2046 # the -D options are words
    search "$work/mutant-$name" -DMUTANT_"$name" $(defines "$@") || return 1
    first=$(grep -m1 -E '^pan:[0-9]+: ' "$work/mutant-$name/pan.out" | sed 's/^pan:[0-9]*: *//; s/ (at depth.*//')
    if [ -z "$first" ]; then
        echo "model: mutant $name NOT caught: spin found no error" >&2
        return 1
    fi
    line="model: mutant $name caught: $(explain "$first")"
    if [ "$6" = 1 ]; then
        # shellcheck disable=SC2046
        search "$work/mutant-$name-behaviour" -DNO_INVARIANTS -DMUTANT_"$name" $(defines "$@") || return 1
        first=$(grep -m1 -E '^pan:[0-9]+: ' "$work/mutant-$name-behaviour/pan.out" | sed 's/^pan:[0-9]*: *//; s/ (at depth.*//')
        if [ -z "$first" ]; then
            echo "model: mutant $name NOT caught without the invariants" >&2
            return 1
        fi
        line="$line; without the invariants: $(explain "$first")"
    fi
    echo "$line"
}

# A task of the list below, run by xargs in parallel: "verify ..." or "mutant ...".
if [ "${1:-}" = --task ]; then
    shift
    "$@"
    exit
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/np-model.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# 1. Correspondence between the model and the C code.
bad=0
grep -o 'queue\.c:[0-9]* "[^"]*"' "$model" | sort -u >"$work/cites"
while IFS= read -r cite; do
    line=${cite#queue.c:}
    line=${line%% *}
    text=${cite#*\"}
    text=${text%\"}
    if ! sed -n "${line}p" "$source" | grep -qF -- "$text"; then
        echo "model: queue.pml cites queue.c:$line \"$text\", but that line reads:" >&2
        sed -n "${line}p" "$source" >&2
        bad=1
    fi
done <"$work/cites"
# shellcheck disable=SC2013 # the names are single words
for name in $(grep -o 'model: [a-z_]*' "$source" | sed 's/model: //' | sort -u); do
    grep -qE "^((inline|proctype|active proctype) $name\(|$name\$)" "$model" ||
        { echo "model: src/queue.c names '$name', which queue.pml does not define" >&2; bad=1; }
done
[ "$bad" = 0 ] || exit 1
echo "model: $(wc -l <"$work/cites") citations of src/queue.c match the code"

# 2 and 3: the configurations and the mutants, on $jobs parallel jobs, output in order.
{
    echo "$RUNS" | sed 's/^/verify /'
    echo "$MUTANTS" | sed 's/^/mutant /'
} | awk '{print NR, $0}' >"$work/tasks"
export work model
status=0
# shellcheck disable=SC2016 # expanded by the inner shell
xargs -P "$jobs" -L 1 sh -c 'n=$1; shift; sh "$0" --task "$@" >"$work/task-$n.out" 2>&1 || echo "$n" >>"$work/failed"' "$0" \
    <"$work/tasks"
n=1
while [ -f "$work/task-$n.out" ]; do
    cat "$work/task-$n.out"
    n=$((n + 1))
done
[ -f "$work/failed" ] && status=1
elapsed=$(($(date +%s) - start))
if [ "$status" = 0 ]; then
    echo "model: every configuration verified and every mutant caught in ${elapsed} s"
else
    echo "model: FAILED (${elapsed} s)" >&2
fi
exit "$status"

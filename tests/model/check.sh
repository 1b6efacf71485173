#!/bin/sh
# shellcheck disable=SC2317 # the functions are called through xargs (--task)
# Model-checks the queue protocol (tests/model/queue.pml) with spin, in three parts:
#   1. correspondence: every step of the model that cites src/queue.c as queue.c:LINE "text"
#      must find that text on that line, and every part of the model that a comment in
#      src/queue.c names ("model: NAME") must exist, so neither can change alone;
#   2. verification, for every configuration in RUNS below (capacity 1..3, consumer batch 1..2,
#      close concurrent with the pushes or after them, and each producer's item count are chosen
#      inside the model: every combination, in one search per line), by one of three searches
#      (the first column), each of which must report 0 errors and must not be cut short:
#        any:  pan -a with the claim "every thread returns" (queue.pml: ltl terminates), no
#              fairness: the assertions (exactly once, FIFO per producer, pushes after close
#              fail, the counters' invariants, no lost wake-up, no wasted signal; the watchdog
#              turns a deadlock into one), and every execution, under any scheduling, ends with
#              every thread returned: no deadlock, no livelock (spurious wake-ups and timer
#              expiries bounded by SPURIOUS);
#        safe: pan -DSAFETY: the same assertions and deadlocks, not the absence of cycles; half
#              the cost, for the configurations where "any" does not fit the time budget;
#        fair: the collector's timer unbounded (-DTIMER: it may fire forever), pan -a -f: the
#              assertions, and every execution under weak fairness ends (without fairness it
#              does not: the mutation check shows the cycle);
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

# One configuration per line: SEARCH PRODUCERS CONSUMERS ITEMS MANY SPURIOUS. SEARCH is any,
# safe or fair (above). Each producer pushes 1..ITEMS items (every combination), or exactly 3
# where ITEMS is -3; bit p of MANY makes producer p push them all with one np_queue_push_many
# (else one np_queue_push each); SPURIOUS bounds the spurious wake-ups and timer expiries the
# environment may add. Three producers with three items each and two consumers are searched in
# full without spurious wake-ups (10.5 million states); with one, only with 1..2 items each
# (or one consumer): with 1..3 items and two consumers it would be several times larger. The
# "any" search of three producers with a spurious wake-up would not fit two minutes either:
# those two get "safe" (their cycles are ruled out by the "any" searches of the others and the
# argument in the README). "fair" costs several times "any" (a copy of the state space per
# thread), so it runs on up to two producers. Largest first, so the parallel jobs end together.
RUNS="any 3 2 3 5 0
safe 3 1 3 5 1
safe 3 2 2 5 1
any 2 2 3 1 1
fair 2 2 2 1 0
fair 2 1 3 1 0
any 2 1 3 1 1
any 1 2 3 0 1
any 1 2 3 1 1
fair 1 2 3 0 0
fair 1 2 3 1 0
any 1 1 3 0 1
any 1 1 3 1 1
fair 1 1 3 0 0
fair 1 1 3 1 0"

# Mutants: NAME, the search that must catch it, the configuration that must expose it (same
# columns as RUNS), and whether it must also be caught by behaviour alone, the counters'
# invariants and the rationing check left out (1: it loses a thread or an item; 0: it only
# wastes signals, which only the rationing check sees). The search "live" is "fair" with the
# assertions ignored (pan -A): only the claim "every thread returns" can catch the mutant there.
# NONE is the model unbroken, searched by "unfair" ("fair" without -f): it must find a cycle,
# the collector's timer firing forever while no other thread runs, so fairness is needed.
MUTANTS="NO_SIGNAL_AT_BATCH safe 1 1 2 0 0 1
CLOSE_NO_BROADCAST_NOT_EMPTY safe 1 1 1 0 0 1
CLOSE_NO_BROADCAST_NOT_FULL safe 2 1 2 0 0 1
LEAVE_KEEPS_PENDING safe 1 2 3 0 0 1
IF_NOT_WHILE safe 1 2 3 0 1 1
STRICT_HALF safe 2 1 2 0 0 1
PUSH_IGNORES_CLOSE safe 1 1 2 0 0 1
DOUBLE_DECREMENT safe 1 2 3 0 0 0
UNCOUNTED_SIGNAL safe 1 2 3 0 0 0
STRICT_HALF live 2 1 2 0 0 0
CLOSE_NO_BROADCAST_NOT_EMPTY live 2 2 2 1 0 0
NONE unfair 1 1 1 0 0 0"

# Builds pan in directory $2 from the model with the -D options that follow, and runs search $1
# (see above; live and unfair are for the mutants) into pan.out. pan is compiled with
# $optimize, -O0 by default: compiling pan.c with -O2 costs ~2 s of CPU, more than the small
# searches save by it.
search() {
    kind=$1
    sdir=$2
    shift 2
    case $kind in
    any) spin_opts=-DLIVENESS cc_opts=-DNOFAIR pan_opts=-a ;;
    safe) spin_opts="" cc_opts="-DSAFETY -DNOCOMP" pan_opts="" ;;
    fair) spin_opts="-DLIVENESS -DTIMER" cc_opts=-DNFAIR=3 pan_opts="-a -f" ;;
    live) spin_opts="-DLIVENESS -DTIMER" cc_opts=-DNFAIR=3 pan_opts="-a -f -A" ;;
    unfair) spin_opts="-DLIVENESS -DTIMER" cc_opts=-DNOFAIR pan_opts=-a ;;
    *) echo "model: unknown search $kind" >&2 && return 1 ;;
    esac
    mkdir -p "$sdir"
    cd "$sdir"
    # shellcheck disable=SC2086 # the options are words
    spin -a $spin_opts "$@" "$model" >spin.log 2>&1 || { cat spin.log >&2; return 1; }
    # shellcheck disable=SC2086
    cc "${optimize:--O0}" $cc_opts -w -o pan pan.c || return 1
    # shellcheck disable=SC2086
    ./pan $pan_opts -m100000 -w24 >pan.out 2>&1 || true
    cd - >/dev/null
}

defines() { # PRODUCERS CONSUMERS ITEMS MANY SPURIOUS
    items=$3
    exact=""
    [ "$items" -lt 0 ] && items=$((-items)) && exact=-DEXACT_ITEMS
    echo "-DPRODUCERS=$1 -DCONSUMERS=$2 -DITEMS=$items -DMANY=$4 -DSPURIOUS=$5 $exact"
}

# Verifies one configuration (its line of RUNS as arguments): prints one line, fails on errors
# or on a search cut short (a depth or memory limit reached).
verify() {
    kind=$1
    shift
    dir=$work/run-$kind-$1-$2-$3-$4-$5
    optimize=-O0
    [ "$1" -ge 2 ] && optimize=-O2
    # shellcheck disable=SC2046 # the -D options are words
    search "$kind" "$dir" $(defines "$@") || return 1
    states=$(awk '/states, stored/ {print $1}' "$dir/pan.out")
    seconds=$(awk '/elapsed time/ {print $4}' "$dir/pan.out")
    if grep -q 'errors: 0$' "$dir/pan.out" && ! grep -qE 'max search depth too small|out of memory' "$dir/pan.out"; then
        printf 'model: %s: producers %s consumers %s items %s many %s spurious %s: %s states, 0 errors (%s s)\n' \
            "$kind" "$@" "$states" "$seconds"
    else
        printf 'model: %s: producers %s consumers %s items %s many %s spurious %s: ERRORS\n' "$kind" "$@" >&2
        grep -E 'pan:|errors:|error:' "$dir/pan.out" >&2
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
    *was_closed*) echo "a push that found the queue closed queued an item" ;;
    *"acceptance cycle"*) echo "an execution in which some thread never returns (acceptance cycle)" ;;
    *) echo "$1" ;;
    esac
}

# A mutant (its line of MUTANTS as arguments) must make spin report an error: with every
# assertion, and when its last column is 1 also without the invariants.
mutant() {
    name=$1
    kind=$2
    shift 2
    define=-DMUTANT_$name
    [ "$name" = NONE ] && define=-DUNBROKEN
    mdir=$work/mutant-$name-$kind
    # shellcheck disable=SC2046 # the -D options are words
    search "$kind" "$mdir" "$define" $(defines "$@") || return 1
    first=$(grep -m1 -E '^pan:[0-9]+: ' "$mdir/pan.out" | sed 's/^pan:[0-9]*: *//; s/ (at depth.*//')
    if [ -z "$first" ]; then
        echo "model: mutant $name NOT caught by the $kind search: spin found no error" >&2
        return 1
    fi
    line="model: mutant $name caught by the $kind search: $(explain "$first")"
    [ "$name" = NONE ] && line="model: the unbroken model fails without fairness, as it must: $(explain "$first")"
    if [ "$6" = 1 ]; then
        # shellcheck disable=SC2046
        search "$kind" "$mdir-behaviour" -DNO_INVARIANTS "$define" $(defines "$@") || return 1
        first=$(grep -m1 -E '^pan:[0-9]+: ' "$mdir-behaviour/pan.out" | sed 's/^pan:[0-9]*: *//; s/ (at depth.*//')
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
# CPU time of the searches (the shell's children), besides the wall time: the machine may be shared.
times >"$work/times"
cpu=$(tail -n 1 "$work/times" | awk '{print $1 " user, " $2 " system"}')
if [ "$status" = 0 ]; then
    echo "model: every configuration verified and every mutant caught in ${elapsed} s (CPU: $cpu)"
else
    echo "model: FAILED (${elapsed} s)" >&2
fi
exit "$status"

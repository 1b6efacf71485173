#!/bin/sh
# shellcheck disable=SC2317 # the functions are called through xargs (--task)
# Model-checks the queue protocol (tests/model/queue.pml) with spin, in three parts:
#   1. correspondence: every step of the model that cites src/queue.c as queue.c:LINE "text"
#      must find that text on that line, and every part of the model that a comment in
#      src/queue.c names ("model: NAME, NAME") must exist, so neither can change alone;
#   2. verification, for every configuration in RUNS below (capacity 1..3, consumer batch 1..2,
#      close concurrent with the pushes or after them, and each producer's item count, 0..3 with
#      0 meaning that producer is not started, are chosen inside the model: every combination,
#      in one search per line), by one of two searches (the first column), each of which must
#      report 0 errors and must not be cut short; both are exhaustive (no bitstate, no hash
#      compaction: every reachable state is stored in full):
#        any:  pan -a with the claim "every thread returns" (queue.pml: ltl terminates), no
#              fairness: the assertions (exactly once, FIFO per producer, pushes after close
#              fail, the counters' invariants, no lost wake-up, no wasted signal; the watchdog
#              turns a deadlock into one), and every execution, under any scheduling, ends with
#              every thread returned: no deadlock, no livelock (spurious wake-ups and timer
#              expiries bounded by the SPURIOUS column);
#        fair: the collector's timer unbounded (-DTIMER: it may fire forever), pan -a -f: the
#              assertions but the rationing check, and every execution under weak fairness
#              ends (without fairness it does not: the mutation check shows the cycle);
#   3. mutation check: each MUTANTS entry breaks the model the way the C code could be broken,
#      and spin must report an error for each, or the proof proves nothing.
# Prints each search's states and times, and the totals with the load average.
# Usage: tests/model/check.sh [JOBS]   (default: one job per CPU). Needs spin and a C compiler.
# Works in a temporary directory; the repository is not written to.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
model=$here/queue.pml
source=$here/../../src/queue.c
jobs=${1:-$(nproc 2>/dev/null || echo 2)}
command -v spin >/dev/null || { echo "model: spin is not installed (sh scripts/setup.sh test)" >&2; exit 1; }

# One search per line: SEARCH PRODUCERS CONSUMERS ITEMS MANY SPURIOUS. SEARCH is any or fair
# (above). Each of the PRODUCERS producers pushes 0..ITEMS items, every combination (0: it is
# not started, so three cover zero to three producers); bit p of MANY makes producer p push its
# items with one np_queue_push_many (else one np_queue_push each); SPURIOUS bounds the spurious
# wake-ups and timer expiries the environment may add, anywhere.
#   1. Two consumers, up to three producers (push_many, push, push_many), one spurious wake-up
#      or timer expiry: the largest search, 2.9 million states.
#   2. One consumer, up to three producers (push_many, push, push: two plain pushers, which 1
#      lacks), two spurious wake-ups or timer expiries.
#   3. Two consumers, up to two producers (push_many, push), two spurious wake-ups or timer
#      expiries. (With one, 1 covers these: its producers 0 and 1 are these two.)
#   4. and 5. Under weak fairness with the collector's timer unbounded: up to three producers
#      with two consumers (push_many, push, push_many, as 1) and with one (push_many, push,
#      push, as 2). They leave out the rationing check, which holds only until the timer first
#      fires: until then their executions are those of 1 and 2 without a spurious wake-up,
#      which check it. Fairness repeats the search per thread, so 4 is the costliest search
#      (1.4 million states, ~30 s of CPU). Every configuration with fewer
# producers, items or spurious wake-ups is inside one of these searches (a smaller bound is a
# subset of a larger one), so none is searched on its own. Largest first, so the parallel jobs
# end together.
RUNS="any 3 2 3 5 1
any 3 1 3 1 2
any 2 2 3 1 2
fair 3 2 3 5 0
fair 3 1 3 1 0"

# Mutants: NAME, the search that must catch it, the configuration that must expose it (same
# columns as RUNS), and how it must also be caught by what the threads do, the counters'
# invariants and the rationing check aside: "deadlock", the same search with every assertion
# ignored (pan -A) must find threads that never return (invalid end state); "behaviour", the
# model built without the invariants and the rationing check (NO_INVARIANTS) must still fail;
# "-", not required (the mutant only wastes signals, which only the rationing check sees). The
# search "safe" is pan -DSAFETY: the assertions and invalid end states (deadlocks), no claim.
# The search "live" is "fair" with the assertions ignored (pan -A): only the claim "every
# thread returns" can catch the mutant there. NONE is the model unbroken, searched by "unfair"
# ("fair" without -f): it must find a cycle, the collector's timer firing forever while no
# other thread runs, so fairness is needed.
MUTANTS="NO_SIGNAL_AT_BATCH safe 1 1 2 0 0 deadlock
CLOSE_NO_BROADCAST_NOT_EMPTY safe 1 1 1 0 0 deadlock
CLOSE_NO_BROADCAST_NOT_FULL safe 2 1 2 0 0 deadlock
LEAVE_KEEPS_PENDING safe 1 2 3 0 0 deadlock
IF_NOT_WHILE safe 1 2 3 0 1 behaviour
STRICT_HALF safe 2 1 2 0 0 deadlock
PUSH_IGNORES_CLOSE safe 1 1 2 0 0 behaviour
DOUBLE_DECREMENT safe 1 2 3 0 0 -
UNCOUNTED_SIGNAL safe 1 2 3 0 0 -
STRICT_HALF live 2 1 2 0 0 -
CLOSE_NO_BROADCAST_NOT_EMPTY live 2 2 2 1 0 -
NONE unfair 1 1 1 0 0 -"

# Builds pan in directory $2 from the model with the -D options that follow, and runs search $1
# (see above; safe, live and unfair are for the mutants) into pan.out. pan is compiled with
# $optimize, -O0 by default: compiling pan.c with -O2 costs ~2 s of CPU, more than the small
# searches save by it; at -O0 clang compiles it in half the time gcc takes, and gcc's -O2
# searches fastest. Its hash table has 2^$hash_bits slots (20 by default, 8 MB: a larger one
# only costs time to clear; more states than slots only make the chains longer).
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
    compiler=cc
    [ "${optimize:--O0}" = -O0 ] && command -v clang >/dev/null && compiler=clang
    # shellcheck disable=SC2086
    "$compiler" "${optimize:--O0}" $cc_opts -w -o pan pan.c || return 1
    # shellcheck disable=SC2086
    ./pan $pan_opts -m100000 -w"${hash_bits:-20}" >pan.out 2>&1 || true
    cd - >/dev/null
}

defines() { # PRODUCERS CONSUMERS ITEMS MANY SPURIOUS
    echo "-DPRODUCERS=$1 -DCONSUMERS=$2 -DITEMS=$3 -DMANY=$4 -DSPURIOUS=$5"
}

# The CPU seconds (user + system) of this shell's finished children so far, into file $1 (the
# builtin times, run by this shell: in a command substitution it would count a subshell's).
cpu_seconds() {
    times >"$1.times"
    awk 'NR == 2 {
        for (f = 1; f <= 2; f++) { split($f, t, "m"); sub("s", "", t[2]); n += t[1] * 60 + t[2] }
        printf "%.1f\n", n
    }' "$1.times" >"$1"
}

# Verifies one configuration (its line of RUNS as arguments): prints one line, fails on errors
# or on a search cut short (a depth or memory limit reached).
verify() {
    kind=$1
    shift
    dir=$work/run-$kind-$1-$2-$3-$4-$5
    optimize=-O0 hash_bits=20
    [ "$1" -ge 3 ] && optimize=-O2 hash_bits=24
    # shellcheck disable=SC2046 # the -D options are words
    search "$kind" "$dir" $(defines "$@") || return 1
    states=$(awk '/states, stored/ {print $1}' "$dir/pan.out")
    seconds=$(awk '/elapsed time/ {print $4}' "$dir/pan.out")
    cpu_seconds "$dir/cpu"
    if grep -q 'errors: 0$' "$dir/pan.out" && ! grep -qE 'max search depth too small|out of memory' "$dir/pan.out"; then
        printf 'model: %s: producers <=%s consumers %s items 0..%s many %s spurious %s: %s states, 0 errors (search %s s; %s s of CPU with compiling)\n' \
            "$kind" "$@" "$states" "$seconds" "$(cat "$dir/cpu")"
    else
        printf 'model: %s: producers <=%s consumers %s items 0..%s many %s spurious %s: ERRORS\n' "$kind" "$@" >&2
        grep -E 'pan:|errors:|error:' "$dir/pan.out" >&2
        return 1
    fi
}

# What spin's first error means, in words.
explain() {
    case $1 in
    *finished==*) echo "deadlock: a thread never returns (watchdog)" ;;
    *"invalid end state"*) echo "deadlock: a thread never returns (invalid end state)" ;;
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

# The first error in pan's output $1, without its depth.
first_error() {
    grep -m1 -E '^pan:[0-9]+: ' "$1" | sed 's/^pan:[0-9]*: *//; s/ (at depth.*//'
}

# A mutant (its line of MUTANTS as arguments) must make spin report an error: with every
# assertion, and as its last column says without them.
mutant() {
    name=$1
    kind=$2
    shift 2
    define=-DMUTANT_$name
    [ "$name" = NONE ] && define=-DUNBROKEN
    mdir=$work/mutant-$name-$kind
    # shellcheck disable=SC2046 # the -D options are words
    search "$kind" "$mdir" "$define" $(defines "$@") || return 1
    first=$(first_error "$mdir/pan.out")
    if [ -z "$first" ]; then
        echo "model: mutant $name NOT caught by the $kind search: spin found no error" >&2
        return 1
    fi
    line="model: mutant $name caught by the $kind search: $(explain "$first")"
    [ "$name" = NONE ] && line="model: the unbroken model fails without fairness, as it must: $(explain "$first")"
    case $6 in
    deadlock)
        (cd "$mdir" && ./pan -A -m100000 -w20 >pan-A.out 2>&1) || true
        first=$(first_error "$mdir/pan-A.out")
        case $first in
        *"invalid end state"*) line="$line; every assertion ignored: $(explain "$first")" ;;
        *)
            echo "model: mutant $name: no deadlock with the assertions ignored (${first:-no error})" >&2
            return 1
            ;;
        esac
        ;;
    behaviour)
        # shellcheck disable=SC2046
        search "$kind" "$mdir-behaviour" -DNO_INVARIANTS "$define" $(defines "$@") || return 1
        first=$(first_error "$mdir-behaviour/pan.out")
        if [ -z "$first" ]; then
            echo "model: mutant $name NOT caught without the invariants" >&2
            return 1
        fi
        line="$line; without the invariants: $(explain "$first")"
        ;;
    esac
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
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)

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
for name in $(grep -o 'model: [a-z_]*\(, [a-z_]*\)*' "$source" | sed 's/model: //; s/,//g' | tr ' ' '\n' | sort -u); do
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
load_after=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
total=$(cat "$work"/task-*.out | awk '/^model: (any|fair): .* states, 0 errors/ {
    for (f = 1; f < NF; f++) if ($(f + 1) == "states,") n += $f
} END { printf "%d", n }')
if [ "$status" = 0 ]; then
    cpu_seconds "$work/cpu"
    echo "model: every configuration verified ($total states) and every mutant caught in ${elapsed} s" \
        "(CPU: $(cat "$work/cpu") s; load average $load_before before, $load_after after)"
else
    echo "model: FAILED (${elapsed} s)" >&2
fi
exit "$status"

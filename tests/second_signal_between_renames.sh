#!/bin/bash
# A second SIGINT between the renames of a commit (the results file already in place, the report
# not yet): the process exits 130 with every target as it was -- all or none, also then. A shim
# (tests/shims/slow_calls.c) waits after each rename and says when it is there.
# Usage: second_signal_between_renames.sh SHIM PROGRAM
set -u
shim=$1 program=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo OLD >o.json
echo OLD >r.json
# env: bash starts background jobs with SIGINT ignored, and the program keeps an ignored signal.
NP_TEST_RENAME_MARKER=$work/renamed NP_TEST_RENAME_DELAY_MS=3000 LD_PRELOAD=$shim \
    env --default-signal=INT "$program" -q --latency 0 -o o.json --report r.json \
    "$repo/data/articles.json" 2>err &
pid=$!
for ((i = 0; i < 6000; i++)); do
    [ -e "$work/renamed.1" ] && break
    sleep 0.01
done
[ -e "$work/renamed.1" ] || { echo "FAIL: the first rename never came"; cat err; exit 1; }
kill -INT $pid
# Two SIGINTs sent before the first is taken merge into one: wait until it is no longer pending.
for ((i = 0; i < 2000; i++)); do
    mask=$(awk '/^ShdPnd:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
    (((16#$mask & 2) == 0)) && break
    sleep 0.01
done
kill -INT $pid
wait $pid
status=$?
fail=0
[ "$status" = 130 ] || { echo "FAIL: exit $status, expected 130"; fail=1; }
[ "$(cat o.json)" = OLD ] || { echo "FAIL: o.json replaced (was: left replaced)"; fail=1; }
[ "$(cat r.json)" = OLD ] || { echo "FAIL: r.json replaced"; fail=1; }
left=$(find . -name '.*' ! -name . | head -3)
[ -z "$left" ] || { echo "FAIL: left behind: $left"; fail=1; }
[ $fail = 0 ] && echo "1 passed, 0 failed"
exit $fail

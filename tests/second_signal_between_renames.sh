#!/bin/bash
# A second SIGINT between the renames of a commit (the results file already in place, the report
# not yet): the process exits 130 with every target as it was -- all or none, also then. A shim
# (tests/shims/slow_calls.c) waits after each rename and says when it is there.
# Usage: second_signal_between_renames.sh SHIM PROGRAM
set -u
shim=$1 program=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/tests/handshake.sh"
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
wait_for_file "$work/renamed.1" || { echo "FAIL: the first rename never came"; cat err; exit 1; }
two_sigints $pid # the second only once the first was taken: two could merge
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

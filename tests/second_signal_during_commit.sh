#!/bin/bash
# Issue 10 item 10: a second SIGINT while `bench` commits its files (the first file already in
# place, the second inside a slowed fsync) must exit 130 cleanly: under valgrind, no access to a
# temporary file name that was freed (the watcher once unlinked one), no temporary left.
# Usage: second_signal_during_commit.sh SHIM PROGRAM-AND-WRAPPER... (the wrapper: valgrind ...)
set -u
shim=$1
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$repo/tests/handshake.sh"
# env: bash starts background jobs with SIGINT ignored, and the program keeps an ignored signal.
NP_TEST_FSYNC_MARKER=$work/fsync NP_TEST_FSYNC_DELAY_MS=4000 LD_PRELOAD=$shim \
    env --default-signal=INT "$@" bench --runs 1 --warmup 0 --latency 0 --report r.json --trace t.json \
    "$repo/data/articles.json" >bench.out 2>bench.err &
pid=$!
wait_for_file "$work/fsync.2" || { echo "FAIL: the second fsync never came"; cat bench.err; exit 1; }
two_sigints $pid # the second only once the first was taken: two could merge
wait $pid
status=$?
cat bench.err
[ "$status" = 130 ] || { echo "FAIL: exit $status, expected 130 (99: valgrind found errors)"; exit 1; }
left=$(find . -name '.*.??????')
[ -z "$left" ] || { echo "FAIL: temporaries left: $left"; exit 1; }
echo "1 passed, 0 failed"

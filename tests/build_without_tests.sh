#!/bin/bash
# make run must not break later commands (issue 13): a build directory configured without tests
# (make run, make build) makes `ctest` fail and say how to get the tests, instead of printing
# "No tests were found" and exiting 0 as if they had passed; and make build keeps the tests of a
# build directory that has them (make test made it).
#   build_without_tests.sh REPO
set -euo pipefail
repo=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
build=$work/build
cmake -S "$repo" -B "$build" -DBUILD_TESTING=OFF >/dev/null
set +e
(cd "$build" && ctest -R test_queue) >"$work/out" 2>&1
status=$?
set -e
[ "$status" -ne 0 ] || fail "ctest in a build without tests exited 0: $(cat "$work/out")"
grep -q 'configured without tests' "$work/out" || fail "ctest did not say why: $(cat "$work/out")"
grep -q 'make build' "$work/out" || fail "ctest did not name make build: $(cat "$work/out")"
# make build (and so make run) configures a new directory without tests...
make -s -n -C "$repo" build BUILD_DIR="$build" >"$work/plan"
grep -q -- "-B $build -DBUILD_TESTING=OFF" "$work/plan" || fail "make build: $(cat "$work/plan")"
# ...and keeps them where they are: the same directory configured with tests stays so.
cmake -S "$repo" -B "$build" -DBUILD_TESTING=ON >/dev/null
make -s -n -C "$repo" build BUILD_DIR="$build" >"$work/plan"
grep -q -- "-B $build -DBUILD_TESTING=ON" "$work/plan" || fail "make build dropped the tests: $(cat "$work/plan")"
(cd "$build" && ctest -N -R '^test_queue$') 2>/dev/null | grep -q 'Total Tests: 1' ||
    fail "a build configured with tests again does not list test_queue"
echo "build without tests: all checks passed"

#!/bin/sh
# Cross-builds news-processor for aarch64 and runs it under qemu-user: the smoke run
# (-q --latency 0:0 data/articles.json) in every mode, then the cmocka unit tests (ctest -R
# '^test_'; the CLI and scenario scripts need binfmt_misc to start arm64 binaries and are
# skipped). Prints each step's time and PASS/FAIL; exits 1 if any step failed. Not part of CI.
#
# Usage: sh tools/cross-aarch64.sh [REV]
#   With REV (a commit, e.g. to show a fault on an older version), that revision is exported
#   with git archive and built in a temporary directory; without it, the work tree is built in
#   build-aarch64/.
# Needs (Debian 12): gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake pkg-config, and
# libcjson-dev:arm64 libcmocka-dev:arm64 through `dpkg --add-architecture arm64`. As root it
# installs what is missing; otherwise it prints the commands and stops.
set -u
cd "$(dirname "$0")/.."
repo=$(pwd)

missing=""
for package in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake pkg-config \
    libcjson-dev:arm64 libcmocka-dev:arm64; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $package"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "cross-aarch64: missing:$missing" >&2
        echo "cross-aarch64: run: sudo dpkg --add-architecture arm64 && sudo apt-get update &&" \
            "sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "cross-aarch64: installing$missing" >&2
    dpkg --add-architecture arm64
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || exit 1
fi
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static) || {
    echo "cross-aarch64: no qemu-aarch64" >&2
    exit 1
}

if [ $# -ge 1 ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/np-aarch64.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    git archive "$1" | tar -x -C "$tmp" || exit 1
    src=$tmp
    build=$tmp/build-aarch64
    echo "cross-aarch64: revision $(git rev-parse --short "$1")"
else
    src=$repo
    build=$repo/build-aarch64
    echo "cross-aarch64: work tree at $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (modified)')"
fi

failed=0
now() { date +%s.%N; }
# step NAME COMMAND...: runs COMMAND, prints its time and PASS or FAIL.
step()
{
    name=$1
    shift
    t0=$(now)
    if "$@" >"$build.log" 2>&1; then result=PASS; else result=FAIL failed=1; fi
    printf '%-36s %s  %6.1f s\n' "$name" "$result" "$(awk "BEGIN { print $(now) - $t0 }")"
    [ "$result" = PASS ] || sed 's/^/    | /' "$build.log" | tail -n 15
}

step "configure + build (aarch64-linux-gnu)" sh -c "cmake -S '$src' -B '$build' \
    -DCMAKE_TOOLCHAIN_FILE='$repo/tools/aarch64-toolchain.cmake' -DNP_WERROR=ON \
    -DBUILD_TESTING=ON && cmake --build '$build' -j $(nproc)"
file "$build/news-processor" | grep -q "ARM aarch64" || {
    echo "cross-aarch64: $build/news-processor is not an aarch64 executable" >&2
    exit 1
}
for mode in thread pool sequential; do
    step "smoke run --mode $mode" sh -c "'$qemu' '$build/news-processor' -q --latency 0:0 \
        --mode $mode '$src/data/articles.json' >'$build/smoke-$mode.json' &&
        jq -e '.articles | length == 15 and all(.status == \"ok\")' \
            '$build/smoke-$mode.json' >/dev/null"
done
step "unit tests (ctest -R ^test_)" sh -c "cd '$build' && ctest -R '^test_' \
    --output-on-failure -j $(nproc) && ctest -R '^test_' -N | tail -n 1"
sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \(test_[a-z_]*\) .* \([0-9.]* sec\)$/    \1 \2/p' \
    "$build.log"
rm -f "$build.log"
exit $failed

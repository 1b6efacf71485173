#!/bin/sh
# Builds the loader's libFuzzer target (tests/fuzz/fuzz_loader.c) with clang 14 under
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs it for FUZZ_SECONDS (default 60).
#   sh tests/fuzz/run.sh [BUILD_DIR]          BUILD_DIR defaults to build-fuzz (in the repo root)
#   FUZZ_SECONDS=600 sh tests/fuzz/run.sh
# BUILD_DIR is relative to the repository root. The corpus is a fresh temporary directory seeded
# from the repository's JSON files and from tests/fuzz/findings/ (the repository is never written
# to, except BUILD_DIR). Any finding (crash, broken invariant, leak, timeout, out of memory) makes
# libFuzzer exit non-zero; the input is saved as BUILD_DIR/artifacts/<kind>-<sha1> and its path
# printed ("Test unit written to ..."). Reproduce with:
#   BUILD_DIR/fuzz_loader BUILD_DIR/artifacts/crash-...
# Works without a terminal and as root (CI); needs clang and libclang-rt-14-dev.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}

# The compiler and the libFuzzer runtime (scripts/setup.sh installs them as root, else says how).
cc=clang-14
command -v "$cc" >/dev/null 2>&1 || cc=clang
if ! command -v "$cc" >/dev/null 2>&1 ||
    ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
    sh scripts/setup.sh test
    cc=clang-14
    command -v "$cc" >/dev/null 2>&1 || cc=clang
fi

mkdir -p "$build/artifacts"
"$cc" -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -Iinclude src/loader.c src/input.c src/article.c src/file_text.c \
    src/json_arena.c src/utf8.c \
    tests/fuzz/fuzz_loader.c \
    -lcjson -lm -o "$build/fuzz_loader"

corpus=$(mktemp -d "${TMPDIR:-/tmp}/np-fuzz-corpus.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
cp tests/data/JSONTestSuite/*.json "$corpus/"
for input in tests/cli/cases/*/*.json; do
    case_name=$(basename "$(dirname "$input")")
    cp "$input" "$corpus/case-$case_name-$(basename "$input")"
done
cp data/articles.json "$corpus/data-articles.json"
# Past findings, so a regression shows up at once (and a fixed one keeps guarding its fix).
for input in tests/fuzz/findings/*; do
    if [ -f "$input" ]; then
        cp "$input" "$corpus/finding-$(basename "$input")"
    fi
done
echo "fuzz: $(find "$corpus" -type f | wc -l) seed inputs, ${seconds} s, build in $build" >&2

# libFuzzer's own exit status is the verdict: 0 when nothing was found in the time given.
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    "$build/fuzz_loader" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -dict=tests/fuzz/json.dict -artifact_prefix="$build/artifacts/" \
    -print_final_stats=1 "$corpus"

#!/bin/sh
# Benchmark (not a test): the loader against a bare cJSON parse of the same file, side by side in
# one run (bench/load_bench.c). Target: ours / cJSON <= 1.3 on 100,000 articles (about 64 MB).
# Usage: sh bench/load_bench.sh BUILD_DIR [N] [RUNS]   (defaults: build-release, 100000, 7)
# Writes the articles to a temporary file, removed at exit; the repository is not written to.
set -eu
build=${1:-build-release}
n=${2:-100000}
runs=${3:-7}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/np-load-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$build/gen_articles" "$n" >"$tmp/articles.json"
echo "machine: $(nproc) cores, $(uname -sr); $n articles, $(($(wc -c <"$tmp/articles.json") / 1000000)) MB"
"$build/load_bench" --runs "$runs" "$tmp/articles.json"

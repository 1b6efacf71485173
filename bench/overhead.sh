#!/bin/sh
# Benchmark (not a test): how close the thread-per-article pipeline comes to its ideal.
# Prints overhead = wall time / critical path for N articles (default 1,000) at the default
# latency (500:1500 ms). The critical path is the largest per-article sum of simulated
# latencies: no schedule can finish sooner, so 1.000 is perfect. Target: <= 1.03.
# Usage: bench/overhead.sh BUILD_DIR [N] [RUNS]
set -eu
build=${1:-build-release}
n=${2:-1000}
runs=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/gen_articles" "$n" >"$tmp/articles.json"
echo "news-processor overhead benchmark: $n articles, latency 500:1500 ms, $runs runs"
echo "machine: $(nproc) cores, $(uname -sr)"
i=1
while [ "$i" -le "$runs" ]; do
    "$build/news-processor" -q --seed "$i" "$tmp/articles.json" >"$tmp/out.json"
    jq -r --arg run "$i" '.run | "run \($run): wall \(.wall_ms) ms, critical path \(.critical_path_ms) ms, overhead \((.wall_ms / .critical_path_ms * 10000 | round) / 10000)"' "$tmp/out.json"
    i=$((i + 1))
done

#!/bin/bash
# Does `news-processor bench` measure what hyperfine measures? The same command timed by both,
# interleaved (bench, hyperfine, bench, hyperfine, ...), for the smoke run (data/articles.json at
# --latency 0:0) and 200 articles at --latency 10:30; prints each side's mean of the whole-process
# wall time (bench: process_wall_ms of the measured runs; hyperfine: its mean, run without a shell,
# -N) and the ratio of the means, bench / hyperfine (target 0.95-1.05).
# Usage: bench/bench_vs_hyperfine.sh [BUILD_DIR [ROUNDS [RUNS]]]   (defaults: build 5 10)
set -euo pipefail
build=${1:-build}
rounds=${2:-5}
runs=${3:-10}
repo=$(cd "$(dirname "$0")/.." && pwd)
np=$(cd "$build" && pwd)/news-processor
command -v hyperfine >/dev/null || { echo "bench_vs_hyperfine: needs hyperfine (scripts/setup.sh bench)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench_vs_hyperfine: needs jq" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/gen_articles" 200 >"$work/a200.json"

compare_case() { # NAME ARGS...
    local name=$1 round b h
    shift
    : >"$work/bench.means"
    : >"$work/hyperfine.means"
    for ((round = 1; round <= rounds; round++)); do
        "$np" bench -q --runs "$runs" --warmup 1 --report "$work/b.json" "$@" >/dev/null
        jq '[.runs[] | select((.warmup | not) and (.interrupted | not)) | .process_wall_ms] | add / length' \
            "$work/b.json" >>"$work/bench.means"
        hyperfine -N --style none --runs "$runs" --warmup 1 --export-json "$work/h.json" \
            "$np $*" >/dev/null
        jq '.results[0].mean * 1000' "$work/h.json" >>"$work/hyperfine.means"
    done
    b=$(jq -s 'add / length' "$work/bench.means")
    h=$(jq -s 'add / length' "$work/hyperfine.means")
    printf '%-34s bench %8.2f ms (rounds %s)  hyperfine %8.2f ms (rounds %s)  ratio %.3f\n' \
        "$name" "$b" "$(jq -rs 'map(. * 10 | round / 10) | join(" ")' "$work/bench.means")" \
        "$h" "$(jq -rs 'map(. * 10 | round / 10) | join(" ")' "$work/hyperfine.means")" \
        "$(jq -n "$b / $h")"
}

echo "bench vs hyperfine: $rounds interleaved rounds of $runs runs (+1 warm-up) each; mean of the round means"
compare_case "smoke: 15 articles at 0:0" -q --latency 0:0 "$repo/data/articles.json"
compare_case "200 articles at 10:30" -q --latency 10:30 "$work/a200.json"

#!/bin/bash
# Does `news-processor bench` measure what hyperfine measures? The same command timed by both,
# interleaved (bench, hyperfine, bench, hyperfine, ...), for the smoke run (data/articles.json at
# --latency 0:0) and 200 articles at --latency 10:30; prints each side's mean of the whole-process
# wall time (bench: process_wall_ms of the measured runs; hyperfine: its mean, run without a shell,
# -N) and the ratio of the means, bench / hyperfine (target 0.95-1.05); beside it the ratio of the
# medians of the round means, which one round disturbed by other work on the machine moves less.
# Usage: bench/bench_vs_hyperfine.sh [BUILD_DIR [ROUNDS [RUNS]]]   (defaults: build-release 10 5)
set -euo pipefail
build=${1:-build-release}
rounds=${2:-10}
runs=${3:-5}
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
            "$np $*" >/dev/null 2>&1
        jq '.results[0].mean * 1000' "$work/h.json" >>"$work/hyperfine.means"
    done
    local median='sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end'
    b=$(jq -s 'add / length' "$work/bench.means")
    h=$(jq -s 'add / length' "$work/hyperfine.means")
    bm=$(jq -s "$median" "$work/bench.means")
    hm=$(jq -s "$median" "$work/hyperfine.means")
    printf '%s\n  bench     mean %7.2f ms, median %7.2f ms; rounds: %s\n' "$name" "$b" "$bm" \
        "$(jq -rs 'map(. * 10 | round / 10) | join(" ")' "$work/bench.means")"
    printf '  hyperfine mean %7.2f ms, median %7.2f ms; rounds: %s\n' "$h" "$hm" \
        "$(jq -rs 'map(. * 10 | round / 10) | join(" ")' "$work/hyperfine.means")"
    printf '  ratio bench / hyperfine: of the means %.3f, of the medians %.3f\n' \
        "$(jq -n "$b / $h")" "$(jq -n "$bm / $hm")"
}

echo "bench vs hyperfine: $rounds interleaved rounds of $runs runs (+1 warm-up) each;" \
    "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
compare_case "smoke: 15 articles at 0:0" -q --latency 0:0 "$repo/data/articles.json"
compare_case "200 articles at 10:30" -q --latency 10:30 "$work/a200.json"

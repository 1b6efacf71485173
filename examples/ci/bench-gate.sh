#!/bin/sh
# A CI regression gate: `news-processor bench` on the base and on the head of a change, then
# `news-processor compare`, its markdown table printed and appended to the job summary. The exit
# status is compare's: 0 no regression, 1 NEW's median wall time regressed beyond the threshold
# (significantly: it takes RUNS >= 4), 2 an error.
#
# Usage: examples/ci/bench-gate.sh BASE_BINARY HEAD_BINARY INPUT [BENCH OPTION...]
#   e.g. examples/ci/bench-gate.sh build-base/news-processor build/news-processor \
#            data/articles.json --latency 10:30
# Environment (all optional):
#   RUNS=10 WARMUP=1    bench's --runs and --warmup for each side
#   THRESHOLD=5         compare's --threshold, percent
#   OUT=bench-gate      where base.json, head.json and compare.md go
#   SUMMARY             a file the markdown table is appended to; default $GITHUB_STEP_SUMMARY
#   BASE_OPTIONS, HEAD_OPTIONS   more bench options for one side only (to test the gate itself
#                       with one build: e.g. --latency 10 against --latency 20)
# Used by examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml, and run by `make test`
# (tests/scenarios/ci_gate.sh), so the recipe cannot rot.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 BASE_BINARY HEAD_BINARY INPUT [BENCH OPTION...]" >&2
    exit 2
fi
base=$1
head=$2
input=$3
shift 3
runs=${RUNS:-10}
warmup=${WARMUP:-1}
threshold=${THRESHOLD:-5}
out=${OUT:-bench-gate}
summary=${SUMMARY:-${GITHUB_STEP_SUMMARY:-}}
mkdir -p "$out"

# shellcheck disable=SC2086 # BASE_OPTIONS and HEAD_OPTIONS are lists of options: split them
"$base" bench -q --runs "$runs" --warmup "$warmup" --report "$out/base.json" "$@" \
    ${BASE_OPTIONS:-} "$input" >"$out/base.txt" || exit 2
# shellcheck disable=SC2086
"$head" bench -q --runs "$runs" --warmup "$warmup" --report "$out/head.json" "$@" \
    ${HEAD_OPTIONS:-} "$input" >"$out/head.txt" || exit 2

status=0
"$head" compare --threshold "$threshold" --format markdown "$out/base.json" "$out/head.json" \
    >"$out/compare.md" || status=$?
[ "$status" -le 1 ] || exit "$status"
{
    echo "### news-processor bench: base vs head"
    echo
    cat "$out/compare.md"
    echo
    if [ "$status" = 1 ]; then
        echo "**Regression**: the head's median wall time is more than $threshold% above the base's."
    else
        echo "No regression beyond $threshold%."
    fi
} >"$out/summary.md"
cat "$out/summary.md"
if [ -n "$summary" ]; then
    cat "$out/summary.md" >>"$summary"
fi
exit "$status"

#!/bin/bash
# Benchmark (not a test): news-processor at scale, per mode, printed as a table.
#
# For each mode (thread, pool, sequential) and N = 1,000, 10,000, 100,000 synthetic articles
# (bench/gen_articles, ~600 bytes of content each) at --latency 0:0:
#   total   end-to-end wall time of the command (load + process + output), median of 3 runs
#   process the pipeline phase alone (from the report), median of 3 runs
#   thr     throughput, articles per second of the median process phase
#   rss     peak resident memory (from the report; the largest of the runs), and its ratio to
#           the input size
# then the latency-bound figures, overhead = wall / critical path and start-up cost per article =
# (wall - critical path) / articles: thread mode for each N at --latency 100:300, and where the
# ideal schedule is long (the critical path of pool mode is articles / workers latencies, that of
# sequential mode their sum) 1,000 articles of pool mode at 100:300 and sequential mode at 1:3
# (thread mode at the default latency is bench/overhead.sh)
# and peak RSS for 1,000,000 NDJSON articles streamed through pool mode (input piped from the
# generator, output to /dev/null), and the queue microbenchmark (bench/queue_bench.sh).
# Usage: bench/scale.sh [BUILD_DIR] [--quick]   (--quick: skip 100,000 and the 1,000,000 run)
set -euo pipefail
build=${1:-build-release}
quick=${2:-}
np=$build/news-processor
gen=$build/gen_articles
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=(1000 10000 100000)
[ "$quick" = --quick ] && sizes=(1000 10000)

echo "news-processor scale benchmark — $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d)"
for n in "${sizes[@]}"; do "$gen" "$n" >"$tmp/in-$n.json"; done
# Each figure is the median of RUNS runs (the machine is shared: one run says little). total is
# timed without --report, whose per-article rows would add their own writing time; process,
# throughput and peak RSS come from separate runs with --report.
runs=3
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
printf '\n%-11s %8s %10s %10s %12s %10s %7s\n' mode articles total process throughput "rss MB" "×input"
for mode in thread pool sequential; do
    for n in "${sizes[@]}"; do
        input=$tmp/in-$n.json
        : >"$tmp/totals"
        : >"$tmp/reports"
        for _ in $(seq "$runs"); do
            start=$(date +%s%N)
            "$np" -q --latency 0:0 --mode "$mode" "$input" >/dev/null
            echo $((($(date +%s%N) - start) / 1000000)) >>"$tmp/totals"
            "$np" -q --latency 0:0 --mode "$mode" --report "$tmp/r.json" "$input" >/dev/null
            jq -c '.runs[0] | {wall_ms, throughput_per_s, peak_rss_kb}' "$tmp/r.json" >>"$tmp/reports"
        done
        total_ms=$(median <"$tmp/totals")
        size_mb=$(stat -c %s "$input" | awk '{printf "%.1f", $1 / 1048576}')
        jq -rs --arg mode "$mode" --arg n "$n" --arg total "$total_ms" --arg size "$size_mb" '
            def median: sort | .[(length - 1) / 2 | floor];
            (map(.wall_ms) | median) as $process | (map(.peak_rss_kb) | max) as $rss |
            [$mode, $n, "\($total) ms", "\($process | floor) ms",
             "\(($n | tonumber) * 1000 / $process | floor)/s", "\($rss / 1024 | floor)",
             "\(($rss / 1024 / ($size | tonumber)) * 10 | floor / 10)"] |
            @tsv' "$tmp/reports" | awk -F'\t' '{printf "%-11s %8s %10s %10s %12s %10s %7s\n", $1, $2, $3, $4, $5, $6, $7}'
    done
done

echo
echo "Latency-bound runs: overhead = wall / critical path; start-up = (wall - critical path) / articles"
echo "(thread mode: median of 5 runs, 3 at 100,000, after a warm-up: the machine is shared, and the"
echo "first run after idle pays for fresh memory for thousands of stacks)"
printf '%-11s %8s %9s %10s %10s %18s\n' mode articles latency wall overhead "start-up/article"
# latency_run MODE N LATENCY [RUNS [WARMUP]]: prints one row from `news-processor bench`.
latency_run() {
    local runs=${4:-5} warmup=${5:-1}
    "$np" bench -q --runs "$runs" --warmup "$warmup" --mode "$1" --latency "$3" --report "$tmp/r.json" \
        "$tmp/in-$2.json" >/dev/null
    jq -r --arg mode "$1" --arg n "$2" --arg latency "$3" '
        def median: sort | .[(length - 1) / 2 | floor];
        [.runs[] | select(.warmup | not)] as $runs |
        [$mode, $n, $latency, "\($runs | map(.wall_ms) | median | floor) ms",
         "\($runs | map(.overhead) | median * 10000 | floor / 10000)",
         "\($runs | map((.wall_ms - .critical_path_ms) * 1000 / .articles) | median | floor) µs"] |
        @tsv' "$tmp/r.json" | awk -F'\t' '{printf "%-11s %8s %9s %10s %10s %18s\n", $1, $2, $3, $4, $5, $6}'
}
for n in "${sizes[@]}"; do latency_run thread "$n" 100:300 $([ "$n" = 100000 ] && echo 3); done
# One run each: they take seconds, almost all of it simulated latency, so they vary little.
latency_run pool 1000 100:300 1 0 # 64 workers: 1,000 articles of ~400 ms take ~6 s
latency_run sequential 1000 1:3 1 0 # the sum of all latencies: ~4 s

if [ "$quick" != --quick ]; then
    echo
    "$gen" --ndjson 1000000 | "$np" -q --latency 0:0 --mode pool --input-format ndjson \
        --format ndjson --report "$tmp/r.json" - >/dev/null
    jq -r '.runs[0] | "Streaming: 1,000,000 NDJSON articles, pool mode: \(.articles) processed in \(.wall_ms | floor) ms, peak RSS \(.peak_rss_kb / 1024 | floor) MB"' "$tmp/r.json"
fi

echo
sh "$(dirname "$0")/queue_bench.sh"

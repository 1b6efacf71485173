#!/usr/bin/env bash
# Benchmark (not a test): the openai backend's own cost per call, and thread vs pool (vs
# --max-inflight, when this build has it) against a server that serves at most 8 requests at once.
#
# 1. Overhead per call: N articles (2N calls) one after another (--mode sequential) against the
#    test server (tests/llm_server) at zero latency, against the floor measured in the same run:
#    curl_floor, the same requests on one reused bare libcurl handle. overhead per call =
#    (our wall - floor wall) / calls. Target (issue 14): under 100 us per call with reused
#    connections (the server's /stats shows requests > connections). Also the CPU time (user +
#    sys, from wait4) per call of each: unlike wall time it does not include waiting for the
#    server, so it shows the client's own cost even when the server is slow to answer.
# 2. Schedules: M articles against a server with --max-concurrent 8 and LAT ms latency per call.
#
# Usage: bench/backend_overhead.sh BUILD_DIR [N] [M] [LAT]   (BUILD_DIR built with BUILD_TESTING)
set -euo pipefail
build=${1:-build}
n=${2:-200}
m=${3:-200}
lat=${4:-50}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LLM_SERVER=$build/tests/llm_server
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$here/../tests/llm_server/lib.sh"
np=$build/news-processor
echo "machine: $(nproc) cores, $(uname -sr); libcurl $(curl-config --version 2>/dev/null || echo '?')"

"$build/gen_articles" "$n" >"$tmp/n.json"
calls=$((2 * n))
llm_server_start "$tmp/srv"
# Warm up both (first connections, page cache), then measure each three times, best of three.
"$build/curl_floor" "$llm_url/chat/completions" bench "$tmp/n.json" 20 >/dev/null
cpu_ms() { sed -n 's/^timed: .*user_ms=\([0-9.]*\) sys_ms=\([0-9.]*\).*/\1 \2/p' "$1" | awk '{print $1 + $2}'; }
best_floor= best_ours= best_floor_cpu= best_ours_cpu=
for run in 1 2 3; do
    floor_ns=$("$build/timed" "$build/curl_floor" "$llm_url/chat/completions" bench "$tmp/n.json" \
        "$calls" 2>"$tmp/floor.timed")
    "$build/timed" "$np" --backend openai --base-url "$llm_url" --model bench --mode sequential \
        -q --report "$tmp/r.json" "$tmp/n.json" >/dev/null 2>"$tmp/ours.timed"
    ours_ns=$(jq '.runs[0].phases_ms.process * 1000000 | floor' "$tmp/r.json")
    [ -z "$best_floor" ] || [ "$floor_ns" -lt "$best_floor" ] && best_floor=$floor_ns
    [ -z "$best_ours" ] || [ "$ours_ns" -lt "$best_ours" ] && best_ours=$ours_ns
    c=$(cpu_ms "$tmp/floor.timed")
    [ -z "$best_floor_cpu" ] || awk -v a="$c" -v b="$best_floor_cpu" 'BEGIN {exit !(a < b)}' &&
        best_floor_cpu=$c
    c=$(cpu_ms "$tmp/ours.timed")
    [ -z "$best_ours_cpu" ] || awk -v a="$c" -v b="$best_ours_cpu" 'BEGIN {exit !(a < b)}' &&
        best_ours_cpu=$c
done
requests=$(llm_stats requests)
connections=$(llm_stats connections)
llm_server_stop
awk -v f="$best_floor" -v o="$best_ours" -v c="$calls" -v req="$requests" -v con="$connections" \
    -v fc="$best_floor_cpu" -v oc="$best_ours_cpu" '
BEGIN {
    printf "overhead per call (%d calls in sequence, zero server latency, best of 3):\n", c
    printf "  floor (bare libcurl, one reused handle)  %9.1f us per call\n", f / c / 1000
    printf "  news-processor --backend openai          %9.1f us per call\n", o / c / 1000
    printf "  overhead                                 %9.1f us per call (target < 100)\n", (o - f) / c / 1000
    printf "  ratio to the floor                       %9.3f\n", o / f
    printf "  CPU (user+sys, whole process) per call:  floor %.1f us, ours %.1f us, difference %.1f us\n", fc * 1000 / c, oc * 1000 / c, (oc - fc) * 1000 / c
    printf "  server: %d requests over %d connections\n", req, con
}'

"$build/gen_articles" "$m" >"$tmp/m.json"
echo "schedules: $m articles ($((2 * m)) calls), server --max-concurrent 8, latency $lat ms per call"
printf '  %-44s %10s %10s %12s %12s\n' schedule wall_ms ideal_ms connections server_peak
have_inflight=0
case $("$np" --help) in *--max-inflight*) have_inflight=1 ;; esac
schedules=("--mode thread" "--mode pool --workers 8" "--mode pool --workers 64")
[ "$have_inflight" = 1 ] && schedules+=("--mode thread --max-inflight 8" "--mode pool --workers 64 --max-inflight 8")
for schedule in "${schedules[@]}"; do
    llm_server_start "$tmp/srv8" --max-concurrent 8
    # shellcheck disable=SC2086
    "$np" --backend openai --base-url "$llm_url" --model "sched+latency=$lat" $schedule -q \
        --report "$tmp/s.json" "$tmp/m.json" >/dev/null
    printf '  %-44s %10s %10s %12s %12s\n' "$schedule" \
        "$(jq '.runs[0].wall_ms' "$tmp/s.json")" "$(jq '.runs[0].critical_path_ms' "$tmp/s.json")" \
        "$(llm_stats connections)" "$(llm_stats max_concurrent)"
    llm_server_stop
done
[ "$have_inflight" = 1 ] || echo "  (--max-inflight is not in this build: its lines are left out)"

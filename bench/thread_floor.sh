#!/bin/bash
# Benchmark (not a test): thread mode against its physical floor, measured in the same run.
#
# The floor is bench/floor.c: the same articles' drawn latencies, one bare pthread per article on
# program-owned stacks, created in input order by one thread, each only sleeping its two
# latencies, then joined. For each case below, news-processor (thread mode, output to /dev/null)
# and the floor run alternately, RUNS times each (A/B interleaved: the machine is shared, and a
# slow minute then slows both); the first run of each is the cold one (a fresh process right
# after the input file was written), the others are warm. Printed per case, median (min–max):
#   per article   (wall − ideal) / articles of the processing phase: news-processor's "Processed
#                 ... in W s (critical path C s)" line, the floor's own clock around create..join
#   sys CPU       system CPU time of the whole process (wait4 rusage, bench/timed)
#   process       whole-process wall time, start-up and exit included (bench/timed)
# and the ratio ours / floor of the medians, against issue 11's targets: per article and system
# CPU ≤ 1.2× the floor's at 1,000 articles 10:30, 10,000 at 100:300, 100,000 at 0:0, cold and
# warm; the smoke run (data/articles.json, 15 articles, 0:0) ≤ 5 ms whole process; overhead
# (wall / ideal) at 1,000 articles at the default latency within 0.005 of the floor's.
# Usage: bench/thread_floor.sh [BUILD_DIR [RUNS]]   (BUILD_DIR default build-release, RUNS 5)
set -euo pipefail
build=${1:-build-release}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
np=$build/news-processor
floor=$build/floor
timed=$build/timed
gen=$build/gen_articles
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "thread mode vs the floor — $(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median (min–max) of $runs interleaved runs each; cold = the first run of each program"

# one KIND LATENCY INPUT: runs one program once, appends "per_article_us wall_ms ideal_ms sys_ms
# process_ms" to $tmp/KIND.
one() {
    local kind=$1 latency=$2 input=$3 line stats
    if [ "$kind" = ours ]; then
        "$timed" "$np" --latency "$latency" -o /dev/null "$input" 2>"$tmp/err" >/dev/null
        line=$(sed -n 's/^Processed \([0-9]*\) articles in \([0-9.]*\) s (critical path \([0-9.]*\) s).*/\1 \2 \3/p' "$tmp/err")
        [ -n "$line" ] || { echo "news-processor failed: $(cat "$tmp/err")" >&2; exit 1; }
        set -- $line
        line="$1 $(awk -v w="$2" 'BEGIN {print w * 1000}') $(awk -v c="$3" 'BEGIN {print c * 1000}')"
    else
        "$timed" "$floor" --latency "$latency" "$input" 2>"$tmp/err" >"$tmp/out"
        line=$(sed -n 's/^articles=\([0-9]*\) ideal_ms=\([0-9]*\) wall_ms=\([0-9.]*\).*/\1 \3 \2/p' "$tmp/out")
        [ -n "$line" ] || { echo "floor failed: $(cat "$tmp/err")" >&2; exit 1; }
    fi
    stats=$(sed -n 's/^timed: wall_ms=\([0-9.]*\) user_ms=[0-9.]* sys_ms=\([0-9.]*\).*/\2 \1/p' "$tmp/err")
    set -- $line $stats
    # $1 articles, $2 wall_ms, $3 ideal_ms, $4 sys_ms, $5 process_ms
    awk -v n="$1" -v w="$2" -v i="$3" -v s="$4" -v p="$5" \
        'BEGIN {printf "%.3f %.3f %.3f %.3f %.3f\n", (w - i) * 1000 / n, w, i, s, p}' >>"$tmp/$kind"
}

# median: "median min max" of the numbers on stdin, one a line.
median() {
    sort -g | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%s %s %s\n", m, v[1], v[NR]}'
}

# summary FILE COLUMN FROM TO: median min max of COLUMN over rows FROM..TO.
summary() {
    awk -v c="$2" -v from="$3" -v to="$4" 'NR >= from && NR <= to {print $c}' "$1" | median
}

verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t ? "met" : "MISSED")}'; }

# row LABEL COLUMN FROM TO UNIT [TARGET]: one line, ours vs floor, ratio of the medians.
row() {
    local o f ratio
    o=($(summary "$tmp/ours" "$2" "$3" "$4"))
    f=($(summary "$tmp/floor" "$2" "$3" "$4"))
    ratio=$(awk -v a="${o[0]}" -v b="${f[0]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    printf '  %-18s ours %8.1f %s (%.1f–%.1f)   floor %8.1f %s (%.1f–%.1f)   ratio %s%s\n' "$1" \
        "${o[0]}" "$5" "${o[1]}" "${o[2]}" "${f[0]}" "$5" "${f[1]}" "${f[2]}" "$ratio" \
        "${6:+   (target ≤ $6: $(verdict "$ratio" "$6"))}"
}

# run_case LABEL LATENCY INPUT
run_case() {
    local label=$1 latency=$2 input=$3
    : >"$tmp/ours"
    : >"$tmp/floor"
    for _ in $(seq "$runs"); do
        one ours "$latency" "$input"
        one floor "$latency" "$input"
    done
    echo
    echo "$label (ideal $(awk 'NR == 1 {print $3}' "$tmp/ours") ms)"
    row "per article, warm" 1 2 "$runs" µs 1.2
    row "per article, cold" 1 1 1 µs 1.2
    row "sys CPU, warm" 4 2 "$runs" ms 1.2
    row "sys CPU, cold" 4 1 1 ms 1.2
    row "phase, warm" 2 2 "$runs" ms
    row "process, warm" 5 2 "$runs" ms
    row "process, cold" 5 1 1 ms
}

for n in 1000 10000 100000; do "$gen" "$n" >"$tmp/in-$n.json"; done
run_case "1,000 articles, --latency 10:30" 10:30 "$tmp/in-1000.json"
run_case "10,000 articles, --latency 100:300" 100:300 "$tmp/in-10000.json"
run_case "100,000 articles, --latency 0:0" 0:0 "$tmp/in-100000.json"

# The default latency: overhead = wall / ideal, ours within 0.005 of the floor's.
: >"$tmp/ours"
: >"$tmp/floor"
for _ in $(seq "$runs"); do
    one ours 500:1500 "$tmp/in-1000.json"
    one floor 500:1500 "$tmp/in-1000.json"
done
echo
echo "1,000 articles at the default latency (500:1500): overhead = wall / ideal"
o=($(awk '{print $2 / $3}' "$tmp/ours" | median))
f=($(awk '{print $2 / $3}' "$tmp/floor" | median))
d=$(awk -v a="${o[0]}" -v b="${f[0]}" 'BEGIN {printf "%.4f", a - b}')
printf '  ours %.4f (%.4f–%.4f)   floor %.4f (%.4f–%.4f)   difference %s   (target ≤ 0.005: %s)\n' \
    "${o[0]}" "${o[1]}" "${o[2]}" "${f[0]}" "${f[1]}" "${f[2]}" "$d" "$(verdict "$d" 0.005)"

# The smoke run: whole process, 15 articles at 0:0, ≤ 5 ms.
: >"$tmp/smoke"
for _ in $(seq $((runs * 2))); do
    "$timed" "$np" -q --latency 0:0 "$root/data/articles.json" 2>"$tmp/err" >/dev/null
    sed -n 's/^timed: wall_ms=\([0-9.]*\).*/\1/p' "$tmp/err" >>"$tmp/smoke"
done
s=($(median <"$tmp/smoke"))
echo
printf 'smoke run (news-processor -q --latency 0:0 data/articles.json), whole process: %.1f ms (%.1f–%.1f) over %d runs   (target ≤ 5 ms: %s)\n' \
    "${s[0]}" "${s[1]}" "${s[2]}" $((runs * 2)) "$(verdict "${s[0]}" 5)"

#!/bin/bash
# Benchmark (not a test): is the queue's wake-up rationing worth its complexity? Builds the tool
# (Release) and the queue microbenchmark once per variant of src/queue.c, then measures them side
# by side in one run, rounds interleaved so that the shared VM's drift hits every variant alike:
#   as-is          src/queue.c as it stands
#   <name>         src/queue.c with bench/queue_variants/<name>.patch applied, e.g.
#                  plain          a signal for every item pushed and every slot freed, no counters
#                  plain-nobatch  the same, and np_queue_set_consumer_batch ignored (batch 1)
# Figures: the process phase of pool mode on 100,000 articles at --latency 0:0 (from --report:
# the flood the rationing was built for), median/min/max over ROUNDS rounds, with the process's
# context switches; then bench/queue_bench.c for each variant.
# Usage: bench/queue_variants.sh [ROUNDS [ARTICLES]]   (defaults: 7 rounds, 100000 articles)
# Compiles into a temporary directory; the repository is not written to.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
articles=${2:-100000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/np-queue-variants.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

variants=(as-is)
for patch in bench/queue_variants/*.patch; do variants+=("$(basename "$patch" .patch)"); done
for v in "${variants[@]}"; do
    mkdir -p "$tmp/$v"
    cp -r src include bench CMakeLists.txt "$tmp/$v/"
    if [ "$v" != as-is ]; then
        patch --quiet -d "$tmp/$v" -p1 <"bench/queue_variants/$v.patch" ||
            { echo "queue_variants: $v.patch no longer applies to src/queue.c" >&2; exit 1; }
    fi
    cmake -S "$tmp/$v" -B "$tmp/$v/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$tmp/$v/build" -j "$(nproc)" --target news-processor gen_articles >/dev/null
    cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_GNU_SOURCE -I"$tmp/$v/include" \
        "$tmp/$v/src/queue.c" "$tmp/$v/src/clock.c" "$tmp/$v/bench/queue_bench.c" -lpthread \
        -o "$tmp/$v/queue_bench"
done
"$tmp/as-is/build/gen_articles" "$articles" >"$tmp/in.json"

echo "queue variants — $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "pool mode, $articles articles, --latency 0:0: process phase (ms), $rounds interleaved rounds"
for r in $(seq "$rounds"); do
    # Rotate the order each round, so no variant always runs first (or right after another).
    for i in "${!variants[@]}"; do
        v=${variants[$(((i + r) % ${#variants[@]}))]}
        /usr/bin/time -f '%c %w' -o "$tmp/$v.time" "$tmp/$v/build/news-processor" -q \
            --latency 0:0 --mode pool --report "$tmp/$v.json" "$tmp/in.json" >/dev/null
        read -r involuntary voluntary <"$tmp/$v.time"
        echo "$(jq '.runs[0].wall_ms' "$tmp/$v.json") $((involuntary + voluntary))" >>"$tmp/$v.ms"
    done
done
printf '%-15s %9s %9s %9s %18s\n' variant median min max "ctx switches (med)"
for v in "${variants[@]}"; do
    sort -n "$tmp/$v.ms" | awk -v v="$v" '{ms[NR] = $1; cs[NR] = $2}
        END {m = int((NR + 1) / 2); printf "%-15s %9.1f %9.1f %9.1f", v, ms[m], ms[1], ms[NR]}'
    sort -n -k2 "$tmp/$v.ms" | awk '{cs[NR] = $2} END {printf " %18d\n", cs[int((NR + 1) / 2)]}'
done
echo
for v in "${variants[@]}"; do
    echo "queue_bench, $v:"
    "$tmp/$v/queue_bench" 0.3 5
done

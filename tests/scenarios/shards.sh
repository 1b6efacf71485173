# --shard I/N: the union of all shards' outputs is the unsharded output, each article once.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 8 --ndjson 101 >"$work/in.ndjson"
"$np" -q --latency 0:2 --format ndjson "$work/in.ndjson" >"$work/all.ndjson"
for i in 0 1 2 3; do
    "$np" -q --latency 0:2 --format ndjson --shard "$i/4" "$work/in.ndjson" >"$work/shard$i.ndjson"
done
check "union of shards = whole" cmp -s <(stable_lines "$work/all.ndjson") <(cat "$work"/shard?.ndjson | stable_lines)
check "shard 1/4 has the ids 2, 6, 10, ..." test "$(jq -s -c '[.[].id] | sort | .[:3]' "$work/shard1.ndjson")" = "[2,6,10]"
done_ok

# --shard I/N: the union of all shards' outputs is the unsharded output, each article once; every
# result carries its input index, and `merge` puts the shards' outputs back into input order.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 8 --ndjson 101 >"$work/in.ndjson"
"$np" -q --latency 0:2 --format ndjson "$work/in.ndjson" >"$work/all.ndjson"
for i in 0 1 2 3; do
    "$np" -q --latency 0:2 --format ndjson --shard "$i/4" "$work/in.ndjson" >"$work/shard$i.ndjson"
done
check "union of shards = whole" cmp -s <(stable_lines "$work/all.ndjson") <(cat "$work"/shard?.ndjson | stable_lines)
check "shard 1/4 has the ids 2, 6, 10, ..." test "$(jq -s -c '[.[].id] | sort | .[:3]' "$work/shard1.ndjson")" = "[2,6,10]"

# "index" is the input position, from 0: the N-th line of the input has index N-1.
check "each result's index is its input position" cmp -s \
    <(jq -c '.id' "$work/in.ndjson" | awk '{ print NR - 1, $0 }') \
    <(jq -r '"\(.index) \(.id)"' "$work/all.ndjson" | sort -n)
check "shard 1/4 holds indexes 1, 5, 9, ..." test \
    "$(jq -s -c '[.[].index] | sort | .[:3]' "$work/shard1.ndjson")" = "[1,5,9]"

# merge: parts in any order (one from standard input) give the unsharded document's articles,
# in input order, each line as its shard wrote it ("completed" counts within its shard).
"$np" -q --latency 0:2 "$work/in.ndjson" >"$work/whole.json"
"$np_program" merge "$work/shard2.ndjson" - "$work/shard0.ndjson" "$work/shard3.ndjson" \
    <"$work/shard1.ndjson" >"$work/merged.json"
check "merged = unsharded, in input order" cmp -s <(stable "$work/whole.json") <(stable "$work/merged.json")
check "merged run figures" test "$(jq -c .run "$work/merged.json")" = \
    '{"articles":101,"parts":4,"status":{"ok":101,"failed":0,"cancelled":0}}'
"$np_program" merge --format ndjson -o "$work/merged.ndjson" "$work"/shard?.ndjson
check "merge --format ndjson: lines in input order" cmp -s <(jq -c 'del(.completed)' "$work/merged.ndjson") \
    <(stable "$work/whole.json")

# With faults, in pool mode: the combined status counts are the unsharded run's.
faults=(--latency 0:2 --fail-rate 0.3 --retries 0 --mode pool --workers 3)
status_of "$np" -q "${faults[@]}" -o "$work/faulty.json" "$work/in.ndjson"
check "the faulty run fails some articles" test "$status" = 1
for i in 0 1 2; do
    status_of "$np" -q "${faults[@]}" --format ndjson --shard "$i/3" "$work/in.ndjson" \
        >"$work/faulty$i.ndjson"
done
"$np_program" merge "$work"/faulty?.ndjson >"$work/faulty-merged.json"
check "merged faulty shards = the faulty run" cmp -s <(stable "$work/faulty.json") <(stable "$work/faulty-merged.json")
check "merged status counts = the faulty run's" test "$(jq -c .run.status "$work/faulty-merged.json")" = \
    "$(jq -c .run.status "$work/faulty.json")"

# A shard missing, or one given twice: exit 2, the indexes named, no output file.
status_of "$np_program" merge -o "$work/partial.json" "$work/shard0.ndjson" "$work/shard1.ndjson" \
    "$work/shard3.ndjson" 2>"$work/err"
check "a missing shard exits 2" test "$status" = 2
check "a missing shard is named by its indexes" grep -q 'missing: index 2, 6, 10,' "$work/err"
check "a refused merge writes no file" test ! -e "$work/partial.json"
check "a refused merge leaves no temporary file" test -z "$(leftovers "$work")"
status_of "$np_program" merge "$work"/shard?.ndjson "$work/shard2.ndjson" >/dev/null 2>"$work/err"
check "a shard twice exits 2" test "$status" = 2
check "a shard twice is named" grep -q 'index 2 appears twice' "$work/err"
done_ok

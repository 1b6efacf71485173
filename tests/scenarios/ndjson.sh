# NDJSON in and out: the same articles give the same results as JSON; every output line is one
# article object with the document's members; format chosen by name or option; stdin works.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 4 300 >"$work/in.json"
"$gen" --seed 4 --ndjson 300 >"$work/in.ndjson"
cp "$work/in.ndjson" "$work/in.txt"
"$np" -q --latency 0:2 "$work/in.json" >"$work/doc.json"
"$np" -q --latency 0:2 --format ndjson "$work/in.ndjson" >"$work/lines.ndjson"
"$np" -q --latency 0:2 --input-format ndjson --format ndjson - <"$work/in.txt" >"$work/stdin.ndjson"
"$np" -q --latency 0:2 --input-format ndjson "$work/in.txt" >"$work/doc2.json"
check "300 lines" test "$(wc -l <"$work/lines.ndjson")" = 300
check "each line is an article object" jq -e -s 'all(.[]; type == "object" and has("id") and has("summary") and has("completed") and (has("run") | not))' "$work/lines.ndjson"
check "NDJSON results = JSON results" cmp -s <(stable "$work/doc.json" | sort) <(stable_lines "$work/lines.ndjson")
check "stdin NDJSON = file NDJSON" cmp -s <(stable_lines "$work/lines.ndjson") <(stable_lines "$work/stdin.ndjson")
check "NDJSON in, JSON document out, input order" cmp -s <(stable "$work/doc.json") <(stable "$work/doc2.json")
# A malformed line: what was read before it is written, the error names the line, exit 2.
{ head -5 "$work/in.ndjson"; echo '{"id": 99, "title": "x"'; tail -3 "$work/in.ndjson"; } >"$work/bad.ndjson"
set +e
"$np" -q --latency 0 --format ndjson "$work/bad.ndjson" >"$work/bad.out" 2>"$work/bad.err"
status=$?
set -e
check "malformed line exits 2" test "$status" = 2
check "articles before it are written" test "$(wc -l <"$work/bad.out")" = 5
check "the error names line 6" grep -q "^news-processor: $work/bad.ndjson:6:" "$work/bad.err"
{ head -2 "$work/in.ndjson"; echo '{"id": 7, "title": "t"}'; } >"$work/schema.ndjson"
set +e
"$np" -q --latency 0 "$work/schema.ndjson" >"$work/schema.out" 2>"$work/schema.err"
status=$?
set -e
check "schema error exits 2" test "$status" = 2
check "schema error names line and article" grep -qx "news-processor: $work/schema.ndjson:3: article #3 (id 7): missing \"content\"" "$work/schema.err"
check "document still holds the 2 good articles" test "$(jq '.articles | length' "$work/schema.out")" = 2
# Each line is a JSON text: one byte order mark at its start is skipped (files written on Windows,
# or concatenated), a second is a syntax error at its column (marks are not counted).
bom=$(printf '\357\273\277')
{ printf '%s' "$bom"; head -1 "$work/in.ndjson"; printf '%s' "$bom"; sed -n 2p "$work/in.ndjson"; } >"$work/bom.ndjson"
check "byte order marks starting lines are skipped" test "$("$np" -q --latency 0 "$work/bom.ndjson" | jq '.articles | length')" = 2
{ head -1 "$work/in.ndjson"; printf '%s%s' "$bom" "$bom"; sed -n 2p "$work/in.ndjson"; } >"$work/bom2.ndjson"
set +e
"$np" -q --latency 0 "$work/bom2.ndjson" >/dev/null 2>"$work/bom2.err"
status=$?
set -e
check "a second byte order mark exits 2" test "$status" = 2
check "and names line 2, column 1" grep -qx "news-processor: $work/bom2.ndjson:2:1: syntax error at byte 0xEF" "$work/bom2.err"
done_ok

# --report, --trace, --timeline and bench through the real binary: the files are valid and
# consistent with the run; the progress line shows on a terminal and never in a pipe.
source "$(dirname "$0")/lib.sh"
input=$repo/data/articles.json
"$np" -q --latency 20:40 --report "$work/r.json" --trace "$work/t.json" --timeline "$work/t.svg" "$input" >"$work/out.json"
check "report schema" jq -e '.schema == "news-processor-report" and .schema_version == 1 and (.runs | length) == 1' "$work/r.json"
check "report matches the output" jq -e --slurpfile out "$work/out.json" '.runs[0].critical_path_ms == $out[0].run.critical_path_ms and .runs[0].articles == ($out[0].articles | length) and (.runs[0].articles_detail | length) == 15' "$work/r.json"
check "overhead = wall / critical path" jq -e '.runs[0] | (.overhead - (.wall_ms / .critical_path_ms) | fabs) < 0.001' "$work/r.json"
check "trace has 30 stage events" jq -e '[.traceEvents[] | select(.ph == "X" and .cat == "stage")] | length == 30' "$work/t.json"
check "timeline is valid XML" xmllint --noout "$work/t.svg"
"$np" bench --runs 4 --warmup 1 --latency 5:10 --report "$work/b.json" "$input" >"$work/bench.txt" 2>/dev/null
check "bench prints wall time" grep -q "Wall time (mean ± σ)" "$work/bench.txt"
check "bench prints overhead" grep -q "Overhead (mean ± σ)" "$work/bench.txt"
check "bench report holds 5 runs, 1 warm-up" jq -e '(.runs | length) == 5 and ([.runs[] | select(.warmup)] | length) == 1' "$work/b.json"
"$np" compare "$work/b.json" "$work/b.json" >"$work/cmp.txt"
check "a report compared with itself shows no difference" grep -q "no significant difference\|no difference" "$work/cmp.txt"
# Progress: a pseudo-terminal (script(1)) shows it for a run over a second; a pipe never does.
if command -v script >/dev/null; then
    script -qec "$np --latency 1300:1300 $input >/dev/null" "$work/tty.log" >/dev/null
    check "progress line on a terminal" grep -Eq "/15  elapsed [0-9]+\.[0-9]s" "$work/tty.log"
    "$np" --latency 1300:1300 "$input" 2>"$work/pipe.err" >/dev/null
    check "no progress line when stderr is not a terminal" test "$(grep -c '\[' "$work/pipe.err")" = 0
fi
done_ok

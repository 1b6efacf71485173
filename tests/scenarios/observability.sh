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
check "bench prints the whole process's figures" grep -q "Time (mean ± σ): .*\[User: .*, System: .*\]" "$work/bench.txt"
check "bench: every run a fresh process, its figures beside the phases" jq -e '[.runs[] | .process_wall_ms > (.phases_ms.load + .phases_ms.process + .phases_ms.output) and .user_ms >= 0 and .sys_ms >= 0 and .max_rss_kb > 0 and .startup_exit_ms > 0 and (.phases_ms.output | type) == "number"] | all' "$work/b.json"
check "a single run has no process figures" jq -e '.runs[0] | .process_wall_ms == null and .max_rss_kb == null' "$work/r.json"
# Peak RSS belongs to each run's own process: it no longer only grows.
"$gen" 3000 >"$work/big.json"
"$np" bench --runs 2 --warmup 0 --latency 0 --report "$work/rss.json" "$work/big.json" >/dev/null 2>&1
"$np" bench --runs 1 --warmup 0 --latency 0 --report "$work/rss_small.json" "$input" >/dev/null 2>&1
check "peak RSS is per process" jq -e --slurpfile small "$work/rss_small.json" '.runs[0].max_rss_kb > $small[0].runs[0].max_rss_kb' "$work/rss.json"
# --trace/--timeline with bench say which run they draw: on stderr and in the files.
"$np" bench --runs 2 --warmup 0 --latency 0 --trace "$work/bt.json" --timeline "$work/bt.svg" "$input" >/dev/null 2>"$work/bt.err"
check "bench says which run it draws" grep -q "draw bench run 1 of 3 (warm-up), added because --warmup is 0" "$work/bt.err"
check "the trace says which run it draws" jq -e '.otherData.run == "bench run 1 of 3 (warm-up)"' "$work/bt.json"
check "the timeline says which run it draws" grep -q "bench run 1 of 3 (warm-up)" "$work/bt.svg"
status_of "$np" bench -o "$work/x.json" "$input" 2>"$work/o.err"
check "bench -o is refused" grep -q "bench keeps no results" "$work/o.err"
check "bench -o: exit 2, no file" test "$status" = 2 -a ! -e "$work/x.json"
status_of "$np" bench - <"$input" 2>"$work/stdin.err"
check "bench refuses standard input: each run reads the input" grep -q "give a file, not standard input" "$work/stdin.err"
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

# Two runs with the same input, seed and options give identical results (id, title, summary,
# sentiment, simulated latencies); another seed changes the latencies but not the text results.
source "$(dirname "$0")/lib.sh"
input=$repo/data/articles.json
"$np" -q --latency 0:20 --seed 5 "$input" >"$work/a.json"
"$np" -q --latency 0:20 --seed 5 "$input" >"$work/b.json"
"$np" -q --latency 0:20 --seed 6 "$input" >"$work/c.json"
check "same seed, same results" cmp -s <(stable "$work/a.json") <(stable "$work/b.json")
check "other seed, other latencies" test "$(jq -c '[.articles[].latency_ms]' "$work/a.json")" != "$(jq -c '[.articles[].latency_ms]' "$work/c.json")"
check "other seed, same summaries" cmp -s <(jq -c '[.articles[] | [.id, .summary, .sentiment]]' "$work/a.json") <(jq -c '[.articles[] | [.id, .summary, .sentiment]]' "$work/c.json")
done_ok

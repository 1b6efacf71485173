# --latency-from REPORT.json: a run calibrated from an earlier run's report draws each stage's
# latencies (and first-token delays) from the distribution that report measured, reproducibly
# from the seed: over 1,000 articles its per-stage median is within 5% of the report's.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 11 1000 >"$work/in.json"
# A skewed distribution per stage, unlike --latency's uniform one: the calibration must follow it.
"$np" -q --latency 20:200 --mode pool --workers 500 --report "$work/base.json" "$work/in.json" >"$work/base_out.json"
jq '.runs[0].latency_distribution.summarization.latency_ms |= map(. * . / 200 + 20)
    | .runs[0].latency_distribution.sentiment.latency_ms |= map(. / 2)
    | .runs[0].latency_distribution.sentiment.first_token_ms |= map(. / 2)' "$work/base.json" >"$work/skewed.json"
"$np" -q --seed 7 --latency-from "$work/skewed.json" --mode pool --workers 500 --report "$work/cal.json" "$work/in.json" >"$work/cal_out.json"
for stage in summarization sentiment; do
    check "$stage: the median is within 5% of the report's" jq -e --slurpfile want "$work/skewed.json" --arg s "$stage" \
        '(.runs[0].stages[$s].simulated_ms.p50 - $want[0].runs[0].latency_distribution[$s].latency_ms[50]) | fabs <= 0.05 * $want[0].runs[0].latency_distribution[$s].latency_ms[50]' "$work/cal.json"
    check "$stage: the 90th percentile within 5% too" jq -e --slurpfile want "$work/skewed.json" --arg s "$stage" \
        '(.runs[0].stages[$s].simulated_ms.p90 - $want[0].runs[0].latency_distribution[$s].latency_ms[90]) | fabs <= 0.05 * $want[0].runs[0].latency_distribution[$s].latency_ms[90]' "$work/cal.json"
    # Measured, not drawn, in the report (a sleep's wake-up is late under load): a generous band.
    # The draw itself is exact (test_latency_dist: the first token follows the table).
    check "$stage: the measured first-token median within 30% of the report's" jq -e --slurpfile want "$work/skewed.json" --arg s "$stage" \
        '(.runs[0].latency_distribution[$s].first_token_ms[50] - $want[0].runs[0].latency_distribution[$s].first_token_ms[50]) | fabs <= 0.3 * $want[0].runs[0].latency_distribution[$s].first_token_ms[50]' "$work/cal.json"
done
check "the medians differ from the uncalibrated run's (the check can fail)" jq -e --slurpfile base "$work/base.json" \
    '(.runs[0].stages.sentiment.simulated_ms.p50 - $base[0].runs[0].stages.sentiment.simulated_ms.p50) | fabs > 0.2 * $base[0].runs[0].stages.sentiment.simulated_ms.p50' "$work/cal.json"
check "latencies stay inside the report's range" jq -e --slurpfile want "$work/skewed.json" \
    '.runs[0].stages.summarization.simulated_ms.min >= ($want[0].runs[0].latency_distribution.summarization.latency_ms[0] | floor) and .runs[0].stages.summarization.simulated_ms.max <= ($want[0].runs[0].latency_distribution.summarization.latency_ms[100] | ceil)' "$work/cal.json"
check "the results (but latencies) are the uncalibrated run's" diff <(stable "$work/cal_out.json" | jq -c "del(.latency_ms)") <(stable "$work/base_out.json" | jq -c "del(.latency_ms)")
check "options name the report" jq -e --arg p "$work/skewed.json" '.options.latency_from == $p' "$work/cal.json"
# Reproducible: the same seed draws the same latencies, in another mode.
"$np" -q --seed 7 --latency-from "$work/skewed.json" --mode pool --workers 700 --report "$work/again.json" "$work/in.json" >/dev/null
check "same seed, same latencies" diff <(jq -c '[.runs[0].articles_detail[] | [.id, .stages.summarization.simulated_ms, .stages.sentiment.simulated_ms]] | sort' "$work/cal.json") <(jq -c '[.runs[0].articles_detail[] | [.id, .stages.summarization.simulated_ms, .stages.sentiment.simulated_ms]] | sort' "$work/again.json")
done_ok

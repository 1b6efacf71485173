# --tpm N: calls reserve their estimated tokens (docs: ceil(bytes of title+content / 4) + 40 for
# the prompt, plus 64 for a summary or 16 for a sentiment) from a bucket of N refilled at N/60 per
# second, and are corrected by the usage the simulator reports (the same prompt rule; the summary's
# bytes / 4 rounded up; 16 for a sentiment). N is set just below what the run uses, so the run
# must last at least (used - N) / (N / 60) seconds: a throughput bound, checked with slack.
source "$(dirname "$0")/lib.sh"
"$gen" --seed 4 60 >"$work/in.json"
"$np" -q --latency 0 --report "$work/free.json" "$work/in.json" >"$work/free_out.json"
prompt=$(jq '[.[] | ((((.title + .content) | utf8bytelength) + 3) / 4 | floor) + 40] | add' "$work/in.json")
estimated=$((2 * prompt + 60 * (64 + 16)))
used=$(jq --argjson prompt "$prompt" '$prompt * 2 + ([.articles[] | ((.summary | utf8bytelength) + 3) / 4 | floor] | add) + 60 * 16' "$work/free_out.json")
tpm=$((used * 100 / 105))
"$np" -q --latency 0 --tpm "$tpm" --report "$work/r.json" "$work/in.json" >"$work/out.json"
check "every article ok" jq -e '[.articles[].status] | all(. == "ok")' "$work/out.json"
check "same results as without the limit" diff <(stable "$work/out.json") <(stable "$work/free_out.json")
check "reserved tokens follow the documented estimate ($estimated)" jq -e --argjson e "$estimated" '.runs[0].limits.tpm.reserved == $e' "$work/r.json"
check "corrections bring them to the usage ($used)" jq -e --argjson e "$estimated" --argjson u "$used" '.runs[0].limits.tpm.corrected == $u - $e' "$work/r.json"
check "the run took at least 90% of (used - N) / (N/60)" jq -e --argjson u "$used" --argjson n "$tpm" '.runs[0].wall_ms >= 0.9 * ($u - $n) / ($n / 60) * 1000' "$work/r.json"
check "waiting for tokens is reported" jq -e '.runs[0].limits.tpm.wait_ms > 0 and ([.runs[0].articles_detail[].tpm_wait_ms] | add) > 0' "$work/r.json"
check "the unlimited run is over 10 times faster" jq -e --slurpfile f "$work/free.json" '.runs[0].wall_ms > 10 * $f[0].runs[0].wall_ms' "$work/r.json"
# A deadline while calls wait for tokens cancels them at once.
status_of "$np" -q --latency 0 --tpm 600 --deadline-ms 300 --report "$work/d.json" "$work/in.json" >/dev/null
check "deadline while waiting for tokens: exit 124, soon" jq -e --argjson s "$status" '$s == 124 and .runs[0].wall_ms < 3000' "$work/d.json"
done_ok

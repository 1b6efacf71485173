# The CI recipe of examples/ci runs as written: the gate script that both the GitHub Actions
# workflow and the GitLab job call detects a regression (--latency 10 against --latency 40, one
# build, sequential mode: exit 1, the markdown table in the summary file) and passes equal
# settings (exit 0); the workflows call that script and make the smoke run this test makes.
source "$(dirname "$0")/lib.sh"
cd "$work"
gate=$repo/examples/ci/bench-gate.sh
input=$repo/data/articles.json
for ci in github-actions.yml gitlab-ci.yml; do
    check "$ci calls the gate script" grep -q "examples/ci/bench-gate.sh build-base/news-processor build-head/news-processor" "$repo/examples/ci/$ci"
    check "$ci makes the smoke run" grep -q "build/news-processor -q --latency 0:0 data/articles.json" "$repo/examples/ci/$ci"
done
check "the smoke run" "$np" -q --latency 0:0 "$input" >/dev/null

# Sequential mode, whose wall time is the sum of the latencies (300 ms against 1.2 s), and a
# threshold far above the noise of this shared machine under a sanitizer (the regression is
# +300%; thread mode's start-up varies by tens of ms under ThreadSanitizer).
export RUNS=4 WARMUP=0 THRESHOLD=50
status_of env OUT=slower SUMMARY=summary.md BASE_OPTIONS="--latency 10" HEAD_OPTIONS="--latency 40" \
    "$gate" "$np" "$np" "$input" --mode sequential >slower.out 2>slower.err
check "a regression fails the gate: exit 1" test "$status" = 1
check "the verdict says slower" grep -q "NEW is .* slower" slower.out
check "the table went to the summary file" grep -q "^| wall_ms | " summary.md
check "the summary says regression" grep -q "^\*\*Regression\*\*" summary.md
check "both reports kept" jq -e '(.runs | length) == 4' slower/base.json slower/head.json

status_of env OUT=same SUMMARY= BASE_OPTIONS="--latency 20" HEAD_OPTIONS="--latency 20" \
    "$gate" "$np" "$np" "$input" --mode sequential >same.out 2>same.err
check "equal settings pass the gate: exit 0" test "$status" = 0
check "equal settings: no regression" grep -q "^No regression beyond 50%" same.out

status_of "$gate" "$np" "$np" /nonexistent.json >/dev/null 2>missing.err
check "an input that cannot be read: exit 2" test "$status" = 2
done_ok

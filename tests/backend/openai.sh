#!/usr/bin/env bash
# The openai backend against private test servers (tests/llm_server): results come from the
# server's replies; the API key goes only into the Authorization header; failures map onto
# retries (Retry-After waited out), rejections (401 at once) and timeouts; SIGINT aborts a request
# in flight; connections are reused; streaming records the first token; the response_format
# fallback; usage errors.
#   bash openai.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT LLM_SERVER
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"
export LLM_SERVER=$4
source "$(dirname "${BASH_SOURCE[0]}")/../llm_server/lib.sh"
unset OPENAI_API_KEY NP_BASE_URL NP_MODEL

"$gen" 6 >"$work/six.json"
"$gen" 1 >"$work/one.json"
"$gen" 20 >"$work/twenty.json"

llm_server_start "$work/srv"
url=$llm_url
main_port=$llm_port
log=$llm_log
requests_of() { jq -s --arg m "$1" '[.[] | select(.model == $m)] | length' "$log"; }

# --- results come from the server's replies -------------------------------------------------
# The server's summary is "SERVER SUMMARY: " and the first 40 code points of the user message's
# last line; its sentiment is a hash (FNV-1a 64) of the user message, "Title: T\n\nCONTENT".
fnv_sentiment() { # prints "label score" the server derives from the text on stdin
    local h=$((0xcbf29ce484222325)) b
    for b in $(od -An -v -tu1); do
        h=$(((h ^ b) * 0x100000001b3))
    done
    local u3=$(((((h >> 1) & 0x7FFFFFFFFFFFFFFF) % 3 * 2 + (h & 1)) % 3))
    local hi=$(((h >> 8) & 0x00FFFFFFFFFFFFFF))
    local labels=(negative neutral positive) mag=$((hi % 90 + 10))
    case $u3 in
    0) printf 'negative -0.%02d\n' "$mag" ;;
    1) echo "neutral 0" ;;
    2) printf 'positive 0.%02d\n' "$mag" ;;
    esac
}
status_of "$np" --backend openai --base-url "$url" --model results -q "$work/six.json" \
    >"$work/results.json"
check "a run against the server succeeds" test "$status" = 0
check "six results, all ok" \
    test "$(jq '[.articles[] | select(.status == "ok")] | length' "$work/results.json")" = 6
mismatch=$(jq -r --slurpfile in "$work/six.json" '
    .articles[] as $a | ($in[0] | if type == "object" then .articles else . end)[] |
    select(.id == $a.id) | (.content | sub("\n+$"; "") | split("\n") | last | .[0:40]) as $line |
    select($a.summary != "SERVER SUMMARY: " + $line) | $a.id' "$work/results.json")
check "every summary is the server's reply" test -z "$mismatch"
for i in 0 1 2 3 4 5; do
    want=$(jq -j --argjson i "$i" '(if type == "object" then .articles else . end)[$i] |
        "Title: " + .title + "\n\n" + .content' "$work/six.json" | fnv_sentiment)
    got=$(jq -r --argjson i "$i" '.articles[$i].sentiment | "\(.label) \(.score)"' \
        "$work/results.json")
    label=${want% *} score=${want#* }
    check "article $i: the server's sentiment label" test "${got% *}" = "$label"
    check "article $i: the server's sentiment score" \
        jq -e -n --argjson g "${got#* }" --argjson w "$score" '($g - $w) | fabs < 0.00005' >/dev/null
done
check "summarization requests carry no response_format, sentiment ones do" \
    test "$(jq -s '[.[] | select(.model == "results") | .has_response_format] |
        (map(select(.)) | length) == 6 and length == 12' "$log")" = true
check "the simulator's results differ (these are not simulated)" \
    test "$("$np" -q --latency 0 "$work/six.json" | jq -c '[.articles[].summary]')" != \
    "$(jq -c '[.articles[].summary]' "$work/results.json")"

# --- the key goes only into the Authorization header ------------------------------------------
marker="sk-test-$RANDOM$RANDOM-MARKER"
printf '%s\n' "$marker" >"$work/key"
for how in env file; do
    rm -f "$work/k."*
    args=(--backend openai --base-url "$url" --model "key-$how" -v --report "$work/k.report.json"
        --trace "$work/k.trace.json" --timeline "$work/k.timeline.svg")
    if [ "$how" = env ]; then
        status_of env OPENAI_API_KEY="$marker" "$np" "${args[@]}" "$work/six.json" \
            >"$work/k.out" 2>"$work/k.err"
    else
        status_of "$np" "${args[@]}" --api-key-file "$work/key" "$work/six.json" \
            >"$work/k.out" 2>"$work/k.err"
    fi
    check "key from $how: the run succeeds" test "$status" = 0
    for f in k.out k.err k.report.json k.trace.json k.timeline.svg; do
        check "key from $how: not in $f" test "$(grep -c -- "$marker" "$work/$f" || true)" = 0
    done
    check "key from $how: -v logged the calls" grep -q "summarization finished" "$work/k.err"
    check "key from $how: -v names the negotiated version, HTTP/1.1 (llm_server speaks no other)" \
        test "$(grep -c "finished (HTTP/1.1 200, took" "$work/k.err")" = 12
    check "key from $how: the report counts 12 stages answered over HTTP/1.1, each row says 1.1" \
        jq -e '.runs[0].http_version == {"1.1": 12} and
            ([.runs[0].articles_detail[].stages[].http_version] | length == 12 and all(. == "1.1"))' \
        "$work/k.report.json" >/dev/null
    check "key from $how: the server got it as the bearer token of all 12 requests" \
        test "$(jq -s --arg m "key-$how" --arg k "Bearer $marker" \
            '[.[] | select(.model == $m and .authorization == $k)] | length' "$log")" = 12
done
check "in the raw requests the key appears only as 'Authorization: Bearer KEY'" \
    test "$(grep -a -- "$marker" "$log.raw" | tr -d '\r' | grep -v -x -c -- "Authorization: Bearer $marker" || true)" = 0
check "... 24 times, once per request" test "$(grep -a -c -- "$marker" "$log.raw")" = 24
status_of env OPENAI_API_KEY="$marker" "$np" --backend openai --base-url "$url" \
    --model "key+status=401" -v "$work/one.json" >"$work/k.out" 2>"$work/k.err"
check "a 401's messages do not quote the key" \
    test "$(cat "$work/k.out" "$work/k.err" | grep -c -- "$marker" || true)" = 0

# --- 401 fails at once, saying what to check ---------------------------------------------------
status_of "$np" --backend openai --base-url "$url" --model "auth+status=401" --retries 3 -q \
    "$work/one.json" >"$work/401.json"
check "401: exit 1" test "$status" = 1
check "401: one request, no retries" test "$(requests_of "auth+status=401")" = 1
check "401: the error names the key" \
    jq -e '.articles[0].error | test("401.*API key")' "$work/401.json" >/dev/null
status_of "$np" --backend openai --base-url "$url" --model "nf+status=404" --retries 3 -q \
    "$work/one.json" >"$work/404.json"
check "404: one request, the error names --model and --base-url" \
    jq -e --argjson n "$(requests_of "nf+status=404")" \
    '$n == 1 and (.articles[0].error | test("--model and --base-url"))' "$work/404.json" >/dev/null

# --- retried failures: 5xx, 429 with Retry-After, malformed, bad output, cut short, reset --------
status_of "$np" --backend openai --base-url "$url" --model "t5+status=503+times=1" -q \
    --report "$work/503.report.json" --trace "$work/503.trace.json" "$work/one.json" \
    >"$work/503.json"
check "503 once: the retry succeeds" jq -e '.articles[0].status == "ok" and
    .articles[0].attempts.summarization == 2 and .articles[0].attempts.sentiment == 2' \
    "$work/503.json" >/dev/null
for knob in malformed bad-output cut-short reset; do
    model="f-$knob+$knob"
    status_of "$np" --backend openai --base-url "$url" --model "$model" --retries 2 -q \
        "$work/one.json" >"$work/$knob.json" 2>"$work/$knob.err"
    case $knob in
    malformed) stage=summarization want="invalid model output" ;;
    bad-output) stage=sentiment want="invalid model output" ;;
    *) stage=summarization want="no complete reply" ;;
    esac
    check "$knob: exit 1" test "$status" = 1
    check "$knob: retried, then failed in $stage with a clear error" \
        jq -e --arg s "$stage" --arg w "$want" '.articles[0] | .status == "failed" and
        .attempts[$s] == 3 and (.error | startswith($s + " failed: " + $w))' \
        "$work/$knob.json" >/dev/null
done
check "bad-output: 1 summary + 3 sentiment requests reached the server" \
    test "$(requests_of "f-bad-output+bad-output")" = 4

# Retry-After: the retry waits what the server asked (the backoff alone is at most 100 ms here).
gap_ms() { # the time between the end of the first request with model $1 and the start of the next
    jq -s --arg m "$1" '[.[] | select(.model == $m)] | sort_by(.received_ms) |
        (.[1].received_ms - .[0].finished_ms) | floor' "$log"
}
model="ra+status=429+retry-after=2+times=1"
status_of "$np" --backend openai --base-url "$url" --model "$model" --mode sequential -q \
    "$work/one.json" >"$work/429.json"
check "429 once with Retry-After: 2: the retry succeeds" \
    jq -e '.articles[0].status == "ok"' "$work/429.json" >/dev/null
check "429: the retry came at least 1.9 s later (Retry-After: 2)" test "$(gap_ms "$model")" -ge 1900
model="rd+status=429+retry-after-date=3+times=1"
status_of "$np" --backend openai --base-url "$url" --model "$model" --mode sequential -q \
    "$work/one.json" >/dev/null
check "429 with an HTTP-date Retry-After 3 s ahead: waited at least 1.5 s (dates are in whole s)" \
    test "$(gap_ms "$model")" -ge 1500
model="rc+status=429+retry-after=3600+times=1"
status_of "$np" --backend openai --base-url "$url" --model "$model" --timeout-ms 300 -q \
    "$work/one.json" >/dev/null
check "Retry-After beyond --timeout-ms: the wait is cut to the timeout (retry within 30 s)" \
    test "$(gap_ms "$model")" -lt 30000

# --- per-call timeout ---------------------------------------------------------------------------
status_of "$np" --backend openai --base-url "$url" --model "to+hang" --timeout-ms 300 \
    --retries 1 -q "$work/one.json" >"$work/to.json"
check "a hanging server: timed out, retried once, failed" jq -e '.articles[0] |
    .status == "failed" and .attempts.summarization == 2 and (.error | test("timed out"))' \
    "$work/to.json" >/dev/null

# --- SIGINT and SIGTERM mid-request ------------------------------------------------------------
for sig in INT TERM; do
    want=$([ $sig = INT ] && echo 130 || echo 143)
    llm_server_start "$work/srv-hang-$sig"
    "$np" --backend openai --base-url "$llm_url" --model "sig+hang" -q "$work/six.json" \
        >"$work/sig.json" 2>"$work/sig.err" &
    pid=$!
    for ((i = 0; i < 2000; i++)); do
        [ "$(llm_stats in_flight)" -ge 6 ] && break
        sleep 0.01
    done
    check "SIG$sig: six requests are in flight at the server" test "$(llm_stats in_flight)" -ge 6
    sent=$(date +%s%N)
    kill -$sig "$pid"
    status_of wait "$pid"
    took_ms=$((($(date +%s%N) - sent) / 1000000))
    check "SIG$sig mid-request: exit $want" test "$status" = "$want"
    check "SIG$sig mid-request: ended within 5 s (the requests would hang forever)" \
        test "$took_ms" -lt 5000
    echo "    (SIG$sig to exit with six requests in flight: ${took_ms} ms; the target is 100 ms," \
        "measured by bench/sigint_latency.sh)"
    check "SIG$sig mid-request: the output is complete, every article cancelled" \
        jq -e '[.articles[] | select(.status == "cancelled")] | length == 6' "$work/sig.json" \
        >/dev/null
    for ((i = 0; i < 500; i++)); do
        [ "$(llm_stats in_flight)" = 0 ] && break
        sleep 0.01
    done
    check "SIG$sig: the aborted requests' connections were closed (the server's in_flight drops to 0)" \
        test "$(llm_stats in_flight)" = 0
    llm_server_stop
done
llm_port=$main_port

status_of "$np" --backend openai --base-url "$url" --model "dl+hang" --deadline-ms 300 -q \
    "$work/six.json" >"$work/dl.json"
check "--deadline-ms with requests in flight: exit 124, every article cancelled" test "$status" = 124 -a \
    "$(jq '[.articles[] | select(.status == "cancelled")] | length' "$work/dl.json")" = 6

# --- connections are reused ---------------------------------------------------------------------
llm_server_start "$work/srv-reuse"
status_of "$np" --backend openai --base-url "$llm_url" --model reuse --mode pool --workers 2 -q \
    "$work/twenty.json" >/dev/null
check "reuse: the run succeeds" test "$status" = 0
check "reuse: 40 requests" test "$(llm_stats requests)" = 40
check "reuse: over at most 4 connections (2 workers)" test "$(llm_stats connections)" -le 4
llm_server_stop
llm_port=$main_port

# --- streaming ----------------------------------------------------------------------------------
status_of "$np" --backend openai --base-url "$url" --model "st+first-token=30+token=2" --stream \
    -q --report "$work/stream.report.json" "$work/six.json" >"$work/stream.json"
check "streaming: the run succeeds" test "$status" = 0
check "streaming: the server was asked to stream, with usage" \
    test "$(jq -s '[.[] | select(.model == "st+first-token=30+token=2" and .stream)] | length' "$log")" = 12
check "streaming: the same results as without" \
    test "$(jq -c '[.articles[] | {summary, sentiment}]' "$work/stream.json")" = \
    "$(jq -c '[.articles[] | {summary, sentiment}]' "$work/results.json")"
check "streaming: every call's first token recorded, after the 30 ms first-token delay" \
    jq -e '[.runs[0].articles_detail[].stages[] | .first_token_ms - .start_ms] |
        length == 12 and all(. >= 25)' "$work/stream.report.json" >/dev/null
check "streaming: TTFT percentiles in the report" \
    jq -e '.runs[0].stages.summarization.ttft_ms.p50 >= 25' "$work/stream.report.json" >/dev/null
check "streaming: tokens out counted from usage" \
    jq -e '.runs[0].stages.summarization.tokens_out > 0 and .runs[0].tokens.out > 0' \
    "$work/stream.report.json" >/dev/null

status_of "$np" --backend openai --base-url "$url" --model "st2+first-token=150+token=2" \
    --stream -q --report "$work/stream2.report.json" --trace "$work/stream2.trace.json" \
    "$work/six.json" >/dev/null
check "streaming: the trace marks every call's first token" \
    test "$(jq '[.traceEvents[] | select(.name == "first token")] | length' "$work/stream2.trace.json")" = 12
"$np" compare "$work/stream.report.json" "$work/stream2.report.json" >"$work/cmp.txt" || true
check "compare: TTFT compared (first token 30 ms vs 150 ms)" \
    grep -E -q '^summarization.ttft_p50_ms +[0-9.]+ .* \+[0-9.]+%' "$work/cmp.txt"
check "compare: output tokens per second compared" grep -q '^tokens.out_per_s' "$work/cmp.txt"
# Inter-token gaps: the gaps between the SSE content events as they arrived, every gap of every
# call pooled (before: each call's mean time per token). The server paces tokens 20 ms apart.
status_of "$np" --backend openai --base-url "$url" --model "gap+first-token=5+token=20" --stream \
    -q --report "$work/gap.report.json" "$work/six.json" >/dev/null
check "gaps: the run succeeds" test "$status" = 0
for stage in summarization sentiment; do
    check "gaps: $stage's inter-token median is the server's 20 ms pace (15..100 ms)" \
        jq -e --arg s "$stage" '.runs[0].stages[$s].token_gap_ms.p50 | . >= 15 and . <= 100' \
        "$work/gap.report.json" >/dev/null
    check "gaps: $stage's distribution for --latency-from has the same median" \
        jq -e --arg s "$stage" '.runs[0].latency_distribution[$s].token_gap_ms[50] | . >= 15 and . <= 100' \
        "$work/gap.report.json" >/dev/null
done
check "gaps: well above the 2 ms pace's (the check can fail)" jq -e --slurpfile fast "$work/stream.report.json" \
    '.runs[0].stages.summarization.token_gap_ms.p50 > 3 * $fast[0].runs[0].stages.summarization.token_gap_ms.p50' \
    "$work/gap.report.json" >/dev/null

# --- response_format fallback -------------------------------------------------------------------
model="rf+reject-response-format"
status_of "$np" --backend openai --base-url "$url" --model "$model" --mode sequential -q \
    "$work/six.json" >"$work/rf.json"
check "a server without JSON mode: every article ok" \
    jq -e '[.articles[] | select(.status == "ok")] | length == 6' "$work/rf.json" >/dev/null
check "response_format was sent once, refused with 400, and never again" \
    test "$(jq -s -c --arg m "$model" '[.[] | select(.model == $m and .has_response_format) |
        .status]' "$log")" = "[400]"

# --- report: HTTP statuses and retries by cause -------------------------------------------------
check "report: retries by cause (503 once per stage: 2 transient)" \
    jq -e '.runs[0].retries.transient == 2 and .runs[0].http_status["200"] == 2' \
    "$work/503.report.json" >/dev/null
check "trace: each stage's retry is marked" \
    test "$(jq -c '[.traceEvents[] | select(.name == "retry") | .args.stage]' "$work/503.trace.json")" = \
    '["summarization","sentiment"]'
check "report: the backend and model in the options" \
    jq -e '.options.backend == "openai" and .options.model == "t5+status=503+times=1"' \
    "$work/503.report.json" >/dev/null

# --- usage errors -------------------------------------------------------------------------------
status_of "$np" --backend openai --model m "$work/one.json" >/dev/null 2>"$work/u.err"
check "openai without a base URL: exit 2" test "$status" = 2
check "... saying how to give one" grep -q -- "--base-url URL or NP_BASE_URL" "$work/u.err"
status_of "$np" --backend openai --base-url "ftp://127.0.0.1/v1" --model m "$work/one.json" \
    >/dev/null 2>"$work/u.err"
check "a base URL that is not http(s): exit 2, saying so" test "$status" = 2 -a \
    "$(grep -c -- "must start with http:// or https://" "$work/u.err")" = 1
status_of "$np" --backend openai --base-url "$url" "$work/one.json" >/dev/null 2>"$work/u.err"
check "openai without a model: exit 2" test "$status" = 2
status_of env NP_BASE_URL="$url" NP_MODEL=fromenv "$np" --backend openai -q "$work/one.json" \
    >/dev/null
check "NP_BASE_URL and NP_MODEL are used" test "$status" = 0 -a "$(requests_of fromenv)" = 2
status_of "$np" --base-url "$url" "$work/one.json" >/dev/null 2>"$work/u.err"
check "--base-url without --backend openai: exit 2" test "$status" = 2
status_of "$np" --backend openai --base-url "$url" --model m --api-key-file "$work/none" \
    "$work/one.json" >/dev/null 2>"$work/u.err"
check "a missing key file: exit 2" test "$status" = 2
status_of "$np" --backend openai --base-url "$url" --model m --cacert "$work/none.pem" \
    "$work/one.json" >/dev/null 2>"$work/u.err"
check "a missing CA file: exit 2, named" test "$status" = 2 -a "$(grep -c none.pem "$work/u.err")" = 1
printf '\n%s\nsecond line\n' "$marker" >"$work/key2"
status_of "$np" --backend openai --base-url "$url" --model key-first-line --api-key-file "$work/key2" \
    -q "$work/one.json" >/dev/null
check "a key file: its first line is the key" test "$status" = 0 -a "$(jq -s --arg k "Bearer $marker" \
    '[.[] | select(.model == "key-first-line" and .authorization == $k)] | length' "$log")" = 2
before=$(llm_stats requests)
status_of "$np" --backend openai --base-url "$url" --model m <(echo '[{"id": 1}]') \
    >/dev/null 2>&1
check "invalid input: exit 2 and no request made" test "$status" = 2 -a \
    "$(llm_stats requests)" = "$before"
done_ok

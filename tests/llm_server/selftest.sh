#!/bin/bash
# Tests of the test server itself (ctest llm_server_selftest), so that the openai backend's
# tests can trust it: reply shapes, SSE, usage, keep-alive, every knob, --max-concurrent, and
# that it stops (signals, a hung request, its parent's death, stdin's EOF, the idle limit).
#   selftest.sh LLM_SERVER
# Uses the curl and jq commands. Prints "N passed, 0 failed" and exits 0 when all hold.
set -euo pipefail
export LLM_SERVER=$1
work=$(mktemp -d)
# Servers started outside lib.sh (listed in $work/more.pids) must not outlive us, should a check
# of their stopping fail.
trap 'kill $(cat "$work/more.pids" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
checks=0
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if ! "$@" >/dev/null; then fail "$what"; fi
    checks=$((checks + 1))
}
# body MODEL USER_TEXT [EXTRA_JSON_FIELDS]: a chat-completions request body.
body() {
    jq -nc --arg model "$1" --arg user "$2" --argjson extra "${3:-{\}}" \
        '{model: $model, messages: [{role: "system", content: "You summarize news."},
          {role: "user", content: $user}], temperature: 0} + $extra'
}
sentiment_body() {
    jq -nc --arg model "$1" --arg user "$2" \
        '{model: $model, messages: [{role: "system", content: "Rate the sentiment as JSON."},
          {role: "user", content: $user}]}'
}
# post BODY [CURL ARGS...]: POSTs to the server, the reply on stdout.
post() {
    local data=$1
    shift
    curl -sS --max-time 20 -H 'Content-Type: application/json' -d "$data" "$@" \
        "$llm_url/chat/completions"
}
status_of() {
    set +e
    "$@"
    status=$?
    set -e
}

llm_server_start "$work/a"
a_log=$llm_log a_url=$llm_url a_port=$llm_port a_pid=$llm_pid

# --- a plain reply: shape, deterministic content, usage ---
user=$'Title line\nZürich: café prices rise — 3 % in a year, the highest since 1990 again'
post "$(body test "$user" '{"max_tokens": 100, "seed": 7}')" -H 'Authorization: Bearer sk-secret-1' >"$work/plain.json"
check "plain reply has the chat.completion shape" jq -e '.object == "chat.completion" and
    .model == "test" and (.choices | length) == 1 and .choices[0].index == 0 and
    .choices[0].message.role == "assistant" and .choices[0].finish_reason == "stop"' "$work/plain.json"
check "content is SERVER SUMMARY: + the first 40 code points of the last line" \
    jq -e '.choices[0].message.content == "SERVER SUMMARY: Zürich: café prices rise — 3 % in a year"' "$work/plain.json"
# 3 words of system, 2 + 15 of user; the content splits into 12 tokens.
check "usage counts prompt words and content tokens" jq -e '.usage == {prompt_tokens: 20,
    completion_tokens: 12, total_tokens: 32}' "$work/plain.json"
check "the log records the exact Authorization header, max_tokens, temperature and seed" \
    jq -se '.[-1] | .authorization == "Bearer sk-secret-1" and .path == "/v1/chat/completions" and
    .status == 200 and .outcome == "ok" and .max_tokens == 100 and .temperature == 0 and
    .seed == 7 and .stream == false and .has_response_format == false' "$a_log"
check "the log records the usage it sent" jq -se '.[-1] | .prompt_tokens == 20 and .completion_tokens == 12' "$a_log"
check "the raw log holds the request with the key in its Authorization line" \
    test "$(grep -c 'sk-secret-1' "$a_log.raw")" -eq 1 -a "$(grep -c '^Authorization: Bearer sk-secret-1' "$a_log.raw")" -eq 1

# --- max_tokens cuts the content ---
post "$(body test "$user" '{"max_tokens": 3}')" >"$work/cut.json"
check "max_tokens below the token count: 3 tokens, finish_reason length" jq -e '
    .choices[0].message.content == "SERVER SUMMARY: Zürich: " and
    .choices[0].finish_reason == "length" and .usage.completion_tokens == 3' "$work/cut.json"

# --- sentiment: the rule pinned on values computed independently (FNV-1a 64) ---
for pair in 'Great news|neutral|0' 'Terrible news|negative|-0.31' 'Markets fall|positive|0.48'; do
    IFS='|' read -r text label score <<<"$pair"
    post "$(sentiment_body test "$text")" | jq -r '.choices[0].message.content' >"$work/s.txt"
    check "sentiment of '$text' is $label $score" jq -e --arg l "$label" --argjson s "$score" \
        '. == {label: $l, score: $s}' "$work/s.txt"
done
post "$(sentiment_body 'test+fence' 'Markets fall')" | jq -r '.choices[0].message.content' >"$work/f.txt"
check "fence wraps the object in a json code fence" test "$(cat "$work/f.txt")" = \
    "$(printf '```json\n{"label": "positive", "score": 0.48}\n```')"
post "$(sentiment_body 'test+bad-output' 'Markets fall')" | jq -r '.choices[0].message.content' >"$work/b.txt"
check "bad-output: valid JSON content without label or score" jq -e \
    'type == "object" and (has("label") or has("score") | not)' "$work/b.txt"

# --- streaming: events, concatenation, usage, [DONE] ---
curl -sS --max-time 20 -D "$work/sse.head" -d "$(body test "$user" \
    '{"stream": true, "stream_options": {"include_usage": true}}')" "$llm_url/chat/completions" >"$work/sse.txt"
check "SSE reply is text/event-stream, chunked" grep -qi '^content-type: text/event-stream' "$work/sse.head"
check "SSE reply is chunked (keep-alive possible)" grep -qi '^transfer-encoding: chunked' "$work/sse.head"
check "the last event is [DONE]" test "$(grep '^data: ' "$work/sse.txt" | tail -n 1)" = "data: [DONE]"
grep '^data: {' "$work/sse.txt" | sed 's/^data: //' >"$work/events.json"
check "one event per token, they concatenate to the plain content" jq -se --slurpfile p "$work/plain.json" '
    [.[] | .choices[0].delta.content // empty] | length == 12 and join("") == $p[0].choices[0].message.content' "$work/events.json"
check "token events are chat.completion.chunk with finish_reason null" jq -se '
    [.[] | select(.choices[0].delta.content)] | all(.object == "chat.completion.chunk" and .choices[0].finish_reason == null)' "$work/events.json"
check "a finish event, then a usage event with no choices" jq -se '
    .[-2].choices[0].finish_reason == "stop" and (.[-1].choices | length) == 0 and
    .[-1].usage == {prompt_tokens: 20, completion_tokens: 12, total_tokens: 32}' "$work/events.json"
post "$(body test "$user" '{"stream": true}')" | grep '^data: {' | sed 's/^data: //' >"$work/nousage.json"
check "no usage event without include_usage" jq -se 'all(has("usage") | not)' "$work/nousage.json"
post "$(body 'test+malformed' "$user" '{"stream": true}')" >"$work/sse-bad.txt"
check "malformed stream: events that are not JSON" bash -c "! grep '^data: {' '$work/sse-bad.txt' | sed 's/^data: //' | jq -e . >/dev/null 2>&1"
status_of post "$(body 'test+cut-short' "$user" '{"stream": true}')" -o "$work/sse-cut.txt" 2>/dev/null
check "cut-short stream: curl sees the chunked body end early (exit 18), no [DONE]" \
    test "$status" -eq 18 -a "$(grep -c 'DONE' "$work/sse-cut.txt")" -eq 0

# --- keep-alive: two requests on one connection ---
llm_server_start "$work/k"
curl -sS --max-time 20 -d "$(body test one)" "$llm_url/chat/completions" -o /dev/null \
    --next -d "$(body test two '{"stream": true}')" "$llm_url/chat/completions" -o /dev/null \
    --next -d "$(body test three)" "$llm_url/chat/completions" -o /dev/null
check "three requests (one streamed) on one connection: requests 3, connections 1" \
    test "$(llm_stats requests) $(llm_stats connections)" = "3 1"
check "the log names one connection for all three" jq -se 'map(.conn) | unique | length == 1' "$llm_log"
{
    printf '{"model": "test", "messages": [{"role": "user", "content": "'
    head -c 300000 /dev/zero | tr '\0' 'x'
    printf ' y"}]}'
} >"$work/big.req"
curl -sS --max-time 20 -v -H 'Expect: 100-continue' --data-binary "@$work/big.req" \
    "$llm_url/chat/completions" -o "$work/big.json" 2>"$work/big.err"
check "Expect: 100-continue is answered with 100 Continue, the large body served" \
    grep -q '< HTTP/1.1 100 Continue' "$work/big.err"
check "the large request's reply is complete" jq -e '.usage.prompt_tokens == 2' "$work/big.json"
check "SIGTERM: a clean exit (0)" llm_server_stop
check "a clean stop removes the port file" test ! -e "$work/k/port"
llm_log=$a_log llm_url=$a_url llm_port=$a_port llm_pid=$a_pid

# --- status knobs, times=K, Retry-After ---
m='test+status=429+retry-after=2+times=2'
for i in 1 2 3; do
    curl -sS --max-time 20 -D "$work/h$i" -o "$work/r$i" -d "$(body "$m" "keyed text")" "$llm_url/chat/completions"
done
check "times=2: 429, 429, then 200" test "$(head -n1 "$work/h1" | cut -d' ' -f2)$(head -n1 "$work/h2" | cut -d' ' -f2)$(head -n1 "$work/h3" | cut -d' ' -f2)" = 429429200
check "429 carries Retry-After: 2" grep -qx $'Retry-After: 2\r' "$work/h1"
check "429 body is an OpenAI-style error" jq -e '.error.type == "rate_limit_error" and (.error.message | type) == "string"' "$work/r1"
check "the success after the failures is a real reply" jq -e '.choices[0].message.content == "SERVER SUMMARY: keyed text"' "$work/r3"
check "times is counted per distinct messages: another text fails again" \
    test "$(post "$(body "$m" "other text")" -o /dev/null -w '%{http_code}')" = 429
curl -sS --max-time 20 -D "$work/hd" -o /dev/null -d "$(body 'test+status=503+retry-after-date' x)" "$llm_url/chat/completions"
date_header=$(grep -i '^Retry-After:' "$work/hd" | cut -d' ' -f2- | tr -d '\r')
ahead=$(($(date -d "$date_header" +%s) - $(date +%s)))
check "retry-after-date: 503 with an HTTP date about 1 s ahead ($date_header)" \
    test "$(head -n1 "$work/hd" | cut -d' ' -f2)" = 503 -a "$ahead" -ge 0 -a "$ahead" -le 2
for code in 401 400 500; do
    check "status=$code answers $code" test "$(post "$(body "test+status=$code" x)" -o /dev/null -w '%{http_code}')" = "$code"
done
rf='{"response_format": {"type": "json_object"}}'
post "$(sentiment_body 'test+reject-response-format' x | jq -c ". + $rf")" -o "$work/rf.json" -w '%{http_code}' >"$work/rf.code"
check "reject-response-format: 400 'response_format is not supported'" test "$(cat "$work/rf.code")" = 400 -a \
    "$(jq -r .error.message "$work/rf.json")" = "response_format is not supported"
check "reject-response-format: without the field, 200" test "$(post "$(sentiment_body 'test+reject-response-format' x)" -o /dev/null -w '%{http_code}')" = 200
check "response_format is logged" jq -se 'map(select(.has_response_format)) | length == 1' "$a_log"
post "$(body 'test+retry-afterr=1' x)" -o "$work/typo.json" -w '%{http_code}' >"$work/typo.code"
check "an unknown knob is a 400 that names it" test "$(cat "$work/typo.code")" = 400 -a \
    "$(jq -r .error.message "$work/typo.json")" = "test server: unknown knob 'retry-afterr' in model 'test+retry-afterr=1'"
check "a knob without its number is a 400" test "$(post "$(body 'test+latency=soon' x)" -o /dev/null -w '%{http_code}')" = 400
check "an unknown path is a 404" test "$(curl -sS -o /dev/null -w '%{http_code}' -d '{}' "http://127.0.0.1:$llm_port/v1/embeddings")" = 404
check "a body that is not JSON is a 400" test "$(post 'not json' -o /dev/null -w '%{http_code}')" = 400

# --- broken replies ---
post "$(body 'test+malformed' x)" -o "$work/mal.txt" -w '%{http_code}' >"$work/mal.code"
check "malformed: 200 with a body that is not JSON" test "$(cat "$work/mal.code")" = 200 -a -s "$work/mal.txt"
check "malformed: jq rejects it" bash -c "! jq . '$work/mal.txt' >/dev/null 2>&1"
status_of post "$(body 'test+cut-short' x)" -o /dev/null 2>"$work/cut.err"
check "cut-short: curl reports a partial body (exit 18)" test "$status" -eq 18
status_of post "$(body 'test+reset' x)" -o /dev/null 2>"$work/reset.err"
check "reset: curl reports a connection reset (exit 56, reset by peer)" \
    test "$status" -eq 56 -a "$(grep -c 'reset by peer' "$work/reset.err")" -eq 1
check "times applies to broken replies too: reset once, then a reply" bash -c "
    ! curl -sS -m 20 -d '$(body 'test+reset+times=1' y)' '$llm_url/chat/completions' -o /dev/null 2>/dev/null &&
    curl -sS -m 20 -d '$(body 'test+reset+times=1' y)' '$llm_url/chat/completions' | jq -e .choices >/dev/null"
status_of post "$(body 'test+hang' x)" --max-time 0.5 -o /dev/null 2>/dev/null
check "hang: the client times out (curl exit 28)" test "$status" -eq 28
wait_log() { # wait_log JQ_FILTER: up to 20 s until the log's lines (slurped) satisfy it
    local i
    for ((i = 0; i < 2000; i++)); do
        jq -se "$1" "$a_log" >/dev/null 2>&1 && return 0
        sleep 0.01
    done
    return 1
}
check "hang: ends when the client closes (logged client-closed)" wait_log '.[-1].outcome == "client-closed" and .[-1].status == 0'

status_of post "$(body 'test+stall' x)" --max-time 1 -o "$work/stall.txt" 2>/dev/null
check "stall: half the body arrives, then nothing (curl times out, exit 28)" \
    test "$status" -eq 28 -a "$(head -c 20 "$work/stall.txt")" = '{"id":"chatcmpl-test'
check "stall: ends when the client closes" wait_log '.[-1].outcome == "client-closed" and .[-1].status == 200'
status_of post "$(body 'test+stall' "$user" '{"stream": true}')" --max-time 1 -o "$work/stall-sse.txt" 2>/dev/null
check "stall, streamed: the first token arrives, then nothing (exit 28)" test "$status" -eq 28 -a \
    "$(grep '^data: ' "$work/stall-sse.txt" | sed 's/^data: //' | jq -r '.choices[0].delta.content')" = "SERVER "

# --- pacing: first-token and token delays show in the stream's timing (generous ratio) ---
start=$(date +%s%N)
post "$(body 'test+first-token=300+token=50' "$user" '{"stream": true}')" -o /dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "a paced stream (300 + 11 x 50 ms) takes at least 850 ms ($elapsed_ms ms)" test "$elapsed_ms" -ge 850
start=$(date +%s%N)
post "$(body 'test+latency=400' x)" -o /dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "latency=400 delays the reply at least 400 ms ($elapsed_ms ms)" test "$elapsed_ms" -ge 400

# --- a hung request does not hold up a stop ---
post "$(body 'test+hang' stuck)" -o /dev/null 2>/dev/null &
client=$!
for ((i = 0; i < 2000; i++)); do [ "$(llm_stats in_flight)" = 1 ] && break; sleep 0.01; done
check "the hung request is in flight" test "$(llm_stats in_flight)" = 1
status_of llm_server_stop
check "SIGTERM with a request hanging: a clean exit (0)" test "$status" -eq 0
wait "$client" || true
check "the hung request is logged as stopped" jq -se '.[-1].outcome == "stopped"' "$a_log"

# --- --max-concurrent: 5 at once against a limit of 2 ---
llm_server_start "$work/m" --max-concurrent 2 --latency-ms 300
for i in 1 2 3 4 5; do post "$(body test "c$i")" -o /dev/null & done
wait_jobs() { local j; for j in $(jobs -p); do [ "$j" = "$llm_pid" ] || wait "$j"; done; }
wait_jobs
check "5 requests served" test "$(llm_stats requests)" = 5
check "never more than 2 in flight (log)" jq -se 'length == 5 and (map(.concurrent) | max) <= 2' "$llm_log"
check "the limit was reached: max_concurrent 2 (stats)" test "$(llm_stats max_concurrent)" = 2
check "queued requests started when a slot freed (after their arrival)" \
    jq -se '[.[] | select(.started_ms - .received_ms >= 250)] | length >= 1' "$llm_log"
check "SIGTERM after queued requests: a clean exit (0)" llm_server_stop

# --- it never outlives what started it ---
mkfifo "$work/stdin"
"$LLM_SERVER" --port-file "$work/eof.port" --exit-on-stdin-eof <"$work/stdin" 2>"$work/eof.err" &
eof_pid=$!
exec 7>"$work/stdin"
for ((i = 0; i < 2000; i++)); do [ -s "$work/eof.port" ] && break; sleep 0.01; done
exec 7>&-
status_of wait "$eof_pid"
check "--exit-on-stdin-eof: exits 0 at stdin's EOF" test "$status" -eq 0
# The parent: a shell that starts the server, then becomes a sleep (same pid, exec).
bash -c 'echo $$ >"$5"; "$1" --port-file "$2" >/dev/null 2>"$4" & echo $! >"$3"; exec sleep 60' sh \
    "$LLM_SERVER" "$work/orphan.port" "$work/orphan.pid" "$work/orphan.err" "$work/parent.pid" &
launcher=$!
for ((i = 0; i < 2000; i++)); do [ -s "$work/orphan.port" ] && break; sleep 0.01; done
kill -KILL "$(cat "$work/parent.pid")"
wait "$launcher" 2>/dev/null || true
orphan=$(cat "$work/orphan.pid")
echo "$orphan" >>"$work/more.pids"
for ((i = 0; i < 2000; i++)); do [ -e "$work/orphan.port" ] || break; sleep 0.01; done
check "its parent killed: it exits (cleanly: the port file is gone)" test ! -e "$work/orphan.port"
gone() { # gone PID: up to 20 s until the process has ended (no longer there, or a zombie)
    local i state
    for ((i = 0; i < 2000; i++)); do
        state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
        [ -z "$state" ] || [ "$state" = Z ] && return 0
        sleep 0.01
    done
    return 1
}
check "its parent killed: the process is gone" gone "$orphan"
"$LLM_SERVER" --port-file "$work/idle.port" --idle-exit-s 1 2>"$work/idle.err" &
status_of wait $!
check "--idle-exit-s 1: exits 0 by itself" test "$status" -eq 0 -a "$(grep -c 'idle' "$work/idle.err")" -eq 1
sleep 60 &
watched=$!
"$LLM_SERVER" --port-file "$work/watch.port" --outlive-parent --watch-pid "$watched" \
    >/dev/null 2>"$work/watch.err" &
watcher=$!
echo "$watcher" >>"$work/more.pids"
for ((i = 0; i < 2000; i++)); do [ -s "$work/watch.port" ] && break; sleep 0.01; done
kill "$watched"
check "--watch-pid: exits when that process ends" gone "$watcher"
status_of wait "$watcher"
check "--watch-pid: a clean exit (0)" test "$status" -eq 0 -a ! -e "$work/watch.port"
status_of "$LLM_SERVER" --port-file "$work/x" --outlive-parent 2>/dev/null
check "--outlive-parent without --idle-exit-s or --watch-pid is refused (exit 2)" test "$status" -eq 2
# Under ThreadSanitizer or AddressSanitizer+UBSan, a finding goes to the server's stderr.
check "no sanitizer finding in any server's stderr" bash -c "! grep -l -E 'Sanitizer|runtime error' '$work'/*/server.err '$work'/*.err"
echo "$checks passed, 0 failed"

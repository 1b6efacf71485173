#!/usr/bin/env bash
# HTTP/2 over TLS, and TLS verification shown by whole round trips: `nghttpd` (Debian
# nghttp2-server) speaks only HTTP/2, offered by ALPN, and answers a POST to /v1/chat/completions
# with a static file, a canned chat completion. Its certificate is signed by a CA made here.
#   (a) --cacert: every article succeeds with the server's reply, over HTTP/2 (-v and the report
#       say so, the server's log agrees), and the requests share one connection;
#   (b) without --cacert: one attempt, "check --cacert", exit 1, no request reached the server;
#   (c) a certificate for another name (example.invalid), signed by the trusted CA: refused too;
#   (d) thread mode, 64 articles at once, four runs: every call answered. Many handshakes at once
#       on many threads: under ThreadSanitizer this is the run that caught libcurl (< 8.10)
#       racing on a shared TLS session (about one run in two), hence four.
#   bash h2_tls.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT [VALGRIND ARGS...]
# With VALGRIND ARGS (valgrind_h2_tls) every run goes through them: HTTP/2 and TLS with no error
# and no leak (valgrind's --error-exitcode makes a finding an unexpected exit status).
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"
run_np=("$np")
[ $# -gt 3 ] && run_np=("${@:4}" "$np_program")
unset OPENAI_API_KEY NP_BASE_URL NP_MODEL
nghttpd=$(command -v nghttpd || true)
[ -z "$nghttpd" ] && [ -x /usr/sbin/nghttpd ] && nghttpd=/usr/sbin/nghttpd
[ -n "$nghttpd" ] || { echo "nghttpd not installed (scripts/setup.sh test installs it): skipped"; exit 77; }
command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }

tls=$work/tls
# the server's certificate for 127.0.0.1, and one for a name that is not the host
make_certificates "$tls" ip:IP:127.0.0.1 other:DNS:example.invalid

# The canned reply serves both stages: summarization keeps its content as the summary (it is
# under 200 code points), sentiment reads the JSON object in it. Neither is what the simulator
# would compute for the article ("Profits rose." reads positive).
reply_content='{"label": "negative", "score": -0.75}'
mkdir -p "$work/docroot/v1/chat"
jq -n -c --arg c "$reply_content" '{id: "h2", object: "chat.completion",
    choices: [{index: 0, message: {role: "assistant", content: $c}, finish_reason: "stop"}],
    usage: {prompt_tokens: 11, completion_tokens: 13, total_tokens: 24}}' \
    >"$work/docroot/v1/chat/completions"

# The port a process listens on: its listening socket's inode, looked up in /proc/net/tcp.
listen_port() {
    local pid=$1 inode fd hex
    for fd in /proc/"$pid"/fd/*; do
        inode=$(readlink "$fd" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
        [ -n "$inode" ] || continue
        hex=$(awk -v i="$inode" '$4 == "0A" && $10 == i {split($2, a, ":"); print a[2]}' \
            /proc/net/tcp)
        [ -n "$hex" ] && echo $((16#$hex)) && return 0
    done
    return 1
}

servers=()
trap 'for s in "${servers[@]}"; do kill "$s" 2>/dev/null; wait "$s" 2>/dev/null || true; done; rm -rf "$work"' EXIT
# start_server NAME CERT: nghttpd on 127.0.0.1, port 0 (the kernel picks a free one); sets $port.
start_server() {
    "$nghttpd" -v -a 127.0.0.1 -d "$work/docroot" 0 "$tls/$2.key" "$tls/$2.pem" \
        >"$work/$1.log" 2>&1 &
    servers+=($!)
    port=
    for ((i = 0; i < 2000; i++)); do
        port=$(listen_port "${servers[-1]}" || true)
        [ -n "$port" ] && return 0
        kill -0 "${servers[-1]}" 2>/dev/null || fail "nghttpd did not start: $(cat "$work/$1.log")"
        sleep 0.01
    done
    fail "nghttpd never listened"
}
# What a server's log says: requests (POSTs received), connections (TLS handshakes completed).
posts() { grep -c '] recv (stream_id=[0-9]*) :method: POST$' "$work/$1.log" || true; }
handshakes() { grep -c '^SSL/TLS handshake completed$' "$work/$1.log" || true; }

"$gen" --seed 3 4 >"$work/four.json"
key=h2-test-key-$RANDOM$RANDOM
start_server good ip
url=https://127.0.0.1:$port/v1

# (a) --cacert: a full round trip over HTTP/2, sequential so that one channel carries every call.
status_of env OPENAI_API_KEY="$key" "${run_np[@]}" --backend openai --base-url "$url" --model canned -v \
    --cacert "$tls/ca.pem" --mode sequential --report "$work/a.report.json" "$work/four.json" \
    >"$work/a.json" 2>"$work/a.err"
check "--cacert: exit 0 ($(head -c 300 "$work/a.err"))" test "$status" = 0
check "--cacert: every result is the server's reply (summary and sentiment)" \
    jq -e --arg c "$reply_content" '(.articles | length) == 4 and all(.articles[];
        .status == "ok" and .summary == $c and .sentiment.label == "negative" and
        .sentiment.score == -0.75)' "$work/a.json" >/dev/null
check "--cacert: the tokens are the server's usage" \
    jq -e '.runs[0].tokens == {in: 88, out: 104, out_per_s: .runs[0].tokens.out_per_s}' \
    "$work/a.report.json" >/dev/null
check "the server negotiated h2 by ALPN" grep -q '^The negotiated protocol: h2$' "$work/good.log"
check "the server received the 8 POSTs to /v1/chat/completions" \
    test "$(posts good)" = 8 -a "$(grep -c '] recv (stream_id=[0-9]*) :path: /v1/chat/completions$' \
    "$work/good.log")" = 8
check "-v names HTTP/2 on each of the 8 calls" \
    test "$(grep -c "finished (HTTP/2 200, took" "$work/a.err")" = 8
check "the report counts 8 stages answered over HTTP/2, each row says 2" \
    jq -e '.runs[0].http_version == {"2": 8} and .runs[0].http_status == {"200": 8} and
        ([.runs[0].articles_detail[].stages[].http_version] | length == 8 and all(. == "2"))' \
    "$work/a.report.json" >/dev/null
check "the 8 requests shared one connection (one TLS handshake at the server)" \
    test "$(handshakes good)" = 1
check "the key went only to the server: in no output" \
    test "$(cat "$work/a.json" "$work/a.err" "$work/a.report.json" | grep -c -- "$key")" = 0
check "... and the server got it as the bearer token of each request" \
    test "$(grep -c "] recv (stream_id=[0-9]*, sensitive) authorization: Bearer $key\$" "$work/good.log")" = 8

# (b) Without --cacert: the certificate is not trusted; no request is made, nothing retried.
posts_before=$(posts good)
status_of "${run_np[@]}" --backend openai --base-url "$url" --model canned --retries 3 \
    --report "$work/b.report.json" "$work/four.json" >"$work/b.json" 2>"$work/b.err"
check "no --cacert: exit 1 (exit $status: $(head -c 600 "$work/b.err"))" test "$status" = 1
check "no --cacert: every article failed at once (one attempt, --retries 3), naming --cacert" \
    jq -e 'all(.articles[]; .status == "failed" and .attempts.summarization == 1 and
        .error == "summarization failed: TLS: the server'"'"'s certificate could not be verified (check --cacert)")' \
    "$work/b.json" >/dev/null
check "no --cacert: the server received no request" test "$(posts good)" = "$posts_before"
check "no --cacert: no reply, so no HTTP version in the report" \
    jq -e '.runs[0].http_version == {} and .runs[0].http_status == {}' "$work/b.report.json" >/dev/null

# (c) The CA is trusted but the certificate names another host: refused the same way.
start_server other other
status_of "${run_np[@]}" --backend openai --base-url "https://127.0.0.1:$port/v1" --model canned \
    --cacert "$tls/ca.pem" --retries 3 "$work/four.json" >"$work/c.json" 2>"$work/c.err"
check "a certificate for example.invalid: exit 1 (exit $status: $(head -c 600 "$work/c.err"))" \
    test "$status" = 1
check "a certificate for example.invalid: failed at once, naming the certificate" \
    jq -e 'all(.articles[]; .status == "failed" and .attempts.summarization == 1 and
        (.error | test("certificate could not be verified")))' "$work/c.json" >/dev/null
check "a certificate for example.invalid: the server received no request" test "$(posts other)" = 0

# (d) Many connections made at once on many threads, each verified with --cacert.
"$gen" --seed 5 64 >"$work/many.json"
runs=4
[ $# -gt 3 ] && runs=1 # under valgrind one run is slow enough, and it looks for other faults
for ((run = 1; run <= runs; run++)); do
    status_of env OPENAI_API_KEY="$key" "${run_np[@]}" --backend openai --base-url "$url" \
        --model canned --cacert "$tls/ca.pem" "$work/many.json" >"$work/d.json" 2>"$work/d.err"
    check "64 at once, run $run: exit 0 (exit $status: $(tail -c 600 "$work/d.err"))" \
        test "$status" = 0
    check "64 at once, run $run: every result is the server's reply" \
        jq -e --arg c "$reply_content" '(.articles | length) == 64 and
            all(.articles[]; .status == "ok" and .summary == $c)' "$work/d.json" >/dev/null
done
done_ok

#!/usr/bin/env bash
# TLS verification against a private CA: `openssl s_server` (in -rev mode: it echoes each line
# reversed, a deterministic non-HTTP answer) serves a certificate for 127.0.0.1 signed by a CA
# made here. Without --cacert the call fails at once (no retries) saying "check --cacert", and
# the server sees its certificate refused; with --cacert no certificate is refused and the call
# fails only on the reply, naming no certificate; a missing --cacert file is a usage error.
#   bash tls.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"
unset OPENAI_API_KEY NP_BASE_URL NP_MODEL
command -v openssl >/dev/null || { echo "openssl not installed: skipped"; exit 77; }

tls=$work/tls
make_certificates "$tls" server:IP:127.0.0.1

# Port 0: the kernel picks a free port, so there is no collision to retry; s_server prints it.
# Its output file is made first: the background job's redirection may not have run yet when the
# loop below first reads it (under load, a missing file failed the script).
: >"$tls/server.out"
openssl s_server -accept 127.0.0.1:0 -cert "$tls/server.pem" -key "$tls/server.key" -rev \
    </dev/null >"$tls/server.out" 2>"$tls/server.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
port=
for ((i = 0; i < 2000; i++)); do
    port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$tls/server.out")
    [ -n "$port" ] && break
    kill -0 $server 2>/dev/null || fail "s_server did not start: $(cat "$tls/server.err")"
    sleep 0.01
done
[ -n "$port" ] || fail "s_server never said its port"
url=https://127.0.0.1:$port/v1
echo '[{"id": 1, "title": "t", "content": "Profits rose."}]' >"$work/one.json"
key=tls-test-key-$RANDOM$RANDOM

# (a) Without --cacert: the server's certificate is not trusted.
status_of env OPENAI_API_KEY="$key" "$np" --backend openai --base-url "$url" --model m -v \
    --retries 3 --report "$work/a.report.json" "$work/one.json" >"$work/a.json" 2>"$work/a.err"
check "no --cacert: exit 1" test "$status" = 1
check "no --cacert: the documented message, naming --cacert" jq -e '.articles[0].error ==
    "summarization failed: TLS: the server'"'"'s certificate could not be verified (check --cacert)"' \
    "$work/a.json" >/dev/null
check "no --cacert: failed at once, without retries (--retries 3)" \
    jq -e '.articles[0].attempts.summarization == 1' "$work/a.json" >/dev/null
check "no --cacert: the server saw its certificate refused (unknown ca)" \
    grep -q "alert unknown ca" "$tls/server.err"
check "no --cacert: the key is in no output" \
    test "$(cat "$work/a.json" "$work/a.err" "$work/a.report.json" | grep -c -- "$key")" = 0

# (b) With --cacert: the handshake succeeds; what fails is the reply (reversed lines, not HTTP).
alerts=$(grep -c "alert" "$tls/server.err" || true)
status_of env OPENAI_API_KEY="$key" "$np" --backend openai --base-url "$url" --model m -v \
    --cacert "$tls/ca.pem" --retries 0 --timeout-ms 10000 "$work/one.json" \
    >"$work/b.json" 2>"$work/b.err"
check "--cacert: the server saw no certificate refused this time" \
    test "$(grep -c "alert" "$tls/server.err" || true)" = "$alerts"
check "--cacert: the call fails on the reply (exit 1), not on the certificate" \
    test "$status" = 1 -a "$(jq -r '.articles[0].status' "$work/b.json")" = failed
check "--cacert: the error names no certificate or TLS problem" \
    jq -e '.articles[0].error | test("certificate|cacert|TLS"; "i") | not' "$work/b.json" >/dev/null
check "--cacert: the key is in no output" \
    test "$(cat "$work/b.json" "$work/b.err" | grep -c -- "$key")" = 0
check "--cacert: the error says the reply is not HTTP (s_server -rev speaks none)" \
    jq -e '.articles[0].error | test("reply is not HTTP")' "$work/b.json" >/dev/null
echo "    (with --cacert the call failed with: $(jq -r '.articles[0].error' "$work/b.json"))"

# (c) A --cacert file that does not exist: a usage error, before any request.
status_of "$np" --backend openai --base-url "$url" --model m --cacert "$work/none.pem" \
    "$work/one.json" >/dev/null 2>"$work/c.err"
check "a missing --cacert file: exit 2, named" test "$status" = 2 -a \
    "$(grep -c none.pem "$work/c.err")" = 1

# (d) A --cacert file with no certificate in it (as a machine without ca-certificates has no
# store): nothing to verify with, said as such, not blamed on the server's certificate.
: >"$work/empty.pem"
status_of env OPENAI_API_KEY="$key" "$np" --backend openai --base-url "$url" --model m \
    --cacert "$work/empty.pem" --retries 3 "$work/one.json" >"$work/d.json" 2>"$work/d.err"
check "no certificates to trust: exit 1, the store named, at once (--retries 3)" \
    jq -e '.articles[0] | (.error | test("^summarization failed: TLS: no trusted certificates could "
        + "be read \\(.*ca-certificates.*--cacert")) and .attempts.summarization == 1' \
    "$work/d.json" >/dev/null
check "no certificates to trust: exit 1" test "$status" = 1
done_ok

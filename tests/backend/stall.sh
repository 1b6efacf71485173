#!/usr/bin/env bash
# A transfer that spins -- libcurl's poll returning at once, time after time, while no byte moves
# (Debian 12's libcurl 7.88 after OpenSSL was refused memory inside SSL_read) -- is given up
# after two seconds as a connection failure and retried, so the run ends instead of burning a
# CPU forever. libcurl is the stand-in tests/shims/spinning_curl.c, found by the program's dlopen
# through LD_LIBRARY_PATH.
#   bash stall.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT SPINNING_LIBCURL_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../scenarios/lib.sh"
unset OPENAI_API_KEY NP_BASE_URL NP_MODEL
[ -e "$4/libcurl.so.4" ] || fail "no stand-in libcurl.so.4 in $4"
echo '[{"id": 1, "title": "t", "content": "Profits rose."}]' >"$work/one.json"

# Without the stall limit this never ends: the guard turns that into a failed check.
status_of timeout -s KILL 60 env LD_LIBRARY_PATH="$4" OPENAI_API_KEY=test-key "$np" \
    --backend openai --base-url http://127.0.0.1:9/v1 --model m --retries 1 \
    "$work/one.json" >"$work/out.json" 2>"$work/err"
check "a spinning transfer ends the run: exit 1 (exit $status: $(tail -c 600 "$work/err"))" \
    test "$status" = 1
check "each of its two attempts was given up as a stall (a connection failure: retried)" \
    jq -e '.articles[0] | .status == "failed" and .attempts.summarization == 2 and
        .error == "summarization failed: the connection stopped making progress (libcurl kept waking without reading), retries exhausted"' \
    "$work/out.json" >/dev/null
done_ok

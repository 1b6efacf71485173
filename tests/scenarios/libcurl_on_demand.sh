# libcurl (and the ~30 libraries it needs) is loaded only when --backend openai is chosen: the
# simulator's runs start without it (src/curl_api.c: ~6 ms of start-up per process). The
# dynamic loader's own log (LD_DEBUG=files) says which libraries a run loaded.
source "$(dirname "$0")/lib.sh"
input=$repo/data/articles.json
LD_DEBUG=files LD_DEBUG_OUTPUT=$work/sim "$np" -q --latency 0:0 "$input" >/dev/null
check "a simulator run loads no libcurl" sh -c "! cat '$work'/sim.* | grep -q 'file=libcurl'"
# A server that refuses the connection at once: the call fails without retries, exit 1.
LD_DEBUG=files LD_DEBUG_OUTPUT=$work/openai "$np" -q --backend openai --retries 0 \
    --base-url http://127.0.0.1:1/v1 --model m "$input" >/dev/null 2>"$work/openai.err" &&
    status=0 || status=$?
check "an openai run loads libcurl" sh -c "cat '$work'/openai.* | grep -q 'file=libcurl'"
check "and its calls fail on the refused connection (exit 1)" test "$status" = 1
done_ok

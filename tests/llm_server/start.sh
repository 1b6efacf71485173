#!/bin/sh
# The ctest fixture "llm_server" (tests/llm_server.cmake): starts one shared server for the
# tests that declare FIXTURES_REQUIRED llm_server, and returns once it listens.
#   start.sh LLM_SERVER STATE_DIR
# STATE_DIR receives port, pid, log, log.raw and server.err. The server outlives this script
# (--outlive-parent) until the cleanup test (stop.sh) stops it. Should that never run (ctest
# killed, or interrupted), it exits when ctest (this script's parent) ends (--watch-pid), and in
# any case after 30 minutes without a request (--idle-exit-s).
set -eu
bin=$1 dir=$2
mkdir -p "$dir"
if [ -f "$dir/pid" ]; then # a former run's server, if still there
    sh "$(dirname "$0")/stop.sh" "$dir" || true
fi
rm -f "$dir/port" "$dir/pid" "$dir/log" "$dir/log.raw"
# Its standard streams go to files: ctest waits until a test's output pipes close.
"$bin" --port-file "$dir/port" --log "$dir/log" --outlive-parent --watch-pid "$PPID" --idle-exit-s 1800 \
    </dev/null >"$dir/server.out" 2>"$dir/server.err" &
echo $! >"$dir/pid"
i=0
while [ ! -s "$dir/port" ]; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null || [ $i -ge 2000 ]; then
        echo "llm_server did not start:" >&2
        cat "$dir/server.err" >&2
        exit 1
    fi
    sleep 0.01
    i=$((i + 1))
done
echo "llm_server listening on 127.0.0.1:$(cat "$dir/port"), pid $(cat "$dir/pid"), until" \
    "$(cat "/proc/$PPID/comm" 2>/dev/null) (pid $PPID) ends"

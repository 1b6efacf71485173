#!/bin/sh
# The cleanup half of the ctest fixture "llm_server": stops the server start.sh started.
#   stop.sh STATE_DIR
# SIGTERM, then up to 20 s for a clean exit (it joins its threads), then SIGKILL and failure.
# Only a process that still is llm_server is signalled (a pid can be reused).
set -eu
dir=$1
[ -f "$dir/pid" ] || exit 0
pid=$(cat "$dir/pid")
rm -f "$dir/pid"
# Running (not a zombie waiting for its new parent to reap it) and still llm_server.
alive() { awk '$2 == "(llm_server)" && $3 != "Z" {found = 1} END {exit !found}' \
    "/proc/$pid/stat" 2>/dev/null; }
alive || exit 0
kill -TERM "$pid"
i=0
while alive; do
    if [ $i -ge 2000 ]; then
        kill -KILL "$pid"
        echo "llm_server (pid $pid) did not stop within 20 s of SIGTERM" >&2
        exit 1
    fi
    sleep 0.01
    i=$((i + 1))
done
# A clean exit removes the port file; a crash or a kill leaves it.
if [ -e "$dir/port" ]; then
    echo "llm_server (pid $pid) did not exit cleanly:" >&2
    cat "$dir/server.err" >&2
    exit 1
fi
echo "llm_server stopped"

# Shell helpers to run a private llm_server (tests/llm_server/llm_server.c) for one test.
# Sourced by bash scripts, not run. The binary is $LLM_SERVER (ctest passes
# $<TARGET_FILE:llm_server>). Source this after any other file that sets an EXIT trap (such as
# tests/scenarios/lib.sh): llm_server_start adds to the trap it finds, it does not replace it.
#
#   llm_server_start DIR [SERVER ARGS...]
#       Starts a server that writes DIR/port, DIR/log (JSON lines), DIR/log.raw and
#       DIR/server.err, waits (up to 20 s) until it listens, and sets
#         llm_port  the port          llm_url  http://127.0.0.1:PORT/v1 (a --base-url)
#         llm_pid   its process id    llm_log  DIR/log
#       The server stops when the script exits (EXIT trap), and also if the script is killed
#       (the server watches its parent). Fails if it does not come up. A server that does not
#       stop cleanly at the script's exit (a sanitizer finding, a crash) fails the script: its
#       stderr is printed and the exit status becomes 1.
#   llm_server_stop [PID]
#       SIGTERM, then waits for it; returns the server's exit status (0 for a clean stop). One
#       that has not ended 20 s after the SIGTERM is killed (status 137).
#   llm_stats FIELD   one field of GET /stats of the last server started (requests,
#                     connections, max_concurrent, in_flight)
_llm_server_pids=()
_llm_server_dirs=()
_llm_server_trap_set=
_llm_server_failed=

# At exit: stops every server still running; one that does not exit 0 marks the run failed.
_llm_server_stop_all() {
    local pid dir status
    while [ ${#_llm_server_pids[@]} -gt 0 ]; do
        pid=${_llm_server_pids[0]} dir=${_llm_server_dirs[0]} status=0
        llm_server_stop "$pid" || status=$?
        if [ "$status" -ne 0 ]; then
            echo "llm_server (pid $pid, $dir) did not stop cleanly: exit status $status" >&2
            cat "$dir/server.err" >&2 2>/dev/null || true
            _llm_server_failed=1
        fi
    done
    return 0
}

llm_server_start() {
    local dir=$1 i
    shift
    : "${LLM_SERVER:?LLM_SERVER must name the llm_server binary}"
    mkdir -p "$dir"
    rm -f "$dir/port"
    if [ -z "$_llm_server_trap_set" ]; then
        # trap -p prints the current trap shell-quoted (trap -- 'COMMAND' EXIT): word 3.
        local current words=()
        current=$(trap -p EXIT)
        eval "words=($current)"
        local previous=${words[2]:-}
        trap "_llm_server_stop_all; $previous
[ -z \"\$_llm_server_failed\" ] || exit 1" EXIT
        _llm_server_trap_set=1
    fi
    "$LLM_SERVER" --port-file "$dir/port" --log "$dir/log" "$@" </dev/null 2>"$dir/server.err" &
    llm_pid=$!
    _llm_server_pids+=("$llm_pid")
    _llm_server_dirs+=("$dir")
    for ((i = 0; i < 2000; i++)); do
        if [ -s "$dir/port" ]; then
            llm_port=$(cat "$dir/port")
            llm_url=http://127.0.0.1:$llm_port/v1
            llm_log=$dir/log
            return 0
        fi
        kill -0 "$llm_pid" 2>/dev/null || break
        sleep 0.01
    done
    echo "llm_server did not start:" >&2
    cat "$dir/server.err" >&2
    return 1
}

llm_server_stop() {
    local pid=${1:-$llm_pid} status=0 i state
    kill -TERM "$pid" 2>/dev/null || true
    # Up to 20 s for it to end (gone: bash reaped it already; or a zombie), then SIGKILL: a
    # stop never hangs a test.
    for ((i = 0; i < 2000; i++)); do
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
        [ -z "$state" ] || [ "$state" = Z ] && break
        sleep 0.01
    done
    if [ "$i" -eq 2000 ]; then
        echo "llm_server (pid $pid) did not stop within 20 s of SIGTERM" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || status=$?
    # Forget it: the exit trap stops only the servers still running.
    local pids=() dirs=()
    for i in "${!_llm_server_pids[@]}"; do
        if [ "${_llm_server_pids[$i]}" != "$pid" ]; then
            pids+=("${_llm_server_pids[$i]}")
            dirs+=("${_llm_server_dirs[$i]}")
        fi
    done
    _llm_server_pids=("${pids[@]}")
    _llm_server_dirs=("${dirs[@]}")
    return "$status"
}

llm_stats() {
    curl -sS --max-time 10 "http://127.0.0.1:$llm_port/stats" | jq -r ".$1"
}

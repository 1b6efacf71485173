# Handshakes for tests that signal a running program: wait for a state, never for a guessed time.
# Sourced (by tests/scenarios/lib.sh and the shim-driven second-signal tests), not run.

# Waits (up to 60 s) until file $1 exists (a marker a shim or the program creates).
wait_for_file() {
    local i
    for ((i = 0; i < 6000; i++)); do
        [ -e "$1" ] && return 0
        sleep 0.01
    done
    return 1
}

# Waits (up to 20 s) until signal number $2 is no longer pending for process $1: its watcher
# took it. Two signals of one kind sent before the first is taken merge into one.
wait_taken() {
    local pid=$1 bit=$((1 << ($2 - 1))) i mask
    for ((i = 0; i < 2000; i++)); do
        mask=$(awk '/^ShdPnd:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
        [ -n "$mask" ] && (((16#$mask & bit) == 0)) && return 0
        sleep 0.01
    done
    return 1
}

# Sends process $1 two SIGINTs, the second only once the first was taken.
two_sigints() {
    kill -INT "$1"
    wait_taken "$1" 2
    kill -INT "$1"
}

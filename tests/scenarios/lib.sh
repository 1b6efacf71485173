# Shared helpers for scenario tests. Each scenario is a bash script run by ctest as
#   bash SCENARIO.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT
# that exits 0 when every check holds. Sourced, not run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../handshake.sh"
gen=$2
repo=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The program honours signals that were ignored when it started (as nohup asks); bash starts
# background jobs with SIGINT and SIGQUIT ignored. The tests send those on purpose: run the
# program through a wrapper of the same name that restores their default first.
mkdir "$work/.bin"
printf '#!/bin/sh\nexec env --default-signal=INT,QUIT "%s" "$@"\n' "$1" >"$work/.bin/$(basename "$1")"
chmod +x "$work/.bin/$(basename "$1")"
np_program=$1
np=$work/.bin/$(basename "$1")
checks=0
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if ! "$@"; then fail "$what"; fi
    checks=$((checks + 1))
}
# The deterministic part of each article (completed order and timings vary between runs).
stable() { jq -c '.articles[] | del(.completed)' "$@"; }
stable_lines() { jq -c 'del(.completed)' "$@" | sort; }
done_ok() { echo "$checks passed, 0 failed"; }
# Runs a command with errexit off and leaves its exit status in $status.
status_of() {
    set +e
    "$@"
    status=$?
    set -e
}
# Waits (up to 20 s) until process $1 runs the program (not the shell that forks it, which may
# block signals for a moment too) and blocks SIGINT, i.e. has set up its signal watcher: a signal
# sent from then on is the program's to handle. A handshake, not a guess at timing.
wait_watching() {
    local pid=$1 i mask name
    name=$(basename "$np" | cut -c1-15)
    for ((i = 0; i < 2000; i++)); do
        mask=$(awk '/^SigBlk:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && [ -n "$mask" ] &&
            (((16#$mask & 2) != 0)) && return 0
        sleep 0.01
    done
    return 1
}
# The pid of the run process bench process $1 started, once that process has set up its watcher
# (wait_watching); nothing when none came within 20 s.
bench_run_process() {
    local i child
    for ((i = 0; i < 2000; i++)); do
        child=$(pgrep -P "$1" || true)
        [ -n "$child" ] && wait_watching "$child" && echo "$child" && return 0
        sleep 0.01
    done
    return 1
}
# Exits 77 (ctest: skipped) in a sanitizer build, which reserves terabytes of shadow memory and
# cannot run under ulimit -v.
skip_if_sanitized() {
    if sanitized; then
        echo "skipped: a sanitizer build cannot run under ulimit -v"
        exit 77
    fi
}
# Waits (up to 20 s) until file $1 has at least $2 lines.
wait_lines() {
    local i
    for ((i = 0; i < 2000; i++)); do
        [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        sleep 0.01
    done
    return 1
}
# Milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Whether the program is a sanitizer build (they reserve terabytes of address space: no ulimit -v).
# (Not `ldd | grep -q`: under pipefail, grep's early exit can fail the pipeline with SIGPIPE.)
sanitized() { case "$(ldd "$np_program" 2>/dev/null)" in *libasan* | *libtsan*) return 0 ;; esac; return 1; }
# The smallest address-space limit (ulimit -v, KiB, within 1 MB) under which a sequential run of
# input $1 succeeds, by bisection: what a run needs without threads, measured rather than assumed.
address_space_baseline() {
    local input=$1 lo=1000 hi=4000000 mid
    fits() { (ulimit -v "$1" && "$np_program" -q --mode sequential --latency 0:0 -o /dev/null "$input") 2>/dev/null; }
    fits "$hi" || return 1
    while [ $((hi - lo)) -gt 1000 ]; do
        mid=$(((lo + hi) / 2))
        if fits "$mid"; then hi=$mid; else lo=$mid; fi
    done
    echo "$hi"
}
# The temporary files a run could have left in directory $1.
leftovers() { find "$1" -name '.*.??????'; }
# make_certificates DIR NAME:SAN...: a private CA (DIR/ca.pem, ca.key) and, for each NAME, a
# certificate it signed for SAN (e.g. server:IP:127.0.0.1 -> DIR/server.pem, server.key); fails
# the test with openssl's log if any cannot be made.
make_certificates() {
    local dir=$1 spec name san
    shift
    mkdir -p "$dir"
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
            -subj "/CN=news-processor test CA"
        for spec in "$@"; do
            name=${spec%%:*} san=${spec#*:}
            openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
                -subj "/CN=${san#*:}"
            printf 'subjectAltName=%s\n' "$san" >"$name.ext"
            openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile "$name.ext" -out "$name.pem"
        done
    ) >"$dir/make.log" 2>&1 || fail "could not make the certificates: $(cat "$dir/make.log")"
}

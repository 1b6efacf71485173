# Shared helpers for scenario tests. Each scenario is a bash script run by ctest as
#   bash SCENARIO.sh NEWS_PROCESSOR GEN_ARTICLES REPO_ROOT
# that exits 0 when every check holds. Sourced, not run.
set -euo pipefail
np=$1
gen=$2
repo=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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

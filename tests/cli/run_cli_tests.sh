#!/bin/bash
# Black-box tests of the news-processor command line, as data.
#
# Each directory under cases/ is one test. The program runs with that directory as its working
# directory, so messages name files exactly as the case gives them. Files of a case:
#   args        the arguments, one per line (required); @REPO@ stands for the repository root
#   stdin       fed to standard input (default: /dev/null)
#   status      the expected exit status (required)
#   stdout      the exact expected standard output
#   stdout.grep extended regular expressions, one per line, each must match some stdout line
#   stdout-to   a path to send standard output to instead (e.g. /dev/full)
#   out.jq      a jq program that must print exactly "true" for the file out.json it wrote
#   stdout.jq   a jq program that must print exactly "true" for the standard output
#   stderr      the exact expected standard error
#   stderr.grep extended regular expressions, one per line, each must match some stderr line
#   no-stdout   if present, standard output must be empty
#   env         KEY=VALUE lines added to the environment
# Usage: run_cli_tests.sh NEWS_PROCESSOR CLI_DIR [CASE...]
set -u
program=$(realpath "$1")
cases_dir=$(realpath "$2")/cases
repo=$(realpath "$2/../..")
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
fail() {
    echo "FAIL $name: $*"
    failed=$((failed + 1))
    ok=0
}

if [ $# -gt 0 ]; then names=("$@"); else names=($(ls "$cases_dir")); fi
for name in "${names[@]}"; do
    source_dir=$cases_dir/$name
    case_dir=$work/case
    rm -rf "$case_dir"
    cp -r "$source_dir" "$case_dir"
    mapfile -t args <"$case_dir/args"
    args=("${args[@]//@REPO@/$repo}")
    stdin=/dev/null
    [ -f "$case_dir/stdin" ] && stdin=$case_dir/stdin
    env_args=()
    [ -f "$case_dir/env" ] && mapfile -t env_args <"$case_dir/env"
    stdout_to=$work/stdout
    [ -f "$case_dir/stdout-to" ] && stdout_to=$(cat "$case_dir/stdout-to")
    (cd "$case_dir" && timeout 60 env "${env_args[@]}" "$program" "${args[@]}" <"$stdin" \
        >"$stdout_to" 2>"$work/stderr")
    status=$?
    [ "$stdout_to" = "$work/stdout" ] || : >"$work/stdout"
    ok=1
    expected_status=$(cat "$case_dir/status")
    [ "$status" = "$expected_status" ] || fail "exit status $status, expected $expected_status"
    if [ -f "$case_dir/stdout" ] && ! cmp -s "$case_dir/stdout" "$work/stdout"; then
        fail "stdout differs:"
        diff "$case_dir/stdout" "$work/stdout" | head -20
    fi
    if [ -f "$case_dir/stdout.jq" ]; then
        verdict=$(jq -e -f "$case_dir/stdout.jq" "$work/stdout" 2>&1)
        [ "$verdict" = "true" ] || fail "stdout.jq said: $verdict"
    fi
    if [ -f "$case_dir/no-stdout" ] && [ -s "$work/stdout" ]; then
        fail "stdout should be empty, got: $(head -c 300 "$work/stdout")"
    fi
    if [ -f "$case_dir/stdout.grep" ]; then
        while IFS= read -r pattern; do
            grep -Eq -- "$pattern" "$work/stdout" || fail "stdout lacks /$pattern/"
        done <"$case_dir/stdout.grep"
    fi
    if [ -f "$case_dir/out.jq" ]; then
        verdict=$(jq -e -f "$case_dir/out.jq" "$case_dir/out.json" 2>&1)
        [ "$verdict" = "true" ] || fail "out.jq said: $verdict"
    fi
    leftovers=$(find "$case_dir" -name '.*.??????' | head -3)
    [ -z "$leftovers" ] || fail "temporary files left behind: $leftovers"
    if [ -f "$case_dir/stderr" ] && ! cmp -s "$case_dir/stderr" "$work/stderr"; then
        fail "stderr differs:"
        diff "$case_dir/stderr" "$work/stderr" | head -20
    fi
    if [ -f "$case_dir/stderr.grep" ]; then
        while IFS= read -r pattern; do
            grep -Eq -- "$pattern" "$work/stderr" || fail "stderr lacks /$pattern/: $(head -c 500 "$work/stderr")"
        done <"$case_dir/stderr.grep"
    fi
    [ "$ok" = 1 ] && passed=$((passed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

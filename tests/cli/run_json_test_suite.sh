#!/bin/bash
# Runs every JSONTestSuite parsing file through news-processor (at zero latency).
#   n_*.json (invalid JSON) must exit 2 with one "news-processor: FILE:..." line and no stdout;
#   y_*.json and i_*.json must exit 0 or 2 (most are valid JSON but not article lists);
# and no file may crash or hang the program (a crash is a status above 2).
# Usage: run_json_test_suite.sh NEWS_PROCESSOR SUITE_DIR
set -u
program=$1
suite=$2
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
passed=0
failed=0
for file in "$suite"/*.json; do
    base=$(basename "$file")
    timeout 20 "$program" -q --latency 0:0 "$file" >"$out" 2>"$err"
    status=$?
    problem=""
    case "$status" in
    0 | 2) ;;
    *) problem="exit status $status" ;;
    esac
    if [ "$status" = 2 ]; then
        [ -s "$out" ] && problem="output on stdout despite the error"
        [ "$(wc -l <"$err")" = 1 ] || problem="expected one line on stderr, got $(wc -l <"$err")"
        grep -q "^news-processor: $file" "$err" || problem="message does not name the file: $(cat "$err")"
    fi
    if [ "$status" = 0 ]; then
        [ -s "$err" ] && problem="stderr not empty with -q: $(cat "$err")"
        jq -e .run "$out" >/dev/null 2>&1 || problem="stdout is not a results document"
    fi
    case "$base" in
    n_*) [ "$status" = 2 ] || problem="${problem:-invalid JSON accepted (status $status)}" ;;
    esac
    if [ -n "$problem" ]; then
        echo "FAIL $base: $problem"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

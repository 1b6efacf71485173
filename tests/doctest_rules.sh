#!/bin/bash
# tests/doctest.sh fails when it should: each small document below breaks one rule of its
# convention (or its output no longer matches) and must fail with the matching message; one
# follows every rule, wildcards included, and must pass. Last, the real README with one sample
# figure changed (the critical path of the first example) must fail.
#   doctest_rules.sh BUILD_DIR REPO
set -uo pipefail
build=$1
repo=$2
doctest=$repo/tests/doctest.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# expect_result NAME pass|fail MESSAGE_PATTERN: runs doctest.sh on $work/NAME.md.
expect_result() {
    local name=$1 want=$2 pattern=$3 status
    bash "$doctest" "$work/$name.md" "$build" "$repo" >"$work/$name.out" 2>&1
    status=$?
    if [ "$want" = pass ] && [ "$status" != 0 ]; then
        fail "$name: expected to pass:"$'\n'"$(cat "$work/$name.out")"
    fi
    if [ "$want" = fail ] && [ "$status" = 0 ]; then
        fail "$name: expected to fail:"$'\n'"$(cat "$work/$name.out")"
    fi
    grep -qE -- "$pattern" "$work/$name.out" ||
        fail "$name: no line matches /$pattern/:"$'\n'"$(cat "$work/$name.out")"
    checks=$((checks + 1))
}
fence='```'

cat >"$work/follows.md" <<DOC
# Every rule followed
${fence}console
\$ echo hello
hello
\$ printf 'took 12.5 ms\nx\ny\nlast\n'
took [..] ms
...
last
\$ printf 'a\n'; exit 3
a
[exit 3]
\$ for i in 1 2; do
>   echo "line \$i"
> done
line 1
line 2
\$ build/news-processor --version
news-processor [..]
\$ news-processor --version
news-processor [..]
\$ test -f data/articles.json
${fence}

<!-- not run: would need root -->
${fence}sh
sudo rm -rf /
${fence}

${fence}text
not a command
${fence}
DOC
expect_result follows pass '7 commands run, 1 blocks marked not run, 0 failed'

printf '%s\n' "${fence}console" '$ echo hello' 'goodbye' "$fence" >"$work/changed.md"
expect_result changed fail 'output differs'
printf '%s\n' "${fence}console" '$ printf "a\nb\n"' 'a' "$fence" >"$work/extra_line.md"
expect_result extra_line fail 'output differs'
printf '%s\n' "${fence}console" '$ false' "$fence" >"$work/status.md"
expect_result status fail 'exited 1, expected 0'
printf '%s\n' "${fence}console" '$ true' '[exit 2]' "$fence" >"$work/status_expected.md"
expect_result status_expected fail 'exited 0, expected 2'
printf '%s\n' "${fence}sh" 'echo not marked' "$fence" >"$work/unmarked.md"
expect_result unmarked fail 'neither run'
printf '%s\n' '<!-- a comment, not the marker -->' "${fence}bash" 'echo x' "$fence" \
    >"$work/wrong_marker.md"
expect_result wrong_marker fail 'neither run'
printf '%s\n' "$fence" 'no language' "$fence" >"$work/bare.md"
expect_result bare fail 'without a language'
printf '%s\n' "${fence}console" 'output first' "$fence" >"$work/output_first.md"
expect_result output_first fail 'output before the first command'
printf '%s\n' "${fence}console" '$ true' >"$work/unclosed.md"
expect_result unclosed fail 'never ends'

# The real README, one sample figure changed: the doc test catches it.
grep -q 'critical path 2.393 s)' "$repo/README.md" || fail "README: the first example's line moved"
sed 's/critical path 2\.393 s)/critical path 2.846 s)/' "$repo/README.md" >"$work/readme_changed.md"
expect_result readme_changed fail 'critical path 2\.846 s'
echo "$checks passed, 0 failed"

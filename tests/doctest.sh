#!/bin/bash
# The README runs as written: every command in it is run, and its output compared (a doc test,
# as cram or trycmd do).
#
#   doctest.sh MARKDOWN BUILD_DIR REPO
#
# The convention, for every fenced block of MARKDOWN:
#   - every fence names its language; a fence without one fails (output and pictures are `text`);
#   - a `console` block is run: a line "$ COMMAND" is a command ("> " lines continue it), and the
#     lines after it, up to the next "$ ", are its expected output, standard output and standard
#     error together. In expected output, "[..]" stands for any text within a line and a line
#     "..." for any number of lines (none included); a last line "[exit N]" expects exit status N
#     (otherwise 0);
#   - a shell block (`sh`, `bash`, `shell`, `zsh`) that cannot run here (it needs root, the
#     network, a cluster, minutes) is marked by the line just before its fence:
#       <!-- not run: REASON -->
#     and a shell block neither `console` nor marked fails.
# The blocks run in order, each command in `bash -c`, all in one temporary directory that holds
# a copy of data/ and `build`, a link to BUILD_DIR (so `build/news-processor` is the build under
# test, sanitized or not), with BUILD_DIR first on PATH (so is `news-processor`), LC_ALL=C.
# Later blocks may use the files earlier ones wrote. Exit 0 when every block passed.
set -uo pipefail
readme=$(realpath "$1")
build=$(realpath "$2")
repo=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
session=$work/session
mkdir "$session"
cp -r "$repo/data" "$session/data"
ln -s "$build" "$session/build"
export PATH="$build:$PATH" LC_ALL=C TZ=UTC
unset NP_BENCH_CHILD

name=$(basename "$readme")
failures=0
ran=0
skipped=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# matches EXPECTED_FILE ACTUAL_FILE: whether the actual lines match the expected ones, with the
# wildcards above (a line "..." matches any run of lines; "[..]" any text within a line).
matches() {
    awk -v expected_file="$1" '
        function line_matches(pattern, text,   piece, count, k, at, found, last) {
            count = split(pattern, piece, /\[\.\.\]/)
            if (count <= 1)
                return pattern == text
            if (substr(text, 1, length(piece[1])) != piece[1])
                return 0
            at = length(piece[1]) + 1
            for (k = 2; k < count; k++) {
                found = index(substr(text, at), piece[k])
                if (!found)
                    return 0
                at += found - 1 + length(piece[k])
            }
            last = piece[count]
            if (length(text) - at + 1 < length(last))
                return 0
            return substr(text, length(text) - length(last) + 1) == last
        }
        BEGIN { while ((getline line < expected_file) > 0) expected[++m] = line }
        { actual[++n] = $0 }
        END {
            # ok[i, j]: expected lines i..m match actual lines j..n
            for (j = 1; j <= n + 1; j++) ok[m + 1, j] = (j == n + 1)
            for (i = m; i >= 1; i--)
                for (j = n + 1; j >= 1; j--)
                    if (expected[i] == "...")
                        ok[i, j] = ok[i + 1, j] || (j <= n && ok[i, j + 1])
                    else
                        ok[i, j] = j <= n && ok[i + 1, j + 1] && line_matches(expected[i], actual[j])
            exit ok[1, 1] ? 0 : 1
        }' "$2"
}

# run_command LINE COMMAND EXPECTED_FILE: runs one command of a console block and compares.
run_command() {
    local line=$1 command=$2 expected=$3 status want=0
    local last
    last=$(tail -n 1 "$expected")
    if [[ $last =~ ^\[exit\ ([0-9]+)\]$ ]]; then
        want=${BASH_REMATCH[1]}
        sed -i '$d' "$expected"
    fi
    (cd "$session" && timeout 240 bash -c "$command") >"$work/actual" 2>&1 </dev/null
    status=$?
    ran=$((ran + 1))
    if [ "$status" != "$want" ]; then
        fail "$name:$line: \$ $command"$'\n'"  exited $status, expected $want; its output:"
        sed 's/^/    /' "$work/actual" >&2
        return
    fi
    if ! matches "$expected" "$work/actual"; then
        fail "$name:$line: \$ $command"$'\n'"  output differs (- README, + actual):"
        diff -u --label README --label actual "$expected" "$work/actual" | tail -n +3 |
            sed 's/^/    /' >&2
    fi
}

# run_console START_LINE: runs the console block in block[] (its lines, indentation removed).
run_console() {
    local start=$1 k command="" command_line=0 text
    : >"$work/expected"
    for ((k = 0; k < ${#block[@]}; k++)); do
        text=${block[k]}
        if [[ $text == '$ '* || $text == '$' ]]; then
            [ -n "$command" ] && run_command "$command_line" "$command" "$work/expected"
            command=${text#\$}
            command=${command# }
            command_line=$((start + 1 + k))
            : >"$work/expected"
        elif [[ $text == '> '* ]] && [ -n "$command" ] && ! [ -s "$work/expected" ]; then
            command+=$'\n'${text#> }
        elif [ -z "$command" ]; then
            fail "$name:$((start + 1 + k)): output before the first command of a console block"
            return
        else
            printf '%s\n' "$text" >>"$work/expected"
        fi
    done
    if [ -n "$command" ]; then
        run_command "$command_line" "$command" "$work/expected"
    else
        fail "$name:$start: a console block without a command"
    fi
}

number=0
in_block=0
previous=""
while IFS= read -r text || [ -n "$text" ]; do
    number=$((number + 1))
    if [ "$in_block" = 0 ]; then
        if [[ $text =~ ^([[:space:]]*)(\`\`\`+)[[:space:]]*([^[:space:]]*)[[:space:]]*$ ]]; then
            indent=${BASH_REMATCH[1]}
            fence=${BASH_REMATCH[2]}
            language=${BASH_REMATCH[3]}
            start=$number
            block=()
            in_block=1
            marked=0
            [[ $previous =~ ^[[:space:]]*\<\!--\ not\ run:\ .+--\>[[:space:]]*$ ]] && marked=1
        fi
        previous=$text
        continue
    fi
    if [[ $text =~ ^[[:space:]]*${fence}\`*[[:space:]]*$ ]]; then
        in_block=0
        previous=$text
        case $language in
        "")
            fail "$name:$start: a fenced block without a language (console: run and compared;" \
                "text: output or a picture; a shell block marked <!-- not run: REASON -->)"
            ;;
        console)
            if [ "$marked" = 1 ]; then
                skipped=$((skipped + 1))
            else
                run_console "$start"
            fi
            ;;
        sh | bash | shell | zsh)
            if [ "$marked" = 1 ]; then
                skipped=$((skipped + 1))
            else
                fail "$name:$start: a $language block is neither run (make it a console block" \
                    "with its output) nor marked <!-- not run: REASON --> on the line before"
            fi
            ;;
        esac
        continue
    fi
    block+=("${text#"$indent"}")
done <"$readme"
[ "$in_block" = 1 ] && fail "$name:$start: a fenced block that never ends"

echo "$name: $ran commands run, $skipped blocks marked not run, $failures failed"
[ "$failures" = 0 ]

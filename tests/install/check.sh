#!/bin/bash
# What an installed news-processor gives its users besides the program: the man page, the shell
# completions, and the files `cmake --install` puts under a prefix. Each is checked against the
# program's own --help, so that an option added to the option table and not documented, or not
# completed, fails the test suite (and so does a documented option the program no longer has).
#
#   check.sh man          NEWS_PROCESSOR MAN_PAGE   renders without warnings; options == --help's
#   check.sh completions  NEWS_PROCESSOR REPO       bash, zsh and fish offer exactly --help's options
#   check.sh install-tree BUILD_DIR                 cmake --install puts every file in its place
#
# --help's options are its option lines ("  -o, --output FILE", "      --mode MODE"); those
# listed after the line that starts with "bench" are bench's own; compare's and merge's come from
# their own --help. The man page's are the tags of its .TP paragraphs in the sections OPTIONS,
# BENCH, COMPARE and MERGE.
set -euo pipefail
what=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# same_list NAME EXPECTED_FILE ACTUAL_FILE [SOURCE]: both sorted, one item a line; SOURCE names
# where the expected list comes from (default: --help).
same_list() {
    local source=${4:---help}
    if ! diff -u --label "$source" --label "$1" "$2" "$3" >"$work/diff"; then
        fail "$1 differs from $source (- missing, + not in $source):"
        cat "$work/diff" >&2
    fi
}
options_of() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# help_lists NEWS_PROCESSOR: writes help.run (the main command's options), help.bench (bench's
# own), help.compare and help.merge into $work.
help_lists() {
    "$1" --help >"$work/help"
    "$1" compare --help >"$work/help-compare"
    "$1" merge --help >"$work/help-merge"
    local option_line='^  (-[[:alnum:]], |    )--[a-z][a-z0-9-]*'
    awk '/^bench/ { exit } { print }' "$work/help" | grep -oE "$option_line" | options_of \
        >"$work/help.run"
    awk 'bench { print } /^bench/ { bench = 1 }' "$work/help" | grep -oE "$option_line" |
        options_of >"$work/help.bench"
    grep -oE "$option_line" "$work/help-compare" | options_of >"$work/help.compare"
    grep -oE "$option_line" "$work/help-merge" | options_of >"$work/help.merge"
    if ! [ -s "$work/help.run" ] || ! [ -s "$work/help.bench" ] || ! [ -s "$work/help.compare" ] ||
        ! [ -s "$work/help.merge" ]; then
        fail "could not find the option lists in --help"
    fi
    sort -u "$work/help.run" "$work/help.bench" >"$work/help.run+bench"
    sort -u "$work/help.run" "$work/help.bench" "$work/help.compare" "$work/help.merge" \
        >"$work/help.all"
}

check_man() {
    local np=$1 page=$2
    help_lists "$np"
    # Renders without a warning: groff's own, and man-db's (as `man` shows it, 80 columns).
    groff -man -ww -z "$page" 2>"$work/groff.err" || fail "groff failed"
    [ -s "$work/groff.err" ] && fail "groff warns: $(cat "$work/groff.err")"
    MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$work/page.txt" 2>"$work/man.err" ||
        fail "man -l failed"
    [ -s "$work/man.err" ] && fail "man warns: $(cat "$work/man.err")"
    # lexgrog reads the NAME section as mandb and apropos will.
    lexgrog "$page" >"$work/lexgrog" 2>&1 || fail "lexgrog cannot parse NAME: $(cat "$work/lexgrog")"
    grep -q ': "news-processor - ' "$work/lexgrog" || fail "lexgrog: $(cat "$work/lexgrog")"
    for section in SYNOPSIS DESCRIPTION OPTIONS BENCH COMPARE MERGE INPUT OUTPUT 'EXIT STATUS' \
        ENVIRONMENT EXAMPLES; do
        grep -qx "$section" "$work/page.txt" || fail "no section $section"
    done
    # Every exit status the program defines (include/np/exit.h, printed by --help) has its entry.
    sed -n '/^Exit status:/,/^$/p' "$work/help" | grep -oE '^ +[0-9]+' | tr -d ' ' |
        sort -n >"$work/help.status"
    awk '/^\.SH/ { section = $0 } section == ".SH EXIT STATUS" && tp { print $2 } { tp = /^\.TP/ }' \
        "$page" | sort -n >"$work/man.status"
    same_list "the man page's exit statuses" "$work/help.status" "$work/man.status"

    # The options each section defines, from the tag line that follows each .TP.
    awk '/^\.SH/ { section = $2 } tp { print section, $0 } { tp = /^\.TP/ }' "$page" |
        sed 's/\\-/-/g' >"$work/tags"
    grep '^OPTIONS ' "$work/tags" | options_of >"$work/man.run"
    grep '^BENCH ' "$work/tags" | options_of >"$work/man.bench"
    grep '^COMPARE ' "$work/tags" | options_of >"$work/man.compare"
    grep '^MERGE ' "$work/tags" | options_of >"$work/man.merge"
    same_list "man page, OPTIONS" "$work/help.run" "$work/man.run"
    same_list "man page, BENCH" "$work/help.bench" "$work/man.bench"
    same_list "man page, COMPARE" "$work/help.compare" "$work/man.compare"
    same_list "man page, MERGE" "$work/help.merge" "$work/man.merge"
    # And nothing in the rendered page names an option the program does not have (also catching
    # an option name split across two lines).
    options_of <"$work/page.txt" | comm -23 - "$work/help.all" >"$work/unknown"
    [ -s "$work/unknown" ] && fail "the man page names options --help does not list:" \
        "$(cat "$work/unknown")"
    return 0
}

# bash_offers CONTEXT...: what bash completes after "news-processor CONTEXT... --".
bash_offers() {
    # shellcheck disable=SC2016 # the inner bash expands them
    bash -c 'source "$1"; shift
             COMP_WORDS=(news-processor "$@" --); COMP_CWORD=$(($# + 1)); COMPREPLY=()
             _news_processor; printf "%s\n" "${COMPREPLY[@]}"' \
        bash "$repo/completions/news-processor.bash" "$@" | sort -u
}
# fish_offers CONTEXT...: the same, from fish's own completion engine.
fish_offers() {
    # shellcheck disable=SC2016 # fish expands $argv, not this shell
    fish --no-config -c 'source $argv[1]; complete -C "news-processor $argv[2..-1] --"' \
        "$repo/completions/news-processor.fish" "$@" | cut -f1 | sort -u
}

check_completions() {
    local np=$1
    repo=$2
    help_lists "$np"
    bash -n "$repo/completions/news-processor.bash" || fail "bash: syntax error"
    bash_offers >"$work/bash.run"
    bash_offers bench >"$work/bash.bench"
    bash_offers compare >"$work/bash.compare"
    bash_offers merge >"$work/bash.merge"
    same_list "bash completion of news-processor --" "$work/help.run" "$work/bash.run"
    same_list "bash completion of news-processor bench --" "$work/help.run+bench" \
        "$work/bash.bench"
    same_list "bash completion of news-processor compare --" "$work/help.compare" \
        "$work/bash.compare"
    same_list "bash completion of news-processor merge --" "$work/help.merge" "$work/bash.merge"
    bash -c 'source "$1"; complete -p news-processor' bash \
        "$repo/completions/news-processor.bash" >/dev/null || fail "bash: no complete -F"

    fish --no-config --no-execute "$repo/completions/news-processor.fish" || fail "fish: syntax error"
    fish_offers >"$work/fish.run"
    fish_offers bench >"$work/fish.bench"
    fish_offers compare >"$work/fish.compare"
    fish_offers merge >"$work/fish.merge"
    same_list "fish completion of news-processor --" "$work/help.run" "$work/fish.run"
    same_list "fish completion of news-processor bench --" "$work/help.run+bench" \
        "$work/fish.bench"
    same_list "fish completion of news-processor compare --" "$work/help.compare" \
        "$work/fish.compare"
    same_list "fish completion of news-processor merge --" "$work/help.merge" "$work/fish.merge"

    # zsh completes only in an interactive shell: its three option arrays are read as text.
    local zsh_file=$repo/completions/_news-processor
    zsh -n "$zsh_file" || fail "zsh: syntax error"
    head -1 "$zsh_file" | grep -qx '#compdef news-processor' || fail "zsh: no #compdef line"
    for list in run bench compare merge; do
        awk -v start="${list}_options=(" '$1 == start { on = 1; next } on && $1 == ")" { exit }
             on { print }' "$zsh_file" | options_of >"$work/zsh.$list"
    done
    same_list "zsh completion, run_options" "$work/help.run" "$work/zsh.run"
    same_list "zsh completion, bench_options" "$work/help.bench" "$work/zsh.bench"
    same_list "zsh completion, compare_options" "$work/help.compare" "$work/zsh.compare"
    same_list "zsh completion, merge_options" "$work/help.merge" "$work/zsh.merge"
    return 0
}

check_install_tree() {
    local build=$1 prefix
    for prefix in /usr /usr/local; do
        local root=$work/root-${prefix##*/}
        DESTDIR=$root cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
            { fail "cmake --install --prefix $prefix failed"; cat "$work/install.log" >&2; }
        local zsh_dir=share/zsh/site-functions
        [ "$prefix" = /usr ] && zsh_dir=share/zsh/vendor-completions
        (cd "$root" && find . -type f -o -type l | sed 's|^\./||' | sort) >"$work/installed"
        printf '%s\n' "${prefix#/}/bin/news-processor" \
            "${prefix#/}/share/man/man1/news-processor.1.gz" \
            "${prefix#/}/share/bash-completion/completions/news-processor" \
            "${prefix#/}/$zsh_dir/_news-processor" \
            "${prefix#/}/share/fish/vendor_completions.d/news-processor.fish" \
            "${prefix#/}/share/doc/news-processor/report.md" \
            "${prefix#/}/share/doc/news-processor/guarantees.md" | sort >"$work/expected"
        same_list "files installed under $prefix" "$work/expected" "$work/installed" \
            "the files to install"
        [ -x "$root$prefix/bin/news-processor" ] || fail "$prefix/bin/news-processor not executable"
        # The installed page is the page: it decompresses and renders.
        gzip -dc "$root$prefix/share/man/man1/news-processor.1.gz" | groff -man -ww -z ||
            fail "the installed man page does not render"
    done
    return 0
}

case $what in
man) check_man "$@" ;;
completions) check_completions "$@" ;;
install-tree) check_install_tree "$@" ;;
*)
    echo "usage: check.sh man|completions|install-tree ARGS..." >&2
    exit 2
    ;;
esac
if [ "$failures" -gt 0 ]; then
    echo "$what: $failures check(s) failed" >&2
    exit 1
fi
echo "$what: all checks passed"

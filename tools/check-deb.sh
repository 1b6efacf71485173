#!/bin/sh
# The Debian package on a fresh Debian 12: builds it (make deb), bootstraps a minimal bookworm
# root with debootstrap, and in a chroot there installs the .deb with apt-get (which must pull
# in libcjson1 and libcurl4), then checks what a user would: news-processor --version and a smoke run,
# man news-processor (with man-db installed, as on a normal system), bash completion, and that
# zsh and fish find their completions; then apt-get remove, after which none of the package's
# files may remain.
#
# Not part of make test: it needs root, the network and a few minutes.
#   sudo sh tools/check-deb.sh
# Environment: MIRROR (default http://deb.debian.org/debian), KEEP_ROOT=1 to keep the root,
# DEBOOTSTRAP_CACHE=DIR to keep downloaded packages between runs.
set -eu
cd "$(dirname "$0")/.."
mirror=${MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || {
    echo "check-deb: needs root (debootstrap, chroot)" >&2
    exit 1
}
command -v debootstrap >/dev/null || {
    echo "check-deb: needs debootstrap: apt-get install debootstrap" >&2
    exit 1
}

make deb
deb=$(ls build-deb/news-processor_*.deb)
[ "$(echo "$deb" | wc -l)" = 1 ] || {
    echo "check-deb: expected one package in build-deb/, found: $deb" >&2
    exit 1
}

root=$(mktemp -d /tmp/check-deb.XXXXXX)
chmod 755 "$root" # it becomes /: users such as _apt and man must be able to enter it
cleanup() {
    for mount in "$root/proc" "$root/dev"; do
        if mountpoint -q "$mount"; then umount "$mount"; fi
    done
    # Never delete through a mount that is still there (it would be the host's /dev).
    if [ "${KEEP_ROOT:-0}" = 1 ] || grep -q " $root/" /proc/mounts; then
        echo "check-deb: root left in $root" >&2
    else
        rm -rf "$root"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "check-deb: debootstrap bookworm (minbase) from $mirror into $root"
cache=""
if [ -n "${DEBOOTSTRAP_CACHE:-}" ]; then
    mkdir -p "$DEBOOTSTRAP_CACHE"
    cache="--cache-dir=$(realpath "$DEBOOTSTRAP_CACHE")"
fi
# shellcheck disable=SC2086 # $cache is empty or one word
debootstrap --variant=minbase $cache bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -20 "$root.debootstrap.log" >&2
    exit 1
}
rm -f "$root.debootstrap.log"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp "$deb" "$root/tmp/"
dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\.||' >"$root/tmp/package-files"

# shellcheck disable=SC2016 # the chroot's shell expands them
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive deb="$(basename "$deb")" /bin/sh -eu -c '
step() { echo "check-deb: $*"; }
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
apt-get update -qq
step "man-db, zsh and fish, as a user would have them"
apt-get install -y -qq --no-install-recommends man-db zsh fish >/dev/null
for dep in libcjson1 libcurl4; do
    dpkg-query -W "$dep" >/dev/null 2>&1 && fail "$dep is already installed"
done

step "apt-get install ./$deb"
cd /tmp
apt-get install -y --no-install-recommends "./$deb"
for dep in libcjson1 libcurl4; do
    dpkg-query -W -f="\${Status}\n" "$dep" | grep -q "install ok installed" ||
        fail "$dep was not pulled in"
done

step "news-processor --version"
news-processor --version
test "$(news-processor --version)" = "news-processor $(dpkg-query -W -f="\${Version}" news-processor)" ||
    fail "--version does not give the package version"
step "a smoke run"
echo "[{\"id\": 1, \"title\": \"t\", \"content\": \"Record profits and strong growth.\"}]" |
    news-processor -q --latency 0:0 - >/tmp/out.json
grep -q "\"status\": \"ok\"" /tmp/out.json || fail "smoke run: $(cat /tmp/out.json)"
step "--backend openai loads libcurl (a refused connection: the call fails, exit 1)"
echo "[{\"id\": 1, \"title\": \"t\", \"content\": \"c\"}]" >/tmp/one.json
status=0
news-processor -q --backend openai --retries 0 --base-url http://127.0.0.1:1/v1 --model m \
    /tmp/one.json >/tmp/out.json 2>/tmp/err.txt || status=$?
test "$status" = 1 || fail "openai run: exit $status: $(cat /tmp/err.txt)"
grep -q "connect" /tmp/out.json || fail "openai run: $(cat /tmp/out.json)"

step "man news-processor"
MANWIDTH=80 man news-processor >/tmp/man.txt 2>/tmp/man.err || fail "man: $(cat /tmp/man.err)"
head -8 /tmp/man.txt
grep -q "^EXIT STATUS" /tmp/man.txt || fail "the page has no EXIT STATUS"
test "$(man -w news-processor)" = /usr/share/man/man1/news-processor.1.gz || fail "man -w: $(man -w news-processor)"
whatis news-processor || fail "whatis does not know news-processor (mandb did not index it)"

step "bash completion"
bash -c "source /usr/share/bash-completion/completions/news-processor; complete -p news-processor"
offered=$(bash -c "source /usr/share/bash-completion/completions/news-processor
    COMP_WORDS=(news-processor --mod); COMP_CWORD=1; _news_processor; echo \${COMPREPLY[*]}")
test "$offered" = "--mode --model" || fail "bash completes --mod to \"$offered\""
step "zsh completion"
found=$(zsh -fc "autoload -Uz compinit; compinit -u -d /tmp/zcompdump; print -r -- \${_comps[news-processor]}")
test "$found" = _news-processor || fail "zsh: news-processor completes with \"$found\""
echo "$found"
step "fish completion"
offered=$(fish -c "complete -C \"news-processor --mod\"" | cut -f1 | tr "\\n" " ")
test "$offered" = "--mode --model " || fail "fish completes --mod to \"$offered\""
echo "$offered"

step "apt-get remove news-processor"
apt-get remove -y news-processor
dpkg-query -W -f="\${Status}\n" news-processor 2>/dev/null | grep -q "install ok" &&
    fail "news-processor is still installed"
left=""
while read -r file; do
    if [ -e "$file" ] || [ -L "$file" ]; then left="$left $file"; fi
done </tmp/package-files
test -z "$left" || fail "left behind:$left"
test ! -e /usr/share/doc/news-processor || fail "left behind: /usr/share/doc/news-processor"
step "every file of the package is gone ($(wc -l </tmp/package-files) files)"
'
echo "check-deb: $deb installs, works and removes cleanly on a fresh Debian 12 (bookworm)"

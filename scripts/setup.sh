#!/bin/sh
# Installs the Debian 12 packages news-processor needs, if any are missing.
#   scripts/setup.sh run    what building and running needs
#   scripts/setup.sh test   that, plus what the test suite, sanitizers and linters need
#   scripts/setup.sh deb    what building and running needs, plus what make deb needs
#   scripts/setup.sh bench  what building needs, plus hyperfine and jq for the benchmarks
# As root it runs apt-get; otherwise it prints the exact command to run and fails.
set -eu
run_packages="gcc libc6-dev make cmake pkg-config libcjson-dev libcurl4-openssl-dev ca-certificates"
test_packages="$run_packages libcmocka-dev jq curl openssl valgrind clang-tidy cppcheck clang-format libxml2-utils clang libclang-rt-14-dev spin man-db zsh fish nghttp2-server"
deb_packages="$run_packages dpkg-dev file"
case "${1:-}" in
run) wanted=$run_packages ;;
test) wanted=$test_packages ;;
deb) wanted=$deb_packages ;;
bench) wanted="$run_packages hyperfine jq" ;;
*)
    echo "usage: scripts/setup.sh run|test|deb|bench" >&2
    exit 2
    ;;
esac

missing=""
for package in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "setup: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "setup: missing Debian packages:$missing" >&2
    echo "setup: run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

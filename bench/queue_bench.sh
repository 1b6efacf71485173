#!/bin/sh
# Microbenchmark (not a test) of the bounded queue: messages per second through np_queue from
# 1, 8 and 64 producers to one consumer, at capacities 16 and 1024, and 1024 with a consumer that
# waits for half the queue (see bench/queue_bench.c).
# Project target: >= 5 M messages/s with 8 producers at capacity 1024 on the 2-core machine.
# Compiles into a temporary directory; the repository is not written to.
# Usage: sh bench/queue_bench.sh [SECONDS [RUNS]]   (defaults: 0.4 s per run, median of 5 runs)
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/np-queue-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_GNU_SOURCE -Iinclude src/queue.c src/clock.c \
    src/thread_stack.c bench/queue_bench.c -lpthread -o "$tmp/queue_bench"
echo "machine: $(nproc) cores, $(uname -sr)"
"$tmp/queue_bench" "$@"

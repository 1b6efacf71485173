#!/usr/bin/env bash
# One plain run with a retry and one streamed run of the openai backend under valgrind, against a
# private test server: no error, no leak (valgrind's own exit status 99 says otherwise).
#   bash valgrind_openai.sh LLM_SERVER ARTICLES.json VALGRIND [VALGRIND ARGS...] NEWS_PROCESSOR
set -euo pipefail
export LLM_SERVER=$1
articles=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../llm_server/lib.sh"
llm_server_start "$dir/srv"
export NP_BASE_URL=$llm_url OPENAI_API_KEY=sk-valgrind
"$@" -q --backend openai --model "vg+status=503+times=1" -o "$dir/a.json" "$articles"
"$@" -q --backend openai --model "vg+first-token=5" --stream --report "$dir/r.json" \
    -o "$dir/b.json" "$articles"
test "$(jq '[.articles[] | select(.status == "ok")] | length' "$dir/b.json")" -gt 0

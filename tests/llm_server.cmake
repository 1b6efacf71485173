# The OpenAI-compatible test server (tests/llm_server/llm_server.c) that the openai backend's
# tests talk to, its own tests, and the ctest fixture "llm_server" that runs one shared instance.
add_executable(llm_server llm_server/llm_server.c)
# accept4, pipe2, signalfd, prctl: Linux calls.
target_compile_definitions(llm_server PRIVATE _GNU_SOURCE)
target_link_libraries(llm_server PRIVATE PkgConfig::CJSON Threads::Threads)

# The server's own tests (curl and jq): every knob, keep-alive, --max-concurrent, clean stops.
add_test(NAME llm_server_selftest COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/llm_server/selftest.sh
                                          $<TARGET_FILE:llm_server>)
set_tests_properties(llm_server_selftest PROPERTIES TIMEOUT 120)

# The fixture "llm_server": one shared server for the tests that declare
#   FIXTURES_REQUIRED llm_server
# Its port is in ${CMAKE_BINARY_DIR}/tests/llm_server_state/port (this directory, whatever the
# order the fragments are included in), its request log in .../log and .../log.raw. ctest
# starts it before the first such test and stops it (SIGTERM, clean exit checked) after the
# last; should the cleanup never run, it exits when ctest does (or after 30 min idle). Tests
# that want their own knobs on the command line start a private server with
# tests/llm_server/lib.sh (llm_server_start) instead.
set(NP_LLM_SERVER_STATE ${CMAKE_CURRENT_BINARY_DIR}/llm_server_state)
add_test(NAME llm_server_fixture_start
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/llm_server/start.sh $<TARGET_FILE:llm_server>
                 ${NP_LLM_SERVER_STATE})
add_test(NAME llm_server_fixture_stop
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/llm_server/stop.sh ${NP_LLM_SERVER_STATE})
set_tests_properties(llm_server_fixture_start PROPERTIES FIXTURES_SETUP llm_server TIMEOUT 30)
set_tests_properties(llm_server_fixture_stop PROPERTIES FIXTURES_CLEANUP llm_server TIMEOUT 30)
# The fixture works: the shared server answers, and counts what it served.
add_test(NAME llm_server_fixture_smoke
         COMMAND sh -c [[
set -eu
url=http://127.0.0.1:$(cat "$1/port")
reply=$(curl -sS --max-time 20 -d '{"model": "smoke", "messages": [{"role": "user",
    "content": "fixture check"}]}' "$url/v1/chat/completions")
test "$(printf '%s' "$reply" | jq -r '.choices[0].message.content')" = "SERVER SUMMARY: fixture check"
test "$(curl -sS --max-time 20 "$url/stats" | jq '.requests >= 1')" = true
grep -q '"model":"smoke"' "$1/log"
]] sh ${NP_LLM_SERVER_STATE})
set_tests_properties(llm_server_fixture_smoke PROPERTIES FIXTURES_REQUIRED llm_server TIMEOUT 60)

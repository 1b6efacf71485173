# --trace and --timeline end to end: the real program writes both files, xmllint accepts the SVG
# and jq finds the events the unit tests (test_trace, test_timeline) pin on hand-built runs:
# 15 articles give 15 rows and 30 stage segments; 400 articles give the area chart, no rows.
# In the plain build the same run goes under valgrind too (no leaks, no invalid accesses).
set(NP_TRACE_DIR ${CMAKE_CURRENT_BINARY_DIR}/trace-timeline)
file(MAKE_DIRECTORY ${NP_TRACE_DIR})

add_test(NAME trace_timeline_cli
         COMMAND sh -c [[
set -eu
bin=$1 data=$2 dir=$3
"$bin" -q --latency 0:20 -o "$dir/out.json" --trace "$dir/trace.json" \
    --timeline "$dir/timeline.svg" "$data"
xmllint --noout "$dir/timeline.svg"
test "$(grep -o '<rect class="seg s' "$dir/timeline.svg" | wc -l)" -eq 30
test "$(grep -o '<g class="row' "$dir/timeline.svg" | wc -l)" -eq 15
jq -e '[.traceEvents[] | select(.ph == "X" and .cat == "stage")] | length == 30' \
    "$dir/trace.json" >/dev/null
jq -e '[.traceEvents[] | select(.ph == "M" and .name == "thread_name")] | length == 16' \
    "$dir/trace.json" >/dev/null
jq -e '[.traceEvents[] | select(.name == "receive")] | length == 15' "$dir/trace.json" >/dev/null
jq -e '.otherData.tool == "news-processor" and .otherData.articles == 15' \
    "$dir/trace.json" >/dev/null
]] sh $<TARGET_FILE:news-processor> ${PROJECT_SOURCE_DIR}/data/articles.json ${NP_TRACE_DIR})

add_test(NAME trace_timeline_area_chart_cli
         COMMAND sh -c [[
set -eu
bin=$1 gen=$2 dir=$3
"$gen" 400 > "$dir/400.json"
"$bin" -q --latency 0:20 -o "$dir/out-400.json" --timeline "$dir/area.svg" "$dir/400.json"
xmllint --noout "$dir/area.svg"
test "$(grep -c '<path class="area ' "$dir/area.svg")" -eq 3
if grep -q 'class="row' "$dir/area.svg"; then exit 1; fi
]] sh $<TARGET_FILE:news-processor> $<TARGET_FILE:gen_articles> ${NP_TRACE_DIR})
set_tests_properties(trace_timeline_cli trace_timeline_area_chart_cli PROPERTIES TIMEOUT 120)

if(DEFINED NP_VALGRIND)
  add_test(NAME valgrind_trace_timeline COMMAND ${NP_VALGRIND} $<TARGET_FILE:news-processor> -q
           --latency 0:20 -o ${NP_TRACE_DIR}/valgrind-out.json
           --trace ${NP_TRACE_DIR}/valgrind-trace.json
           --timeline ${NP_TRACE_DIR}/valgrind-timeline.svg ${PROJECT_SOURCE_DIR}/data/articles.json)
  set_tests_properties(valgrind_trace_timeline PROPERTIES TIMEOUT 120)
endif()

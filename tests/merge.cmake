# `news-processor merge` under valgrind, in the plain build only (valgrind cannot run sanitizer
# builds): a merge that succeeds and one refused for a missing index, no leaks either way. The
# merge behaviour itself is tested by test_merge (unit), scenario_shards and CLI cases merge_*.
if(DEFINED NP_VALGRIND)
  set(NP_MERGE_PARTS ${CMAKE_CURRENT_SOURCE_DIR}/cli/cases/merge_output_dash)
  add_test(NAME valgrind_merge COMMAND ${NP_VALGRIND} $<TARGET_FILE:news-processor> merge
           -o ${CMAKE_CURRENT_BINARY_DIR}/valgrind-merge.json ${NP_MERGE_PARTS}/part-1.ndjson
           ${NP_MERGE_PARTS}/part-0.ndjson)
  add_test(NAME valgrind_merge_error COMMAND sh -c "\"$@\" 2>/dev/null; test $? -eq 2" sh
           ${NP_VALGRIND} $<TARGET_FILE:news-processor> merge ${NP_MERGE_PARTS}/part-1.ndjson)
  set_tests_properties(valgrind_merge valgrind_merge_error PROPERTIES TIMEOUT 120)
endif()

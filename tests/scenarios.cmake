# Scenario tests: bash scripts that run the tool several times and compare (modes, NDJSON,
# shards, faults, cancellation). Each prints "N passed, 0 failed" and exits 0 on success.
file(GLOB NP_SCENARIOS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/*.sh)
list(REMOVE_ITEM NP_SCENARIOS ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/lib.sh)
foreach(scenario ${NP_SCENARIOS})
  get_filename_component(name ${scenario} NAME_WE)
  add_test(NAME scenario_${name}
           COMMAND bash ${scenario} $<TARGET_FILE:news-processor> $<TARGET_FILE:gen_articles>
                   ${PROJECT_SOURCE_DIR})
  # 77: the scenario cannot run in this build (e.g. ulimit -v under a sanitizer).
  set_tests_properties(scenario_${name} PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
endforeach()

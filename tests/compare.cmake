# `news-processor compare` under valgrind, in the plain build only (valgrind cannot run sanitizer
# binaries): no leaks or invalid accesses on a success path (a regression, status 1) nor on an
# error path (an unknown schema version, status 2). valgrind's own status (99) would differ.
# The compare behaviour itself is tested by test_compare (unit) and tests/cli/cases/compare_*.
if(DEFINED NP_VALGRIND)
  set(NP_COMPARE_CASES ${CMAKE_CURRENT_SOURCE_DIR}/cli/cases)
  add_test(NAME valgrind_compare COMMAND sh -c "\"$@\"; test $? -eq 1" sh ${NP_VALGRIND}
           $<TARGET_FILE:news-processor> compare --format json --allow-single
           ${NP_COMPARE_CASES}/compare_regression/base.json
           ${NP_COMPARE_CASES}/compare_regression/new.json)
  add_test(NAME valgrind_compare_error COMMAND sh -c "\"$@\"; test $? -eq 2" sh ${NP_VALGRIND}
           $<TARGET_FILE:news-processor> compare
           ${NP_COMPARE_CASES}/compare_unknown_version/base.json
           ${NP_COMPARE_CASES}/compare_unknown_version/v2.json)
  set_tests_properties(valgrind_compare valgrind_compare_error PROPERTIES TIMEOUT 120)
endif()

# The README runs as written: every console block's commands run and their output compared, every
# other shell block explicitly marked not run (tests/doctest.sh states the convention). In every
# build, the sanitized ones too: the examples take some 20 s of mostly simulated sleeps.
add_test(NAME readme_doctest COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/doctest.sh
                                     ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_BINARY_DIR}
                                     ${PROJECT_SOURCE_DIR})
set_tests_properties(readme_doctest PROPERTIES TIMEOUT 600)
# ... and the doc test fails when it should: each rule broken in a small document, and the README
# with a sample figure changed. Only in the plain build: it checks the doc test's own rules (a
# shell script), which no sanitizer sees, and in the sanitized builds it cost CI ~40 s of CPU.
if(NP_SANITIZE STREQUAL "")
    add_test(NAME readme_doctest_rules COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/doctest_rules.sh
                                               ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
    set_tests_properties(readme_doctest_rules PROPERTIES TIMEOUT 600)
endif()

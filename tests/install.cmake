# What an installation gives a user besides the program (cmake/install.cmake): the man page
# renders without warnings and documents exactly the options --help lists, the bash, zsh and
# fish completions offer exactly those options, and `cmake --install` puts every file where
# shells, man and users look. tests/install/check.sh does the work (needs groff and man-db,
# zsh and fish: scripts/setup.sh test installs them).
set(NP_INSTALL_CHECK ${CMAKE_CURRENT_SOURCE_DIR}/install/check.sh)
add_test(NAME install_man_page COMMAND ${NP_INSTALL_CHECK} man $<TARGET_FILE:news-processor>
                                       ${NP_MAN_PAGE})
add_test(NAME install_completions COMMAND ${NP_INSTALL_CHECK} completions
                                          $<TARGET_FILE:news-processor> ${PROJECT_SOURCE_DIR})
add_test(NAME install_tree COMMAND ${NP_INSTALL_CHECK} install-tree ${PROJECT_BINARY_DIR})
set_tests_properties(install_man_page install_completions install_tree PROPERTIES TIMEOUT 120)
# make run must not break later commands: ctest in a build configured without tests fails and
# says how to get them; make build keeps a build directory's tests.
add_test(NAME build_without_tests COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/build_without_tests.sh
                                          ${PROJECT_SOURCE_DIR})
set_tests_properties(build_without_tests PROPERTIES TIMEOUT 120)

# Installation (cmake --install, make install) and the Debian package (CPack, make deb).
#
# Installed under the prefix: bin/news-processor, the man page news-processor(1), completions
# for bash, zsh and fish, and the documents a user of the installed program needs (the report
# schema, the guarantees). tests/install.cmake installs into a temporary root and checks the list.
include(GNUInstallDirs)

# The man page, with the version filled in and compressed as Debian wants (gzip -n: no name or
# timestamp inside, so two builds give the same bytes). Built with the program, so that
# `make build` and `make deb`, which build only the program, have it to install.
set(NP_MAN_PAGE ${PROJECT_BINARY_DIR}/man/news-processor.1)
configure_file(${PROJECT_SOURCE_DIR}/man/news-processor.1.in ${NP_MAN_PAGE} @ONLY)
add_custom_command(OUTPUT ${NP_MAN_PAGE}.gz
                   COMMAND sh -c "gzip -9 -n -c \"$0\" > \"$0.gz\"" ${NP_MAN_PAGE}
                   DEPENDS ${NP_MAN_PAGE} VERBATIM
                   COMMENT "Compressing the man page news-processor.1")
add_custom_target(np_man_page DEPENDS ${NP_MAN_PAGE}.gz)
add_dependencies(news-processor np_man_page)

install(TARGETS news-processor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${NP_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/report.md ${PROJECT_SOURCE_DIR}/docs/guarantees.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Completions go where each shell looks for them without configuration: bash-completion and fish
# search share/ under every XDG data directory (/usr/local/share included). zsh's default fpath
# on Debian holds /usr/share/zsh/vendor-completions for packages and
# /usr/local/share/zsh/site-functions for everything else, so its directory depends on the
# prefix, which `cmake --install --prefix P` may change after configuring: decided at install
# time. NP_ZSH_COMPLETION_DIR (relative to the prefix) overrides the choice.
install(FILES ${PROJECT_SOURCE_DIR}/completions/news-processor.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME news-processor)
install(FILES ${PROJECT_SOURCE_DIR}/completions/news-processor.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
set(NP_ZSH_COMPLETION_DIR "" CACHE STRING
    "zsh completion directory under the prefix (default: share/zsh/vendor-completions for the \
prefix /usr, share/zsh/site-functions otherwise)")
install(CODE "
  set(np_zsh_dir \"${NP_ZSH_COMPLETION_DIR}\")
  if(np_zsh_dir STREQUAL \"\")
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(np_zsh_dir share/zsh/vendor-completions)
    else()
      set(np_zsh_dir share/zsh/site-functions)
    endif()
  endif()
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${np_zsh_dir}\" TYPE FILE
       FILES \"${PROJECT_SOURCE_DIR}/completions/_news-processor\")
")

# The Debian package: `make deb` configures build-deb/ with the prefix /usr and runs
# `cpack -G DEB` there, giving news-processor_VERSION_ARCH.deb. Its dependencies (libc6,
# libcjson1) come from dpkg-shlibdeps, which reads what the binary links against.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME news-processor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT
    "Seed 12170c6f maintainers <maintainers@users.noreply.r-seed-12170c6f.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "batch processor that summarizes news articles and scores their sentiment")
# Debian's extended description: lines of at most 80 columns (CPack indents each by one space).
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "news-processor reads news articles (JSON or NDJSON) and runs each one through\n"
       "two simulated LLM stages, summarization then sentiment analysis, one thread per\n"
       "article or in a worker pool, with reproducible latencies, faults, retries, rate\n"
       "limits and cancellation. It measures itself against the ideal schedule, writes\n"
       "timing reports, Chrome traces and SVG timelines, and compares reports (bench,\n"
       "compare) so that CI can gate on regressions.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl is dlopen()ed by --backend openai (src/curl_api.c), so dpkg-shlibdeps cannot see it;
# 7.66.0 brought curl_multi_poll. Merged with what dpkg-shlibdeps finds.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.66.0)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Directories 0755 whatever the umask of whoever builds the package.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                                GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)

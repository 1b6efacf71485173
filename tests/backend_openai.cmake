# The openai backend's end-to-end tests: news-processor against private llm_server instances
# (tests/backend/openai.sh), and one valgrind run of it.
add_test(NAME backend_openai
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/openai.sh $<TARGET_FILE:news-processor>
                 $<TARGET_FILE:gen_articles> ${PROJECT_SOURCE_DIR} $<TARGET_FILE:llm_server>)
set_tests_properties(backend_openai PROPERTIES TIMEOUT 300)
if(VALGRIND AND NP_SANITIZE STREQUAL "")
  add_test(NAME valgrind_openai
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/valgrind_openai.sh
                   $<TARGET_FILE:llm_server> ${PROJECT_SOURCE_DIR}/data/articles.json ${NP_VALGRIND}
                   $<TARGET_FILE:news-processor>)
  set_tests_properties(valgrind_openai PROPERTIES TIMEOUT 300)
endif()
# The limits shared by all calls (--max-inflight, --breaker, --tpm), measured at the server.
add_test(NAME backend_limits
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/limits_openai.sh
                 $<TARGET_FILE:news-processor> $<TARGET_FILE:gen_articles> ${PROJECT_SOURCE_DIR}
                 $<TARGET_FILE:llm_server>)
set_tests_properties(backend_limits PROPERTIES TIMEOUT 300)
# TLS verification and --cacert against `openssl s_server` with a private CA made by the test.
add_test(NAME backend_tls
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/tls.sh $<TARGET_FILE:news-processor>
                 $<TARGET_FILE:gen_articles> ${PROJECT_SOURCE_DIR})
set_tests_properties(backend_tls PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
# HTTP/2 over TLS against `nghttpd` (an h2-only server): whole round trips with --cacert over one
# connection, and refusals without it or for a certificate naming another host.
add_test(NAME backend_h2_tls
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/h2_tls.sh $<TARGET_FILE:news-processor>
                 $<TARGET_FILE:gen_articles> ${PROJECT_SOURCE_DIR})
set_tests_properties(backend_h2_tls PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
if(VALGRIND AND NP_SANITIZE STREQUAL "")
  add_test(NAME valgrind_h2_tls
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/h2_tls.sh $<TARGET_FILE:news-processor>
                   $<TARGET_FILE:gen_articles> ${PROJECT_SOURCE_DIR} ${NP_VALGRIND})
  set_tests_properties(valgrind_h2_tls PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
# A transfer that spins (libcurl's poll returning at once while nothing moves) is given up: a
# stand-in libcurl.so.4 that always spins, found through LD_LIBRARY_PATH.
add_library(spinning_curl SHARED shims/spinning_curl.c)
set_target_properties(spinning_curl PROPERTIES OUTPUT_NAME curl SOVERSION 4
                      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/spinning_curl)
add_test(NAME backend_stall
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backend/stall.sh $<TARGET_FILE:news-processor>
                 $<TARGET_FILE:gen_articles> ${PROJECT_SOURCE_DIR}
                 $<TARGET_FILE_DIR:spinning_curl>)
set_tests_properties(backend_stall PROPERTIES TIMEOUT 120)

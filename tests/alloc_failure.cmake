# test_alloc_failure: a seam for allocation failure. --wrap sends every malloc, calloc and realloc
# made from the test and from the statically linked np library to the test's failing wrappers
# (cJSON, a shared library, is hooked with cJSON_InitHooks instead); pthread_create and
# pthread_join are wrapped to count that every started thread is joined.
target_link_options(test_alloc_failure PRIVATE -Wl,--wrap=malloc -Wl,--wrap=calloc
                    -Wl,--wrap=realloc -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join)

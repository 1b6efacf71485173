# The queue's protocol, model-checked: tests/model/check.sh runs spin on tests/model/queue.pml for
# every configuration, checks its mutants are caught, and that the model still cites the lines of
# src/queue.c it stands for. It needs no build output. Plain build only: the sanitizer builds
# would repeat the same search. One job per CPU; ~35 s of CPU in all, so ~20 s on two idle cores.
if(NP_SANITIZE STREQUAL "")
  find_program(NP_SPIN spin)
  if(NP_SPIN)
    add_test(NAME model_queue COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/model/check.sh)
    set_tests_properties(model_queue PROPERTIES TIMEOUT 300 PROCESSORS 2)
  else()
    message(WARNING "spin not found: the queue model (tests/model) will not be checked; "
                    "sh scripts/setup.sh test installs it")
  endif()
endif()

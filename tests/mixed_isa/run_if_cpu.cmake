# ctest driver: runs PROGRAM if this CPU and OS run the instruction
# set NEEDS, as actsparse-cpu (CPU_TOOL) lists them; otherwise prints SKIP (the test's
# SKIP_REGULAR_EXPRESSION) and passes: a program built with -mavx2 cannot even start its
# own check on a CPU without AVX.
cmake_minimum_required(VERSION 3.18)  # IN_LIST
execute_process(COMMAND ${CPU_TOOL} OUTPUT_VARIABLE isas RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(rc)
  message(FATAL_ERROR "${CPU_TOOL} failed (${rc})")
endif()
separate_arguments(isas UNIX_COMMAND "${isas}")
if(NOT NEEDS IN_LIST isas)
  message("SKIP: this CPU lacks ${NEEDS} (it runs: ${isas})")
  return()
endif()
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "${PROGRAM} failed (${rc})")
endif()

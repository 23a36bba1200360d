# ctest driver (the fixture mixed_isa_static_build): configures and builds
# tests/mixed_isa/static_consumer against actsparse's source tree with the dispatching library
# static. Variables: ACTSPARSE_SOURCE_DIR, SOURCE_DIR (this directory), WORK_DIR (kept
# between runs: the build is incremental), GENERATOR, CXX_COMPILER, BUILD_TYPE, NATIVE_FLAGS;
# optional CMAKE_ARGS, more arguments for the configure step (the negative controls in
# tests/mixed_isa/CMakeLists.txt pass flags this way).
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "static consumer: ${what} failed (${rc})")
  endif()
endfunction()

run("configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -G ${GENERATOR} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DACTSPARSE_SOURCE_DIR=${ACTSPARSE_SOURCE_DIR}
    -DACTSPARSE_DISPATCH_SHARED=OFF "-DNATIVE_FLAGS=${NATIVE_FLAGS}" ${CMAKE_ARGS})
run("build" ${CMAKE_COMMAND} --build ${WORK_DIR} --parallel 2)

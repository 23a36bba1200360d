# ctest driver for the consumer. Variables: MODE (find_package, add_subdirectory,
# fetchcontent, pkg-config), BUILD_DIR (actsparse's build tree, for the install),
# ACTSPARSE_SOURCE_DIR, SOURCE_DIR (this directory), WORK_DIR, C_COMPILER.
file(REMOVE_RECURSE ${WORK_DIR})
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${MODE}: ${what} failed (${rc})")
  endif()
endfunction()

if(MODE STREQUAL "find_package" OR MODE STREQUAL "pkg-config")
  run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
endif()

if(MODE STREQUAL "pkg-config")
  # A plain C build from pkg-config's flags, the way a Makefile-based runtime would.
  file(GLOB_RECURSE pc ${WORK_DIR}/prefix/*/actsparse.pc)
  if(NOT pc)
    message(FATAL_ERROR "pkg-config: no actsparse.pc installed")
  endif()
  get_filename_component(pcdir ${pc} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pcdir})
  execute_process(COMMAND pkg-config --cflags --libs actsparse OUTPUT_VARIABLE flags RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc)
    message(FATAL_ERROR "pkg-config --cflags --libs actsparse failed")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  get_filename_component(libdir ${pcdir} DIRECTORY)
  file(MAKE_DIRECTORY ${WORK_DIR}/build)
  run("compile" ${C_COMPILER} -std=c99 ${SOURCE_DIR}/main.c ${flags} -lm -Wl,-rpath,${libdir} -o ${WORK_DIR}/build/consumer_c)
  run("run consumer_c" ${WORK_DIR}/build/consumer_c)
  return()
endif()

run("configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DACTSPARSE_CONSUME=${MODE} -DACTSPARSE_SOURCE_DIR=${ACTSPARSE_SOURCE_DIR} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run("build" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
foreach(exe consumer consumer_dispatch consumer_c)
  run("run ${exe}" ${WORK_DIR}/build/${exe})
endforeach()

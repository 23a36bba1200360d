# ctest driver (mixed_isa_symbols): the two units of the mixed-ISA program share no code.
#
# Guards against the linker having to pick one copy for both units: an actsparse inline
# function or template instance defined, under one name, in the AVX2 unit (NATIVE_OBJECT)
# and in the baseline unit (BASE_OBJECT). Checked with nm (NM):
#   - the linked PROGRAM defines actsparse symbols in at least two ISA namespaces
#     (actsparse::isa_x86_...), one per unit;
#   - the global symbols both objects define are only actsparse::error's (its constructor,
#     destructor, vtable and typeinfo), which stays in plain namespace actsparse on purpose
#     (config.hpp: one type for every copy to throw) and has no floating-point or vector
#     code, and the DW.ref.* personality pointers.
# With one namespace for both units (-DACTSPARSE_ISA_NAMESPACE=same) both checks fail.
cmake_minimum_required(VERSION 3.18)  # IN_LIST
function(defined_symbols file out)
  execute_process(COMMAND ${NM} -C --defined-only ${file} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${NM} ${file} failed (${rc})")
  endif()
  string(REPLACE ";" "\\;" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

# The namespaces of the program's actsparse symbols.
defined_symbols(${PROGRAM} lines)
set(namespaces "")
foreach(line IN LISTS lines)
  string(REGEX MATCHALL "actsparse::isa_[A-Za-z0-9_]+::" found "${line}")
  foreach(ns IN LISTS found)
    string(REGEX REPLACE "::$" "" ns "${ns}")
    list(APPEND namespaces ${ns})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES namespaces)
list(LENGTH namespaces count)
message("actsparse namespaces in ${PROGRAM}: ${namespaces}")
if(count LESS 2)
  message(FATAL_ERROR "the program's actsparse symbols are in ${count} ISA namespace(s), not one per unit")
endif()

# The global symbols each object defines (nm type in upper case, or u: unique global).
function(global_symbols file out)
  defined_symbols(${file} lines)
  set(names "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-fA-F]* *([A-Zu]) (.*)$")
      list(APPEND names "${CMAKE_MATCH_2}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES names)
  set(${out} "${names}" PARENT_SCOPE)
endfunction()
global_symbols(${NATIVE_OBJECT} native)
global_symbols(${BASE_OBJECT} base)
set(shared "")
set(allowed "")
foreach(name IN LISTS native)
  if(NOT name IN_LIST base)
    continue()
  endif()
  if(name MATCHES "^(actsparse::error::[^:]*\\(.*\\)|(typeinfo|typeinfo name|vtable) for actsparse::error|DW\\.ref\\..*)$")
    list(APPEND allowed "${name}")
  else()
    list(APPEND shared "${name}")
  endif()
endforeach()
list(LENGTH allowed n_allowed)
message("symbols both units define: ${n_allowed} of actsparse::error and DW.ref")
if(shared)
  list(LENGTH shared n)
  list(SUBLIST shared 0 20 some)
  string(REPLACE ";" "\n  " some "${some}")
  message(FATAL_ERROR "${n} symbols are defined by both the AVX2 and the baseline unit (the linker keeps one "
                      "copy for both), e.g.:\n  ${some}")
endif()

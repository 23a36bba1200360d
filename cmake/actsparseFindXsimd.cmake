# Finds xsimd. Debian 12's xsimd 8.1 package exports a target that links "xtl" (xtl-dev),
# which xsimd only uses for optional xtl types. When no xtl target exists, an empty one
# stands in, so the link line does not get a bare -lxtl. Used by the build and by the
# installed actsparseConfig.cmake.
if(NOT xsimd_FOUND)  # the installed config has found it already, with find_dependency
  find_package(xsimd REQUIRED)
endif()
if(NOT TARGET xtl)
  find_package(xtl QUIET)
endif()
if(NOT TARGET xtl)
  add_library(xtl INTERFACE IMPORTED)
endif()

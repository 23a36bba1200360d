# Cross toolchain for the aarch64 (NEON) build of the tests, run under qemu-aarch64.
# Debian: g++-aarch64-linux-gnu, qemu-user. Binaries link dynamically against the cross
# runtime in /usr/aarch64-linux-gnu (libc, libstdc++, libgomp: static libgomp is not
# shipped), which qemu is told to use as the sysroot.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
# xsimd is header-only; Debian installs its package config under the build machine's
# multiarch directory, which a cross build does not search by default.
file(GLOB _xsimd_config /usr/lib/*/cmake/xsimd/xsimdConfig.cmake /usr/share/cmake/xsimd/xsimdConfig.cmake)
if(_xsimd_config)
  list(GET _xsimd_config 0 _xsimd_config)
  get_filename_component(xsimd_DIR "${_xsimd_config}" DIRECTORY CACHE)
endif()

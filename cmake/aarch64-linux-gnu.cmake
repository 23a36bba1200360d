# Cross toolchain for the aarch64 (NEON) build of the tests, run under qemu-aarch64.
# Debian: g++-aarch64-linux-gnu, qemu-user. Binaries link statically so qemu needs no
# aarch64 sysroot at run time.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

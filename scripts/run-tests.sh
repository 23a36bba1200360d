#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs every test suite:
#   1. native x86 (or aarch64) tests, one binary per ISA, plus the README example;
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer (scalar and best ISA);
#      The dispatching library's suite runs once per ISA, and under qemu-x86_64 on emulated
#      CPUs without AVX-512 and without AVX; the C API and the CMake/pkg-config consumers too;
#      then every reader under libFuzzer (tests/fuzz/run.sh, clang 14, 180 s), and the
#      concurrency stress test under ThreadSanitizer (clang 14, no OpenMP);
#   3. the aarch64 NEON build, cross-compiled and run under qemu-aarch64 (x86 hosts only).
# The native tests include MLX interop against MLX itself (tests/mlx), with the Python venv of
# scripts/python-env.sh and the model scripts/fetch-model.sh fetches, both in
# ${ACTSPARSE_CACHE:-~/.cache/actsparse}.
# Build trees go to build/ under the repository (override with ACTSPARSE_BUILD_ROOT).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${ACTSPARSE_BUILD_ROOT:-$root/build}
jobs=$(nproc)
bash "$root/scripts/install-deps.sh"

step() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }

step "Python venv and the SmolLM2 GGUF for the real-model tests"
# The venv (mlx, gguf, numpy) and the SmolLM2 GGUF; either failing stops here. Only the
# native build runs those tests (gguf_model, gguf_oracle, readme_gguf_example, mlx_interop).
python=$(bash "$root/scripts/python-env.sh" | tail -n1)
model=$(bash "$root/scripts/fetch-model.sh" | tail -n1)

step "native tests"
cmake -S "$root" -B "$out/tests" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DACTSPARSE_PYTHON=$python" "-DACTSPARSE_MODEL=$model" >/dev/null
cmake --build "$out/tests" -j "$jobs"
ctest --test-dir "$out/tests" -j "$jobs" --output-on-failure

step "ASan + UBSan tests"
# The best ISA this CPU and OS run (the sanitizer build tests it and the scalar one), in the
# test binaries' names: actsparse-cpu from the native build answers, with the detector the
# dispatcher and the test binaries ask (kernels/cpu.cpp: CPUID and the OS's XCR0).
# The dispatcher's suite runs its best table (avx512vbmi, neondot, ...: the int8 mode's
# integer-dot kernels), in CMake's spelling (sse4.2 is sse42 there).
best=$("$out/tests/actsparse-cpu" --best)
dispatch_best=$("$out/tests/actsparse-cpu" --dispatch --best)
dispatch_best=${dispatch_best/sse4.2/sse42}
case $best in
  scalar) sanitize_isas=scalar dispatch_isas=scalar ;;
  neon | neondot) sanitize_isas=$best dispatch_isas=$dispatch_best ;;
  *) sanitize_isas="scalar;$best" dispatch_isas="scalar;$dispatch_best" ;;
esac
# -O1 -g1: a third of -O2 -g's compile time (169 s -> 73 s for the AVX-512 int8 test file
# with g++ 12), which was 35 of this step's 38 minutes; line tables still name every frame.
cmake -S "$root" -B "$out/sanitize" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  "-DACTSPARSE_TEST_ISAS=$sanitize_isas" "-DACTSPARSE_DISPATCH_TEST_ISAS=$dispatch_isas" \
  -DACTSPARSE_INSTALL=OFF -DACTSPARSE_QEMU_X86_64=OFF -DACTSPARSE_MIXED_ISA_TESTS=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build "$out/sanitize" -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$out/sanitize" -j "$jobs" --output-on-failure

step "libFuzzer: every reader (GGUF 45 s, nine others 15 s each)"
# clang 14 builds the targets (tests/fuzz/run.sh: GGUF, model file, thresholds, from_mlx/borrow,
# machine, benchmark and decode JSON, decode tables, target profiles); any finding fails here.
bash "$root/scripts/install-deps.sh" clang-14
bash "$root/tests/fuzz/run.sh" "$out/fuzz"

step "ThreadSanitizer: 8 threads on shared matrices, header kernels and the dispatcher"
# clang 14 (installed for the fuzz step) without OpenMP: every thread is the test's own, so
# TSan sees them all (libgomp is not instrumented). tests/test_concurrency.cpp.
cmake -S "$root" -B "$out/tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 -DACTSPARSE_OPENMP=OFF \
  "-DACTSPARSE_TEST_ISAS=$best" -DACTSPARSE_CONCURRENCY_TEST=ON -DACTSPARSE_INSTALL=OFF \
  -DACTSPARSE_BUILD_BENCH=OFF -DACTSPARSE_QEMU_X86_64=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" "-DCMAKE_C_FLAGS=-fsanitize=thread" >/dev/null
cmake --build "$out/tsan" -j "$jobs" --target actsparse_concurrency_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ACTSPARSE_STRESS_SECONDS=3 \
  ctest --test-dir "$out/tsan" -R '^mixed-' --output-on-failure -V

if [ "$(uname -m)" = x86_64 ]; then
  step "aarch64 NEON tests under qemu-aarch64"
  cmake -S "$root" -B "$out/aarch64" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" -DACTSPARSE_GTEST_FROM_SOURCE=ON \
    "-DACTSPARSE_DISPATCH_TEST_ISAS=neon;neondot" >/dev/null
  cmake --build "$out/aarch64" -j "$jobs"
  ctest --test-dir "$out/aarch64" -j "$jobs" --output-on-failure
fi

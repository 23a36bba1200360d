#!/usr/bin/env bash
# The main job: installs what is missing, builds the benchmarks (-march=native) and runs
# them on built-in defaults. For now that is actsparse-demo: dense vs sparse GEMV on the
# Llama-3-8B FFN down projection (4096 x 14336, 4-bit g64), cache-resident and streamed
# from a 1.25 GiB pool. Arguments are passed to actsparse-demo (see bench/demo.cpp).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${ACTSPARSE_BUILD_ROOT:-$root/build}
bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$out/main" -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTSPARSE_BUILD_TESTS=OFF >/dev/null
cmake --build "$out/main" -j "$(nproc)" --target actsparse-demo
"$out/main/bench/actsparse-demo" "$@"

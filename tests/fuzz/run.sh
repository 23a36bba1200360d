#!/usr/bin/env bash
# tests/fuzz/run.sh: builds the GGUF reader's libFuzzer target (tests/fuzz/fuzz_gguf.cpp)
# with Debian's clang 14 under AddressSanitizer + UndefinedBehaviorSanitizer and runs it for a
# bounded time on a copy of the seed corpus (tests/fuzz/corpus/gguf/), so the source tree is
# never written. Fails on any finding (crash, sanitizer report, leak, timeout, out of memory)
# and says where the input is and how to replay it.
#   bash tests/fuzz/run.sh [BUILD_DIR] [libFuzzer flags...]
# BUILD_DIR defaults to build/fuzz; flags given here come after the defaults
# (-max_total_time=60 -rss_limit_mb=2048 -max_len=8192 -timeout=10), so e.g. -runs=1500000
# -max_total_time=0 runs a fixed number of executions instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/fuzz}
[ $# -gt 0 ] && shift
cxx=${ACTSPARSE_FUZZ_CXX:-clang++-14}
die() { echo "fuzz: $*" >&2; exit 1; }
command -v "$cxx" >/dev/null || die "$cxx not found: install Debian's clang-14 (bash scripts/install-deps.sh clang-14)"

mkdir -p "$out"
# No OpenMP: the reader's one parallel loop (dequantize_rows) only starts at 2^18 values,
# more than the target decodes, so the pragma changes nothing here.
"$cxx" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -std=c++17 -Wall -Wextra -Werror -I "$root/include" "$root/tests/fuzz/fuzz_gguf.cpp" -o "$out/fuzz_gguf"

rm -rf "$out/corpus" "$out/findings"
mkdir -p "$out/findings"
cp -r "$root/tests/fuzz/corpus/gguf" "$out/corpus"
echo "fuzz: $(ls "$out/corpus" | wc -l) seed files; log in $out/fuzz.log"
status=0
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1 \
  "$out/fuzz_gguf" "$out/corpus" -max_total_time=60 -rss_limit_mb=2048 -max_len=8192 -timeout=10 \
  -artifact_prefix="$out/findings/" -print_final_stats=1 "$@" >"$out/fuzz.log" 2>&1 || status=$?
grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$out/fuzz.log" || true
findings=$(ls "$out/findings")
if [ "$status" -ne 0 ] || [ -n "$findings" ]; then
  tail -n 40 "$out/fuzz.log" >&2
  die "finding(s) (exit $status): ${findings:-none saved}; replay one with $out/fuzz_gguf $out/findings/<file>"
fi
echo "fuzz: no findings ($(ls "$out/corpus" | wc -l) corpus files after the run)"

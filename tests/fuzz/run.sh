#!/usr/bin/env bash
# tests/fuzz/run.sh: builds the libFuzzer targets of every reader of untrusted input
# (tests/fuzz/fuzz_<target>.cpp) with Debian's clang 14 under AddressSanitizer +
# UndefinedBehaviorSanitizer and runs each for a bounded time on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/), so the source tree is never written. Fails on any finding
# (crash, sanitizer report, uncaught exception, leak, timeout, out of memory) and says where
# the input is and how to replay it.
#   bash tests/fuzz/run.sh [BUILD_DIR] [TARGET...] [libFuzzer flags...]
# BUILD_DIR defaults to build/fuzz; TARGETs default to all of them, one after the other:
#   gguf        include/actsparse/gguf.hpp, gguf_file::from_memory             45 s
#   model_file  include/actsparse/model_file.hpp, model_file::from_memory      15 s
#   thresholds  include/actsparse/calibrate.hpp, threshold_table::parse        15 s
#   mlx         include/actsparse/format.hpp, from_mlx, packed_matrix::borrow  15 s
#   machine     roofline/machine.cpp, parse_machine (load_machine)             15 s
#   bench       roofline/bench_rows.cpp, parse_bench (load_bench)              15 s
#   decode      roofline/decode_result.cpp, parse_decode (load_decode)         15 s
#   study       roofline/study_result.cpp, parse_study (load_study), and the
#               real-model page rendered from what it accepts (study_report)   15 s
#   projection  roofline/projection.cpp, projection_table::parse_inline/json   15 s
#   profiles    roofline/targets.cpp, parse_target_profiles (load_profiles)    15 s
# Flags given here come after the defaults (-max_total_time as above, -rss_limit_mb=2048,
# -max_len per target, -timeout=10) and apply to every target, so e.g. -runs=1000000
# -max_total_time=0 runs a fixed number of executions instead. Logs: BUILD_DIR/<target>/fuzz.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/fuzz}
[ $# -gt 0 ] && shift
all="gguf model_file thresholds mlx machine bench decode study projection profiles"
targets=() flags=()
for a in "$@"; do
  case "$a" in
    -*) flags+=("$a") ;;
    *) [[ " $all " == *" $a "* ]] || { echo "fuzz: unknown target '$a' (targets: $all)" >&2; exit 1; }
       targets+=("$a") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$all"
cxx=${ACTSPARSE_FUZZ_CXX:-clang++-14}
die() { echo "fuzz: $*" >&2; exit 1; }
command -v "$cxx" >/dev/null || die "$cxx not found: install Debian's clang-14 (bash scripts/install-deps.sh clang-14)"

# No OpenMP: the readers' parallel loops (dequantize_rows, pack) start at 2^18 values, more
# than the targets decode, and the kernels run single-threaded without it.
cxxflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
          -std=c++17 -Wall -Wextra -Werror -I "$root/include")
mkdir -p "$out"

# Everything is compiled first, two compilers at a time (the test machine has 2 cores): the
# tool's readers (roofline/*.cpp, nlohmann_json) once, for the six targets that use them, with
# the built-in profiles compiled in as CMake does (roofline/CMakeLists.txt), then the targets.
is_roofline() { case "$1" in machine | bench | decode | study | projection | profiles) return 0 ;; esac; return 1; }
# The tool's readers and what they call (roofline/CMakeLists.txt lists the tool's sources).
roofline_sources="json_file machine bench_rows model targets projection decode_result study_result study_report"
obj=$out/roofline-obj
pending=()
throttle() {  # at most two jobs; a failed one fails the build
  while [ ${#pending[@]} -ge "$1" ]; do
    wait "${pending[0]}" || die "build failed"
    pending=("${pending[@]:1}")
  done
}
need_roofline=false
for t in "${targets[@]}"; do is_roofline "$t" && need_roofline=true; done
if $need_roofline; then
  mkdir -p "$obj"
  {
    echo 'namespace roofline {'
    printf 'const char* builtin_profiles_json() {\n  return R"actsparse_json(%s)actsparse_json";\n}\n' \
      "$(cat "$root/roofline/profiles/apple.json")"
    printf 'const char* apple_validation_json() {\n  return R"actsparse_json(%s)actsparse_json";\n}\n' \
      "$(cat "$root/roofline/profiles/apple_validation.json")"
    printf 'const char* neon_loops_json() {\n  return R"actsparse_json(%s)actsparse_json";\n}\n' \
      "$(cat "$root/roofline/profiles/neon_loops.json")"
    echo '}  // namespace roofline'
  } >"$obj/profiles_data.cpp"
  "$cxx" -std=c++17 -O1 -c "$obj/profiles_data.cpp" -o "$obj/profiles_data.o" & pending+=($!)
  for src in $roofline_sources; do
    if [ ! -e "$obj/$src.o" ] || [ -n "$(find "$root/roofline" "$root/include/actsparse" "$0" -newer "$obj/$src.o" \
        \( -name '*.cpp' -o -name '*.hpp' -o -name run.sh \) | head -n1)" ]; then
      throttle 2
      "$cxx" "${cxxflags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -I "$root/roofline" \
        -c "$root/roofline/$src.cpp" -o "$obj/$src.o" & pending+=($!)
    fi
  done
  throttle 1
fi
for t in "${targets[@]}"; do
  mkdir -p "$out/$t"
  extra=()
  if is_roofline "$t"; then
    extra=(-I "$root/roofline" "$obj/profiles_data.o")
    for src in $roofline_sources; do extra+=("$obj/$src.o"); done
  fi
  throttle 2
  "$cxx" "${cxxflags[@]}" "$root/tests/fuzz/fuzz_$t.cpp" "${extra[@]}" -o "$out/$t/fuzz_$t" & pending+=($!)
done
throttle 1
echo "fuzz: built ${targets[*]} in $SECONDS s"

failed=()
for t in "${targets[@]}"; do
  case "$t" in
    gguf) seconds=45 max_len=8192 ;;
    model_file) seconds=15 max_len=20480 ;;
    *) seconds=15 max_len=4096 ;;
  esac
  dir=$out/$t
  rm -rf "$dir/corpus" "$dir/findings"
  mkdir -p "$dir/findings"
  cp -r "$root/tests/fuzz/corpus/$t" "$dir/corpus"
  echo "fuzz $t: $(ls "$dir/corpus" | wc -l) seed files; log in $dir/fuzz.log"
  status=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$dir/fuzz_$t" "$dir/corpus" -max_total_time=$seconds -rss_limit_mb=2048 -max_len=$max_len -timeout=10 \
    -artifact_prefix="$dir/findings/" -print_final_stats=1 "${flags[@]}" >"$dir/fuzz.log" 2>&1 || status=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
    "$dir/fuzz.log" | sed "s/^/  /" || true
  findings=$(ls "$dir/findings")
  if [ "$status" -ne 0 ] || [ -n "$findings" ]; then
    tail -n 40 "$dir/fuzz.log" >&2
    echo "fuzz $t: finding(s) (exit $status): ${findings:-none saved}; replay one with $dir/fuzz_$t $dir/findings/<file>" >&2
    failed+=("$t")
    continue
  fi
  echo "fuzz $t: no findings ($(ls "$dir/corpus" | wc -l) corpus files after the run)"
done
[ ${#failed[@]} -eq 0 ] || die "findings in: ${failed[*]}"
echo "fuzz: ${targets[*]}: no findings, $SECONDS s with the build"

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
#   model_file  include/actsparse/model_file.hpp, model_file::from_memory      20 s
#   thresholds  include/actsparse/calibrate.hpp, threshold_table::parse        20 s
#   mlx         include/actsparse/format.hpp, from_mlx and packed_matrix::borrow 20 s
#   machine     roofline/machine.cpp, parse_machine (load_machine)             20 s
#   bench       roofline/model.cpp, parse_bench (load_bench)                   20 s
#   decode      roofline/decode.cpp, parse_decode (load_decode)                20 s
#   projection  roofline/model.cpp, projection_table::parse_inline/parse_json  20 s
#   profiles    roofline/model.cpp, parse_target_profiles (load_profiles)      20 s
# Flags given here come after the defaults (-max_total_time as above, -rss_limit_mb=2048,
# -max_len per target, -timeout=10) and apply to every target, so e.g. -runs=1000000
# -max_total_time=0 runs a fixed number of executions instead. Logs: BUILD_DIR/<target>/fuzz.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/fuzz}
[ $# -gt 0 ] && shift
all="gguf model_file thresholds mlx machine bench decode projection profiles"
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

# The tool's readers (roofline/*.cpp, nlohmann_json) are compiled once for the five targets
# that use them, with the built-in profiles compiled in as CMake does (roofline/CMakeLists.txt).
roofline_objects() {
  local obj=$out/roofline-obj
  mkdir -p "$obj"
  {
    echo 'namespace roofline {'
    printf 'const char* builtin_profiles_json() {\n  return R"actsparse_json(%s)actsparse_json";\n}\n' \
      "$(cat "$root/roofline/profiles/apple.json")"
    printf 'const char* published_decode_json() {\n  return R"actsparse_json(%s)actsparse_json";\n}\n' \
      "$(cat "$root/roofline/profiles/published.json")"
    echo '}  // namespace roofline'
  } >"$obj/profiles_data.cpp"
  for src in machine model decode; do
    if [ ! -e "$obj/$src.o" ] || [ -n "$(find "$root/roofline" "$root/include/actsparse" "$0" -newer "$obj/$src.o" \
        \( -name '*.cpp' -o -name '*.hpp' -o -name run.sh \) | head -n1)" ]; then
      "$cxx" "${cxxflags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -I "$root/roofline" -I "$root/bench" \
        -c "$root/roofline/$src.cpp" -o "$obj/$src.o"
    fi
  done
  "$cxx" -std=c++17 -O1 -c "$obj/profiles_data.cpp" -o "$obj/profiles_data.o"
  echo "$obj/machine.o" "$obj/model.o" "$obj/decode.o" "$obj/profiles_data.o"
}

failed=()
for t in "${targets[@]}"; do
  case "$t" in
    gguf) seconds=45 max_len=8192 ;;
    model_file) seconds=20 max_len=20480 ;;
    *) seconds=20 max_len=4096 ;;
  esac
  dir=$out/$t
  mkdir -p "$dir"
  extra=()
  case "$t" in
    machine | bench | decode | projection | profiles) read -r -a extra <<<"-I $root/roofline $(roofline_objects)" ;;
  esac
  "$cxx" "${cxxflags[@]}" "$root/tests/fuzz/fuzz_$t.cpp" "${extra[@]}" -o "$dir/fuzz_$t"
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

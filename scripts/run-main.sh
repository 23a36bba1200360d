#!/usr/bin/env bash
# The main job, on built-in defaults: installs what is missing, builds the tools
# (-march=native), measures this machine (actsparse probe), runs the default benchmark sweep
# (actsparse-bench, docs/bench.md), the whole-model decode benchmark (actsparse decode,
# docs/decode.md), loads the real SmolLM2-135M GGUF (scripts/fetch-model.sh) and converts it
# into a packed model file (actsparse convert, docs/gguf.md), runs the real-model study on it
# (actsparse study on two Debian texts, scripts/fetch-texts.sh, docs/real-model.md), and
# writes the report to ./actsparse-report/ (override with ACTSPARSE_REPORT_DIR). The study's
# size: ACTSPARSE_STUDY_TOKENS calibration and evaluation tokens (default 2048 and 1024;
# "full" runs 20480 of each, about 80 minutes on 2 cores). Extra arguments go to actsparse-bench, e.g.
#   bash scripts/run-main.sh --shapes 4096x4096 --bits 4 --sparsity 0,50,90
# Build trees go to build/ (ACTSPARSE_BUILD_ROOT), measurements to build/main/results/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${ACTSPARSE_BUILD_ROOT:-$root/build}
report=${ACTSPARSE_REPORT_DIR:-$PWD/actsparse-report}
bash "$root/scripts/install-deps.sh"

echo "== [1/7] build"
cmake -S "$root" -B "$out/main" -G Ninja -DCMAKE_BUILD_TYPE=Release -DACTSPARSE_BUILD_TESTS=OFF >/dev/null
cmake --build "$out/main" -j "$(nproc)" --target actsparse-bench actsparse-tool
results="$out/main/results"
mkdir -p "$results"

echo "== [2/7] probe: topology, read bandwidth per level, compute ceilings (about 20 s)"
"$out/main/roofline/actsparse" probe --out "$results/machine.json"

echo "== [3/7] benchmark sweep (about 7 min on 2 cores; one line per configuration, medians of 5)"
# Google Benchmark writes --benchmark_out as it goes: to a temporary name, moved over the
# previous results only when the run succeeded, so an interrupted or failed run keeps them.
rm -f "$results/bench.json.tmp"
set +e  # the progress filter (grep) may match nothing; the benchmark's own status decides
"$out/main/bench/actsparse-bench" --benchmark_min_time=0.1 --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$results/bench.json.tmp" --benchmark_out_format=json "$@" \
  | grep --line-buffered -E "_median|^-|^Benchmark"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "run-main: actsparse-bench failed (exit $status)" >&2; exit "$status"; }
[ -s "$results/bench.json.tmp" ] || { echo "run-main: the benchmark wrote no results" >&2; exit 1; }
mv -f "$results/bench.json.tmp" "$results/bench.json"

echo "== [4/7] whole-model decode: the largest default model that fits, dense and 50% sparse (about 30 s)"
"$out/main/roofline/actsparse" decode --machine "$results/machine.json" --out "$results/decode.json"

echo "== [5/7] real model: SmolLM2-135M GGUF into packed matrices and a model file (about 10 s)"
model=$(bash "$root/scripts/fetch-model.sh" | tail -n1)
"$out/main/roofline/actsparse" gguf --model "$model" > "$results/gguf.txt"
head -n1 "$results/gguf.txt"
"$out/main/roofline/actsparse" convert --model "$model" --bits default=4,down=6 --out "$results/smollm2.aspk" \
  | tee "$results/convert.txt"

echo "== [6/7] real-model study: activations, thresholds, quality and speed against sparsity (minutes)"
texts=$(bash "$root/scripts/fetch-texts.sh")
calib_text=$(sed -n 1p <<<"$texts")
eval_text=$(sed -n 2p <<<"$texts")
case ${ACTSPARSE_STUDY_TOKENS:-default} in
  default) study_size=(--calib-tokens 2048 --eval-tokens 1024) ;;
  full) study_size=(--calib-tokens 20480 --eval-tokens 20480) ;;
  *) echo "run-main: ACTSPARSE_STUDY_TOKENS=$ACTSPARSE_STUDY_TOKENS: legal values are default and full" >&2; exit 2 ;;
esac
mkdir -p "$results/thresholds"
"$out/main/roofline/actsparse" study --model "$model" --calib-text "$calib_text" --eval-text "$eval_text" \
  "${study_size[@]}" --machine "$results/machine.json" --thresholds-dir "$results/thresholds" --out "$results/study.json"

echo "== [7/7] report"
"$out/main/roofline/actsparse" report --machine "$results/machine.json" --bench "$results/bench.json" \
  --decode "$results/decode.json" --study "$results/study.json" --out "$report"
echo "open $report/index.html"

#!/usr/bin/env bash
# Runs the actsparse side and the ggml side of the peer comparison back to back, streamed
# from memory, on the shapes, widths and thread counts of docs/performance.md ("Against
# llama.cpp's CPU backend", "Against ggml (issue 18, target 2)"). It builds nothing: pass
# the two binaries.
#   bench/peer/compare.sh ACTSPARSE_BENCH GGML_STREAM [OUT_DIR] [extra actsparse-bench arguments]
# e.g.
#   bench/peer/compare.sh build/main/bench/actsparse-bench build/peer/ggml-stream run-a
#   ORDER=ggml-first bench/peer/compare.sh build/main/bench/actsparse-bench build/peer/ggml-stream run-b --bits 4,8
# Both precision modes (exact, int8) are measured. Later arguments override the defaults
# (Google Benchmark flags and actsparse-bench options alike: the last one given wins).
# ORDER=ggml-first runs ggml before actsparse; the docs compare two runs, one in each order.
# Writes OUT_DIR/actsparse.json (Google Benchmark, medians of 5) and OUT_DIR/ggml.csv.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 ACTSPARSE_BENCH GGML_STREAM [OUT_DIR] [extra actsparse-bench arguments]" >&2
  exit 2
fi
bench=$1
peer=$2
out=${3:-peer-compare}
shift $(($# < 3 ? $# : 3))
order=${ORDER:-actsparse-first}
case $order in
  actsparse-first | ggml-first) ;;
  *) echo "$0: ORDER=$order: legal values are actsparse-first and ggml-first" >&2; exit 2 ;;
esac
mkdir -p "$out"
ours() {
  "$bench" --shapes 4096x14336,14336x4096 --bits 2,3,4,8 --groups 64 --sparsity 0,50 --pattern uniform \
    --threads 1,2 --mode stream --precision exact,int8 --baselines 0 --detect 0 --panels 1 \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/actsparse.json" --benchmark_out_format=json "$@"
}
ggml() {
  "$peer" --shapes 4096x14336,14336x4096 --types q4_0,q4_K,q8_0,q2_K,q3_K --threads 1,2 --mode stream \
    --layout plain,repack --reps 15 > "$out/ggml.csv"
}
if [ "$order" = ggml-first ]; then
  ggml
  ours "$@"
else
  ours "$@"
  ggml
fi
cat "$out/ggml.csv"

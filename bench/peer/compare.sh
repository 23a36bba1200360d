#!/usr/bin/env bash
# Runs the actsparse side and the ggml side of the peer comparison back to back, streamed
# from memory, on the shapes, widths and thread counts of docs/performance.md ("Against
# llama.cpp's CPU backend"). It builds nothing: pass the two binaries.
#   bench/peer/compare.sh build/main/bench/actsparse-bench build/peer/ggml-stream OUT_DIR
# Writes OUT_DIR/actsparse.json (Google Benchmark, medians of 5) and OUT_DIR/ggml.csv.
set -euo pipefail
bench=$1
peer=$2
out=${3:-peer-compare}
mkdir -p "$out"
"$bench" --shapes 4096x14336,14336x4096 --bits 2,3,4,8 --groups 64 --sparsity 0,50 --pattern uniform \
  --threads 1,2 --mode stream --baselines 0 --detect 0 --panels 1 \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/actsparse.json" --benchmark_out_format=json
"$peer" --shapes 4096x14336,14336x4096 --types q4_0,q4_K,q8_0,q2_K,q3_K --threads 1,2 --mode stream \
  --layout plain,repack --reps 15 > "$out/ggml.csv"
cat "$out/ggml.csv"

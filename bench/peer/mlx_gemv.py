#!/usr/bin/env python3
"""bench/peer/mlx_gemv.py: MLX's CPU quantized GEMV beside actsparse_gemv_dense, hot.

One decode-style product y = W x (W: N outputs x K inputs, x: one fp32 vector) per call, on
the same shapes, bits and group size, with the same weights:
  - MLX: mx.quantize(W) (MLX's own layout, groups along the inputs), then
    mx.quantized_matmul(x[1, K], wq, scales, biases, transpose=True) and mx.eval, on the
    CPU device. Twice: "fp16" (x, scales and biases fp16, as MLX runs LLMs) and "fp32" (all
    fp32: scales and biases converted once, before timing).
  - actsparse: actsparse_pack(W) (our layout, groups along the outputs; same bits per
    weight), actsparse_gemv_dense through the C API (ctypes), on 1 and 2 threads
    (actsparse_set_threads), and on 2 threads with 2 panels (actsparse_split_panels).
"hot": every call uses the same matrix, so whatever fits stays in cache. The implementations
alternate in every round (so drift on a shared machine hits them alike); each sample is
the mean of enough back-to-back calls to last ~0.1 s, and the table gives the median over
the rounds. MLX's threads are measured, not assumed: process CPU time / wall time during
its samples (1.0 = one busy thread).

Usage (the venv of scripts/python-env.sh, the library of a Release build):
  $(bash scripts/python-env.sh | tail -n1) bench/peer/mlx_gemv.py \\
      --lib build/h1/kernels/libactsparse_dispatch.so [--shapes 4096x4096,...] [--bits 4,8]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import actsparse_ctypes  # noqa: E402


def sample(fn, calls):
    """Mean seconds per call over `calls` calls, and process CPU seconds per wall second."""
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    t1, c1 = time.perf_counter(), time.process_time()
    return (t1 - t0) / calls, (c1 - c0) / (t1 - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.environ.get("ACTSPARSE_LIB"), help="libactsparse_dispatch.so")
    ap.add_argument("--shapes", default="4096x4096,4096x14336,14336x4096", help="NxK, comma-separated")
    ap.add_argument("--bits", default="4,8")
    ap.add_argument("--group-size", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--sample-seconds", type=float, default=0.1)
    args = ap.parse_args()
    if not args.lib:
        sys.exit("mlx_gemv: give the library with --lib or ACTSPARSE_LIB")
    import mlx.core as mx

    mx.set_default_device(mx.cpu)
    L = actsparse_ctypes.Library(args.lib)
    g = args.group_size
    print(f"actsparse {L.version()} ({L.isa()}), mlx {mx.__version__} on {mx.default_device()}; "
          f"{args.rounds} rounds, samples of ~{args.sample_seconds} s, hot")
    print("| shape N x K | bits | MLX fp16 ms | MLX fp32 ms | MLX CPU s / wall s | ours 1 thread ms | "
          "ours 2 threads ms | ours 2 panels, 2 threads ms | MLX fp32 / ours 1 thread | max rel err MLX fp32; ours |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rng = np.random.default_rng(1)
    for shape in args.shapes.split(","):
        N, K = (int(v) for v in shape.split("x"))
        w16 = rng.normal(0.0, 0.02, (N, K)).astype(np.float16)
        x32 = rng.normal(0.0, 1.0, K).astype(np.float32)
        y_ref = w16.astype(np.float32) @ x32  # the unquantized product, for a sanity check
        for bits in (int(b) for b in args.bits.split(",")):
            wq, s16, b16 = mx.quantize(mx.array(w16), group_size=g, bits=bits)
            s32, b32 = s16.astype(mx.float32), b16.astype(mx.float32)
            xm16, xm32 = mx.array(x32[None, :].astype(np.float16)), mx.array(x32[None, :])
            mx.eval(wq, s16, b16, s32, b32, xm16, xm32)

            def mlx_fn(x, s, b):
                def call():
                    mx.eval(mx.quantized_matmul(x, wq, s, b, transpose=True, group_size=g, bits=bits))
                return call

            P = L.pack(w16, bits, g)
            P2 = P.split_panels(2)
            y = np.empty(N, np.float32)

            def ours(M, threads):
                def call():
                    L.set_threads(threads)
                    M.gemv_dense(x32, y)
                return call

            impls = {"mlx16": mlx_fn(xm16, s16, b16), "mlx32": mlx_fn(xm32, s32, b32),
                     "ours1": ours(P, 1), "ours2": ours(P, 2), "panels2": ours(P2, 2)}
            # Sanity: both compute the product (different groups, so not the same rounding).
            y_mlx = np.array(mx.quantized_matmul(xm32, wq, s32, b32, transpose=True, group_size=g, bits=bits))[0]
            ours(P, 1)()
            scale = float(np.abs(y_ref).max())
            err_mlx, err_ours = (float(np.abs(v - y_ref).max()) / scale for v in (y_mlx, y))
            # Calls per sample from one warm call each.
            calls = {}
            for name, fn in impls.items():
                fn()
                t, _ = sample(fn, 1)
                calls[name] = max(1, int(args.sample_seconds / t))
            times = {name: [] for name in impls}
            mlx_cpu = []
            for r in range(args.rounds):
                order = list(impls) if r % 2 == 0 else list(reversed(impls))
                for name in order:
                    t, cpu = sample(impls[name], calls[name])
                    times[name].append(t)
                    if name.startswith("mlx"):
                        mlx_cpu.append(cpu)
            med = {name: statistics.median(v) * 1e3 for name, v in times.items()}
            print(f"| {N} x {K} | {bits} | {med['mlx16']:.2f} | {med['mlx32']:.2f} | "
                  f"{statistics.median(mlx_cpu):.2f} | {med['ours1']:.3f} | {med['ours2']:.3f} | "
                  f"{med['panels2']:.3f} | {med['mlx32'] / med['ours1']:.1f}x | {err_mlx:.1e}; {err_ours:.1e} |",
                  flush=True)
            P2.close()
            P.close()
    L.set_threads(0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""tests/mlx/check_mlx.py: actsparse's MLX interop checked against MLX itself (the mlx
package on the CPU), through the C API of libactsparse_dispatch.so (ctypes).

For W of rows x cols (rows = outputs), our format is MLX's quantization of W.T
(include/actsparse/format.hpp, docs/format.md). For random weights of several shapes and for
real SmolLM2-135M weights (GGUF Q4_1, decoded with the gguf package), at every bits in
{2, 3, 4, 5, 6, 8} and group size in {32, 64, 128} (where rows is a multiple of it):
  1. round trip: actsparse_from_mlx(mx.quantize(W16.T)) then actsparse_to_mlx gives the three
     arrays back bit for bit (W16: the weights in fp16, so MLX's scales and biases are fp16);
  2. dequantize: actsparse_dequantize equals mx.dequantize bit for bit. MLX computes in the
     scales' dtype: with fp16 scales it returns fp16(fp16(q * s) + b), rounded twice. So the
     exact comparison is made with the scales and biases converted to fp32 (exactly), where
     MLX computes fp32(q * s) + b: q * s (<= 8 + 11 significant bits) is exact in fp32, so the
     one rounding left is the add's, as in our fused multiply-add. MLX's fp16 result must
     equal that two-rounding fp16 formula evaluated here on our codes; the script reports how
     many of its elements differ from our fp32 value rounded once to fp16;
  3. pack: actsparse_pack of the same weights (as fp32, and as fp16) gives mx.quantize's codes,
     scales and biases bit for bit (MLX's CPU quantizer computes in fp32 from the fp16
     weights and rounds scale and bias to fp16 at the end, as ours does);
  4. fp32 weights (not rounded to fp16): mx.quantize then keeps fp32 scales and biases; our
     codes must equal MLX's, and our fp16 scales and biases MLX's rounded to fp16.
Exits non-zero on any mismatch. Usage:
  ACTSPARSE_LIB=build/kernels/libactsparse_dispatch.so ACTSPARSE_MODEL=model.gguf \\
    python tests/mlx/check_mlx.py [--lib PATH] [--model PATH]
With ACTSPARSE_MODEL unset the real weights are skipped (and the summary says so); set to a
file that does not exist, the test fails.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import actsparse_ctypes  # noqa: E402

BITS = (2, 3, 4, 5, 6, 8)
GROUPS = (32, 64, 128)
RANDOM_ROWS = (64, 128, 192, 576, 1536)
RANDOM_COLS = 24
# Real tensors (GGUF shape [inputs, outputs], so rows = outputs): the FFN down projection,
# a K projection (192 outputs) and the FFN up projection (1536 outputs).
REAL_TENSORS = ("blk.0.ffn_down.weight", "blk.0.attn_k.weight", "blk.0.ffn_up.weight")
REAL_COLS = 256


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"  FAIL: {what}")
        return ok


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    view = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return np.array_equal(a.view(view), b.view(view))


def first_diff(a, b):
    i = np.argwhere(a.view(np.uint8 if a.dtype.itemsize == 1 else f"u{a.dtype.itemsize}")
                    != b.view(np.uint8 if b.dtype.itemsize == 1 else f"u{b.dtype.itemsize}"))
    if len(i) == 0:
        return "none"
    j = tuple(i[0])
    return f"{len(i)} differ, first at {list(j)}: {a[j]!r} vs {b[j]!r}"


def codes(wq, rows, bits):
    """Our codes from the MLX packed array: [cols][rows] (little-endian bit stream per row)."""
    raw = np.unpackbits(np.ascontiguousarray(wq).view(np.uint8), axis=1, bitorder="little")
    raw = raw[:, : rows * bits].reshape(wq.shape[0], rows, bits).astype(np.uint32)
    return (raw << np.arange(bits, dtype=np.uint32)).sum(axis=2, dtype=np.uint32)


def random_weights(rows, cols, rng):
    """Normal weights plus columns that reach MLX's corner cases: all zero (scale = eps, q0 = 0),
    constant, one large outlier per group, all negative, and values near the fp16 limits."""
    w = rng.normal(0.0, 0.02, (rows, cols)).astype(np.float32)
    w[:, 0] = 0.0
    w[:, 1] = 0.5
    w[:, 2] = -0.01
    w[::32, 3] = 3.0
    w[:, 4] = -np.abs(w[:, 4]) - 0.1
    w[:, 5] = rng.uniform(-60000.0, 60000.0, rows)
    w[:, 6] = rng.uniform(-1e-4, 1e-4, rows)
    return w


def check_case(L, mx, label, w32, checks, groups=GROUPS):
    """All four checks for W (fp32 [rows][cols]) at every bits and group size. Returns
    (configurations, weights, MLX fp16 results != ours rounded to fp16, their overflows to
    inf, the largest other |difference| in units of the group's scale)."""
    rows, cols = w32.shape
    w16 = w32.astype(np.float16)
    ran, skipped_groups, fp16_diff, fp16_inf, fp16_err = 0, [], 0, 0, 0.0
    for g in groups:
        if rows % g:
            skipped_groups.append(g)
            continue
        for bits in BITS:
            tag = f"{label} bits={bits} g={g}"
            ran += 1
            # MLX quantizes W.T: [cols][rows], groups along rows.
            wq, s, b = (np.array(a) for a in mx.quantize(mx.array(w16.T), group_size=g, bits=bits))
            M = L.from_mlx(wq, s, b, rows, cols, bits, g)
            # 1. round trip
            wq2, s2, b2 = M.to_mlx()
            checks.expect(bits_equal(wq, wq2) and bits_equal(s, s2) and bits_equal(b, b2),
                          f"{tag}: to_mlx(from_mlx(mx.quantize)) differs: wq {first_diff(wq, wq2)}, "
                          f"scales {first_diff(s, s2)}, biases {first_diff(b, b2)}")
            # 2. dequantize
            ours = M.dequantize()
            mlx32 = np.array(mx.dequantize(mx.array(wq), mx.array(s.astype(np.float32)),
                                           mx.array(b.astype(np.float32)), group_size=g, bits=bits)).T
            checks.expect(bits_equal(ours, mlx32),
                          f"{tag}: actsparse_dequantize != mx.dequantize with fp32 scales: {first_diff(ours, mlx32)}")
            mlx16 = np.array(mx.dequantize(mx.array(wq), mx.array(s), mx.array(b), group_size=g, bits=bits)).T
            q = codes(wq, rows, bits).T  # [rows][cols]
            s_rc = np.repeat(s.T, g, axis=0)
            b_rc = np.repeat(b.T, g, axis=0)
            with np.errstate(over="ignore"):  # q * s can exceed 65504: MLX gets inf there too
                model16 = (q.astype(np.float16) * s_rc) + b_rc  # numpy: fp32 arithmetic, fp16 rounding per op
            checks.expect(bits_equal(mlx16, model16),
                          f"{tag}: mx.dequantize with fp16 scales != fp16(fp16(q*s)+b) on our codes: "
                          f"{first_diff(mlx16, model16)}")
            fp16_diff += int(np.count_nonzero(mlx16.view(np.uint16) != ours.astype(np.float16).view(np.uint16)))
            finite = np.isfinite(mlx16)
            fp16_inf += int(np.count_nonzero(~finite))
            err = np.abs(mlx16.astype(np.float64) - ours) / np.abs(s_rc.astype(np.float64))
            fp16_err = max(fp16_err, float(err[finite].max(initial=0.0)))
            # 3. pack from the same weights, fp32 and fp16
            for src in (w16.astype(np.float32), w16):
                P = L.pack(src, bits, g)
                wq3, s3, b3 = P.to_mlx()
                checks.expect(bits_equal(wq, wq3) and bits_equal(s, s3) and bits_equal(b, b3),
                              f"{tag}: actsparse_pack({src.dtype}) != mx.quantize: codes "
                              f"{first_diff(codes(wq3, rows, bits), codes(wq, rows, bits))}, "
                              f"scales {first_diff(s3, s)}, biases {first_diff(b3, b)}")
                P.close()
            # 4. fp32 weights: MLX keeps fp32 scales and biases; ours are them rounded to fp16.
            wq4, s4, b4 = (np.array(a) for a in mx.quantize(mx.array(w32.T), group_size=g, bits=bits))
            P = L.pack(w32, bits, g)
            wq5, s5, b5 = P.to_mlx()
            checks.expect(bits_equal(wq4, wq5) and bits_equal(s4.astype(np.float16), s5)
                          and bits_equal(b4.astype(np.float16), b5),
                          f"{tag}: fp32 weights: codes {first_diff(codes(wq5, rows, bits), codes(wq4, rows, bits))}, "
                          f"scales {first_diff(s5, s4.astype(np.float16))}, biases {first_diff(b5, b4.astype(np.float16))}")
            P.close()
            M.close()
    note = f" (g={'/'.join(map(str, skipped_groups))}: rows not a multiple)" if skipped_groups else ""
    print(f"{label:40s} {rows:4d} x {cols:<4d} {ran:2d} configs{note}; MLX fp16 dequantize: "
          f"{fp16_diff} of {ran * rows * cols} != ours in fp16, {fp16_inf} inf, max |diff| {fp16_err:.4f} scale")
    return ran, ran * rows * cols, fp16_diff, fp16_inf, fp16_err


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.environ.get("ACTSPARSE_LIB"), help="libactsparse_dispatch.so")
    ap.add_argument("--model", default=os.environ.get("ACTSPARSE_MODEL"), help="SmolLM2-135M-Instruct.Q4_1.gguf")
    args = ap.parse_args()
    if not args.lib:
        sys.exit("check_mlx: give the library with ACTSPARSE_LIB or --lib (build target actsparse_dispatch)")
    if args.model and not os.path.isfile(args.model):
        sys.exit(f"check_mlx: FAIL: the model {args.model} does not exist; run scripts/fetch-model.sh "
                 "(it prints the path) and pass it as ACTSPARSE_MODEL")
    t0 = time.time()
    import mlx.core as mx

    mx.set_default_device(mx.cpu)
    L = actsparse_ctypes.Library(args.lib)
    print(f"actsparse {L.version()} ({L.isa()}), mlx {mx.__version__} on {mx.default_device()}, numpy {np.__version__}")
    checks = Checks()
    results = []
    rng = np.random.default_rng(20240611)
    for rows in RANDOM_ROWS:
        results.append(check_case(L, mx, "random", random_weights(rows, RANDOM_COLS, rng), checks))

    if args.model:
        import gguf

        reader = gguf.GGUFReader(args.model)
        tensors = {t.name: t for t in reader.tensors}
        for name in REAL_TENSORS:
            if not checks.expect(name in tensors, f"{args.model} has no tensor {name}"):
                continue
            t = tensors[name]
            w = np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32)
            # Every output, the first REAL_COLS inputs: groups run along the outputs, so this
            # keeps whole real groups and the run short.
            w = np.ascontiguousarray(w[:, :REAL_COLS])
            label = f"SmolLM2 {name} ({t.tensor_type.name})"
            results.append(check_case(L, mx, label, w, checks))
            if w.shape[0] % 128:  # group 128 on the largest whole-group block of rows
                r = w.shape[0] // 128 * 128
                results.append(check_case(L, mx, f"  its rows [0, {r})", np.ascontiguousarray(w[:r]), checks,
                                          groups=(128,)))
    else:
        print("real weights: skipped (ACTSPARSE_MODEL not set; scripts/fetch-model.sh fetches the model)")

    configs, weights, diff, inf = (sum(r[i] for r in results) for i in range(4))
    err = max(r[4] for r in results)
    verdict = "agree bit for bit" if not checks.failed else "DO NOT all agree (FAIL lines above)"
    print(f"\n{configs} configurations in {time.time() - t0:.1f} s: mx.quantize, actsparse_pack, from_mlx/to_mlx "
          f"and dequantize (MLX's with fp32 scales) {verdict}.")
    print(f"MLX's fp16 dequantize is fp16(fp16(q*s)+b); it differs from our fp32 value rounded "
          f"to fp16 in {diff} of {weights} weights ({100.0 * diff / max(weights, 1):.1f}%), by at most {err:.4f} "
          f"of the group's scale, and overflowed to inf in {inf} (groups spanning more than 65504).")
    print(f"mlx_interop: {checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())

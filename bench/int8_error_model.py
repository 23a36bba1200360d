#!/usr/bin/env python3
"""The int8 mode's error, modelled in numpy, beside ggml's scheme on the same matrices.

Both schemes start from the same affine-packed weights (codes over min..max per group of
outputs of a strip, as pack() does less its edge adjustment; the reference is the
double-precision product with those weights), so
only the rounding of the activations differs:
  - actsparse's int8 mode (kernel/int8.hpp): a_kj = x_k * scale_kj rounded to 8 bits per
    block of 32 inputs and group j of outputs (amax / 127), codes centred (q - 2^(bits-1));
  - ggml's Q8_0 activations: x_k rounded to 8 bits per block of 32 inputs, one scale for
    every output.
The kernels equal the int8 mode's scalar twin bit for bit, and the twin computes what the
first scheme says (in fp32; the model sums in float64, which moves the error by far less
than it is). The difference between the two is what the per-strip scales cost: a_kj's
block maximum is set by the largest x_k * scale_kj, so strips with small scales are
rounded on a coarser grid than x alone would be.

Prints, per seed and as medians, max |y - ref| / max |ref| (the figure actsparse-bench and
bench/peer report) and the RMS error over the RMS of ref. The max figure of one matrix
moves by tens of percent from seed to seed; compare medians.

--block B models the int8 mode with blocks of B inputs instead of kInt8Block's 32 (ggml's
side stays at 32), the trade docs/performance.md weighs.

Usage: int8_error_model.py [--shape NxK] [--bits 4,8] [--group 64] [--seeds 8] [--block 32]
Needs numpy (scripts/python-env.sh's venv).
"""
import argparse
import statistics

import numpy as np


def packed(rng, n, k, bits, group):
    w = rng.normal(0.0, 0.02, (n // group, group, k)).astype(np.float32)
    levels = 2**bits - 1
    lo, hi = w.min(1), w.max(1)
    scale = np.maximum((hi - lo) / levels, 1e-7).astype(np.float32)
    q = np.clip(np.rint((w - lo[:, None, :]) / scale[:, None, :]), 0, levels)
    return q, scale, lo


def errors(y, ref):
    return (np.abs(y - ref).max() / np.abs(ref).max(), np.sqrt(np.mean((y - ref) ** 2) / np.mean(ref**2)))


def one(seed, n, k, bits, group, block):
    rng = np.random.default_rng(seed)
    q, scale, bias = packed(rng, n, k, bits, group)
    x = rng.normal(0.0, 1.0, k).astype(np.float32)
    w = (q * scale[:, None, :] + bias[:, None, :]).reshape(n, k).astype(np.float64)
    ref = w @ x.astype(np.float64)

    c = 2 ** (bits - 1)
    a = (x[None, :] * scale).reshape(n // group, k // block, block).astype(np.float64)
    d = np.abs(a).max(2, keepdims=True) / 127.0
    a8 = np.rint(np.divide(a, d, out=np.zeros_like(a), where=d > 0)) * d
    ours = np.einsum("jk,jnk->jn", a8.reshape(n // group, k), q - c).reshape(n)
    ours += np.repeat((x[None, :] * bias + c * x[None, :] * scale).astype(np.float64).sum(1), group)

    xb = x.reshape(k // 32, 32).astype(np.float64)
    dx = np.abs(xb).max(1, keepdims=True) / 127.0
    ggml = w @ (np.rint(np.divide(xb, dx, out=np.zeros_like(xb), where=dx > 0)) * dx).reshape(k)
    return errors(ours, ref), errors(ggml, ref)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shape", default="4096x4096", help="N x K (outputs x inputs); K a multiple of 32")
    p.add_argument("--bits", default="4,8", help="comma list of code widths, 2-8")
    p.add_argument("--group", type=int, default=64, help="outputs per group (32, 64 or 128)")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--block", type=int, default=32, help="inputs per int8-mode block (kInt8Block: 32)")
    o = p.parse_args()
    n, k = (int(v) for v in o.shape.lower().split("x"))
    if o.block not in (8, 16, 32, 64, 128):
        p.error(f"--block {o.block}: legal values are 8, 16, 32, 64 and 128")
    if k % max(32, o.block) or n % o.group:
        p.error(f"--shape {o.shape}: K must be a multiple of 32 and of --block, N of --group {o.group}")
    for bits in (int(b) for b in o.bits.split(",")):
        if not 2 <= bits <= 8:
            p.error(f"--bits {bits}: legal values are 2 to 8")
        rows = [one(s, n, k, bits, o.group, o.block) for s in range(1, o.seeds + 1)]
        for s, ((om, orms), (gm, grms)) in enumerate(rows, 1):
            print(f"{n}x{k} {bits}-bit g{o.group} seed {s}: int8 mode max {om:.3%} rms {orms:.3%} | "
                  f"x per block (Q8_0) max {gm:.3%} rms {grms:.3%}")
        med = [statistics.median(r[i][j] for r in rows) for i in (0, 1) for j in (0, 1)]
        print(f"{n}x{k} {bits}-bit g{o.group} median of {o.seeds}: int8 mode max {med[0]:.3%} rms {med[1]:.3%} | "
              f"x per block max {med[2]:.3%} rms {med[3]:.3%} | ratio max {med[0] / med[2]:.2f} rms {med[1] / med[3]:.2f}")


if __name__ == "__main__":
    main()

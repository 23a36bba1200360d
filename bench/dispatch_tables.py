#!/usr/bin/env python3
"""bench/dispatch_tables.py: the dispatching library's kernel tables side by side, hot.

For each instruction set this CPU runs (or those given), actsparse_set_isa picks its table
and actsparse_gemv_dense / actsparse_gemv_dense_ex time y = W x on one matrix, in the exact
and the int8 precision mode. "hot": every call uses the same matrix, so it stays in cache
if it fits: this compares the tables' arithmetic, not memory. The tables alternate within
every round (drift on a shared machine hits them alike); a sample is the mean of enough
calls to last ~0.05 s, the table gives the median over the rounds. Each row also checks
that every table's y agrees with the first one's within the mode's rounding.

Usage (the venv of scripts/python-env.sh, the library of a Release build):
  $(bash scripts/python-env.sh | tail -n1) bench/dispatch_tables.py \\
      --lib build/main/kernels/libactsparse_dispatch.so [--isas avx512vnni,avx512vbmi] \\
      [--shape 4096x4096] [--bits 3,5,6] [--group-size 64] [--threads 1] [--rounds 7]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import actsparse_ctypes as ac  # noqa: E402

ALL = ["scalar", "sse4.2", "avx2", "avx512", "avx512vnni", "avx512vbmi", "neon", "neondot"]


def supported(L, names):
    ok = []
    for name in names:
        try:
            L.set_isa(name)
            ok.append(name)
        except ac.ActsparseError:
            pass
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.environ.get("ACTSPARSE_LIB"), help="libactsparse_dispatch.so")
    ap.add_argument("--isas", default=None, help="comma list (default: every table this CPU runs but scalar)")
    ap.add_argument("--shape", default="4096x4096", help="N x K")
    ap.add_argument("--bits", default="3,5,6")
    ap.add_argument("--group-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--sample-seconds", type=float, default=0.05)
    args = ap.parse_args()
    if not args.lib:
        sys.exit("dispatch_tables: give the library with --lib or ACTSPARSE_LIB")
    L = ac.Library(args.lib)
    wanted = args.isas.split(",") if args.isas else [n for n in ALL if n != "scalar"]
    bad = [n for n in wanted if n not in ALL]
    if bad:
        sys.exit(f"dispatch_tables: --isas {','.join(bad)}: legal values are {', '.join(ALL)}")
    isas = supported(L, wanted)
    if not isas:
        sys.exit(f"dispatch_tables: none of {', '.join(wanted)} runs here")
    N, K = (int(v) for v in args.shape.lower().split("x"))
    L.set_threads(args.threads)
    print(f"actsparse {L.version()}; {N} x {K}, g{args.group_size}, {args.threads} thread(s), hot, "
          f"median of {args.rounds} rounds, ms per call")
    print("| bits | precision | " + " | ".join(isas) + " | " + " | ".join(f"{isas[0]} / {n}" for n in isas[1:]) + " |")
    print("| --- | --- |" + " --- |" * (2 * len(isas) - 1))
    rng = np.random.default_rng(1)
    w = rng.normal(0.0, 0.02, (N, K)).astype(np.float32)
    x = rng.normal(0.0, 1.0, K).astype(np.float32)
    for bits in (int(b) for b in args.bits.split(",")):
        W = L.pack(w, bits, args.group_size)
        for prec, pname in ((ac.EXACT, "exact"), (ac.INT8, "int8")):
            ys, calls, times = {}, {}, {n: [] for n in isas}
            for n in isas:
                L.set_isa(n)
                y = np.empty(N, np.float32)
                W.gemv_dense(x, y, prec)
                ys[n] = y
                t0 = time.perf_counter()
                W.gemv_dense(x, y, prec)
                calls[n] = max(1, int(args.sample_seconds / (time.perf_counter() - t0)))
            ref = ys[isas[0]]
            scale = float(np.abs(ref).max()) or 1.0
            for n in isas[1:]:  # fused or rounded products: 1e-5; the int8 mode is one function everywhere
                err = float(np.abs(ys[n] - ref).max()) / scale
                if err > (0.0 if prec == ac.INT8 else 1e-5):
                    sys.exit(f"dispatch_tables: {n} differs from {isas[0]} by {err:.2e} ({bits}-bit {pname})")
            y = np.empty(N, np.float32)
            for r in range(args.rounds):
                for n in (isas if r % 2 == 0 else isas[::-1]):
                    L.set_isa(n)
                    t0 = time.perf_counter()
                    for _ in range(calls[n]):
                        W.gemv_dense(x, y, prec)
                    times[n].append((time.perf_counter() - t0) / calls[n])
            med = {n: statistics.median(v) * 1e3 for n, v in times.items()}
            print(f"| {bits} | {pname} | " + " | ".join(f"{med[n]:.3f}" for n in isas) + " | " +
                  " | ".join(f"{med[isas[0]] / med[n]:.2f}x" for n in isas[1:]) + " |", flush=True)
        W.close()
    L.set_isa("auto")
    L.set_threads(0)


if __name__ == "__main__":
    main()

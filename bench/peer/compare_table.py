#!/usr/bin/env python3
"""The Markdown table of docs/performance.md's ggml comparisons, from compare.sh's output.

    bench/peer/compare_table.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR holds compare.sh's actsparse.json (Google Benchmark, medians) and ggml.csv.
With several runs (one in each order: ORDER=ggml-first for the second), each cell lists
them in order, separated by "; ". Rows: each width against its ggml types (4-bit against
Q4_0 and Q4_K, 8-bit against Q8_0, 3-bit against Q3_K, 2-bit against Q2_K, 4-bit 50% sparse
against Q4_0), per shape and thread count. "ours" cells are ms, packed / panels (panels
only on 2 threads); ggml cells are ms, plain / repacked. The two ratio columns are the best
ggml time over our best time of each mode (above 1: ours faster). Needs only the standard
library.
"""
import csv
import json
import os
import sys

PAIRS = [(4, 0, "q4_0"), (4, 0, "q4_K"), (8, 0, "q8_0"), (3, 0, "q3_K"), (2, 0, "q2_K"), (4, 50, "q4_0")]


def load_ours(path):
    """(shape, bits, sparsity %, threads, mode) -> {"packed"|"panels": median ms}."""
    ours = {}
    for r in json.load(open(path))["benchmarks"]:
        if r.get("aggregate_name") != "median":
            continue
        kind, *rest = r["run_name"].split("/")
        f = dict(p.split(":", 1) for p in rest if ":" in p)
        s = int(f["s"])
        # Dense rows come from the dense kernels; the sparse kernels' 0% rows are not used.
        if kind.startswith("dense") != (s == 0):
            continue
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[r["time_unit"]]
        mode = "int8" if kind.endswith("int8") else "exact"
        layout = "panels" if "panels" in kind else "packed"
        key = (f["N"] + "x" + f["K"], int(f["bits"]), s, int(f["t"]), mode)
        ours.setdefault(key, {})[layout] = r["real_time"] * scale
    return ours


def load_ggml(path):
    """(shape, type, threads) -> {"plain"|"repack": median ms}."""
    gg = {}
    for r in csv.DictReader(open(path)):
        if r["mode"] != "stream":
            continue
        gg.setdefault((r["shape"], r["type"], int(r["threads"])), {})[r["layout"]] = float(r["median_ms"])
    return gg


def ms_pair(d, names):
    return " / ".join(f"{d[n]:.3f}" for n in names if n in d) or "-"


def ratio(num, den):
    return f"{min(num.values()) / min(den.values()):.2f}x" if num and den else "-"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    runs = []
    for d in argv[1:]:
        for f in ("actsparse.json", "ggml.csv"):
            if not os.path.isfile(os.path.join(d, f)):
                sys.exit(f"compare_table.py: {d}: no {f} (compare.sh writes actsparse.json and ggml.csv)")
        runs.append((load_ours(os.path.join(d, "actsparse.json")), load_ggml(os.path.join(d, "ggml.csv"))))
    shapes = sorted({k[0] for o, _ in runs for k in o}, key=lambda s: [int(v) for v in s.split("x")])
    print("| shape | ours vs ggml | threads | ours exact | ours int8 | ggml plain / repacked | int8 vs ggml | exact vs ggml |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for shape in shapes:
        for bits, s, typ in PAIRS:
            for t in (1, 2):
                cells = [[], [], [], [], []]
                for ours, gg in runs:
                    e = ours.get((shape, bits, s, t, "exact"), {})
                    i = ours.get((shape, bits, s, t, "int8"), {})
                    g = gg.get((shape, typ, t), {})
                    cells[0].append(ms_pair(e, ("packed", "panels")))
                    cells[1].append(ms_pair(i, ("packed", "panels")))
                    cells[2].append(ms_pair(g, ("plain", "repack")))
                    cells[3].append(ratio(g, i))
                    cells[4].append(ratio(g, e))
                if all(c == "-" for c in cells[2]) or all(c == "-" for c in cells[0] + cells[1]):
                    continue
                label = f"{bits}-bit{' %d%%' % s if s else ''} vs {typ.upper()}"
                print(f"| {shape.replace('x', ' x ')} | {label} | {t} | " + " | ".join("; ".join(c) for c in cells) + " |")


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""Instruction counts of the NEON inner loops of the aarch64 build (docs/profiles.md, "Compute side").

Reads `aarch64-linux-gnu-objdump -d -C --no-show-raw-insn` of NEON kernel tables' objects and
finds, per mode, bit width, group and pass (dense or sparse), the smallest loop (a backward
branch and its target) that holds at least four of the kernel's multiply instructions (two
for the int8 generic pass's fmla): the micro-kernel. Of every function of that mode, width, group and pass, the smallest such loop.
- exact mode: the batch-1 strip passes (simd::strip_pass<Bits, Group, neon64, Dense, 1>) of
  the neon table; loops of fmla, each fmla lane one weight times one activation (4 weights).
- int8 mode (`--int8 FILE`, the neondot table): the int8 passes (int8_sdot_pass and
  int8_generic_pass, or simd::run_rows<Bits, Group, neon64, Dense, 1, true> where the
  compiler inlined them); loops of sdot (int8_sdot_pass: 4
  weights in each of 4 lanes, 16 weights) where there are, else loops of fmla
  (int8_generic_pass, 2, 3, 5 and 6 bits: 4 weights).
Prints, per loop, its instructions, SIMD operations (instructions on v registers other than
loads and stores), loads and stores, and those per weight: markdown tables, or with --json
the JSON that roofline/profiles/neon_loops.json holds (the projection's compute side).

usage:
  cmake -S . -B build/h19-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \\
        -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DACTSPARSE_BUILD_TESTS=OFF \\
        -DACTSPARSE_BUILD_BENCH=OFF -DACTSPARSE_BUILD_DECODER=OFF -DACTSPARSE_INSTALL=OFF
  ninja -C build/h19-aarch64 kernels/CMakeFiles/actsparse_isa_neon.dir/isa_kernels.cpp.o \\
        kernels/CMakeFiles/actsparse_isa_neondot.dir/isa_kernels.cpp.o
  for t in neon neondot; do aarch64-linux-gnu-objdump -d -C --no-show-raw-insn \\
        build/h19-aarch64/kernels/CMakeFiles/actsparse_isa_$t.dir/isa_kernels.cpp.o > $t.dis; done
  python3 tests/roofline/count_neon_loops.py neon.dis --int8 neondot.dis
  python3 tests/roofline/count_neon_loops.py --json neon.dis --int8 neondot.dis > roofline/profiles/neon_loops.json
The aarch64 test build (scripts/run-tests.sh) runs it with --objdump and --check on its own
objects (ctest neon_loop_counts), so the file cannot fall behind the kernels.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

BRANCHES = ("b", "cbz", "cbnz", "tbz", "tbnz")
HEADS = {
    "exact": re.compile(r"strip_pass<(\d+), (\d+), xsimd::neon64, (true|false), 1ul>"),
    "int8": re.compile(r"(?:run_rows|int8_sdot_pass|int8_generic_pass)<(\d+), (\d+), xsimd::neon64, (true|false)"
                       r"(?:, 1ul, true)?>"),
}
# (instruction, weights per instruction, fewest in a loop), in order of preference. The int8
# generic pass at g128 keeps a loop of 2 fmla (g++ 12 does not unroll its chunk loop there).
KERNELS = {"exact": (("fmla", 4, 4),), "int8": (("sdot", 16, 4), ("fmla", 4, 2))}


def functions(text, head):
    """(bits, group, dense, instructions) of each function whose name matches head."""
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        m = head.search(lines[0])
        if not m or not lines[0].rstrip().endswith(">:"):
            continue
        ins = []
        for line in lines[1:]:
            i = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
            if i:
                ins.append((int(i.group(1), 16), i.group(2), i.group(3)))
        yield int(m.group(1)), int(m.group(2)), m.group(3) == "true", ins


def micro_loop(ins, kernel, fewest):
    """The smallest loop with at least `fewest` `kernel` instructions, or None."""
    at = {a: i for i, (a, _, _) in enumerate(ins)}
    best = None
    for i, (a, op, args) in enumerate(ins):
        if op in BRANCHES or op.startswith("b."):
            t = re.search(r"\b([0-9a-f]+) <", args)
            if t and int(t.group(1), 16) <= a and int(t.group(1), 16) in at:
                body = ins[at[int(t.group(1), 16)]:i + 1]
                if sum(op2 == kernel for _, op2, _ in body) >= fewest and (best is None or len(body) < len(best)):
                    best = body
    return best


def count(path, mode):
    """Rows (dicts) of one object's disassembly, sorted by bits, group, pass."""
    found = {}  # (bits, group, dense) -> (preference, body, kernel, lanes)
    for bits, group, dense, ins in functions(open(path).read(), HEADS[mode]):
        for pref, (kernel, lanes, fewest) in enumerate(KERNELS[mode]):
            body = micro_loop(ins, kernel, fewest)
            if body is None:
                continue
            key = (bits, group, dense)
            old = found.get(key)
            if old is None or (pref, len(body)) < (old[0], len(old[1])):
                found[key] = (pref, body, kernel, lanes)
            break
    rows = []
    for (bits, group, dense), (_, body, kernel, lanes) in sorted(found.items()):
        rows.append({
            "mode": mode, "bits": bits, "group": group, "pass": "dense" if dense else "sparse", "kernel": kernel,
            "instructions": len(body),
            "weights": lanes * sum(op == kernel for _, op, _ in body),
            "simd_ops": sum(1 for _, op, args in body if args.startswith("v") and not op.startswith(("ld", "st"))),
            "loads": sum(1 for _, op, _ in body if op.startswith("ld")),
            "stores": sum(1 for _, op, _ in body if op.startswith("st")),
        })
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("exact", nargs="?", help="disassembly of the neon table (exact mode)")
    ap.add_argument("--int8", help="disassembly of the neondot table (int8 mode)")
    ap.add_argument("--json", action="store_true", help="print roofline/profiles/neon_loops.json")
    ap.add_argument("--objdump", help="the inputs are objects: disassemble them with this objdump first")
    ap.add_argument("--check", help="compare with this neon_loops.json instead of printing; exit 1 if they differ")
    a = ap.parse_args()
    if not a.exact and not a.int8:
        ap.error("give the neon table's disassembly, --int8 the neondot table's, or both")
    if a.objdump:
        work = tempfile.mkdtemp()
        for name in ("exact", "int8"):
            obj = getattr(a, name)
            if obj:
                out = os.path.join(work, name + ".dis")
                with open(out, "w") as f:
                    subprocess.run([a.objdump, "-d", "-C", "--no-show-raw-insn", obj], stdout=f, check=True)
                setattr(a, name, out)
    rows = (count(a.exact, "exact") if a.exact else []) + (count(a.int8, "int8") if a.int8 else [])
    if a.check:
        with open(a.check) as f:
            want = json.load(f)
        key = lambda r: (r["mode"], r["bits"], r["group"], r["pass"])
        have = {key(r): r for r in rows}
        bad = [f"{key(w)}: file {w}, this build {have.get(key(w))}" for w in want if have.get(key(w)) != w]
        bad += [f"{k}: not in the file" for k in have if k not in {key(w) for w in want}]
        if bad:
            print(f"{a.check} is not this build's count (rerun with --json, see the docstring):\n" + "\n".join(bad))
            sys.exit(1)
        print(f"ok: {len(rows)} loops as {a.check} has them")
        return
    if a.json:
        print("[\n" + ",\n".join("  " + json.dumps(r) for r in rows) + "\n]")
        return
    for mode in ("exact", "int8"):
        sub = [r for r in rows if r["mode"] == mode]
        if not sub:
            continue
        print(f"\n{mode} mode\n")
        print("| bits | group | pass | kernel | loop instructions | weights per iteration | SIMD ops | loads | stores | "
              "instructions per weight | SIMD ops per weight |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in sub:
            print(f"| {r['bits']} | {r['group']} | {r['pass']} | {r['kernel']} | {r['instructions']} | {r['weights']} | "
                  f"{r['simd_ops']} | {r['loads']} | {r['stores']} | {r['instructions'] / r['weights']:.2f} | "
                  f"{r['simd_ops'] / r['weights']:.2f} |")


if __name__ == "__main__":
    main()

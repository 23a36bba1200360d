#!/usr/bin/env python3
"""Instruction counts of the NEON inner loops of the aarch64 build (docs/profiles.md, "Compute side").

Reads `aarch64-linux-gnu-objdump -d -C --no-show-raw-insn` of the NEON kernels' object and, for
each batch-1 strip pass (simd::strip_pass<Bits, Group, neon64, Dense, 1>), finds the smallest
loop (a backward branch and its target) that holds at least four FMAs: the micro-kernel. Each
FMA lane is one weight times one activation, so weights per iteration = 4 x FMAs. Prints, per
bit width and group, the loop's instructions, its SIMD operations (instructions on v registers),
loads and stores, and those per weight.

usage:
  cmake -S . -B build/h19-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DACTSPARSE_BUILD_TESTS=OFF \
        -DACTSPARSE_BUILD_BENCH=OFF -DACTSPARSE_BUILD_DECODER=OFF -DACTSPARSE_INSTALL=OFF
  ninja -C build/h19-aarch64 kernels/CMakeFiles/actsparse_isa_neon.dir/isa_kernels.cpp.o
  aarch64-linux-gnu-objdump -d -C --no-show-raw-insn \
        build/h19-aarch64/kernels/CMakeFiles/actsparse_isa_neon.dir/isa_kernels.cpp.o > neon.dis
  python3 tests/roofline/count_neon_loops.py neon.dis
"""
import re
import sys

BRANCHES = ("b", "cbz", "cbnz", "tbz", "tbnz")
HEAD = re.compile(r"strip_pass<(\d+), (\d+), xsimd::neon64, (true|false), 1ul>")


def functions(text):
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        m = HEAD.search(lines[0])
        if not m or not lines[0].rstrip().endswith(">:") and "strip_pass" not in lines[0]:
            continue
        ins = []
        for line in lines[1:]:
            i = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
            if i:
                ins.append((int(i.group(1), 16), i.group(2), i.group(3)))
        yield int(m.group(1)), int(m.group(2)), m.group(3) == "true", ins


def micro_loop(ins):
    at = {a: i for i, (a, _, _) in enumerate(ins)}
    best = None
    for i, (a, op, args) in enumerate(ins):
        if op in BRANCHES or op.startswith("b."):
            t = re.search(r"\b([0-9a-f]+) <", args)
            if t and int(t.group(1), 16) <= a and int(t.group(1), 16) in at:
                body = ins[at[int(t.group(1), 16)]:i + 1]
                if sum(op2 == "fmla" for _, op2, _ in body) >= 4 and (best is None or len(body) < len(best)):
                    best = body
    return best


seen = set()
print("| bits | group | pass | loop instructions | weights per iteration | SIMD ops | loads | stores | "
      "instructions per weight | SIMD ops per weight |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for bits, group, dense, ins in sorted(functions(open(sys.argv[1]).read()), key=lambda f: (f[0], f[1], f[2])):
    if (bits, group, dense) in seen:
        continue
    seen.add((bits, group, dense))
    body = micro_loop(ins)
    if body is None:
        print(f"| {bits} | {group} | {'dense' if dense else 'sparse'} | no loop with 4 FMAs found | | | | | | |")
        continue
    weights = 4 * sum(op == "fmla" for _, op, _ in body)
    simd = sum(1 for _, op, args in body if args.startswith("v") and not op.startswith(("ld", "st")))
    loads = sum(1 for _, op, _ in body if op.startswith("ld"))
    stores = sum(1 for _, op, _ in body if op.startswith("st"))
    print(f"| {bits} | {group} | {'dense' if dense else 'sparse'} | {len(body)} | {weights} | {simd} | {loads} | "
          f"{stores} | {len(body) / weights:.2f} | {simd / weights:.2f} |")

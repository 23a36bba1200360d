#!/usr/bin/env python3
"""`actsparse project --validate` against an oracle that shares no code with it.

From roofline/profiles/apple.json and apple_validation.json alone, the oracle
(apple_oracle.py, which the report's decode-page check also uses) recomputes
  - each measurement's bytes per token (its own table of the catalogue's model shapes, taken
    from the models' published configs, packed as docs/format.md describes),
  - the CPU figure of the rule in docs/profiles.md (P-cores x the median per-P-core GB/s of
    the chip's generation, all generations when it has none, capped at the SoC figure),
    fitted without the measurement (leave one out), and the error of the projection;
and checks the tool's table row by row, its median and worst error, every profile's figure
and kind, and that apple.json carries those figures. It recomputes the projection's compute
side (P-cores x clock, SIMD pipes and decode width from apple.json, the counted loops of
roofline/profiles/neon_loops.json) and checks `actsparse project`'s memory, compute and
roofline tokens/s and its bound. Then bad measurement files and bad profiles are refused
with an error that names the entry and the field.

usage: check_apple_validation.py ACTSPARSE_TOOL SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apple_oracle  # noqa: E402  (the oracle's arithmetic, shared with the report's check)

tool, source, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


profiles, ms = apple_oracle.load(source)


def fit(chip, skip=None):
    return apple_oracle.fit(profiles, ms, chip, skip)


def run(*args, expect=0):
    r = subprocess.run([tool, "project", *args], capture_output=True, text=True)
    if r.returncode != expect:
        fail(f"`actsparse project {' '.join(args)}` exited {r.returncode}, not {expect}:\n{r.stdout}\n{r.stderr}")
    return r


def tables(text):
    """Markdown tables of the output, as lists of cell lists (header and rule dropped)."""
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cur is None:
                cur = []
                out.append(cur)
                continue  # header
            if not cells[0].startswith("---"):
                cur.append(cells)
        else:
            cur = None
    return out


# ---- the leave-one-out table
out = run("--validate").stdout
got_rows, got_profiles = tables(out)
if len(got_rows) != len(ms):
    fail(f"{len(got_rows)} validation rows for {len(ms)} measurements")
oracle_rows = apple_oracle.leave_one_out(profiles, ms)
for i, (m, row, o) in enumerate(zip(ms, got_rows, oracle_rows)):
    b, bw, err = o["bytes"], o["cpu_GBps"], o["error"]
    gb, cpu, tps, e = float(row[7]), float(row[11]), float(row[12]), float(row[13].rstrip("%")) / 100
    if abs(gb - b / 1e9) > 0.0006 + 1e-4 * b / 1e9:  # printed to 1 MB
        fail(f"row {i + 1}: {gb} GB/token, oracle {b / 1e9:.3f}")
    if abs(cpu - bw) > 0.06:  # printed to 0.1 GB/s
        fail(f"row {i + 1}: CPU {cpu} GB/s fitted without it, oracle {bw:.2f}")
    if abs(e - err) > 0.0006:  # printed to 0.1 points
        fail(f"row {i + 1}: error {row[13]}, oracle {err:+.2%}")
    if abs(tps - m["tokens_per_s"] * (1 + err)) > 0.01 * tps:
        fail(f"row {i + 1}: projected {tps} tok/s, oracle {m['tokens_per_s'] * (1 + err):.2f}")
med, worst, met = apple_oracle.summary(oracle_rows)
want = f"median |error| {med * 100:.1f}%, worst {worst * 100:.1f}%"
line = [l for l in out.splitlines() if l.startswith("median |error|")]
if not line:
    fail("no summary line")
# The summary is printed to 0.1 points.
parsed = re.match(r"median \|error\| ([0-9.]+)%, worst ([0-9.]+)%", line[0])
if not parsed:
    fail(f"summary '{line[0]}' is not 'median |error| X%, worst Y%'")
got_med, got_worst = float(parsed.group(1)), float(parsed.group(2))
if abs(got_med - med * 100) > 0.06 or abs(got_worst - worst * 100) > 0.06:
    fail(f"summary '{line[0]}', oracle '{want}'")
if ("met)" if met else "not met)") not in line[0]:
    fail(f"summary '{line[0]}' says the wrong verdict (oracle: {'met' if met else 'not met'})")

# ---- every profile's figure, and apple.json carrying it
by_name = {r[0]: r for r in got_profiles}
for name, p in profiles.items():
    bw, kind = fit(p)
    row = by_name.get(name)
    if row is None:
        fail(f"no fitted figure for {name}")
    if abs(float(row[6]) - bw) > 0.06 or row[7] != kind:
        fail(f"{name}: tool fits {row[6]} GB/s ({row[7]}), oracle {bw:.2f} ({kind})")
    if p.get("cpu_bandwidth_GBps") is None or abs(p["cpu_bandwidth_GBps"] - bw) > 0.051:
        fail(f"apple.json: {name} cpu_bandwidth_GBps {p.get('cpu_bandwidth_GBps')}, the rule gives {bw:.2f}")
    if p.get("cpu_bandwidth_kind") != kind:
        fail(f"apple.json: {name} cpu_bandwidth_kind {p.get('cpu_bandwidth_kind')}, the rule gives {kind}")
    if "**differs**" in row[-1]:
        fail(f"the tool says {name}'s carried figure differs from its fit")

# ---- `actsparse project` uses the CPU figure by default and says which
r = run("--profile", "apple-m2-pro", "--model", "llama-2-7b", "--bits", "4", "--apply", "dense").stdout
p = profiles["apple-m2-pro"]
if f"bandwidth: {p['cpu_bandwidth_GBps']:.1f} GB/s, CPU-reachable, {p['cpu_bandwidth_kind']} (" not in r or \
        "200 GB/s, is the upper bound" not in r:
    fail("project does not name the CPU figure it uses and the SoC bound:\n" + r)
r = run("--profile", "apple-m2-pro", "--model", "llama-2-7b", "--bandwidth", "soc", "--apply", "dense").stdout
if "bandwidth: 200 GB/s (published SoC figure" not in r:
    fail("--bandwidth soc does not use the SoC figure:\n" + r)

# ---- the compute side (docs/profiles.md, "Compute side"): `actsparse project`'s memory,
# compute and roofline tokens/s against the oracle's, from apple.json and neon_loops.json.
loops = apple_oracle.neon_loops(source)
checked = 0
for chip, model, bits, group, precision in [("apple-m2-pro", "llama-2-7b", 4, 64, "exact"),
                                            ("apple-m2-pro", "llama-2-7b", 4, 64, "int8"),
                                            ("apple-m4-max", "llama-3-8b", 8, 32, "int8"),
                                            ("apple-m1", "mistral-7b", 3, 128, "exact"),
                                            ("apple-m3-pro", "llama-2-13b", 5, 64, "int8")]:
    p = profiles[chip]
    layers, h, f, kv, vocab = apple_oracle.SHAPES[model]
    mats = [(h, h, 2 * layers), (kv, h, 2 * layers), (f, h, 2 * layers), (h, f, layers), (vocab, h, 1)]
    out = run("--profile", chip, "--model", model, "--bits", str(bits), "--group", str(group), "--precision", precision,
              "--apply", "each").stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"(dense|all projections at 50%|FFN down input at 50%)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            rows[m.group(1)] = [float(m.group(i)) for i in (2, 3, 4, 5)] + [m.group(6), float(line.split()[-1])]
    for name, sparse_of in [("dense", lambda i: 0.0), ("all projections at 50%", lambda i: 0.0 if i == 4 else 0.5),
                            ("FFN down input at 50%", lambda i: 0.5 if i == 3 else 0.0)]:
        nbytes, mem_tps, cpu_tps, roof_tps, compute_bound, chip_tps = apple_oracle.roofline(
            p, fit(p)[0], loops, precision, bits, group, [m + (sparse_of(i),) for i, m in enumerate(mats)])
        want = [nbytes / 1e6, mem_tps, cpu_tps, roof_tps]
        got = rows.get(name)
        if got is None:
            fail(f"{chip} {model} {bits}-bit g{group} {precision}: no row '{name}' in\n{out}")
        for what, g, w in zip(("MB/token", "memory tok/s", "compute tok/s", "tokens/s"), got, want):
            if abs(g - w) > 0.051 + 1e-3 * w:
                fail(f"{chip} {model} {bits}-bit g{group} {precision} '{name}': {what} {g}, oracle {w:.3f}\n{out}")
        if abs(got[5] - chip_tps) > 0.051 + 1e-3 * chip_tps:
            fail(f"{chip} {model} {bits}-bit g{group} {precision} '{name}': P+E compute {got[5]}, oracle {chip_tps:.3f}\n{out}")
        if got[4] != ("compute" if compute_bound else "memory"):
            fail(f"{chip} {model} {precision} '{name}': bound {got[4]}, oracle {'compute' if compute_bound else 'memory'}")
        checked += 1

# ---- bad input is refused, naming the entry and the field
good = ms[0]


def bad_file(name, entries):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        f.write(entries if isinstance(entries, str) else json.dumps(entries))
    return path


def with_(**kw):
    e = dict(good)
    for k, v in kw.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return e


cases = [
    ("not_array", {"profile": "apple-m2-pro"}, "JSON array"),
    ("no_rate", [good, with_(tokens_per_s=None)], 'measurement 1: "tokens_per_s"'),
    ("text_rate", [with_(tokens_per_s="20")], 'measurement 0: "tokens_per_s"'),
    ("negative_rate", [with_(tokens_per_s=-3)], 'measurement 0: "tokens_per_s"'),
    ("bits_7", [with_(bits=7)], 'measurement 0: "bits"'),
    ("bits_text", [with_(bits="4")], '"bits"'),
    ("group_48", [with_(group=48)], 'measurement 0: "group"'),
    ("threads_0", [with_(threads=0)], 'measurement 0: "threads"'),
    ("no_url", [with_(url=None)], 'measurement 0: "url"'),
    ("model", [with_(model="llama-9b")], "unknown model 'llama-9b'"),
    ("profile", [good, with_(profile="apple-m9")], 'measurement 1: "profile": unknown profile'),
    ("not_json", "[{", "not valid JSON"),
]
for name, entries, phrase in cases:
    r = run("--validate", "--validation-file", bad_file(name, entries), expect=1)
    if phrase not in r.stderr:
        fail(f"{name}: the error does not say '{phrase}':\n{r.stderr}")

bad_profile = dict(profiles["apple-m2-pro"], name="mine", cpu_bandwidth_kind="guessed")
r = run("--profiles-file", bad_file("bad_profile", [bad_profile]), "--list", expect=1)
if '"cpu_bandwidth_kind": "guessed"' not in r.stderr:
    fail("a bad cpu_bandwidth_kind is not named:\n" + r.stderr)
bad_cores = [("p_core_GHz", -3, '"p_core_GHz": -3'), ("p_core_simd_pipes", 0, '"p_core_simd_pipes"'),
             ("p_core_GHz_kind", "guessed", '"p_core_GHz_kind": "guessed"'), ("e_core_GHz", 0, '"e_core_GHz": 0'),
             ("e_core_decode_width", 65, '"e_core_decode_width"'), ("e_core_GHz_kind", "rumour", '"e_core_GHz_kind"'),
             ("efficiency_cores", 0, '"efficiency_cores" >= 1'), ("p_core_GHz", None, '"e_core_GHz" without'),
             ("e_core_GHz_kind", 3, "profile 0 ('mine'): \"e_core_GHz_kind\": 3 is not a string")]
for key, value, phrase in bad_cores:
    entry = dict(profiles["apple-m2-pro"], name="mine", **{key: value})
    if value is None:
        entry.pop(key)
    r = run("--profiles-file", bad_file("bad_clock", [entry]), "--list", expect=1)
    if phrase not in r.stderr:
        fail(f"a bad {key} is not named:\n" + r.stderr)

print(f"ok: {len(ms)} measurements, median |error| {med:.1%}, worst {worst:.1%} "
      f"({'met' if met else 'not met'}); {len(profiles)} profiles; {checked} compute-side rows; "
      f"{len(cases) + 1 + len(bad_cores)} bad inputs refused")

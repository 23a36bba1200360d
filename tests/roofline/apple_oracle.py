"""The tests' own arithmetic for the Apple CPU-reachable bandwidth (docs/profiles.md), from
roofline/profiles/apple.json and apple_validation.json alone; it shares no code with the
tool. check_apple_validation.py checks `actsparse project --validate` with it, and
tests/report/check_decode_validation.py the report's decode page.

  - bytes per token of each measurement's model (a table of the catalogue's model shapes,
    taken from the models' published configs, packed as docs/format.md describes),
  - the CPU figure of the rule (P-cores x the median per-P-core GB/s of the chip's
    generation, all generations when it has none, capped at the SoC figure),
  - each measurement projected with the figure fitted without it (leave one out),
  - the compute side: per matrix, its weights times the NEON loop's cycles per weight
    (roofline/profiles/neon_loops.json) over P-cores x clock, against its bytes over the
    bandwidth (check_apple_validation.py against `actsparse project`, and
    tests/report/check_study_report.py against the real-model page's Apple table).
"""
import json
import os
import statistics

# Issue 19's goal for the leave-one-out errors.
MEDIAN_GOAL, WORST_GOAL = 0.15, 0.30

# Layers, hidden, FFN, key/value width, vocabulary: the models' published configs.
SHAPES = {
    "llama-2-7b": (32, 4096, 11008, 4096, 32000),
    "llama-3-8b": (32, 4096, 14336, 1024, 128256),
    "mistral-7b": (32, 4096, 14336, 1024, 32000),
    "llama-3.2-1b": (16, 2048, 8192, 512, 128256),
    "llama-2-13b": (40, 5120, 13824, 5120, 32000),
}


def load(source):
    """(profiles by name, measurements) from the source tree's JSON files."""
    def read(name):
        with open(os.path.join(source, "roofline", "profiles", name)) as f:
            return json.load(f)
    return {p["name"]: p for p in read("apple.json")}, read("apple_validation.json")


def strips(n_out, k_in, bits, group, line=128):
    """Bytes of an n_out x k_in matrix in the packed format (docs/format.md): one strip per
    input, its n_out codes (outputs padded up to the group) then an fp16 scale and bias per
    group, the strip padded up to the cache line."""
    n = -(-n_out // group) * group
    payload = n * bits // 8 + 4 * (n // group)
    return -(-payload // line) * line * k_in


def neon_loops(source):
    """The counted NEON loops by (mode, bits, group, pass)."""
    with open(os.path.join(source, "roofline", "profiles", "neon_loops.json")) as f:
        return {(l["mode"], l["bits"], l["group"], l["pass"]): l for l in json.load(f)}


def cycles(lp, pipes, width):
    """Cycles per weight of loop lp on a core: its SIMD ops over the pipes or its instructions
    over the decode width, whichever is more."""
    return max(lp["simd_ops"] / pipes, lp["instructions"] / width) / lp["weights"]


def roofline(p, GBps, loops, precision, bits, group, mats):
    """Profile p running matrices mats, (n_out, k_in, count, sparsity) each, at bits/group in
    precision with GBps of bandwidth: (bytes per token, memory tokens/s, compute tokens/s,
    roofline tokens/s, compute-bound, compute tokens/s with the E-cores too). Each matrix
    takes the longer of its bytes over the bandwidth and its (1 - s) x padded weights x the
    P-core's cycles per weight over P-cores x clock; the sparse loop where s > 0. With the
    E-cores, a matrix's weights go at the P-cores' weights per second plus the E-cores'."""
    hz = p["performance_cores"] * p["p_core_GHz"] * 1e9
    e_hz = p["efficiency_cores"] * p["e_core_GHz"] * 1e9
    mem = cpu = roof = nbytes = chip = 0.0
    for n_out, k_in, count, s in mats:
        n = -(-n_out // group) * group
        b = strips(n_out, k_in, bits, group) * count * (1 - s)
        lp = loops[(precision, bits, group, "sparse" if s > 0 else "dense")]
        weights = n * k_in * count * (1 - s)
        c = weights * cycles(lp, p["p_core_simd_pipes"], p["p_core_decode_width"]) / hz
        nbytes += b
        mem += b / (GBps * 1e9)
        cpu += c
        roof += max(b / (GBps * 1e9), c)
        chip += weights / (weights / c + e_hz / cycles(lp, p["e_core_simd_pipes"], p["e_core_decode_width"]))
    return nbytes, 1 / mem, 1 / cpu, 1 / roof, cpu > mem, 1 / chip


def token_bytes(m):
    layers, h, f, kv, vocab = SHAPES[m["model"]]
    bits, g = m["bits"], m.get("group", 64)
    layer = 2 * strips(h, h, bits, g) + 2 * strips(kv, h, bits, g) + 2 * strips(f, h, bits, g) + strips(h, f, bits, g)
    return layers * layer + strips(vocab, h, bits, g)  # q o, k v, gate up, down; lm_head


def per_core(profiles, m):
    return token_bytes(m) * m["tokens_per_s"] / 1e9 / profiles[m["profile"]]["performance_cores"]


def fit(profiles, ms, chip, skip=None):
    """(CPU GB/s, "fitted" or "derived") of profile `chip`, measurement `skip` held out."""
    others = [m for i, m in enumerate(ms) if i != skip]
    same = [m for m in others if profiles[m["profile"]]["generation"] == chip["generation"]]
    pool = same or others
    rate = statistics.median(per_core(profiles, m) for m in pool)
    own = sum(m["profile"] == chip["name"] for m in pool)
    return min(chip["soc_bandwidth_GBps"], rate * chip["performance_cores"]), ("fitted" if own else "derived")


def leave_one_out(profiles, ms):
    """Per measurement: bytes per token, the CPU GB/s fitted without it, the projected
    tokens/s and the error (projected / published - 1)."""
    rows = []
    for i, m in enumerate(ms):
        b = token_bytes(m)
        bw, _ = fit(profiles, ms, profiles[m["profile"]], skip=i)
        tps = bw * 1e9 / b
        rows.append({"bytes": b, "cpu_GBps": bw, "projected": tps, "error": tps / m["tokens_per_s"] - 1})
    return rows


def summary(rows):
    """(median |error|, worst |error|, goal met)."""
    errors = [abs(r["error"]) for r in rows]
    med, worst = statistics.median(errors), max(errors)
    return med, worst, med <= MEDIAN_GOAL and worst <= WORST_GOAL

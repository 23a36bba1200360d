#!/usr/bin/env python3
"""tests/fuzz/make_corpus_readers.py: the seed corpora of the fuzz targets other than GGUF's
(tests/fuzz/corpus/<target>/, see run.sh), written from the formats' documentation.

    python3 make_corpus_readers.py [CORPUS_DIR]      (the standard library only)

Small valid inputs, so the fuzzer starts past the first checks: model files (docs/model-file.md;
both strip alignments, every bit width and group size, fp32 vectors), threshold tables
(docs/thresholds.md), from_mlx/borrow headers with buffers that fit (fuzz_mlx.cpp), a machine
profile (docs/machine-profile.md), Google Benchmark JSON as actsparse-bench writes it (plain
and with aggregates holding bare NaN), decode results (`actsparse decode`), study results
(`actsparse study`, roofline/study_cmd.cpp; small enough for -max_len 4096) and bits/sparsity
tables inline and as JSON (docs/decode.md), and target profiles (docs/profiles.md). Deterministic (fixed seed): running it again
rewrites the same bytes.
"""
import json
import os
import random
import struct
import sys

M64 = (1 << 64) - 1
P1, P2 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def mix(h, w):
    return (rotl((h + w * P2) & M64, 31) * P1) & M64


def checksum64(b):
    """model_file.hpp's detail::checksum64."""
    h = [P1, P2, ~P1 & M64, ~P2 & M64]
    i = 0
    while i + 32 <= len(b):
        for lane in range(4):
            h[lane] = mix(h[lane], struct.unpack_from("<Q", b, i + 8 * lane)[0])
        i += 32
    r = (len(b) * P1) & M64
    for lane in range(4):
        r = mix(r ^ rotl(h[lane], 7 * lane + 1), lane)
    for byte in b[i:]:
        r = mix(r, byte)
    r ^= r >> 29
    r = (r * P1) & M64
    return r ^ (r >> 32)


def align_up(v, a):
    return (v + a - 1) // a * a


def strips(rng, rows, cols, bits, group, align):
    """cols packed strips: codes, fp16 scales and biases, zero padding to `align`."""
    out = bytearray()
    for _ in range(cols):
        s = bytearray(rng.getrandbits(8) for _ in range(rows * bits // 8))
        for _ in range(2 * (rows // group)):
            s += struct.pack("<e", rng.uniform(-2, 2))
        out += s + bytes(align_up(len(s), align) - len(s))
    return bytes(out)


def model_file(rng, tensors, strip_align=64):
    """tensors: (name, ("packed", rows, cols, bits, group) or ("fp32", values))."""
    table, data, rows_of = 0, [], []
    for name, spec in tensors:
        table += align_up(4 + len(name), 8) + 48
    data_offset = align_up(48 + table, 4096)
    offset = data_offset
    for name, spec in tensors:
        if spec[0] == "packed":
            _, rows, cols, bits, group = spec
            payload = strips(rng, rows, cols, bits, group, strip_align)
            row = (0, bits, group, rows, cols, offset, len(payload))
        else:
            payload = struct.pack(f"<{len(spec[1])}f", *spec[1])
            row = (1, 0, 0, 1, len(spec[1]), offset, len(payload))
        rows_of.append(row)
        data.append(payload)
        offset = align_up(offset + len(payload) + 64, 4096)
    buf = bytearray(offset)
    struct.pack_into("<8sIIQQQ", buf, 0, b"ASPKMODL", 1, strip_align, len(tensors), data_offset, offset)
    at = 48
    for (name, _), row, payload in zip(tensors, rows_of, data):
        raw = name.encode()
        struct.pack_into(f"<I{len(raw)}s", buf, at, len(raw), raw)
        at += align_up(4 + len(raw), 8)
        struct.pack_into("<IIIIQQQQ", buf, at, row[0], row[1], row[2], 0, *row[3:])
        at += 48
        buf[row[5]:row[5] + len(payload)] = payload
    struct.pack_into("<Q", buf, 40, checksum64(bytes(buf[48:])))
    return bytes(buf)


def mlx_input(rng, bits, group, scale_type, rows, cols, skew=0):
    """fuzz_mlx.cpp's header and a payload that holds both from_mlx's and borrow's buffers."""
    esize = 4 if scale_type == 1 else 2
    fmt = {0: "e", 1: "f"}.get(scale_type)
    wq = bytes(rng.getrandbits(8) for _ in range(cols * rows * bits // 8))
    sb = bytearray()
    for _ in range(2 * cols * (rows // group)):
        v = rng.uniform(-4, 4)
        sb += struct.pack("<" + fmt, v) if fmt else struct.pack("<f", v)[2:]  # bf16: the high half
    payload = wq + bytes(sb)
    borrow = cols * align_up(rows * bits // 8 + 4 * (rows // group), 64) + 64
    payload += bytes(rng.getrandbits(8) for _ in range(max(0, borrow - len(payload))))
    assert len(sb) == 2 * cols * (rows // group) * esize
    return struct.pack("<BBBBQQ", bits, group, scale_type, skew, rows, cols) + payload


def machine_profile():
    levels = []
    for threads, scale in ((1, 1.0), (2, 1.8)):
        for name, gbps, cap in (("L1", 180, 32768), ("L2", 90, 524288), ("LLC", 40, 33554432), ("DRAM", 18, 0)):
            levels.append({"name": name, "threads": threads, "GBps": gbps * scale, "capacity": cap * threads})
    return {
        "schema": "actsparse-machine/1",
        "host": {"hostname": "fuzz", "cpu_model": "AMD EPYC", "isa": "avx2", "date": "2026-11-29T12:00:00Z"},
        "topology": {"packages": 1, "cores": 2, "pus": 2, "numa_nodes": 1, "memory_bytes": 8589934592,
                     "caches": [{"level": 1, "size": 32768, "line": 64, "count": 2},
                                {"level": 3, "size": 33554432, "line": 64, "count": 1}]},
        "bandwidth": {"sweep": [{"threads": 1, "bytes": 16384, "GBps": 175.5}, {"threads": 2, "bytes": 1 << 28, "GBps": 19.25}],
                      "levels": levels},
        "compute": [{"bits": b, "threads": t, "weights_per_s": 2.5e9 * t, "GFLOPs": 5.0 * t} for b in (2, 3, 4, 5, 6, 8) for t in (1, 2)],
        "fixed_cost": [{"threads": 1, "seconds": 2e-7}, {"threads": 2, "seconds": 1.5e-6}],
    }


def bench_json(aggregates):
    context = {"date": "2026-11-29T12:00:00+00:00", "host_name": "fuzz", "num_cpus": 2, "library_build_type": "release"}
    rows = []
    for name, extra in (("dense/N:256/K:1024/bits:4/group:64/threads:1", {}),
                        ("sparse/N:256/K:1024/bits:4/group:64/sparsity:90/threads:1", {"sparsity": 0.9, "active": 0.1}),
                        ("fp32/N:256/K:1024/threads:1", {"bits": 0}),
                        ("gemm_rows/N:512/K:512/bits:3/batch:4", {"batch": 4, "union_active": 0.7, "correlated": 1}),
                        ("approx/N:256/K:1024/bits:4/sparsity:50", {"threshold": 0.12, "rel_l2_err": 0.031}),
                        ("sparse_panels/N:512/K:1024/bits:4/threads:2", {"threads": 2, "sparsity": 0.5}),
                        ("BM_other/8", {}))[:3 if aggregates else 7]:
        counters = {"N": 256, "K": 1024, "bits": 4, "group": 64, "sparsity": 0, "active": 1, "threads": 1, "stream": 0,
                    "clustered": 0, "dense": 1, "bytes": 135168, "eff_GBps": 61.5, "GFLOPs": 240.1}
        counters.update(extra)
        reps = [("median", 2100.5), ("stddev", "NaN"), ("cv", "NaN")] if aggregates else [(None, 2100.5)]
        for agg, t in reps:
            row = {"name": name + (f"_{agg}" if agg else ""), "run_name": name, "run_type": "aggregate" if agg else "iteration",
                   "repetitions": 3 if agg else 1, "threads": 1, "iterations": 1000, "real_time": t, "cpu_time": t,
                   "time_unit": "ns"}
            if agg:
                row["aggregate_name"] = agg
            row.update(counters)
            rows.append(row)
    text = json.dumps({"context": context, "benchmarks": rows}, separators=(",", ":"))
    return text.replace('"NaN"', "NaN")  # Google Benchmark writes bare NaN, which the reader turns into null


def decode_json():
    parts = [{"proj": p, "N": n, "K": k, "bits": b, "sparsity": s, "matrices": m, "bytes_dense": 1e6, "bytes_sparse": 5e5,
              "weights_dense": 8e5, "weights_sparse": 4e5}
             for p, n, k, b, s, m in (("q", 896, 896, 4, 0.5, 24), ("down", 896, 4864, 6, 0.5, 24), ("lm_head", 151936, 896, 4, 0, 1))]
    runs = [{"threads": t, "pass": p, "seconds": 0.02, "token_seconds": [0.021, 0.019], "part_seconds": [0.001, 0.004, 0.015]}
            for t in (1, 2) for p in ("dense", "sparse")]
    return {"schema": "actsparse-decode/1", "date": "2026-11-29T12:00:00Z", "host": "fuzz", "isa": "avx2",
            "model": {"name": "qwen2-0.5b", "label": "Qwen2-0.5B", "layers": 24, "hidden": 896, "intermediate": 4864,
                      "kv_dim": 128, "vocab": 151936},
            "group": 64, "bits_mean": 4.25, "bits": "default=4,down=6", "sparsity": "all projections at 50%",
            "pattern": "uniform", "tokens": 2, "panels": 0,
            "memory": {"weights_bytes": 3e8, "peak_rss_bytes": 4e8, "available_bytes": 6e9, "total_bytes": 8e9},
            "parts": parts, "runs": runs}


def study_json():
    """One packed width and the file's own weights, both rules at 50%, hot runs on 1 thread with
    two projections and a roof, two histograms of four edges (roofline/study_cmd.cpp's fields)."""
    def quality(weights, rule, target, ratio):
        return {"weights": weights, "rule": rule, "target": target, "scored": 62, "perplexity": 30 * ratio,
                "perplexity_vs_dense": ratio, "mean_kl": ratio - 1, "top1_agreement": 1.5 - ratio,
                "sparsity": target + 0.01, "sparsity_per_projection": {"q": target, "down": target}}

    def speed(mode, target, tps):
        per = [{"projection": p, "sparsity": target, "bytes_per_token": 2e6, "ms_per_token": 0.5, "GBps": 4.0,
                "roof_level": "DRAM", "roof_GBps": 18.0, "roof_fraction": 0.22} for p in ("q", "down")]
        return {"weights": "4-bit g64", "residency": "hot", "copies": 1, "weight_bytes": 82280448, "threads": 1,
                "mode": mode, "rule": "magnitude" if target else "dense", "target": target, "tokens_per_s": tps,
                "runs": [tps, tps * 1.1], "per_projection": per, "projections_ms_per_token": 1.0,
                "projections_bytes_per_token": 4e6}

    hist = [{"projection": p, "samples": 4096, "exact_zero_fraction": z, "upper_edges": [0.001, 0.01, 0.1, 1.0],
             "fraction": [z, 0.1, 0.4, 0.4, 0.1 - z], "median_abs_per_layer": [0.05, 0.08]}
            for p, z in (("q", 0.0), ("down", 0.01))]
    return {"schema": "actsparse-study/1", "date": "2026-12-04T18:00:00Z", "model": "m.gguf",
            "host": {"hostname": "fuzz", "cpu": "AMD EPYC", "cpu_family": "25", "cpu_model": "17", "l3": "32768K"},
            "texts": {"calibration": {"file": "a.txt", "tokens_in_file": 900, "tokens_used": 128, "chunks": 2},
                      "evaluation": {"file": "b.txt", "tokens_in_file": 800, "tokens_used": 64, "chunks": 1}, "chunk": 64},
            "hparams": {"n_layers": 2, "n_embd": 64, "n_ff": 128, "n_heads": 4, "n_kv_heads": 2, "n_vocab": 256},
            "activations": hist, "thresholds": [{"rule": "magnitude", "target": 0.5, "per_layer": [[0.01] * 7] * 2}],
            "dense_layers": 0,
            "quality": [quality("4-bit g64", "dense", 0.0, 1.0), quality("4-bit g64", "magnitude", 0.5, 1.2),
                        quality("4-bit g64", "column_norm", 0.5, 1.15), quality("file Q4_1", "dense", 0.0, 1.0)],
            "speed": [speed("dense", 0.0, 50.0), speed("sparse", 0.5, 70.0)], "seconds": 12.5}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    rng = random.Random(11)
    files = {
        "model_file/mixed.aspk": model_file(rng, [("blk.0.attn_q.weight", ("packed", 64, 3, 4, 32)),
                                                  ("blk.0.attn_norm.weight", ("fp32", [1.0, -0.5, 2.0, 0.0])),
                                                  ("blk.0.ffn_down.weight", ("packed", 128, 2, 3, 64))]),
        "model_file/widths.aspk": model_file(rng, [("w2", ("packed", 32, 2, 2, 32)), ("w5", ("packed", 64, 1, 5, 64)),
                                                   ("w6", ("packed", 32, 2, 6, 32)), ("w8", ("packed", 128, 1, 8, 128))]),
        "model_file/align128.aspk": model_file(rng, [("lm_head.weight", ("packed", 96, 2, 4, 32)),
                                                     ("norm", ("fp32", [0.25]))], strip_align=128),
        "model_file/empty.aspk": model_file(rng, []),
        "thresholds/table.txt": b"actsparse-thresholds 1\n# calibrated on 512 tokens at 50%\n\n"
                                b"layers.0.mlp.down_proj 0.0123456791\nlayers.0.self_attn.q_proj 1.5\n"
                                b"layers.1.mlp.down_proj 0 # never skips\n",
        "thresholds/values.txt": b"actsparse-thresholds 1\r\nsubnormal 1.40129846e-45\r\nbig 3.40282347e+38\r\n\tx\t2e-3\r\n",
        "thresholds/header_only.txt": b"# nothing calibrated yet\nactsparse-thresholds 1\n",
        "mlx/b4g64_f16.bin": mlx_input(rng, 4, 64, 0, 64, 2),
        "mlx/b2g32_f16.bin": mlx_input(rng, 2, 32, 0, 32, 3),
        "mlx/b3g64_f32.bin": mlx_input(rng, 3, 64, 1, 64, 2),
        "mlx/b5g128_bf16.bin": mlx_input(rng, 5, 128, 2, 128, 1),
        "mlx/b6g32_f16.bin": mlx_input(rng, 6, 32, 0, 96, 2),
        "mlx/b8g64_f32_skew.bin": mlx_input(rng, 8, 64, 1, 64, 1, skew=1),
        "machine/machine.json": json.dumps(machine_profile(), indent=1).encode(),
        "bench/plain.json": bench_json(False).encode(),
        "bench/aggregates.json": bench_json(True).encode(),
        "decode/decode.json": json.dumps(decode_json(), indent=1).encode(),
        "study/study.json": json.dumps(study_json(), separators=(",", ":")).encode(),
        "profiles/profiles.json": json.dumps([
            {"name": "lab-a", "label": "Lab A", "soc_bandwidth_GBps": 120, "soc_bandwidth_source": "datasheet",
             "cpu_bandwidth_GBps": 96.5, "cpu_bandwidth_source": "STREAM", "performance_cores": 8, "efficiency_cores": 4,
             "cache_line_bytes": 64, "notes": "measured"},
            {"name": "lab-b", "soc_bandwidth_GBps": 68.25, "cpu_bandwidth_GBps": None, "cpu_bandwidth_source": None}],
            indent=1).encode(),
        "projection/inline.txt": b"default=4,v=6,down=6",
        "projection/number.txt": b"3",
        "projection/sparsity.txt": b"default=0.5,lm_head=0,down=0.9",
        "projection/bits.json": json.dumps({"_about": "mixed", "default": 4, "v": 8, "down": [3] + [6] * 23}).encode(),
        "projection/sparsity.json": json.dumps({"default": 0.4, "gate": 0.5, "up": 0.5, "lm_head": 0.0,
                                                "q": [0.25] * 24}).encode(),
    }
    # The inputs of the fuzzers' findings, fixed in roofline/ (docs/robustness.md, "Fuzzing"):
    # a number beyond double, a float where an integer goes, a field of another type.
    machine = machine_profile()
    machine["topology"]["packages"] = 1e300
    files["machine/regress-float-int.json"] = json.dumps(machine).encode()
    files["machine/regress-number-overflow.json"] = json.dumps(machine_profile()).replace("8589934592", "8E589934592").encode()
    decode = decode_json()
    decode["parts"][0]["N"] = -1e30
    files["decode/regress-float-int.json"] = json.dumps(decode).encode()
    files["profiles/regress-float-int.json"] = files["profiles/profiles.json"].replace(b'"cache_line_bytes": 64',
                                                                                       b'"cache_line_bytes": 1e300')
    # Not a reader's finding but the target's own: a tensor named as the name it probes for absence.
    files["model_file/regress-probe-name.aspk"] = model_file(rng, [("fuzz.no.such.tensor", ("packed", 32, 1, 4, 32))])
    files["bench/regress-type.json"] = bench_json(False).replace('"time_unit":"ns"', '"time_unit":5', 1).encode()
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
        with open(os.path.join(out, rel), "wb") as f:
            f.write(data)
    for d in sorted({rel.split("/")[0] for rel in files}):
        names = [r for r in files if r.startswith(d + "/")]
        print(f"{d}: {len(names)} files, {sum(len(files[r]) for r in names)} bytes")


if __name__ == "__main__":
    main()

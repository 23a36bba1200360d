#!/usr/bin/env python3
"""tests/gguf/check_gguf.py: actsparse's GGUF reader against the PyPI gguf package (numpy).

    python check_gguf.py ACTSPARSE_TOOL MODEL.gguf

Two oracles, both bit for bit on the fp32 bits:
  1. the real model (SmolLM2-135M-Instruct Q4_1, scripts/fetch-model.sh): every tensor as
     `actsparse gguf --model F --dequantize -` streams it (raw fp32, file order) against
     gguf.quants.dequantize(t.data, t.tensor_type);
  2. synthetic files written with gguf.GGUFWriter: every tensor type actsparse decodes,
     quantized by gguf from random weights where gguf can quantize (F32 ... Q8_0), and as
     random block bytes for all of them (the K-quants only this way: gguf-py dequantizes
     them but cannot quantize) with finite fp16 scale fields, some extreme (+-65504, the
     smallest normal and subnormal) and some zero; 1-, 2- and 3-D shapes; metadata of every
     GGUF value type, nested arrays, alignment 64. The listing (`actsparse gguf --model F`)
     must show every key with its value, every tensor with its type, shape, size and
     offset; a tensor of a type actsparse does not decode (IQ4_NL, Q8_K) is listed, and
     dequantizing it exits 1 naming the tensor and its type.

Exits 1 with one line per mismatch, else prints a summary. A missing model file is a
failure, not a skip: the test is only registered when a model path was configured.
"""
import collections
import importlib.metadata
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V

# Byte offsets of the fp16 fields (scales and mins) inside one block of each block type.
SCALE_FIELDS = {
    Q.Q4_0: (0,), Q.Q4_1: (0, 2), Q.Q5_0: (0,), Q.Q5_1: (0, 2), Q.Q8_0: (0,),
    Q.Q2_K: (80, 82), Q.Q3_K: (108,), Q.Q4_K: (0, 2), Q.Q5_K: (0, 2), Q.Q6_K: (208,),
}
QUANTIZED_BY_GGUF = (Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0)
DECODED = (Q.F32, Q.F16, Q.BF16) + tuple(SCALE_FIELDS)
# Finite extremes for the scale fields: largest, smallest normal, smallest subnormal, zeros.
EXTREME_HALVES = np.array([65504, -65504, 2.0**-14, -(2.0**-14), 2.0**-24, -(2.0**-24), 0.0, -0.0, 1, -1],
                          dtype=np.float16)
VALUE_TYPE_NAMES = {V.UINT8: "uint8", V.INT8: "int8", V.UINT16: "uint16", V.INT16: "int16", V.UINT32: "uint32",
                    V.INT32: "int32", V.FLOAT32: "float32", V.BOOL: "bool", V.STRING: "string", V.ARRAY: "array",
                    V.UINT64: "uint64", V.INT64: "int64", V.FLOAT64: "float64"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def compare(what, ours, ref):
    """Bitwise equality of two fp32 arrays; returns True when equal, records a failure if not."""
    ref = np.ascontiguousarray(ref, dtype=np.float32).reshape(-1)
    if ours.size != ref.size:
        fail(f"{what}: actsparse gives {ours.size} values, gguf {ref.size}")
        return False
    a, b = ours.view(np.uint32), ref.view(np.uint32)
    bad = np.flatnonzero(a != b)
    if bad.size:
        i = bad[0]
        fail(f"{what}: {bad.size} of {a.size} values differ; first at flat index {i}: "
             f"actsparse {ours[i]!r} (0x{a[i]:08x}), gguf {ref[i]!r} (0x{b[i]:08x})")
        return False
    return True


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


# ---- 1. the real model, streamed tensor by tensor (540 MB of fp32 never held at once).

def check_real(tool, model):
    if not model or not os.path.isfile(model):
        fail(f"the model file '{model}' does not exist: run `bash scripts/fetch-model.sh` and configure with "
             f"-DACTSPARSE_MODEL=<the path it prints> (scripts/run-tests.sh does both)")
        return
    t0 = time.monotonic()
    reader = gguf.GGUFReader(model)
    proc = subprocess.Popen([tool, "gguf", "--model", model, "--dequantize", "-"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    types, exact, elements = collections.Counter(), collections.Counter(), 0
    try:
        for t in reader.tensors:
            raw = proc.stdout.read(4 * t.n_elements)
            if len(raw) != 4 * t.n_elements:
                fail(f"{model}: the tool's output ends inside tensor '{t.name}' ({len(raw)} of {4 * t.n_elements} bytes)")
                break
            ours = np.frombuffer(raw, dtype="<f4")
            types[t.tensor_type.name] += 1
            elements += t.n_elements
            if compare(f"{os.path.basename(model)} tensor '{t.name}' ({t.tensor_type.name}, shape {[int(d) for d in t.shape]})",
                       ours, gguf.quants.dequantize(t.data, t.tensor_type)):
                exact[t.tensor_type.name] += 1
        extra = proc.stdout.read()
        if extra:
            fail(f"{model}: the tool wrote {len(extra)} bytes after the last tensor")
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        rc = proc.wait()
    if rc != 0:
        fail(f"{model}: `actsparse gguf --dequantize -` exited {rc}: {err.strip()}")
    per_type = ", ".join(f"{k} {exact[k]}/{n}" for k, n in sorted(types.items()))
    print(f"real model {os.path.basename(model)}: {sum(exact.values())} of {len(reader.tensors)} tensors bit-exact "
          f"({per_type}), {elements / 1e6:.1f} M values, {time.monotonic() - t0:.1f} s")


# ---- 2. synthetic files.

def sane_halves(rng, n, field):
    """n finite fp16 scales: random sign and magnitude 2^-12..2^3; the first blocks take each
    extreme value in turn (shifted per field so d and dmin combine differently), and about
    one in five of the rest an extreme one too."""
    h = (np.exp2(rng.uniform(-12, 3, n)) * rng.choice([-1.0, 1.0], n)).astype(np.float16)
    k = len(EXTREME_HALVES)
    for i in range(min(n, k)):
        h[i] = EXTREME_HALVES[(i + 3 * field) % k]
    extreme = rng.random(n) < 0.2
    extreme[:k] = False
    h[extreme] = rng.choice(EXTREME_HALVES, int(extreme.sum()))
    assert np.isfinite(h).all()
    return h


def random_blocks(rng, qtype, lead_shape, n_blocks):
    """Random block bytes of shape lead_shape + (n_blocks * block bytes,), scale fields finite."""
    _, size = gguf.GGML_QUANT_SIZES[qtype]
    rows = int(np.prod(lead_shape))
    b = rng.integers(0, 256, size=(rows * n_blocks, size), dtype=np.uint8)
    for field, off in enumerate(SCALE_FIELDS.get(qtype, ())):
        b[:, off:off + 2] = sane_halves(rng, rows * n_blocks, field).view(np.uint8).reshape(-1, 2)
    return b.reshape(tuple(lead_shape) + (n_blocks * size,))


def random_weights(rng, shape):
    """Gaussian weights with one all-zero block and one large one per tensor."""
    x = rng.standard_normal(shape).astype(np.float32) * np.float32(0.05)
    flat = x.reshape(-1)
    flat[:32] = 0
    flat[32:64] *= np.float32(2e4)
    return x


def float_tensors(rng):
    """F32, F16 and BF16 tensors with the special values each can hold (gguf passes F32/F16
    through numpy and shifts BF16, so any bits work; F16 NaNs are quiet ones, since numpy may
    convert with F16C, which quiets a signalling NaN)."""
    f32 = rng.standard_normal((5, 96)).astype(np.float32)
    f32.reshape(-1)[:8] = np.array([np.inf, -np.inf, -0.0, 1e-45, -1e-45, 3.4e38, np.nan, -np.nan], np.float32)
    f32.view(np.uint32).reshape(-1)[8] = 0x7f800001  # a signalling NaN: F32 is copied, not converted
    f16 = gguf.quants.quantize(rng.standard_normal((3, 64)).astype(np.float32), Q.F16)
    f16.reshape(-1)[:8] = np.array([np.inf, -np.inf, -0.0, 2.0**-24, -(2.0**-24), 65504, 2.0**-14, 0], np.float16)
    f16.view(np.uint16).reshape(-1)[8:11] = [0x7e00, 0xfe01, 0x7fff]  # quiet NaNs with payloads
    bf16 = gguf.quants.quantize(rng.standard_normal((4, 48)).astype(np.float32), Q.BF16)
    bf16.view(np.uint16).reshape(-1)[:8] = [0x7f80, 0xff80, 0x8000, 0x0001, 0x8001, 0x7f7f, 0x7fc1, 0x7f81]
    return [("f32.weight", f32, None), ("f32.norm", rng.standard_normal(40).astype(np.float32), None),
            ("f16.weight", f16, None), ("bf16.weight", bf16, Q.BF16)]


# (key, GGUF type, value, array element type): every value type, arrays nested up to three levels.
METADATA = [
    ("test.u8", V.UINT8, 200, None), ("test.i8", V.INT8, -100, None),
    ("test.u16", V.UINT16, 60000, None), ("test.i16", V.INT16, -30000, None),
    ("test.u32", V.UINT32, 4000000000, None), ("test.i32", V.INT32, -2000000000, None),
    ("test.u64", V.UINT64, 2**64 - 1, None), ("test.i64", V.INT64, -(2**63), None),
    ("test.f32", V.FLOAT32, 0.15625, None), ("test.f32_big", V.FLOAT32, 3.0e38, None),
    ("test.f64", V.FLOAT64, 1e300, None), ("test.f64_neg", V.FLOAT64, -2.5e-300, None),
    ("test.true", V.BOOL, True, None), ("test.false", V.BOOL, False, None),
    ("test.string", V.STRING, "h\u00e9llo, w\u00f6rld \u2713 \U0001f600", None), ("test.empty", V.STRING, "", None),
    ("test.strings", V.ARRAY, ["alpha", "b\u00e9ta", "", "gamma \U0001f600", "delta"], V.STRING),
    ("test.u8s", V.ARRAY, [0, 1, 255], V.UINT8), ("test.i16s", V.ARRAY, [-32768, 0, 32767], V.INT16),
    ("test.u64s", V.ARRAY, [0, 2**64 - 1, 2**40], V.UINT64), ("test.i64s", V.ARRAY, [-(2**63), 2**63 - 1], V.INT64),
    ("test.f32s", V.ARRAY, [0.5, -1.25, 1e-3], V.FLOAT32), ("test.f64s", V.ARRAY, [1e-300, -0.0], V.FLOAT64),
    ("test.bools", V.ARRAY, [True, False, True], V.BOOL),
    ("test.nested", V.ARRAY, [[1, 2, 3], [4, 5]], V.ARRAY),
    ("test.nested_strings", V.ARRAY, [["a", "b"], ["c"]], V.ARRAY),
    ("test.nested3", V.ARRAY, [[[1], [2, 3]], [[4]]], V.ARRAY),
]


def write_gguf(path, metadata, tensors, alignment=None):
    w = gguf.GGUFWriter(path, "llama")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    for key, vtype, value, sub in metadata:
        w.add_key_value(key, value, vtype, sub_type=sub)
    for name, data, raw_dtype in tensors:
        w.add_tensor(name, data, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def build_files(tmp, rng):
    """The synthetic files: (path, metadata written, names of the undecodable tensors)."""
    files = []
    # A: alignment 64, all metadata, every decoded type (2-D, 1-D and 3-D), two undecodable types.
    tensors = float_tensors(rng)
    for qt in QUANTIZED_BY_GGUF:
        tensors.append((f"{qt.name.lower()}.quantized", gguf.quants.quantize(random_weights(rng, (5, 128)), qt), qt))
    for qt in SCALE_FIELDS:
        block = gguf.GGML_QUANT_SIZES[qt][0]
        n_blocks = 3 if block == 256 else 4
        tensors.append((f"{qt.name.lower()}.raw", random_blocks(rng, qt, (4,), n_blocks), qt))
    tensors.append(("q8_0.rank3", random_blocks(rng, Q.Q8_0, (2, 3), 2), Q.Q8_0))
    tensors.append(("q6_k.rank3", random_blocks(rng, Q.Q6_K, (3, 2), 1), Q.Q6_K))
    tensors.append(("q4_0.rank1", random_blocks(rng, Q.Q4_0, (), 5), Q.Q4_0))
    tensors.append(("q3_k.rank1", random_blocks(rng, Q.Q3_K, (), 2), Q.Q3_K))
    tensors.append(("iq4_nl.unsupported", random_blocks(rng, Q.IQ4_NL, (2,), 2), Q.IQ4_NL))
    tensors.append(("q8_k.unsupported", random_blocks(rng, Q.Q8_K, (2,), 1), Q.Q8_K))
    meta_a = METADATA
    path = os.path.join(tmp, "all_types_align64.gguf")
    write_gguf(path, meta_a, tensors, alignment=64)
    files.append((path, meta_a, {"iq4_nl.unsupported", "q8_k.unsupported"}))

    # B: default alignment (no general.alignment), many blocks of every block type (more
    # rows, so more extreme-scale combinations).
    tensors = [(f"{qt.name.lower()}.many", random_blocks(rng, qt, (16,), 8 if gguf.GGML_QUANT_SIZES[qt][0] == 32 else 2),
                qt) for qt in SCALE_FIELDS]
    meta_b = [("general.name", V.STRING, "many blocks", None), ("test.count", V.UINT32, len(tensors), None)]
    path = os.path.join(tmp, "many_blocks.gguf")
    write_gguf(path, meta_b, tensors)
    files.append((path, meta_b, set()))

    # C: metadata only, no tensors.
    meta_c = METADATA[:4] + [("test.nested", V.ARRAY, [["x"], ["y", "z"]], V.ARRAY)]
    path = os.path.join(tmp, "no_tensors.gguf")
    write_gguf(path, meta_c, [])
    files.append((path, meta_c, set()))
    return files


def value_matches(text, vtype, value, sub):
    """Whether the listing's text for one value shows it (roofline/model_cmd.cpp value_text)."""
    if vtype == V.STRING:
        return text == f'"{value}"' if len(value) <= 60 else text.startswith(f'"{value[:57]}')
    if vtype == V.BOOL:
        return text == ("true" if value else "false")
    if vtype in (V.FLOAT32, V.FLOAT64):
        try:
            return math.isclose(float(text), value, rel_tol=1e-5)
        except ValueError:
            return False
    if vtype == V.ARRAY:
        return text.startswith(f"{VALUE_TYPE_NAMES[sub]}[{len(value)}]")
    return text == str(value)


def check_listing(tool, path, metadata, reader):
    r = run([tool, "gguf", "--model", path])
    name = os.path.basename(path)
    if r.returncode != 0:
        fail(f"{name}: the listing exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
        return 0, 0
    lines = r.stdout.decode("utf-8", errors="replace").splitlines()
    head = re.match(r".*: GGUF version (\d+), (\d+) bytes, alignment (\d+), data at byte (\d+)$", lines[0])
    if not head:
        fail(f"{name}: the listing's first line is not the header: {lines[0]!r}")
        return 0, 0
    alignment = int(reader.alignment)
    want = (3, os.path.getsize(path), alignment, int(reader.data_offset) if reader.tensors else None)
    got = tuple(int(g) for g in head.groups())
    if got[:3] != want[:3] or (want[3] is not None and got[3] != want[3]):
        fail(f"{name}: header says version/bytes/alignment/data offset {got}, gguf reads {want}")
    try:
        t_at = next(i for i, l in enumerate(lines) if l.startswith("tensors ("))
    except StopIteration:
        fail(f"{name}: the listing has no 'tensors (N):' line")
        return 0, 0
    shown = {}
    for line in lines[2:t_at]:
        parts = line.strip().split(None, 1)
        shown[parts[0]] = parts[1] if len(parts) > 1 else ""
    expect = [("general.architecture", V.STRING, "llama", None)] + list(metadata)
    if "general.alignment" in reader.fields:
        expect.append(("general.alignment", V.UINT32, alignment, None))
    for key, vtype, value, sub in expect:
        if key not in shown:
            fail(f"{name}: metadata key '{key}' is not in the listing")
        elif not value_matches(shown[key], vtype, value, sub):
            fail(f"{name}: metadata key '{key}' is listed as {shown[key]!r}; it holds {VALUE_TYPE_NAMES[vtype]} {value!r}")
    if len(shown) != len(expect):
        fail(f"{name}: the listing shows {len(shown)} keys, the file holds {len(expect)}")
    rows = {}
    for line in lines[t_at + 1:]:
        m = re.match(r"\s+(\S+)\s+(\S+)\s+(\d+(?: x \d+)*)\s+(\d+) bytes at (\d+)$", line)
        if not m:
            fail(f"{name}: cannot read tensor line {line!r}")
            continue
        rows[m.group(1)] = (m.group(2), m.group(3), int(m.group(4)), int(m.group(5)))
    for t in reader.tensors:
        want_row = (t.tensor_type.name, " x ".join(str(int(d)) for d in t.shape), int(t.n_bytes), int(t.data_offset))
        if t.name not in rows:
            fail(f"{name}: tensor '{t.name}' is not in the listing")
        elif rows[t.name] != want_row:
            fail(f"{name}: tensor '{t.name}' is listed as (type, shape, bytes, offset) {rows[t.name]}, gguf reads {want_row}")
    if len(rows) != len(reader.tensors):
        fail(f"{name}: the listing shows {len(rows)} tensors, the file holds {len(reader.tensors)}")
    return len(shown), len(rows)


def check_synthetic(tool, path, metadata, unsupported, types):
    name = os.path.basename(path)
    reader = gguf.GGUFReader(path)
    keys, listed = check_listing(tool, path, metadata, reader)
    types["listed keys"] += keys
    types["listed tensors"] += listed
    decodable = [t for t in reader.tensors if t.name not in unsupported]
    args = [tool, "gguf", "--model", path, "--dequantize", "-"]
    for t in decodable:
        args += ["--tensor", t.name]
    if decodable:
        r = run(args)
        if r.returncode != 0:
            fail(f"{name}: dequantizing exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
            return
        out = np.frombuffer(r.stdout, dtype="<f4")
        at = 0
        for t in decodable:
            ours = out[at:at + t.n_elements]
            at += t.n_elements
            if compare(f"{name} tensor '{t.name}' ({t.tensor_type.name}, shape {[int(d) for d in t.shape]})", ours,
                       gguf.quants.dequantize(t.data, t.tensor_type)):
                types[t.tensor_type.name] += 1
        if at != out.size:
            fail(f"{name}: the tool wrote {out.size} values, the tensors hold {at}")
    else:
        r = run(args)
        if r.returncode != 0 or r.stdout:
            fail(f"{name}: dequantizing a file without tensors exited {r.returncode} with {len(r.stdout)} bytes")
    for t in reader.tensors:
        if t.name not in unsupported:
            continue
        r = run([tool, "gguf", "--model", path, "--dequantize", "-", "--tensor", t.name])
        err = r.stderr.decode(errors="replace").strip()
        if r.returncode != 1 or t.name not in err or t.tensor_type.name not in err:
            fail(f"{name}: dequantizing '{t.name}' ({t.tensor_type.name}) should exit 1 naming the tensor and its "
                 f"type; it exited {r.returncode}, stderr {err!r}")
        else:
            types[t.tensor_type.name + " (refused)"] += 1


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} ACTSPARSE_TOOL MODEL.gguf")
    tool, model = sys.argv[1], sys.argv[2]
    if not os.access(tool, os.X_OK):
        sys.exit(f"FAIL: the actsparse tool '{tool}' is not an executable file")
    print(f"gguf {importlib.metadata.version('gguf')}, numpy {np.__version__}")

    t0 = time.monotonic()
    rng = np.random.default_rng(20250131)
    types = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="actsparse-gguf-") as tmp:
        files = build_files(tmp, rng)
        for path, metadata, unsupported in files:
            check_synthetic(tool, path, metadata, unsupported, types)
    missing = [qt.name for qt in DECODED if types[qt.name] == 0]
    if missing:
        fail(f"synthetic files: no tensor of {', '.join(missing)} was checked")
    listed = {k: types.pop(k) for k in ("listed keys", "listed tensors")}
    print(f"synthetic files ({len(files)}): {listed['listed keys']} keys and {listed['listed tensors']} tensors listed; "
          f"tensors bit-exact per type: {', '.join(f'{k} {n}' for k, n in sorted(types.items()))}; "
          f"{time.monotonic() - t0:.2f} s")

    check_real(tool, model)
    if failures:
        print(f"check_gguf: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("check_gguf: all tensors match gguf bit for bit")
    return 0


if __name__ == "__main__":
    sys.exit(main())

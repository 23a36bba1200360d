#!/usr/bin/env python3
"""tests/fuzz/make_corpus.py: the seed corpus of the GGUF fuzzer (tests/fuzz/corpus/gguf/).

    python make_corpus.py [OUT_DIR]      (the venv of scripts/python-env.sh: numpy, gguf)

Small valid GGUF files written with gguf.GGUFWriter, a few KB each, that between them hold
every metadata value type, nested arrays, a non-default alignment, a version 2 header and
every tensor type the reader decodes (plus two it only lists), so the fuzzer starts from
inputs that reach the deep code: the value parser, the tensor table, every block decoder
and pack. Deterministic (fixed seed): running it again rewrites the same bytes. The block
data and metadata come from tests/gguf/check_gguf.py's generators.
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gguf"))
from check_gguf import METADATA, random_blocks, write_gguf  # noqa: E402


def blocks(rng, qt, rows, n_blocks=1):
    return (f"{qt.name.lower()}.weight", random_blocks(rng, qt, (rows,), n_blocks), qt)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "gguf")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    scalars = [m for m in METADATA if m[1] != V.ARRAY]
    arrays = [m for m in METADATA if m[1] == V.ARRAY]
    f32 = rng.standard_normal((2, 8)).astype(np.float32)
    f16 = rng.standard_normal((2, 8)).astype(np.float16)
    bf16 = gguf.quants.quantize(rng.standard_normal((2, 8)).astype(np.float32), Q.BF16)
    llama_meta = [
        ("llama.block_count", V.UINT32, 1, None), ("llama.context_length", V.UINT32, 128, None),
        ("llama.embedding_length", V.UINT32, 64, None), ("llama.feed_forward_length", V.UINT32, 64, None),
        ("llama.attention.head_count", V.UINT32, 2, None), ("llama.rope.freq_base", V.FLOAT32, 10000.0, None),
        ("tokenizer.ggml.model", V.STRING, "gpt2", None),
        ("tokenizer.ggml.tokens", V.ARRAY, ["<s>", "</s>", "a", "\u0120b", "\u00e9"], V.STRING),
        ("tokenizer.ggml.scores", V.ARRAY, [0.0, -1.0, -2.5, -3.0, -4.0], V.FLOAT32),
        ("tokenizer.ggml.token_type", V.ARRAY, [3, 3, 1, 1, 1], V.INT32),
    ]
    files = {
        "scalars.gguf": (scalars, [], None),
        "arrays.gguf": (arrays, [], None),
        "align64_floats.gguf": (METADATA[:3], [("f32.weight", f32, None), ("f16.weight", f16, None),
                                               ("bf16.weight", bf16, Q.BF16)], 64),
        "q4_q5.gguf": ([], [blocks(rng, qt, 2, 2) for qt in (Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1)], None),
        "q8_0_rank3.gguf": ([], [("q8_0.rank3", random_blocks(rng, Q.Q8_0, (2, 2), 1), Q.Q8_0),
                                 ("q8_0.rank1", random_blocks(rng, Q.Q8_0, (), 2), Q.Q8_0)], None),
        "q2_k_q3_k.gguf": ([], [blocks(rng, Q.Q2_K, 2), blocks(rng, Q.Q3_K, 2)], None),
        "q4_k_q5_k_q6_k.gguf": ([], [blocks(rng, qt, 2) for qt in (Q.Q4_K, Q.Q5_K, Q.Q6_K)], None),
        "undecoded.gguf": ([("general.name", V.STRING, "undecoded", None)],
                           [blocks(rng, Q.IQ4_NL, 2), blocks(rng, Q.Q8_K, 1)], 64),
        # 32 rows, so pack (group 32) runs; named as a decoder's projection.
        "llama_tiny.gguf": (llama_meta, [("blk.0.attn_q.weight", random_blocks(rng, Q.Q4_1, (32,), 1), Q.Q4_1),
                                         ("blk.0.attn_norm.weight", np.ones(32, np.float32), None)], None),
    }
    for name, (meta, tensors, alignment) in files.items():
        write_gguf(os.path.join(out, name), meta, tensors, alignment)
    # Version 2 has the same layout as 3 for little-endian files: the same bytes, version 2.
    with open(os.path.join(out, "q2_k_q3_k.gguf"), "rb") as src:
        data = bytearray(src.read())
    data[4:8] = (2).to_bytes(4, "little")
    with open(os.path.join(out, "version2.gguf"), "wb") as dst:
        dst.write(data)
    sizes = {n: os.path.getsize(os.path.join(out, n)) for n in sorted(os.listdir(out))}
    print(f"{len(sizes)} files, {sum(sizes.values())} bytes in {out}: " + ", ".join(f"{n} {s}" for n, s in sizes.items()))


if __name__ == "__main__":
    main()

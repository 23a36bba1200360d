#!/usr/bin/env python3
"""What repacking a GGUF model costs in quality, per quantizer, against the file's own weights.

Runs the C++ decoder (actsparse-llama, dense, packed weights) and the numpy forward pass of
tests/decoder/check_logits.py (the file's weights dequantized by the `gguf` package) over the
same chunks of real text: the file's BOS, then --tokens tokens of the evaluation text each,
as actsparse-tokenize encodes it. For each packed width and quantizer (MLX's rule and the
searched one, --quantizer mse) it prints, over every position of every chunk:
  - mean KL(file || packed) of the next-token distributions, in nats;
  - top-1: the fraction of positions whose most likely token is the file weights' one;
  - perplexity of the text's next tokens (the file's own beside them).
The study's KL and top-1 compare with the same width's dense decode; these compare with
the file's weights, so they measure what repacking costs (docs/real-model.md).
With --lib (libactsparse_dispatch.so) it first prints each width and quantizer's relative
RMS weight error over every projection (q, k, v, o, gate, up, down and the tied output):
the file's weights dequantized by the `gguf` package, packed through actsparse_pack_ex in
the file's row order, as the decoder packs them, and dequantized back.

Usage (from the source tree, after a build with the decoder and its tests):
  repack_quality.py --llama build/main/decoder/actsparse-llama \\
      --tokenize build/main/tests/decoder/actsparse-tokenize --model SmolLM2.gguf \\
      --text ~/.cache/actsparse/texts/debian-reference-2.100.txt [--chunks 8] [--tokens 255] \\
      [--widths 4/32,4/64] [--quantizers mlx,mse] [--lib build/main/kernels/libactsparse_dispatch.so]
Needs numpy and gguf (scripts/python-env.sh's venv). About 3 minutes per chunk on 2 cores.
"""
import argparse
import contextlib
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "decoder"))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import check_logits  # noqa: E402  (the numpy forward pass and the decoder runner)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def weight_errors(lib_path, model, widths, quantizers):
    import gguf
    from gguf.quants import dequantize
    import actsparse_ctypes
    lib = actsparse_ctypes.Library(lib_path)
    reader = gguf.GGUFReader(model)
    names = {t.name for t in reader.tensors}
    keep = [t for t in reader.tensors if len(t.shape) == 2 and t.name.startswith("blk.")
            or t.name == "output.weight" or (t.name == "token_embd.weight" and "output.weight" not in names)]
    print("| weights | relative RMS weight error |")
    print("| --- | --- |")
    for bits, group in widths:
        for q in quantizers:
            err = ref = 0.0
            for t in keep:
                w = np.ascontiguousarray(dequantize(t.data, t.tensor_type), dtype=np.float32)  # [out][in]
                back = lib.pack(w, int(bits), int(group), q).dequantize()
                err += float(((back.astype(np.float64) - w) ** 2).sum())
                ref += float((w.astype(np.float64) ** 2).sum())
            print(f"| {bits}-bit g{group} {q} | {np.sqrt(err / ref):.4f} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--llama", required=True, help="the actsparse-llama binary")
    ap.add_argument("--tokenize", required=True, help="the actsparse-tokenize binary")
    ap.add_argument("--model", required=True, help="the GGUF file")
    ap.add_argument("--text", required=True, help="plain UTF-8 text to score")
    ap.add_argument("--chunks", type=int, default=8, help="0: the weight errors only")
    ap.add_argument("--tokens", type=int, default=255, help="text tokens per chunk (after the BOS)")
    ap.add_argument("--widths", default="4/32,4/64", help="BITS/GROUP,... of the packed weights")
    ap.add_argument("--quantizers", default="mlx,mse")
    ap.add_argument("--lib", help="libactsparse_dispatch.so: also print the weight errors")
    a = ap.parse_args()
    widths = [tuple(w.split("/")) for w in a.widths.split(",")]
    quantizers = a.quantizers.split(",")
    for w in widths:
        if len(w) != 2:
            sys.exit(f"--widths entry {'/'.join(w)!r} must be BITS/GROUP")
    for q in quantizers:
        if q not in ("mlx", "mse"):
            sys.exit(f"--quantizers entry {q!r}: legal values are mlx and mse")

    if a.lib:
        weight_errors(a.lib, a.model, widths, quantizers)
    if a.chunks == 0:
        return
    with open(a.text, encoding="utf-8") as f:
        text = f.read(400 * a.chunks * a.tokens)  # far more characters than tokens needed
    enc = subprocess.run([a.tokenize, "--model", a.model, "--encode"], input=text, capture_output=True, text=True,
                         check=True)
    ids = [int(t) for t in enc.stdout.split()]
    if len(ids) < a.chunks * a.tokens:
        sys.exit(f"{a.text} has {len(ids)} tokens; --chunks x --tokens needs {a.chunks * a.tokens}")
    m = check_logits.Model(a.model)
    bos = int(m.reader.fields["tokenizer.ggml.bos_token_id"].contents())

    sums = {}  # label -> [KL sum, top-1 count, NLL sum, positions, predictions]
    for c in range(a.chunks):
        seq = [bos] + ids[c * a.tokens:(c + 1) * a.tokens]
        check_logits.IDS = seq  # run_decoder passes these ids
        ref = log_softmax(m.logits(np.array(seq)))
        nxt = np.array(seq[1:])
        rows = np.arange(len(seq) - 1)

        def add(label, lp):
            s = sums.setdefault(label, [0.0, 0, 0.0, 0, 0])
            s[0] += float((np.exp(ref) * (ref - lp)).sum())
            s[1] += int((lp.argmax(axis=1) == ref.argmax(axis=1)).sum())
            s[2] += float(-lp[rows, nxt].sum())
            s[3] += len(seq)
            s[4] += len(seq) - 1

        add("file", ref)
        for bits, group in widths:
            for q in quantizers:
                with contextlib.redirect_stdout(sys.stderr):  # the decoder's own report
                    out = check_logits.run_decoder(a.llama, a.model, ["--mode", "dense", "--bits", bits,
                                                                      "--group", group, "--quantizer", q])
                add(f"{bits}-bit g{group} {q}", log_softmax(out))
        print(f"chunk {c + 1} of {a.chunks} done", file=sys.stderr, flush=True)

    print(f"{a.chunks} chunks of {a.tokens} tokens + BOS from {os.path.basename(a.text)}")
    print("| weights | mean KL vs the file | top-1 vs the file | perplexity |")
    print("| --- | --- | --- | --- |")
    for label, (kl, top1, nll, n, preds) in sums.items():
        print(f"| {label} | {kl / n:.4f} | {top1 / n:.3f} | {np.exp(nll / preds):.3f} |")


if __name__ == "__main__":
    main()

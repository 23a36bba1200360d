#!/usr/bin/env python3
"""tests/decoder/check_study.py: `actsparse study`'s quality figures against numpy.

    python check_study.py ACTSPARSE_TOOL ACTSPARSE_TOKENIZE MODEL.gguf

Runs the study on two short texts written here (calibration and evaluation), with the file's
own weights evaluated dense and at every sparse setting (--reference-sparse 1: reference
mode, fp32 dequantized weights), and recomputes those rows independently: the forward pass
of check_logits.py (numpy, float64, PyPI gguf's dequantization, no KV cache) over the same
chunks (the file's BOS, then --chunk tokens of the text as actsparse-tokenize encodes it),
with each projection's input masked as the rule says, using the thresholds the study
calibrated and saved (--thresholds-dir):
  magnitude:    x_k with |x_k| <= t dropped;
  column_norm:  x_k with |x_k| * ||W[:, k]|| <= t dropped.
From its logits: perplexity, mean KL(dense || sparse) of the next-token distributions, top-1
agreement with dense and the realised sparsity per projection. Checks, for every row:
perplexity within 1e-3 relative, mean KL within 1e-3 absolute + 1% relative, top-1 agreement
within one prediction, realised sparsity within 0.5%; and that the calibrated thresholds give
the calibration text about their target on layer 0's q input (which no threshold upstream
changes). Exits 1 on a failed check.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_logits import Model  # noqa: E402

CALIB = (
    "The committee met on a cold morning in early spring to discuss the future of the old railway line. "
    "Some members argued that the line should be restored for passenger trains, while others wanted to turn "
    "the route into a walking path through the hills. After a long debate, they agreed to ask the people of "
    "the valley what they preferred, and to publish the results before the summer. Meanwhile, the engineers "
    "surveyed the bridges and tunnels, and found that most of them were still in good condition.\n\n"
    "A library is more than a room full of books. It is a place where children learn to read, where students "
    "prepare for their exams, and where older people meet their friends and read the newspapers. "
)
EVAL = (
    "To install a package on a Debian system, you usually run the package manager with the name of the "
    "package. The manager downloads the archive, checks its signature, and unpacks the files into their "
    "places. If the package depends on other packages, those are installed first. When something goes wrong, "
    "the log files in the system directory tell you which step failed and why.\n\n"
    "Backups are easy to forget until the day a disk fails. A simple plan keeps a copy of your home "
    "directory on another machine, refreshed every night, and a second copy somewhere far away. "
)
CHUNK = 48
TARGET = 40
PROJ = ["q", "k", "v", "o", "gate", "up", "down"]
TENSOR = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r


def load_thresholds(path, n_layers):
    t = {}
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("actsparse-thresholds"), path
    for line in lines[1:]:
        if line and not line.startswith("#"):
            name, value = line.split()
            t[name] = float(np.float32(value))
    return [[t[f"blk.{l}.{TENSOR[p]}"] for p in range(7)] for l in range(n_layers)]


class MaskedModel(Model):
    """check_logits' forward pass with each projection's input masked by a rule."""

    def forward(self, ids, thresholds=None, rule="magnitude", counts=None):
        T, H, KV, d = len(ids), self.n_heads, self.n_kv_heads, self.head_dim
        positions = np.arange(T, dtype=np.float64)
        causal = np.triu(np.full((T, T), -np.inf), k=1)
        x = self.w["token_embd.weight"][ids]

        def proj(l, p, inp):
            W = self.w[f"blk.{l}.{TENSOR[p]}.weight"]
            # The decoder's inputs are float32: mask on their float32 value.
            x32 = inp.astype(np.float32).astype(np.float64)
            if thresholds is not None:
                t = thresholds[l][p]
                score = np.abs(x32) if rule == "magnitude" else np.abs(x32) * self.col_norm[(l, p)]
                keep = score > t
                if counts is not None:
                    counts[p][0] += keep.size
                    counts[p][1] += keep.sum()
                inp = np.where(keep, inp, 0.0)
            return inp @ W.T

        for l in range(self.n_layers):
            w = lambda name: self.w[f"blk.{l}.{name}.weight"]
            h = self.rmsnorm(x, w("attn_norm"))
            q = self.rope(proj(l, 0, h).reshape(T, H, d), positions)
            k = self.rope(proj(l, 1, h).reshape(T, KV, d), positions)
            v = proj(l, 2, h).reshape(T, KV, d)
            k, v = np.repeat(k, H // KV, axis=1), np.repeat(v, H // KV, axis=1)
            scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(d) + causal
            pr = np.exp(scores - scores.max(axis=-1, keepdims=True))
            pr /= pr.sum(axis=-1, keepdims=True)
            att = np.einsum("hts,shd->thd", pr, v).reshape(T, H * d)
            x = x + proj(l, 3, att)
            h = self.rmsnorm(x, w("ffn_norm"))
            g, u = proj(l, 4, h), proj(l, 5, h)
            x = x + proj(l, 6, g / (1 + np.exp(-g)) * u)
        return self.rmsnorm(x, self.w["output_norm.weight"]) @ self.out.T


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def study_rows(tool, model_path, calib, ev, tmp, dense_layers):
    """Runs the study; returns its reference-mode rows by rule and the thresholds' paths."""
    out = os.path.join(tmp, f"study-{dense_layers}.json")
    tdir = os.path.join(tmp, f"thr-{dense_layers}")
    os.makedirs(tdir)
    run([tool, "study", "--model", model_path, "--calib-text", calib, "--eval-text", ev, "--calib-tokens", "0",
         "--eval-tokens", "0", "--chunk", str(CHUNK), "--widths", "8/32", "--sparsity", str(TARGET),
         "--rules", "magnitude,column_norm", "--dense-layers", str(dense_layers), "--reference", "1",
         "--reference-sparse", "1", "--speed", "0", "--workers", "2", "--thresholds-dir", tdir, "--out", out,
         "--quiet"])
    study = json.load(open(out))
    rows = {r["rule"]: r for r in study["quality"] if r["weights"].startswith("file ")}
    return rows, {rule: os.path.join(tdir, f"thresholds-{rule}-{TARGET}.txt") for rule in ("magnitude", "column_norm")}


def numpy_rows(m, chunks, thresholds):
    """Perplexity, KL, top-1 and realised sparsity of dense and each rule, from numpy logits."""
    expect, dense_lp = {}, []
    for rule in ("dense", "magnitude", "column_norm"):
        nll, kl, top1, n = 0.0, 0.0, 0, 0
        counts = [[0, 0] for _ in range(7)]
        for ci, c in enumerate(chunks):
            z = m.forward(c[:-1], None if rule == "dense" else thresholds[rule], rule, counts)
            lp = log_softmax(z)
            nxt = np.array(c[1:])
            nll -= lp[np.arange(len(nxt)), nxt].sum()
            if rule == "dense":
                dense_lp.append(lp)
            else:
                d = dense_lp[ci]
                kl += (np.exp(d) * (d - lp)).sum()
                top1 += int((lp.argmax(axis=1) == d.argmax(axis=1)).sum())
            n += len(nxt)
        expect[rule] = {"perplexity": float(np.exp(nll / n)), "mean_kl": kl / n,
                        "top1": top1 if rule != "dense" else n, "scored": n,
                        "sparsity": {PROJ[p]: (1 - counts[p][1] / counts[p][0]) if counts[p][0] else 0.0
                                     for p in range(7)}}
    return expect


def compare(case, rows, expect, ppl_rel, kl_rel, top1_abs, sparsity_abs):
    ok = True
    for rule in ("dense", "magnitude", "column_norm"):
        got, want = rows.get(rule), expect[rule]
        if got is None:
            print(f"FAIL: {case}: the study has no reference row for {rule}")
            ok = False
            continue
        rel = abs(got["perplexity"] / want["perplexity"] - 1)
        dkl = abs(got["mean_kl"] - want["mean_kl"])
        got_top1 = round(got["top1_agreement"] * got["scored"])
        dtop = abs(got_top1 - want["top1"])
        dsp = max(abs(got["sparsity_per_projection"][p] - want["sparsity"][p]) for p in PROJ) if rule != "dense" else 0
        print(f"{case} {rule:12s} ppl {got['perplexity']:.4f} vs numpy {want['perplexity']:.4f} (rel {rel:.1e}); "
              f"KL {got['mean_kl']:.5f} vs {want['mean_kl']:.5f}; top-1 {got_top1} vs {want['top1']} of "
              f"{want['scored']}; realised sparsity max diff {dsp:.4f}")
        if got["scored"] != want["scored"]:
            print(f"FAIL: {case} {rule}: {got['scored']} predictions scored, numpy scored {want['scored']}")
            ok = False
        if rel > (1e-4 if rule == "dense" else ppl_rel):
            print(f"FAIL: {case} {rule}: perplexity differs by {rel:.2e} relative")
            ok = False
        if dkl > 1e-4 + kl_rel * want["mean_kl"]:
            print(f"FAIL: {case} {rule}: mean KL differs by {dkl:.2e}")
            ok = False
        if dtop > top1_abs:
            print(f"FAIL: {case} {rule}: top-1 agreement differs by {dtop} predictions (bound {top1_abs})")
            ok = False
        if dsp > sparsity_abs:
            print(f"FAIL: {case} {rule}: realised sparsity differs by {dsp:.4f} (bound {sparsity_abs})")
            ok = False
    return ok


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tool, tokenize, model_path = sys.argv[1:]
    if not os.path.exists(model_path):
        sys.exit(f"FAIL: model file {model_path} does not exist")
    ok = True
    m = MaskedModel(model_path)
    m.col_norm = {(l, p): np.sqrt((m.w[f"blk.{l}.{TENSOR[p]}.weight"] ** 2).sum(axis=0))
                  for l in range(m.n_layers) for p in range(7)}
    bos = int(m.reader.fields["tokenizer.ggml.bos_token_id"].contents())
    add_bos = bool(m.reader.fields["tokenizer.ggml.add_bos_token"].contents()) \
        if "tokenizer.ggml.add_bos_token" in m.reader.fields else False

    def chunks_of(text):
        ids = [int(t) for t in run([tokenize, "--model", model_path, "--encode"], stdin=text).stdout.split()]
        chunks = [([bos] if add_bos else []) + ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
        return [c for c in chunks if len(c) - (1 if add_bos else 0) >= 2]

    with tempfile.TemporaryDirectory() as tmp:
        calib, ev = os.path.join(tmp, "calib.txt"), os.path.join(tmp, "eval.txt")
        open(calib, "w").write(CALIB)
        open(ev, "w").write(EVAL)
        chunks = chunks_of(EVAL)
        print(f"evaluation text: {sum(len(c) for c in chunks)} tokens in {len(chunks)} chunks (BOS first: {add_bos})")

        # Case 1, sparse in the last layer only: no masked input feeds another mask, so both
        # sides make the same decisions (but for inputs within float rounding of a threshold)
        # and every figure must agree closely.
        last = m.n_layers - 1
        rows, paths = study_rows(tool, model_path, calib, ev, tmp, last)
        thresholds = {rule: load_thresholds(path, m.n_layers) for rule, path in paths.items()}
        ok &= compare(f"last layer:", rows, numpy_rows(m, chunks, thresholds), 1e-3, 0.01, 1, 0.002)

        # Case 2, every layer sparse: a decision flipped by rounding changes the inputs of every
        # later layer, which flips more (chaos), so the figures agree only statistically.
        rows, paths = study_rows(tool, model_path, calib, ev, tmp, 0)
        thresholds = {rule: load_thresholds(path, m.n_layers) for rule, path in paths.items()}
        ok &= compare("all layers:", rows, numpy_rows(m, chunks, thresholds), 0.05, 0.1, 4, 0.005)

        # Calibration: layer 0's q input sees only the embedding and the norm, whatever the
        # thresholds, so its calibrated threshold drops about TARGET% of the calibration text.
        xs = np.abs(np.concatenate([m.rmsnorm(m.w["token_embd.weight"][c], m.w["blk.0.attn_norm.weight"])
                                    .astype(np.float32).ravel() for c in chunks_of(CALIB)]))
        t0 = thresholds["magnitude"][0][0]
        dropped = float((xs <= t0).mean())
        print(f"calibration: layer 0 q threshold {t0:.4g} drops {dropped:.2%} of {xs.size} inputs (target {TARGET}%)")
        if not (TARGET / 100 <= dropped <= TARGET / 100 + 0.02):
            print(f"FAIL: the calibrated threshold drops {dropped:.2%}, target {TARGET}% (at most one bin above)")
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

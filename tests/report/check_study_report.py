#!/usr/bin/env python3
"""tests/report/check_study_report.py: the report's real-model page (`actsparse report --study`).

A study file written here in the schema roofline/study_cmd.cpp writes ("actsparse-study/1":
three packed widths and the file's own weights, both rules at five targets, hot and streamed
runs on 1 and 2 threads, seven projections with a machine roof, 34-bin histograms; made-up
figures) is rendered beside the fuzz corpus' machine profile and decode results
(tests/fuzz/corpus/) and a benchmark file also written here (dense and sparse rows of four
shapes at two widths: 24 bars with long names on the kernel page's "MB moved per call").
Then:
  - the summary table, on real-model.html and at the top of index.html (before the machine
    tables), holds the JSON's figures, joined by width and target as the page says;
  - right below it, the Apple projection holds, per profile of roofline/profiles/apple.json,
    the roofline tokens/s that tests/roofline/apple_oracle.py computes for the model's
    matrices at the chosen run's realised sparsity per projection (memory and compute side,
    compute-bound profiles marked C), beside the bytes per token computed here (the run's
    projections plus lm_head, whose bytes the file holds only inside weight_bytes);
  - every page links the others from its bar of links;
  - in headless Chromium at 480 (in an iframe: a headless window is at least 500 px wide)
    and 1600 px, every page draws its charts, no page scrolls
    sideways (wide tables scroll in their own box), no chart text lies outside its chart
    and nothing after a chart overlaps it; screenshots of every page stay in WORK_DIR;
  - a study still running (quality rows only, no "speed") renders without its speed parts;
  - bad study files fail with exit 1 and a message naming the file and the field, and leave
    no report behind.
Usage: check_study_report.py ACTSPARSE_TOOL SOURCE_DIR WORK_DIR CHROMIUM
"""
import copy
import html.parser
import json
import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "roofline"))
import apple_oracle  # noqa: E402  (the Apple roofline's arithmetic, shared with check_apple_validation.py)

tool, source, work = (os.path.abspath(a) for a in sys.argv[1:4])
chromium = sys.argv[4]
corpus = os.path.join(source, "tests", "fuzz", "corpus")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


# ---- the study file

WIDTHS = ["4-bit g64", "4-bit g32", "8-bit g32", "4-bit g64 int8", "4-bit g32 mse"]  # mse: the searched quantizer
TARGETS = [0.25, 0.4, 0.5, 0.6, 0.7]
# lm_head's packed bytes per width. The file records them only inside weight_bytes (every
# packed weight), as study_cmd.cpp does, so the page must recover them.
LM_HEAD = {"4-bit g64": 15925248, "4-bit g32": 17694720, "8-bit g32": 31850496, "4-bit g64 int8": 15925248,
           "4-bit g32 mse": 17694720}
HOT_ONLY = "8-bit g32"  # timed hot only: its Apple rows take the hot run's bytes
PROJECTIONS = ["q", "k", "v", "o", "gate", "up", "down"]
EDGES = [10 ** (e / 4) for e in range(-24, 9)]


def histogram(center, spread):
    """Fractions of |x| per bin around 10^center, the last bin above the last edge."""
    w = [math.exp(-((e / 4 - center) / spread) ** 2) for e in range(-24, 10)]
    return [v / sum(w) for v in w]


def study():
    quality, speed, activations = [], [], []
    for i, w in enumerate(WIDTHS):
        ppl = 30.0 - 2 * i
        quality.append({"weights": w, "rule": "dense", "target": 0.0, "scored": 510, "perplexity": ppl,
                        "perplexity_vs_dense": 1.0, "mean_kl": 0.0, "top1_agreement": 1.0, "sparsity": 1.0e-4,
                        "sparsity_per_projection": {p: 0.0 for p in PROJECTIONS}})
        for r, rule in enumerate(["magnitude", "column_norm"]):
            for t in TARGETS:
                ratio = 1 + (0.9 - 0.1 * r) * t * t
                quality.append({"weights": w, "rule": rule, "target": t, "scored": 510, "perplexity": ppl * ratio,
                                "perplexity_vs_dense": ratio, "mean_kl": 0.8 * t * t, "top1_agreement": 1 - 0.6 * t,
                                "sparsity": t + 0.003 * (i + 1),
                                "sparsity_per_projection": {p: t for p in PROJECTIONS}})
        for stream in (False, True) if w != HOT_ONLY else (False,):
            for threads in (1, 2):
                for t in [0.0] + TARGETS:
                    tps = (60.0 + 10 * i) * (1 + 0.8 * t) * (0.9 if stream else 1.0) * (1.05 if threads == 2 else 1)
                    per = []
                    # Dense runs read every strip; sparse ones differ a little by run, so that the
                    # Apple rows show which run's bytes they took (streamed, then fewest threads).
                    skew = 1 + (0.02 * (not stream) + 0.01 * (threads - 1) if t else 0)
                    for k, p in enumerate(PROJECTIONS):
                        b = (1 + k) * 2.0e6 * (1 + i / 7) * (1 - t) * skew
                        ms = b / 4.0e9 * 1e3
                        # Each projection at its own realised sparsity, a little different per run too.
                        per.append({"projection": p, "sparsity": t * (0.85 + 0.05 * k) * (2 - skew),
                                    "bytes_per_token": b, "ms_per_token": ms,
                                    "GBps": b / ms / 1e6, "roof_level": "DRAM", "roof_GBps": 18.0,
                                    "roof_fraction": b / ms / 1e6 / 18.0})
                    speed.append({"weights": w, "residency": "stream" if stream else "hot",
                                  "copies": 4 if stream else 1,
                                  "weight_bytes": round(28 * 2.0e6 * (1 + i / 7)) + LM_HEAD[w], "threads": threads,
                                  "mode": "sparse" if t else "dense",
                                  "rule": "magnitude" if t else "dense", "target": t, "tokens_per_s": tps,
                                  "runs": [tps * 0.97, tps, tps * 1.02], "per_projection": per,
                                  "projections_ms_per_token": sum(p["ms_per_token"] for p in per),
                                  "projections_bytes_per_token": sum(p["bytes_per_token"] for p in per)})
    quality.append({"weights": "file Q4_1", "rule": "dense", "target": 0.0, "scored": 510, "perplexity": 26.5,
                    "perplexity_vs_dense": 1.0, "mean_kl": 0.0, "top1_agreement": 1.0, "sparsity": 1.0e-4,
                    "sparsity_per_projection": {p: 0.0 for p in PROJECTIONS}})
    for p in PROJECTIONS:
        center = {"o": -0.7, "gate": -0.9, "up": -0.9, "down": -1.2}.get(p, -1.0)
        activations.append({"projection": p, "samples": 8847360 if p != "down" else 23592960,
                            "exact_zero_fraction": 2.8e-4 if p in "qkv" else 0.0, "upper_edges": EDGES,
                            "fraction": histogram(center, 0.6),
                            "median_abs_per_layer": [0.01 * (1 + l) for l in range(30)]})
    return {"schema": "actsparse-study/1", "date": "2026-12-04T18:00:00Z",
            "model": "/models/SmolLM2-135M-Instruct.Q4_1.gguf",
            "host": {"hostname": "testhost", "cpu": "AMD EPYC", "cpu_family": "25", "cpu_model": "17", "l3": "32768K"},
            "texts": {"calibration": {"file": "jargon.txt", "tokens_in_file": 380877, "tokens_used": 2048, "chunks": 8},
                      "evaluation": {"file": "reference.txt", "tokens_in_file": 187949, "tokens_used": 1024,
                                     "chunks": 4},
                      "chunk": 256},
            "hparams": {"n_layers": 30, "n_embd": 576, "n_ff": 1536, "n_heads": 9, "n_kv_heads": 3, "n_vocab": 49152},
            "activations": activations, "thresholds": [], "dense_layers": 0, "quality": quality, "speed": speed,
            "seconds": 100.0}


def bench():
    """actsparse-bench rows as Google Benchmark writes them: dense, and sparse at 0, 50 and 90%."""
    rows = []
    for n, k in ((256, 1024), (512, 512), (1024, 4096), (4096, 4096)):
        for bits in (4, 3):
            dense_bytes = n * k * bits / 8 + 4 * (n + k)
            for kind, s in (("dense", 0.0), ("sparse", 0.0), ("sparse", 0.5), ("sparse", 0.9)):
                b = dense_bytes * (1 - s)
                t = b / 20.0  # ns at 20 GB/s
                name = f"{kind}/N:{n}/K:{k}/bits:{bits}/group:64/sparsity:{int(100 * s)}/threads:1"
                rows.append({"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1, "threads": 1,
                             "iterations": 100, "real_time": t, "cpu_time": t, "time_unit": "ns", "N": n, "K": k,
                             "bits": bits, "group": 64, "sparsity": s, "active": 1 - s, "stream": 1,
                             "clustered": 0, "dense": int(kind == "dense"), "bytes": b, "eff_GBps": 20.0,
                             "GFLOPs": 2 * n * k * (1 - s) / t})
    return {"context": {"date": "2026-12-04T18:00:00+00:00", "host_name": "testhost", "num_cpus": 2},
            "benchmarks": rows}


def write(name, obj):
    with open(name, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj, indent=1))


def report(out, study_file, check=True):
    args = [tool, "report", "--machine", os.path.join(corpus, "machine", "machine.json"),
            "--bench", "bench.json",
            "--decode", os.path.join(corpus, "decode", "decode.json"),
            "--study", study_file, "--out", out]
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        fail(f"report failed: {r.stderr}")
    return r


# ---- the page's tables, read back

class Tables(html.parser.HTMLParser):
    """Every table's rows of cell texts, by id, in document order; `order` has ids and h2s."""

    def __init__(self):
        super().__init__()
        self.tables, self.order, self.links, self.nav = {}, [], [], []
        self.table = self.row = self.cell = None
        self.in_nav = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id", f"table{len(self.tables)}")
            self.tables[self.table] = []
            self.order.append(self.table)
        elif tag == "tr" and self.table:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
        elif tag == "nav":
            self.in_nav = True
        elif tag == "a" and self.in_nav:
            self.nav.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None
        elif tag == "nav":
            self.in_nav = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def parse(path):
    p = Tables()
    with open(path) as f:
        p.feed(f.read())
    return p


def num(v, digits=3):
    return "%.*g" % (digits, v)


def pct(f):
    return num(100 * f) + "%"


def expected_summary(s):
    """The summary as the page states it: per width and target, the magnitude rule's quality
    (the dense row at target 0) and tokens/s per (threads, residency), speedup over dense."""
    configs = sorted({(r["threads"], r["residency"] == "stream") for r in s.get("speed", [])})
    head = ["weights", "target", "realised sparsity", "perplexity", "vs dense", "top-1 agreement"]
    head += [f"tokens/s, {'streamed' if st else 'hot'}, {th} thread{'s' if th > 1 else ''}" for th, st in configs]
    widths = []
    for r in s["quality"] + s.get("speed", []):
        if r["weights"] not in widths:
            widths.append(r["weights"])
    rows = [head]
    for w in widths:
        targets = sorted({q["target"] for q in s["quality"]
                          if q["weights"] == w and q["rule"] in ("dense", "magnitude")} |
                         {r["target"] for r in s.get("speed", []) if r["weights"] == w})
        for t in targets:
            q = [q for q in s["quality"]
                 if q["weights"] == w and q["target"] == t and q["rule"] == ("magnitude" if t else "dense")]
            row = [w, pct(t) if t else "dense"]
            row += [pct(q[0]["sparsity"]), num(q[0]["perplexity"], 4), num(q[0]["perplexity_vs_dense"], 4),
                    pct(q[0]["top1_agreement"])] if q else ["n/a"] * 4
            for th, st in configs:
                def tps(target):
                    m = [r["tokens_per_s"] for r in s["speed"] if r["weights"] == w and r["threads"] == th and
                         (r["residency"] == "stream") == st and r["target"] == target]
                    return m[0] if m else None
                v, d = tps(t), tps(0.0)
                row.append("n/a" if v is None else num(v) + (f" ({num(v / d)}x)" if t and d else ""))
            rows.append(row)
    return rows


def apple_columns(every):
    """The Apple table's profile columns from roofline/profiles/apple.json itself: the figure
    a projection uses (the CPU one where published, else the SoC one) and the P-cores (count,
    clock, pipes, decode width), one column per alike (its profiles' names joined, without
    "Apple "), slowest bandwidth first; on the first screen only the slowest profile and the
    current line. Each column: (header, bandwidth, a profile of the column)."""
    with open(os.path.join(source, "roofline", "profiles", "apple.json")) as f:
        profiles = json.load(f)
    groups = {}
    for p in profiles:
        if not every and p["name"] not in ("apple-m1", "apple-m4", "apple-m4-pro", "apple-m4-max"):
            continue
        cpu = p["cpu_bandwidth_GBps"] is not None
        bw = p["cpu_bandwidth_GBps"] if cpu else p["soc_bandwidth_GBps"]
        key = (bw, cpu, p["performance_cores"], p["p_core_GHz"], p["p_core_simd_pipes"], p["p_core_decode_width"])
        groups.setdefault(key, []).append(p)
    cols = sorted(groups.items(), key=lambda g: g[0][0])  # stable: apple.json's order within a bandwidth
    return [(", ".join(q["label"].replace("Apple ", "", 1) for q in ps) +
             f": {num(key[0], 4)} GB/s" + (" CPU" if key[1] else "") + f", {key[2]} P-cores", key[0], ps[0])
            for key, ps in cols]


def rate(v):
    return num(v) if v < 100 else "%.0f" % v


def expected_apple(s, every):
    """The Apple projection, computed here: per timed width and target, the streamed 1-thread
    run (the hot one for HOT_ONLY) gives each projection's realised sparsity and the bytes
    one token read (its projections plus lm_head's LM_HEAD bytes). On each profile, the
    model's matrices from the file's hyperparameters at that sparsity (lm_head dense) go
    through the oracle's roofline (tests/roofline/apple_oracle.py) in the width's precision;
    " C" marks a compute-bound profile."""
    cols = apple_columns(every)
    loops = apple_oracle.neon_loops(source)
    rows = [["weights", "target"] + [c[0] for c in cols] + ["perplexity vs dense", "MB/token", "speedup"]]
    hp = s["hparams"]
    L, h, f, vocab = hp["n_layers"], hp["n_embd"], hp["n_ff"], hp["n_vocab"]
    kv = h // hp["n_heads"] * hp["n_kv_heads"]
    shapes = {"q": (h, h), "k": (kv, h), "v": (kv, h), "o": (h, h), "gate": (f, h), "up": (f, h), "down": (h, f)}

    def run_of(w, t):
        run = [r for r in s["speed"] if r["weights"] == w and r["target"] == t and r["threads"] == 1 and
               r["residency"] == ("hot" if w == HOT_ONLY else "stream")]
        return run[0] if run else None

    def token_bytes(run, w):
        return sum(p["bytes_per_token"] for p in run["per_projection"]) + LM_HEAD[w]

    for w in WIDTHS + ["file Q4_1"]:
        for t in [0.0] + TARGETS:
            run = run_of(w, t)
            if run is None:
                continue
            bits, group = int(w.split("-")[0]), int(w.split(" g")[1].split()[0])
            precision = "int8" if w.endswith(" int8") else "exact"
            sparsity = {p["projection"]: p["sparsity"] for p in run["per_projection"]}
            mats = [shapes[p] + (L, sparsity[p] if t else 0.0) for p in PROJECTIONS] + [(vocab, h, 1, 0.0)]
            cells = []
            for _, bw, p in cols:
                _, _, _, tps, compute_bound, _ = apple_oracle.roofline(p, bw, loops, precision, bits, group, mats)
                cells.append(rate(tps) + (" C" if compute_bound else ""))
            b = token_bytes(run, w)
            q = [q["perplexity_vs_dense"] for q in s["quality"]
                 if q["weights"] == w and q["target"] == t and q["rule"] == ("magnitude" if t else "dense")]
            rows.append([w, pct(t) if t else "dense"] + cells +
                        [num(q[0], 4), num(b / 1e6, 4), num(token_bytes(run_of(w, 0.0), w) / b) + "x"])
    return rows


s = study()
write("study.json", s)
write("bench.json", bench())
report("report", "study.json")
want = expected_summary(s)
if len(want) != 1 + len(WIDTHS) * 6 + 1:
    fail(f"the test's own summary has {len(want)} rows")
for page in ("real-model.html", "index.html"):
    got = parse(os.path.join("report", page))
    table = got.tables.get("study-summary")
    if table != want:
        fail(f"{page}: summary table differs from the JSON:\n got  {table}\n want {want}")
    if page == "index.html" and got.order.index("study-summary") > got.order.index("machine"):
        fail("index.html: the study summary comes after the machine table")
print(f"summary: {len(want) - 1} rows x {len(want[0])} columns equal the JSON's, on real-model.html "
      "and first on index.html")

# The Apple projection: right below the summary on index.html (four profiles), every profile on
# real-model.html, each figure the bandwidth over the bytes computed above.
for page, every, table_id in (("index.html", False, "study-apple"), ("real-model.html", True, "study-apple-all")):
    got = parse(os.path.join("report", page))
    want_apple = expected_apple(s, every)
    if len(want_apple) != 1 + len(WIDTHS) * 6 or len(want_apple[0]) != 5 + len(apple_columns(every)):
        fail(f"the test's own Apple table is {len(want_apple)} x {len(want_apple[0])}")
    if got.tables.get(table_id) != want_apple:
        fail(f"{page}: Apple projection differs from the oracle's roofline:\n got  {got.tables.get(table_id)}\n"
             f" want {want_apple}")
    text = open(os.path.join("report", page)).read()
    for phrase in ("memory and compute", "CPU-reachable bandwidth (docs/profiles.md", "(attention, norms",
                   "C marks a profile", "no figure here was timed on a Mac"):
        if phrase not in text:
            fail(f"{page}: the Apple projection's text lacks '{phrase}'")
if got.order.index("study-apple-all") != got.order.index("study-summary") + 1:
    fail("real-model.html: the Apple projection does not follow the summary")
got = parse("report/index.html")
if not got.order.index("study-summary") + 1 == got.order.index("study-apple") < got.order.index("machine"):
    fail(f"index.html: the Apple projection is not right below the summary: {got.order[:4]}")
print(f"apple: {len(want_apple) - 1} rows equal the oracle's roofline from the JSON, apple.json and neon_loops.json, "
      f"{sum(c.endswith(' C') for r in want_apple[1:] for c in r)} cells compute-bound; 4 profiles below the summary on "
      f"index.html, {len(apple_columns(True))} columns (15 profiles) on real-model.html")

# Other tables against the JSON: the quality table row by row, the activation table's exact zeros.
quality = parse("report/real-model.html").tables["study-quality"][1:]
if [r[:4] + r[5:6] for r in quality] != [[q["weights"], q["rule"], pct(q["target"]) if q["target"] else "dense",
                                           pct(q["sparsity"]), num(q["perplexity_vs_dense"], 4)] for q in s["quality"]]:
    fail(f"quality table differs from the JSON: {quality[:3]}")
acts = parse("report/real-model.html").tables["study-activations"]
if [r[0] for r in acts[1:]] != ["q, k, v", "o", "gate, up", "down"] or acts[1][2] != pct(2.8e-4):
    fail(f"activation table: {acts}")

pages = ["index.html", "decode.html", "real-model.html"]
for page in pages:
    nav = parse(os.path.join("report", page)).nav
    if sorted(nav) != sorted(p for p in pages if p != page):
        fail(f"{page}: its bar links {nav}")
for f in ("real-model.md", "report.md"):
    if "| 4-bit g64 | 50% |" not in open(os.path.join("report", f)).read():
        fail(f"{f} lacks the summary's 4-bit g64 50% row")
    if "### Projected on Apple Silicon" not in open(os.path.join("report", f)).read():
        fail(f"{f} lacks the Apple projection")
print("nav: every page links the other two; the Markdown files hold the summary")

# ---- Chromium: drawn, and laid out without overlaps at a narrow and a wide window

LAYOUT = """<script>
const out = {scroll: document.documentElement.scrollWidth, width: window.innerWidth, svgs: 0, bars: 0, problems: []};
for (const svg of document.querySelectorAll('svg.chart')) {
  out.svgs++;
  out.bars += svg.querySelectorAll('rect.bar').length;
  const b = svg.getBoundingClientRect(), name = svg.getAttribute('aria-label');
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1))
      out.problems.push('"' + t.textContent + '" outside chart "' + name + '"');
  }
  const fig = svg.closest('figure'), next = fig && fig.nextElementSibling;
  if (next && next.getBoundingClientRect().top < fig.getBoundingClientRect().bottom - 1)
    out.problems.push('the element after chart "' + name + '" overlaps it');
}
document.body.setAttribute('data-layout', JSON.stringify(out));
if (parent !== window) parent.postMessage(JSON.stringify(out), '*');
</script>"""

# Headless Chromium's window is at least 500 px wide: a narrower width loads the page in an
# iframe of that width, which posts its layout to this page.
FRAME = """<!doctype html><html><body style="margin:0"><script>
addEventListener("message", e => document.body.setAttribute("data-layout", e.data));
</script><iframe src="{src}" style="width:{width}px;height:{height}px;border:0"></iframe></body></html>"""


def chrome(*args):
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--hide-scrollbars", f"--user-data-dir={work}/chrome", *args],
                          capture_output=True, text=True, timeout=120)


def layout(page, width):
    probe = os.path.join("report", "layout-" + page)
    with open(os.path.join("report", page)) as f:
        text = f.read()
    write(probe, text.replace("</body>", LAYOUT + "</body>"))
    url = probe
    if width < 500:
        url = os.path.join("report", "layout-frame.html")
        write(url, FRAME.format(src="layout-" + page, width=width, height=2000))
    dom = chrome(f"--window-size={max(width, 500)},2000", "--virtual-time-budget=5000", "--dump-dom",
                 "file://" + os.path.abspath(url)).stdout
    os.remove(probe)
    if url != probe:
        os.remove(url)
    start = dom.find("data-layout=\"")
    if start < 0:
        fail(f"{page} at {width} px: the layout script did not run")
    end = dom.find("\"", start + 13)
    return json.loads(html.unescape(dom[start + 13:end]))


minimum = {"index.html": (6, 10), "decode.html": (3, 40), "real-model.html": (10, 4 * 34 + 14)}  # charts, bars
for page in pages:
    for width in (480, 1600):
        got = layout(page, width)
        if got["svgs"] < minimum[page][0] or got["bars"] < minimum[page][1]:
            fail(f"{page} at {width} px: {got['svgs']} charts, {got['bars']} bars drawn")
        if got["width"] != width:
            fail(f"{page}: laid out {got['width']} px wide, not {width}")
        if got["scroll"] > got["width"]:
            fail(f"{page} at {width} px: the page is {got['scroll']} px wide, it scrolls sideways")
        if got["problems"]:
            fail(f"{page} at {width} px: " + "; ".join(got["problems"][:5]))
        height, url = 16000 if width == 480 else 12000, os.path.join("report", page)
        if width < 500:  # the page 480 px wide at the left of a 500-px shot
            url = os.path.join("report", "shot-frame.html")
            write(url, FRAME.format(src=page, width=width, height=height))
        chrome(f"--window-size={max(width, 500)},{height}", f"--screenshot={work}/{page[:-5]}-{width}.png",
               "file://" + os.path.abspath(url))
        if width < 500:
            os.remove(url)
    print(f"chromium: {page} at 480 and 1600 px: {got['svgs']} charts, {got['bars']} bars, "
          "no overlap, no sideways scroll")

# ---- a study still running: quality rows only

partial = copy.deepcopy(s)
del partial["speed"]
write("partial.json", partial)
report("report-partial", "partial.json")
page = open("report-partial/real-model.html").read()
if "This study has no speed runs" not in page or "study-projections-table" in page:
    fail("partial study: the page does not say it has no speed runs")
for f in ("real-model.html", "index.html"):
    page = open(os.path.join("report-partial", f)).read()
    if "no sparsity per projection to project" not in page or "study-apple" in page:
        fail(f"partial study: {f} does not say it has nothing to project")
if parse("report-partial/real-model.html").tables["study-summary"] != expected_summary(partial):
    fail("partial study: summary differs from the JSON")
print("partial study: renders without speed runs")

# ---- bad study files


def expect_fail(what, study_file, *needles):
    r = report("bad-report", study_file, check=False)
    if r.returncode != 1:
        fail(f"{what}: exit {r.returncode}, {r.stdout}{r.stderr}")
    for n in needles:
        if n not in r.stderr:
            fail(f"{what}: message lacks '{n}': {r.stderr}")
    if os.path.exists("bad-report"):
        fail(f"{what}: left a report behind")


text = json.dumps(s, indent=1)
write("truncated.json", text[:700])
expect_fail("truncated", "truncated.json", "study JSON 'truncated.json' is not valid JSON")
write("schema.json", dict(s, schema="actsparse-study/2"))
expect_fail("schema", "schema.json", "study JSON 'schema.json': unknown schema")
expect_fail("missing file", "nope.json", "study JSON 'nope.json' cannot be opened")
expect_fail("decode results", os.path.join(corpus, "decode", "decode.json"), "unknown schema")
bad = copy.deepcopy(s)
del bad["quality"][2]["perplexity"]
write("missing.json", bad)
expect_fail("missing field", "missing.json", "study JSON 'missing.json': quality[2].perplexity is missing")
bad = copy.deepcopy(s)
bad["speed"][1]["threads"] = "two"
write("type.json", bad)
expect_fail("wrong type", "type.json", "'type.json': speed[1].threads is \"two\", not an integer in range")
bad = copy.deepcopy(s)
bad["speed"][3]["per_projection"][1]["GBps"] = None
write("null.json", bad)
expect_fail("null", "null.json", "speed[3].per_projection[1].GBps is null, not a number")
bad = copy.deepcopy(s)
bad["activations"][4]["fraction"].pop()
write("bins.json", bad)
expect_fail("bins", "bins.json", "'bins.json': activations[4] has 33 fractions for 33 edges")
bad = copy.deepcopy(s)
del bad["speed"][2]["weight_bytes"]
write("weight-bytes.json", bad)
expect_fail("weight_bytes", "weight-bytes.json", "'weight-bytes.json': speed[2].weight_bytes is missing")
bad = copy.deepcopy(s)
bad["speed"][0]["residency"] = "warm"
write("residency.json", bad)
expect_fail("residency", "residency.json", "speed[0].residency is \"warm\"")
write("quality.json", dict(s, quality={}))
expect_fail("quality object", "quality.json", "quality is {}, not an array")
write("empty.json", dict(s, quality=[]))
expect_fail("no quality", "empty.json", "'empty.json' holds no quality rows")
print("bad study files: 12 refused with the file and the field named, no report left")
print("study report test passed")

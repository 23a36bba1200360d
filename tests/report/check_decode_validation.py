#!/usr/bin/env python3
"""The decode page's validation section, as Chromium rendered it, against the tests' own
arithmetic (tests/roofline/apple_oracle.py, from apple.json and apple_validation.json alone):
one row per CPU-only measurement with its chip, quantization, threads, published rate, bytes
per token, the CPU figure fitted without it, the projection and its error, and its source
URL; the sources listed with their links; the median and worst |error| and the verdict
against the goal; the sentence that leaves the Apple GPU (Metal) out; and no GPU row.

usage: check_decode_validation.py DECODE_DOM_HTML SOURCE_DIR
"""
import math
import os
import re
import sys
from html.parser import HTMLParser

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "roofline"))
import apple_oracle  # noqa: E402

dom_file, source = sys.argv[1:3]


def fail(msg):
    print("FAIL: decode page validation: " + msg)
    sys.exit(1)


class Page(HTMLParser):
    """Text of the elements with the ids below: the table's body rows as lists of cells,
    the list's items with their links, the paragraphs' text."""

    def __init__(self):
        super().__init__()
        self.rows, self.items, self.paras = [], [], {}
        self.where = None  # "table", "list" or a paragraph id
        self.cell = self.row = None
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "decode-validation":
            self.where = "table"
        elif a.get("id") == "decode-validation-sources":
            self.where = "list"
        elif tag == "p" and a.get("id") in ("decode-verdict", "decode-metal"):
            self.where = a["id"]
            self.paras[self.where] = ""
        elif self.where == "table":
            if tag == "thead":
                self.in_head = True
            elif tag == "tr" and not self.in_head:
                self.row = []
            elif tag == "td" and self.row is not None:
                self.cell = ""
        elif self.where == "list":
            if tag == "li":
                self.items.append({"text": "", "hrefs": []})
            elif tag == "a" and self.items:
                self.items[-1]["hrefs"].append(a.get("href"))

    def handle_endtag(self, tag):
        if self.where == "table":
            if tag == "thead":
                self.in_head = False
            elif tag == "td" and self.cell is not None:
                self.row.append(self.cell.strip())
                self.cell = None
            elif tag == "tr" and self.row is not None:
                self.rows.append(self.row)
                self.row = None
            elif tag == "table":
                self.where = None
        elif self.where == "list" and tag == "ol":
            self.where = None
        elif self.where in ("decode-verdict", "decode-metal") and tag == "p":
            self.where = None

    def handle_data(self, data):
        if self.where == "table" and self.cell is not None:
            self.cell += data
        elif self.where == "list" and self.items:
            self.items[-1]["text"] += data
        elif self.where in self.paras:
            self.paras[self.where] += data


def close(got, want, digits):
    """got is want printed to `digits` significant digits (%g): within half the last digit."""
    if want == 0:
        return got == 0
    unit = 10 ** (math.floor(math.log10(abs(want))) - digits + 1)
    return abs(got - want) <= 0.51 * unit


def number(cell, what):
    m = re.match(r"^([-+]?[0-9.]+(?:e[-+]?[0-9]+)?)", cell)
    if not m:
        fail(f"{what}: '{cell}' is not a number")
    return float(m.group(1))


with open(dom_file, encoding="utf-8") as f:
    page = Page()
    page.feed(f.read())

profiles, ms = apple_oracle.load(source)
oracle = apple_oracle.leave_one_out(profiles, ms)
if len(page.rows) != len(ms):
    fail(f"{len(page.rows)} table rows for the {len(ms)} measurements of apple_validation.json")
for i, (m, o, row) in enumerate(zip(ms, oracle, page.rows)):
    where = f"row {i + 1}"
    if len(row) != 10:
        fail(f"{where} has {len(row)} cells, not 10: {row}")
    num_, chip, what, threads, published, gb, cpu, projected, error, url = row
    if num_ != str(i + 1):
        fail(f"{where} is numbered '{num_}'")
    if chip != profiles[m["profile"]]["label"]:
        fail(f"{where}: chip '{chip}', apple_validation.json names {profiles[m['profile']]['label']}")
    if not what.endswith(", " + m["quant"]):
        fail(f"{where}: model and quant '{what}' lack the quant '{m['quant']}'")
    want_threads = str(m["threads"]) if m.get("threads") is not None else "not stated"
    if threads != want_threads:
        fail(f"{where}: threads '{threads}', the measurement says {want_threads}")
    if not close(number(published, where), m["tokens_per_s"], 4):
        fail(f"{where}: published {published} tok/s, the measurement says {m['tokens_per_s']}")
    if not close(number(gb, where), o["bytes"] / 1e9, 4):
        fail(f"{where}: {gb} GB/token, oracle {o['bytes'] / 1e9:.4g}")
    if not close(number(cpu, where), o["cpu_GBps"], 4):
        fail(f"{where}: CPU {cpu} GB/s fitted without it, oracle {o['cpu_GBps']:.4g}")
    if not close(number(projected, where), o["projected"], 4):
        fail(f"{where}: projected {projected} tok/s, oracle {o['projected']:.4g}")
    if not error.endswith("%") or not close(number(error, where) / 100, o["error"], 3) or \
            (o["error"] >= 0) != error.startswith("+"):
        fail(f"{where}: error {error}, oracle {o['error']:+.3g}")
    if url != m["url"]:
        fail(f"{where}: source '{url}', the measurement's is {m['url']}")
    if any(word in " ".join((chip, what, threads)) for word in ("Metal", "GPU")):
        fail(f"{where} is a GPU row: {row}")

if len(page.items) != len(ms):
    fail(f"{len(page.items)} sources listed for {len(ms)} measurements")
for i, (m, item) in enumerate(zip(ms, page.items)):
    if item["hrefs"] != [m["url"]] or m["source"] not in " ".join(item["text"].split()):
        fail(f"source {i + 1}: '{item['text']}' linking {item['hrefs']}, expected {m['source']} {m['url']}")

med, worst, met = apple_oracle.summary(oracle)
verdict = page.paras.get("decode-verdict", "")
parsed = re.match(r"Median \|error\| ([0-9.]+)%, worst ([0-9.]+)%: the goal \(median within 15%, worst within 30%\) "
                  r"is (met|not met)\.$", verdict.strip())
if not parsed:
    fail(f"verdict '{verdict}' is not 'Median |error| X%, worst Y%: the goal (...) is met/not met.'")
if not close(float(parsed.group(1)), med * 100, 3) or not close(float(parsed.group(2)), worst * 100, 3):
    fail(f"verdict '{verdict}', oracle median {med:.3%}, worst {worst:.3%}")
if parsed.group(3) != ("met" if met else "not met"):
    fail(f"verdict '{verdict}', but the oracle's goal is {'met' if met else 'not met'}")
metal = " ".join(page.paras.get("decode-metal", "").split())
if "Apple GPU (Metal) cannot be run on these machines" not in metal or "left out of the model" not in metal:
    fail(f"the Metal sentence is missing or changed: '{metal}'")
print(f"decode page validation: {len(ms)} rows and sources match the oracle; median |error| {med:.1%}, "
      f"worst {worst:.1%} ({'met' if met else 'not met'})")

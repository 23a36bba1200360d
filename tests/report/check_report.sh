#!/usr/bin/env bash
# Report test: a quick probe and a tiny benchmark sweep feed `actsparse report`; headless
# Chromium renders index.html and the test checks that the charts are drawn and that
# numbers from the benchmark appear on the page. Then bad inputs (truncated JSON, a wrong
# schema, a missing file) must fail with a clear message and leave no report behind.
# Usage: check_report.sh ACTSPARSE_TOOL ACTSPARSE_BENCH WORK_DIR
set -euo pipefail
tool=$1 bench=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$tool" probe --quick --quiet --out machine.json
"$bench" --shapes 256x1024,512x512 --bits 4,3 --groups 64 --sparsity 0,50,90 --pattern uniform,clustered \
  --threads 1 --mode hot --baselines 1 --detect 1 --batch 1,4 --approx 50 --benchmark_min_time=0.005 \
  --benchmark_out=bench.json --benchmark_out_format=json >/dev/null
"$tool" report --machine machine.json --bench bench.json --out report >/dev/null
for f in index.html report.md rows.csv; do [ -s "report/$f" ] || fail "report/$f missing"; done

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/chrome" --dump-dom "file://$work/report/index.html" \
  > dom.html 2>/dev/null
svgs=$(grep -o '<svg' dom.html | wc -l)
points=$(grep -o '<circle' dom.html | wc -l)
bars=$(grep -o 'class="bar"' dom.html | wc -l)
[ "$svgs" -ge 6 ] || fail "only $svgs charts rendered"
[ "$points" -ge 20 ] || fail "only $points points drawn"
[ "$bars" -ge 10 ] || fail "only $bars bars drawn"
grep -q 'Roofline, 1 thread' dom.html || fail "roofline chart missing"
grep -q 'Apple M3 Pro' dom.html || fail "Apple projections missing"
grep -q 'id="approx"' dom.html || fail "approximate-mode chart missing"
grep -q 'class="batch"' dom.html || fail "batch chart missing"
# A number from the benchmark: the 90%-sparse 4-bit uniform row's measured speedup (3 digits),
# as rows.csv has it, must be in the rendered speedup table.
speedup=$(awk -F, '$1=="sparse" && $2==256 && $4==4 && $6==0.9 && $10==0 {printf "%.3g", $20}' report/rows.csv)
[ -n "$speedup" ] || fail "no 90% row in rows.csv"
grep -q ">${speedup}x<" dom.html || fail "speedup ${speedup}x not on the page"
echo "rendered: $svgs charts, $points points, $bars bars; 90% speedup ${speedup}x found"

# Bad inputs: clear error, non-zero exit, no report directory.
head -c 400 bench.json > truncated.json
expect_fail() {
  local what=$1 needle=$2; shift 2
  if "$@" > out.txt 2>&1; then fail "$what: succeeded"; fi
  grep -q "$needle" out.txt || fail "$what: message lacks '$needle': $(cat out.txt)"
  [ ! -e bad-report ] || fail "$what: left a report directory behind"
}
expect_fail "truncated bench" "not valid JSON" "$tool" report --machine machine.json --bench truncated.json --out bad-report
echo '{"schema": "something-else/9"}' > wrong.json
expect_fail "wrong schema" "unknown schema" "$tool" report --machine wrong.json --bench bench.json --out bad-report
expect_fail "missing file" "cannot be opened" "$tool" report --machine nope.json --bench bench.json --out bad-report
echo '{"benchmarks": []}' > empty.json
expect_fail "empty bench" "no actsparse-bench rows" "$tool" report --machine machine.json --bench empty.json --out bad-report
echo "report test passed"

#!/usr/bin/env bash
# "Nothing lost" (docs/robustness.md): every file the actsparse tool writes goes to a
# temporary name in the same folder and is renamed into place. This test kills writers
# with SIGKILL at delays spread over their run, and on the moment the temporary file
# appears (mid-write), and checks every outcome: the target is the old file byte for byte
# or the complete new one, never half of one. It does not depend on where a kill lands:
# each of the N kills must give a valid outcome, wherever it landed.
#   - actsparse convert: a synthetic Llama-style GGUF (or ACTSPARSE_MODEL, the real SmolLM2
#     file, when set) into a model file over an older model file. Conversion is
#     deterministic, so "new" means byte-identical to an uninterrupted conversion.
#   - actsparse probe --quick: the machine JSON (write_json) over an older one; "new" means
#     it parses and has the machine schema.
#   - actsparse report: the report directory over an older report; "new" means the same
#     files as an uninterrupted run, byte for byte.
# Then the tool's refusals that touch files (catalogue rows): each must exit 1 with its
# message and change nothing in the folder.
# Usage: kill_writes.sh ACTSPARSE_TOOL WORK_DIR [KILLS]
set -euo pipefail
tool=$1 work=$2 kills=${3:-12}
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# ---- inputs: two different GGUF models of the same shapes (F16 weights, 4 layers of
# q, k, v, o at 1024 x 1024 and gate, up, down at 2816 x 1024: 54 MB each).
write_gguf() {  # write_gguf FILE SEED
  python3 - "$1" "$2" <<'PY'
import struct, sys, random
path, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
H, F = 1024, 2816
tensors = []
for l in range(4):
    for p in ("attn_q", "attn_k", "attn_v", "attn_output"):
        tensors.append((f"blk.{l}.{p}.weight", (H, H)))
    tensors.append((f"blk.{l}.ffn_gate.weight", (H, F)))
    tensors.append((f"blk.{l}.ffn_up.weight", (H, F)))
    tensors.append((f"blk.{l}.ffn_down.weight", (F, H)))
    tensors.append((f"blk.{l}.attn_norm.weight", (H,)))
def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b
head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 1) + s("general.architecture") + struct.pack("<I", 8) + s("llama")
off, infos, sizes = 0, b"", []
for name, shape in tensors:
    n = 1
    for d in shape: n *= d
    typ, size = (0, 4 * n) if len(shape) == 1 else (1, 2 * n)
    infos += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
    infos += struct.pack("<IQ", typ, off)
    sizes.append((typ, n))
    off = (off + size + 31) // 32 * 32
with open(path, "wb") as f:
    f.write(head + infos)
    f.write(b"\0" * ((-f.tell()) % 32))
    base = f.tell()
    # Random fp16 weights in [-1, 1): a row of 4096 values repeated with a per-tensor shift
    # keeps the script fast; the bytes differ between seeds and tensors.
    row = [rng.uniform(-1, 1) for _ in range(4099)]
    for i, (typ, n) in enumerate(sizes):
        f.write(b"\0" * ((-(f.tell() - base)) % 32))
        k = rng.randrange(4096)
        vals = (row[k:] + row[:k]) * (n // 4099 + 1)
        f.write(struct.pack(f"<{n}{'f' if typ == 0 else 'e'}", *vals[:n]))
PY
}
if [ -n "${ACTSPARSE_MODEL:-}" ]; then
  [ -f "$ACTSPARSE_MODEL" ] || fail "ACTSPARSE_MODEL=$ACTSPARSE_MODEL does not exist (scripts/fetch-model.sh)"
  new_src=$ACTSPARSE_MODEL
  write_gguf old.gguf 1  # the old model file comes from another model
else
  write_gguf old.gguf 1
  write_gguf new.gguf 2
  new_src=new.gguf
fi
"$tool" convert --model old.gguf --bits 4 --out old.aspk --quiet >/dev/null
t0=$(now_ms)
"$tool" convert --model "$new_src" --bits default=4,down=6 --out new.aspk --quiet >/dev/null
convert_ms=$(( $(now_ms) - t0 ))
cmp -s old.aspk new.aspk && fail "the old and new model files are the same"
[ ! -e new.aspk.tmp ] || fail "an uninterrupted convert left new.aspk.tmp"

# outcome TARGET OLD NEW: "old" or "new" when TARGET equals one of them byte for byte.
outcome() {
  if cmp -s "$1" "$2"; then echo old; elif cmp -s "$1" "$3"; then echo new; else echo bad; fi
}

# kill_run LABEL TMP CHECK -- COMMAND: runs COMMAND kills times. Kill i of N at i/(N+1) of
# the uninterrupted run's time, and every third one the moment TMP appears (mid-write);
# CHECK (a function) prints old, new or bad for the target; any bad fails the test.
kill_run() {
  local label=$1 tmp=$2 check=$3 run_ms=$4 reset=$5; shift 5
  local old=0 new=0 mid=0 left=0 i
  for i in $(seq 1 "$kills"); do
    $reset
    "$@" >/dev/null 2>&1 &
    local pid=$! how
    if [ $((i % 3)) -eq 0 ]; then
      how=mid
      while kill -0 "$pid" 2>/dev/null && ! compgen -G "$tmp" >/dev/null; do :; done
    else
      how=$((run_ms * i / (kills + 1)))ms
      sleep "$(awk -v ms=$((run_ms * i / (kills + 1))) 'BEGIN { printf "%.3f", ms / 1000 }')"
    fi
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local got
    got=$($check)
    [ "$got" != bad ] || fail "$label: kill $i ($how) left a target that is neither the old nor the new one"
    [ "$got" = old ] && old=$((old + 1)) || new=$((new + 1))
    [ "$how" = mid ] && [ "$got" = old ] && mid=$((mid + 1))
    compgen -G "$tmp" >/dev/null && left=$((left + 1))
  done
  echo "$label ($run_ms ms): $kills kills -> old $old, new $new (of which $mid killed mid-write); $left left $tmp behind"
}

# ---- the model file
reset_model() { rm -f model.aspk.tmp; cp old.aspk model.aspk; }
check_model() { outcome model.aspk old.aspk new.aspk; }
kill_run "convert" model.aspk.tmp check_model "$convert_ms" reset_model \
  "$tool" convert --model "$new_src" --bits default=4,down=6 --out model.aspk --quiet

# ---- the machine JSON
"$tool" probe --quick --quiet --out old-machine.json
t0=$(now_ms)
"$tool" probe --quick --quiet --out machine.json
probe_ms=$(( $(now_ms) - t0 ))
check_machine() {
  if cmp -s machine.json old-machine.json; then echo old
  elif python3 -c 'import json, sys; sys.exit(json.load(open("machine.json"))["schema"] != "actsparse-machine/1")' \
       2>/dev/null; then echo new
  else echo bad; fi
}
reset_machine() { rm -f machine.json.tmp; cp old-machine.json machine.json; }
kill_run "probe JSON" machine.json.tmp check_machine "$probe_ms" reset_machine \
  "$tool" probe --quick --quiet --out machine.json

# ---- the report directory, from a generated benchmark JSON (2000 dense/sparse pairs of
# made-up times, enough rows that writing the report takes long enough to be killed in).
python3 - <<'PY'
import json
rows = []
for i in range(2000):
    N = 1024 + 64 * i
    for kind, s, t in (("dense", 0, 120.0), ("sparse", 0.5, 65.0)):
        rows.append({"name": f"{kind}/N:{N}/K:1024/bits:4/g:64/s:{int(s * 100)}", "run_type": "iteration",
                     "real_time": t * N / 1024, "time_unit": "us", "N": N, "K": 1024, "bits": 4, "group": 64,
                     "sparsity": s, "active": 1 - s, "threads": 1, "stream": 1, "bytes": N * 576 * (1 - s),
                     "eff_GBps": 4.8, "GFLOPs": 17})
json.dump({"benchmarks": rows}, open("bench.json", "w"))
PY
"$tool" report --machine old-machine.json --bench bench.json --out old-report >/dev/null
t0=$(now_ms)
"$tool" report --machine machine.json --bench bench.json --out new-report >/dev/null
report_ms=$(( $(now_ms) - t0 ))
[ -s new-report/index.html ] && [ -s new-report/rows.csv ] || fail "report: no index.html or rows.csv"
diff -rq old-report new-report >/dev/null && fail "the old and new reports are the same"
check_report() {
  if diff -rq report old-report >/dev/null 2>&1; then echo old
  elif diff -rq report new-report >/dev/null 2>&1; then echo new
  else echo bad; fi
}
reset_report() { rm -rf report report.tmp-* report.old-*; cp -r old-report report; }
kill_run "report directory" "report.tmp-*" check_report "$report_ms" reset_report \
  "$tool" report --machine machine.json --bench bench.json --out report
rm -rf report.tmp-* report.old-*

# ---- refusals that touch files: exit 1, the message, nothing in the folder changed.
refuse() {
  local label=$1 needle=$2; shift 2
  local before after out=$work.out
  before=$(find . -mindepth 1 -printf '%p %s %T@\n' | sort)
  if "$@" > "$out" 2>&1; then fail "$label: succeeded"; fi
  grep -qF -- "$needle" "$out" || fail "$label: message lacks '$needle': $(cat "$out")"
  rm -f "$out"
  after=$(find . -mindepth 1 -printf '%p %s %T@\n' | sort)
  [ "$before" = "$after" ] || fail "$label: the folder changed"
  echo "refused: $label"
}
mkdir -p src && echo 'int main() {}' > src/main.cpp
refuse "report over a folder that is not a report" "exists and is not a report directory (it holds 'main.cpp')" \
  "$tool" report --machine machine.json --bench bench.json --out src
[ -s src/main.cpp ] || fail "the report removed src/main.cpp"
refuse "report over a file" "exists and is not a directory" \
  "$tool" report --machine machine.json --bench bench.json --out machine.json
sed 's|actsparse-machine/1|actsparse-machine/2|' machine.json > machine-v2.json
refuse "machine profile of a newer version" "unknown schema 'actsparse-machine/2' (expected actsparse-machine/1)" \
  "$tool" report --machine machine-v2.json --bench bench.json --out new-dir
refuse "machine profile of the wrong kind" "is incomplete: [json.exception.out_of_range.403] key 'schema' not found" \
  "$tool" report --machine bench.json --bench bench.json --out new-dir
head -c 100 machine.json > machine-cut.json
refuse "truncated machine profile" "is not valid JSON (truncated?)" \
  "$tool" report --machine machine-cut.json --bench bench.json --out new-dir
refuse "benchmark JSON of the wrong kind" "has no \"benchmarks\" array" \
  "$tool" report --machine machine.json --bench machine.json --out new-dir
refuse "convert from a model file" "not a GGUF file" \
  "$tool" convert --model old.aspk --out other.aspk --quiet
head -c 1000 old.gguf > cut.gguf
refuse "convert from a truncated GGUF" "truncated file?" \
  "$tool" convert --model cut.gguf --out other.aspk --quiet
refuse "convert into a missing folder" "cannot write" \
  "$tool" convert --model old.gguf --out no-such-dir/m.aspk --quiet
refuse "convert with bits 7" "bits must be one of 2, 3, 4, 5, 6, 8" \
  "$tool" convert --model old.gguf --bits 7 --out other.aspk --quiet
refuse "dequantize into a missing folder" "cannot write" \
  "$tool" gguf --model old.gguf --dequantize no-such-dir/w.f32
echo "kill_writes passed"

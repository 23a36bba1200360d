#!/usr/bin/env bash
# Installs the Debian 12 packages actsparse needs to build, test and benchmark. Idempotent:
# apt-get runs only when a package is missing. Needs root (or sudo).
set -euo pipefail
packages=(g++ cmake ninja-build libxsimd-dev libhwloc-dev googletest libgtest-dev libbenchmark-dev
          g++-aarch64-linux-gnu qemu-user libclang-rt-14-dev nlohmann-json3-dev libcli11-dev chromium pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

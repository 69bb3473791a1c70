#!/usr/bin/env bash
# setup.sh - installs the Debian 12 packages attnc builds, tests and benchmarks with.
# Idempotent: when everything is present it prints nothing and returns at once.
# Runs apt-get as root, or through sudo when that is available.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ ccache pkg-config
  llvm-16-dev libmlir-16-dev mlir-16-tools llvm-16-tools clang-16
  libzstd-dev zlib1g-dev libxml2-dev libedit-dev libffi-dev libncurses-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  # vulkan target: loader, software device (lavapipe), validation, glslang, SPIRV-Tools
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers spirv-tools glslang-dev glslang-tools
  # onnx front end
  libonnx-dev libprotobuf-dev protobuf-compiler
  # fuzzers (ATTNC_BUILD_FUZZERS): the libFuzzer and ASan runtimes
  libclang-rt-16-dev
  # reference peers for tests and benchmarks
  python3 python3-numpy python3-torch python3-onnx
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup: error: need root (or sudo) to apt-get install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/attnc-setup.XXXXXX.log)
if ! { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "setup: error: apt-get failed; full log in $log" >&2
  exit 1
fi
rm -f "$log"
echo "setup: done"

#!/usr/bin/env bash
# build.sh - installs what is missing, configures build/ once and builds attnc.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build -- -j"$(nproc)"

#!/usr/bin/env bash
# test.sh - builds attnc and runs the whole test suite (GoogleTest units, lit
# golden-IR and driver tests, numeric tests against the fp64 oracle and
# PyTorch, CPU and Vulkan conformance on lavapipe with validation).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 1200

#!/usr/bin/env bash
# run_example.sh - the main job: builds attnc, compiles the bundled example
# model (examples/gpt_small.json) for the CPU and for Vulkan, runs both
# libraries on the same tokens and checks them against the fp64 oracle, then
# checks the Vulkan library compiled with --precision=f16 the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
attnc=build/tools/attnc
model=${1:-examples/gpt_small.json}
out=build/example
mkdir -p "$out"

echo "== model: $model"
$attnc compile "$model" --report-fusion --emit=mlir -o "$out/optimised.mlir"

/usr/bin/python3 - "$out/tokens.npy" <<'PY'
import sys, numpy as np
np.save(sys.argv[1], np.random.default_rng(0).integers(0, 512, size=(2, 32), dtype=np.int64))
PY

for target in cpu vulkan; do
  echo "== $target: compile, run"
  $attnc compile "$model" --target=$target -o "$out/libgpt_small_$target.so"
  $attnc run "$out/libgpt_small_$target.so" --input tokens="$out/tokens.npy" \
    --output "$out/$target"
done

echo "== oracle: run"
$attnc run "$model" --target=oracle --input tokens="$out/tokens.npy" --output "$out/oracle"

echo "== verify: both targets against the fp64 oracle"
$attnc verify "$model" --target=cpu,vulkan --input tokens="$out/tokens.npy"

echo "== verify: Vulkan with every tensor stored in f16 (--precision=f16), at the f16 tolerance"
$attnc verify "$model" --target=vulkan --precision=f16 --input tokens="$out/tokens.npy"

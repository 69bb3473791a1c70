#!/usr/bin/env bash
# vulkan_attention.sh - attnc's Vulkan attention next to a naive shader, in one run.
#
# For each yardstick shape (B,H,S,D), causal and not, a module holding one
# attn.attention is compiled and timed by `attnc bench --target=vulkan`
# (median GPU-timestamp time of $REPS runs after warm-up), and the naive
# one-invocation-per-query-row shader of benchmarks/vulkan/ is timed on the
# same device with the same clock right after it. GFLOP/s use the
# yardsticks' convention for both: 4·B·H·S²·D, causal counts half. Prints a
# markdown table; raw logs stay in OUT_DIR.
#
# Usage: benchmarks/vulkan_attention.sh [BUILD_DIR] [OUT_DIR]
#   env: REPS (default 7), ATTNC_VK_DEVICE (a device name substring),
#        LP_NUM_THREADS (lavapipe's worker threads; default: all cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$build/bench/vulkan_attention}
attnc=$build/tools/attnc
reps=${REPS:-7}
mkdir -p "$out"
[ -x "$attnc" ] || { echo "error: $attnc not built (ninja attnc)" >&2; exit 1; }
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

g++ -O2 "$root/benchmarks/vulkan/naive_attention.cpp" -o "$out/naive_attention" -lvulkan
glslangValidator -V "$root/benchmarks/vulkan/attention_naive.comp" \
  -o "$out/attention_naive.spv" > /dev/null

source "$root/benchmarks/common.sh"

gflops() { awk -v f="$1" -v ms="$2" 'BEGIN { printf "%.1f", f / (ms * 1e6) }'; }

echo "## $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, REPS=$reps, LP_NUM_THREADS=${LP_NUM_THREADS:-<all>}"
device_line=""
echo "| B | H | S | D | causal | attnc ms | attnc GFLOP/s | naive ms | naive GFLOP/s | speedup |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
  read -r B H S D <<< "$shape"
  for causal in none top_left; do
    t="tensor<${B}x${H}x${S}x${D}xf32>"
    model="$out/attention_${B}_${H}_${S}_${D}_${causal}.mlir"
    cat > "$model" <<MLIR
func.func @forward(%q: $t, %k: $t, %v: $t) -> $t {
  %0 = attn.attention %q, %k, %v {causal = #attn<causal ${causal}>} : ($t, $t, $t) -> $t
  return %0 : $t
}
MLIR
    log="$out/attnc_${B}_${H}_${S}_${D}_${causal}.log"
    wait_idle
    "$attnc" bench "$model" --target=vulkan --reps "$reps" > "$log" 2>&1 ||
      { cat "$log" >&2; exit 1; }
    [ -n "$device_line" ] || device_line=$(grep '^device:' "$log" || true)
    ms=$(sed -n 's/^median \([0-9.]*\) ms.*/\1/p' "$log")
    wait_idle
    naive_log="$out/naive_${B}_${H}_${S}_${D}_${causal}.log"
    "$out/naive_attention" "$out/attention_naive.spv" "$B" "$H" "$S" "$D" \
      "$([ "$causal" = none ] && echo 0 || echo 1)" "$reps" > "$naive_log"
    naive_ms=$(awk '{print $2}' "$naive_log")
    flops=$(awk -v b="$B" -v h="$H" -v s="$S" -v d="$D" -v c="$causal" \
      'BEGIN { f = 4 * b * h * s * s * d; if (c != "none") f /= 2; printf "%.0f", f }')
    speedup=$(awk -v a="$ms" -v n="$naive_ms" 'BEGIN { printf "%.1f", n / a }')
    echo "| $B | $H | $S | $D | $causal | $ms | $(gflops "$flops" "$ms") | $naive_ms | $(gflops "$flops" "$naive_ms") | ${speedup}x |"
  done
done
echo
echo "${device_line:-device: unknown}"

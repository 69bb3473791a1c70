# common.sh - what the attention benchmark scripts share (sourced, not run).

# The yardstick attention shapes (B H S D) of the CPU and Vulkan benchmarks.
shapes=("1 8 128 64" "1 8 512 64" "1 12 1024 64" "1 8 2048 64" "4 12 512 64")

# Waits (at most 30 s) until other processes use < 10% of a core: the
# machine is shared.
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
wait_idle() {
  local i b0 b1
  for i in $(seq 1 60); do
    b0=$(busy); sleep 0.5; b1=$(busy)
    [ $((b1 - b0)) -le 5 ] && return 0
  done
  echo "warning: machine not idle, measuring anyway" >&2
}

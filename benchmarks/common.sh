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

# The ONNX Runtime peer: PyPI's onnxruntime in a venv under the build
# directory, created on first use (tests and CI never need it).
ort_version=1.30.0
ort_numpy_version=2.2.6

# Prints the venv's python, creating build/bench-venv first if it lacks the
# pinned onnxruntime; the pip log goes to $2.
ort_python() {
  local venv=$1/bench-venv log=$2
  if ! "$venv/bin/python" -c "import onnxruntime, sys; sys.exit(onnxruntime.__version__ != '$ort_version')" 2>/dev/null; then
    { /usr/bin/python3 -m venv "$venv" &&
      "$venv/bin/pip" install --disable-pip-version-check \
        "onnxruntime==$ort_version" "numpy==$ort_numpy_version"; } >"$log" 2>&1 || return 1
  fi
  echo "$venv/bin/python"
}

# Makes the peer's ONNX models in $1 with the shared exporter ($2), once;
# the exporter needs Debian's torch, hence /usr/bin/python3.
ort_models() {
  local models=$1 shared=$2
  [ -f "$models/attn23_causal.onnx" ] && return 0
  mkdir -p "$models"
  /usr/bin/python3 "$shared/export_onnx.py" "$models"
}

#!/usr/bin/env bash
# gpu_check.sh - attnc's Vulkan libraries on an NVIDIA GPU, checked and timed next to PyTorch.
#
#   benchmarks/gpu_check.sh prepare [BUILD_DIR] [OPTIONS]   here: compile every library
#       the check needs with BUILD_DIR/tools/attnc (default build/) into build/gpu-check/,
#       pack them into build/gpu-check/carry/pack.tar.xz, download the Vulkan loader (.gl/)
#       and validation layer debs, and print the `device` call to make. OPTIONS go to
#       `gpu_check.py prepare` (--f16-flags="...", --max-lib-mib=N).
#   benchmarks/gpu_check.sh run [--dir DIR] [--no-validation]   on the GPU machine: unpack
#       the loader and the layer, then benchmarks/gpu_check.py run: (a) the conformance
#       matrix and example models with validation on, (b) the benchmark shapes checked
#       against fp64 and timed next to torch; one markdown table last; exit 1 on any
#       failed check. The log also goes to $OUT/gpu_check.log when OUT is set.
#   benchmarks/gpu_check.sh smoke [BUILD_DIR] [OPTIONS]   here, on lavapipe: prepare --smoke (tiny
#       benchmark shapes, into build/gpu-check-smoke/) and run it; torch timings skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The interpreter: python3 on the GPU machine (it has torch with CUDA); the build
# machine's commands default to /usr/bin/python3 (numpy, torch 1.13 CPU).
host_py=${PYTHON:-/usr/bin/python3}
cmd=${1:-}
shift || true

# Debian 12 amd64 packages fetched with apt-get download into DIR: PACKAGES...
download_debs() {
  local dir=$1; shift
  local missing=()
  for p in "$@"; do ls "$dir/${p}_"*.deb > /dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  mkdir -p "$dir" /tmp/amd64/partial
  local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64
           -oAPT::Sandbox::User=root)
  [ -n "$(ls /tmp/amd64/*Packages* 2>/dev/null)" ] || apt-get "${o[@]}" update > /dev/null
  (cd "$dir" && apt-get "${o[@]}" download "${missing[@]}" > /dev/null)
}

case "$cmd" in
prepare)
  build=$root/build
  if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then build=$1; shift; fi
  "$host_py" benchmarks/gpu_check.py prepare --attnc "$build/tools/attnc" \
    --work "$root/build/gpu-check" "$@"
  grep -qx '/.gl/' .gitignore 2>/dev/null ||
    grep -qx '/.gl/' "$(git rev-parse --git-common-dir)/info/exclude" 2>/dev/null ||
    echo '/.gl/' >> "$(git rev-parse --git-common-dir)/info/exclude"
  download_debs .gl libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2
  download_debs build/gpu-check/carry/vvl vulkan-validationlayers
  size=$(du -cb .gl build/gpu-check/carry | tail -1 | cut -f1)
  tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
  awk -v s="$size" -v t="$tree" 'BEGIN { printf "carried: .gl and build/gpu-check/carry, %.1f MiB, plus %.1f MiB of tracked files (limit 64 MiB)\n", s / 1048576, t / 1048576 }'
  if [ $((size + tree)) -gt $((60 * 1048576)) ]; then
    echo "error: too large to carry" >&2; exit 1
  fi
  cat <<'EOF'

Now, in ONE device call (the check prints its own run time; it is sized for under five minutes):
  run(command="for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; benchmarks/gpu_check.sh run",
      carry=[".gl", "build/gpu-check/carry"], timeout_s=420)
then give_back. The table at the end of the output goes into BENCHMARKS.md ("GPU check");
the whole log comes back as gpu_check.log.
EOF
  ;;
run)
  dir=build/gpu-check/carry
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
    --dir) dir=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
  done
  # The Vulkan loader, where the machine has none (the GPU machine, as root).
  if ! ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' > /dev/null &&
     ls .gl/*.deb > /dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  nv_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$nv_icd" ] && [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] &&
     ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* > /dev/null 2>&1; then
    export VK_DRIVER_FILES=$nv_icd
  fi
  # The validation layer: the carried debs, unpacked aside (not into /).
  if ls "$dir"/vvl/*.deb > /dev/null 2>&1; then
    rm -rf /tmp/vvl && mkdir -p /tmp/vvl
    for f in "$dir"/vvl/*.deb; do dpkg -x "$f" /tmp/vvl; done
    export VK_LAYER_PATH=/tmp/vvl/usr/share/vulkan/explicit_layer.d
    export LD_LIBRARY_PATH=/tmp/vvl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  fi
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
  log=${OUT:-/tmp}/gpu_check.log
  set +e
  PYTHONUNBUFFERED=1 "${PYTHON:-python3}" benchmarks/gpu_check.py run --dir "$dir" "${args[@]}" 2>&1 | tee "$log"
  exit "${PIPESTATUS[0]}"
  ;;
smoke)
  build=$root/build
  if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then build=$1; shift; fi
  "$host_py" benchmarks/gpu_check.py prepare --smoke --attnc "$build/tools/attnc" \
    --work "$root/build/gpu-check-smoke" "$@"
  PYTHON=$host_py "$0" run --dir build/gpu-check-smoke/carry
  ;;
*)
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac

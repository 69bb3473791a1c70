#!/usr/bin/env bash
# make_onnx_corpus.sh - regenerates tests/onnx/corpus: tiny Hugging Face
# models exported by current torch.onnx (dynamo at its default opset and at
# opset 23, TorchScript at opset 17) with padded inputs and float64
# references. The pinned packages go to a venv outside the repository
# (ATTNC_CORPUS_VENV, default ~/.cache/attnc/corpus-venv); torch from PyPI is
# a large download. Tests never run this: the corpus is committed.
#
# usage: scripts/make_onnx_corpus.sh [MODEL ...]   (default: every model)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${ATTNC_CORPUS_VENV:-$HOME/.cache/attnc/corpus-venv}"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --progress-bar off \
  torch==2.11.0 transformers==5.25.0 onnx==1.20.1 onnxscript==0.7.2
"$venv/bin/python" scripts/onnx_corpus.py tests/onnx/corpus "$@"

#!/usr/bin/env bash
# Builds and runs the demo: on the GPU when one is present, otherwise the same
# program on the CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/cuda/bin:$PATH
gpu=no
if command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1 && command -v nvcc > /dev/null; then gpu=yes; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
targets=(--target hello_cpu)
[ $gpu = yes ] && targets+=(--target hello)
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" "${targets[@]}" > /dev/null
if [ $gpu = yes ]; then
  echo "(running on the GPU)" >&2
  exec build/examples/hello "$@"
fi
echo "(no GPU here: running on the CPU backend)" >&2
exec build/examples/hello_cpu "$@"

#!/usr/bin/env bash
# Builds and runs the demo, examples/wordfreq: a command whose main runs on
# the GPU, here counting the words of this repository's documentation (or of
# the files given as arguments). On the GPU when one is present, otherwise
# the same program on the CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/cuda/bin:$PATH
gpu=no
if command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1 && command -v nvcc > /dev/null; then gpu=yes; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
targets=(--target wordfreq_cpu)
[ $gpu = yes ] && targets+=(--target wordfreq)
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" "${targets[@]}" > /dev/null
[ $# -gt 0 ] || set -- -o build/wordfreq.csv README.md docs/*.md
if [ $gpu = yes ]; then
  echo "(running on the GPU: build/examples/wordfreq $*)" >&2
  exec build/examples/wordfreq "$@"
fi
echo "(no GPU here: running on the CPU backend: build/examples/wordfreq_cpu $*)" >&2
exec build/examples/wordfreq_cpu "$@"

#!/usr/bin/env bash
# Builds and runs only the console benchmark on a GPU machine (the full
# suite is scripts/gpu_suite.sh). Usage: scripts/console_bench.sh [total_lines] [server_threads]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-out}
mkdir -p "$out"
export PATH=/usr/local/cuda/bin:$PATH
source scripts/fmt_deps.sh
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DGPUSTD_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" \
  "${cmake_prefix[@]}" > "$out/configure.log" 2>&1
cmake --build build-gpu -j"$(nproc)" --target console_bench > "$out/build.log" 2>&1
build-gpu/bench/console_bench "${1:-100000000}" "$out/console_bench.csv" ${2:-} | tee "$out/console_bench.txt"

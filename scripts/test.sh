#!/usr/bin/env bash
# Builds everything and runs every test that this machine can run:
#   1. the main build: the CPU backend and its tests, and, when nvcc is
#      present, every CUDA source compiled for sm_90 (the GPU suite itself
#      runs on a GPU machine: scripts/gpu_suite.sh);
#   2. the CPU backend again under ThreadSanitizer, with the protocol,
#      end-to-end and runtime tests;
#   3. the libFuzzer target (clang, ASan + UBSan) for FUZZ_SECONDS (60) over
#      the channel's decode and dispatch (scripts/fuzz.sh), when clang is here.
# Ends with ctest's summary line for each build.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
export PATH=/usr/local/cuda/bin:$PATH

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPUSTD_CUDA=OFF -DGPUSTD_SANITIZE=thread \
  -DGPUSTD_BENCHMARKS=OFF
cmake --build build-tsan -j"$jobs"

status=0
echo "== tests (CPU backend) =="
(cd build && ctest -j"$jobs" --output-on-failure --timeout 600) || status=1
echo "== fuzzing =="
if command -v clang++ > /dev/null; then
  bash scripts/fuzz.sh || status=1
else
  echo "fuzz: skipped (no clang++ here)"
fi
echo "== tests under ThreadSanitizer =="
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 abort_on_error=1" ctest -j"$jobs" --output-on-failure --timeout 900) || status=1
exit $status
